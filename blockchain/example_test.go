package blockchain_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/pow"
)

// A transaction, a block, proof of work, and a chain that accepts the block.
func Example() {
	// Proof of work at 12 bits: about 4 000 hashes. One worker tries nonces
	// 0, 1, 2, … in order, so this example finds the same nonce every run.
	engine, err := pow.New(pow.Config{Bits: 12, Workers: 1})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	chain, err := blockchain.NewChain(blockchain.Config{Engine: engine, Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}

	tx := blockchain.NewTransaction(uuid.MustParse("6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5"), "alice", "bob", 125, now)
	txs := []blockchain.Transaction{tx}

	h := blockchain.NextHeader(chain.Tip(), txs, now) // links to the tip, commits to txs
	if err := engine.Prepare(chain, &h); err != nil { // sets Bits
		panic(err)
	}
	sealed, err := engine.Seal(context.Background(), blockchain.NewBlock(h, txs)) // finds the nonce
	if err != nil {
		panic(err)
	}
	if err := chain.Apply(sealed); err != nil {
		panic(err)
	}

	in, _ := chain.Inclusion(tx.ID())
	fmt.Println("height:", chain.Height())
	fmt.Println("zero bits:", sealed.Hash().LeadingZeroBits() >= 12)
	fmt.Println("nonce:", sealed.Header().Nonce)
	fmt.Println("tx included at height:", in.Height)
	// Output:
	// height: 1
	// zero bits: true
	// nonce: 9423
	// tx included at height: 1
}

// A chain refuses a block that does not extend its tip, and says why.
func ExampleChain_Apply() {
	chain, _ := blockchain.NewChain(blockchain.Config{Engine: noWork{}})
	h := blockchain.NextHeader(chain.Tip(), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h.Height = 5 // should be 1

	err := chain.Apply(blockchain.NewBlock(h, nil))
	fmt.Println(errors.Is(err, blockchain.ErrBadHeight))
	var re *blockchain.RuleError
	if errors.As(err, &re) {
		fmt.Printf("rule %s: have %s, want %s\n", re.Code, re.Have, re.Want)
	}
	// Output:
	// true
	// rule bad-height: have 5, want 1
}

// The original project's four transaction rules, and what breaking one looks like.
func ExampleCheckTransactionSanity() {
	id := uuid.MustParse("0e4f1c6a-9a55-4a4e-b1a8-2f1c3b5d7e90")
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tx := range []blockchain.Transaction{
		blockchain.NewTransaction(id, "alice", "bob", 10, at),
		blockchain.NewTransaction(id, "alice", "bob", 0, at),
		blockchain.NewTransaction(id, "", "bob", 10, at),
		blockchain.NewTransaction(id, "alice", "", 10, at),
		blockchain.NewTransaction(id, "alice", "alice", 10, at),
	} {
		fmt.Println(blockchain.CheckTransactionSanity(tx))
	}
	// Output:
	// <nil>
	// invalid-amount: have 0, want 1…9007199254740991
	// missing-sender: have "", want a sender
	// missing-receiver: have "", want a receiver
	// self-transfer: have from "alice" to "alice", want two different accounts
}

// Five leaves: the fifth has no partner, so it moves up unchanged and no
// leaf is ever duplicated. A duplicated last leaf therefore changes the
// root, as any other change does.
func ExampleMerkleRoot() {
	var leaves [][]byte
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		enc, _ := blockchain.NewTransaction(uuid.NewSHA1(uuid.NameSpaceOID, []byte(s)), s, "bank", 1,
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).MarshalBinary()
		leaves = append(leaves, enc) // a leaf holds a transaction's canonical encoding
	}
	root := blockchain.MerkleRoot(leaves)
	fmt.Println(len(root.String()), "hex digits")
	fmt.Println(root == blockchain.MerkleRoot(append(leaves, leaves[4])), "(a duplicated last leaf gives another root)")
	fmt.Println(root == blockchain.MerkleRoot(leaves[:4]), "(dropping a leaf changes it)")
	fmt.Println(root == blockchain.NodeHash(blockchain.MerkleRoot(leaves[:4]), blockchain.LeafHash(leaves[4])), "(the root joins the first four and the fifth)")
	// Output:
	// 64 hex digits
	// false (a duplicated last leaf gives another root)
	// false (dropping a leaf changes it)
	// true (the root joins the first four and the fifth)
}

// A light client holds only a block's header. To show it that a
// transaction is in the block, send it the transaction and its inclusion
// proof: a few hashes, which it checks against the header's MerkleRoot.
func ExampleBlock_InclusionProof() {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var txs []blockchain.Transaction
	for i, to := range []string{"bob", "carol", "dave", "erin", "frank"} {
		txs = append(txs, blockchain.NewTransaction(uuid.NewSHA1(uuid.NameSpaceOID, []byte(to)), "alice", to, int64(10*(i+1)), at))
	}
	block := blockchain.NewBlock(blockchain.NextHeader(blockchain.Genesis().Header(), txs, at), txs)

	proof, err := block.InclusionProof(2) // alice pays dave
	if err != nil {
		panic(err)
	}
	fmt.Printf("transaction %d of %d, %d hashes of proof\n", proof.Index, proof.Count, len(proof.Path))

	// The light client's side: a header it trusts, a transaction, a proof.
	root := block.Header().MerkleRoot
	fmt.Println("dave's payment:", blockchain.VerifyTxInclusion(root, txs[2], proof))
	forged := blockchain.NewTransaction(txs[2].ID(), "alice", "dave", 3000, at)
	err = blockchain.VerifyTxInclusion(root, forged, proof)
	fmt.Println("a forged amount refused:", errors.Is(err, blockchain.ErrProofMismatch))
	proof.Index = 3
	err = blockchain.VerifyTxInclusion(root, txs[2], proof)
	fmt.Println("another index refused:", errors.Is(err, blockchain.ErrProofMismatch))
	proof.Path = proof.Path[:2]
	fmt.Println(blockchain.VerifyTxInclusion(root, txs[2], proof))
	// Output:
	// transaction 2 of 5, 3 hashes of proof
	// dave's payment: <nil>
	// a forged amount refused: true
	// another index refused: true
	// inclusion proof: wrong path length: have 2 hashes, want 3 for leaf 3 of 5
}

// A Hash reads and writes as hexadecimal; proof of work counts its leading zero bits.
func ExampleHash_LeadingZeroBits() {
	h, err := blockchain.ParseHash("000fff" + strings.Repeat("0", 58))
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Short(), h.LeadingZeroBits())
	// Output: 000fff000000 12
}

// noWork is the smallest possible Consensus: no fields, no work, accepts
// all. (Package consensustest has fuller fakes.)
type noWork struct{}

func (noWork) Prepare(blockchain.ChainReader, *blockchain.Header) error { return nil }
func (noWork) Seal(ctx context.Context, b *blockchain.Block) (*blockchain.Block, error) {
	return b, ctx.Err()
}
func (noWork) Verify(blockchain.ChainReader, *blockchain.Block) error { return nil }

// A transaction is a value with a hash: SHA-256 of its canonical bytes.
// Change any field and the hash changes.
func ExampleNewTransaction() {
	at := time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)
	id := uuid.MustParse("00112233-4455-6677-8899-aabbccddeeff")
	tx := blockchain.NewTransaction(id, "alice", "bob", 125, at)
	fmt.Println(tx)
	fmt.Println("hash:", tx.Hash())

	more := blockchain.NewTransaction(id, "alice", "bob", 126, at)
	fmt.Println("one cent more:", more.Hash().Short())

	data, _ := json.Marshal(tx)
	fmt.Println(string(data))
	// Output:
	// tx 00112233-4455-6677-8899-aabbccddeeff "alice"→"bob" 125
	// hash: 81815e40bde21337722f49fa34f91a62641db7d5f6c8990c4ec815378b050695
	// one cent more: 5a2063facd1c
	// {"id":"00112233-4455-6677-8899-aabbccddeeff","from":"alice","to":"bob","amount":125,"timestamp":"2026-01-02T03:04:05.678Z","hash":"81815e40bde21337722f49fa34f91a62641db7d5f6c8990c4ec815378b050695"}
}

// A key pair from a seed, its account's address, and a signature anyone
// can check with the public key.
func ExampleNewPrivateKey() {
	seed := sha256.Sum256([]byte("alice")) // a wallet keeps 32 random bytes; this is for a stable example
	key, err := blockchain.NewPrivateKey(seed[:])
	if err != nil {
		panic(err)
	}
	msg := []byte("eventchain")
	sig := key.Sign(msg)
	fmt.Println("address:", key.Address())
	fmt.Println("valid:", key.Public().Verify(msg, sig[:]))
	fmt.Println("printed:", key) // never the seed
	// Output:
	// address: ec74b25808772b36251791ebb177f8fe85c49c2aafcaa7b8c6
	// valid: true
	// printed: PrivateKey(ec74b25808772b36251791ebb177f8fe85c49c2aafcaa7b8c6)
}

// A mistyped address is refused, and the error says why.
func ExampleParseAddress() {
	_, err := blockchain.ParseAddress("ec74b25808772b36251791ebb177f8fe85c49c2aafcaa7b8c6")
	fmt.Println(err)
	_, err = blockchain.ParseAddress("ec74b25808772b36251791ebb177f8fe85c49c2aafcaa7b8c7") // last digit off by one
	fmt.Println(errors.Is(err, blockchain.ErrAddressChecksum))
	_, err = blockchain.ParseAddress("ec74B25808772b36251791ebb177f8fe85c49c2aafcaa7b8c6")
	fmt.Println(err)
	// Output:
	// <nil>
	// true
	// parse address "ec74B25808772b36251791ebb177f8fe85c49c2aafcaa7b8c6": address holds a character that is not a lower-case hex digit at offset 4
}
