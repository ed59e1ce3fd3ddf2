package smt_test

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/eventchain/eventchain/blockchain/internal/smt"
)

// Example builds the small tree drawn in the package documentation —
// keys a = 0010…, b = 0110…, c = 0111…, d = 1100… — and proves one key
// present and two absent, as a full node would for a light client that
// holds only the root.
func Example() {
	a, b, c, d := smt.Key{0x20}, smt.Key{0x60}, smt.Key{0x70}, smt.Key{0xc0}
	state := func(balance int64, nonce uint64) []byte { // what the chain stores
		v := binary.BigEndian.AppendUint64(nil, uint64(balance))
		return binary.BigEndian.AppendUint64(v, nonce)
	}

	var genesis smt.Tree // the zero Tree is empty
	h1, err := genesis.Update([]smt.Change{
		{Key: a, Value: state(100, 0)},
		{Key: b, Value: state(250, 3)},
		{Key: c, Value: state(7, 1)},
		{Key: d, Value: state(42, 0)},
	})
	if err != nil {
		panic(err)
	}
	root := h1.Root() // what the header of height 1 would carry
	fmt.Println("accounts:", h1.Len(), "- genesis still empty:", genesis.Root() == smt.Empty)

	// c holds 7 with nonce 1: four siblings (Ld, La, Empty, Lb), one of them Empty.
	p := h1.Prove(c)
	fmt.Println("c:", p.Kind, "at depth", len(p.Siblings), "- verify:", smt.VerifyProof(root, c, state(7, 1), p))
	err = smt.VerifyProof(root, c, state(8, 1), p)
	fmt.Println("c with balance 8:", errors.Is(err, smt.ErrProofMismatch))

	// 0100… and 0001… have no account.
	e, f := smt.Key{0x40}, smt.Key{0x10}
	pe, pf := h1.Prove(e), h1.Prove(f)
	fmt.Println("0100…:", pe.Kind, "at depth", len(pe.Siblings), "- verify:", smt.VerifyProof(root, e, nil, pe))
	fmt.Println("0001…:", pf.Kind, "at depth", len(pf.Siblings), "- a's leaf:", pf.OtherKey == a, "- verify:", smt.VerifyProof(root, f, nil, pf))

	// A block moves 5 from b to c; height 1's tree is unchanged.
	h2, _ := h1.Update([]smt.Change{{Key: b, Value: state(245, 4)}, {Key: c, Value: state(12, 1)}})
	v, _ := h1.Get(c)
	fmt.Println("new root:", h2.Root() != root, "- c at height 1 still has", int64(binary.BigEndian.Uint64(v)))

	// Output:
	// accounts: 4 - genesis still empty: true
	// c: leaf at depth 4 - verify: <nil>
	// c with balance 8: true
	// 0100…: empty at depth 3 - verify: <nil>
	// 0001…: other at depth 2 - a's leaf: true - verify: <nil>
	// new root: true - c at height 1 still has 7
}
