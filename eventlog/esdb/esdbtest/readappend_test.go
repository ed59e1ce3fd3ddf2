package esdbtest

import (
	"io"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appendRequests is an Append call's request stream, as a client sends it.
type appendRequests []*api.AppendReq

func (r *appendRequests) Recv() (*api.AppendReq, error) {
	if len(*r) == 0 {
		return nil, io.EOF
	}
	req := (*r)[0]
	*r = (*r)[1:]
	return req, nil
}

// TestReadAppendKeepsNoMoreThanItDecides: one Append call of 400
// messages of 1 MiB each took 400 MiB of the server's memory, refused
// only once the client closed the call. The stream is still read to its
// end, but nothing past the message that decides the refusal is kept —
// and the answer is the same.
func TestReadAppendKeepsNoMoreThanItDecides(t *testing.T) {
	options := &api.AppendReq{Content: &api.AppendReq_Options_{Options: &api.AppendReq_Options{
		StreamIdentifier:       &shared.StreamIdentifier{StreamName: []byte("s")},
		ExpectedStreamRevision: &api.AppendReq_Options_Any{Any: &shared.Empty{}},
	}}}
	message := func(typ string, data []byte) *api.AppendReq {
		return &api.AppendReq{Content: &api.AppendReq_ProposedMessage_{ProposedMessage: &api.AppendReq_ProposedMessage{
			Id:       &shared.UUID{Value: &shared.UUID_String_{String_: uuid.NewString()}},
			Metadata: map[string]string{keyType: typ, keyContentType: contentBinary},
			Data:     data,
		}}}
	}
	for _, tc := range []struct {
		name     string
		messages func() []*api.AppendReq
		kept     int
	}{
		{"400 messages of a MiB", func() []*api.AppendReq {
			big := make([]byte, 1<<20) // shared: the test holds one
			out := make([]*api.AppendReq, 400)
			for i := range out {
				out[i] = message("big", big)
			}
			return out
		}, 1},
		{"a message without a type, then many", func() []*api.AppendReq {
			out := []*api.AppendReq{message("ok", nil), message("", nil)}
			for range 1000 {
				out = append(out, message("ok", nil))
			}
			return out
		}, 2},
		{"a thousand small ones, all kept", func() []*api.AppendReq {
			out := make([]*api.AppendReq, 1000)
			for i := range out {
				out[i] = message("small", []byte("{}"))
			}
			return out
		}, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reqs := appendRequests(append([]*api.AppendReq{options}, tc.messages()...))
			opts, kept, err := readAppend(&reqs)
			require.NoError(t, err)
			require.NotNil(t, opts)
			assert.Len(t, kept, tc.kept)
			assert.Empty(t, reqs, "read to the end")
		})
	}
}
