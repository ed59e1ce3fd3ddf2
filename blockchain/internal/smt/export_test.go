package smt

// UpdateCounting is Update, also returning how many SHA-256 computations
// it did, for the tests and the benchmarks.
func UpdateCounting(t Tree, changes []Change) (Tree, int, error) { return t.update(changes) }

// NewNodes counts the nodes of next that prev does not hold: the nodes an
// update made, each of which it had to hash.
func NewNodes(prev, next Tree) int {
	old := map[*node]bool{}
	var mark func(n *node)
	mark = func(n *node) {
		if n == nil || old[n] {
			return
		}
		old[n] = true
		mark(n.left)
		mark(n.right)
	}
	mark(prev.root)
	var countNew func(n *node) int
	countNew = func(n *node) int {
		if n == nil || old[n] {
			return 0
		}
		return 1 + countNew(n.left) + countNew(n.right)
	}
	return countNew(next.root)
}

// CheckInvariants reports the first broken invariant of t's nodes (see
// node), or "" if there is none: leaf counts add up, no inner node holds
// fewer than two leaves, every hash is the hash of what it covers, and
// every leaf lies on its key's path.
func CheckInvariants(t Tree) string {
	var check func(n *node, depth int, prefix Key) (int, string)
	check = func(n *node, depth int, prefix Key) (int, string) {
		switch {
		case n == nil:
			return 0, ""
		case n.leaves == 1:
			if n.left != nil || n.right != nil {
				return 0, "a leaf with children"
			}
			if commonPrefixLen(&n.key, &prefix) < depth {
				return 0, "a leaf off its key's path"
			}
			if len(n.value) == 0 || len(n.value) > MaxValueLen {
				return 0, "a leaf with a value of a wrong length"
			}
			if n.hash != LeafHash(n.key, n.value) {
				return 0, "a leaf with a wrong hash"
			}
			return 1, ""
		}
		if depth >= KeyBits {
			return 0, "an inner node at depth KeyBits"
		}
		right := prefix
		right[depth/8] |= 0x80 >> (depth % 8)
		l, msg := check(n.left, depth+1, prefix)
		if msg != "" {
			return 0, msg
		}
		r, msg := check(n.right, depth+1, right)
		if msg != "" {
			return 0, msg
		}
		if l+r != n.leaves {
			return 0, "a wrong leaf count"
		}
		if n.leaves < 2 {
			return 0, "an inner node with fewer than two leaves"
		}
		if n.hash != NodeHash(hashOf(n.left), hashOf(n.right)) {
			return 0, "an inner node with a wrong hash"
		}
		return n.leaves, ""
	}
	_, msg := check(t.root, 0, Key{})
	return msg
}
