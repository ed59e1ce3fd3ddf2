package esdbtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/metadata"
)

// streamsService is the Streams gRPC service: Read, Append, Delete and
// Tombstone. BatchAppend, which the Go client never calls, answers
// Unimplemented through the embedded type.
type streamsService struct {
	api.UnimplementedStreamsServer
	store *store
	log   *slog.Logger
}

// The system metadata keys of an event, as the protocol names them.
const (
	keyType        = "type"
	keyContentType = "content-type"
	keyCreated     = "created"
	contentJSON    = "application/json"
	contentBinary  = "application/octet-stream"
)

// Append implements the client-streaming Append call. It always reads the
// whole request stream before it answers, even when it will refuse it:
// answering early makes the client's next Send fail with EOF, and the
// client then reports that instead of the real answer.
func (s *streamsService) Append(srv api.Streams_AppendServer) error {
	options, messages, err := readAppend(srv)
	if err != nil {
		return err
	}
	res, err := s.appendReq(options, messages)
	if err != nil {
		s.log.Debug("append refused", "error", err)
		return trailerFor(err, srv.SetTrailer)
	}
	return srv.SendAndClose(res)
}

// readAppend reads an Append call's request stream to its end, and
// returns its options and what appendReq needs of its proposed messages.
// It keeps no message past the one at which appendReq will refuse the
// append (the one that takes it past maxAppendSize, or one without a
// type): one client sending 400 MiB in one call took 400 MiB of memory,
// refused only at the end.
func readAppend(srv interface {
	Recv() (*api.AppendReq, error)
}) (*api.AppendReq_Options, []*api.AppendReq_ProposedMessage, error) {
	var (
		options  *api.AppendReq_Options
		messages []*api.AppendReq_ProposedMessage
		bad      error
		size     int
		keep     = true
	)
	for first := true; ; first = false {
		req, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		switch m := req.GetProposedMessage(); {
		case first && req.GetOptions() != nil:
			options = req.GetOptions()
		case !first && m != nil:
			if !keep {
				continue // read, so that the answer is not an EOF; not kept
			}
			messages = append(messages, m)
			typ, hasType := m.GetMetadata()[keyType]
			size += eventSize(proposed{typ: typ, data: m.GetData(), meta: m.GetCustomMetadata()})
			keep = size <= maxAppendSize && hasType && typ != ""
		case bad == nil:
			// A real node throws an InvalidOperationException here.
			bad = errUnknown("Append: the first message must be options, the others proposed messages")
		}
	}
	if options == nil && bad == nil {
		bad = errUnknown("Append: no options")
	}
	if bad != nil {
		return nil, nil, bad
	}
	return options, messages, nil
}

// appendReq decides an append that the client has sent in full.
func (s *streamsService) appendReq(options *api.AppendReq_Options, messages []*api.AppendReq_ProposedMessage) (*api.AppendResp, error) {
	name := string(options.GetStreamIdentifier().GetStreamName())
	if name == "" {
		return nil, errInvalid("Append: empty stream name")
	}
	var exp expectation
	switch r := options.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Any:
		exp = expectAny
	case *api.AppendReq_Options_NoStream:
		exp = expectNoStream
	case *api.AppendReq_Options_StreamExists:
		exp = expectStreamExists
	case *api.AppendReq_Options_Revision:
		if r.Revision > tombstoneNumber {
			return nil, errInvalid("Append: expected revision %d is out of range", r.Revision)
		}
		exp = expectation(r.Revision)
	default:
		return nil, errInvalid("Append: no expected stream revision")
	}
	events := make([]proposed, 0, len(messages))
	size := 0
	for _, m := range messages {
		// The checks of a real node, in its order: metadata, size, then
		// the event's ID and type (exceptions, which gRPC reports as
		// Unknown).
		typ, hasType := m.GetMetadata()[keyType]
		if !hasType {
			return nil, errMissingMetadata(keyType)
		}
		contentType, hasContentType := m.GetMetadata()[keyContentType]
		if !hasContentType {
			return nil, errMissingMetadata(keyContentType)
		}
		e := proposed{typ: typ, isJSON: contentType == contentJSON, data: m.GetData(), meta: m.GetCustomMetadata()}
		if size += eventSize(e); size > maxAppendSize {
			return nil, errMaxAppendSize()
		}
		id, err := fromUUID(m.GetId())
		if err != nil {
			return nil, errUnknown("Append: event ID: %v", err)
		}
		if id == uuid.Nil {
			return nil, errUnknown("Append: empty eventId provided")
		}
		if typ == "" {
			return nil, errUnknown("Append: empty event type")
		}
		e.id = id
		if e.data == nil {
			e.data = []byte{}
		}
		if e.meta == nil {
			e.meta = []byte{}
		}
		events = append(events, e)
	}

	res := s.store.appendEvents(name, exp, events)
	switch res.kind {
	case deleted:
		return nil, errStreamDeleted(name)
	case wrongExpected:
		return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{
			WrongExpectedVersion: wrongExpectedVersion(exp, res.current),
		}}, nil
	}
	success := &api.AppendResp_Success{
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: res.pos, PreparePosition: res.pos,
		}},
	}
	if res.noPos {
		success.PositionOption = &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
	}
	if res.current < 0 {
		success.CurrentRevisionOption = &api.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
	} else {
		success.CurrentRevisionOption = &api.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(res.current)}
	}
	return &api.AppendResp{Result: &api.AppendResp_Success_{Success: success}}, nil
}

// wrongExpectedVersion fills both the fields the Go client reads and the
// legacy ones of servers before 21.x, as a real node does.
func wrongExpectedVersion(exp expectation, current int64) *api.AppendResp_WrongExpectedVersion {
	w := &api.AppendResp_WrongExpectedVersion{}
	if current < 0 {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(current)}
	}
	switch exp {
	case expectAny:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
	case expectStreamExists:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
	case expectNoStream:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: ^uint64(0)}
	default:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: uint64(exp)}
		w.ExpectedRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: uint64(exp)}
	}
	return w
}

// deleteOptions are what Delete and Tombstone requests share.
type deleteOptions interface {
	GetStreamIdentifier() *shared.StreamIdentifier
	GetAny() *shared.Empty
	GetNoStream() *shared.Empty
	GetStreamExists() *shared.Empty
	GetRevision() uint64
}

// parseDelete reads a Delete or Tombstone request's stream and
// expectation; which tells them apart in messages.
func parseDelete(o deleteOptions, which string, hasRevision bool) (string, expectation, error) {
	name := string(o.GetStreamIdentifier().GetStreamName())
	switch {
	case name == "":
		return "", 0, errInvalid("%s: empty stream name", which)
	case isMetaStream(name):
		return "", 0, errInvalid("%s: %q is a metadata stream, which cannot be deleted", which, name)
	case o.GetAny() != nil:
		return name, expectAny, nil
	case o.GetNoStream() != nil:
		return name, expectNoStream, nil
	case o.GetStreamExists() != nil:
		return name, expectStreamExists, nil
	case hasRevision:
		if o.GetRevision() > tombstoneNumber {
			return "", 0, errInvalid("%s: expected revision %d is out of range", which, o.GetRevision())
		}
		return name, expectation(o.GetRevision()), nil
	}
	return "", 0, errInvalid("%s: no expected stream revision", which)
}

// Delete implements the unary Delete call: a soft delete.
func (s *streamsService) Delete(ctx context.Context, req *api.DeleteReq) (*api.DeleteResp, error) {
	o := req.GetOptions()
	_, hasRevision := o.GetExpectedStreamRevision().(*api.DeleteReq_Options_Revision)
	name, exp, err := parseDelete(o, "Delete", hasRevision)
	if err != nil {
		return nil, err
	}
	res := s.store.deleteStream(name, exp)
	if err := deleteError(name, exp, res); err != nil {
		return nil, unaryTrailer(ctx, err)
	}
	// Always a position: the Go client reads it without a nil check.
	return &api.DeleteResp{PositionOption: &api.DeleteResp_Position_{Position: &api.DeleteResp_Position{
		CommitPosition: res.pos, PreparePosition: res.pos,
	}}}, nil
}

// Tombstone implements the unary Tombstone call: a hard delete.
func (s *streamsService) Tombstone(ctx context.Context, req *api.TombstoneReq) (*api.TombstoneResp, error) {
	o := req.GetOptions()
	_, hasRevision := o.GetExpectedStreamRevision().(*api.TombstoneReq_Options_Revision)
	name, exp, err := parseDelete(o, "Tombstone", hasRevision)
	if err != nil {
		return nil, err
	}
	res := s.store.tombstone(name, exp)
	if err := deleteError(name, exp, res); err != nil {
		return nil, unaryTrailer(ctx, err)
	}
	return &api.TombstoneResp{PositionOption: &api.TombstoneResp_Position_{Position: &api.TombstoneResp_Position{
		CommitPosition: res.pos, PreparePosition: res.pos,
	}}}, nil
}

// deleteError returns the error of a failed delete or tombstone.
func deleteError(name string, exp expectation, res outcome) error {
	switch res.kind {
	case deleted:
		return errStreamDeleted(name)
	case wrongExpected:
		return errWrongExpectedDelete(name, exp, res.current)
	}
	return nil
}

// fromUUID reads an event ID in either of the protocol's forms.
func fromUUID(u *shared.UUID) (uuid.UUID, error) {
	switch v := u.GetValue().(type) {
	case *shared.UUID_Structured_:
		var id uuid.UUID
		putInt64(id[:8], v.Structured.GetMostSignificantBits())
		putInt64(id[8:], v.Structured.GetLeastSignificantBits())
		return id, nil
	case *shared.UUID_String_:
		return parseGUID(v.String_)
	}
	return uuid.Nil, errors.New("missing")
}

// parseGUID reads a string ID in a form a real node's Guid.Parse
// accepts: 32 hex digits, or 8-4-4-4-12 hex digits with dashes, bare or
// in braces or parentheses. uuid.Parse alone would also take forms
// Guid.Parse refuses ("urn:uuid:…", or 36 characters between any two
// others). Forms only Guid.Parse takes (its hexadecimal-list form,
// surrounding white space) are refused: stricter, never more forgiving.
func parseGUID(s string) (uuid.UUID, error) {
	switch {
	case len(s) == 32 || len(s) == 36:
	case len(s) == 38 && (s[0] == '{' && s[37] == '}' || s[0] == '(' && s[37] == ')'):
	default:
		return uuid.Nil, fmt.Errorf("%q is not a GUID", s)
	}
	return uuid.Parse(s)
}

// toUUID writes an event ID in the form the reader asked for.
func toUUID(id uuid.UUID, asString bool) *shared.UUID {
	if asString {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  getInt64(id[:8]),
		LeastSignificantBits: getInt64(id[8:]),
	}}}
}

// putInt64 and getInt64 are big-endian, as the protocol's UUID halves are.
func putInt64(b []byte, v int64) {
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

func getInt64(b []byte) int64 {
	var v int64
	for _, c := range b[:8] {
		v = v<<8 | int64(c)
	}
	return v
}

// recordedEvent converts a record for the wire. The "created" metadata is
// mandatory: without it the Go client calls log.Fatalf.
func recordedEvent(r record, uuidAsString bool) *api.ReadResp_ReadEvent_RecordedEvent {
	contentType := contentBinary
	if r.isJSON {
		contentType = contentJSON
	}
	return &api.ReadResp_ReadEvent_RecordedEvent{
		Id:               toUUID(r.id, uuidAsString),
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
		StreamRevision:   uint64(r.number),
		PreparePosition:  r.pos,
		CommitPosition:   r.pos,
		Metadata: map[string]string{
			keyType:        r.typ,
			keyContentType: contentType,
			keyCreated:     strconv.FormatInt(r.created, 10),
		},
		CustomMetadata: r.meta,
		Data:           r.data,
	}
}

// readEvent wraps a record as a ReadResp, resolving it first if it is a
// link and the reader asked for that.
func (s *streamsService) readEvent(r record, o *api.ReadReq_Options) *api.ReadResp {
	asString := o.GetUuidOption().GetString_() != nil
	ev := &api.ReadResp_ReadEvent{
		Event:    recordedEvent(r, asString),
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.pos},
	}
	if o.GetResolveLinks() && r.typ == linkType {
		ev.Link = ev.Event
		ev.Event = nil
		if target, found := s.store.resolve(r); found {
			ev.Event = recordedEvent(target, asString)
		}
	}
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: ev}}
}

// linkType is the type of a link event, whose data is "revision@stream".
const linkType = "$>"

// sendTrailer is trailerFor for a Read stream.
func sendTrailer(srv api.Streams_ReadServer, err error) error {
	return trailerFor(err, func(md metadata.MD) { srv.SetTrailer(md) })
}
