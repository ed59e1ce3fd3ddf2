package esdbtest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/eventlog/internal/idwindow"
)

// Limits and markers of EventStoreDB that the store reproduces.
const (
	// maxAppendSize is EventStoreDB's default MaxAppendSize: the most one
	// append may carry, counted as eventSize counts.
	maxAppendSize = 1 << 20
	// tombstoneNumber is the revision of a tombstone record, and the $tb
	// of a soft-deleted stream.
	tombstoneNumber = math.MaxInt64
	// firstPosition is the log position of the first record. A real node
	// writes system records first, so user events never start at 0.
	firstPosition = 1000
	// emptyRecordSize is how far an empty append moves the log position.
	emptyRecordSize = 100
	// metadataType and tombstoneType are the types of the system events
	// the store writes itself.
	metadataType  = "$metadata"
	tombstoneType = "$streamDeleted"
	// metaPrefix starts the name of every metadata stream: "$$" + stream.
	metaPrefix = "$$"
)

// A record is one event in the log: what $all holds, in order.
type record struct {
	pos     uint64 // log position: commit and prepare alike
	stream  string
	number  int64 // revision in the stream; tombstoneNumber for a tombstone
	id      uuid.UUID
	typ     string
	isJSON  bool
	data    []byte
	meta    []byte // the user metadata, as appended
	created int64  // 100 ns ticks since the Unix epoch
}

// size is how far the record moves the log position.
func (r *record) size() uint64 {
	return uint64(100 + len(r.stream) + len(r.typ) + len(r.data) + len(r.meta))
}

// A stream is one stream's index into the log.
type stream struct {
	recs      []int // log index of each revision, from 0
	tombstone int   // log index of the tombstone record; -1 if none
	idCost    int   // what the event-ID cache counts for each of its IDs
	// meta is, for a metadata stream, its latest event parsed; nil until
	// it has one.
	meta *streamMeta
}

// streamMeta is the part of a stream's metadata the store obeys: $tb
// (truncate before), $maxCount and $maxAge (in seconds), and the raw
// JSON object to rewrite when a soft-deleted stream comes back.
type streamMeta struct {
	tb, maxCount, maxAge *int64
	raw                  map[string]json.RawMessage
}

// parseMeta reads metadata from an event's data as a real node does
// (StreamMetadata.FromJsonReader, read with TryFromJsonBytes): data that
// is not a JSON object, or in which $maxCount, $maxAge, $tb or
// $cacheControl is not an integer that fits an int64, $tempStream not a
// boolean, or $acl not an object of roles, gives empty metadata, all of
// it; a $maxCount or $maxAge below 1, or a $tb below 0, is left out.
// Other keys are skipped.
func parseMeta(data []byte, isJSON bool) *streamMeta {
	m := &streamMeta{}
	if !isJSON || json.Unmarshal(data, &m.raw) != nil {
		m.raw = nil
		return m
	}
	var tb, maxCount, maxAge *int64
	for key, raw := range m.raw {
		ok := true
		switch key {
		case "$tb":
			tb, ok = metaInt(raw)
		case "$maxCount":
			maxCount, ok = metaInt(raw)
		case "$maxAge":
			maxAge, ok = metaSeconds(raw)
		case "$cacheControl":
			_, ok = metaSeconds(raw)
		case "$tempStream":
			text := string(bytes.TrimSpace(raw))
			ok = text == "true" || text == "false"
		case "$acl":
			ok = validACL(raw)
		}
		if !ok {
			return &streamMeta{raw: m.raw} // empty, but the JSON is kept for withTB
		}
	}
	if tb != nil && *tb >= 0 {
		m.tb = tb
	}
	if maxCount != nil && *maxCount > 0 {
		m.maxCount = maxCount
	}
	if maxAge != nil && *maxAge > 0 {
		m.maxAge = maxAge
	}
	return m
}

// jsonInteger matches a JSON number without fraction or exponent: what a
// real node's JSON reader takes for an integer.
var jsonInteger = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// metaInt reads a JSON integer that fits an int64; false for anything
// else (a fraction, an exponent, a bigger number, another type), which
// makes a real node take the whole metadata for empty.
func metaInt(raw json.RawMessage) (*int64, bool) {
	text := string(bytes.TrimSpace(raw))
	if !jsonInteger.MatchString(text) {
		return nil, false
	}
	i, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return nil, false
	}
	return &i, true
}

// maxTimeSpanSeconds is the most seconds a .NET TimeSpan holds: a real
// node fails to read a longer $maxAge or $cacheControl.
const maxTimeSpanSeconds = math.MaxInt64 / 10_000_000

// metaSeconds reads a number of seconds as a real node does: an integer
// (see metaInt) that a TimeSpan holds.
func metaSeconds(raw json.RawMessage) (*int64, bool) {
	n, ok := metaInt(raw)
	if ok && *n > maxTimeSpanSeconds {
		return nil, false
	}
	return n, ok
}

// validACL reports whether raw is an $acl a real node reads: an object
// whose keys are $r, $w, $d, $mr and $mw, each a role or an array of
// roles (strings).
func validACL(raw json.RawMessage) bool {
	var acl map[string]json.RawMessage
	if json.Unmarshal(raw, &acl) != nil || acl == nil {
		return false
	}
	for key, roles := range acl {
		switch key {
		case "$r", "$w", "$d", "$mr", "$mw":
		default:
			return false
		}
		if isJSONString(roles) {
			continue
		}
		var many []json.RawMessage
		if !bytes.HasPrefix(bytes.TrimSpace(roles), []byte("[")) || json.Unmarshal(roles, &many) != nil {
			return false
		}
		for _, role := range many {
			if !isJSONString(role) {
				return false
			}
		}
	}
	return true
}

// isJSONString reports whether raw (valid JSON) is a string.
func isJSONString(raw json.RawMessage) bool {
	return bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`))
}

// withTB returns the metadata JSON with $tb set to tb, keeping every
// other key.
func withTB(raw map[string]json.RawMessage, tb int64) []byte {
	out := make(map[string]json.RawMessage, len(raw)+1)
	for k, v := range raw {
		out[k] = v
	}
	out["$tb"] = json.RawMessage(strconv.FormatInt(tb, 10))
	b, _ := json.Marshal(out) // a map of raw JSON values always marshals
	return b
}

// An expectation is an append's or delete's expected revision, as
// EventStoreDB numbers it: -2 any, -1 no stream, -4 stream exists, or a
// revision.
type expectation int64

const (
	expectAny          expectation = -2
	expectNoStream     expectation = -1
	expectStreamExists expectation = -4
)

// A proposed event is what an append carries.
type proposed struct {
	id     uuid.UUID
	typ    string
	isJSON bool
	data   []byte
	meta   []byte
}

// eventSize counts an event as EventStoreDB's MaxAppendSize does: data,
// metadata, and the type in UTF-16 code units, two bytes each.
func eventSize(e proposed) int {
	return len(e.data) + len(e.meta) + 2*len(utf16.Encode([]rune(e.typ)))
}

// An outcome is what an append or delete did.
type outcome struct {
	kind    outcomeKind
	current int64  // the stream's last revision after (succeeded) or as found (wrongExpected); -1 for none
	pos     uint64 // succeeded: the log position to report
	noPos   bool   // succeeded: there is no position to report (see idempotent)
}

// outcomeKind says how an append or delete ended.
type outcomeKind int

const (
	succeeded outcomeKind = iota
	wrongExpected
	deleted
)

// idEntry remembers where an event ID was first written, for idempotent
// appends with any and stream_exists.
type idEntry struct {
	stream string
	number int64
}

// A store is the server's data: one log, the streams as indexes into it,
// and the event-ID cache. One mutex guards it all; every write closes
// changed, waking every subscription, and replaces it.
//
// It outlives the gRPC server, so a stopped Server starts again with its
// data.
type store struct {
	now    func() time.Time
	logger *slog.Logger

	mu      sync.Mutex
	log     []record
	next    uint64 // the next record's position
	streams map[string]*stream
	// ids is the event-ID cache: where each of the IDs of the latest
	// writes was first written.
	ids     *idwindow.Window[idEntry]
	changed chan struct{}
	dup     duplicator
}

// A duplicator stores appends with any and stream_exists a second time,
// at random, as if their client had retried them after the cache forgot
// their IDs (Config.DuplicateAny). Its fields are guarded by store.mu.
type duplicator struct {
	rate    float64
	rng     *rand.Rand
	appends uint64     // Append calls decided so far
	pending []heldBack // in the order they were drawn
	stored  int        // duplicates written
}

// A heldBack duplicate is written once appends reaches due.
type heldBack struct {
	name   string
	exp    expectation
	events []proposed
	due    uint64
}

// duplicateSeedStream is the second word of the duplicator's seed: any
// constant will do.
const duplicateSeedStream = 0x5a17c0de9e3779b9

// maxDelayBits bounds how long a duplicate may be held back: up to
// 1<<maxDelayBits later appends.
const maxDelayBits = 10

func newStore(cfg Config, now func() time.Time, logger *slog.Logger) *store {
	window := cfg.DedupWindow
	if window == 0 {
		window = DefaultDedupWindow
	}
	return &store{
		now:     now,
		logger:  logger,
		next:    firstPosition,
		streams: make(map[string]*stream),
		ids:     idwindow.NewLikeEventStoreDB[idEntry](window),
		changed: make(chan struct{}),
		dup:     duplicator{rate: cfg.DuplicateAny, rng: rand.New(rand.NewPCG(cfg.DuplicateSeed, duplicateSeedStream))},
	}
}

// isMetaStream reports whether name is a metadata stream, "$$" + stream.
func isMetaStream(name string) bool { return strings.HasPrefix(name, metaPrefix) }

// The helpers below are called with mu held.

// last returns the stream's last revision, -1 if it has none.
func (s *store) last(name string) int64 {
	if st := s.streams[name]; st != nil {
		return int64(len(st.recs)) - 1
	}
	return -1
}

// tombstoned reports whether name is deleted for ever: a stream with a
// tombstone, or the metadata stream of one.
func (s *store) tombstoned(name string) bool {
	base := strings.TrimPrefix(name, metaPrefix)
	st := s.streams[base]
	return st != nil && st.tombstone >= 0
}

// metaOf returns the current metadata of a (non-metadata) stream.
func (s *store) metaOf(name string) *streamMeta {
	if ms := s.streams[metaPrefix+name]; ms != nil && ms.meta != nil {
		return ms.meta
	}
	return &streamMeta{}
}

// hasMeta reports whether the stream has ever had metadata written.
func (s *store) hasMeta(name string) bool { return s.last(metaPrefix+name) >= 0 }

// softDeleted reports whether a stream is soft-deleted: its $tb is the
// tombstone number.
func (s *store) softDeleted(name string) bool {
	if isMetaStream(name) {
		return false
	}
	tb := s.metaOf(name).tb
	return tb != nil && *tb == tombstoneNumber
}

// streamFor returns the named stream, creating it empty.
func (s *store) streamFor(name string) *stream {
	st := s.streams[name]
	if st == nil {
		st = &stream{tombstone: -1, idCost: idwindow.Cost(name)}
		s.streams[name] = st
	}
	return st
}

// write appends one record to the log and indexes it.
func (s *store) write(name string, e proposed, number int64) int {
	r := record{
		pos: s.next, stream: name, number: number, id: e.id, typ: e.typ,
		isJSON: e.isJSON, data: e.data, meta: e.meta, created: s.now().UnixNano() / 100,
	}
	s.next += r.size()
	s.log = append(s.log, r)
	i := len(s.log) - 1
	st := s.streamFor(name)
	if number == tombstoneNumber {
		st.tombstone = i
	} else {
		st.recs = append(st.recs, i)
	}
	if isMetaStream(name) {
		st.meta = parseMeta(e.data, e.isJSON) // the latest event is the metadata
	}
	// Every record written goes through the cache, system records too, as
	// on a real node; the first write of an ID it remembers wins.
	s.ids.Add(e.id, idEntry{stream: name, number: number}, st.idCost)
	return i
}

// writeMeta appends a $metadata event to name's metadata stream.
func (s *store) writeMeta(name string, data []byte) int {
	ms := metaPrefix + name
	return s.write(ms, proposed{id: uuid.New(), typ: metadataType, isJSON: true, data: data}, s.last(ms)+1)
}

// forgetIDs empties the event-ID cache, as a restart empties a real
// node's: its index writer keeps the cache in memory and fills it only
// when it writes, never from the log it reopens.
func (s *store) forgetIDs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = idwindow.NewLikeEventStoreDB[idEntry](s.ids.Size())
}

// notify wakes every subscription.
func (s *store) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// check decides an append of ids to name expecting exp, as EventStoreDB's
// CheckCommit does. It returns succeeded with write true if the events must be
// written; succeeded with write false for an idempotent retry (current and pos
// then describe the first append); or a failure.
func (s *store) check(name string, exp expectation, ids []uuid.UUID) (res outcome, write bool) {
	if s.tombstoned(name) {
		return outcome{kind: deleted}, false
	}
	cur := s.last(name)
	soft := s.softDeleted(name)
	wrong := outcome{kind: wrongExpected, current: cur}
	switch exp {
	case expectStreamExists:
		if soft {
			return outcome{kind: deleted}, false
		}
		if cur < 0 && !s.hasMeta(strings.TrimPrefix(name, metaPrefix)) {
			return wrong, false
		}
		fallthrough
	case expectAny:
		// Idempotency by the ID cache: a batch whose first ID the cache
		// remembers for this stream is a retry if it remembers them all
		// there, a conflict otherwise. One whose first ID it has forgotten
		// is a new append, even if the stream holds the events.
		if len(ids) == 0 {
			return outcome{kind: succeeded}, true
		}
		if first, seen := s.ids.Lookup(ids[0]); !seen || first.stream != name {
			return outcome{kind: succeeded}, true
		}
		var lastSeen idEntry
		for _, id := range ids {
			e, seen := s.ids.Lookup(id)
			if !seen || e.stream != name {
				return wrong, false
			}
			lastSeen = e
		}
		return s.idempotent(name, lastSeen.number), false
	}
	e := int64(exp) // no_stream is -1
	switch {
	case e == cur:
		return outcome{kind: succeeded}, true
	case e > cur:
		return wrong, false
	}
	// e < cur: a retry if the events after e have these IDs, in order.
	// This reads the stored events: the cache plays no part.
	if len(ids) == 0 {
		return wrong, false
	}
	st := s.streams[name]
	for i, id := range ids {
		n := e + 1 + int64(i)
		if n > cur || s.log[st.recs[n]].id != id {
			if i == 0 && e == -1 && soft {
				return outcome{kind: succeeded}, true // recreating a soft-deleted stream
			}
			return wrong, false
		}
	}
	return s.idempotent(name, e+int64(len(ids))), false
}

// idempotent is the outcome of a retry that writes nothing: the
// revision of its last event, n, and that event's position, which a real
// node finds by reading the event (IndexReader.ReadEvent): no position
// if a read could not return it, because the stream is soft-deleted or
// $tb, $maxCount or $maxAge hide the event.
func (s *store) idempotent(name string, n int64) outcome {
	res := outcome{kind: succeeded, current: n, noPos: true}
	if s.softDeleted(name) {
		return res
	}
	st := s.streams[name]
	min, oldest := s.window(name)
	if st == nil || n < min || n >= int64(len(st.recs)) {
		return res
	}
	if r := s.log[st.recs[n]]; r.created >= oldest {
		res.pos, res.noPos = r.pos, false
	}
	return res
}

// appendEvents is the Append call: check, then write; then, if
// Config.DuplicateAny says so, a duplicate of it or of an earlier one.
func (s *store) appendEvents(name string, exp expectation, events []proposed) outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.id
	}
	res, write := s.check(name, exp, ids)
	if write {
		res = s.writeBatch(name, events)
		if again, ok := s.duplicateLocked(name, exp, events); ok {
			res = again // what the client's retry would have been told
		}
	}
	s.writeDueLocked()
	return res
}

// writeBatch writes an append the checks let through: "OK" in
// EventStoreDB's terms.
func (s *store) writeBatch(name string, events []proposed) outcome {
	cur := s.last(name)
	soft := s.softDeleted(name)
	base := strings.TrimPrefix(name, metaPrefix)
	baseSoft := isMetaStream(name) && s.softDeleted(base)
	var pos uint64
	for j, e := range events {
		pos = s.log[s.write(name, e, cur+1+int64(j))].pos
	}
	if len(events) == 0 {
		// An empty append still writes a record: it takes a position but
		// shows up in no stream and not in $all.
		pos = s.next
		s.next += emptyRecordSize
	}
	if soft {
		// Appending to a soft-deleted stream brings it back: old events
		// stay hidden behind a $tb at the first new revision.
		s.writeMeta(name, withTB(s.metaOf(name).raw, cur+1))
	}
	if baseSoft {
		// New metadata for a soft-deleted stream undeletes it too.
		s.writeMeta(base, withTB(s.metaOf(base).raw, s.last(base)+1))
	}
	s.notify()
	return outcome{kind: succeeded, current: s.last(name), pos: pos}
}

// duplicateLocked draws whether the append of events to name, just
// written, is written again: at once, in which case it returns the
// duplicate's outcome and true, or after a later append. Only appends
// with any or stream_exists of events to a user stream are.
func (s *store) duplicateLocked(name string, exp expectation, events []proposed) (outcome, bool) {
	d := &s.dup
	if d.rate == 0 || (exp != expectAny && exp != expectStreamExists) || len(events) == 0 || strings.HasPrefix(name, "$") {
		return outcome{}, false
	}
	// Four draws for every such append, whatever their outcome, so that
	// one decision does not shift the ones after it.
	dup := d.rng.Float64() < d.rate
	held := d.rng.IntN(2) == 1
	delay := 1 + uint64(d.rng.IntN(1<<d.rng.IntN(maxDelayBits+1)))
	switch {
	case !dup:
		return outcome{}, false
	case held:
		d.pending = append(d.pending, heldBack{name: name, exp: exp, events: events, due: d.appends + 1 + delay})
		return outcome{}, false
	}
	return s.writeDuplicate(name, exp, events, false)
}

// writeDueLocked counts an Append call, and writes the duplicates held
// back until it.
func (s *store) writeDueLocked() {
	d := &s.dup
	d.appends++
	kept := d.pending[:0]
	for _, h := range d.pending {
		if h.due > d.appends {
			kept = append(kept, h)
			continue
		}
		s.writeDuplicate(h.name, h.exp, h.events, true)
	}
	clear(d.pending[len(kept):])
	d.pending = kept
}

// writeDuplicate writes events to name again, as a retry expecting exp
// that the cache does not recognise would be: unless the stream is
// deleted for good, or, for stream_exists, soft-deleted.
func (s *store) writeDuplicate(name string, exp expectation, events []proposed, late bool) (outcome, bool) {
	if s.tombstoned(name) || (exp == expectStreamExists && s.softDeleted(name)) {
		return outcome{}, false
	}
	res := s.writeBatch(name, events)
	s.dup.stored++
	s.logger.Debug("esdbtest: stored an append a second time (DuplicateAny)",
		"stream", name, "events", len(events), "revision", res.current, "held back", late)
	return res, true
}

// duplicates returns how many duplicates the store has written.
func (s *store) duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dup.stored
}

// checkDelete checks a delete's or tombstone's expectation: CheckCommit
// with one fresh event ID, which no retry can match.
func (s *store) checkDelete(name string, exp expectation) outcome {
	res, _ := s.check(name, exp, []uuid.UUID{uuid.New()})
	return res
}

// deleteStream is the Delete call: if the expectation holds, a
// $metadata event with $tb at the tombstone number replaces the stream's
// metadata, hiding all its events.
func (s *store) deleteStream(name string, exp expectation) outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.softDeleteLocked(name, exp)
}

func (s *store) softDeleteLocked(name string, exp expectation) outcome {
	if res := s.checkDelete(name, exp); res.kind != succeeded {
		return res
	}
	cur := s.last(name)
	if cur < 0 && !s.hasMeta(name) {
		// There is nothing to delete: a real node says so with a wrong
		// expected version, even for any.
		return outcome{kind: wrongExpected, current: -1}
	}
	i := s.writeMeta(name, []byte(`{"$tb":`+strconv.FormatInt(tombstoneNumber, 10)+`}`))
	s.notify()
	return outcome{kind: succeeded, current: cur, pos: s.log[i].pos}
}

// tombstone is the Tombstone call: a $streamDeleted record at revision
// tombstoneNumber ends the stream for ever.
func (s *store) tombstone(name string, exp expectation) outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	if res := s.checkDelete(name, exp); res.kind != succeeded {
		return res
	}
	cur := s.last(name)
	i := s.write(name, proposed{id: uuid.New(), typ: tombstoneType, data: []byte{}, meta: []byte{}}, tombstoneNumber)
	s.notify()
	return outcome{kind: succeeded, current: cur, pos: s.log[i].pos}
}

// window returns the lowest visible revision of a stream and the oldest
// visible creation time (in ticks; math.MinInt64 for no limit), from its
// metadata: $tb, $maxCount and $maxAge. A metadata stream keeps only its
// latest event visible.
func (s *store) window(name string) (min int64, oldest int64) {
	cur := s.last(name)
	oldest = math.MinInt64
	if isMetaStream(name) {
		return max(cur, 0), oldest
	}
	m := s.metaOf(name)
	if m.maxCount != nil {
		min = max(min, cur-*m.maxCount+1)
	}
	if m.tb != nil {
		min = max(min, *m.tb)
	}
	if m.maxAge != nil {
		// In ticks: a $maxAge of up to maxTimeSpanSeconds fits, where a
		// time.Duration would overflow.
		oldest = s.now().UnixNano()/100 - *m.maxAge*10_000_000
	}
	return min, oldest
}

// A readResult is a stream read's answer.
type readResult int

const (
	readOK readResult = iota
	readNotFound
	readDeleted
)

// readStream returns up to count visible events of name, forwards from
// revision from (inclusive) or backwards from it; from < 0 means the last
// revision, for a backwards read.
func (s *store) readStream(name string, from int64, backwards bool, count uint64) ([]record, readResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tombstoned(name) {
		return nil, readDeleted
	}
	cur := s.last(name)
	if cur < 0 || s.softDeleted(name) {
		return nil, readNotFound
	}
	min, oldest := s.window(name)
	st := s.streams[name]
	var out []record
	visible := func(n int64) bool {
		if uint64(len(out)) >= count {
			return false
		}
		if r := s.log[st.recs[n]]; r.created >= oldest {
			out = append(out, r)
		}
		return true
	}
	if backwards {
		start := cur
		if from >= 0 && from < cur {
			start = from
		}
		for n := start; n >= min && visible(n); n-- {
		}
		return out, readOK
	}
	for n := max(from, min); n <= cur && visible(n); n++ {
	}
	return out, readOK
}

// resolve returns the event a link event ("$>", data "n@stream") points
// to, if it is there.
func (s *store) resolve(link record) (record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	num, name, found := strings.Cut(string(link.data), "@")
	if !found {
		return record{}, false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	st := s.streams[name]
	if err != nil || st == nil || n < 0 || n >= int64(len(st.recs)) {
		return record{}, false
	}
	return s.log[st.recs[n]], true
}

// An allFrom is where a read or subscription of $all starts.
type allFrom struct {
	start, end bool
	pos        uint64 // unless start or end
}

// allIndex returns the index of the first record whose position is ≥ pos
// (or > pos if exclusive). Called with mu held.
func (s *store) allIndex(pos uint64, exclusive bool) int {
	lo, hi := 0, len(s.log)
	for lo < hi {
		m := (lo + hi) / 2
		if s.log[m].pos < pos || (exclusive && s.log[m].pos == pos) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// startIndex returns the log index a read or subscription of $all
// starts at: a forwards read includes the record at the position, a
// subscription does not; a backwards read returns the records before the
// index. Called with mu held.
func (s *store) startIndex(f allFrom, exclusive bool) int {
	switch {
	case f.start:
		return 0
	case f.end:
		return len(s.log)
	}
	return s.allIndex(f.pos, exclusive)
}

// readAll returns up to count records of $all that keep passes: forwards
// from f (inclusive), or backwards from the record before f.
func (s *store) readAll(f allFrom, backwards bool, count uint64, keep func(*record) bool) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := s.startIndex(f, false)
	var out []record
	if backwards {
		for i := start - 1; i >= 0 && uint64(len(out)) < count; i-- {
			if keep(&s.log[i]) {
				out = append(out, s.log[i])
			}
		}
		return out
	}
	for i := start; i < len(s.log) && uint64(len(out)) < count; i++ {
		if keep(&s.log[i]) {
			out = append(out, s.log[i])
		}
	}
	return out
}

// A streamFrom is where a read or subscription of a stream starts.
type streamFrom struct {
	start, end bool
	revision   uint64 // unless start or end
}

// subscribeStream returns the first revision a subscription of name from
// f may deliver (subscriptions start after the revision they name), or
// deleted if the stream is tombstoned.
func (s *store) subscribeStream(name string, f streamFrom) (next int64, isDeleted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tombstoned(name) {
		return 0, true
	}
	switch {
	case f.start:
		return 0, false
	case f.end:
		return s.last(name) + 1, false
	case f.revision >= tombstoneNumber:
		return tombstoneNumber, false
	}
	return int64(f.revision) + 1, false
}

// streamBatch returns up to n visible events of name from revision next
// on, the revision to go on from, whether the stream is tombstoned, and
// the channel the next write closes.
func (s *store) streamBatch(name string, next int64, n int) (recs []record, after int64, tomb bool, changed <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tomb, changed = s.tombstoned(name), s.changed
	cur := s.last(name)
	minVisible, oldest := s.window(name)
	st := s.streams[name]
	after = max(next, min(minVisible, cur+1))
	for ; after <= cur && len(recs) < n; after++ {
		if r := s.log[st.recs[after]]; r.created >= oldest {
			recs = append(recs, r)
		}
	}
	return recs, after, tomb, changed
}

// tombstoneRecord returns a tombstoned stream's tombstone; false for a
// stream without one (a metadata stream, say).
func (s *store) tombstoneRecord(name string) (record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.streams[name]; st != nil && st.tombstone >= 0 {
		return s.log[st.tombstone], true
	}
	return record{}, false
}

// subscribeAll returns the log index a subscription of $all from f
// starts at (after the position it names), and the position of the
// record before it (0 if none), which is how far the subscription has
// looked.
func (s *store) subscribeAll(f allFrom) (next int, seen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next = s.startIndex(f, true)
	switch {
	case next > 0:
		seen = s.log[next-1].pos
	case !f.start && !f.end:
		seen = f.pos
	}
	return next, seen
}

// allBatch returns up to n records of the log from index next on, the
// index to go on from, and the channel the next write closes.
func (s *store) allBatch(next, n int) (recs []record, after int, changed <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	end := min(len(s.log), next+n)
	if next < end {
		recs = append(recs, s.log[next:end]...)
	}
	return recs, max(next, end), s.changed
}
