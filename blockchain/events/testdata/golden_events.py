#!/usr/bin/env python3
"""Golden events, computed outside Go.

Every event's data is a JSON object, "v" first, and its ID the
version-5 UUID (RFC 9562: SHA-1, in the namespace below) of its type,
a zero byte and its content key, as the package documentation lays
them out:

    ChainSpecDeclared       spec hash
    ChainLost               genesis hash
    TransactionSubmitted    tx hash, then the request digest if any
    TransactionRebroadcast  tx hash, attempt (uint64, big-endian)
    BlockMined              block hash, Merkle root of its transactions
    TransactionVerified     tx ID (16 bytes), block hash
    TransactionDropped      tx ID
    BlockRejected           block hash, rule name in UTF-8
    SnapshotPart            block hash, height, part, parts (uint64s,
                            big-endian), SHA-256 of its packed accounts
    SnapshotTaken           block hash, height (uint64, big-endian)

This script builds the events of TestGolden, TestGoldenSealedBlock,
TestGoldenRequestDigest and TestGoldenSnapshot from those rules. It signs the transactions
(consensustest's keys: ed25519 seeds SHA-256("eventchain/consensustest/"
|| name)), writes their JSON, builds block 1 on consensustest.Spec()'s
genesis and hashes the spec with the helpers of
blockchain/testdata/golden_seal.py, which compute them from package
blockchain's documentation, with nothing but Python's standard library
and the `cryptography` package. The Go tests hold what it prints as
literals, so they check the code against the documentation rather than
against itself.

Run it from anywhere: python3 blockchain/events/testdata/golden_events.py
"""

import base64
import hashlib
import json
import os
import struct
import sys
import uuid
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata"))
import golden_seal as gs  # noqa: E402  headers, blocks, specs and keys, from package blockchain's documentation
import golden_tx  # noqa: E402  the transaction encoding

NAMESPACE = gs.uuid5(uuid.NAMESPACE_URL, b"https://github.com/eventchain/eventchain/blockchain/events")
assert str(NAMESPACE) == "0212957d-b97e-515c-92e7-76e046941632"


def event_id(typ: str, key: bytes) -> uuid.UUID:
    return gs.uuid5(NAMESPACE, typ.encode() + b"\x00" + key)


def tx_json(tx: bytes) -> str:
    """blockchain.Transaction.MarshalJSON: members in this order, no white space."""
    c = tx[1]
    chain_id = tx[2:2 + c].decode("ascii")
    sender, to = tx[2 + c:22 + c], tx[22 + c:42 + c]
    amount = int.from_bytes(tx[42 + c:50 + c], "big", signed=True)
    fee = int.from_bytes(tx[50 + c:58 + c], "big", signed=True)
    nonce = int.from_bytes(tx[58 + c:66 + c], "big")
    public, signature = tx[66 + c:98 + c], tx[98 + c:]
    tx_id = golden_tx.tx_id(golden_tx.SIGN_TAG + tx[:98 + c])
    return ('{"id":"%s","chainId":"%s","from":"%s","to":"%s","amount":%d,"fee":%d,"nonce":%d,'
            '"publicKey":"%s","signature":"%s","hash":"%s"}') % (
        tx_id, chain_id, golden_tx.written(sender), golden_tx.written(to), amount, fee, nonce,
        public.hex(), signature.hex(), gs.sha256(tx).hex())


def spec_json(spec: dict) -> str:
    """blockchain.ChainSpec.MarshalJSON of a proof-of-work spec without
    retargeting, which writes "bits" only."""
    p = spec["pow"]
    assert spec["engine"] == "pow" and p["retargetInterval"] == 0
    alloc = ",".join('"%s":%d' % (golden_tx.written(a), b) for a, b in sorted(spec["alloc"].items()))
    return '{"chainId":"%s","blockReward":%d,"alloc":{%s},"consensus":{"engine":"pow","pow":{"bits":%d}}}' % (
        spec["chainId"], spec["blockReward"], alloc, p["bits"])


def pack_accounts(accounts: dict) -> bytes:
    """A SnapshotPart's accounts: in increasing order of address bytes,
    the zero accounts left out, each its 20-byte address, its balance
    (int64) and its nonce (uint64), big-endian: 36 bytes."""
    return b"".join(a + struct.pack(">qQ", b, n) for a, (b, n) in sorted(accounts.items()) if (b, n) != (0, 0))


def pack_headers(headers: list) -> bytes:
    """A SnapshotTaken's headers: each 152-byte encoding, its seal's
    length (uint16, big-endian) and its seal."""
    return b"".join(enc + struct.pack(">H", len(seal)) + seal for enc, seal in headers)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def show(label: str, value) -> None:
    if isinstance(value, bytes):
        value = value.hex()
    print(f"{label:34} {value}")


def main() -> None:
    alice, bob, carol, miner = (gs.test_key(n) for n in ("alice", "bob", "carol", "miner"))
    tx_alice = gs.sign_tx(alice, "eventchain-test", gs.address_of(bob), 125, 0, 0)
    tx_bob = gs.sign_tx(bob, "eventchain-test", gs.address_of(carol), 50, 0, 0)
    alice_id = golden_tx.tx_id(golden_tx.SIGN_TAG + tx_alice[:-64])
    bob_id = golden_tx.tx_id(golden_tx.SIGN_TAG + tx_bob[:-64])
    alice_hash = gs.sha256(tx_alice)

    # Block 1 on consensustest.Spec()'s genesis: alice pays bob 125, ten
    # seconds after genesis, paying "miner" (golden_seal.py's part 3).
    g_enc, g_accounts = gs.genesis(gs.TEST_SPEC)
    after = gs.transition(g_accounts, [(gs.address_of(alice), gs.address_of(bob), 125, 0, 0)], gs.address_of(miner), 50)
    root = gs.merkle_root([tx_alice])
    b1 = gs.header_encoding(gs.block_hash(g_enc, b""), root, gs.state_root(after), gs.address_of(miner), 1,
                            gs.HEADER_VERSION, 0, 1, gs.ms(gs.GENESIS_TIME + timedelta(seconds=10)), 0)
    b1_hash = gs.block_hash(b1, b"")
    spec_hash = gs.spec_hash(gs.TEST_SPEC)

    print("# TestGolden")
    show("txJSON (txAlice)", tx_json(tx_alice))
    show("txBob's ID", bob_id)
    show("blockHash", b1_hash)
    show("blockBase64", base64.b64encode(gs.block_encoding(b1, [tx_alice], b"")).decode())
    show("specHash", spec_hash)
    show("specJSON", spec_json(gs.TEST_SPEC))
    show("TransactionSubmitted", event_id("TransactionSubmitted", alice_hash))
    show("TransactionRebroadcast attempt 2", event_id("TransactionRebroadcast", alice_hash + (2).to_bytes(8, "big")))
    show("BlockMined", event_id("BlockMined", b1_hash + root))
    show("TransactionVerified", event_id("TransactionVerified", alice_id.bytes + b1_hash))
    show("TransactionDropped (txBob)", event_id("TransactionDropped", bob_id.bytes))
    show("BlockRejected bad-merkle-root", event_id("BlockRejected", b1_hash + b"bad-merkle-root"))
    show("ChainSpecDeclared", event_id("ChainSpecDeclared", spec_hash))
    genesis_hash = gs.block_hash(g_enc, b"")
    lost = {"v": 1, "genesis": genesis_hash.hex(), "chainId": "eventchain-test", "height": 1}
    show("ChainLost", event_id("ChainLost", genesis_hash))
    show("ChainLost data", json.dumps(lost, separators=(",", ":")))

    # Block 1 sealed by proof-of-authority signer 0 of examples/poa's tests.
    signer = gs.seeded_key(b"signer 0".ljust(32, b"\x00"))
    seal = bytes([0]) + signer.sign(b"eventchain/poa-seal/v1\x00" + b1_hash)
    sealed_hash = gs.block_hash(b1, seal)
    print()
    print("# TestGoldenSealedBlock")
    show("seal", seal)
    show("blockHash", sealed_hash)
    show("block, base64", base64.b64encode(gs.block_encoding(b1, [tx_alice], seal)).decode())
    show("BlockMined", event_id("BlockMined", sealed_hash + root))

    digest = hashlib.sha256(b"order-17 request").digest()
    print()
    print("# TestGoldenRequestDigest")
    show("digest", digest)
    show("TransactionSubmitted with digest", event_id("TransactionSubmitted", alice_hash + digest))

    # The snapshot after block 1, in one part; the manifest with the two
    # headers (genesis and block 1, neither sealed), the tip, and txBob
    # pending.
    accounts = pack_accounts(after)
    assert len(accounts) == 8 * 36
    height = struct.pack(">Q", 1)
    part = {"v": 1, "height": 1, "blockHash": b1_hash.hex(), "part": 0, "parts": 1, "accounts": b64(accounts)}
    manifest = {"v": 1, "height": 1, "blockHash": b1_hash.hex(), "stateRoot": gs.state_root(after).hex(),
                "parts": 1, "accounts": 8, "firstPart": 0, "blocksRevision": 0, "txsRevision": 2,
                "headers": b64(pack_headers([(g_enc, b""), (b1, b"")])),
                "tip": b64(gs.block_encoding(b1, [tx_alice], b"")),
                "pending": [b64(tx_bob)]}
    print()
    print("# TestGoldenSnapshot")
    show("SnapshotPart", event_id("SnapshotPart", b1_hash + height + struct.pack(">QQ", 0, 1) + gs.sha256(accounts)))
    show("SnapshotPart data", json.dumps(part, separators=(",", ":")))
    show("SnapshotTaken", event_id("SnapshotTaken", b1_hash + height))
    show("SnapshotTaken data", json.dumps(manifest, separators=(",", ":")))


if __name__ == "__main__":
    main()
