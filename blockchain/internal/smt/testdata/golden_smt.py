#!/usr/bin/env python3
"""Golden vectors for package smt's sparse Merkle tree, computed outside Go.

Written from the rule in blockchain/internal/smt/doc.go, with nothing but
Python's hashlib, so that golden_test.go checks the Go code against its
documentation rather than against itself. For S(p) the leaves whose keys
start with the bit string p (key bit i is bit 7 - i%8 of byte i//8):

    H(p) = 32 zero bytes                          S(p) empty
    H(p) = SHA-256(0x10 || key || value)          S(p) = one leaf
    H(p) = SHA-256(0x11 || H(p+0) || H(p+1))      S(p) two leaves or more

    root = H(empty prefix)

A proof for key k lists H of the sibling of each inner node on k's path,
root side first, and ends where the subtree on the path holds no leaf
("empty"), k's own leaf ("leaf") or another key's leaf ("other", with
that leaf's key and value). Its binary form is the table on smt.Proof,
its JSON form the one MarshalJSON writes. The script checks every proof
it writes with its own verifier before writing anything.

Keys: key(i) is the first 20 bytes of SHA-256("key-%d" % i); some trees
add keys made from another by flipping one bit, so that keys share long
prefixes (up to 159 bits: leaves at depth 160). Values are 16 bytes, as
the chain stores them: balance int64 and nonce uint64, big-endian.

Regenerate, from the repository root:

    python3 blockchain/internal/smt/testdata/golden_smt.py \
        > blockchain/internal/smt/testdata/smt_vectors.json
"""

import hashlib
import json
import struct
import sys

KEY_BITS = 160
EMPTY = bytes(32)
MAX_VALUE_LEN = 64
VERSION = 1
KINDS = {"empty": 0, "other": 1, "leaf": 2}


def sha256(b):
    return hashlib.sha256(b).digest()


def leaf_hash(key, value):
    return sha256(b"\x10" + key + value)


def node_hash(left, right):
    return sha256(b"\x11" + left + right)


def bit(key, i):
    return (key[i // 8] >> (7 - i % 8)) & 1


def flip(key, i):
    b = bytearray(key)
    b[i // 8] ^= 0x80 >> (i % 8)
    return bytes(b)


def key(i):
    return sha256(b"key-%d" % i)[:20]


def value(i):
    return struct.pack(">qQ", 1000 * i + 7, i)


def subtree_hash(leaves, depth):
    """H of the subtree at depth `depth` holding `leaves` ((key, value) pairs
    whose keys share their first `depth` bits)."""
    if not leaves:
        return EMPTY
    if len(leaves) == 1:
        return leaf_hash(*leaves[0])
    lo = [kv for kv in leaves if bit(kv[0], depth) == 0]
    hi = [kv for kv in leaves if bit(kv[0], depth) == 1]
    return node_hash(subtree_hash(lo, depth + 1), subtree_hash(hi, depth + 1))


def prove(leaves, k):
    siblings = []
    depth = 0
    while len(leaves) >= 2:
        b = bit(k, depth)
        same = [kv for kv in leaves if bit(kv[0], depth) == b]
        other = [kv for kv in leaves if bit(kv[0], depth) != b]
        siblings.append(subtree_hash(other, depth + 1))
        leaves = same
        depth += 1
    if not leaves:
        return {"kind": "empty", "siblings": siblings}
    if leaves[0][0] == k:
        return {"kind": "leaf", "siblings": siblings}
    return {"kind": "other", "siblings": siblings, "other": leaves[0]}


def common_prefix_len(a, b):
    for i in range(KEY_BITS):
        if bit(a, i) != bit(b, i):
            return i
    return KEY_BITS


def verify(root, k, val, proof):
    """The verifier of smt.VerifyProof; val None claims absence."""
    s = proof["siblings"]
    d = len(s)
    if d > KEY_BITS or (d > 0 and s[-1] == EMPTY):
        return False
    kind = proof["kind"]
    if kind == "leaf":
        if val is None:
            return False
        h = leaf_hash(k, val)
    elif kind == "empty":
        if val is not None:
            return False
        h = EMPTY
    else:
        ok, ov = proof["other"]
        if val is not None or ok == k or common_prefix_len(ok, k) < d or d == KEY_BITS:
            return False
        h = leaf_hash(ok, ov)
    for i in reversed(range(d)):
        h = node_hash(h, s[i]) if bit(k, i) == 0 else node_hash(s[i], h)
    return h == root


def encode_binary(proof):
    s = proof["siblings"]
    bitmap = bytearray(KEY_BITS // 8)
    listed = b""
    for i, h in enumerate(s):
        if h != EMPTY:
            bitmap[i // 8] |= 0x80 >> (i % 8)
            listed += h
    out = bytes([VERSION, KINDS[proof["kind"]], len(s)]) + bytes(bitmap) + listed
    if proof["kind"] == "other":
        ok, ov = proof["other"]
        out += ok + bytes([len(ov)]) + ov
    return out


def encode_json(proof):
    obj = {
        "kind": proof["kind"],
        "depth": len(proof["siblings"]),
        "siblings": [None if h == EMPTY else h.hex() for h in proof["siblings"]],
    }
    if proof["kind"] == "other":
        ok, ov = proof["other"]
        obj["other"] = {"key": ok.hex(), "value": ov.hex()}
    return json.dumps(obj, separators=(",", ":"))


def trees():
    """The trees: name and list of keys. Values are value(position)."""
    k0 = key(0)
    yield "empty", []
    yield "one", [k0]
    # Split at depth 3, under an inner node with an Empty side at depths 0…2.
    yield "two", [k0, flip(k0, 3)]
    # key(1) and its last bit flipped: leaves at depth 160.
    yield "five", [key(1), key(2), key(3), key(4), flip(key(1), 159)]
    k7, k9 = key(7), key(9)
    yield "sixty-four", [key(i) for i in range(60)] + [
        flip(k7, 12),
        flip(k7, 40),
        flip(k9, 159),
        flip(k9, 158),
    ]


def absent_candidates(keys):
    """Keys to prove absent: near misses of present keys first (so that some
    proofs end at another leaf deep down, or at an Empty subtree beside a
    long shared prefix), then unrelated keys."""
    out = []
    for k in keys[:3]:
        for i in (159, 157, 5, 0):
            out.append(flip(k, i))
    out += [sha256(b"absent-%d" % i)[:20] for i in range(64)]
    present = set(keys)
    seen = set()
    return [k for k in out if k not in present and not (k in seen or seen.add(k))]


def vectors():
    result = []
    for name, keys in trees():
        assert len(set(keys)) == len(keys)
        leaves = sorted((k, value(i)) for i, k in enumerate(keys))
        root = subtree_hash(leaves, 0)
        # The present keys (of the large tree: every eighth, and those that
        # share long prefixes), then up to three absent keys of each kind.
        chosen = keys if len(keys) <= 8 else keys[::8] + keys[7:10] + keys[60:]
        targets = [(k, v) for k, v in leaves if k in chosen]
        per_kind = {"empty": 0, "other": 0}
        for k in absent_candidates(keys):
            kind = prove(leaves, k)["kind"]
            if per_kind[kind] < 3:
                per_kind[kind] += 1
                targets.append((k, None))
        proofs = []
        for k, v in targets:
            p = prove(leaves, k)
            assert verify(root, k, v, p), (name, k.hex())
            entry = {
                "key": k.hex(),
                "value": None if v is None else v.hex(),
                "kind": p["kind"],
                "depth": len(p["siblings"]),
                "siblings": [None if h == EMPTY else h.hex() for h in p["siblings"]],
                "binary": encode_binary(p).hex(),
                "json": encode_json(p),
            }
            if p["kind"] == "other":
                entry["otherKey"] = p["other"][0].hex()
                entry["otherValue"] = p["other"][1].hex()
            proofs.append(entry)
        result.append(
            {
                "name": name,
                "leaves": [{"key": k.hex(), "value": v.hex()} for k, v in leaves],
                "root": root.hex(),
                "proofs": proofs,
            }
        )
    return result


def main():
    out = {
        "comment": "generated by golden_smt.py in this directory; do not edit",
        "leafHash": {"key": key(0).hex(), "value": value(0).hex(), "hash": leaf_hash(key(0), value(0)).hex()},
        "nodeHash": {
            "left": EMPTY.hex(),
            "right": leaf_hash(key(0), value(0)).hex(),
            "hash": node_hash(EMPTY, leaf_hash(key(0), value(0))).hex(),
        },
        "trees": vectors(),
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
