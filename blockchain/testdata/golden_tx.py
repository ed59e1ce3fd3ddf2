#!/usr/bin/env python3
"""Golden vectors for signed transactions, computed outside Go.

Written from the layout documented on blockchain.Transaction
(blockchain/transaction.go), byte by byte, with nothing but Python's
struct, hashlib, zlib and uuid and the `cryptography` package (for
ed25519), so that blockchain/transaction_test.go checks the Go code
against its documentation rather than against itself. All integers are
big-endian; c is the length of the chain ID:

    offset  size  field
    0       1     encoding version, 2
    1       1     c
    2       c     ChainID, ASCII
    2+c     20    From, the sender's address
    22+c    20    To, the receiver's address
    42+c    8     Amount, int64
    50+c    8     Fee, int64
    58+c    8     Nonce, uint64
    66+c    32    PublicKey, the sender's ed25519 key
    98+c    64    Signature

    body           = the first 98 + c bytes
    signed message = "eventchain/tx/v2" || 0x00 || body
    Signature      = ed25519 signature of the signed message
    Hash           = SHA-256(body || Signature)
    ID             = SHA-256(signed message)[:16], with the UUID version
                     nibble set to 8 and the RFC 9562 variant bits to 10

An address is the first 20 bytes of SHA-256("eventchain/address/v1" ||
0x00 || public key), written as "ec", its 40 hex digits and the CRC-32
(IEEE, big-endian) of its bytes in 8 hex digits. The keys come from the
three seeds of golden_keys.py (all zero; 00 01 … 1f; SHA-256("alice")).

For each transaction the script prints, as JSON, its fields, the signed
message, the signature, the encoding, the hash, the ID and the JSON form
Transaction.MarshalJSON writes; and the Merkle root of all of them in
order (RFC 6962: SHA-256(0x00 || encoding) a leaf, SHA-256(0x01 || left
|| right) a node, split at the largest power of two below n).

Regenerate, from the repository root:

    python3 blockchain/testdata/golden_tx.py > blockchain/testdata/tx_vectors.json
"""

import hashlib
import json
import struct
import sys
import uuid
import zlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

VERSION = 2
SIGN_TAG = b"eventchain/tx/v2\x00"
ADDRESS_TAG = b"eventchain/address/v1\x00"
MAX_AMOUNT = 2**53 - 1

SEEDS = {
    "zero": bytes(32),
    "range": bytes(range(32)),
    "alice": hashlib.sha256(b"alice").digest(),
}


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def key(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(SEEDS[name])


def public(name: str) -> bytes:
    return key(name).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def address(name: str) -> bytes:
    return sha256(ADDRESS_TAG + public(name))[:20]


def written(addr: bytes) -> str:
    return "ec" + addr.hex() + struct.pack(">I", zlib.crc32(addr)).hex()


def body(chain_id: str, sender: str, to: bytes, amount: int, fee: int, nonce: int) -> bytes:
    cid = chain_id.encode("ascii")
    out = bytes([VERSION, len(cid)]) + cid
    out += address(sender) + to
    out += struct.pack(">qqQ", amount, fee, nonce)
    out += public(sender)
    assert len(out) == 98 + len(cid)
    return out


def tx_id(message: bytes) -> uuid.UUID:
    b = bytearray(sha256(message)[:16])
    b[6] = (b[6] & 0x0F) | 0x80  # version 8
    b[8] = (b[8] & 0x3F) | 0x80  # variant 10
    return uuid.UUID(bytes=bytes(b))


def merkle_root(leaves: list) -> bytes:
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return sha256(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:]))


# name, chain ID, sender (a seed's name), receiver (a seed's name), amount, fee, nonce
TRANSACTIONS = [
    ("no fee", "eventchain-devnet", "alice", "zero", 125, 0, 0),
    ("a fee", "eventchain-test", "zero", "range", 1, 7, 42),
    ("chain ID of 32 bytes", "abcdefghijklmnopqrstuvwxyz-01234", "range", "alice", 1000, 1, 2**32 + 1),
    ("MaxAmount, fee MaxAmount, the last nonce", "x", "alice", "range", MAX_AMOUNT, MAX_AMOUNT, 2**64 - 1),
]


def vector(name, chain_id, sender, receiver, amount, fee, nonce) -> dict:
    to = address(receiver)
    b = body(chain_id, sender, to, amount, fee, nonce)
    message = SIGN_TAG + b
    signature = key(sender).sign(message)
    assert len(signature) == 64
    key(sender).public_key().verify(signature, message)  # raises if it does not verify
    encoding = b + signature
    assert len(encoding) == 162 + len(chain_id)
    h = sha256(encoding)
    i = tx_id(message)
    # Transaction.MarshalJSON: the members in this order, no white space.
    js = ('{"id":"%s","chainId":"%s","from":"%s","to":"%s","amount":%d,"fee":%d,"nonce":%d,'
          '"publicKey":"%s","signature":"%s","hash":"%s"}') % (
        i, chain_id, written(address(sender)), written(to), amount, fee, nonce,
        public(sender).hex(), signature.hex(), h.hex())
    return {
        "name": name,
        "seed": SEEDS[sender].hex(),
        "chainId": chain_id,
        "from": written(address(sender)),
        "to": written(to),
        "amount": amount,
        "fee": fee,
        "nonce": nonce,
        "publicKey": public(sender).hex(),
        "signedMessage": message.hex(),
        "signature": signature.hex(),
        "encoding": encoding.hex(),
        "hash": h.hex(),
        "id": str(i),
        "json": js,
    }


def main() -> None:
    vectors = [vector(*t) for t in TRANSACTIONS]
    out = {
        "about": "Signed transaction vectors (encoding version 2), computed by blockchain/testdata/golden_tx.py "
                 "with Python's hashlib and the cryptography package. Do not edit: regenerate.",
        "transactions": vectors,
        "merkleRoot": merkle_root([bytes.fromhex(v["encoding"]) for v in vectors]).hex(),
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
