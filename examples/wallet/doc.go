// Command wallet keeps private keys and sends signed transfers through a
// bank's HTTP API: the client side of eventchain's account model, where
// only the holder of an account's key can spend from it.
//
// Usage:
//
//	wallet [-bank URL] [-keystore DIR] COMMAND [ARGUMENTS] [FLAGS]
//
//	wallet new NAME            make a key, store it under NAME, print its address
//	                           (-passphrase-file FILE, or EVENTCHAIN_PASSPHRASE,
//	                           or -insecure-no-passphrase for a demo key in clear)
//	wallet list                the keys: name, address, encrypted or in clear
//	wallet address NAME        the address of a key
//	wallet balance NAME|ADDR   balance, nonce and next nonce, as the bank sees them;
//	                           with -verified, balance and nonce proven against
//	                           the chain's headers (-genesis-hash HASH,
//	                           -confirmations N)
//	wallet send FROM TO AMOUNT sign and submit a transfer from the key FROM to a
//	                           key name or an "ec…" address, and wait for a block
//	                           (-fee N, -wait=false not to wait, -timeout D,
//	                           -genesis-hash HASH to sign for that network only,
//	                           -confirmations N for the proof that another transfer
//	                           used the nonce of one left in flight (6 by default),
//	                           -again for a second payment of a transfer an earlier
//	                           run left unfinished, in flight or included since)
//	wallet status TX-ID        what became of a transaction
//	wallet history NAME|ADDR   the account's included transfers, newest first
//	                           (-limit N, -before CURSOR for older ones)
//	wallet verify TX-ID        check, with the chain's headers, that a block
//	                           includes a transaction (-genesis-hash HASH,
//	                           -confirmations N)
//	wallet help                this text
//	wallet -version            the version and VCS revision
//
// Flags may come before or after the arguments:
//
//	wallet send alice bob 125 -fee 1
//	wallet -bank http://localhost:8081 balance alice
//
// Every number a person gives the wallet — an amount, -fee, -limit,
// -confirmations, -max-headers — is read in decimal digits only: Go's
// flag package would take 010 for 8 and 0x10 for 16, a payment or a
// check changed without a word.
//
// -bank defaults to http://localhost:8080. -keystore defaults to devnet's
// keystore, the keys directory of devnet's data directory
// (os.UserConfigDir()/eventchain/devnet/keys, or $EVENTCHAIN_DATA_DIR/keys
// if that is set), where devnet writes its demo accounts alice, bob,
// carol, … in clear: start devnet, then
//
//	wallet list
//	wallet send alice bob 125
//
// -bank, -keystore and -passphrase-file fall back to EVENTCHAIN_BANK,
// EVENTCHAIN_KEYSTORE and EVENTCHAIN_PASSPHRASE_FILE, as the other apps'
// flags do; EVENTCHAIN_PASSPHRASE holds a passphrase itself (a file is
// safer: the environment of a process may be visible to others). A
// passphrase file's one trailing newline is not part of the passphrase;
// from a terminal (-passphrase-file /dev/stdin) the passphrase is the
// line typed, ended by Enter (and shown as it is typed: a file, or
// EVENTCHAIN_PASSPHRASE, keeps it off the screen).
// An encrypted key needs its passphrase to send; a key in clear needs
// none.
//
// # Sending
//
// send reads the chain spec (its chain ID goes into the transfer) and the
// sender's account (its next nonce, which counts the transfers the bank
// still holds pending), signs blockchain.Transfer{ChainID, To, Amount,
// Fee, Nonce} with the sender's key, and posts it with an Idempotency-Key
// derived from the transaction's hash, so that retrying it is safe. The
// chain ID is the bank's word: with -genesis-hash, send signs only if the
// bank's chain spec makes that genesis, which commits to the chain ID and
// every other rule, so that a bank that lies about its network cannot have
// the key sign a transfer for another one. With
// -wait (the default) it then follows the transaction until a block
// includes it, printing
//
//	pending…
//	included in block 12 (hash 3f9c…)
//
// or, if the bank drops it, says why (the reason and the rule broken) and
// exits 1. If the bank, having taken it, then answers that it knows no
// such transaction (404: it lost track of it, in a restart say), send
// says that the transfer was sent and may still be mined, names it, and
// exits 1: the record below keeps it, and the same send run again posts
// that very transaction again while its nonce is unused (see below).
//
// While the bank answers that it cannot yet (503: it is restoring its
// chain after a restart, or its event log is down) or does not answer,
// send asks again, up to three tries in all, pausing as the bank asks. If the
// transfer got no answer, the bank may have taken it all the same: send
// then prints its ID, to look it up with 'wallet status', rather than
// leave the user to send again, which would sign a second transfer.
//
// send records each transfer it signs, before it posts it, in the
// keystore's directory (.inflight-ADDRESS-ID.json, flushed to disk with
// its directory entry, so that a power cut does not lose it), and forgets it once it
// sees a block include it, or, with -wait=false, once the bank has taken
// it and send has printed its ID (a run that timed out, or got no answer,
// leaves it). A transfer the bank says it dropped or refused stays
// recorded: that nothing took it is the bank's word alone, and a bank
// that took it, mined it and said otherwise once would have the next send
// of the same transfer pay twice. Sent again, while its nonce is unused
// (whatever nonce the bank calls next), the same signed transfer is
// posted again, which pays at most once; once its nonce is used, a new
// one is signed only when the bank proves which transfer used it, as
// below. (So the same transfer sent again after the bank refused it for
// want of funds is the very same transfer, posted again.) A run killed while it
// waited (or whose terminal closed), run again for the same transfer —
// same recipient, amount and fee, from the same account — follows the
// one in flight, posting the same signed bytes again, or, if a block
// included it meanwhile, says so and signs nothing, rather than sign a
// second transfer with the next nonce, which would pay twice; it says so
// on stderr. If its nonce is used and the bank cannot say by what (it
// answers 503 while it restores), send signs nothing and says to run
// again. If the bank says it dropped that transfer, or knows it not,
// while its nonce is used, another transfer used the nonce — or the bank
// mined it and denies it, to have the key pay twice: send believes the
// bank only if it proves which transfer used the nonce (the account's
// history names it, and its Merkle proof is checked against headers the
// wallet verifies, as verify does); if that is the earlier transfer
// itself, send reports it included; if it is another, send signs anew
// only once that one is under -confirmations blocks of work (6 by
// default, counted as verify counts them), for a bank can mine one
// block holding it alone, on a fork of its own, while the network mines
// the earlier transfer; and
// if the bank proves none, send signs nothing (if its history does not yet reach its chain's head, its
// ledger index being behind, it says to run again once it has). The record stays until a run sees its transfer through, however
// much later that is: the same transfer sent after a run that was killed
// while it waited, once a block has included the first, is reported, not
// paid again.
//
// That work must be the network's. The chain ID inside a transfer does
// not name a chain: a bank can serve a chain spec of its own with the
// same chain ID and Bits 0, where blocks cost nothing, and mine six on a
// fork of it for nothing. So each record keeps, beside the transfer, the
// genesis hash of the chain it was signed for — the one -genesis-hash
// pinned, else the genesis of the spec the bank served as send signed it
// — as
//
//	{"genesis":"3f9c…","transaction":{…}}
//
// and the headers the proof is checked against must start from that
// genesis: a spec that makes another (the bank's own, or a chain begun
// again since with the same chain ID) is refused, and nothing is signed
// (send with -again to pay anew all the same). A record written by an
// older wallet, the transaction alone, is still read and followed as
// before, but whose chain it was signed for it does not say: a proof
// about it is believed only with -genesis-hash, which then names the
// chain; without it, send signs nothing and says to give it. (Without
// -genesis-hash, the genesis recorded is the bank's word at signing: a
// bank that served a spec of its own already then is not caught so; only
// -genesis-hash stops a bank that lies from its first answer.)
//
// -again signs a second payment all the same: two identical
// payments from a script need it, and so does the same payment made again
// after such a run; it forgets the records of the same transfer whose
// nonce is used (which the bank may never prove by what: its history may
// not reach back that far) or left past the bank's next nonce (a chain
// begun again since, with the same chain ID), and keeps those still in
// flight, and those of other runs of send -again signed with the nonces
// that follow on from the bank's next. Another
// transfer is signed as usual. (A record is
// written under a temporary name, .inflight-*.tmp, then linked to its
// own and the temporary name removed: a run killed in between can leave
// that file, which is never read; it may be removed.) A record that
// cannot be read (cut short, changed, or no regular file) may be a
// transfer an earlier run sent, which send would otherwise sign anew:
// without -again, send then signs nothing and names the file, to be
// moved away once the account's history shows what became of it. A
// keystore the
// wallet cannot write to (read-only, or on a full disk) does not stop a
// send: the transfer goes unrecorded, and a warning on stderr says that a
// run killed while it waits, and run again, would sign a second one.
//
// Runs of send -again at the same time may read the same next nonce from
// the bank, and so sign the very same transfer (the signature, and the
// transaction's ID, come from its content). The first to record it sends
// it; another that finds it recorded signs its own again with the next
// nonce no transfer in flight from the account holds, a few times at
// most, so that each run that succeeds is a payment of its own. If the
// bank refuses that nonce, the transfers before it not having reached it
// yet, the run fails and says that nothing was sent. (Without -again, a
// run that finds the transfer it signed recorded by another follows that
// one, as it would an earlier run's.)
//
// # History
//
// history prints a page of the account's transfers and, if there are
// older ones, the command that prints the next page:
//
//	older transfers: wallet history alice -bank http://localhost:8080 -keystore /home/ann/.config/eventchain/devnet/keys -limit 20 -before 1234
//
// It names the bank and the keystore the run used, whether a flag, the
// environment or the default gave them (the keystore as an absolute
// path), so that it asks the same bank about the same account from any
// shell and any directory. The cursor after -before is the bank's, and the line is meant to be
// pasted into a shell, so every word of it is quoted as one POSIX shell
// word (between single quotes unless it is plain letters, digits and
// _ . / : = @ % + , -, not beginning with =, which zsh would expand):
// a cursor such as "x; rm -rf ~" is passed on as
// it is, -before 'x; rm -rf ~', never run. A cursor holding a control or invisible character
// (a newline, a terminal's escape sequence, a right-to-left override),
// which could make the terminal show another command than the one it
// pastes, is not printed at all: history says so and exits 1, after the
// page.
//
// # Exit status
//
// 0 on success, 2 for a usage error (an unknown command or flag, a
// malformed amount or address, a -before cursor the bank refuses), 1 for
// anything else: an unknown key, a
// wrong passphrase, a bank that does not answer, a transfer the bank
// refuses (shown with its rule and field) or drops, a run interrupted by
// Ctrl-C or SIGTERM (its error begins "interrupted:"). Every error is one
// line on stderr; a usage error adds a second, pointing to 'wallet help'.
//
// # Verifying instead of trusting
//
// Every other command believes the bank. verify and balance -verified do
// not: they check what the bank says against the chain itself, as a light
// client (package lightclient) that holds only block headers.
//
//  1. The wallet reads the bank's chain spec (GET /chain/spec) and makes
//     its genesis block (spec.Genesis()). That genesis hash is the one
//     thing the wallet trusts: it commits to the whole spec — chain ID,
//     balances at genesis, block reward, consensus rules.
//  2. It fetches every header from the genesis to the bank's tip (GET
//     /headers) and checks each: it links to the one before by hash, its
//     height and time follow, and its proof of work (or, on a
//     proof-of-authority network, its signer's signature) is valid under
//     the spec's rules. A bank cannot forge a header without doing the
//     work; one header refused and the wallet believes nothing. But for
//     one rule, which this computer's clock judges: a header may be
//     dated at most a minute (blockchain.DefaultMaxDrift) ahead of it,
//     and a computer whose clock runs slow would refuse the newest
//     headers of an honest chain. A header refused for that alone is not
//     believed, nor any after it, and the wallet checks against the
//     headers before it, which it verified, with a warning on stderr
//     ("the bank's header 40 is dated 2m5s ahead of this computer's
//     clock, …: this computer's clock may be slow"). A claim about a
//     block past them is then refused as one beyond the headers: set the
//     clock right, and ask again.
//     -confirmations N (1 by default) asks for N blocks of work, the
//     proof's own block included, to carry the claim: a transaction's
//     block must be that deep under the tip, and balance -verified proves
//     the account as of the newest block that deep. A bank that lies can
//     mine one block of its own with a lying state root at one block's
//     work; N blocks of work are N times that. The claim's block counts
//     one; each block on it counts its work at the difficulty the chain's
//     spec starts at, up to one: a block of Bits b counts
//     min(1, 2^(b − spec bits)) (one each on a chain of fixed difficulty),
//     so that on a chain whose difficulty retargets a lying bank cannot
//     date its own blocks apart, let the difficulty fall, and pile up
//     cheap ones. The wallet takes at most -max-headers headers
//     (1 000 000 by default): a lying bank could serve valid ones without
//     end.
//  3. It fetches the bank's proof — a transaction's Merkle path (GET
//     /transactions/{id}/proof), or an account's path in the state tree
//     at the newest verified block (GET /accounts/{address}/proof) — and
//     checks it against the Merkle root or the state root of the header it
//     verified itself, never the header the bank sends along.
//
// On success:
//
//	verified: transaction 0196… is in block 12 (hash 3f9c…), 1 confirmation, checked against 12 headers whose proof of work this wallet verified
//
// or, for balance -verified, the balance and nonce and
//
//	verified against the state root of block 12 (hash 3f9c…), 1 confirmation, checked against 12 headers whose proof of work this wallet verified
//
// A proof that does not hold, a header with too little work or a forged
// seal, a spec whose genesis is not the pinned one: the wallet says which,
// and exits 1. Nothing is stored: each run syncs the headers again.
// Checking them is quick (100 000 headers take a fraction of a second);
// fetching them is not: the bank serves 1 000 a request, so a chain of
// 100 000 blocks takes a few seconds to read over the network. A
// proven balance larger than every coin the chain can have made by its
// block (the genesis allocations and a block reward a block) is refused
// too, whatever the headers' work.
//
// Where the genesis hash comes from is the one place trust enters. Taken
// from the bank's spec, as by default, it is the bank's word, every time
// (the wallet keeps no chain data between runs): a bank that lies from the
// first answer it gives — a whole network of its own, with its own
// genesis — would not be caught, and the wallet says on stderr which
// genesis it trusted. -genesis-hash HASH pins the network: the wallet
// then refuses a bank whose spec makes another genesis. Take the hash
// from a source other than the bank — the network's release notes,
// devnet's start-up lines ("devnet: genesis …"), a run you trusted
// before.
//
// What a light client cannot check is what needs every transaction: that
// the blocks' transfers were signed and funded and lead to the state root
// in the header. It relies on the work behind the headers for that, as
// Bitcoin's simplified payment verification does: the work of the blocks
// that carry the claim, which -confirmations sets.
package main
