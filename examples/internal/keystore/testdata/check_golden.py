#!/usr/bin/env python3
"""Checks the golden key files outside Go.

    python3 check_golden.py alice.key bob.key

Every step of the key file format, as the package documentation of
examples/internal/keystore specifies it, is done again here with Python's
own libraries: scrypt from hashlib, AES-256-GCM and ed25519 from the
`cryptography` package, SHA-256 and CRC-32 for the address. The script
reads each file, decrypts it (alice.key) or reads its seed (bob.key),
derives the address from the seed, encrypts the seed again with the
file's salt and nonce, writes the document again, and checks that all of
it matches the file byte for byte. It prints the values it computed;
keystore_test.go holds them as literals (TestGolden).

Exits 0 if every file checks, 1 otherwise; 2 if a library is missing.
"""

import hashlib
import json
import sys
import zlib

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
except ImportError as e:
    print(f"check_golden: {e}: install the cryptography package", file=sys.stderr)
    sys.exit(2)

PASSPHRASE = b"correct horse battery staple"
AAD_TAG = b"eventchain/keystore/v1\x00"
ADDRESS_TAG = b"eventchain/address/v1\x00"

# The members of a key file, in the order they are written.
ENCRYPTED_MEMBERS = ["version", "name", "address", "encryption", "scrypt", "nonce", "ciphertext"]
SCRYPT_MEMBERS = ["n", "r", "p", "salt"]
CLEAR_MEMBERS = ["version", "name", "address", "encryption", "seed"]


def address_of(seed: bytes) -> tuple[bytes, str]:
    """Returns the ed25519 public key of seed and its account's written address."""
    pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    addr = hashlib.sha256(ADDRESS_TAG + pub).digest()[:20]
    checksum = zlib.crc32(addr).to_bytes(4, "big")
    return pub, "ec" + addr.hex() + checksum.hex()


def check(path: str) -> bool:
    raw = open(path, "rb").read()
    doc = json.loads(raw)
    ok = True

    def expect(what, have, want):
        nonlocal ok
        if have != want:
            print(f"{path}: {what}: have {have!r}, want {want!r}")
            ok = False

    expect("version", doc["version"], 1)
    if doc["encryption"] == "scrypt+aes-256-gcm":
        expect("members", list(doc), ENCRYPTED_MEMBERS)
        expect("scrypt members", list(doc["scrypt"]), SCRYPT_MEMBERS)
        s = doc["scrypt"]
        salt = bytes.fromhex(s["salt"])
        nonce = bytes.fromhex(doc["nonce"])
        ciphertext = bytes.fromhex(doc["ciphertext"])
        file_key = hashlib.scrypt(PASSPHRASE, salt=salt, n=s["n"], r=s["r"], p=s["p"],
                                  maxmem=256 << 20, dklen=32)
        aad = AAD_TAG + doc["name"].encode() + b"\x00" + doc["address"].encode()
        try:
            seed = AESGCM(file_key).decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            print(f"{path}: does not decrypt: wrong passphrase, or the file was altered")
            return False
        expect("ciphertext encrypted again", AESGCM(file_key).encrypt(nonce, seed, aad), ciphertext)
        print(f"{path}: file key {file_key.hex()}")
    elif doc["encryption"] == "none":
        expect("members", list(doc), CLEAR_MEMBERS)
        seed = bytes.fromhex(doc["seed"])
    else:
        print(f"{path}: unknown encryption {doc['encryption']!r}")
        return False

    pub, address = address_of(seed)
    expect("address", doc["address"], address)
    # Written again as the format says: two-space indents, ": " after a
    # name, a newline at the end.
    expect("bytes", json.dumps(doc, indent=2).encode() + b"\n", raw)
    print(f"{path}: seed {seed.hex()}")
    print(f"{path}: public key {pub.hex()}")
    print(f"{path}: address {address}")
    return ok


if __name__ == "__main__":
    results = [check(p) for p in sys.argv[1:]]
    if not results or not all(results):
        sys.exit(1)
    print("ok")
