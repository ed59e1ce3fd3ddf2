#!/usr/bin/env python3
"""Golden vectors for a block's two hashes, computed outside Go.

A header has two hashes (see Header in blockchain/header.go):

    SealHash = SHA-256(96-byte canonical encoding)          what an engine solves or signs
    Hash     = SHA-256(96-byte canonical encoding || Seal)  the block hash, its identity

A header's MerkleRoot is the RFC 6962 root of its transactions'
canonical encodings (see MerkleRoot in blockchain/merkle.go): SHA-256("")
for none, SHA-256(0x00 || encoding) for one, SHA-256(0x01 || left ||
right) above; blockchain/testdata/golden_merkle.py checks that tree in
depth.

This script recomputes them from the byte layouts in the Go doc comments,
with nothing but Python's standard library and the `cryptography` package
(for ed25519), so the Go tests check the code against its documentation
rather than against itself. It prints the values the Go tests hold as
literals:

  1. blockchain/encoding_test.go: the golden header of that file with the
     seal 07 01 02 03: its encoding, SealHash and Hash; the Merkle roots of
     that file's golden transaction alone and followed by a second one;
     and the genesis block, whose MerkleRoot is the root of no
     transactions and whose Hash and SealHash are the same (no seal).
  2. examples/poa/poa_test.go: block 1 of blockchain/events' fixtures (one
     transaction, alice pays bob 125, ten seconds after genesis), sealed
     by proof-of-authority signer 0 of poa_test.go, whose ed25519 seed is
     "signer 0" padded with zero bytes to 32. ed25519 signatures are
     deterministic, so the seal is fixed. The signed message is the tag
     "eventchain/poa-seal/v1" and a zero byte, then the seal hash.
  3. blockchain/events/events_test.go: the BlockMined event of that sealed
     block: its ID, UUIDv5(Namespace, "BlockMined" || 0x00 || block hash ||
     Merkle root of its transactions), and its JSON data; and the events of
     the same block without a seal (TestGolden): the BlockMined's ID and
     data, the TransactionVerified's ID (key: tx ID || block hash) and the
     BlockRejected's (key: block hash || rule name).
  4. The Examples that print what proof of work finds: the nonce of
     blockchain's Example (12 bits, one transaction) and of pow's
     ExampleEngine (16 bits, no transactions), each the first nonce from 0
     whose seal hash has that many leading zero bits; and the IDs and
     block hash that blockchain/events' Examples print.

Run it from anywhere: python3 blockchain/testdata/golden_seal.py
"""

import base64
import hashlib
import struct
import uuid
from datetime import datetime, timezone

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ms(dt: datetime) -> int:
    """Unix milliseconds, as the encodings store times."""
    return int(dt.timestamp() * 1000)


def header_encoding(prev: bytes, root: bytes, version: int, height: int,
                    ts_ms: int, bits: int, nonce: int) -> bytes:
    """The 96-byte canonical header encoding, all integers big-endian:
    PrevHash 32, MerkleRoot 32, Version u32, Height u64, Timestamp i64 ms,
    Bits u32, Nonce u64."""
    assert len(prev) == 32 and len(root) == 32
    enc = prev + root + struct.pack(">IQqIQ", version, height, ts_ms, bits, nonce)
    assert len(enc) == 96
    return enc


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def merkle_root(leaves: list) -> bytes:
    """RFC 6962 §2.1: split at the largest power of two smaller than n."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def seal_hash(enc: bytes) -> bytes:
    return sha256(enc)


def block_hash(enc: bytes, seal: bytes) -> bytes:
    # The 96 bytes have a fixed length, so no separator or length prefix
    # is needed before the seal.
    return sha256(enc + seal)


def tx_encoding(tx_id: uuid.UUID, amount: int, ts_ms: int, sender: str, receiver: str) -> bytes:
    """The transaction encoding of blockchain/transaction.go: version 1,
    ID 16, amount i64, timestamp i64 ms, then From and To, each a u32
    length and UTF-8 bytes."""
    f, t = sender.encode(), receiver.encode()
    return (bytes([1]) + tx_id.bytes + struct.pack(">qq", amount, ts_ms)
            + struct.pack(">I", len(f)) + f + struct.pack(">I", len(t)) + t)


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
    print(f"{label:28} {value}")


# 1. The golden header of blockchain/encoding_test.go, with a seal. Its
# MerkleRoot field holds the golden transaction's hash: any 32 bytes do
# for an encoding test.
golden_tx_hash = bytes.fromhex("81815e40bde21337722f49fa34f91a62641db7d5f6c8990c4ec815378b050695")
golden_time = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
golden_tx = tx_encoding(uuid.UUID("00112233-4455-6677-8899-aabbccddeeff"), 125, ms(golden_time), "alice", "bob")
assert sha256(golden_tx) == golden_tx_hash
zoe_tx = tx_encoding(uuid.UUID("f47ac10b-58cc-4372-a567-0e02b2c3d479"), 1, ms(golden_time), "Zoë", "渡辺")
golden_enc = header_encoding(bytes(range(32)), golden_tx_hash, 1, 7, ms(golden_time), 12, 0x0102030405060708)
golden_seal = bytes([7, 1, 2, 3])
print("# 1. blockchain/encoding_test.go: goldenHeader with Seal 07010203")
show("encoding", golden_enc)
show("SealHash", seal_hash(golden_enc))
show("Hash", block_hash(golden_enc, golden_seal))
show("Hash without the seal", block_hash(golden_enc, b""))
show("root of [goldenTx]", merkle_root([golden_tx]))
show("root of [goldenTx, Zoë's]", merkle_root([golden_tx, zoe_tx]))

genesis_time = datetime(2020, 1, 1, tzinfo=timezone.utc)
genesis_root = merkle_root([])  # SHA-256 of nothing
genesis_enc = header_encoding(bytes(32), genesis_root, 1, 0, ms(genesis_time), 0, 0)
genesis_hash = block_hash(genesis_enc, b"")
assert genesis_hash == seal_hash(genesis_enc)
show("genesis MerkleRoot", genesis_root)
show("genesis Hash = SealHash", genesis_hash)

# 2. Block 1 of blockchain/events' fixtures, sealed by poa signer 0.
tx_namespace = uuid.NAMESPACE_URL  # consensustest.TxID's namespace, 6ba7b811-…
alice_id = uuid5(tx_namespace, b"alice pays bob")
alice_tx = tx_encoding(alice_id, 125, ms(genesis_time) + 1000, "alice", "bob")
alice_root = merkle_root([alice_tx])  # one leaf: SHA-256(0x00 || encoding)
b1_enc = header_encoding(genesis_hash, alice_root, 1, 1, ms(genesis_time) + 10_000, 0, 0)

seed = b"signer 0".ljust(32, b"\x00")
key = Ed25519PrivateKey.from_private_bytes(seed)
public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
tag = b"eventchain/poa-seal/v1\x00"
message = tag + seal_hash(b1_enc)
signature = key.sign(message)
b1_seal = bytes([0]) + signature  # signer index 0, then the signature
b1_hash = block_hash(b1_enc, b1_seal)

print()
print("# 2. examples/poa/poa_test.go: block 1 of the events fixtures, sealed by signer 0")
show("alice's tx ID", alice_id)
show("alice's tx hash", sha256(alice_tx))
show("Merkle root of block 1", alice_root)
show("signer 0 public key", public)
show("SealHash", seal_hash(b1_enc))
show("Hash before sealing", block_hash(b1_enc, b""))
show("signed message", message)
show("Seal", b1_seal)
show("Hash", b1_hash)

# 3. The BlockMined events of that block, sealed and not.
namespace = uuid5(uuid.NAMESPACE_URL, b"https://github.com/eventchain/eventchain/blockchain/events")
assert str(namespace) == "0212957d-b97e-515c-92e7-76e046941632"


def block_mined_id(enc: bytes, seal: bytes, root: bytes) -> uuid.UUID:
    return uuid5(namespace, b"BlockMined\x00" + block_hash(enc, seal) + root)


def event_id(typ: str, key: bytes) -> uuid.UUID:
    return uuid5(namespace, typ.encode() + b"\x00" + key)


def mined_data(enc: bytes, txs: list, seal: bytes, miner: str) -> str:
    return ('{"v":1,"height":1,"hash":"' + block_hash(enc, seal).hex() + '","block":"'
            + base64.b64encode(block_encoding(enc, txs, seal)).decode() + '","minerId":"' + miner + '"}')


b1_plain = block_hash(b1_enc, b"")
print()
print("# 3. blockchain/events/events_test.go: BlockMined of block 1")
show("ID, sealed by signer 0", block_mined_id(b1_enc, b1_seal, alice_root))
show("data, sealed by signer 0", mined_data(b1_enc, [alice_tx], b1_seal, "signer-0"))
show("block hash, without a seal", b1_plain)
show("ID, without a seal", block_mined_id(b1_enc, b"", alice_root))
show("data, without a seal", mined_data(b1_enc, [alice_tx], b"", "miner-1"))
show("TransactionVerified ID", event_id("TransactionVerified", alice_id.bytes + b1_plain))
show("BlockRejected ID", event_id("BlockRejected", b1_plain + b"bad-merkle-root"))


# 4. What the Examples print.
def mine(prev: bytes, root: bytes, height: int, ts_ms: int, bits: int) -> tuple:
    """The first nonce from 0 whose seal hash has bits leading zero bits."""
    nonce = 0
    while True:
        h = seal_hash(header_encoding(prev, root, 1, height, ts_ms, bits, nonce))
        if int.from_bytes(h, "big") >> (256 - bits) == 0:
            return nonce, h
        nonce += 1


example_time = datetime(2026, 3, 14, 15, 9, 26, tzinfo=timezone.utc)
example_tx = tx_encoding(uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5"), 125, ms(example_time), "alice", "bob")
nonce, _ = mine(genesis_hash, merkle_root([example_tx]), 1, ms(example_time), 12)
print()
print("# 4. Example outputs")
show("blockchain Example nonce", nonce)
nonce, h = mine(genesis_hash, merkle_root([]), 1, ms(datetime(2026, 5, 1, 12, tzinfo=timezone.utc)), 16)
show("pow ExampleEngine nonce", nonce)
show("  its hash", h.hex()[:12] + "…")
show("  hashes tried", nonce + 1)
ex_tx = tx_encoding(uuid5(tx_namespace, b"block 1 tx 0"), 125, ms(genesis_time) + 1000, "alice", "bob")
ex_enc = header_encoding(genesis_hash, merkle_root([ex_tx]), 1, 1, ms(genesis_time) + 10_000, 0, 0)
show("events Example ID", block_mined_id(ex_enc, b"", merkle_root([ex_tx])))
show("  its block hash", block_hash(ex_enc, b"").hex())
show("  its TransactionVerified ID", event_id("TransactionVerified", uuid5(tx_namespace, b"block 1 tx 0").bytes + block_hash(ex_enc, b"")))
