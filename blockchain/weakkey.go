package blockchain

import (
	"math/big"
	"slices"

	"github.com/oasisprotocol/curve25519-voi/curve"
)

// IsSmallOrder reports whether k encodes a point of small order: one of
// the eight points of the curve's torsion subgroup, the identity among
// them, in any encoding that decodes to it. Nobody holds the private key
// of such a point, and nobody needs one: with R = the identity and S = 0,
// the equation [S]B = R + [h]A that ed25519.Verify checks holds for every
// message when [h]A is the identity, which it is for the identity itself,
// and other such signatures exist for the rest. A transaction from the
// address of a small-order key is refused ([ErrWeakKey]): otherwise
// anyone could spend what was sent there. The standard library's
// ed25519.Verify accepts such keys, and [PublicKey.Verify] keeps to its
// rules; the chain refuses them by this separate rule, so that every
// node refuses the same transactions.
//
// It compares k with a table of the fourteen strings that decode to such
// a point, made once from the torsion points curve25519-voi gives; it
// costs a map lookup, not a point decompression.
func (k PublicKey) IsSmallOrder() bool {
	_, weak := smallOrderKeys[k]
	return weak
}

// smallOrderKeys holds every 32-byte string that decodes to a point of
// the torsion subgroup. A string decodes to the point whose y is its
// first 255 bits, little-endian, reduced mod p = 2²⁵⁵ − 19, with the sign
// of x its top bit; so the strings of a point with coordinate y are y and,
// if y + p < 2²⁵⁵ (y < 19), y + p, each with the top bit clear or set.
// The candidates that curve25519-voi decodes to a small-order point are
// kept: all fourteen, a top bit set on a point whose x is 0 included.
// TestSmallOrderKeys checks the table against the fourteen strings
// testdata/golden_small_order.py computes from the curve's equation, and
// FuzzIsSmallOrder against a direct decompression.
var smallOrderKeys = func() map[PublicKey]struct{} {
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	limit := new(big.Int).Lsh(big.NewInt(1), 255)
	out := make(map[PublicKey]struct{})
	for _, t := range curve.EIGHT_TORSION {
		var c curve.CompressedEdwardsY
		c.SetEdwardsPoint(t)
		y := littleEndian(c[:])
		y.SetBit(y, 255, 0)
		candidates := []*big.Int{y}
		if alt := new(big.Int).Add(y, p); alt.Cmp(limit) < 0 {
			candidates = append(candidates, alt)
		}
		for _, cand := range candidates {
			for _, sign := range []uint{0, 1} {
				var k PublicKey
				enc := cand.FillBytes(make([]byte, PublicKeySize))
				slices.Reverse(enc) // big-endian to little-endian
				copy(k[:], enc)
				k[31] |= byte(sign << 7)
				if decodesToSmallOrder(k) {
					out[k] = struct{}{}
				}
			}
		}
	}
	return out
}()

// littleEndian reads b as a little-endian unsigned integer.
func littleEndian(b []byte) *big.Int {
	be := slices.Clone(b)
	slices.Reverse(be)
	return new(big.Int).SetBytes(be)
}

// decodesToSmallOrder decompresses k with curve25519-voi and reports
// whether it is a point of small order: the slow, direct form of
// IsSmallOrder.
func decodesToSmallOrder(k PublicKey) bool {
	var c curve.CompressedEdwardsY
	if _, err := c.SetBytes(k[:]); err != nil {
		return false
	}
	var pt curve.EdwardsPoint
	if _, err := pt.SetCompressedY(&c); err != nil {
		return false
	}
	return pt.IsSmallOrder()
}
