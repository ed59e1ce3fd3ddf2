package esdb_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/esdb/esdbtest"
	"github.com/eventchain/eventchain/eventlog/eventlogtest"
)

// TestConfigIsChecked: New refuses a Config it cannot use, with
// ErrInvalid, before connecting to anything.
func TestConfigIsChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  esdb.Config
	}{
		{"NoConnString", esdb.Config{}},
		{"WrongScheme", esdb.Config{ConnString: "https://localhost:2113"}},
		{"BadNodePreference", esdb.Config{ConnString: "esdb://localhost:2113?nodePreference=nearest"}},
		{"BadPort", esdb.Config{ConnString: "esdb://localhost:port"}},
		// The official client keeps a port as a uint16: 67649 would
		// dial 2113, 0 and -1 ports nobody named.
		{"PortPastTheLast", esdb.Config{ConnString: "esdb://localhost:67649?tls=false"}},
		{"PortZero", esdb.Config{ConnString: "esdb://localhost:0"}},
		{"NegativePort", esdb.Config{ConnString: "esdb://localhost:-1"}},
		{"ClusterPortPastTheLast", esdb.Config{ConnString: "esdb://n1:2113,n2:70000"}},
		{"DiscoverPortPastTheLast", esdb.Config{ConnString: "esdb+discover://cluster.example:65536"}},
		// An '@' in the query ends no credentials: the port before it
		// is checked all the same.
		{"PortPastTheLastAtInQuery", esdb.Config{ConnString: "esdb://localhost:67649?tls=false&userCertFile=/certs/me@example/cert.pem&userKeyFile=/certs/me@example/key.pem"}},
		{"CredentialsAndPortPastTheLastAtInQuery", esdb.Config{ConnString: "esdb://admin:pw@localhost:67649?tls=false&userCertFile=/certs/me@example/cert.pem&userKeyFile=/certs/me@example/key.pem"}},
		{"CertWithoutKey", esdb.Config{ConnString: "esdb://localhost:2113?userCertFile=cert.pem"}},
		{"SystemPrefix", esdb.Config{ConnString: "esdb://localhost:2113", StreamPrefix: "$demo-"}},
		{"PrefixTooLong", esdb.Config{ConnString: "esdb://localhost:2113", StreamPrefix: strings.Repeat("p", eventlog.MaxStreamNameLen)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := esdb.New(tc.cfg)
			assert.ErrorIs(t, err, eventlog.ErrInvalid)
		})
	}
}

// TestConfigHidesPassword: a connection string New refuses is named in
// its error without its password, nor any part of it, however the
// client's parser quotes it.
func TestConfigHidesPassword(t *testing.T) {
	for _, tc := range []struct {
		name, connString string
		secret           string // the password
		want             string // what the error names instead
	}{
		{"BadPort", "esdb://admin:SECRETPW@127.0.0.1:abc?tls=false", "SECRETPW", `esdb://127.0.0.1:abc?tls=false (its credentials left out): invalid port ":abc" after host`},
		{"BadEscape", "esdb://admin:SEC%zzRETPW@127.0.0.1:2113?tls=false", "SEC%zzRETPW", "esdb://127.0.0.1:2113?tls=false (its credentials left out): not a connection string"},
		{"BadEscapeAndPort", "esdb://admin:SEC%zzRETPW@127.0.0.1:abc", "SEC%zzRETPW", "esdb://127.0.0.1:abc (its credentials left out): "},
		{"SlashInPassword", "esdb://admin:SECRET/PW@127.0.0.1:2113", "SECRET/PW", "esdb://127.0.0.1:2113 (its credentials left out): not a connection string"},
		{"PortInPassword", "esdb://admin:9999/SECRETPW@127.0.0.1:2113", "9999/SECRETPW", "esdb://127.0.0.1:2113 (its credentials left out): "},
		{"OtherScheme", "kurrentdb://admin:SECRETPW@127.0.0.1:2113", "SECRETPW", "kurrentdb://127.0.0.1:2113 (its credentials left out): an invalid scheme"},
		{"BadNodePreference", "esdb://admin:SECRETPW@127.0.0.1:2113?nodePreference=nearest", "SECRETPW", "esdb://127.0.0.1:2113?nodePreference=nearest (its credentials left out): "},
		{"CertWithoutKey", "esdb://admin:SECRETPW@127.0.0.1:2113?userCertFile=cert.pem", "SECRETPW", "esdb://127.0.0.1:2113?userCertFile=cert.pem (its credentials left out): "},
		{"Cluster", "esdb://admin:SECRETPW@n1:2113,n2:x", "SECRETPW", "esdb://n1:2113,n2:x (its credentials left out): "},
		{"PortPastTheLast", "esdb://admin:SECRETPW@127.0.0.1:67649", "SECRETPW", "esdb://127.0.0.1:67649 (its credentials left out): host 127.0.0.1:67649: have port 67649, want 1 to 65535"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := esdb.New(esdb.Config{ConnString: tc.connString})
			require.ErrorIs(t, err, eventlog.ErrInvalid)
			assert.ErrorContains(t, err, tc.want)
			for i := 0; i+3 <= len(tc.secret); i++ {
				assert.NotContains(t, err.Error(), tc.secret[i:i+3], "no part of the password")
			}
		})
	}
}

// TestRedact: the credentials are left out of a connection string, and
// nothing else is.
func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"esdb://127.0.0.1:2113?tls=false", "esdb://127.0.0.1:2113?tls=false"},
		{"esdb://admin:changeit@db.example:2113", "esdb://db.example:2113"},
		{"esdb://admin@db.example:2113", "esdb://db.example:2113"},
		{"esdb://admin:changeit@n1:2113,n2:2113?nodePreference=leader", "esdb://n1:2113,n2:2113?nodePreference=leader"},
		{"esdb://n1:2113/?tlsCAFile=/certs/a@b.pem", "esdb://b.pem"}, // too much left out, never too little
		{"esdb://admin:?secretpw@db.example:2113?tls=false", "esdb://db.example:2113?tls=false"},
		{"esdb://admin:1234?secretpw@db.example:2113", "esdb://db.example:2113"},
		{"esdb://admin:#secretpw@db.example:2113", "esdb://db.example:2113"},
		{"esdb://admin:pa/ss@db.example:2113", "esdb://db.example:2113"},
		{"esdb://admin:pa?ss@db.example:2113", "esdb://db.example:2113"},
		{"esdb://admin:2113/ss@db.example:2113", "esdb://db.example:2113"},
		{"esdb://admin:pa%zzss@db.example:2113", "esdb://db.example:2113"},
		{"kurrentdb://admin:changeit@db.example:2113", "kurrentdb://db.example:2113"},
		{"memory", "memory"},
		{"file:a@b.db", "file:a@b.db"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, esdb.Redact(tc.in))
		})
	}
}

// TestOpen: Open connects, or says the server is unavailable.
func TestOpen(t *testing.T) {
	ctx := testContext(t)
	srv := esdbtest.NewServer(t)
	log, err := esdb.Open(ctx, esdb.Config{ConnString: srv.ConnString()})
	require.NoError(t, err)
	require.NoError(t, log.Ping(ctx))
	require.NoError(t, log.Close())
	assert.ErrorIs(t, log.Ping(ctx), eventlog.ErrClosed)

	srv.Stop()
	_, err = esdb.Open(ctx, esdb.Config{ConnString: srv.ConnString() + quick})
	assert.ErrorIs(t, err, eventlog.ErrUnavailable)
}

// TestClusterConnectionStrings: connection strings with gossip seeds
// find the (one-node) cluster through gossip.
func TestClusterConnectionStrings(t *testing.T) {
	srv := esdbtest.NewServer(t)
	a := srv.Addr()
	for _, conn := range []string{
		"esdb://" + a + "," + a + "?tls=false&nodePreference=leader",
		"esdb+discover://" + a + "?tls=false&nodePreference=random",
	} {
		t.Run(conn, func(t *testing.T) {
			ctx := testContext(t)
			log := newLog(t, esdb.Config{ConnString: conn})
			_, err := log.Append(ctx, "cluster", eventlog.Any, events("cluster", 1)...)
			require.NoError(t, err)
		})
	}
}

// TestWhatTheServerStores looks at what the adapter writes through the
// official client: the prefixed name, JSON content, user metadata, and
// the server's created time as Recorded.Time, in UTC.
func TestWhatTheServerStores(t *testing.T) {
	ctx := testContext(t)
	at := time.Date(2026, 7, 1, 12, 30, 15, 123456700, time.FixedZone("CEST", 2*60*60))
	srv := esdbtest.New(esdbtest.Config{Now: func() time.Time { return at }})
	require.NoError(t, srv.Start())
	t.Cleanup(srv.Close)
	log := newLog(t, esdb.Config{ConnString: srv.ConnString(), StreamPrefix: "class-7/"})
	e := events("stored", 1)[0]
	e.Metadata = []byte(`{"by":"test"}`)
	_, err := log.Append(ctx, "blocks", eventlog.NoStream, e)
	require.NoError(t, err)

	c := officialClient(t, srv.ConnString())
	rs, err := c.ReadStream(ctx, "class-7/blocks", esclient.ReadStreamOptions{}, 10)
	require.NoError(t, err)
	defer rs.Close()
	got, err := rs.Recv()
	require.NoError(t, err)
	assert.Equal(t, "application/json", got.Event.ContentType)
	assert.Equal(t, e.ID, got.Event.EventID)
	assert.Equal(t, e.Type, got.Event.EventType)
	assert.Equal(t, string(e.Data), string(got.Event.Data))
	assert.Equal(t, string(e.Metadata), string(got.Event.UserMetadata))

	recs, err := log.Read(ctx, "blocks", eventlog.Start, eventlog.Forwards, 10)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "blocks", recs[0].Stream, "the caller's name")
	assert.True(t, at.Equal(recs[0].Time), "Time %v, want %v", recs[0].Time, at)
	assert.Equal(t, time.UTC, recs[0].Time.Location())

	require.NoError(t, log.Delete(ctx, "blocks", eventlog.Any))
	_, err = c.AppendToStream(ctx, "class-7/blocks", esclient.AppendToStreamOptions{}, esclient.EventData{EventType: "X", Data: []byte(`{}`)})
	var ce *esclient.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, esclient.ErrorCodeStreamDeleted, ce.Code(), "Delete is a tombstone, not a soft delete")
}

// officialClient returns a client of the official library, closed when
// t ends.
func officialClient(t *testing.T, conn string) *esclient.Client {
	cfg, err := esclient.ParseConnectionString(conn)
	require.NoError(t, err)
	cfg.Logger = esclient.NoopLogging()
	c, err := esclient.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestErrorsKeepTheClientError: the contract's errors carry the
// client's error in their chain, and the state of the stream.
func TestErrorsKeepTheClientError(t *testing.T) {
	ctx := testContext(t)
	srv := esdbtest.NewServer(t)
	log := newLog(t, esdb.Config{ConnString: srv.ConnString()})
	_, err := log.Append(ctx, "errors", eventlog.NoStream, events("errors", 3)...)
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		call   func() error
		client bool // whether the client's error is in the chain
	}{
		{"Append", func() error {
			_, err := log.Append(ctx, "errors", eventlog.Exact(0), events("late", 1)...)
			return err
		}, true},
		{"Delete", func() error { return log.Delete(ctx, "errors", eventlog.Exact(7)) }, true},
		{"AppendExpectingBeyondMaxInt64", func() error {
			_, err := log.Append(ctx, "errors", eventlog.Exact(eventlog.End), events("never", 1)...)
			return err
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var wrong *eventlog.WrongExpectedRevisionError
			require.ErrorAs(t, err, &wrong)
			assert.Equal(t, eventlog.Exact(2), wrong.Actual)
			assert.Equal(t, "errors", wrong.Stream)
			var ce *esclient.Error
			assert.Equal(t, tc.client, errors.As(err, &ce), "%v", err)
		})
	}

	_, err = log.Read(ctx, "missing", eventlog.Start, eventlog.Forwards, 1)
	assert.ErrorIs(t, err, eventlog.ErrStreamNotFound)
	var ce *esclient.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, esclient.ErrorCodeResourceNotFound, ce.Code())
}

// TestConformanceWithTightPolicy: with a subscription buffer of one
// event and one idle connection, the suite still passes: slow readers,
// cancellations and deletes work whatever the buffer.
func TestConformanceWithTightPolicy(t *testing.T) {
	srv := esdbtest.NewServer(t)
	eventlogtest.Run(t, func(t *testing.T) eventlog.Log {
		return newLog(t, esdb.Config{ConnString: srv.ConnString(), Policy: esdb.Policy{
			ReconnectMin: time.Millisecond, ReconnectMax: time.Millisecond, SubscriptionBuffer: 1, MaxIdleConns: 1,
		}})
	})
}

// TestConcurrentUse: many goroutines share one Log, each with its own
// connections, while one subscriber follows.
func TestConcurrentUse(t *testing.T) {
	ctx := testContext(t)
	srv := esdbtest.NewServer(t)
	log := newLog(t, esdb.Config{ConnString: srv.ConnString()})
	sub, err := log.Subscribe(ctx, "shared", eventlog.Start)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Close() })
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := log.Append(ctx, "shared", eventlog.Any, events("w", 1)...); err != nil {
					errs <- err
					return
				}
				if _, err := log.Read(ctx, "shared", eventlog.End, eventlog.Backwards, 1+i%3); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, span(0, writers*each-1), nextRevisions(t, ctx, sub, writers*each))
}
