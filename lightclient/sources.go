package lightclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/internal/nilness"
	"github.com/eventchain/eventchain/node"
)

// Stats says what one sync did.
type Stats struct {
	Accepted int // headers the client accepted
	// Skipped counts the events or headers skipped as a node would skip
	// them (FromLog only). After a deferral (see Deferred) the events
	// read again are counted again.
	Skipped int
	// Deferred is 1 when FromLog met a header dated too far ahead of the
	// client's clock that it will read again next time (FromLog only).
	Deferred int
}

// BankPageSize is how many headers FromBank asks a bank for at a time:
// GET /headers' largest limit.
const BankPageSize = 1000

// MaxHeaderJSON bounds the JSON form of one header, in bytes: a header
// with the longest values and a seal of MaxSealLen bytes (in base64)
// takes under 850 (TestMaxHeaderJSON checks it), the rest is room to
// spare.
const MaxHeaderJSON = 1024

// maxPageBytes bounds one page of GET /headers: BankPageSize headers of at
// most MaxHeaderJSON bytes each. A longer answer is refused before it is
// read whole.
const maxPageBytes = BankPageSize * MaxHeaderJSON

// FromBank syncs the client from a bank's GET /headers, baseURL being the
// bank's address (such as "http://localhost:8080"): it asks for the
// headers after its tip (from genesis when empty: the bank's genesis
// header must have the trusted hash), BankPageSize at a time, and adds
// each page, until a page is shorter than asked — the bank's tip. Each
// header is in package blockchain's JSON form, with its transaction
// count, state root, beneficiary and seal. client nil means
// http.DefaultClient.
//
// The bank is not trusted: its headers go through [Client.Add] like any
// others. It is the only source, so a header it refuses stops the sync,
// with Add's error; the client keeps what it accepted before.
//
// Errors: ctx's error; the transport's; ErrBadSource for an answer that
// is not a list of headers (a status other than 200, a body too long, a
// page longer than asked, JSON that does not decode: that error wraps
// blockchain.ErrMalformed too; no header at all, where the client holds
// none yet and the bank should give the genesis: that error wraps
// ErrNoGenesis too); and Add's errors.
//
// A nil client is http.DefaultClient, which has no timeout: a bank that
// sends its answer a byte at a time holds FromBank for as long as ctx
// lets it. Give ctx a deadline, or pass a client with a Timeout.
func (c *Client) FromBank(ctx context.Context, baseURL string, client *http.Client) (Stats, error) {
	if c.rules == nil {
		return Stats{}, ErrZeroClient // before a request: it could add nothing
	}
	if client == nil {
		client = http.DefaultClient
	}
	base, err := url.Parse(strings.TrimSuffix(baseURL, "/") + "/headers")
	if err != nil {
		return Stats{}, fmt.Errorf("lightclient: bank address: %w", err)
	}
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	var st Stats
	for {
		from := uint64(c.Len())
		page, err := fetchPage(ctx, client, base, from)
		if err != nil {
			return st, err
		}
		if from == 0 && len(page) == 0 {
			// Every bank holds a genesis: an empty chain is no answer.
			return st, fmt.Errorf("%w: GET headers from 0: %w", ErrBadSource, ErrNoGenesis)
		}
		before := c.Len()
		err = c.Add(page...)
		st.Accepted += c.Len() - before
		if err != nil {
			return st, err
		}
		if len(page) < BankPageSize {
			return st, nil
		}
	}
}

// fetchPage asks the bank for the headers from height from on.
func fetchPage(ctx context.Context, client *http.Client, base *url.URL, from uint64) ([]blockchain.Header, error) {
	u := *base
	u.RawQuery = url.Values{"from": {strconv.FormatUint(from, 10)}, "limit": {strconv.Itoa(BankPageSize)}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("lightclient: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("lightclient: GET headers from %d: %w", from, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: GET headers from %d: have status %d, want 200", ErrBadSource, from, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("lightclient: GET headers from %d: %w", from, err)
	}
	if len(body) > maxPageBytes {
		return nil, fmt.Errorf("%w: GET headers from %d: have more than %d bytes, want at most that", ErrBadSource, from, maxPageBytes)
	}
	page, err := DecodeHeaders(body, BankPageSize)
	if err != nil {
		return nil, fmt.Errorf("GET headers from %d: %w", from, err)
	}
	return page, nil
}

// DecodeHeaders decodes a page of GET /headers: a JSON array of at most
// max headers, each in package blockchain's strict JSON form
// ([blockchain.Header.UnmarshalJSON]). Anything else — null, another JSON
// value, an unknown field, data after the array, more than max headers —
// is an error wrapping ErrBadSource, and, but for a page too long,
// blockchain.ErrMalformed. It checks no rule: that is Add's work. It
// never panics, whatever data holds.
func DecodeHeaders(data []byte, max int) ([]blockchain.Header, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%w: %w: %w", ErrBadSource, blockchain.ErrMalformed, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: %w: have null, want a list of headers", ErrBadSource, blockchain.ErrMalformed)
	}
	if len(raw) > max {
		return nil, fmt.Errorf("%w: have %d headers, want at most %d", ErrBadSource, len(raw), max)
	}
	out := make([]blockchain.Header, len(raw))
	for i, r := range raw {
		if err := out[i].UnmarshalJSON(r); err != nil {
			return nil, fmt.Errorf("%w: header %d of the page: %w", ErrBadSource, i, err)
		}
	}
	return out, nil
}

// logPage is how many events FromLog reads at a time.
const logPage = 128

// FromLog syncs the client from the event log's blocks stream
// (node.StreamBlocks), as a node's Restore would: it reads the stream
// from where the previous FromLog stopped to its end, decodes each
// BlockMined event with package events and offers the block's header to
// the client. The log holds no genesis block, only the chain spec it is
// made from: an empty client first reads the spec (node.LoadSpec) and
// adds its genesis, which Add accepts only if its hash is the trusted
// one. (A caller that has the genesis header may Add it first instead.)
//
// The log orders blocks but does not validate them: any writer may
// append. So, as a node does, FromLog skips — and counts in
// Stats.Skipped — an event that does not decode or is not a BlockMined,
// a block that fails [blockchain.Block.Validate] (its transactions do not
// match its Merkle root or count, say), and a header Add refuses; a block
// it already holds (an event stored twice) is skipped without being
// counted. One difference remains: a node also runs the block's
// transactions — signatures, chain ID, nonces, funds — and checks the
// state root they lead to, which a client without the state cannot do. If
// a sealed block broke only those rules, the client would keep it where
// nodes kept the next block at that height. That is the light client's
// bargain: it relies on the work (or the signers) behind a header for
// what it cannot check.
//
// A header's time is judged as nodes judge it: against the time the log
// recorded its event, not the client's clock (see
// blockchain.Chain.ApplyAt), so that the client refuses a block dated too
// far ahead whenever it reads it, as every node does. Only on a log that
// records no time does the client's clock judge; then one refusal is not
// for ever: a header dated more than MaxDrift ahead of the client's clock
// (blockchain.ErrTimeTooFarAhead) may be accepted once the clock catches
// up, or was refused because the client's clock is behind. If no header
// at its height was accepted by the end of the read, the next FromLog
// reads the log again from that event, and Stats.Deferred counts it; the
// events after it are read on as usual, so a forged block dated far ahead
// costs a re-read, never the blocks the nodes took at its height.
//
// Use one log per client. Errors: for an empty client, node.LoadSpec's
// (node.ErrNoSpec when the log declares no spec) and ErrWrongGenesis for
// a spec whose genesis is not the trusted one; ErrZeroClient; an error
// for a nil log; ctx's error and the log's, among them
// eventlog.ErrBrokenLog for a page of the blocks stream that breaks the
// eventlog.Log contract (FromLog checks each with eventlog.CheckPage).
func (c *Client) FromLog(ctx context.Context, log eventlog.Log) (st Stats, err error) {
	if nilness.IsNil(log) {
		return Stats{}, errors.New("lightclient: FromLog: the log is nil")
	}
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	if c.rules == nil {
		return st, ErrZeroClient
	}
	// The first event refused only for its time, at a height above the
	// tip: where the next FromLog starts again, unless a header at that
	// height is accepted meanwhile.
	deferred, deferredHeight := eventlog.Revision(0), uint64(0)
	haveDeferred := false
	defer func() {
		if haveDeferred && uint64(c.Len()) <= deferredHeight {
			c.logNext = deferred
			st.Deferred = 1
		}
	}()
	if c.Len() == 0 {
		spec, err := node.LoadSpec(ctx, log, nil)
		if err != nil {
			return st, fmt.Errorf("lightclient: the log's chain spec: %w", err)
		}
		genesis, err := spec.Genesis()
		if err != nil { // LoadSpec validated the spec
			return st, fmt.Errorf("lightclient: the log's genesis: %w", err)
		}
		if err := c.Add(genesis.Header()); err != nil {
			return st, err
		}
	}
	for {
		recs, err := log.Read(ctx, node.StreamBlocks, c.logNext, eventlog.Forwards, logPage)
		if errors.Is(err, eventlog.ErrStreamNotFound) {
			return st, nil
		}
		if err == nil {
			// A page out of order, or not from where it was asked for,
			// would have the loop read it again for ever.
			err = eventlog.CheckPage(node.StreamBlocks, c.logNext, eventlog.Forwards, logPage, recs)
		}
		if err != nil {
			return st, fmt.Errorf("lightclient: read %s: %w", node.StreamBlocks, err)
		}
		for _, r := range recs {
			switch height, err := c.addEvent(r); {
			case err == nil:
				st.Accepted++
				if haveDeferred && height >= deferredHeight {
					// The deferred header lost its height to this one:
					// a later refusal for time may be deferred instead.
					haveDeferred = false
				}
			case errors.Is(err, errHeld):
			case errors.Is(err, ErrTooManyHeaders):
				return st, err // the bound, not the event's fault: read it again once raised
			case errors.Is(err, blockchain.ErrTimeTooFarAhead) && !haveDeferred && r.Time.IsZero():
				// Judged by the client's clock, which may be behind: read it
				// again next time. (Judged at its record time, a refusal is
				// for good, as it is for nodes.)
				deferred, deferredHeight, haveDeferred = r.Revision, height, true
			default:
				st.Skipped++
			}
			c.logNext = r.Revision + 1
		}
		if len(recs) < logPage {
			return st, nil
		}
	}
}

// errHeld says that an event's block is one the client already holds.
var errHeld = errors.New("already held")

// addEvent offers the header of one BlockMined event to the client, and
// returns the block's height (0 if the event holds no block).
func (c *Client) addEvent(r eventlog.Recorded) (uint64, error) {
	p, err := events.Decode(r.Event)
	if err != nil {
		return 0, err
	}
	mined, ok := p.(events.BlockMined)
	if !ok {
		return 0, fmt.Errorf("%s event in the blocks stream", r.Type)
	}
	b := mined.Block
	if hash, ok := c.HashAt(b.Height()); ok && hash == b.Hash() {
		return b.Height(), errHeld
	}
	if err := b.Validate(); err != nil {
		return b.Height(), err
	}
	if r.Time.IsZero() { // a log that records no time: the client's clock
		return b.Height(), c.Add(b.Header())
	}
	// As a node does, judge the block's time against the time the log
	// recorded it (blockchain.Chain.ApplyAt): then the client refuses
	// what every node refuses, whenever it reads the log.
	return b.Height(), c.addAt(r.Time, b.Header())
}
