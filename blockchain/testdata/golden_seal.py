#!/usr/bin/env python3
"""Golden vectors for headers, genesis blocks and sealed blocks, computed outside Go.

A header (header version 2, see Header in blockchain/header.go) encodes
to 152 bytes, all integers big-endian:

    offset  size  field
    0       32    PrevHash
    32      32    MerkleRoot
    64      32    StateRoot
    96      20    Beneficiary
    116     4     TxCount     uint32
    120     4     Version     uint32
    124     4     Bits        uint32
    128     8     Height      uint64
    136     8     Timestamp   int64, Unix milliseconds
    144     8     Nonce       uint64

and has two hashes:

    SealHash = SHA-256(152-byte encoding)          what an engine solves or signs
    Hash     = SHA-256(152-byte encoding || Seal)  the block hash, its identity

A header's MerkleRoot is the RFC 6962 root of its transactions' canonical
encodings (SHA-256("") for none, SHA-256(0x00 || encoding) a leaf,
SHA-256(0x01 || left || right) a node); golden_merkle.py checks that
tree in depth and golden_tx.py the transactions' encoding.

Its StateRoot is the root of the sparse Merkle tree of every account
that is not zero, after the block (State.Root in blockchain/state.go):

    empty subtree     32 zero bytes
    a subtree of one  its leaf: SHA-256(0x10 || 20-byte address || value)
    two or more       SHA-256(0x11 || left || right)

where bit i of the address (the most significant bit of byte 0 first)
picks the side at depth i and an account's value is its balance (int64)
and then its nonce (uint64), 16 bytes.

A genesis block (ChainSpec.Genesis in blockchain/genesis.go) is the header
of version 2, height 0, PrevHash the chain spec's hash (golden_spec.py),
MerkleRoot the root of no transactions, TxCount 0, StateRoot the root of
the spec's allocations, Timestamp 2020-01-01T00:00:00Z, and Beneficiary,
Bits and Nonce zero; it has no seal.

A block after genesis (Chain.Propose in blockchain/chain.go) runs its
transactions in order — each takes amount + fee from its sender, bumps
the sender's nonce and gives amount to its receiver — and then credits
its Beneficiary the block reward plus the fees.

This script recomputes everything from those rules with nothing but
Python's standard library and the `cryptography` package (for ed25519),
so that the Go tests check the code against its documentation rather
than against itself. It prints the values the Go tests hold as literals:

  1. blockchain/encoding_test.go: goldenHeader, whose MerkleRoot is the
     root of golden_tx.py's transactions, with and without the seal
     07 01 02 03: its encoding, SealHash and Hash.
  2. blockchain/encoding_test.go: the genesis blocks of golden_spec.py's
     two specs and of consensustest.Spec(): state root and hash.
  3. Block 1 on consensustest.Spec()'s genesis, as consensustest's
     GenerateChain makes it: alice pays bob 125 (nonce 0, no fee), ten
     seconds after genesis, paying the block to "miner" (checked by
     TestBlockOneGolden in blockchain/encoding_test.go); its hash without
     a seal and sealed by proof-of-authority signer 0 of
     examples/poa/poa_test.go (ed25519 seed "signer 0" padded with zero
     bytes to 32, signing "eventchain/poa-seal/v1" || 0x00 || the seal
     hash; the seal is the signer's index, 0, then the signature), with
     the block encodings and the IDs of its BlockMined and
     TransactionVerified events (UUIDv5 of blockchain/events' namespace).
     The keys of consensustest are made from the seeds
     SHA-256("eventchain/consensustest/" || name).
  4. The Examples that print what proof of work finds: the nonce of
     blockchain's Example (its own spec, proof of work at 12 bits, alice
     pays bob 125 with a fee of 1) and of pow's ExampleEngine (an empty
     block on consensustest.Spec()'s genesis at 16 bits), each the first
     nonce from 0 whose seal hash has that many leading zero bits.

Run it from anywhere: python3 blockchain/testdata/golden_seal.py
"""

import base64
import hashlib
import os
import struct
import sys
import uuid
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_spec  # noqa: E402  the chain spec encoding, from its documentation
import golden_tx  # noqa: E402  the transaction encoding, from its documentation

HEADER_VERSION = 2
GENESIS_TIME = datetime(2020, 1, 1, tzinfo=timezone.utc)
SPEC_TAG = golden_spec.TAG


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ms(dt: datetime) -> int:
    """Unix milliseconds, as the encodings store times."""
    return int(dt.timestamp() * 1000)


def header_encoding(prev: bytes, root: bytes, state: bytes, beneficiary: bytes, tx_count: int,
                    version: int, bits: int, height: int, ts_ms: int, nonce: int) -> bytes:
    """The 152-byte canonical header encoding laid out above."""
    assert len(prev) == 32 and len(root) == 32 and len(state) == 32 and len(beneficiary) == 20
    enc = prev + root + state + beneficiary + struct.pack(">IIIQqQ", tx_count, version, bits, height, ts_ms, nonce)
    assert len(enc) == 152
    return enc


def block_hash(enc: bytes, seal: bytes) -> bytes:
    # The 152 bytes have a fixed length, so no separator or length prefix
    # is needed before the seal.
    return sha256(enc + seal)


merkle_root = golden_tx.merkle_root


# The sparse Merkle tree of accounts.
def bit(key: bytes, i: int) -> int:
    return (key[i // 8] >> (7 - i % 8)) & 1


def smt_hash(leaves: list, depth: int) -> bytes:
    if not leaves:
        return bytes(32)
    if len(leaves) == 1:
        key, value = leaves[0]
        return sha256(b"\x10" + key + value)
    left = [kv for kv in leaves if bit(kv[0], depth) == 0]
    right = [kv for kv in leaves if bit(kv[0], depth) == 1]
    return sha256(b"\x11" + smt_hash(left, depth + 1) + smt_hash(right, depth + 1))


def state_root(accounts: dict) -> bytes:
    """accounts: address -> (balance, nonce). Zero accounts are no accounts."""
    leaves = [(a, struct.pack(">qQ", b, n)) for a, (b, n) in accounts.items() if (b, n) != (0, 0)]
    return smt_hash(leaves, 0)


def spec_hash(spec: dict) -> bytes:
    return sha256(SPEC_TAG + golden_spec.encode(spec))


def genesis(spec: dict) -> tuple:
    """The genesis header's encoding and its accounts."""
    accounts = {a: (b, 0) for a, b in spec["alloc"].items()}
    enc = header_encoding(spec_hash(spec), merkle_root([]), state_root(accounts), bytes(20), 0,
                          HEADER_VERSION, 0, 0, ms(GENESIS_TIME), 0)
    return enc, accounts


def transition(accounts: dict, txs: list, beneficiary: bytes, reward: int) -> dict:
    """txs: (from, to, amount, fee, nonce). Checks the rules the chain checks."""
    out = dict(accounts)
    fees = 0
    for sender, to, amount, fee, nonce in txs:
        balance, have = out.get(sender, (0, 0))
        assert nonce == have and balance >= amount + fee and sender != to
        out[sender] = (balance - amount - fee, have + 1)
        b, n = out.get(to, (0, 0))
        out[to] = (b + amount, n)
        fees += fee
    b, n = out.get(beneficiary, (0, 0))
    out[beneficiary] = (b + reward + fees, n)
    return out


def mine(header: dict, bits: int) -> tuple:
    """The first nonce from 0 whose seal hash has bits leading zero bits."""
    nonce = 0
    while True:
        h = sha256(header_encoding(**header, bits=bits, nonce=nonce))
        if int.from_bytes(h, "big") >> (256 - bits) == 0:
            return nonce, h
        nonce += 1


def seeded_key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def address_of(key: Ed25519PrivateKey) -> bytes:
    return sha256(b"eventchain/address/v1\x00" + raw_public(key))[:20]


def sign_tx(key: Ed25519PrivateKey, chain_id: str, to: bytes, amount: int, fee: int, nonce: int) -> bytes:
    """A signed transaction's canonical encoding (golden_tx.py's layout)."""
    cid = chain_id.encode("ascii")
    body = (bytes([golden_tx.VERSION, len(cid)]) + cid + address_of(key) + to
            + struct.pack(">qqQ", amount, fee, nonce) + raw_public(key))
    return body + key.sign(golden_tx.SIGN_TAG + body)


def block_encoding(enc: bytes, txs: list, seal: bytes) -> bytes:
    """Block.MarshalBinary: header, u32 count, each transaction after its
    u32 length, then, if there is a seal, its u16 length and the seal."""
    out = enc + struct.pack(">I", len(txs))
    for tx in txs:
        out += struct.pack(">I", len(tx)) + tx
    if seal:
        out += struct.pack(">H", len(seal)) + seal
    return out


def uuid5(namespace: uuid.UUID, name: bytes) -> uuid.UUID:
    """RFC 9562 version-5 UUID, spelled out: SHA-1 of namespace || name."""
    digest = hashlib.sha1(namespace.bytes + name).digest()
    return uuid.UUID(bytes=digest[:16], version=5)


def show(label: str, value) -> None:
    if isinstance(value, bytes):
        value = value.hex()
    print(f"{label:32} {value}")


# consensustest's keys and Spec().
def test_key(name: str) -> Ed25519PrivateKey:
    return seeded_key(sha256(b"eventchain/consensustest/" + name.encode()))


TEST_ACCOUNTS = ["alice", "bob", "carol", "dave", "erin", "frank", "mallory", "miner"]
TEST_SPEC = {
    "chainId": "eventchain-test",
    "blockReward": 50,
    "alloc": {address_of(test_key(n)): 1_000_000 for n in TEST_ACCOUNTS},
    "engine": "pow",
    "pow": {"bits": 0, "retargetInterval": 0, "targetBlockTimeMs": 0, "minBits": 0, "maxBits": 0},
}


def main() -> None:
    # 1. goldenHeader of blockchain/encoding_test.go.
    vectors = [golden_tx.vector(*t) for t in golden_tx.TRANSACTIONS]
    tx_root = merkle_root([bytes.fromhex(v["encoding"]) for v in vectors])
    golden_time = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    beneficiary = golden_tx.address("alice")
    golden = header_encoding(bytes(range(32)), tx_root, bytes(range(32, 64)), beneficiary, len(vectors),
                             HEADER_VERSION, 12, 7, ms(golden_time), 0x0102030405060708)
    seal = bytes([7, 1, 2, 3])
    print("# 1. blockchain/encoding_test.go: goldenHeader (MerkleRoot: golden_tx.py's root)")
    show("encoding", golden)
    show("SealHash = Hash without a seal", sha256(golden))
    show("Hash with Seal 07010203", block_hash(golden, seal))

    # 2. Genesis blocks.
    print()
    print("# 2. genesis blocks")
    show("empty state root", state_root({}))
    for name, spec in [("golden_spec.py pow", golden_spec.SPECS[0]), ("golden_spec.py poa", golden_spec.SPECS[1]),
                       ("consensustest.Spec()", TEST_SPEC)]:
        enc, accounts = genesis(spec)
        show(name + ": spec hash", spec_hash(spec))
        show("  state root", state_root(accounts))
        show("  genesis Hash", block_hash(enc, b""))

    # 3. Block 1 on consensustest's genesis.
    g_enc, g_accounts = genesis(TEST_SPEC)
    g_hash = block_hash(g_enc, b"")
    alice, bob, miner = test_key("alice"), test_key("bob"), test_key("miner")
    tx = sign_tx(alice, "eventchain-test", address_of(bob), 125, 0, 0)
    after = transition(g_accounts, [(address_of(alice), address_of(bob), 125, 0, 0)], address_of(miner), 50)
    b1 = header_encoding(g_hash, merkle_root([tx]), state_root(after), address_of(miner), 1,
                         HEADER_VERSION, 0, 1, ms(GENESIS_TIME + timedelta(seconds=10)), 0)
    b1_hash = block_hash(b1, b"")
    signer = seeded_key(b"signer 0".ljust(32, b"\x00"))
    b1_seal = bytes([0]) + signer.sign(b"eventchain/poa-seal/v1\x00" + sha256(b1))
    b1_sealed = block_hash(b1, b1_seal)
    namespace = uuid5(uuid.NAMESPACE_URL, b"https://github.com/eventchain/eventchain/blockchain/events")
    assert str(namespace) == "0212957d-b97e-515c-92e7-76e046941632"
    tx_id = golden_tx.tx_id(golden_tx.SIGN_TAG + tx[:-64])
    print()
    print("# 3. block 1 on consensustest.Spec(): alice pays bob 125, paid to miner")
    show("alice's tx ID", tx_id)
    show("alice's tx hash", sha256(tx))
    show("Merkle root", merkle_root([tx]))
    show("state root", state_root(after))
    show("SealHash = Hash without a seal", b1_hash)
    show("block, base64", base64.b64encode(block_encoding(b1, [tx], b"")).decode())
    show("BlockMined ID", uuid5(namespace, b"BlockMined\x00" + b1_hash + merkle_root([tx])))
    show("TransactionVerified ID", uuid5(namespace, b"TransactionVerified\x00" + tx_id.bytes + b1_hash))
    show("poa signer 0 public key", raw_public(signer))
    show("Seal by signer 0", b1_seal)
    show("Hash sealed by signer 0", b1_sealed)
    show("sealed block, base64", base64.b64encode(block_encoding(b1, [tx], b1_seal)).decode())
    show("BlockMined ID, sealed", uuid5(namespace, b"BlockMined\x00" + b1_sealed + merkle_root([tx])))

    # 4. What the Examples print.
    print()
    print("# 4. Example outputs")
    seed = lambda name: seeded_key(sha256(name.encode()))  # noqa: E731  the Example's keys
    ex_alice, ex_bob, ex_miner = seed("alice"), seed("bob"), seed("miner")
    ex_spec = {
        "chainId": "eventchain-example",
        "blockReward": 50,
        "alloc": {address_of(ex_alice): 1000},
        "engine": "pow",
        "pow": {"bits": 12, "retargetInterval": 0, "targetBlockTimeMs": 0, "minBits": 0, "maxBits": 0},
    }
    ex_genesis, ex_accounts = genesis(ex_spec)
    ex_tx = sign_tx(ex_alice, "eventchain-example", address_of(ex_bob), 125, 1, 0)
    ex_after = transition(ex_accounts, [(address_of(ex_alice), address_of(ex_bob), 125, 1, 0)], address_of(ex_miner), 50)
    ex_time = datetime(2026, 3, 14, 15, 9, 26, tzinfo=timezone.utc)
    nonce, h = mine(dict(prev=block_hash(ex_genesis, b""), root=merkle_root([ex_tx]), state=state_root(ex_after),
                         beneficiary=address_of(ex_miner), tx_count=1, version=HEADER_VERSION, height=1,
                         ts_ms=ms(ex_time)), 12)
    show("blockchain Example nonce", nonce)
    show("  its hash", h.hex()[:12] + "…")
    for name, key in [("alice", ex_alice), ("bob", ex_bob), ("miner", ex_miner)]:
        b, n = ex_after.get(address_of(key), (0, 0))
        show(f"  {name}", f"ec{address_of(key)[:4].hex()} balance {b} nonce {n}")

    pow_after = transition(g_accounts, [], address_of(miner), 50)
    nonce, h = mine(dict(prev=g_hash, root=merkle_root([]), state=state_root(pow_after),
                         beneficiary=address_of(miner), tx_count=0, version=HEADER_VERSION, height=1,
                         ts_ms=ms(datetime(2026, 5, 1, 12, tzinfo=timezone.utc))), 16)
    show("pow ExampleEngine nonce", nonce)
    show("  its hash", h.hex()[:12] + "…")
    show("  hashes tried", nonce + 1)


if __name__ == "__main__":
    main()
