package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"golang.org/x/term"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/examples/internal/bankclient"
	"github.com/eventchain/eventchain/examples/internal/keystore"
)

// maxPassphraseFile bounds a passphrase file, in bytes.
const maxPassphraseFile = 4 << 10

// submitAttempts is how many times send asks the bank (for the chain
// spec, the account, or to take the transfer) while it answers that it
// cannot yet (503) or does not answer.
const submitAttempts = 3

// againAttempts is how many transfers a send -again signs, at most, while
// other runs at the same time have recorded each of them in flight first.
const againAttempts = 5

func (w *wallet) newFlags(fs *flag.FlagSet) {
	fs.BoolVar(&w.opts.insecure, "insecure-no-passphrase", false, "store the key in clear, unencrypted: for demo accounts only")
}

func (w *wallet) sendFlags(fs *flag.FlagSet) {
	fs.Var((*decimal)(&w.opts.fee), "fee", "fee paid to the miner of the block, in minor `units`")
	fs.BoolVar(&w.opts.wait, "wait", true, "wait until a block includes the transfer or the bank drops it; with -wait=false the run ends once the bank has taken it, and the same transfer sent again is a second payment")
	fs.BoolVar(&w.opts.again, "again", false, "sign a new transfer (a second payment) even if an earlier run that did not see the same one through (stopped, out of time, or unsure whether the bank took it) left it recorded: without -again, send follows that one while it is in flight, and if a block has included it since, says so and signs nothing, however much later it runs")
	fs.DurationVar(&w.opts.timeout, "timeout", 2*time.Minute, "how long to wait for a block")
	fs.StringVar(&w.opts.genesisHash, "genesis-hash", "", "the network's genesis block hash (64 hex digits): sign only if the bank's chain spec makes that genesis; without it, the bank's chain ID is taken on its word")
	w.opts.confirmations = defaultSendConfirmations
	fs.Var((*decimal)(&w.opts.confirmations), "confirmations", "`blocks` of work, counted as verify counts them, that must carry the bank's proof that another transfer used the nonce of one an earlier run left in flight, before a new one is signed in its place: a bank that mined that proof alone, on a fork of its own, would have the key pay twice")
}

// defaultSendConfirmations is send's -confirmations: the blocks of work
// that must carry the proof that another transfer used the nonce of a
// transfer in flight, before send signs a new one in its place (see
// nonceUser). A new transfer there is a second payment if the proof
// lies, so one block, which a lying bank can mine on a fork of its own,
// is not enough: it must mine six, as Bitcoin's wallets count a payment
// settled after six blocks. The headers must start from the genesis the
// transfer's record names (see nonceUser), so that a bank cannot later
// serve a chain spec of its own, with the same chain ID and no work to
// do, and mine the six for nothing. That genesis is -genesis-hash's, or
// else the bank's word when the transfer was signed: a bank that lied
// from its first answer is caught only by -genesis-hash.
const defaultSendConfirmations = 6

func (w *wallet) historyFlags(fs *flag.FlagSet) {
	w.opts.limit = 20
	fs.Var((*decimal)(&w.opts.limit), "limit", "`transfers` per page")
	fs.StringVar(&w.opts.before, "before", "", "the cursor of an older page, as the previous page printed it")
}

// openKeystore opens the keystore. Only if create is set does a missing
// directory get made: listing a keystore that is not there is a mistake
// to report, not a directory to create.
func (w *wallet) openKeystore(create bool) (*keystore.Keystore, error) {
	dir := w.g.keystore
	if dir == "" && w.g.noKeystore != nil {
		// No $HOME, say: no keystore anywhere unnamed.
		return nil, usagef("-keystore: %v: give the keystore's directory (devnet's is keys/ in its data directory), or set EVENTCHAIN_KEYSTORE or EVENTCHAIN_DATA_DIR", w.g.noKeystore)
	}
	if !create {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no keystore at %s: make a key with 'wallet new NAME', start devnet to make its demo accounts, or name a keystore with -keystore", dir)
		}
	}
	ks, err := keystore.New(keystore.Config{Dir: dir, Scrypt: w.scrypt})
	if err != nil {
		return nil, fmt.Errorf("open keystore: %w", err)
	}
	return ks, nil
}

// lookup describes the key name, with a clear error if there is none.
func (w *wallet) lookup(ks *keystore.Keystore, name string) (keystore.Entry, error) {
	e, err := ks.Lookup(name)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		return keystore.Entry{}, fmt.Errorf("no key named %q in %s ('wallet list' shows them)", name, ks.Dir())
	case errors.Is(err, keystore.ErrBadName):
		return keystore.Entry{}, usageError{err}
	case err != nil:
		return keystore.Entry{}, err
	}
	return e, nil
}

// passphrase returns the passphrase that -passphrase-file's file holds
// (without one trailing newline), else EVENTCHAIN_PASSPHRASE, else nil.
// It gives up when ctx ends (Ctrl-C): see readPassphraseFile.
func (w *wallet) passphrase(ctx context.Context) ([]byte, error) {
	if path := w.g.passphraseFile; path != "" {
		data, err := readPassphraseFile(ctx, path)
		if err != nil {
			return nil, err
		}
		p := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		if p == "" {
			return nil, fmt.Errorf("passphrase file %s is empty", path)
		}
		return []byte(p), nil
	}
	if p := w.getenv("EVENTCHAIN_PASSPHRASE"); p != "" {
		return []byte(p), nil
	}
	return nil, nil
}

// readPassphraseFile returns what the passphrase file at path holds, or
// an error once ctx ends. A passphrase file may be a pipe
// (<(pass show wallet)) or a terminal (-passphrase-file /dev/stdin, the
// passphrase typed in): opening a named pipe waits for a writer, and
// reading a terminal waits for a line, for as long as it takes, and
// neither heeds a context. The wallet catches Ctrl-C to end its context,
// so a read that did not heed it would ignore the user's first Ctrl-C, and
// wait on, for ever if no one writes. So the file is read on a goroutine
// of its own, and the wallet stops waiting for it when ctx ends (the
// goroutine, left blocked, ends with the process).
func readPassphraseFile(ctx context.Context, path string) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1) // buffered: the goroutine never blocks on it
	go func() {
		data, err := readPassphraseFileNow(path)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("passphrase file %s: stopped waiting for it to be written: %w", path, ctx.Err())
	}
}

// readPassphraseFileNow reads the passphrase file at path, blocking as
// long as its open and its read do.
func readPassphraseFileNow(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("passphrase file: %w", err)
	}
	defer f.Close()
	// A passphrase others may read is no secret: refused as a key
	// file would be. (A pipe, such as <(pass show wallet), has no
	// such bits to trust.)
	info, statErr := f.Stat()
	if statErr == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("passphrase file %s: mode %s lets others read or write it: chmod 600 it", path, info.Mode().Perm())
	}
	r := io.LimitReader(f, maxPassphraseFile+1)
	read := io.ReadAll
	if statErr == nil && info.Mode()&fs.ModeCharDevice != 0 && term.IsTerminal(int(f.Fd())) {
		// A terminal (-passphrase-file /dev/stdin): the passphrase is
		// the line typed, and Enter ends it. Its end of file comes only
		// with Ctrl-D, which a user who pressed Enter does not know to
		// type: read to it, and the wallet would sit waiting.
		//
		// The line is shown as it is typed, as the doc says. Turning the
		// echo off is not done: x/term's ReadPassword, which would, reads
		// on for ever, a core at full use, after Ctrl-D on an empty line
		// or once the terminal hangs up (a read of 0 bytes, which it
		// takes for "read again"); and a hidden passphrase for a new key
		// must be asked twice, lest a typo lock the key for good.
		read = readLine
	}
	data, err := read(r)
	if err != nil {
		return nil, fmt.Errorf("passphrase file: %w", err)
	}
	if len(data) > maxPassphraseFile {
		return nil, fmt.Errorf("passphrase file %s: over %d bytes: is it the right file?", path, maxPassphraseFile)
	}
	return data, nil
}

// readLine reads from r up to and including the first newline, or to
// the end if there is none, a byte at a time so as to read nothing past
// the line: from a terminal, each read returns when a line is typed, and
// Ctrl-D on an empty line, or a terminal hung up, is the end (an
// *os.File's read of 0 bytes is io.EOF).
func readLine(r io.Reader) ([]byte, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			line = append(line, b[0])
			if b[0] == '\n' {
				return line, nil
			}
		}
		if errors.Is(err, io.EOF) {
			return line, nil
		}
		if err != nil {
			return line, err
		}
		if n == 0 {
			return line, io.ErrNoProgress // a reader that gives nothing, and no error, gives nothing more
		}
	}
}

// client returns a client of the bank.
func (w *wallet) client() (*bankclient.Client, error) {
	c, err := bankclient.New(w.g.bank, w.http)
	if err != nil {
		return nil, usagef("-bank: %v", err)
	}
	return c.WithPoll(w.poll), nil
}

// after waits d on the wallet's clock, or until ctx ends.
func (w *wallet) after(ctx context.Context, d time.Duration) error {
	after := w.poll.After
	if after == nil {
		after = time.After
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-after(d):
		return nil
	}
}

// account is an account the user named: by a key's name or by address.
type account struct {
	addr blockchain.Address
	name string // the key's name; "" if named by address
}

func (a account) String() string {
	if a.name == "" {
		return a.addr.String()
	}
	return a.name
}

// resolve reads arg as an address ("ec…", longer than any key name) or
// as the name of a key in the keystore.
func (w *wallet) resolve(arg string) (account, error) {
	if len(arg) > keystore.MaxNameLen {
		a, err := blockchain.ParseAddress(arg)
		if err != nil {
			return account{}, usagef("bad address: %v", err)
		}
		return account{addr: a}, nil
	}
	if err := keystore.ValidateName(arg); err != nil {
		return account{}, usagef("%q is neither a key name nor an address (%q and %d characters): %v", arg, blockchain.AddressPrefix, blockchain.AddressLen, err)
	}
	ks, err := w.openKeystore(false)
	if err != nil {
		return account{}, err
	}
	if _, err := ks.Lookup(arg); errors.Is(err, keystore.ErrNotFound) && strings.HasPrefix(arg, blockchain.AddressPrefix) {
		// Most likely an address cut short, rather than a key's name.
		return account{}, usagef("bad address: %q has %d characters, an address %d (and no key is named so in %s)", arg, len(arg), blockchain.AddressLen, ks.Dir())
	}
	e, err := w.lookup(ks, arg)
	if err != nil {
		return account{}, err
	}
	return account{addr: e.Address, name: e.Name}, nil
}

// newKey is "wallet new NAME".
func (w *wallet) newKey(ctx context.Context, args []string) error {
	name := args[0]
	if err := keystore.ValidateName(name); err != nil {
		return usageError{err}
	}
	pass, err := w.passphrase(ctx)
	if err != nil {
		return err
	}
	switch {
	case w.opts.insecure && pass != nil:
		return usagef("give a passphrase or -insecure-no-passphrase, not both")
	case !w.opts.insecure && pass == nil:
		return usagef("a new key needs a passphrase: -passphrase-file FILE or EVENTCHAIN_PASSPHRASE; or -insecure-no-passphrase to store a demo key in clear")
	}
	ks, err := w.openKeystore(true)
	if err != nil {
		return err
	}
	var addr blockchain.Address
	if w.opts.insecure {
		addr, err = ks.CreateUnencrypted(name, nil)
	} else {
		addr, err = ks.Create(name, pass, nil)
	}
	if errors.Is(err, keystore.ErrExists) {
		return fmt.Errorf("a key named %q exists already in %s", name, ks.Dir())
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(w.stdout, addr)
	return nil
}

// list is "wallet list".
func (w *wallet) list(context.Context, []string) error {
	ks, err := w.openKeystore(false)
	if err != nil {
		return err
	}
	entries, err := ks.List()
	if len(entries) == 0 && err == nil {
		fmt.Fprintf(w.stderr, "no keys in %s\n", ks.Dir())
		return nil
	}
	tw := tabwriter.NewWriter(w.stdout, 0, 4, 2, ' ', 0)
	for _, e := range entries {
		stored := "in clear"
		if e.Encrypted {
			stored = "encrypted"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.Address, stored)
	}
	if ferr := tw.Flush(); ferr != nil {
		return ferr
	}
	if err != nil {
		return fmt.Errorf("some key files were refused: %w", err)
	}
	return nil
}

// address is "wallet address NAME".
func (w *wallet) address(_ context.Context, args []string) error {
	if err := keystore.ValidateName(args[0]); err != nil {
		return usageError{err}
	}
	ks, err := w.openKeystore(false)
	if err != nil {
		return err
	}
	e, err := w.lookup(ks, args[0])
	if err != nil {
		return err
	}
	fmt.Fprintln(w.stdout, e.Address)
	return nil
}

// balance is "wallet balance NAME|ADDRESS", and with -verified
// "wallet balance -verified NAME|ADDRESS" (verify.go).
func (w *wallet) balance(ctx context.Context, args []string) error {
	if w.opts.genesisHash != "" && !w.opts.verified {
		return usagef("-genesis-hash is for -verified: it names the genesis the headers are checked from")
	}
	if w.opts.confirmations != 1 && !w.opts.verified {
		return usagef("-confirmations is for -verified: it says how deep in the verified headers the proven state must be")
	}
	if w.g.given["max-headers"] && !w.opts.verified {
		return usagef("-max-headers is for -verified: it bounds the headers the wallet takes to check a proof")
	}
	who, err := w.resolve(args[0])
	if err != nil {
		return err
	}
	c, err := w.client()
	if err != nil {
		return err
	}
	if w.opts.verified {
		return w.verifiedBalance(ctx, c, who)
	}
	acct, err := c.Account(ctx, who.addr)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "address\t%s\n", acct.Address)
	fmt.Fprintf(tw, "balance\t%d\n", acct.Balance)
	fmt.Fprintf(tw, "nonce\t%d\n", acct.Nonce)
	fmt.Fprintf(tw, "next nonce\t%d\n", acct.NextNonce)
	return tw.Flush()
}

// parseAmount reads an amount of minor units, 1…MaxAmount (min 0 for a
// fee).
func parseAmount(what, s string, min int64) (int64, error) {
	n, err := parseDecimal(s)
	if err != nil || n < min || n > blockchain.MaxAmount {
		return 0, usagef("%s: have %q, want a whole number of minor units, %d…%d", what, s, min, blockchain.MaxAmount)
	}
	return n, nil
}

// parseDecimal reads a whole number written as a person writes one in
// decimal: digits, with a minus sign if negative, no plus sign, no
// leading zero, no underscores, no other base. Go's flag package reads
// -fee 010 as octal 8 and 0x10 as 16, which would change a payment
// without a word.
func parseDecimal(s string) (int64, error) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" || len(digits) > 1 && digits[0] == '0' {
		return 0, fmt.Errorf("have %q, want a whole number in decimal", s)
	}
	return strconv.ParseInt(s, 10, 64)
}

// A decimal is an int64 flag read by parseDecimal.
type decimal int64

func (d *decimal) String() string { return strconv.FormatInt(int64(*d), 10) }

func (d *decimal) Set(s string) error {
	n, err := parseDecimal(s)
	if err != nil {
		return err
	}
	*d = decimal(n)
	return nil
}

// maxHistoryLimit is the most transfers the bank's API gives in one page
// of an account's history (its OpenAPI document: limit ≤ 100).
const maxHistoryLimit = 100

// send is "wallet send FROM TO AMOUNT".
func (w *wallet) send(ctx context.Context, args []string) error {
	amount, err := parseAmount("amount", args[2], 1)
	if err != nil {
		return err
	}
	fee, err := parseAmount("-fee", strconv.FormatInt(w.opts.fee, 10), 0)
	if err != nil {
		return err
	}
	if w.opts.timeout <= 0 {
		return usagef("-timeout: have %v, want > 0", w.opts.timeout)
	}
	pinned, err := w.pinnedGenesis()
	if err != nil {
		return err
	}
	to, err := w.resolve(args[1])
	if err != nil {
		return err
	}
	key, from, err := w.loadKey(ctx, args[0])
	if err != nil {
		return err
	}
	if from.addr == to.addr {
		// The chain refuses it (blockchain.ErrSelfTransfer): said
		// before asking the bank anything, which may be down.
		return usagef("the transfer breaks a rule: self-transfer: %s would pay itself", from)
	}
	c, err := w.client()
	if err != nil {
		return err
	}
	var spec blockchain.ChainSpec
	if err := w.retrying(ctx, func() (err error) { spec, err = c.Spec(ctx); return err }); err != nil {
		return fmt.Errorf("read the chain spec: %w", err)
	}
	// The chain ID the bank names goes into the signature: a bank that
	// lies about it could have the key sign a transfer for another
	// network. A pinned genesis, which commits to the whole spec, stops it.
	genesis, err := checkGenesis(spec, pinned)
	if err != nil {
		return err
	}
	var acct bankclient.Account
	if err := w.retrying(ctx, func() (err error) { acct, err = c.Account(ctx, from.addr); return err }); err != nil {
		return fmt.Errorf("read the account of %s: %w", from, err)
	}
	tx := blockchain.Transfer{ChainID: spec.ChainID, To: to.addr, Amount: amount, Fee: fee, Nonce: acct.NextNonce}.Sign(key)
	if err := blockchain.CheckTransactionSanity(tx); err != nil {
		return usagef("the transfer breaks a rule: %v", err)
	}
	// A run killed while it waited (or whose terminal closed) left its
	// transfer in flight: the same transfer sent again follows that one,
	// or finds it included, rather than pay twice.
	journal := w.inflight(from.addr)
	following := false  // tx is an earlier run's, found in flight
	unrecorded := false // the journal could not record tx: a run again does not find it
	if w.opts.again {
		w.retireUsed(journal, spec.ChainID, to.addr, amount, fee, acct)
	} else {
		if err := journal.damaged(); err != nil {
			return err
		}
		rec, found := journal.same(spec.ChainID, to.addr, amount, fee)
		prev := rec.tx
		switch {
		case !found:
		case prev.Nonce() >= acct.Nonce:
			// Its nonce unused, as far as the bank says: posting the same
			// transfer again pays at most once, whatever the bank says.
			// (Even beyond the bank's next nonce — a chain wiped since,
			// or a bank that lies — the record stays: forgotten, it would
			// let a new transfer be signed while this one may be mined.)
			fmt.Fprintf(w.stderr, "the same transfer, sent by an earlier run, is still in flight: following transaction %s (nonce %d) rather than paying twice; send with -again for a second payment\n", prev.ID(), prev.Nonce())
			tx, following = prev, true
		default:
			// Its nonce is used: by it, included while no run waited,
			// or by another transfer, and then it never will be. Which
			// one the bank must say: without its answer, a new transfer
			// may be a second payment.
			var st bankclient.Status
			err := w.retrying(ctx, func() (err error) { st, err = c.Status(ctx, prev.ID()); return err })
			switch {
			case err == nil && st.State == bankclient.Included:
				journal.clear(prev)
				fmt.Fprintf(w.stderr, "the same transfer, sent by an earlier run, was included since: transaction %s (nonce %d); nothing new is signed; send with -again for a second payment\n", prev.ID(), prev.Nonce())
				return w.final(st)
			case err == nil && st.State == bankclient.Dropped, isNotFound(err):
				// Dropped, or unknown, with its nonce used: then another
				// transfer used the nonce, and it will never be mined. That
				// is the bank's word, and a bank that mined it and denied
				// it would have the key pay twice: the bank must prove
				// which transfer used the nonce.
				said := "is unknown to the bank"
				if err == nil {
					said = "is dropped, the bank says"
				}
				user, included, uerr := w.nonceUser(ctx, c, rec)
				switch {
				case errors.Is(uerr, errIndexBehind):
					return fmt.Errorf("the same transfer, sent by an earlier run as transaction %s (nonce %d), %s, but its nonce is used, and the bank's history does not yet show by which transfer (%w); nothing new is signed: run again once the bank's index has caught up with its chain", prev.ID(), prev.Nonce(), said, uerr)
				case errors.Is(uerr, errShallow):
					// Proven, but in a block a lying bank could have mined
					// alone: the bank did prove which transfer, and
					// verifying the earlier one would not help.
					return fmt.Errorf("the same transfer, sent by an earlier run as transaction %s (nonce %d), %s, but its nonce is used %w; nothing new is signed: run again once more blocks are on it, or send with -again for a second payment", prev.ID(), prev.Nonce(), said, uerr)
				case uerr != nil:
					return fmt.Errorf("the same transfer, sent by an earlier run as transaction %s (nonce %d), %s, but its nonce is used, and the bank did not prove by which transfer (%w); nothing new is signed: check it with 'wallet verify %s', or send with -again for a second payment", prev.ID(), prev.Nonce(), said, uerr, prev.ID())
				case user.ID() == prev.ID():
					journal.clear(prev)
					fmt.Fprintf(w.stderr, "the same transfer, sent by an earlier run, was included since: transaction %s (nonce %d), which the bank's proof shows though the bank said otherwise; nothing new is signed; send with -again for a second payment\n", prev.ID(), prev.Nonce())
					return w.final(included)
				}
				journal.clear(prev) // another transfer, proven included, used its nonce: it will never be mined
			case err == nil:
				// "Pending" with its nonce used: a bank that has applied the
				// block but not yet indexed it. It is being included.
				return fmt.Errorf("the same transfer, sent by an earlier run as transaction %s (nonce %d), is being included (the bank says %s, and its nonce is used); nothing new is signed: run again to see it included, or send with -again for a second payment", prev.ID(), prev.Nonce(), st.State)
			default:
				return fmt.Errorf("the same transfer, sent by an earlier run as transaction %s (nonce %d), may have been included: the bank did not say (%w); nothing new is signed: run again, or send with -again for a second payment", prev.ID(), prev.Nonce(), err)
			}
		}
	}
	// Record it in flight before it is posted. Another run that read the
	// same next nonce signed the very same transfer (the signature and
	// the ID come from the content alone) and may have recorded it first.
	// Without -again that run's transfer is this one's: follow it. With
	// -again the user asked for a payment of its own: sign it again, with
	// the next nonce that no transfer in flight from the account holds
	// (a bounded number of times: other runs may take that one too).
	for attempt := 1; ; attempt++ {
		// The genesis goes into the record: a proof about this transfer
		// is believed later only from a chain of this genesis (see
		// nonceUser).
		recorded, err := journal.claim(inflightRecord{tx: tx, genesis: genesis.Hash()})
		if errors.Is(err, errNotDurable) {
			// Recorded, but the disk did not confirm it.
			fmt.Fprintf(w.stderr, "warning: %v: after a power cut, a run sent again might sign a second transfer\n", err)
			break
		}
		if err != nil {
			// A keystore the wallet may not write (read-only, say): the
			// transfer goes, unrecorded.
			fmt.Fprintf(w.stderr, "warning: %v: a run killed while it waits, and run again, would sign a second transfer\n", err)
			unrecorded = true
			break
		}
		if recorded || following {
			break
		}
		if !w.opts.again {
			fmt.Fprintf(w.stderr, "the same transfer, signed by another run, is in flight: following transaction %s (nonce %d) rather than paying twice; send with -again for a second payment\n", tx.ID(), tx.Nonce())
			break
		}
		if attempt == againAttempts {
			return fmt.Errorf("each transfer signed (the last, nonce %d) was already in flight, signed by other runs of send at the same time: nothing new was sent; send again", tx.Nonce())
		}
		if tx.Nonce() >= acct.NextNonce {
			// The bank has not counted it: another run is about to post
			// it, or an earlier one never did (the bank was down, say).
			// A transfer after it would leave a gap the bank refuses:
			// post it first, as that run would (its own post is then a
			// repeat, which the bank takes as such).
			if _, err := w.submit(ctx, c, tx); err != nil {
				return fmt.Errorf("the same transfer, recorded in flight by another run as transaction %s (nonce %d), has not reached the bank, and a second payment must follow it: posting it failed: %w; nothing new was sent", tx.ID(), tx.Nonce(), err)
			}
			fmt.Fprintf(w.stderr, "the same transfer, recorded in flight by another run, had not reached the bank: posted it, transaction %s (nonce %d); the second payment follows it\n", tx.ID(), tx.Nonce())
		}
		tx = blockchain.Transfer{ChainID: spec.ChainID, To: to.addr, Amount: amount, Fee: fee, Nonce: journal.after(spec.ChainID, acct.NextNonce)}.Sign(key)
	}
	st, err := w.submit(ctx, c, tx)
	if err != nil {
		var pe *bankclient.ProblemError
		if errors.As(err, &pe) && pe.Status >= 400 && pe.Status < 500 && !errors.Is(err, errMayHaveReached) {
			// The bank refused it: it took nothing, it says.
			return fmt.Errorf("%w; %s", w.nonceTaken(ctx, c, from, tx, err), deniedKept(tx))
		}
		return w.nonceTaken(ctx, c, from, tx, err)
	}
	fmt.Fprintf(w.stdout, "sent %d from %s to %s (fee %d, nonce %d)\n", amount, from, to, fee, tx.Nonce())
	fmt.Fprintf(w.stdout, "transaction %s (hash %s)\n", tx.ID(), tx.Hash())
	if !w.opts.wait && !st.State.Final() {
		// The bank has taken it, and the user has its ID to follow: the
		// run ends as asked, and is not one killed while it waited. The
		// same transfer sent again is a second payment. (An ID that could
		// not be written, stdout closed, keeps the record.)
		if _, err := fmt.Fprintf(w.stdout, "pending; follow it with: wallet status %s\n", tx.ID()); err == nil {
			journal.clear(tx)
		}
		return nil
	}
	withTimeout := w.withTimeout
	if withTimeout == nil {
		withTimeout = context.WithTimeout
	}
	waitCtx, cancel := withTimeout(ctx, w.opts.timeout)
	defer cancel()
	pending := false
	if !st.State.Final() {
		st, err = c.WaitIncluded(waitCtx, tx.ID(), func(s bankclient.Status) {
			if s.State == bankclient.Pending && !pending {
				pending = true
				fmt.Fprintln(w.stdout, "pending…")
			}
		})
	}
	switch {
	case ctx.Err() != nil:
		// ctx.Err() is wrapped, for run to say the run was interrupted.
		return fmt.Errorf("stopped waiting for a block: %w; the transfer stays submitted: follow it with 'wallet status %s'", ctx.Err(), tx.ID())
	case errors.Is(err, context.DeadlineExceeded) && (errors.Is(err, bankclient.ErrNoAnswer) || errors.As(err, new(*bankclient.ProblemError))):
		// The last polls got no status (no answer, or a 503 while the
		// bank restores): "still pending" would be a guess.
		return fmt.Errorf("the bank gave no status while the wallet waited %v (%v); the transfer was submitted: follow it with 'wallet status %s'", w.opts.timeout, err, tx.ID())
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("still pending after %v; follow it with 'wallet status %s'", w.opts.timeout, tx.ID())
	case isNotFound(err):
		return lostTrack(from, tx, unrecorded, err)
	case err != nil:
		return err
	}
	if st.State == bankclient.Dropped {
		return fmt.Errorf("transaction %s dropped: %s; %s", st.ID, droppedWhy(st), deniedKept(tx))
	}
	journal.clear(tx) // included: no longer in flight
	return w.final(st)
}

// isNotFound reports whether err is the bank's 404 Not Found.
func isNotFound(err error) bool {
	var pe *bankclient.ProblemError
	return errors.As(err, &pe) && pe.Status == http.StatusNotFound
}

// lostTrack is send's error when the bank, asked how tx stands while
// send waits for a block, answers err, a 404: it knows no such
// transaction. The bank took tx (send printed it sent), so it lost track
// of it since — a restart that lost its pending transactions, or a bank
// that lies — and tx may still be mined: the error says it was sent and
// must not be taken for a transfer never made. What a send run again
// does is what the journal makes of it. Recorded, the same send (without
// -again) finds tx and posts it again, the same signed bytes, the same
// ID, while its nonce is unused (a repeat pays at most once), and once
// its nonce is used signs nothing new unless the bank proves which
// transfer used it. unrecorded (the keystore could not be written), a
// send run again signs anew with the bank's next nonce: the very same
// transaction while that is still tx's nonce (a signature and an ID come
// from the content alone), a second payment once tx is mined.
func lostTrack(from account, tx blockchain.Transaction, unrecorded bool, err error) error {
	sent := fmt.Sprintf("transaction %s (nonce %d) was sent: the bank took it, and now says it knows no such transaction (%v); it lost track of it since (a restart, say), which does not make it unsent: it may still be mined", tx.ID(), tx.Nonce(), err)
	if unrecorded {
		return fmt.Errorf("%s; it is not recorded in flight (see the warning above): the same send run again signs this same transaction only while the bank's next nonce for %s is still %d, and after a block has included it, a second payment: check 'wallet history %s' and 'wallet status %s' first", sent, from, tx.Nonce(), from, tx.ID())
	}
	return fmt.Errorf("%s; it stays recorded in flight: the same send run again (without -again) posts this same transaction, nonce %d, ID %s, again while that nonce is unused, which pays at most once, and signs nothing new once the nonce is used unless the bank proves which transfer used it; look for it with 'wallet history %s'", sent, tx.Nonce(), tx.ID(), from)
}

// retireUsed forgets the records of the transfers in flight to to, of
// amount and fee, on the chain chainID, that the bank cannot take now:
// those whose nonce it counts as used (below acct.Nonce), and those left
// past its next nonce, beyond the records that follow on from it (a
// chain begun again since they were signed, with the same chain ID). A
// send with -again, which asks for a payment whatever became of those,
// no longer needs them; kept, such a record stays until a run sees its
// transfer through, which it may never do (the bank may not prove which
// transfer used its nonce: its history may not reach that far back; and
// a nonce past the chain's may never be reached), and every send of the
// same transfer without -again fails on it. One the bank can take is
// still in flight, and stays, as do those that follow on from the
// bank's next nonce: other runs of send -again at the same time, about
// to post them.
func (w *wallet) retireUsed(journal inflightJournal, chainID string, to blockchain.Address, amount, fee int64, acct bankclient.Account) {
	free := journal.after(chainID, acct.NextNonce) // past the runs in flight now
	journal.each(func(r inflightRecord) {
		tx := r.tx
		if !isTransfer(tx, chainID, to, amount, fee) {
			return
		}
		switch {
		case tx.Nonce() < acct.Nonce:
			journal.clear(tx)
			fmt.Fprintf(w.stderr, "forgot the record of transaction %s (nonce %d), sent by an earlier run, its nonce used since: -again pays anew whatever became of it\n", tx.ID(), tx.Nonce())
		case tx.Nonce() > free:
			journal.clear(tx)
			fmt.Fprintf(w.stderr, "forgot the record of transaction %s (nonce %d), sent by an earlier run, its nonce past the bank's next, %d: -again pays anew whatever became of it\n", tx.ID(), tx.Nonce(), acct.NextNonce)
		}
	})
}

// deniedKept says what becomes of the record of tx, which the bank says
// it dropped or refused: it stays. That the bank took nothing, or that
// nothing will mine tx, is the bank's word alone, and a bank that took
// it (and mined it) and said otherwise, once, would have the next send
// of the same transfer sign a second payment. The same transfer sent
// again is posted again while its nonce is unused, which pays at most
// once; once its nonce is used, a new one is signed only when the bank
// proves which transfer used the nonce (see nonceUser).
func deniedKept(tx blockchain.Transaction) string {
	return fmt.Sprintf("it stays recorded in flight: the same transfer sent again posts transaction %s again while its nonce %d is unused, and signs a new one only once the bank proves which transfer used that nonce", tx.ID(), tx.Nonce())
}

// An inflightJournal keeps, in the keystore's directory, the transfers a
// send from one account signed and has not yet seen included, dropped or
// refused (or, with -wait=false, handed to the bank and named to the
// user), a file each (.inflight-ADDRESS-ID.json), so that a run killed
// while it waited and run again finds its transfer. Each file holds an
// inflightRecord: the transfer and the genesis of its chain.
type inflightJournal struct {
	dir    string
	prefix string // ".inflight-ADDRESS-"
}

// inflight returns the journal of the account addr.
func (w *wallet) inflight(addr blockchain.Address) inflightJournal {
	return inflightJournal{dir: w.g.keystore, prefix: ".inflight-" + addr.String() + "-"}
}

func (j inflightJournal) path(id uuid.UUID) string {
	return filepath.Join(j.dir, j.prefix+id.String()+".json")
}

// read returns the record of the journal's file name, if it holds a
// valid one: a transfer signed by the journal's account's key, of the ID
// the name says.
func (j inflightJournal) read(name string) (inflightRecord, bool) {
	r, err := j.readRecord(name)
	return r, err == nil
}

// readRecord is read, with an error saying why the file holds no valid
// record.
func (j inflightJournal) readRecord(name string) (inflightRecord, error) {
	// Anyone who may write the keystore may have put a named pipe, a
	// link to /dev/zero or an enormous file here: read a record as the
	// keystore reads a key file.
	data, err := keystore.ReadFile(filepath.Join(j.dir, name), maxRecordSize)
	if err != nil {
		return inflightRecord{}, err
	}
	r, err := decodeRecord(data)
	if err != nil {
		return inflightRecord{}, err
	}
	tx := r.tx
	if err := blockchain.CheckTransactionSanity(tx); err != nil {
		return inflightRecord{}, err
	}
	if !tx.VerifySignature() {
		return inflightRecord{}, errors.New("its signature does not verify: the file was changed")
	}
	if name != filepath.Base(j.path(tx.ID())) || !strings.HasPrefix(name, ".inflight-"+tx.From().String()+"-") {
		return inflightRecord{}, fmt.Errorf("it holds transaction %s from %s, not the one its name says", tx.ID(), tx.From())
	}
	return r, nil
}

// damaged returns an error naming the first file of the journal that
// holds no valid record (cut short, changed, or no file at all), if
// there is one. Such a file may be the record of a transfer an earlier
// run sent, which the journal can no longer see: a send that passed over
// it would sign the same transfer anew, a second payment.
func (j inflightJournal) damaged() error {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return nil // each finds no records either; claim says why
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), j.prefix) || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		if _, err := j.readRecord(e.Name()); err != nil {
			return fmt.Errorf("%s holds no valid record of a transfer in flight (%w): it may be one an earlier run sent, and sending the same transfer now could pay twice; nothing was sent: check the account's history, then move the file away (or send with -again for a second payment)", filepath.Join(j.dir, e.Name()), err)
		}
	}
	return nil
}

// maxRecordSize bounds a file of the journal: a record's JSON, a signed
// transfer and a hash, is well under a kilobyte.
const maxRecordSize = 16 << 10

// each calls f with every valid record in the journal.
func (j inflightJournal) each(f func(r inflightRecord)) {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), j.prefix) || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		if r, valid := j.read(e.Name()); valid {
			f(r)
		}
	}
}

// isTransfer reports whether tx is the transfer to to, of amount and
// fee, on the chain chainID: what a send of the same transfer signs, but
// for the nonce.
func isTransfer(tx blockchain.Transaction, chainID string, to blockchain.Address, amount, fee int64) bool {
	return tx.ChainID() == chainID && tx.To() == to && tx.Amount() == amount && tx.Fee() == fee
}

// same returns the record of the transfer in flight to to, of amount and
// fee, on the chain chainID, with the lowest nonce, if there is one.
func (j inflightJournal) same(chainID string, to blockchain.Address, amount, fee int64) (inflightRecord, bool) {
	var found inflightRecord
	ok := false
	j.each(func(r inflightRecord) {
		if isTransfer(r.tx, chainID, to, amount, fee) && (!ok || r.tx.Nonce() < found.tx.Nonce()) {
			found, ok = r, true
		}
	})
	return found, ok
}

// after returns the lowest nonce from next on that no transfer in flight
// on the chain chainID holds: past those that other runs signed from the
// same next nonce, and not past a record left far ahead (a chain wiped
// since), which would leave a gap the bank refuses.
func (j inflightJournal) after(chainID string, next uint64) uint64 {
	held := map[uint64]bool{}
	j.each(func(r inflightRecord) {
		if r.tx.ChainID() == chainID {
			held[r.tx.Nonce()] = true
		}
	})
	for held[next] {
		next++
	}
	return next
}

// holds reports whether the journal has tx.
func (j inflightJournal) holds(tx blockchain.Transaction) bool {
	_, ok := j.read(filepath.Base(j.path(tx.ID())))
	return ok
}

// claim records r's transfer as in flight, in a file of its own, unless
// the journal holds it already, and reports whether it recorded it. The file appears
// whole (a temporary file, linked to its name) and once: of two runs
// that claim the same transfer at the same time, one records it and the
// other learns that it is there. (Where the file system has no hard
// links, the temporary file is renamed, and that race is not seen.) The
// record and its name are on disk when claim returns: a power cut after
// the post does not lose it.
func (j inflightJournal) claim(r inflightRecord) (bool, error) {
	tx := r.tx
	data, err := encodeRecord(r)
	if err != nil {
		return false, fmt.Errorf("record the transfer in flight: %w", err)
	}
	f, err := os.CreateTemp(j.dir, ".inflight-*.tmp")
	if err != nil {
		return false, fmt.Errorf("record the transfer in flight: %w", err)
	}
	defer func() { _ = os.Remove(f.Name()) }()
	// On disk before the transfer is posted: a record a crash lost would
	// let the next run sign a second transfer.
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("record the transfer in flight: %w", err)
	}
	switch err := os.Link(f.Name(), j.path(tx.ID())); {
	case err == nil:
		return true, j.sync()
	case errors.Is(err, fs.ErrExist):
		if j.holds(tx) {
			return false, nil
		}
		// Not a record of tx: left alone, for removing it could remove
		// the record another run has just put in its place.
		return false, fmt.Errorf("record the transfer in flight: %s is there but holds no valid record of it", j.path(tx.ID()))
	}
	if j.holds(tx) {
		return false, nil
	}
	if err := os.Rename(f.Name(), j.path(tx.ID())); err != nil {
		return false, fmt.Errorf("record the transfer in flight: %w", err)
	}
	return true, j.sync()
}

// sync flushes the journal's directory, so that a record linked into it
// survives a crash. Its error wraps errNotDurable.
func (j inflightJournal) sync() error {
	if err := keystore.SyncDir(j.dir); err != nil {
		return fmt.Errorf("record the transfer in flight: %w: %w", errNotDurable, err)
	}
	return nil
}

// errNotDurable is wrapped by claim's error for a record it made that
// the disk did not confirm.
var errNotDurable = errors.New("the record is made but not confirmed on disk")

// clear forgets tx.
func (j inflightJournal) clear(tx blockchain.Transaction) { _ = os.Remove(j.path(tx.ID())) }

// nonceTaken explains err, the bank's refusal of tx, if it says another
// transfer from the same account (a scheduler, another wallet) took tx's
// nonce between send's read of the account and its post: nothing was
// taken, the bank says (the record stays all the same: see deniedKept).
// send does not sign again by itself: that a nonce is taken is the
// bank's word, and a bank that lied, and kept each transfer it refused,
// would have the key sign one more each time. Any other error comes back
// as it is.
func (w *wallet) nonceTaken(ctx context.Context, c *bankclient.Client, from account, tx blockchain.Transaction, err error) error {
	var pe *bankclient.ProblemError
	if !errors.As(err, &pe) || pe.Problem.Rule != blockchain.ErrBadNonce.String() || errors.Is(err, errMayHaveReached) {
		return err
	}
	acct, aerr := c.Account(ctx, from.addr)
	if aerr == nil && acct.NextNonce < tx.Nonce() {
		return fmt.Errorf("%w; nonce %d is past the bank's next nonce, %d: the transfers from %s before it, in flight from other runs, have not reached the bank (or it dropped them): nothing was sent; send again once they are in (or, if the chain was begun again since this transfer was signed, send with -again, which pays anew and forgets it)", err, tx.Nonce(), acct.NextNonce, from)
	}
	if aerr != nil || acct.NextNonce <= tx.Nonce() {
		return err
	}
	return fmt.Errorf("%w; nonce %d was taken by another transfer from %s meanwhile (the bank's next nonce is now %d): nothing was sent, the bank says; send again once that transfer is in a block under %d block(s) of work, the block's own included (-confirmations)", err, tx.Nonce(), from, acct.NextNonce, w.opts.confirmations)
}

// final prints an included transaction's block, or returns why it was
// dropped.
func (w *wallet) final(st bankclient.Status) error {
	switch st.State {
	case bankclient.Included:
		fmt.Fprintf(w.stdout, "included in block %d (hash %s)\n", st.Height, st.BlockHash)
		return nil
	case bankclient.Dropped:
		return fmt.Errorf("transaction %s dropped: %s", st.ID, droppedWhy(st))
	}
	fmt.Fprintf(w.stdout, "%s\n", bankclient.Printable(string(st.State)))
	return nil
}

// droppedWhy says why a transaction was dropped: the reason and the rule.
// Both are the bank's words, printed as bankclient.Printable makes them.
func droppedWhy(st bankclient.Status) string {
	why := bankclient.Printable(st.Reason)
	if why == "" {
		why = "no reason given"
	}
	if st.Rule != "" {
		why += " (rule " + bankclient.Printable(st.Rule) + ")"
	}
	return why
}

// loadKey loads the key FROM names — a key's name, or the address of one —
// decrypting it with the passphrase if it is encrypted.
func (w *wallet) loadKey(ctx context.Context, arg string) (blockchain.PrivateKey, account, error) {
	ks, err := w.openKeystore(false)
	if err != nil {
		return blockchain.PrivateKey{}, account{}, err
	}
	var e keystore.Entry
	if len(arg) > keystore.MaxNameLen {
		a, err := blockchain.ParseAddress(arg)
		if err != nil {
			return blockchain.PrivateKey{}, account{}, usagef("bad address: %v", err)
		}
		if e, err = ks.Find(a); err != nil {
			if !errors.Is(err, keystore.ErrNotFound) {
				return blockchain.PrivateKey{}, account{}, err
			}
			msg := fmt.Sprintf("no key of %s in %s: a transfer is signed with the sender's key", a, ks.Dir())
			// Find joins to ErrNotFound the refusal of each key file it
			// could not read: the key may be there, refused (its mode
			// too open, say), and the user must hear why.
			if joined, ok := err.(interface{ Unwrap() []error }); ok && len(joined.Unwrap()) > 1 {
				msg += "; a key file was refused: " + strings.ReplaceAll(errors.Join(joined.Unwrap()[1:]...).Error(), "\n", "; ")
			}
			return blockchain.PrivateKey{}, account{}, errors.New(msg)
		}
	} else if e, err = w.lookup(ks, arg); err != nil {
		return blockchain.PrivateKey{}, account{}, err
	}
	var pass []byte
	if e.Encrypted {
		if pass, err = w.passphrase(ctx); err != nil {
			return blockchain.PrivateKey{}, account{}, err
		}
		if pass == nil {
			return blockchain.PrivateKey{}, account{}, fmt.Errorf("key %s is encrypted: give its passphrase with -passphrase-file FILE or EVENTCHAIN_PASSPHRASE", e.Name)
		}
	}
	key, err := ks.Load(e.Name, pass)
	if err != nil {
		return blockchain.PrivateKey{}, account{}, fmt.Errorf("load key %s: %w", e.Name, err)
	}
	return key, account{addr: e.Address, name: e.Name}, nil
}

// retrying calls do, again while the bank cannot answer yet (it is
// restoring its chain, its event log is down) or does not answer, up to
// submitAttempts times, pausing as the bank asks (Retry-After) or a
// second. Every request it repeats is safe to repeat: a read, or the
// same signed transfer with the same key.
func (w *wallet) retrying(ctx context.Context, do func() error) error {
	for attempt := 1; ; attempt++ {
		err := do()
		if err == nil || !bankclient.IsRetryable(err) || attempt == submitAttempts {
			return err
		}
		pause := time.Second
		var pe *bankclient.ProblemError
		if errors.As(err, &pe) && pe.RetryAfter > pause {
			pause = min(pe.RetryAfter, 10*time.Second)
		}
		fmt.Fprintf(w.stderr, "%v; trying again in %v\n", err, pause)
		if err := w.after(ctx, pause); err != nil {
			return err
		}
	}
}

// submit posts tx, again while the bank cannot take it yet or does not
// answer. If no answer came, the bank may have taken it all the same:
// the error then says so, with the transaction's ID, so that the user
// looks it up rather than send again, which would sign a second transfer.
func (w *wallet) submit(ctx context.Context, c *bankclient.Client, tx blockchain.Transaction) (bankclient.Status, error) {
	var st bankclient.Status
	// An attempt that got no answer may have reached the bank; so may one
	// the bank answered "event log unavailable", which says the
	// transaction may or may not be recorded, and a 5xx other than a 503
	// (a proxy's 502 or 504, after the bank may have taken it).
	unanswered := false
	err := w.retrying(ctx, func() error {
		var err error
		st, err = c.Submit(ctx, tx, tx.Hash().String())
		var pe *bankclient.ProblemError
		if err != nil && (!errors.As(err, &pe) || pe.Problem.Title == "event log unavailable" ||
			pe.Status >= 500 && pe.Status != http.StatusServiceUnavailable) {
			unanswered = true
		}
		return err
	})
	switch {
	case err == nil:
		return st, nil
	case !unanswered:
		return st, fmt.Errorf("submit: %w", err) // every answer said the bank did not take it
	}
	return st, fmt.Errorf("submit transaction %s: %w; %w: look it up with 'wallet status %s' rather than send again", tx.ID(), err, errMayHaveReached, tx.ID())
}

// errMayHaveReached marks the error of a submission an attempt of which
// got no answer: the bank may have taken the transaction.
var errMayHaveReached = errors.New("it may have reached the bank all the same")

// txID reads a transaction ID given on the command line.
func txID(arg string) (uuid.UUID, error) {
	id, err := uuid.Parse(arg)
	if err != nil {
		return uuid.UUID{}, usagef("transaction ID: have %q, want a UUID, as send printed it", arg)
	}
	return id, nil
}

// status is "wallet status TX-ID".
func (w *wallet) status(ctx context.Context, args []string) error {
	id, err := txID(args[0])
	if err != nil {
		return err
	}
	c, err := w.client()
	if err != nil {
		return err
	}
	st, err := c.Status(ctx, id)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "transaction\t%s\n", st.ID)
	if st.Hash.IsZero() {
		fmt.Fprintf(tw, "hash\tunknown (the bank holds the transaction no longer)\n")
	} else {
		fmt.Fprintf(tw, "hash\t%s\n", st.Hash)
	}
	fmt.Fprintf(tw, "status\t%s\n", bankclient.Printable(string(st.State)))
	switch st.State {
	case bankclient.Included:
		fmt.Fprintf(tw, "block\t%d (hash %s)\n", st.Height, st.BlockHash)
	case bankclient.Dropped:
		fmt.Fprintf(tw, "reason\t%s\n", droppedWhy(st))
	}
	return tw.Flush()
}

// history is "wallet history NAME|ADDRESS".
func (w *wallet) history(ctx context.Context, args []string) error {
	if w.opts.limit < 1 || w.opts.limit > maxHistoryLimit {
		return usagef("-limit: have %d, want 1…%d", w.opts.limit, maxHistoryLimit)
	}
	who, err := w.resolve(args[0])
	if err != nil {
		return err
	}
	c, err := w.client()
	if err != nil {
		return err
	}
	page, err := c.History(ctx, who.addr, int(w.opts.limit), w.opts.before)
	var problem *bankclient.ProblemError
	if errors.As(err, &problem) && problem.Status == http.StatusBadRequest && problem.Problem.Field == "before" {
		// Only the bank knows its cursors: a bad one is a usage error
		// all the same, as a bad -limit is.
		return usagef("-before: %v", err)
	}
	if err != nil {
		return err
	}
	if len(page.Transactions) == 0 {
		if w.opts.before != "" {
			fmt.Fprintf(w.stdout, "no older transfers of %s\n", who)
			return nil
		}
		fmt.Fprintf(w.stdout, "no transfers of %s in the chain yet\n", who)
		return nil
	}
	names := w.keyNames()
	tw := tabwriter.NewWriter(w.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "BLOCK\tDIRECTION\tCOUNTERPARTY\tAMOUNT\tFEE\tNONCE\tTRANSACTION\n")
	for _, e := range page.Transactions {
		other := e.To
		if e.Direction == bankclient.In {
			other = e.From
		}
		label := other.String()
		if n, ok := names[other]; ok {
			label = n
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\t%s\n", e.Height, bankclient.Printable(string(e.Direction)), label, e.Amount, e.Fee, e.Nonce, e.ID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.Next != "" {
		line, err := w.nextPageCommand(args[0], page.Next)
		if err != nil {
			return fmt.Errorf("older transfers: %w", err)
		}
		fmt.Fprintf(w.stdout, "older transfers: %s\n", line)
	}
	return nil
}

// nextPageCommand returns the command that prints the history page after
// this one, of the account arg names, whose cursor the bank gave as
// next. It names the bank and the keystore this run used, whether a
// flag, the environment or a default gave them, so that it asks the
// same bank about the same account from any shell (the keystore, made
// absolute, from any directory), with the same -limit. Every word is
// quoted as one shell word (shellWord): the cursor is the bank's, and a
// cursor such as "x; rm -rf ~" must stay an argument. A word that
// cannot be shown safely (showableWord) is an error, and no command.
func (w *wallet) nextPageCommand(arg, next string) (string, error) {
	type word struct{ what, flag, value string }
	words := []word{{"the account", "", arg}, {"-bank", "-bank", w.g.bank}}
	if keys := w.g.keystore; keys != "" { // "": there is none (no $HOME), and history needs none
		if abs, err := filepath.Abs(keys); err == nil {
			keys = abs
		}
		words = append(words, word{"-keystore", "-keystore", keys})
	}
	words = append(words,
		word{"-limit", "-limit", strconv.FormatInt(w.opts.limit, 10)},
		word{"the bank's cursor of the next page", "-before", next})
	line := []string{"wallet", "history"}
	for _, word := range words {
		if err := showableWord(word.what, word.value); err != nil {
			return "", err
		}
		if word.flag != "" {
			line = append(line, word.flag)
		}
		line = append(line, shellWord(word.value))
	}
	return strings.Join(line, " "), nil
}

// keyNames maps the keystore's addresses to their keys' names, so that a
// history shows "bob" rather than bob's address; empty if the keystore
// cannot be read.
func (w *wallet) keyNames() map[blockchain.Address]string {
	names := map[blockchain.Address]string{}
	ks, err := w.openKeystore(false)
	if err != nil {
		return names
	}
	entries, _ := ks.List()
	for _, e := range entries {
		if _, dup := names[e.Address]; !dup {
			names[e.Address] = e.Name
		}
	}
	return names
}
