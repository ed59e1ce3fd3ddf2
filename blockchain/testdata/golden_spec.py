#!/usr/bin/env python3
"""Golden vectors for chain specs, computed outside Go.

For two fixed specs, one proof of work and one proof of authority, this
prints the canonical encoding (the layout documented on
blockchain.ChainSpec), the hash SHA-256("eventchain/chainspec/v1" || 0x00
|| encoding), and the JSON form MarshalJSON writes — with Python's
struct, hashlib and zlib only, so that blockchain/spec_test.go checks the
Go code against its documentation, not against itself.

Run it from anywhere: python3 blockchain/testdata/golden_spec.py
"""

import hashlib
import struct
import zlib

TAG = b"eventchain/chainspec/v1\x00"
VERSION = 1

# The addresses and public keys of blockchain/testdata/golden_keys.py's
# three seeds (all zero; 00 01 … 1f; SHA-256("alice")): 20 and 32 bytes.
ADDR_ZERO = bytes.fromhex("7ca990faae94a9207a1535341bb940c440318975")
ADDR_RANGE = bytes.fromhex("cce84c33fc257c057135c5a4c7218b85ea1b5479")
ADDR_ALICE = bytes.fromhex("74b25808772b36251791ebb177f8fe85c49c2aaf")
KEY_ZERO = bytes.fromhex("3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29")
KEY_RANGE = bytes.fromhex("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")
KEY_ALICE = bytes.fromhex("d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac4")

SPECS = [
    {
        "chainId": "eventchain-devnet",
        "blockReward": 50,
        "alloc": {ADDR_RANGE: 250, ADDR_ZERO: 1000000},
        "engine": "pow",
        "pow": {"bits": 18, "retargetInterval": 10, "targetBlockTimeMs": 5000, "minBits": 8, "maxBits": 24},
    },
    {
        "chainId": "eventchain-poa-1",
        "blockReward": 0,
        "alloc": {ADDR_ZERO: 7, ADDR_ALICE: 9007199254740991, ADDR_RANGE: 1},
        "engine": "poa",
        # Turn order, not sorted.
        "signers": [KEY_ALICE, KEY_ZERO, KEY_RANGE],
    },
]


def written(addr: bytes) -> str:
    """An address's written form: "ec", its hex, its CRC-32 (big-endian) in hex."""
    return "ec" + addr.hex() + struct.pack(">I", zlib.crc32(addr)).hex()


def encode(spec: dict) -> bytes:
    chain_id = spec["chainId"].encode("ascii")
    out = struct.pack(">BB", VERSION, len(chain_id)) + chain_id
    out += struct.pack(">q", spec["blockReward"])
    alloc = sorted(spec["alloc"].items())  # by address, byte by byte
    out += struct.pack(">I", len(alloc))
    for addr, balance in alloc:
        out += addr + struct.pack(">q", balance)
    engine = spec["engine"].encode("ascii")
    out += struct.pack(">B", len(engine)) + engine
    if spec["engine"] == "pow":
        p = spec["pow"]
        out += struct.pack(">IQQII", p["bits"], p["retargetInterval"], p["targetBlockTimeMs"], p["minBits"], p["maxBits"])
    else:
        out += struct.pack(">I", len(spec["signers"]))
        for key in spec["signers"]:
            out += key
    return out


def to_json(spec: dict) -> str:
    """The JSON form, members in MarshalJSON's order, no white space."""
    alloc = ",".join('"%s":%d' % (written(a), b) for a, b in sorted(spec["alloc"].items()))
    if spec["engine"] == "pow":
        p = spec["pow"]
        params = '"pow":{"bits":%d,"retargetInterval":%d,"targetBlockTimeMs":%d,"minBits":%d,"maxBits":%d}' % (
            p["bits"], p["retargetInterval"], p["targetBlockTimeMs"], p["minBits"], p["maxBits"])
    else:
        params = '"poa":{"signers":[%s]}' % ",".join('"%s"' % k.hex() for k in spec["signers"])
    return '{"chainId":"%s","blockReward":%d,"alloc":{%s},"consensus":{"engine":"%s",%s}}' % (
        spec["chainId"], spec["blockReward"], alloc, spec["engine"], params)


def main() -> None:
    for spec in SPECS:
        enc = encode(spec)
        print("encoding", enc.hex())
        print("length  ", len(enc))
        print("hash    ", hashlib.sha256(TAG + enc).hexdigest())
        print("json    ", to_json(spec))
        print()


if __name__ == "__main__":
    main()
