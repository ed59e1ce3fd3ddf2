package blockchain

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
)

// MaxBlockTransactions is the most transactions one block may hold.
const MaxBlockTransactions = 10_000

// A Block is a [Header] and the transactions it commits to.
//
// A Block keeps the Merkle tree of its transactions (see [MerkleRoot]),
// about 64 bytes per transaction, so that [Block.InclusionProof] costs
// O(log n) and hashes nothing.
//
// A Block is immutable once built, which is what makes it safe to share
// between goroutines and to cache its hash (the header's Hash, seal
// included): [NewBlock] copies what it is given, accessors return copies,
// and [Block.WithHeader] returns a new Block rather than changing this
// one. Build blocks with NewBlock (or [NextHeader] then NewBlock); the
// zero Block is not useful.
//
// A Block is safe for concurrent use.
type Block struct {
	header Header
	txs    []Transaction
	hash   Hash
	txRoot Hash        // TxMerkleRoot(txs), computed once
	tree   *MerkleTree // the transactions' Merkle tree, for InclusionProof; shared by WithHeader
	sigs   *txCheck    // the answer of VerifySignatures, once known; shared by WithHeader
	form   *txCheck    // the answer of Validate's checks of the transactions alone; shared too
}

// txCheck remembers the answer of a check that looks at nothing but a
// block's transactions, which never change: whether their signatures
// verified, or whether they keep the sanity rules. Each is checked once
// per block, whoever asks first.
type txCheck struct {
	once sync.Once
	err  error
}

// answer returns the remembered answer, computing it with check the first
// time. A nil txCheck (the zero Block's) remembers nothing.
func (c *txCheck) answer(check func() error) error {
	if c == nil {
		return check()
	}
	c.once.Do(func() { c.err = check() })
	return c.err
}

// NewBlock builds a block from a header and transactions, copying both. It
// checks nothing, so tests can build invalid blocks on purpose; see
// [Block.Validate] and [Chain.Apply].
func NewBlock(h Header, txs []Transaction) *Block {
	h.Timestamp = normalizeTime(h.Timestamp)
	h.Seal = cloneSeal(h.Seal)
	var own []Transaction // an empty block holds nil, however it was built
	if len(txs) > 0 {
		own = slices.Clone(txs)
	}
	return newBlock(h, own)
}

// newBlock builds a block from a header whose time and seal are already
// normalized and copied, and transactions it may keep.
func newBlock(h Header, txs []Transaction) *Block {
	tree := newTxTree(txs)
	return &Block{header: h, txs: txs, hash: h.Hash(), txRoot: tree.Root(), tree: tree, sigs: new(txCheck), form: new(txCheck)}
}

// NextHeader returns the header of a block that would extend parent with
// txs at time now: Version, Height, PrevHash (parent.Hash(), which covers
// the parent's seal), MerkleRoot, TxCount and Timestamp are filled in.
// Beneficiary and StateRoot are left to the caller ([Chain.Propose] fills
// both), Bits, Nonce and Seal to the [Consensus] engine's Prepare and Seal.
func NextHeader(parent Header, txs []Transaction, now time.Time) Header {
	return Header{
		Version:    HeaderVersion,
		Height:     parent.Height + 1,
		PrevHash:   parent.Hash(),
		MerkleRoot: TxMerkleRoot(txs),
		TxCount:    uint32(min(uint64(len(txs)), math.MaxUint32)),
		Timestamp:  normalizeTime(now),
	}
}

// Header returns a copy of the block's header (its Seal copied too).
func (b *Block) Header() Header {
	h := b.header
	h.Seal = cloneSeal(h.Seal)
	return h
}

// clone returns a copy of h whose Seal is its own.
func (h Header) clone() Header {
	h.Seal = cloneSeal(h.Seal)
	return h
}

// cloneSeal copies a seal; an empty one is nil.
func cloneSeal(seal []byte) []byte {
	if len(seal) == 0 {
		return nil
	}
	return slices.Clone(seal)
}

// Hash returns the block hash, the block's identity: [Header.Hash], which
// covers the seal. It was computed when the block was built.
func (b *Block) Hash() Hash { return b.hash }

// SealHash returns [Header.SealHash] of the block's header: the hash of
// everything but the seal, which a consensus engine solves or signs. For a
// block without a seal it equals Hash. Unlike Hash it is not cached: only
// an engine's Seal and Verify need it, once per block.
func (b *Block) SealHash() Hash { return b.header.SealHash() }

// Height returns the header's height.
func (b *Block) Height() uint64 { return b.header.Height }

// PrevHash returns the hash of the parent block.
func (b *Block) PrevHash() Hash { return b.header.PrevHash }

// TxRoot returns the Merkle root of the transactions the block holds
// ([TxMerkleRoot]), computed when it was built. In a valid block it equals
// the header's MerkleRoot; Validate checks exactly that.
func (b *Block) TxRoot() Hash { return b.txRoot }

// InclusionProof returns the proof that transaction i is in the block: its
// index, the number of transactions and its audit path in the block's
// Merkle tree, which [VerifyTxInclusion] checks against TxRoot — in a
// valid block, the header's MerkleRoot. It costs O(log n): the tree was
// built with the block. An i outside 0…Len()−1 gives a [*ProofError]
// wrapping [ErrProofIndex].
func (b *Block) InclusionProof(i int) (InclusionProof, error) {
	if b.tree == nil { // the zero Block: no transactions
		return (&MerkleTree{}).Proof(i)
	}
	return b.tree.Proof(i)
}

// Len returns the number of transactions.
func (b *Block) Len() int { return len(b.txs) }

// Transactions returns a copy of the block's transactions, in order.
func (b *Block) Transactions() []Transaction { return slices.Clone(b.txs) }

// Transaction returns the i-th transaction; it panics if i is out of range,
// like a slice index.
func (b *Block) Transaction(i int) Transaction { return b.txs[i] }

// WithHeader returns a new block with header h and this block's
// transactions. A consensus engine's Seal uses it to return the sealed block.
func (b *Block) WithHeader(h Header) *Block {
	h.Timestamp = normalizeTime(h.Timestamp)
	h.Seal = cloneSeal(h.Seal)
	// Transactions are immutable, so sharing the slice is safe: no Block
	// method ever writes to it.
	return &Block{header: h, txs: b.txs, hash: h.Hash(), txRoot: b.txRoot, tree: b.tree, sigs: b.sigs, form: b.form}
}

// String returns a short summary for logs: height, hash prefix, tx count.
func (b *Block) String() string {
	return fmt.Sprintf("block %d %s (%d txs)", b.header.Height, b.hash.Short(), len(b.txs))
}

// Validate checks that the block is consistent in itself, without a parent
// (the "sanity" checks, in btcd's words), in this order: a known header
// version, Bits of at most 256, a Seal of at most MaxSealLen bytes, a
// timestamp from 1970 to the end of 9999, a beneficiary (every block but
// genesis), at most MaxBlockTransactions transactions, a TxCount that is
// the number of transactions, each transaction in turn keeping the
// transaction sanity rules but the signature and not listed before it
// (so a duplicate is reported before a later transaction's form), and a
// MerkleRoot that matches the transactions. It returns the first failure
// as a [*RuleError]: the cheap checks of the header come before those
// that look at every transaction.
//
// The checks of the transactions, which look at nothing else, are made
// once per block and remembered, as VerifySignatures remembers its
// answer: a node may validate many blocks on all its cores before it
// applies them one by one. Signatures are checked by
// [Block.VerifySignatures], which is costlier; [Chain.Apply] runs both.
// Whether the block fits the chain (parent, height, time, nonces,
// balances, state root, proof of work) is Chain.Apply's question.
func (b *Block) Validate() error {
	h := b.header
	if h.Version != HeaderVersion {
		return ruleErr(ErrBadVersion, h.Version, HeaderVersion)
	}
	if h.Bits > HashSize*8 {
		return ruleErr(ErrBadBits, h.Bits, fmt.Sprintf("at most %d", HashSize*8))
	}
	if len(h.Seal) > MaxSealLen {
		return ruleErr(ErrSealTooLong, fmt.Sprintf("%d bytes", len(h.Seal)), fmt.Sprintf("at most %d", MaxSealLen))
	}
	if !timestampInRange(h.Timestamp) {
		return ruleErr(ErrBadTimestamp, h.Timestamp.Format(time.RFC3339Nano), "between 1970 and 9999")
	}
	if h.Height > 0 && h.Beneficiary.IsZero() {
		return ruleErr(ErrMissingBeneficiary, "the zero address", "the address paid for the block")
	}
	if len(b.txs) > MaxBlockTransactions {
		return ruleErr(ErrTooManyTransactions, len(b.txs), fmt.Sprintf("at most %d", MaxBlockTransactions))
	}
	if uint64(h.TxCount) != uint64(len(b.txs)) {
		return ruleErr(ErrBadTxCount, h.TxCount, len(b.txs))
	}
	if err := b.checkTransactions(); err != nil {
		return err
	}
	if b.txRoot != h.MerkleRoot {
		return ruleErr(ErrBadMerkleRoot, h.MerkleRoot, b.txRoot)
	}
	return nil
}

// checkTransactions is the part of Validate that looks at the
// transactions alone: each keeps the sanity rules but the signature, and
// none is listed twice. The answer is remembered.
func (b *Block) checkTransactions() error {
	return b.form.answer(func() error {
		seen := make(map[uuid.UUID]struct{}, len(b.txs))
		for i, tx := range b.txs {
			if err := checkTransactionForm(tx); err != nil {
				return fmt.Errorf("transaction %d (%s): %w", i, tx.ID(), err)
			}
			if _, dup := seen[tx.ID()]; dup {
				return ruleErr(ErrDuplicateTransaction, tx.ID(), "each transaction once")
			}
			seen[tx.ID()] = struct{}{}
		}
		return nil
	})
}

// VerifySignatures checks every transaction's signature ([RuleSignature])
// and returns the first failure, as "transaction 3 (…): …" wrapping a
// [*RuleError] with code [ErrBadSignature] (or [ErrWeakKey], for a key
// of small order), or nil.
//
// It does the work once per block and remembers the answer, for this
// block and for every block WithHeader makes from it (they hold the same
// transactions). So a node may verify the signatures of many blocks in
// parallel, on all its cores, before it applies them one by one: Apply
// then finds the answer ready. It is safe for concurrent use.
func (b *Block) VerifySignatures() error { return b.VerifySignaturesCached(nil) }

// VerifySignaturesCached is [Block.VerifySignatures] through cache (nil:
// none): a transaction the cache remembers is not verified again, and
// one verified here is remembered. A node that checked a transaction
// when it was submitted so checks it once, not once more in its block.
// The block remembers its answer as VerifySignatures does, whichever of
// the two computed it.
func (b *Block) VerifySignaturesCached(cache *SigCache) error {
	return b.sigs.answer(func() error {
		for i, tx := range b.txs {
			ok := false
			if cache != nil {
				ok = cache.Verify(tx)
			} else {
				ok = tx.VerifySignature()
			}
			if !ok {
				return fmt.Errorf("transaction %d (%s): %w", i, tx.ID(), RuleSignature().Check(tx))
			}
		}
		return nil
	})
}

// MarshalBinary encodes the block as its 152-byte header, a uint32 count of
// transactions, each transaction's canonical encoding preceded by its
// uint32 length, and, if the header has a Seal, its uint16 length and the
// seal (all big-endian). A block without a seal ends after its
// transactions.
func (b *Block) MarshalBinary() ([]byte, error) {
	out, err := b.header.AppendBinary(make([]byte, 0, HeaderSize+4+len(b.txs)*(txMaxLen+4)))
	if err != nil {
		return nil, fmt.Errorf("block: %w", err)
	}
	out = binary.BigEndian.AppendUint32(out, uint32(len(b.txs)))
	for _, tx := range b.txs {
		enc, err := tx.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(enc)))
		out = append(out, enc...)
	}
	if seal := b.header.Seal; len(seal) > 0 {
		if len(seal) > math.MaxUint16 {
			return nil, fmt.Errorf("block: seal of %d bytes is too long to encode", len(seal))
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(seal)))
		out = append(out, seal...)
	}
	return out, nil
}

// UnmarshalBinary decodes what MarshalBinary writes. Truncated data, a
// count that does not match, a transaction whose length disagrees with its
// contents, and trailing bytes are all errors wrapping [ErrMalformed]. It
// checks no rule; see [Block.Validate].
func (b *Block) UnmarshalBinary(data []byte) error {
	if len(data) < HeaderSize+4 {
		return malformed("block", "have %d bytes, want at least %d", len(data), HeaderSize+4)
	}
	var h Header
	if err := h.UnmarshalBinary(data[:HeaderSize]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(data[HeaderSize:])
	rest := data[HeaderSize+4:]
	// Never trust a count to size an allocation: each transaction takes at
	// least 4+txMinLen bytes, so the data itself bounds it.
	txs := make([]Transaction, 0, min(uint64(n), uint64(len(rest)/(4+txMinLen))))
	chainID := "" // the chain ID of the transaction before, which the next most likely shares
	for i := range n {
		if len(rest) < 4 {
			return malformed("block", "transaction %d of %d: data ends", i, n)
		}
		size := binary.BigEndian.Uint32(rest)
		rest = rest[4:]
		if uint64(size) > uint64(len(rest)) {
			return malformed("block", "transaction %d: length %d runs past the end", i, size)
		}
		tx, used, err := decodeTransaction(rest[:size], chainID)
		if err == nil && used != int(size) {
			err = malformed("transaction", "%d trailing bytes", int(size)-used)
		}
		if err != nil {
			return fmt.Errorf("block: transaction %d: %w", i, err)
		}
		chainID = tx.f.ChainID
		txs = append(txs, tx)
		rest = rest[size:]
	}
	if len(rest) > 0 { // the seal: a uint16 length, at least 1, and that many bytes
		if len(rest) < 2 {
			return malformed("block", "%d trailing bytes", len(rest))
		}
		n := int(binary.BigEndian.Uint16(rest))
		if n == 0 || len(rest)-2 != n {
			return malformed("block", "seal: length %d, have %d bytes after it", n, len(rest)-2)
		}
		h.Seal = slices.Clone(rest[2:])
	}
	if len(txs) == 0 {
		txs = nil // as NewBlock keeps an empty block
	}
	// txs is this decoder's own slice: no need for NewBlock's copy.
	h.Timestamp = normalizeTime(h.Timestamp)
	*b = *newBlock(h, txs)
	return nil
}

// blockJSON is the JSON form of a Block.
type blockJSON struct {
	Hash         *Hash         `json:"hash,omitempty"`
	Header       Header        `json:"header"`
	Transactions []Transaction `json:"transactions"`
}

// MarshalJSON encodes the block as {"hash":…, "header":{…}, "transactions":[…]}.
func (b *Block) MarshalJSON() ([]byte, error) {
	h := b.hash
	txs := b.txs
	if txs == nil {
		txs = []Transaction{}
	}
	return json.Marshal(blockJSON{Hash: &h, Header: b.header, Transactions: txs})
}

// UnmarshalJSON decodes the form MarshalJSON writes. Unknown fields (names
// are case-sensitive), repeated ones, a missing or null "header" or
// "transactions", and trailing data are errors wrapping [ErrMalformed]
// (an empty block's transactions are [], as MarshalJSON writes them); a
// "hash" (of the block
// or of any transaction) that the contents do not have is a [*RuleError]
// with code [ErrBadHash]. It checks no other rule; see [Block.Validate].
func (b *Block) UnmarshalJSON(data []byte) error {
	if _, err := jsonMembers(data, []string{"hash", "header", "transactions"}, []string{"header", "transactions"}); err != nil {
		return malformed("block", "%v", err)
	}
	var w blockJSON
	if err := strictJSON(data, &w); err != nil {
		return decodeErr("block", err)
	}
	d := NewBlock(w.Header, w.Transactions)
	if w.Hash != nil && *w.Hash != d.hash {
		return ruleErr(ErrBadHash, w.Hash.String(), d.hash.String())
	}
	*b = *d
	return nil
}

// decodeErr keeps the errors of this package's own decoders (a RuleError
// for a forged hash, or an ErrMalformed) and marks anything else from
// encoding/json as malformed.
func decodeErr(what string, err error) error {
	var re *RuleError
	if errors.As(err, &re) || errors.Is(err, ErrMalformed) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return malformed(what, "%v", err)
}

// DecodeBlockHeader returns the header, seal included, of a block's
// binary encoding ([Block.MarshalBinary]) without decoding its
// transactions: it steps over them by their lengths. Its Hash is the
// block's hash. It is for a reader that needs only the chain of hashes —
// a node looking for a trusted block's ancestors — and checks less than
// [Block.UnmarshalBinary]: the transactions are not looked at, so a block
// whose header it returns may still fail to decode. Data that cannot be a
// block's encoding gives an error wrapping [ErrMalformed].
func DecodeBlockHeader(data []byte) (Header, error) {
	if len(data) < HeaderSize+4 {
		return Header{}, malformed("block", "have %d bytes, want at least %d", len(data), HeaderSize+4)
	}
	var h Header
	if err := h.UnmarshalBinary(data[:HeaderSize]); err != nil {
		return Header{}, err
	}
	n := binary.BigEndian.Uint32(data[HeaderSize:])
	rest := data[HeaderSize+4:]
	for i := range n {
		if len(rest) < 4 {
			return Header{}, malformed("block", "transaction %d of %d: data ends", i, n)
		}
		size := binary.BigEndian.Uint32(rest)
		if uint64(size) > uint64(len(rest)-4) {
			return Header{}, malformed("block", "transaction %d: length %d runs past the end", i, size)
		}
		rest = rest[4+size:]
	}
	if len(rest) > 0 {
		if len(rest) < 2 {
			return Header{}, malformed("block", "%d trailing bytes", len(rest))
		}
		if n := int(binary.BigEndian.Uint16(rest)); n == 0 || len(rest)-2 != n {
			return Header{}, malformed("block", "seal: length %d, have %d bytes after it", n, len(rest)-2)
		}
		h.Seal = slices.Clone(rest[2:])
	}
	return h, nil
}
