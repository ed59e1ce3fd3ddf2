#!/usr/bin/env python3
"""Golden vectors for a proof-of-authority block, computed outside Go.

The fixture of examples/poa/poa_test.go (TestGoldenSeal): the chain spec
of blockchain/consensustest (chain ID "eventchain-test", the kit's eight
accounts with 1 000 000 each, a block reward of 50) under proof of
authority, its signers the three keys whose ed25519 seeds are "signer 0",
"signer 1" and "signer 2", each padded with zero bytes to 32, in that
turn order. Block 1 on its genesis: alice pays bob 125 (nonce 0, no fee),
ten seconds after genesis, paying the block to signer 0's own address,
sealed by signer 0, whose turn it is at height 1 ((1 − 1) mod 3).

What poa.go documents, byte by byte:

    seal hash   = SHA-256(the 152-byte header encoding)
    signed      = "eventchain/poa-seal/v1" || 0x00 || seal hash
    Seal        = the signer's index (one byte) || ed25519 signature of signed
    block hash  = SHA-256(the 152-byte header encoding || Seal)

The header encoding, the chain spec's hash, the genesis block, the state
root and the transaction encoding come from blockchain/testdata
(golden_seal.py, golden_spec.py, golden_tx.py), which spell them out from
package blockchain's documentation with Python's hashlib, struct and the
`cryptography` package. Nothing here is taken from the Go code.

Run it from anywhere: python3 examples/poa/testdata/golden_poa.py
"""

import os
import sys
from datetime import timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "blockchain", "testdata"))

import golden_seal as gs  # noqa: E402  headers, genesis, state roots, transactions
import golden_spec  # noqa: E402  the chain spec encoding

SEAL_TAG = b"eventchain/poa-seal/v1\x00"


def signer(i: int):
    """Signer i's key: the seed "signer i" padded with zero bytes to 32."""
    return gs.seeded_key(("signer %d" % i).encode().ljust(32, b"\x00"))


def main() -> None:
    signers = [signer(i) for i in range(3)]
    spec = dict(gs.TEST_SPEC)
    spec.pop("pow")
    spec["engine"] = "poa"
    spec["signers"] = [gs.raw_public(k) for k in signers]

    g_enc, g_accounts = gs.genesis(spec)
    g_hash = gs.block_hash(g_enc, b"")

    alice, bob = gs.test_key("alice"), gs.test_key("bob")
    beneficiary = gs.address_of(signers[0])
    tx = gs.sign_tx(alice, spec["chainId"], gs.address_of(bob), 125, 0, 0)
    after = gs.transition(g_accounts, [(gs.address_of(alice), gs.address_of(bob), 125, 0, 0)], beneficiary,
                          spec["blockReward"])
    enc = gs.header_encoding(g_hash, gs.merkle_root([tx]), gs.state_root(after), beneficiary, 1,
                             gs.HEADER_VERSION, 0, 1, gs.ms(gs.GENESIS_TIME + timedelta(seconds=10)), 0)
    seal_hash = gs.sha256(enc)
    turn = (1 - 1) % len(signers)
    seal = bytes([turn]) + signers[turn].sign(SEAL_TAG + seal_hash)

    for i, k in enumerate(signers):
        gs.show("signer %d public key" % i, gs.raw_public(k))
    gs.show("spec hash", gs.sha256(golden_spec.TAG + golden_spec.encode(spec)))
    gs.show("genesis hash", g_hash)
    gs.show("beneficiary (signer 0)", golden_spec.written(beneficiary))
    gs.show("header encoding", enc)
    gs.show("seal hash", seal_hash)
    gs.show("seal", seal)
    gs.show("block hash", gs.block_hash(enc, seal))


if __name__ == "__main__":
    main()
