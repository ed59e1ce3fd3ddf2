package blockchain_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/blockchain/pow"
)

// Alice pays Bob on a network of their own: keys and addresses, the
// chain spec, a signed transfer, a block proposed, sealed by proof of
// work and applied, and the balances after.
func Example() {
	// An account is a key pair; its address comes from the public key. A
	// wallet draws 32 random bytes as a key's seed; fixed seeds keep this
	// example's output the same on every run.
	key := func(name string) blockchain.PrivateKey {
		seed := sha256.Sum256([]byte(name))
		k, err := blockchain.NewPrivateKey(seed[:])
		if err != nil {
			panic(err)
		}
		return k
	}
	alice, bob, miner := key("alice"), key("bob"), key("miner")

	// The network: its chain ID, who holds what at genesis, the block
	// reward, and proof of work at 12 bits (about 4 000 hashes a block).
	spec := blockchain.ChainSpec{
		ChainID:     "eventchain-example",
		Alloc:       []blockchain.Allocation{{Address: alice.Address(), Balance: 1_000}},
		BlockReward: 50,
		Consensus:   blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &blockchain.PoWSpec{Bits: 12}},
	}
	// One worker tries nonces 0, 1, 2, … in order: the same nonce every run.
	engine, err := pow.New(pow.Config{Bits: 12, Workers: 1})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	chain, err := blockchain.NewChain(blockchain.Config{Spec: spec, Engine: engine, Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}

	// Alice signs a transfer of 125 to Bob, with a fee of 1 for the
	// miner. It is her first transfer: nonce 0.
	tx := blockchain.Transfer{ChainID: spec.ChainID, To: bob.Address(), Amount: 125, Fee: 1, Nonce: 0}.Sign(alice)

	// The miner proposes the next block (the chain runs the transfer and
	// the reward, and puts the state root in the header), seals it, and
	// the chain applies it.
	block, rejected, err := chain.Propose(miner.Address(), []blockchain.Transaction{tx}, now)
	if err != nil || len(rejected) > 0 {
		panic(fmt.Sprint(err, rejected))
	}
	sealed, err := engine.Seal(context.Background(), block) // finds the nonce
	if err != nil {
		panic(err)
	}
	if err := chain.Apply(sealed); err != nil {
		panic(err)
	}

	fmt.Println("height:", chain.Height(), "nonce:", sealed.Header().Nonce, "hash:", sealed.Hash().Short()+"…")
	for _, k := range []struct {
		name string
		addr blockchain.Address
	}{{"alice", alice.Address()}, {"bob", bob.Address()}, {"miner", miner.Address()}} {
		fmt.Printf("%-5s %s %+v\n", k.name, k.addr.Short(), chain.Account(k.addr))
	}

	// The same signed transfer again: its nonce is used.
	_, rejected, _ = chain.Propose(miner.Address(), []blockchain.Transaction{tx}, now)
	fmt.Println("again:", rejected[0].Err)
	// Output:
	// height: 1 nonce: 5262 hash: 000e47a189c5…
	// alice ec74b25808 {Balance:874 Nonce:1}
	// bob   ecf8fa4b0d {Balance:125 Nonce:0}
	// miner ecedd94cff {Balance:51 Nonce:0}
	// again: bad-nonce: have 0, want 1
}

// A chain refuses a block that does not extend its tip, and says why.
func ExampleChain_Apply() {
	chain, _ := blockchain.NewChain(consensustest.Config(consensustest.NewFaker()))
	block, _, _ := chain.Propose(consensustest.Addr("miner"), nil, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := block.Header()
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

// A miner hands Propose the transactions it would include; the block
// holds those that apply, in order, and the others come back with the
// rule each breaks.
func ExampleChain_Propose() {
	chain := consensustest.NewChain(consensustest.NewFaker())
	txs := []blockchain.Transaction{
		consensustest.Transfer("alice", "bob", 100, 0),
		consensustest.Transfer("alice", "carol", 50, 1), // alice's next nonce
		consensustest.Transfer("alice", "dave", 10, 1),  // nonce 1 again
		consensustest.Transfer("nobody", "bob", 1, 0),   // an account never funded
		blockchain.Transfer{ChainID: "eventchain-other", To: consensustest.Addr("bob"), Amount: 5}.Sign(consensustest.Key("carol")),
	}
	block, rejected, err := chain.Propose(consensustest.Addr("miner"), txs, blockchain.GenesisTime.Add(time.Minute))
	if err != nil {
		panic(err)
	}
	fmt.Println("block", block.Height(), "holds", block.Len(), "transactions")
	for _, r := range rejected {
		var re *blockchain.RuleError
		errors.As(r.Err, &re)
		fmt.Println("left out:", re.Code)
	}
	fmt.Println("applies:", chain.Apply(block))
	fmt.Printf("alice %+v\n", chain.Account(consensustest.Addr("alice")))
	// Output:
	// block 1 holds 2 transactions
	// left out: bad-nonce
	// left out: insufficient-funds
	// left out: wrong-chain
	// applies: <nil>
	// alice {Balance:999850 Nonce:2}
}

// The transaction sanity rules, and what breaking one looks like. Only
// alice's key makes a transfer from alice's account: mallory can sign
// with her own key and name alice as the sender, or change a transfer
// alice signed, and both are refused.
func ExampleCheckTransactionSanity() {
	alice, mallory := consensustest.Key("alice"), consensustest.Key("mallory")
	bob := consensustest.Addr("bob")
	valid := blockchain.Transfer{ChainID: "eventchain-test", To: bob, Amount: 10}.Sign(alice)

	claimed := valid.Fields() // mallory's key, alice's account
	claimed.PublicKey = mallory.Public()
	claimedSig := mallory.Sign(claimed.SignedMessage())

	raised := valid.Fields() // alice's transfer, the amount raised
	raised.Amount = 1000
	sig := valid.Signature()

	for _, tx := range []blockchain.Transaction{
		valid,
		blockchain.Transfer{ChainID: "eventchain-test", To: bob, Amount: 0}.Sign(alice),
		blockchain.Transfer{ChainID: "eventchain-test", To: bob, Amount: 10, Fee: -1}.Sign(alice),
		blockchain.Transfer{ChainID: "Eventchain Test", To: bob, Amount: 10}.Sign(alice),
		blockchain.NewTransaction(claimed, claimedSig[:]),
		blockchain.NewTransaction(raised, sig[:]),
	} {
		err := blockchain.CheckTransactionSanity(tx)
		var re *blockchain.RuleError
		if errors.As(err, &re) {
			fmt.Println(re.Code)
			continue
		}
		fmt.Println(err)
	}
	// Output:
	// <nil>
	// invalid-amount
	// invalid-fee
	// bad-chain-id
	// sender-not-key
	// bad-signature
}

// A wallet, in whatever language, signs a transaction's signed message
// (TxFields.SignedMessage); NewTransaction assembles the transaction
// from its fields and that signature, and the rules check it. The
// values are those of testdata/tx_vectors.json, which
// testdata/golden_tx.py computes in Python.
func ExampleNewTransaction() {
	seed := sha256.Sum256([]byte("alice"))
	key, err := blockchain.NewPrivateKey(seed[:])
	if err != nil {
		panic(err)
	}
	to, err := blockchain.ParseAddress("ec7ca990faae94a9207a1535341bb940c440318975ba742c4a")
	if err != nil {
		panic(err)
	}
	f := blockchain.TxFields{ChainID: "eventchain-devnet", From: key.Address(), To: to, Amount: 125, Fee: 0, Nonce: 0, PublicKey: key.Public()}
	sig := key.Sign(f.SignedMessage()) // the wallet's part
	tx := blockchain.NewTransaction(f, sig[:])
	fmt.Println(tx)
	fmt.Println("hash:", tx.Hash())
	fmt.Println("rules:", blockchain.CheckTransactionSanity(tx))

	f.Amount = 126 // one cent more, under the same signature
	err = blockchain.CheckTransactionSanity(blockchain.NewTransaction(f, sig[:]))
	fmt.Println("one cent more:", errors.Is(err, blockchain.ErrBadSignature))

	data, _ := json.Marshal(tx)
	fmt.Println(strings.ReplaceAll(string(data), `,"`, ",\n "+`"`))
	// Output:
	// tx 5c9a54d9-5cb4-8b0a-a962-3806b78e60b5 ec74b25808→ec7ca990fa 125 fee 0 nonce 0
	// hash: a404f2ff7a58f948a5278dd5c54552efd106c8a4ff50d22658ced4f35eed9491
	// rules: <nil>
	// one cent more: true
	// {"id":"5c9a54d9-5cb4-8b0a-a962-3806b78e60b5",
	//  "chainId":"eventchain-devnet",
	//  "from":"ec74b25808772b36251791ebb177f8fe85c49c2aafcaa7b8c6",
	//  "to":"ec7ca990faae94a9207a1535341bb940c440318975ba742c4a",
	//  "amount":125,
	//  "fee":0,
	//  "nonce":0,
	//  "publicKey":"d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac4",
	//  "signature":"761a2265b56783104131d9ea00156c32a12f4bf5a096ecbe4b34836cf22355256e4795a84cd1faab7a709c1c764e9680c301ff21e848cc405c6d4590c3a75d0d",
	//  "hash":"a404f2ff7a58f948a5278dd5c54552efd106c8a4ff50d22658ced4f35eed9491"}
}

// A sender signs a transfer. Its ID comes from what is signed, so the
// sender knows it before submitting, and signing the same transfer again
// (a retry) gives the very same transaction.
func ExampleTransfer_Sign() {
	alice := consensustest.Key("alice")
	transfer := blockchain.Transfer{ChainID: consensustest.ChainID, To: consensustest.Addr("bob"), Amount: 125, Fee: 1, Nonce: 0}
	tx := transfer.Sign(alice)
	fmt.Println(tx)
	fmt.Println("from alice:", tx.From() == alice.Address(), "verifies:", tx.VerifySignature())
	fmt.Println("a retry is the same transaction:", transfer.Sign(alice) == tx)
	transfer.Nonce = 1
	fmt.Println("the next transfer has another ID:", transfer.Sign(alice).ID() != tx.ID())
	// Output:
	// tx 640dcffa-cd6d-8363-a027-628c60378a0c ec3e13bbbe→ec6d1f61a2 125 fee 1 nonce 0
	// from alice: true verifies: true
	// a retry is the same transaction: true
	// the next transfer has another ID: true
}

// A node catching up verifies the signatures of many blocks at once, on
// all its cores, and then applies them one by one: Apply finds each
// block's answer ready, since a block remembers it.
func ExampleBlock_VerifySignatures() {
	source := consensustest.NewChain(consensustest.NewFaker())
	blocks, err := consensustest.GenerateChain(context.Background(), consensustest.NewFaker(), source, 4,
		func(i int, g *consensustest.BlockGen) {
			g.AddTransfer("alice", "bob", int64(i+1))
			g.AddTransfer("bob", "carol", 1)
		})
	if err != nil {
		panic(err)
	}
	// The blocks as another node reads them from the log: decoded, so
	// nothing is known of their signatures yet.
	received := make([]*blockchain.Block, len(blocks))
	for i, b := range blocks {
		bin, _ := b.MarshalBinary()
		received[i] = new(blockchain.Block)
		if err := received[i].UnmarshalBinary(bin); err != nil {
			panic(err)
		}
	}

	var wg sync.WaitGroup
	for _, b := range received {
		wg.Go(func() { _ = b.VerifySignatures() })
	}
	wg.Wait()

	chain := consensustest.NewChain(consensustest.NewFaker())
	for _, b := range received {
		if err := chain.Apply(b); err != nil {
			panic(err)
		}
	}
	fmt.Println("height:", chain.Height())
	fmt.Printf("bob %+v\n", chain.Account(consensustest.Addr("bob")))
	// Output:
	// height: 4
	// bob {Balance:1000006 Nonce:4}
}

// Five leaves: the fifth has no partner, so it moves up unchanged and no
// leaf is ever duplicated. A duplicated last leaf therefore changes the
// root, as any other change does.
func ExampleMerkleRoot() {
	var leaves [][]byte
	for i, to := range []string{"bob", "carol", "dave", "erin", "frank"} {
		enc, _ := consensustest.Transfer("alice", to, 1, uint64(i)).MarshalBinary()
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
	var txs []blockchain.Transaction
	for i, to := range []string{"bob", "carol", "dave", "erin", "frank"} {
		txs = append(txs, consensustest.Transfer("alice", to, int64(10*(i+1)), uint64(i)))
	}
	at := blockchain.GenesisTime.Add(time.Minute)
	block := blockchain.NewBlock(blockchain.NextHeader(consensustest.Genesis().Header(), txs, at), txs)

	proof, err := block.InclusionProof(2) // alice pays dave
	if err != nil {
		panic(err)
	}
	fmt.Printf("transaction %d of %d, %d hashes of proof\n", proof.Index, proof.Count, len(proof.Path))

	// The light client's side: a header it trusts, a transaction, a
	// proof. The proof's Count must be the header's TxCount: the root
	// alone does not fix how many leaves the tree has, and leaf 4 of 5
	// climbs to the same root as leaf 1 of 2.
	header := block.Header()
	if proof.Count != uint64(header.TxCount) {
		panic("a proof for a tree of another size")
	}
	root := header.MerkleRoot
	fmt.Println("dave's payment:", blockchain.VerifyTxInclusion(root, txs[2], proof))
	forged := consensustest.Transfer("alice", "dave", 3000, 2)
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

// Every network starts at the genesis block of its chain spec: its
// PrevHash is the spec's hash, its StateRoot the root of the
// allocations. The hash is the one testdata/golden_seal.py computes in
// Python for this spec.
func ExampleChainSpec_Genesis() {
	zero, _ := blockchain.ParseAddress("ec7ca990faae94a9207a1535341bb940c440318975ba742c4a")
	other, _ := blockchain.ParseAddress("eccce84c33fc257c057135c5a4c7218b85ea1b54797fef5bad")
	spec := blockchain.ChainSpec{
		ChainID:     "eventchain-devnet",
		Alloc:       []blockchain.Allocation{{Address: zero, Balance: 1_000_000}, {Address: other, Balance: 250}},
		BlockReward: 50,
		Consensus: blockchain.ConsensusSpec{Engine: blockchain.EnginePoW, PoW: &blockchain.PoWSpec{
			Bits: 18, RetargetInterval: 10, TargetBlockTime: 5 * time.Second, MinBits: 8, MaxBits: 24,
		}},
	}
	genesis, err := spec.Genesis()
	if err != nil {
		panic(err)
	}
	h := genesis.Header()
	fmt.Println("hash:      ", genesis.Hash())
	fmt.Println("prev hash: ", h.PrevHash == spec.Hash())
	fmt.Println("state root:", h.StateRoot)
	fmt.Println("time:      ", h.Timestamp)
	// Output:
	// hash:       b7b8943f531e48fec13b4dcc6023ddcd51e3727ba1024a97d30a2919af6587a4
	// prev hash:  true
	// state root: 653435857189e10f77c2e92363b2b31812909d44dc21809498d46b7eaa8541eb
	// time:       2020-01-01 00:00:00 +0000 UTC
}

// A block's beneficiary is paid the spec's block reward plus the fees of
// the block's transactions. The fees only move coins, from the senders
// to the beneficiary; the reward is new, so the supply — the sum of
// every balance — grows by exactly the reward, block after block.
func ExampleState_Supply() {
	chain := consensustest.NewChain(consensustest.NewFaker()) // every account holds 1 000 000; a block earns 50
	before := chain.State()
	block, _, err := chain.Propose(consensustest.Addr("miner"), []blockchain.Transaction{
		consensustest.TransferFee("alice", "bob", 300, 2, 0), // 300 to bob, a fee of 2
		consensustest.TransferFee("bob", "carol", 100, 1, 0), // 100 to carol, a fee of 1
	}, blockchain.GenesisTime.Add(time.Minute))
	if err != nil {
		panic(err)
	}
	if err := chain.Apply(block); err != nil {
		panic(err)
	}
	after := chain.State()
	for _, name := range []string{"alice", "bob", "carol", "miner"} {
		a := consensustest.Addr(name)
		fmt.Printf("%-5s %d → %d\n", name, before.Account(a).Balance, after.Account(a).Balance)
	}
	fmt.Println("supply grew by:", after.Supply()-before.Supply())
	var sum int64
	for _, acct := range after.Each {
		sum += acct.Balance
	}
	fmt.Println("supply = sum of the balances:", sum == after.Supply())
	fmt.Println("the header's state root:", block.Header().StateRoot == after.Root())
	// Output:
	// alice 1000000 → 999698
	// bob   1000000 → 1000199
	// carol 1000000 → 1000100
	// miner 1000000 → 1000053
	// supply grew by: 50
	// supply = sum of the balances: true
	// the header's state root: true
}
