package blockchain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/eventchain/eventchain/blockchain"
)

// The proof fuzz targets, run like the others (see fuzz_test.go):
//
//	go test ./blockchain -run '^$' -fuzz FuzzVerifyInclusion -fuzztime 1m
//	go test ./blockchain -run '^$' -fuzz FuzzInclusionProofBinary -fuzztime 1m
//	go test ./blockchain -run '^$' -fuzz FuzzInclusionProofJSON -fuzztime 1m

// fuzzTreeMax bounds the trees FuzzVerifyInclusion builds.
const fuzzTreeMax = 300

// fuzzTrees caches the trees of counted leaves FuzzVerifyInclusion uses,
// by size: building them is not what is being fuzzed.
var fuzzTrees = struct {
	sync.Mutex
	m map[int]*blockchain.MerkleTree
}{m: map[int]*blockchain.MerkleTree{}}

func fuzzTree(n int) *blockchain.MerkleTree {
	fuzzTrees.Lock()
	defer fuzzTrees.Unlock()
	t, ok := fuzzTrees.m[n]
	if !ok {
		t = blockchain.NewMerkleTree(countedLeaves(n))
		fuzzTrees.m[n] = t
	}
	return t
}

// joinPath writes a path as the bytes of its hashes, one after another.
func joinPath(path []blockchain.Hash) []byte {
	var b []byte
	for _, h := range path {
		b = append(b, h[:]...)
	}
	return b
}

// FuzzVerifyInclusion hands VerifyInclusion a real tree's root and
// whatever leaf, index, count and path the fuzzer makes, starting from
// honest proofs. It must never panic, must answer nil or a *ProofError,
// and may accept only the real thing: one of the tree's leaves, with that
// leaf's own audit path, at its own index whenever the count is the real
// one. (With another count the same climb may be accepted; see
// TestProofCountIsNotInTheRoot.) Anything else verifying would be a
// SHA-256 collision — or a bug.
func FuzzVerifyInclusion(f *testing.F) {
	for _, seed := range []struct{ n, i int }{{1, 0}, {2, 1}, {5, 4}, {7, 2}, {8, 5}, {20, 19}, {33, 32}, {300, 157}} {
		p, err := fuzzTree(seed.n).Proof(seed.i)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint16(seed.n), countedLeaf(seed.i), p.Index, p.Count, joinPath(p.Path))
	}
	f.Fuzz(func(t *testing.T, size uint16, leaf []byte, index, count uint64, pathBytes []byte) {
		n := 1 + int(size)%fuzzTreeMax
		tree := fuzzTree(n)
		var path []blockchain.Hash
		for len(pathBytes) >= blockchain.HashSize && len(path) <= blockchain.MaxProofPathLen {
			path = append(path, blockchain.Hash(pathBytes))
			pathBytes = pathBytes[blockchain.HashSize:]
		}
		p := blockchain.InclusionProof{Index: index, Count: count, Path: path}

		err := blockchain.VerifyInclusion(tree.Root(), leaf, p)
		if err != nil {
			var pe *blockchain.ProofError
			if !errors.As(err, &pe) {
				t.Fatalf("undocumented error %T: %v", err, err)
			}
			return
		}
		// Accepted: it must be a real leaf with its real path.
		j := slices.IndexFunc(countedLeaves(n), func(l []byte) bool { return bytes.Equal(l, leaf) })
		if j < 0 {
			t.Fatalf("accepted a leaf the tree does not hold: %q as leaf %d of %d", leaf, index, count)
		}
		own, err := tree.Proof(j)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(own.Path, p.Path) {
			t.Fatalf("accepted leaf %d of %d with a path that is not its own: %x", j, n, joinPath(p.Path))
		}
		if count == uint64(n) && index != uint64(j) {
			t.Fatalf("accepted leaf %d of %d at index %d", j, n, index)
		}
	})
}

// checkProofDecodeError fails unless err wraps ErrMalformed and, if it
// wraps a *ProofError, that one names a documented reason.
func checkProofDecodeError(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, blockchain.ErrMalformed) {
		t.Fatalf("undocumented decode error %T: %v", err, err)
	}
	var pe *blockchain.ProofError
	if errors.As(err, &pe) && !errors.Is(err, blockchain.ErrProofIndex) && !errors.Is(err, blockchain.ErrProofLength) {
		t.Fatalf("a decoder's shape error with another reason: %v", err)
	}
}

// fuzzProofs returns honest proofs to seed the decoders with.
func fuzzProofs(tb testing.TB) []blockchain.InclusionProof {
	var out []blockchain.InclusionProof
	for _, seed := range []struct{ n, i int }{{1, 0}, {3, 2}, {7, 2}, {20, 19}} {
		p, err := fuzzTree(seed.n).Proof(seed.i)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// FuzzInclusionProofBinary: whatever bytes come in, UnmarshalBinary
// returns a proof of a valid shape or an error wrapping ErrMalformed; a
// decoded proof encodes back to the very same bytes (the encoding is
// canonical) and survives a trip through JSON.
func FuzzInclusionProofBinary(f *testing.F) {
	for _, p := range fuzzProofs(f) {
		b, err := p.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var p blockchain.InclusionProof
		if err := p.UnmarshalBinary(data); err != nil {
			checkProofDecodeError(t, err)
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("decoded a proof of an invalid shape: %v", err)
		}
		again, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("not canonical: read %x, wrote %x", data, again)
		}
		js, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("JSON: %v", err)
		}
		var back blockchain.InclusionProof
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatalf("decode own JSON %s: %v", js, err)
		}
		if back.Index != p.Index || back.Count != p.Count || !slices.Equal(back.Path, p.Path) {
			t.Fatalf("JSON round trip changed the proof: %s", js)
		}
	})
}

// FuzzInclusionProofJSON: whatever text comes in, UnmarshalJSON returns a
// proof of a valid shape or an error wrapping ErrMalformed; a decoded
// proof's own JSON decodes to the same proof, and so does its binary form.
func FuzzInclusionProofJSON(f *testing.F) {
	for _, p := range fuzzProofs(f) {
		b, err := p.MarshalJSON()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"path":[],"count":1,"index":0}`))
	f.Add([]byte(` {"index":0,"count":18446744073709551615,"path":[]} `))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p blockchain.InclusionProof
		if err := p.UnmarshalJSON(data); err != nil {
			checkProofDecodeError(t, err)
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("decoded a proof of an invalid shape: %v", err)
		}
		js, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var back blockchain.InclusionProof
		if err := back.UnmarshalJSON(js); err != nil {
			t.Fatalf("decode own JSON %s: %v", js, err)
		}
		if back.Index != p.Index || back.Count != p.Count || !slices.Equal(back.Path, p.Path) {
			t.Fatalf("JSON round trip changed the proof: %s", js)
		}
		bin, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("binary: %v", err)
		}
		var fromBin blockchain.InclusionProof
		if err := fromBin.UnmarshalBinary(bin); err != nil {
			t.Fatalf("decode own binary %x: %v", bin, err)
		}
		if fromBin.Index != p.Index || fromBin.Count != p.Count || !slices.Equal(fromBin.Path, p.Path) {
			t.Fatalf("binary round trip changed the proof: %x", bin)
		}
	})
}
