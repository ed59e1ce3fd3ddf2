#!/usr/bin/env python3
"""Golden vectors for keys and addresses, computed outside Go.

For three fixed seeds this prints the ed25519 public key, the address
(SHA-256("eventchain/address/v1" || 0x00 || public key), first 20 bytes),
its written form ("ec", 40 hex digits, then the CRC-32/IEEE of the 20
bytes as 8 hex digits, big-endian) and the signature of the message
"eventchain" — with Python's hashlib, zlib and the `cryptography`
package, from the layout documented on blockchain.Address, so that
blockchain/keys_test.go checks the Go code against its documentation.

Run it from anywhere: python3 blockchain/testdata/golden_keys.py
"""

import hashlib
import zlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SEEDS = [
    bytes(32),  # all zero
    bytes(range(32)),  # 00 01 02 … 1f
    hashlib.sha256(b"alice").digest(),
]


def main() -> None:
    for seed in SEEDS:
        key = Ed25519PrivateKey.from_private_bytes(seed)
        pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        addr = hashlib.sha256(b"eventchain/address/v1\x00" + pub).digest()[:20]
        written = "ec" + addr.hex() + zlib.crc32(addr).to_bytes(4, "big").hex()
        sig = key.sign(b"eventchain")
        print("seed     ", seed.hex())
        print("public   ", pub.hex())
        print("address  ", written)
        print("signature", sig.hex())
        print()


if __name__ == "__main__":
    main()
