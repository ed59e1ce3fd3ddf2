package esdbtest

import (
	"math"
	"regexp"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
)

// batchSize is how many events a subscription takes from the store at a
// time; a real node pages its reads 32 at a time too.
const batchSize = 32

// Read implements the server-streaming Read call, which serves four
// things: reads of a stream, reads of $all, and subscriptions to either.
func (s *streamsService) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	o := req.GetOptions()
	switch {
	case o == nil:
		return errInvalid("Read: no options")
	case o.GetUuidOption().GetStructured() == nil && o.GetUuidOption().GetString_() == nil:
		return errInvalid("Read: no UUID option")
	case o.GetControlOption().GetCompatibility() > 0:
		// Compatibility mode adds first/last position messages that the
		// Go client never asks for.
		return errUnimplemented("Read with control_option.compatibility > 0")
	}
	filter := o.GetFilter() // nil for no_filter
	dir := o.GetReadDirection()
	backwards := dir == api.ReadReq_Options_Backwards
	_, count := o.GetCountOption().(*api.ReadReq_Options_Count)
	subscription := o.GetSubscription() != nil
	var err error
	switch {
	case o.GetFilterOption() == nil || (dir != api.ReadReq_Options_Forwards && !backwards):
		// A real node dispatches on the filter option's case and the
		// direction too: an unset filter option (neither no_filter nor a
		// filter) or an unknown direction is a combination it does not
		// list. The Go client always sends one or the other, and a known
		// direction.
		err = errInvalid("Read: the combination of filter option %T and direction %v is invalid", o.GetFilterOption(), dir)
	case o.GetStream() != nil && count && filter == nil:
		err = s.readStream(o, srv)
	case o.GetAll() != nil && count:
		err = s.readAll(o, srv)
	case o.GetStream() != nil && subscription && !backwards && filter == nil:
		err = s.subscribeStream(o, srv)
	case o.GetAll() != nil && subscription && !backwards:
		err = s.subscribeAll(o, srv)
	default:
		err = errInvalid("Read: the combination of stream, count or subscription, direction %v and filter is invalid", o.GetReadDirection())
	}
	if err != nil {
		s.log.Debug("read ended", "error", err)
	}
	return sendTrailer(srv, err)
}

// streamFromOptions reads where a stream read or subscription starts.
// streamTarget returns the stream a read or subscription names, and where
// it starts.
func streamTarget(o *api.ReadReq_Options) (string, streamFrom, error) {
	so := o.GetStream()
	name := string(so.GetStreamIdentifier().GetStreamName())
	if name == "" {
		return "", streamFrom{}, errInvalid("Read: empty stream name")
	}
	f, err := streamFromOptions(so)
	return name, f, err
}

func streamFromOptions(so *api.ReadReq_Options_StreamOptions) (streamFrom, error) {
	switch r := so.GetRevisionOption().(type) {
	case *api.ReadReq_Options_StreamOptions_Start:
		return streamFrom{start: true}, nil
	case *api.ReadReq_Options_StreamOptions_End:
		return streamFrom{end: true}, nil
	case *api.ReadReq_Options_StreamOptions_Revision:
		return streamFrom{revision: r.Revision}, nil
	}
	return streamFrom{}, errInvalid("Read: no revision option")
}

// allFromOptions reads where a $all read or subscription starts.
func allFromOptions(ao *api.ReadReq_Options_AllOptions) (allFrom, error) {
	switch p := ao.GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Start:
		return allFrom{start: true}, nil
	case *api.ReadReq_Options_AllOptions_End:
		return allFrom{end: true}, nil
	case *api.ReadReq_Options_AllOptions_Position:
		c, pr := p.Position.GetCommitPosition(), p.Position.GetPreparePosition()
		if c < pr {
			return allFrom{}, errInvalid("Read: invalid position: commit %d before prepare %d", c, pr)
		}
		if c == ^uint64(0) {
			return allFrom{end: true}, nil
		}
		return allFrom{pos: c}, nil
	}
	return allFrom{}, errInvalid("Read: no $all option")
}

// readStream serves a count read of a stream. It may send only events
// and stream_not_found: anything else makes the Go client panic.
func (s *streamsService) readStream(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	name, f, err := streamTarget(o)
	if err != nil {
		return err
	}
	if o.GetCount() == 0 {
		// A real node's index reader refuses to read a page of no events
		// (Ensure.Positive(maxCount)) before it looks at the stream, and
		// its storage reader turns that into ReadStreamResult.Error:
		// Unknown, for a stream that exists, is missing or is deleted.
		return errUnknown("Unexpected ReadStreamResult: Error (a read of 0 events)")
	}
	backwards := o.GetReadDirection() == api.ReadReq_Options_Backwards
	// A real node's StreamRevision takes MaxUint64 for End, and refuses
	// any other revision past MaxInt64 (ArgumentOutOfRangeException).
	isEnd := f.end || (!f.start && f.revision == math.MaxUint64)
	from := int64(0)
	switch {
	case isEnd && !backwards:
		// A real node fails this read, with Unknown.
		return errUnknown("Unexpected ReadStreamResult: Error (a forwards read from the end)")
	case isEnd:
		from = -1
	case !f.start && f.revision > tombstoneNumber:
		return errUnknown("Read: revision %d is out of range", f.revision)
	case !f.start:
		from = int64(f.revision) // MaxInt64 included: past every event, forwards
	}
	recs, res := s.store.readStream(name, from, backwards, o.GetCount())
	switch res {
	case readDeleted:
		return errStreamDeleted(name)
	case readNotFound:
		return srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)},
		}}})
	}
	for _, r := range recs {
		if err := srv.Send(s.readEvent(r, o)); err != nil {
			return err
		}
	}
	return nil
}

// readAll serves a count read of $all: every record, system events
// included, and no not-found or deleted errors.
func (s *streamsService) readAll(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	f, err := allFromOptions(o.GetAll())
	if err != nil {
		return err
	}
	keep, err := compileFilter(o.GetFilter())
	if err != nil {
		return err
	}
	backwards := o.GetReadDirection() == api.ReadReq_Options_Backwards
	for _, r := range s.store.readAll(f, backwards, o.GetCount(), keep) {
		if err := srv.Send(s.readEvent(r, o)); err != nil {
			return err
		}
	}
	return nil
}

// compileFilter turns a $all filter into a predicate; nil keeps all.
// A regular expression is a "contains a match" test, as on a real node
// (which uses .NET's regular expressions: simple patterns agree).
func compileFilter(f *api.ReadReq_Options_FilterOptions) (func(*record) bool, error) {
	if f == nil {
		return func(*record) bool { return true }, nil
	}
	field := func(r *record) string { return r.typ }
	expr := f.GetEventType()
	if f.GetStreamIdentifier() != nil {
		field = func(r *record) string { return r.stream }
		expr = f.GetStreamIdentifier()
	}
	if expr == nil {
		return nil, errInvalid("Read: filter without an expression")
	}
	if re := expr.GetRegex(); re != "" {
		rx, err := regexp.Compile(re)
		if err != nil {
			return nil, errInvalid("Read: filter regex %q: %v", re, err)
		}
		return func(r *record) bool { return rx.MatchString(field(r)) }, nil
	}
	prefixes := expr.GetPrefix()
	return func(r *record) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(field(r), p) {
				return true
			}
		}
		return false
	}, nil
}

// checkpointInterval returns after how many considered events a filtered
// $all subscription sends a checkpoint: the window times the multiplier.
func checkpointInterval(f *api.ReadReq_Options_FilterOptions) (int, error) {
	if f == nil {
		return 0, nil
	}
	window := 32 // for the count window, as on a real node
	if _, isMax := f.GetWindow().(*api.ReadReq_Options_FilterOptions_Max); isMax {
		window = int(f.GetMax())
	}
	m := int(f.GetCheckpointIntervalMultiplier())
	if window <= 0 || m <= 0 {
		return 0, errInvalid("Read: checkpoint interval: window %d, multiplier %d, want both > 0", window, m)
	}
	return window * m, nil
}

// confirm sends a subscription's first message: its confirmation.
func confirm(srv api.Streams_ReadServer) error {
	return srv.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{
		Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()},
	}})
}

func caughtUp(srv api.Streams_ReadServer) error {
	return srv.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}})
}

func checkpoint(srv api.Streams_ReadServer, pos uint64) error {
	return srv.Send(&api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{
		CommitPosition: pos, PreparePosition: pos,
	}}})
}

// subscribeStream serves a catch-up subscription to a stream. It takes
// its start point under the store's lock and then reads the store as a
// cursor: history in batches, then caught_up, then each new event as the
// store wakes it, so nothing is skipped or sent twice and no appender
// ever waits for a subscriber.
//
// A subscription to a tombstoned stream fails before its confirmation.
// One whose stream is tombstoned while it is live sends the
// $streamDeleted event and then fails; one still catching up just fails,
// as a real node's catch-up read does.
func (s *streamsService) subscribeStream(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	name, f, err := streamTarget(o)
	if err != nil {
		return err
	}
	// As for reads: MaxUint64 is End, other revisions past MaxInt64 are
	// refused (before the confirmation).
	switch {
	case f.start || f.end:
	case f.revision == math.MaxUint64:
		f = streamFrom{end: true}
	case f.revision > tombstoneNumber:
		return errUnknown("Read: revision %d is out of range", f.revision)
	}
	next, isDeleted := s.store.subscribeStream(name, f)
	if isDeleted {
		return errStreamDeleted(name)
	}
	if err := confirm(srv); err != nil {
		return err
	}
	ctx := srv.Context()
	live := false
	for {
		recs, after, tomb, changed := s.store.streamBatch(name, next, batchSize)
		if tomb && !live {
			return errStreamDeleted(name)
		}
		for _, r := range recs {
			if err := srv.Send(s.readEvent(r, o)); err != nil {
				return err
			}
		}
		next = after
		if len(recs) > 0 {
			continue
		}
		if tomb {
			if t, found := s.store.tombstoneRecord(name); found {
				if err := srv.Send(s.readEvent(t, o)); err != nil {
					return err
				}
			}
			return errStreamDeleted(name)
		}
		if !live {
			if err := caughtUp(srv); err != nil {
				return err
			}
			live = true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// subscribeAll serves a catch-up subscription to $all, filtered or not:
// like subscribeStream, over the whole log. A filtered subscription also
// sends checkpoints: one each checkpointInterval considered events, and
// one at the end of its catch-up, just before caught_up.
func (s *streamsService) subscribeAll(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	f, err := allFromOptions(o.GetAll())
	if err != nil {
		return err
	}
	keep, err := compileFilter(o.GetFilter())
	if err != nil {
		return err
	}
	interval, err := checkpointInterval(o.GetFilter())
	if err != nil {
		return err
	}
	next, seen := s.store.subscribeAll(f)
	if err := confirm(srv); err != nil {
		return err
	}
	ctx := srv.Context()
	live, considered := false, 0
	for {
		recs, after, changed := s.store.allBatch(next, batchSize)
		for _, r := range recs {
			if keep(&r) {
				if err := srv.Send(s.readEvent(r, o)); err != nil {
					return err
				}
			}
			seen = r.pos
			if considered++; interval > 0 && considered%interval == 0 {
				if err := checkpoint(srv, seen); err != nil {
					return err
				}
			}
		}
		next = after
		if len(recs) > 0 {
			continue
		}
		if !live {
			if interval > 0 {
				if err := checkpoint(srv, seen); err != nil {
					return err
				}
			}
			if err := caughtUp(srv); err != nil {
				return err
			}
			live = true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
