package logging_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/Graylog2/go-gelf/gelf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/logging"
	"github.com/eventchain/eventchain/examples/internal/logging/gelftest"
)

// watchdog bounds every wait for the network, so that a lost message
// fails the test instead of hanging it.
const watchdog = 10 * time.Second

// bigPayload returns n hex digits of fixed pseudo-random data: text that
// gzip cannot squeeze into one UDP chunk once n is a few thousand.
func bigPayload(n int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n/2)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return hex.EncodeToString(b)
}

// logSample logs the three records the network tests expect, the last
// carrying payload.
func logSample(l *slog.Logger, payload string) {
	l = l.With("chain", "main")
	l.Info("node started", "peers", 3)
	l.WithGroup("block").Warn("block rejected", "height", 42, "reason", errors.New("bad bits"))
	l.Error("large", "payload", payload)
}

// checkSample checks the messages logSample sent, as received: JSON
// numbers come back as float64.
func checkSample(t *testing.T, msgs []*gelf.Message, payload string, from, to time.Time) {
	t.Helper()
	require.Len(t, msgs, 3)
	for i, m := range msgs {
		assert.Equal(t, "1.1", m.Version, "message %d: version", i)
		assert.Equal(t, "test-host", m.Host, "message %d: host", i)
		assert.Equal(t, "test-facility", m.Facility, "message %d: facility", i)
		requireSendTime(t, m, from, to)
	}

	assert.Equal(t, "node started", msgs[0].Short)
	assert.Equal(t, int32(gelf.LOG_INFO), msgs[0].Level)
	assert.Equal(t, map[string]any{"_chain": "main", "_peers": 3.0}, msgs[0].Extra)

	assert.Equal(t, "block rejected", msgs[1].Short)
	assert.Equal(t, int32(gelf.LOG_WARNING), msgs[1].Level)
	assert.Equal(t, map[string]any{"_chain": "main", "_block.height": 42.0, "_block.reason": "bad bits"}, msgs[1].Extra)
	fields, err := gelftest.Fields(msgs[1])
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"height": 42.0, "reason": "bad bits"}, fields["block"], "group block")

	assert.Equal(t, "large", msgs[2].Short)
	assert.Equal(t, int32(gelf.LOG_ERR), msgs[2].Level)
	assert.Equal(t, map[string]any{"_chain": "main", "_payload": payload}, msgs[2].Extra)
}

type readResult struct {
	msg *gelf.Message
	err error
}

// readGELF reads n messages from r in the background. go-gelf's Reader
// has neither a deadline nor a Close, so receive's timer is the watchdog;
// if it fires, this goroutine stays blocked, and the test has failed.
func readGELF(r *gelf.Reader, n int) <-chan readResult {
	ch := make(chan readResult, n)
	go func() {
		for range n {
			m, err := r.ReadMessage()
			ch <- readResult{m, err}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// receive returns the next message from ch, failing t if none comes
// within the watchdog's time.
func receive(t *testing.T, ch <-chan readResult) *gelf.Message {
	t.Helper()
	select {
	case r := <-ch:
		require.NoError(t, r.err)
		return r.msg
	case <-time.After(watchdog):
		t.Fatalf("no GELF message within %v", watchdog)
		return nil
	}
}

// TestUDPLoopback sends real datagrams to go-gelf's own reader on the
// loopback interface — the last message large enough to be chunked — and
// checks every field that arrives.
func TestUDPLoopback(t *testing.T) {
	r, err := gelf.NewReader("127.0.0.1:0")
	require.NoError(t, err)
	msgs := readGELF(r, 3)

	h, closeGELF, err := logging.OpenGELF("udp://"+r.Addr(), &logging.GELFOptions{Host: "test-host", Facility: "test-facility"})
	require.NoError(t, err)
	defer func() { require.NoError(t, closeGELF()) }()

	payload := bigPayload(16 << 10)
	from := time.Now()
	logSample(slog.New(h), payload)
	to := time.Now()

	got := []*gelf.Message{receive(t, msgs), receive(t, msgs), receive(t, msgs)}
	checkSample(t, got, payload, from, to)
}

// TestUDPChunking reads the datagrams of a large message straight from
// the socket: GELF chunks with one message ID, numbered in order, none
// larger than gelf.ChunkSize, whose data put together is the gzipped
// message.
func TestUDPChunking(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()
	require.NoError(t, pc.SetReadDeadline(time.Now().Add(watchdog)))

	h, closeGELF, err := logging.OpenGELF("udp://"+pc.LocalAddr().String(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, closeGELF()) }()
	payload := bigPayload(16 << 10)
	slog.New(h).Info(payload)

	var (
		id    []byte
		total int
		data  []byte
		buf   = make([]byte, 64<<10)
	)
	for seq := 0; seq == 0 || seq < total; seq++ {
		n, _, err := pc.ReadFrom(buf)
		require.NoError(t, err, "chunk %d", seq)
		d := buf[:n]
		require.LessOrEqual(t, n, gelf.ChunkSize, "chunk %d: size", seq)
		require.Greater(t, n, 12, "chunk %d: size", seq)
		require.Equal(t, []byte{0x1e, 0x0f}, d[:2], "chunk %d: magic bytes", seq)
		if seq == 0 {
			id, total = bytes.Clone(d[2:10]), int(d[11])
			require.Greater(t, total, 1, "chunks")
		}
		require.Equal(t, id, d[2:10], "chunk %d: message ID", seq)
		require.Equal(t, seq, int(d[10]), "chunk %d: sequence number", seq)
		require.Equal(t, total, int(d[11]), "chunk %d: chunk count", seq)
		data = append(data, d[12:]...)
	}

	zr, err := gzip.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	var m gelf.Message
	require.NoError(t, json.NewDecoder(zr).Decode(&m))
	assert.Equal(t, payload, m.Short)
}

// tcpServer accepts one connection on ln and reads it to the end, then
// returns what it read; a read deadline is its watchdog.
func tcpServer(ln net.Listener) <-chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		defer close(ch)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		if err := conn.SetReadDeadline(time.Now().Add(watchdog)); err != nil {
			return
		}
		b, _ := io.ReadAll(bufio.NewReader(conn))
		ch <- b
	}()
	return ch
}

// TestTCPLoopback sends the same messages over TCP to a plain loopback
// listener, which splits the stream at the null bytes that end GELF TCP
// frames. Closing flushes the queue, then closes the connection.
func TestTCPLoopback(t *testing.T) {
	logging.SetOpenFlushTimeout(t, time.Minute) // a bound on a hang: the flush is no deadline here
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	stream := tcpServer(ln)

	h, closeGELF, err := logging.OpenGELF("tcp://"+ln.Addr().String(), &logging.GELFOptions{Host: "test-host", Facility: "test-facility"})
	require.NoError(t, err)
	payload := bigPayload(logging.MaxValueBytes) // the longest value sent whole
	from := time.Now()
	logSample(slog.New(h), payload)
	to := time.Now()
	require.NoError(t, closeGELF())
	require.NoError(t, closeGELF(), "second close")

	var b []byte
	select {
	case b = <-stream:
	case <-time.After(2 * watchdog):
		t.Fatal("TCP server did not finish")
	}
	frames := bytes.Split(b, []byte{0})
	require.Len(t, frames, 4, "three frames, each ended by a null byte")
	require.Empty(t, frames[3], "after the last null byte")
	var got []*gelf.Message
	for i, f := range frames[:3] {
		var m gelf.Message
		require.NoError(t, json.Unmarshal(f, &m), "frame %d", i)
		got = append(got, &m)
	}
	checkSample(t, got, payload, from, to)

	err = h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "late", 0))
	require.ErrorIs(t, err, logging.ErrClosed, "after close")
}

// TestTCPServerGone: once the server has gone, logging goes on without
// blocking — messages fail or are dropped — and closing still returns.
func TestTCPServerGone(t *testing.T) {
	logging.SetOpenFlushTimeout(t, time.Minute) // a bound on a hang: the flush is no deadline here
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		if conn, err := ln.Accept(); err == nil {
			conn.Close()
		}
	}()
	h, closeGELF, err := logging.OpenGELF("tcp://"+ln.Addr().String(), nil)
	require.NoError(t, err)
	<-accepted
	require.NoError(t, ln.Close())

	for i := range 100 {
		err := h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "into the void", 0))
		if err != nil {
			require.ErrorIs(t, err, logging.ErrQueueFull, "message %d", i)
		}
	}
	require.NoError(t, closeGELF())
}

// TestOpenGELFRefused: TCP connects at once, so a server that refuses is
// reported by OpenGELF.
func TestOpenGELFRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	_, _, err = logging.OpenGELF("tcp://"+addr, nil)
	require.Error(t, err)
	assert.NotErrorIs(t, err, logging.ErrInvalidURL)
	assert.ErrorContains(t, err, "open gelf tcp://"+addr)
}

// TestOpenGELFInvalidURL: addresses OpenGELF refuses before any I/O.
func TestOpenGELFInvalidURL(t *testing.T) {
	for _, tc := range []struct{ name, url string }{
		{"Empty", ""},
		{"NoScheme", "localhost:12201"},
		{"OtherScheme", "http://localhost:12201"},
		{"NoHost", "udp://:12201"},
		{"NothingAfterScheme", "tcp://"},
		{"PortZero", "udp://localhost:0"},
		{"PortTooLarge", "udp://localhost:65536"},
		{"Path", "udp://localhost:12201/gelf"},
		{"Query", "udp://localhost:12201?compress=none"},
		{"Fragment", "udp://localhost:12201#x"},
		{"User", "tcp://me@localhost:12201"},
		{"Unparsable", "udp://local host:12201"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, closeGELF, err := logging.OpenGELF(tc.url, nil)
			require.ErrorIs(t, err, logging.ErrInvalidURL)
			assert.Nil(t, h)
			assert.Nil(t, closeGELF)
		})
	}
}

// TestUDPHostileValue: a value nobody bounded — an event type someone
// appended to the log, 400 KB of text gzip cannot squeeze — still gets
// its message to the server, cut, where go-gelf alone would refuse a
// message of more than 128 chunks and the line would be lost.
func TestUDPHostileValue(t *testing.T) {
	r, err := gelf.NewReader("127.0.0.1:0")
	require.NoError(t, err)
	msgs := readGELF(r, 1)

	h, closeGELF, err := logging.OpenGELF("udp://"+r.Addr(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, closeGELF()) }()

	rng := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, 400_000)
	for i := range b {
		b[i] = byte('!' + rng.IntN(94)) // printable ASCII, some of it escaped in JSON
	}
	rec := slog.NewRecord(time.Now(), slog.LevelWarn, "skipped transaction event", 0)
	rec.AddAttrs(slog.String("type", string(b)), slog.Any("err", errors.New("decode "+string(b)+": unknown event type")))
	require.NoError(t, h.Handle(context.Background(), rec))

	m := receive(t, msgs)
	assert.Equal(t, "skipped transaction event", m.Short)
	assert.Equal(t, string(b[:logging.MaxValueBytes])+" …[383616 bytes cut]", m.Extra["_type"])
	assert.Contains(t, m.Extra["_err"], " bytes cut]")
}
