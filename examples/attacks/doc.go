// Package attacks is the attack lab: tests only, one test per attack on
// the ledger, each written to be read by a student. Every test plays the
// attacker — forges a signature, replays a payment, overspends, pays
// itself too much — and shows the rule that stops it, by name: the
// [blockchain.ErrorCode] the pool or the chain answers with.
//
// Run them, and read them, with
//
//	go test -v ./examples/attacks
//
// The attacks, and what stops each:
//
//   - a forged signature: the signature rule (bad-signature), and a
//     sender who is not the key's owner (sender-not-key);
//   - a signature made for another chain: the chain ID is signed
//     (wrong-chain);
//   - replaying a mined transaction: its nonce is used (bad-nonce);
//   - skipping a nonce: the nonce must be the next (bad-nonce);
//   - two pending transactions that each fit the balance but not
//     together: the pool counts pending spending (insufficient-funds);
//   - the same overspend split across two competing miners' blocks: only
//     one block can follow the tip, and the other's transaction no longer
//     applies on top of it (prev-hash-mismatch, then bad-nonce);
//   - a miner paying itself more than the reward plus the fees: the
//     header commits to the state after the block (bad-state-root);
//   - amounts that overflow a balance: amounts are bounded, and so is
//     the supply (invalid-amount, balance-overflow);
//   - a field changed under a real signature (bad-signature);
//   - a signature made into a second one of the same payment, by adding
//     the group's order to its S, as Bitcoin's signatures once could be
//     (bad-signature; and the payment's ID, derived from what is signed,
//     would not change);
//   - spending from the address of a key of small order, such as the
//     curve's identity point, for which a signature verifies without any
//     secret: the chain refuses such keys (weak-key).
//
// The tests use the test kit of package consensustest: its chain spec
// funds alice, bob, carol, dave, erin, frank, mallory and miner with
// 1 000 000 minor units each, and its keys are derived from the names, so
// every run is the same. Mallory is the attacker.
package attacks
