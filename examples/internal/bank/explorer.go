package bank

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/internal/clip"
	"github.com/eventchain/eventchain/node"
)

// The explorer page (explorer/index.html) shows the chain live: the
// newest blocks, the richest accounts, the transactions the bank refused
// and the blocks its node rejected, each with the rule it broke. It draws
// what GET /events pushes, and fetches the rest from the API as the
// reader clicks: a block's transactions (GET /blocks/{ref}), a
// transaction's Merkle path (GET /transactions/{id}/proof), an
// account's history and state proof (GET /accounts/{address}…). It
// re-checks both kinds of proof itself, with the browser's SHA-256, so
// that it shows what a light client does rather than what the bank says.
//
//go:embed explorer/index.html
var explorerFiles embed.FS

// explorerBlocks is how many of the newest blocks the explorer shows.
const explorerBlocks = 12

// explorerRejected is how many rejected blocks the bank remembers for it.
const explorerRejected = 10

// explorerRefused is how many refused transactions the bank remembers
// for it.
const explorerRefused = 20

// explorerAccounts is how many of the richest accounts the explorer
// lists.
const explorerAccounts = 20

// explorerScanLimit bounds the accounts the explorer reads to find the
// richest. State.Each visits every account in address order, which costs
// next to nothing on a teaching devnet of a few hundred accounts but
// would cost a real chain of millions dearly at every change. So the
// explorer reads the first explorerScanLimit accounts (by address, which
// is as good as a random sample: addresses are hashes) and says so
// (ExplorerState.AccountsScanned < AccountsTotal). A bank for a large
// chain would keep a ranking up to date from its BlockAdded events
// instead.
const explorerScanLimit = 10_000

// Where a refused transaction was turned away (RefusedTx.Stage).
const (
	// StageSubmit: POST /transactions refused it; it never reached the
	// log.
	StageSubmit = "submit"
	// StagePool: it was pending, and a block made it invalid (its nonce
	// taken, its funds spent), so the pool dropped it.
	StagePool = "pool"
)

// explorerMemory is what the bank remembers for the explorer page beyond
// the chain: the transactions it refused lately, and the richest
// accounts of the newest state it ranked. It has a lock of its own, so
// that drawing the page never holds up a request.
type explorerMemory struct {
	mu      sync.Mutex
	refused []RefusedTx   // newest last, at most explorerRefused
	changed chan struct{} // closed when refused changes; nil until someone waits

	// The ranking of the state whose root is rankedRoot, kept until the
	// state changes: every open page asks for it at every change.
	ranked     bool
	rankedRoot blockchain.Hash
	richest    []ExplorerAccount
	scanned    int
}

// addRefused remembers r, the newest refusal, forgetting the oldest
// beyond explorerRefused. A transaction refused again at the same stage
// (a client retrying it) moves to the front instead of taking a second
// place.
//
// Anyone can post a transfer in another's name that is refused before
// (or for) its signature, so refusals no signature vouches for take at
// most half the places, and a signed refusal that finds the list full
// takes the place of the oldest of them: a flood of them cannot push out
// what signed transfers were refused for.
func (m *explorerMemory) addRefused(r RefusedTx) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, old := range m.refused {
		// The same bytes (Hash), not only the same ID: the ID is of what
		// is signed, so anyone can post a copy of a signed refusal with
		// another signature, which must not take its place.
		if old.ID == r.ID && old.Stage == r.Stage && old.Hash == r.Hash {
			m.forget(i)
			break
		}
	}
	oldestUnsigned, unsigned := -1, 0
	for i, old := range m.refused {
		if !old.Signed {
			if oldestUnsigned < 0 {
				oldestUnsigned = i
			}
			unsigned++
		}
	}
	switch {
	case !r.Signed && unsigned >= explorerRefused/2:
		m.forget(oldestUnsigned)
	case len(m.refused) == explorerRefused && r.Signed && oldestUnsigned >= 0:
		m.forget(oldestUnsigned)
	case len(m.refused) == explorerRefused:
		m.forget(0)
	}
	m.refused = append(m.refused, r)
	m.signalLocked()
}

// signal wakes the event streams: something the explorer draws changed
// that the node's Changed did not, or did before it was recorded.
func (m *explorerMemory) signal() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.signalLocked()
}

// signalLocked is signal, m.mu held.
func (m *explorerMemory) signalLocked() {
	if m.changed != nil {
		close(m.changed)
		m.changed = nil
	}
}

// forget removes the i-th refusal, in place: the memory stays bounded.
func (m *explorerMemory) forget(i int) {
	m.refused = append(m.refused[:i], m.refused[i+1:]...)
}

// changes returns a channel closed at the next change of the refusals,
// which the node's Changed does not signal (a refused transaction never
// reaches the node), and each time observe has recorded a block's miner
// or a rejected block, which the node's Changed signals before its
// observers are told. Take it before reading, as with the node's.
func (m *explorerMemory) changes() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.changed == nil {
		m.changed = make(chan struct{})
	}
	return m.changed
}

// refusedList returns a copy of the remembered refusals, oldest first.
func (m *explorerMemory) refusedList() []RefusedTx {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]RefusedTx{}, m.refused...)
}

// ranking returns the richest accounts of st and how many accounts were
// read to find them, ranking st only if its root differs from the last
// one ranked.
func (m *explorerMemory) ranking(st *blockchain.State) ([]ExplorerAccount, int) {
	root := st.Root()
	m.mu.Lock()
	if m.ranked && m.rankedRoot == root {
		top, scanned := m.richest, m.scanned
		m.mu.Unlock()
		return append([]ExplorerAccount{}, top...), scanned
	}
	m.mu.Unlock()
	top, scanned := richest(st, explorerAccounts, explorerScanLimit) // outside the lock: it reads up to 10 000 accounts
	m.mu.Lock()
	m.ranked, m.rankedRoot, m.richest, m.scanned = true, root, top, scanned
	m.mu.Unlock()
	return append([]ExplorerAccount{}, top...), scanned
}

// richest returns the n accounts of st with the highest balances, richest
// first and equal balances in address order, among the first limit
// accounts in address order; and how many accounts it read. It keeps
// the n best in a sorted slice, so it costs O(limit·log n) comparisons
// and never more than n accounts of memory.
func richest(st *blockchain.State, n, limit int) ([]ExplorerAccount, int) {
	top := make([]ExplorerAccount, 0, n)
	scanned := 0
	for addr, acct := range st.Each {
		if scanned == limit {
			break
		}
		scanned++
		// The first place whose balance is lower: an equal balance read
		// earlier (a lower address) stays ahead.
		i := sort.Search(len(top), func(i int) bool { return top[i].Balance < acct.Balance })
		if i == n {
			continue
		}
		if len(top) < n {
			top = append(top, ExplorerAccount{})
		}
		copy(top[i+1:], top[i:len(top)-1])
		top[i] = ExplorerAccount{Address: addr, Balance: acct.Balance, Nonce: acct.Nonce}
	}
	return top, scanned
}

// refuse answers a POST /transactions whose transaction the rules or the
// pool refused with its problem, and remembers the transaction for the
// explorer if the problem names a rule.
func (b *Bank) refuse(w http.ResponseWriter, tx blockchain.Transaction, p Problem) {
	if p.Rule != "" {
		signed := false // a signature refused, or a key anyone can sign for, vouches for nothing
		if p.Rule != blockchain.ErrBadSignature.String() && p.Rule != blockchain.ErrWeakKey.String() {
			signed = b.signed(tx)
		}
		b.explorerMem.addRefused(refusedTx(tx, StageSubmit, p.Rule, p.Detail, nil, signed))
	}
	b.problem(w, p)
}

// signed reports whether tx's sender signed it, through the cache of the
// node's pool: a transaction refused after its signature verified, or
// held by the pool, costs no second verification. One refused before its
// signature is checked now, once, as it would have been had it kept the
// rules before it.
//
// The signature must also be by the key of the sender the transaction
// names (the rule sender-is-key): a signature verifies against the
// transaction's own public key, and anyone can sign with theirs a
// transfer that names another's account as its sender.
func (b *Bank) signed(tx blockchain.Transaction) bool {
	return tx.PublicKey().Address() == tx.From() && b.node.Pool().SigCache().Verify(tx)
}

func refusedTx(tx blockchain.Transaction, stage, rule, detail string, height *uint64, signed bool) RefusedTx {
	return RefusedTx{ID: tx.ID(), Hash: tx.Hash(), From: tx.From(), To: tx.To(), Amount: tx.Amount(), Fee: tx.Fee(), Nonce: tx.Nonce(),
		Signed: signed, Stage: stage, Rule: rule, Detail: detail, Height: height}
}

// ruleOf names the rule err breaks, "" if it is no rule's.
func ruleOf(err error) string {
	var re *blockchain.RuleError
	if errors.As(err, &re) {
		return re.Code.String()
	}
	return ""
}

// observe is told by the bank's node of every block it adds or rejects,
// with the miner that published it, and of every pending transaction a
// block made invalid. It keeps the bank's ledger index, and what the
// explorer page draws. New registers it with the node.
func (b *Bank) observe(e node.Event) {
	if e.Block == nil {
		return
	}
	if e.Kind == node.TxDropped {
		height := e.Block.Height()
		detail := ""
		if e.Err != nil {
			detail = truncateDetail(e.Err.Error())
		}
		b.explorerMem.addRefused(refusedTx(e.Tx, StagePool, ruleOf(e.Err), detail, &height, b.signed(e.Tx)))
		return
	}
	// The node signalled its Changed before it told its observers: an
	// event stream woken by it may have drawn the block without its
	// miner, or missed the rejection. Once recorded, they are drawn.
	defer b.explorerMem.signal()
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e.Kind {
	case node.BlockAdded:
		// While the index is behind (its file takes no writes), what the
		// bank accepted stays accepted, pending to its clients rather
		// than unknown, and nothing is judged outbid: the index could not
		// say which of them a block included.
		if b.index.add(e.Block, e.Revision) {
			for i := range e.Block.Len() {
				delete(b.accepted, e.Block.Transaction(i).ID())
			}
			b.dropOutbid(e.Block.Height())
		}
		b.miners[e.Block.Hash()] = printableMiner(e.MinerID)
		b.minerOrder = append(b.minerOrder, e.Block.Hash())
		if len(b.minerOrder) > explorerBlocks*4 {
			delete(b.miners, b.minerOrder[0])
			b.minerOrder = b.minerOrder[1:]
		}
	case node.BlockRejected:
		b.rejected = append(b.rejected, ExplorerBlock{Height: e.Block.Height(), Hash: e.Block.Hash(), Transactions: e.Block.Len(),
			Nonce: e.Block.Header().Nonce, Bits: e.Block.Header().Bits, Miner: printableMiner(e.MinerID), Rule: ruleOf(e.Err)})
		if len(b.rejected) > explorerRejected {
			b.rejected = b.rejected[1:]
		}
	}
}

// printableMiner returns a block event's miner ID as the explorer shows
// it: as it is if a page prints every character of it as itself, and
// else quoted, each other character escaped (\u202e, \x1b). Whoever
// appended the event wrote it, and a right-to-left override or a control
// character would make it read as other words.
func printableMiner(id string) string {
	if clip.Graphic(id) {
		return id
	}
	return strconv.QuoteToGraphic(id)
}

// dropOutbid records as dropped each transaction this bank accepted that
// no block up to height included, that its node's pool does not hold,
// and whose nonce its sender had used by then: another transaction with
// that nonce took its place — one another bank on the same log accepted
// in the same instant, say, which the bank's pool held first, so that it
// refused this one — and it can never apply. Unless the pool held it and
// dropped it, nothing else would tell, and it would read as pending for
// ever (until a restart, which forgets what the bank accepted). The
// blocks up to height have all been observed (observe runs in chain
// order), so a transaction still accepted is in none of them; the index
// is asked all the same. b.mu must be held.
func (b *Bank) dropOutbid(height uint64) {
	if len(b.accepted) == 0 {
		return
	}
	state, ok := b.node.Chain().StateAt(height)
	if !ok {
		return // a state the chain no longer keeps: a later block will tell
	}
	pool := b.node.Pool()
	for id, tx := range b.accepted {
		used := state.Account(tx.From()).Nonce
		if used <= tx.Nonce() || pool.Has(id) {
			continue
		}
		if _, included := b.included(id); included {
			delete(b.accepted, id)
			continue
		}
		reason := fmt.Sprintf("by block %d the chain used nonce %d of %s for another transaction", height, tx.Nonce(), tx.From())
		if _, known, err := b.index.store.dropped(id); err != nil || !known { // a drop recorded already keeps its words
			if err == nil {
				err = b.index.store.putDropped(events.TransactionDropped{TxID: id, Rule: blockchain.ErrBadNonce, Reason: reason})
			}
			if err != nil {
				b.logger.Error("ledger index failed", "tx", id, "err", err)
				continue
			}
		}
		delete(b.accepted, id)
		b.explorerMem.addRefused(refusedTx(tx, StagePool, blockchain.ErrBadNonce.String(), reason, &height, b.signed(tx)))
		b.logger.Info("accepted transaction outbid", "tx", id, "reason", reason)
	}
}

// ExplorerBlock is a block as the explorer page draws it.
type ExplorerBlock struct {
	Height       uint64          `json:"height"`
	Hash         blockchain.Hash `json:"hash"`
	Transactions int             `json:"transactions"`
	Nonce        uint64          `json:"nonce"`
	Bits         uint32          `json:"bits"`
	Miner        string          `json:"miner,omitempty"`
	Rule         string          `json:"rule,omitempty"` // the rule a rejected block broke
}

// ExplorerAccount is an account as the explorer lists it.
type ExplorerAccount struct {
	Address blockchain.Address `json:"address"`
	Balance int64              `json:"balance"` // minor units
	Nonce   uint64             `json:"nonce"`   // transfers the account sent
}

// RefusedTx is a transaction turned away, as the explorer lists it: at
// POST /transactions (Stage "submit"), or from the pool after a block made
// it invalid (Stage "pool"), with the rule it broke.
type RefusedTx struct {
	ID     uuid.UUID          `json:"id"`
	Hash   blockchain.Hash    `json:"hash"`
	From   blockchain.Address `json:"from"`
	To     blockchain.Address `json:"to"`
	Amount int64              `json:"amount"`
	Fee    int64              `json:"fee"`
	Nonce  uint64             `json:"nonce"`
	// Signed says whether the sender's signature of this very transfer
	// verified. If not, From is only what the request claimed: anyone can
	// post a transfer in another's name that is refused before its
	// signature is checked, or for its signature.
	Signed bool    `json:"signed"`
	Stage  string  `json:"stage"`            // StageSubmit or StagePool
	Rule   string  `json:"rule"`             // the rule broken ("bad-nonce", …); "" if none was named
	Detail string  `json:"detail,omitempty"` // what was wrong, for people
	Height *uint64 `json:"height,omitempty"` // StagePool: the block that made it invalid
}

// ExplorerState is what GET /events sends at every change.
type ExplorerState struct {
	Height   uint64          `json:"height"`
	Pending  int             `json:"pending"`
	HashRate float64         `json:"hashRate"` // hashes per second, estimated
	Blocks   []ExplorerBlock `json:"blocks"`   // newest last
	Rejected []ExplorerBlock `json:"rejected"` // newest last, each with its rule
	// Accounts are the richest accounts after the tip, richest first,
	// at most 20, found among the first AccountsScanned accounts in
	// address order; AccountsTotal is how many accounts there are. When
	// AccountsScanned < AccountsTotal the list is the richest of a sample.
	Accounts        []ExplorerAccount `json:"accounts"`
	AccountsScanned int               `json:"accountsScanned"`
	AccountsTotal   int               `json:"accountsTotal"`
	Refused         []RefusedTx       `json:"refused"` // newest last, at most 20
}

// explorerState reads the chain, the pool and what observe and refuse
// recorded.
func (b *Bank) explorerState() ExplorerState {
	chain := b.node.Chain()
	tip := chain.Height()
	st := ExplorerState{Height: tip, Pending: b.node.Pool().Len(), Blocks: []ExplorerBlock{}, Rejected: []ExplorerBlock{}}
	from := tip - min(tip, explorerBlocks-1)
	var work float64
	var first, last time.Time
	for h := from; h <= tip; h++ {
		header, ok := chain.HeaderAt(h)
		if !ok {
			continue
		}
		eb := ExplorerBlock{Height: h, Hash: header.Hash(), Nonce: header.Nonce, Bits: header.Bits}
		if blk, ok := chain.BlockAt(h); ok {
			eb.Transactions = blk.Len()
		}
		if h > 0 {
			if first.IsZero() {
				first = header.Timestamp
			} else {
				work += math.Exp2(float64(header.Bits)) // expected hashes to find this block
			}
			last = header.Timestamp
		}
		st.Blocks = append(st.Blocks, eb)
	}
	// The network's hash rate, estimated as proof of work allows: the
	// work the blocks needed over the time they took.
	if d := last.Sub(first).Seconds(); d > 0 {
		st.HashRate = work / d
	}
	state := chain.State()
	st.Accounts, st.AccountsScanned = b.explorerMem.ranking(state)
	st.AccountsTotal = state.Len()
	st.Refused = b.explorerMem.refusedList()
	b.mu.Lock()
	for i := range st.Blocks {
		st.Blocks[i].Miner = b.miners[st.Blocks[i].Hash]
	}
	st.Rejected = append(st.Rejected, b.rejected...)
	b.mu.Unlock()
	return st
}

// CloseStreams ends every GET /events stream, and answers those asked
// for after it 503. Call it when the app begins to stop: an HTTP
// server's graceful shutdown waits for every request to end, and a
// stream, open while its page is, ends only when told. A stream whose
// client stopped reading, its write blocked on a full connection, is
// ended too: its write deadline is moved to now. Calling it again does
// nothing.
func (b *Bank) CloseStreams() {
	b.stopOnce.Do(func() {
		close(b.stopping)
		b.streams.Range(func(st, _ any) bool {
			st.(*openStream).stop()
			return true
		})
	})
}

// An openStream is a GET /events stream that CloseStreams may stop, or
// another client's stream push out.
type openStream struct {
	client  string        // the client's IP address
	evicted chan struct{} // closed when another client's stream takes its place
	mu      sync.Mutex
	rc      *http.ResponseController
	ended   bool
}

// streamSlots counts the GET /events streams open, by client, and shares
// them out. A stream holds a connection and two goroutines for as long as
// its client stays, and a client that stops reading is noticed only when
// a write blocks, which a quiet chain never makes happen: so without a
// share, one client that opened every stream and read nothing would keep
// every other out for good.
type streamSlots struct {
	mu       sync.Mutex
	max      int                      // Config.MaxEventStreams
	open     int                      // streams open, all clients
	byClient map[string][]*openStream // each client's open streams, oldest first
}

// streamClient returns the client that remoteAddr (a request's RemoteAddr)
// is, as the streams are shared out: its IP address, or, for IPv6, the
// /64 network it is in, which one host commonly has to itself.
func streamClient(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// admit takes a place for st. When every place is taken it takes the
// place of the oldest stream of the client that holds the most, if that
// client holds at least two more than st's client: the two then hold
// the same or one apart, and a client's streams never push out one
// another. It returns the stream pushed out, if any, for the caller to
// end, and whether st has a place.
func (s *streamSlots) admit(st *openStream) (pushed *openStream, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pushed, ok = s.room(st.client)
	if !ok {
		return nil, false
	}
	if pushed != nil {
		s.remove(pushed)
		close(pushed.evicted)
	}
	if s.byClient == nil {
		s.byClient = make(map[string][]*openStream)
	}
	s.byClient[st.client] = append(s.byClient[st.client], st)
	s.open++
	return pushed, true
}

// wouldAdmit reports whether admit would take a stream of client now,
// and changes nothing: a HEAD request asks what a GET would be answered,
// and takes no place.
func (s *streamSlots) wouldAdmit(client string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.room(client)
	return ok
}

// room returns whether there is a place for a stream of client, and the
// stream that would give it up, if one must. s.mu is held.
func (s *streamSlots) room(client string) (victim *openStream, ok bool) {
	if s.open < s.max {
		return nil, true
	}
	top := ""
	for c, streams := range s.byClient {
		if len(streams) > len(s.byClient[top]) || (len(streams) == len(s.byClient[top]) && c < top) {
			top = c
		}
	}
	if len(s.byClient[top]) < len(s.byClient[client])+2 {
		return nil, false
	}
	return s.byClient[top][0], true
}

// release gives st's place back, unless another's stream took it.
func (s *streamSlots) release(st *openStream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(st)
}

// remove forgets st, if it holds a place. s.mu is held.
func (s *streamSlots) remove(st *openStream) {
	streams := s.byClient[st.client]
	for i, o := range streams {
		if o == st {
			streams = append(streams[:i], streams[i+1:]...)
			if len(streams) == 0 {
				delete(s.byClient, st.client)
			} else {
				s.byClient[st.client] = streams
			}
			s.open--
			return
		}
	}
}

// stop moves the stream's write deadline to now, unless it has ended.
func (s *openStream) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		_ = s.rc.SetWriteDeadline(time.Now())
	}
}

// end gives the stream's last chunk a second, and keeps stop off the
// connection from now on.
func (s *openStream) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	_ = s.rc.SetWriteDeadline(time.Now().Add(time.Second))
}

// explorerPage is the explorer page, and explorerCSP the
// Content-Security-Policy it is served with: the page's own inline script
// and style sheet, named by their SHA-256, run, and nothing else does —
// no other script, however it got into the page, no plugin, no other
// origin's frame around the page. The page draws what the bank sends as
// text, never as HTML; the policy is the second line, should a change
// ever forget it.
var explorerPage, explorerCSP = func() ([]byte, string) {
	page, err := explorerFiles.ReadFile("explorer/index.html")
	if err != nil {
		panic(err)
	}
	return explorerPolicy(page)
}()

// explorerPolicy returns page as it is served, and its policy.
func explorerPolicy(page []byte) ([]byte, string) {
	// A browser hashes a script as it parsed it, every line break made
	// LF; a checkout with CRLF line ends (Git for Windows' autocrlf)
	// would otherwise hash to another value, and the page run nothing.
	page = bytes.ReplaceAll(bytes.ReplaceAll(page, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
	hashes := func(re string) string {
		var out string
		for _, m := range regexp.MustCompile(re).FindAllSubmatch(page, -1) {
			sum := sha256.Sum256(m[1])
			out += " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		}
		return out
	}
	csp := "default-src 'none'; script-src" + hashes(`(?s)<script>(.*?)</script>`) +
		"; style-src" + hashes(`(?s)<style>(.*?)</style>`) +
		"; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return page, csp
}

func (b *Bank) explorer(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", explorerCSP)
	w.Header().Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(explorerPage)
}

// The bounds of the explorer's event streams: each holds a connection
// and two goroutines for as long as its client stays, and is sent the
// whole state on every change.
const (
	// defaultMaxEventStreams is Config.MaxEventStreams's default.
	defaultMaxEventStreams = 256
	// eventWriteTimeout is how long one event may take to write: a
	// client that stops reading is let go after it, rather than held
	// for ever.
	eventWriteTimeout = 30 * time.Second
)

// events streams the explorer's state as server-sent events: one now,
// then one after every change of the node or of the refusals, at most
// every 200 ms, until the client goes or CloseStreams is called.
func (b *Bank) events(w http.ResponseWriter, r *http.Request) {
	select {
	case <-b.stopping:
		w.Header().Set("Retry-After", b.retryAfter)
		b.problem(w, Problem{Status: http.StatusServiceUnavailable, Title: "stopping", Detail: "the bank is stopping"})
		return
	default:
	}
	client := streamClient(r.RemoteAddr)
	full := func() {
		w.Header().Set("Retry-After", b.retryAfter)
		b.problem(w, Problem{Status: http.StatusServiceUnavailable, Title: "too many event streams", Detail: fmt.Sprintf("the bank serves %d at once, and this client holds its share; try again later", b.slots.max)})
	}
	if r.Method == http.MethodHead { // the headers alone: no stream, no place taken, no one pushed out
		if !b.slots.wouldAdmit(client) {
			full()
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		return
	}
	rc := http.NewResponseController(w)
	st := &openStream{client: client, evicted: make(chan struct{}), rc: rc}
	pushed, ok := b.slots.admit(st)
	if !ok {
		full()
		return
	}
	defer b.slots.release(st)
	if pushed != nil {
		pushed.stop() // a write it is blocked in ends now
		b.logger.Info("event stream pushed out by another client's", "client", pushed.client, "for", client)
	}
	b.streams.Store(st, struct{}{}) // for CloseStreams
	defer b.streams.Delete(st)
	// The end of the stream (its last chunk) gets a second to be written,
	// whatever deadline CloseStreams left, and CloseStreams touches the
	// connection no more: once the handler returns, it may serve another
	// request.
	defer st.end()
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	for {
		changed, refused := b.node.Changed(), b.explorerMem.changes()
		data, err := json.Marshal(b.explorerState())
		if err != nil {
			return
		}
		// Each write has its own deadline: set once, it would cut the
		// next write after a long quiet spell. (Once it is set, a stop
		// is seen: CloseStreams, or another client's stream pushing this
		// one out, may have moved the deadline just before.)
		_ = rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
		select {
		case <-b.stopping:
			return
		case <-st.evicted:
			return
		default:
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-b.stopping:
			return
		case <-st.evicted:
			return
		case <-changed:
		case <-refused:
		}
		pace := time.NewTimer(200 * time.Millisecond) // coalesce bursts of changes
		select {
		case <-r.Context().Done():
			pace.Stop()
			return
		case <-b.stopping:
			pace.Stop()
			return
		case <-st.evicted:
			pace.Stop()
			return
		case <-pace.C:
		}
	}
}
