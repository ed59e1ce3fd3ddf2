// Package smt is a sparse Merkle tree: the authenticated map from account
// address to account state that a block header commits to in 32 bytes.
//
// # The problem
//
// The chain keeps a balance and a nonce for every account, keyed by its
// 20-byte address. A full node holds them all; a light client holds only
// block headers. To let the light client ask "what is the balance of
// address X at height h?" and believe the answer, each header carries a
// root hash of all accounts, and a full node answers with the value and a
// [Proof]: a few hashes that, combined with the value, give back the root.
// The light client checks that with [VerifyProof]. It must work the other
// way too: a proof that X has no account at all.
//
// # A tree of 2¹⁶⁰ positions
//
// Think of a binary tree of depth 160, with one position at the bottom for
// each possible [Key]. Bit i of the key (the most significant bit of byte
// 0 first) says whether to go left (0) or right (1) at depth i. Almost
// every position is empty — a chain with a million accounts uses one
// position in 10⁴² — so almost every subtree is empty, and has the hash
// [Empty] (32 zero bytes) without anyone computing it. That is what makes
// it sparse: only the paths to the leaves that exist have hashes to
// compute and store.
//
// Followed literally, though, every key would sit 160 levels down, and
// every update and proof would cost 160 hashes. So the tree is compacted
// as the Jellyfish Merkle tree of Diem and Aptos compacts it: a subtree
// that holds exactly one leaf is that leaf, at the subtree's top. A leaf
// therefore sits at the depth of the shortest prefix of its key that no
// other key shares, and in a tree of n random keys a leaf sits about
// log₂ n deep.
//
// # The rule
//
// Write S(p) for the set of leaves whose keys start with the bit string p,
// and d for the length of p (0 ≤ d ≤ 160). The hash of the subtree at p is
//
//	H(p) = Empty                              if S(p) is empty
//	H(p) = LeafHash(k, v)                     if S(p) holds one leaf, k with value v
//	H(p) = NodeHash(H(p‖0), H(p‖1))           if S(p) holds two or more leaves
//
//	LeafHash(k, v)  = SHA-256(0x10 ‖ k (20 bytes) ‖ v (1…64 bytes))
//	NodeHash(l, r)  = SHA-256(0x11 ‖ l ‖ r)
//
// and the tree's root is H of the empty prefix. Two leaves always differ
// somewhere in their 160 bits, so the third case never needs d = 160. An
// inner node exists exactly where its subtree holds two or more leaves:
// both of its sides may be non-empty, or one side may be Empty while the
// other holds two or more leaves (NodeHash(Empty, X) is a real node when X
// is an inner node), but a subtree with one leaf is never an inner node.
// Only leaves move up: a leaf's hash includes its whole key, so wherever
// it sits it says where it belongs, while an inner node's hash does not
// say at which depth its two sides split.
//
// The two prefixes (0x10, 0x11) separate leaves from inner nodes, so the
// bytes of one can never be passed off as the other; Empty is not the
// SHA-256 of anything anyone can find. Bitcoin's Merkle tree lacked such
// separation, and paid for it (see package blockchain's MerkleRoot).
//
// # A small tree
//
// Four keys, by their first bits: a = 0010…, b = 0110…, c = 0111…,
// d = 1100…. Key d alone starts with 1, so its leaf sits at depth 1; a
// alone starts with 00, at depth 2; b and c share 011, so they split at
// depth 3 and sit at depth 4. Nothing starts with 010, so that subtree is
// Empty (∅), and the node above it has one Empty side and one inner node:
//
//	depth 0                root = N(n0, Ld)
//	                      ┌───────┴────────┐
//	depth 1        n0 = N(La, n01)         Ld    d, alone under 1
//	              ┌───────┴───────┐
//	depth 2      La         n01 = N(∅, n011)     a, alone under 00
//	                       ┌──────┴──────┐
//	depth 3                ∅      n011 = N(Lb, Lc)
//	                             ┌──────┴──────┐
//	depth 4                      Lb            Lc     b = 0110…, c = 0111…
//
// with Lx = LeafHash(x, value of x) and N = NodeHash.
//
// # Proofs
//
// A proof for key k lists the siblings along k's path, root side first, as
// far as the search goes, and says where it ended ([ProofKind]):
//
//   - c is present: siblings Ld, La, ∅, Lb; kind leaf. The verifier
//     computes Lc from c and the value it was told, then N(Lb, Lc),
//     N(∅, ·), N(La, ·), N(·, Ld), and compares with the root.
//   - 0100… is absent: its path (0, 1, 0) reaches the Empty subtree at
//     depth 3. Siblings Ld, La, n011; kind empty.
//   - 0001… is absent: its path (0, 0) reaches a's leaf at depth 2, which
//     is alone under 00 and is not 0001…. Siblings Ld, n01; kind other,
//     with a's key and value so that the verifier can hash La itself and
//     see that the key differs.
//
// The verifier accepts only the exact root, and refuses proofs that no
// tree can produce — deeper than 160, or whose last sibling is Empty (the
// node below it would have been lifted), or whose "other" leaf is k
// itself or lies off k's path — with a [*ProofError]. Each key has
// exactly one valid proof per tree. [Proof] documents the binary and JSON
// forms, in enough detail to write a verifier in another language, such
// as a light client's JavaScript; testdata/golden_smt.py follows them in
// Python, and the tests check the Go code against its vectors.
//
// # Persistence
//
// A [Tree] never changes. [Tree.Update] applies a batch of changes — a
// block's worth — and returns a new Tree that shares every untouched node
// with the old one: the chain can keep the trees of recent heights to
// answer proofs about them, and can compute the root a block would give
// without committing to it, simply by not keeping the result. The update
// descends once for the whole batch and hashes each node it touches once,
// so a block of 41 changes to a tree of a hundred thousand accounts costs
// some 560 SHA-256 computations, 0.25–0.4 ms on a 2-vCPU machine
// (BenchmarkUpdateBlock). Trees are safe to share between goroutines.
//
// This package knows nothing of accounts: values are opaque bytes (1 to
// [MaxValueLen]; the chain stores 16, balance int64 and nonce uint64, both
// big-endian) and keys are any 20 bytes.
package smt
