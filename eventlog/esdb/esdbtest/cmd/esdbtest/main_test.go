package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestServesUntilCancelled starts the command on a free port, talks to
// it with the official client, and stops it as SIGINT would.
func TestServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-listen", "127.0.0.1:0"}, w, io.Discard)
		_ = w.CloseWithError(io.EOF)
		done <- err
	}()
	lines := bufio.NewScanner(out)
	require.True(t, lines.Scan())
	assert.Contains(t, lines.Text(), "in-memory", "it says its data is not kept")
	require.True(t, lines.Scan())
	conn := lines.Text()[strings.LastIndex(lines.Text(), " ")+1:]
	require.True(t, strings.HasPrefix(conn, "esdb://127.0.0.1:"), "a connection string: %q", conn)

	cfg, err := esdb.ParseConnectionString(conn)
	require.NoError(t, err)
	cfg.Logger = esdb.NoopLogging()
	client, err := esdb.NewClient(cfg)
	require.NoError(t, err)
	_, err = client.AppendToStream(ctx, "cmd-"+uuid.NewString(), esdb.AppendToStreamOptions{}, esdb.EventData{
		EventType: "Hello", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`),
	})
	require.NoError(t, err)
	require.NoError(t, client.Close())

	cancel()
	require.True(t, lines.Scan())
	assert.Equal(t, "esdbtest: stopped", lines.Text())
	require.NoError(t, <-done)
	_, _ = io.Copy(io.Discard, out)
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-nosuchflag"}, {"extra"}, {"-listen"},
		{"-dedup-window", "-1"}, {"-dedup-window", "many"},
		{"-duplicate-any", "1.5"}, {"-duplicate-any", "-0.1"}, {"-duplicate-any", "NaN"},
		{"-duplicate-seed", "-1"},
		{"-server-version", "abc"}, {"-server-version", "24.10"}, {"-server-version", "24..0"}, {"-server-version", "24.10.0-rc1"},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		assert.True(t, errors.Is(err, errUsage), "%q: %v", args, err)
	}
	assert.NoError(t, run(context.Background(), []string{"-h"}, io.Discard, io.Discard), "-h is not an error")
}

func TestListenFailure(t *testing.T) {
	err := run(context.Background(), []string{"-listen", "256.0.0.1:0"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.False(t, errors.Is(err, errUsage), "a failure, not a usage error")
}

// TestDuplicateFlags: -dedup-window and -duplicate-any reach the server:
// with no window and every append duplicated, ten appends with any
// store more than ten events.
func TestDuplicateFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-listen", "127.0.0.1:0", "-dedup-window", "0", "-duplicate-any", "1", "-duplicate-seed", "3"}, w, io.Discard)
		_ = w.CloseWithError(io.EOF)
		done <- err
	}()
	lines := bufio.NewScanner(out)
	require.True(t, lines.Scan())
	require.True(t, lines.Scan())
	conn := lines.Text()[strings.LastIndex(lines.Text(), " ")+1:]

	cfg, err := esdb.ParseConnectionString(conn)
	require.NoError(t, err)
	cfg.Logger = esdb.NoopLogging()
	client, err := esdb.NewClient(cfg)
	require.NoError(t, err)
	stream := "cmd-" + uuid.NewString()
	event := esdb.EventData{EventType: "Hello", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}
	for range 10 {
		_, err = client.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{}, event)
		require.NoError(t, err)
	}
	rs, err := client.ReadStream(ctx, stream, esdb.ReadStreamOptions{}, 100)
	require.NoError(t, err)
	n := 0
	for {
		if _, err := rs.Recv(); err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		n++
	}
	rs.Close()
	require.NoError(t, client.Close())
	assert.Greater(t, n, 10, "events stored by ten appends, some duplicated")

	cancel()
	_, _ = io.Copy(io.Discard, out) // the rest of the output, so that run can finish writing it
	require.NoError(t, <-done)
}

// TestVersion: -version prints the build's version and revision, and the
// server does not start.
func TestVersion(t *testing.T) {
	var stdout, stderr strings.Builder
	err := run(context.Background(), []string{"-version"}, &stdout, &stderr)
	require.NoError(t, err)
	assert.Regexp(t, `^esdbtest \S+ revision \S+ go\S+\n$`, stdout.String())
	assert.Empty(t, stderr.String())
}
