#!/usr/bin/env python3
"""Every 32-byte string that decodes to an ed25519 point of small order.

Computed from the curve's equation alone, outside Go, for
TestSmallOrderKeysGolden:  -x^2 + y^2 = 1 + d x^2 y^2  over p = 2^255 - 19.

The points of order dividing 8 are:
  order 1: (0, 1)             order 2: (0, -1)
  order 4: (+-sqrt(-1), 0)    order 8: 2P has y = 0, that is x^2 = -y^2,
  so 2y^2 = 1 - d y^4, and y^2 = (-1 +- sqrt(1 + d)) / d
A string decodes to the point whose y is its low 255 bits (little-endian)
mod p and whose x has the sign (low bit) given by the top bit. So each y
gives the strings y and, if y + p < 2^255, y + p, each with the top bit
clear or set, and a set top bit decodes for x = 0 too (as the Go
libraries decode it; RFC 8032 would refuse that one).

Run: python3 golden_small_order.py > small_order_keys.txt
"""

p = 2**255 - 19
d = (-121665 * pow(121666, p - 2, p)) % p


def sqrt(a):
    """A square root of a mod p (p = 5 mod 8), or None."""
    a %= p
    r = pow(a, (p + 3) // 8, p)
    if r * r % p == a:
        return r
    r = r * pow(2, (p - 1) // 4, p) % p
    if r * r % p == a:
        return r
    return None


ys = {1, p - 1, 0}
inv_d = pow(d, p - 2, p)
s = sqrt(1 + d)
assert s is not None
for y2 in ((-1 + s) * inv_d % p, (-1 - s) * inv_d % p):
    y = sqrt(y2)
    if y is not None:
        ys.update({y, p - y})
assert len(ys) == 5, ys

# Check every y is on the curve with an x.
for y in ys:
    x2 = (y * y - 1) * pow(d * y * y + 1, p - 2, p) % p
    assert x2 == 0 or sqrt(x2) is not None, y

out = set()
for y in ys:
    for enc_y in (y, y + p):
        if enc_y >= 2**255:
            continue
        for sign in (0, 1):
            out.add((enc_y | (sign << 255)).to_bytes(32, "little").hex())
for h in sorted(out):
    print(h)
