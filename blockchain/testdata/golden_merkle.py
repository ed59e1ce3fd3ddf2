#!/usr/bin/env python3
"""Golden vectors for the RFC 6962 Merkle tree, computed outside Go.

Merkle trees per RFC 6962 §2.1 (Certificate Transparency), written here
from the RFC's own definitions, with nothing but Python's hashlib:

    MTH({})       = SHA-256("")                               the empty tree
    MTH({d0})     = SHA-256(0x00 || d0)                       a leaf
    MTH(D[n])     = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
                    for n > 1, k the largest power of two smaller than n

    PATH(m, D[n]) = []                                        for n = 1
                  = PATH(m, D[0:k]) + [MTH(D[k:n])]           for m < k
                  = PATH(m - k, D[k:n]) + [MTH(D[0:k])]       for m >= k

The Go code builds the same tree another way (bottom up, carrying the
last node of an odd level up unchanged; see blockchain/merkle.go), so
these vectors check it against the RFC rather than against itself.

Two sets of leaves:

  rfc6962  the eight leaves of Certificate Transparency's reference tests
           (empty, 00, 10, 2021, 3031, 40414243, 5051…57, 6061…6f). The
           script checks its roots for n = 0…8 and a few audit paths
           against the published values before printing anything.
  counted  leaf i is the ASCII text "leaf <i>": "leaf 0", "leaf 1", …

It prints, as JSON: leaf and node hashes; the root of the first n leaves
of rfc6962 for n = 0…8 and of counted for larger n; the audit path of
every leaf of rfc6962 for n = 1, 7 and 8, and of counted for n = 20; and
the two encodings of a few inclusion proofs, laid out as documented on
blockchain.InclusionProof:

    binary  version 1 (1 byte), index (u64), count (u64), path length
            (1 byte), the path's hashes (32 bytes each), big-endian
    JSON    {"index":…,"count":…,"path":["<64 hex digits>",…]}, no spaces
blockchain/merkle_test.go reads the file. Regenerate it with

    python3 blockchain/testdata/golden_merkle.py > blockchain/testdata/merkle_vectors.json
"""

import hashlib
import json
import struct
import sys


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list) -> bytes:
    n = len(d)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaf_hash(d[0])
    k = split(n)
    return node_hash(mth(d[:k]), mth(d[k:]))


def path(m: int, d: list) -> list:
    n = len(d)
    assert 0 <= m < n
    if n == 1:
        return []
    k = split(n)
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


RFC6962 = [bytes.fromhex(h) for h in [
    "", "00", "10", "2021", "3031", "40414243",
    "5051525354555657", "606162636465666768696a6b6c6d6e6f",
]]


def counted(n: int) -> list:
    return [b"leaf %d" % i for i in range(n)]


# Certificate Transparency's published roots of the first n rfc6962 leaves
# (as in its reference tests, Trillian's and others), n = 0…8.
PUBLISHED_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# Published audit paths (leaf index from 0, tree size, path).
PUBLISHED_PATHS = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


def proof_binary(m: int, n: int, p: list) -> bytes:
    return struct.pack(">BQQB", 1, m, n, len(p)) + b"".join(p)


def proof_json(m: int, n: int, p: list) -> str:
    return '{"index":%d,"count":%d,"path":[%s]}' % (m, n, ",".join('"%s"' % h.hex() for h in p))


def check_published() -> None:
    for n, want in enumerate(PUBLISHED_ROOTS):
        assert mth(RFC6962[:n]).hex() == want, f"root of {n} leaves"
    for m, n, want in PUBLISHED_PATHS:
        assert [h.hex() for h in path(m, RFC6962[:n])] == want, f"path of leaf {m} of {n}"


def main() -> None:
    check_published()
    out = {
        "about": "RFC 6962 Merkle tree vectors, computed by blockchain/testdata/golden_merkle.py "
                 "(Python's hashlib). Do not edit: regenerate.",
        "leafHashes": [
            {"data": d.hex(), "hash": leaf_hash(d).hex()}
            for d in [b"", b"\x00", b"eventchain", bytes(range(64)), bytes(300)]
        ],
        "nodeHashes": [
            {"left": leaf_hash(b"").hex(), "right": leaf_hash(b"\x00").hex(),
             "hash": node_hash(leaf_hash(b""), leaf_hash(b"\x00")).hex()},
        ],
        "roots": (
            [{"leaves": "rfc6962", "n": n, "root": mth(RFC6962[:n]).hex()} for n in range(9)]
            + [{"leaves": "counted", "n": n, "root": mth(counted(n)).hex()}
               for n in [9, 13, 16, 17, 20, 31, 32, 33, 100, 1000, 4096]]
        ),
        "paths": (
            [{"leaves": "rfc6962", "n": n, "index": m, "path": [h.hex() for h in path(m, RFC6962[:n])]}
             for n in [1, 7, 8] for m in range(n)]
            + [{"leaves": "counted", "n": 20, "index": m, "path": [h.hex() for h in path(m, counted(20))]}
               for m in range(20)]
        ),
    }
    out["encodings"] = []
    for name, leaves, m in [("rfc6962", RFC6962[:1], 0), ("rfc6962", RFC6962[:7], 2), ("counted", counted(20), 19)]:
        p = path(m, leaves)
        out["encodings"].append({"leaves": name, "n": len(leaves), "index": m,
                                 "binary": proof_binary(m, len(leaves), p).hex(),
                                 "json": proof_json(m, len(leaves), p)})
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
