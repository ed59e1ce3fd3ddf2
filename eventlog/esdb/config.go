package esdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/eventchain/eventchain/eventlog"
)

// Config configures a [Log]. ConnString is required; the rest may be
// left zero.
type Config struct {
	// ConnString says where EventStoreDB is and how to talk to it, in
	// the official client's syntax, which parses it:
	//
	//	esdb://localhost:2113?tls=false                      one insecure node
	//	esdb://admin:changeit@db.example:2113                TLS, with credentials
	//	esdb://db.example:2113?tlsVerifyCert=false           TLS, any certificate
	//	esdb://n1:2113,n2:2113,n3:2113?nodePreference=leader a cluster, by gossip seeds
	//	esdb+discover://cluster.example:2113                 a cluster, by DNS
	//
	// Other settings (keepAliveInterval, maxDiscoverAttempts,
	// discoveryInterval, gossipTimeout, defaultDeadline, tlsCAFile, …)
	// are the client's too. A port must be 1 to 65535: the client
	// would wrap a larger one around (67649 dialling 2113). An error
	// about it names it without its credentials ([Redact]).
	ConnString string

	// StreamPrefix is put before every stream name, so that many demos,
	// classes or test runs can share one EventStoreDB without seeing each
	// other's streams: with "alice/", stream "blocks" is kept as
	// "alice/blocks". Callers never see it. Names may then be at most
	// eventlog.MaxStreamNameLen − len(StreamPrefix) bytes long, which
	// [Log.MaxStreamNameLen] reports. It must not start with "$".
	StreamPrefix string

	// Policy tunes reconnection and buffering; a zero field takes the
	// value of DefaultPolicy.
	Policy Policy

	// Logger receives the official client's log lines and notes about
	// reconnecting subscriptions. Nil means silent.
	Logger *slog.Logger
}

// Policy holds the tunables of a [Log].
type Policy struct {
	// ReconnectMin and ReconnectMax bound the wait between two attempts
	// of a subscription to resubscribe after its connection dropped: the
	// first retry is immediate, the next waits ReconnectMin, and each
	// one after doubles the wait, up to ReconnectMax.
	ReconnectMin, ReconnectMax time.Duration

	// SubscriptionBuffer is how many events a subscription may receive
	// ahead of its reader. When it is full, the subscription stops
	// reading from the server, and gRPC's flow control holds back the
	// rest: a slow reader costs at most this many events of memory, plus
	// what gRPC buffers (a connection window of 64 KiB or so).
	SubscriptionBuffer int

	// MaxIdleConns is how many idle connections the log keeps for reuse.
	// Each call uses a connection of its own while it runs, and each
	// subscription one for its life (see Log).
	MaxIdleConns int
}

// DefaultPolicy returns the policy a zero Config.Policy means: reconnect
// waits from 100 ms up to 5 s, a buffer of 256 events per subscription,
// and 4 idle connections.
func DefaultPolicy() Policy {
	return Policy{
		ReconnectMin:       100 * time.Millisecond,
		ReconnectMax:       5 * time.Second,
		SubscriptionBuffer: 256,
		MaxIdleConns:       4,
	}
}

// withDefaults fills p's zero fields from DefaultPolicy.
func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	if p.ReconnectMin <= 0 {
		p.ReconnectMin = d.ReconnectMin
	}
	if p.ReconnectMax <= 0 {
		p.ReconnectMax = d.ReconnectMax
	}
	p.ReconnectMax = max(p.ReconnectMax, p.ReconnectMin)
	if p.SubscriptionBuffer <= 0 {
		p.SubscriptionBuffer = d.SubscriptionBuffer
	}
	if p.MaxIdleConns <= 0 {
		p.MaxIdleConns = d.MaxIdleConns
	}
	return p
}

// backoff returns how long to wait before retry number attempt (0 for
// the first retry).
func (p Policy) backoff(attempt int) time.Duration {
	if attempt <= 0 {
		return 0
	}
	d := p.ReconnectMin
	for i := 1; i < attempt && d < p.ReconnectMax; i++ {
		d *= 2
	}
	return min(d, p.ReconnectMax)
}

// clientConfig parses cfg's connection string into the official
// client's configuration, with its logging sent to cfg.Logger.
func (cfg Config) clientConfig() (*esclient.Configuration, error) {
	if cfg.ConnString == "" {
		return nil, fmt.Errorf("%w: Config.ConnString is empty", eventlog.ErrInvalid)
	}
	if len(cfg.StreamPrefix) > 0 && cfg.StreamPrefix[0] == '$' {
		return nil, fmt.Errorf("%w: Config.StreamPrefix %q starts with $, kept for system streams", eventlog.ErrInvalid, cfg.StreamPrefix)
	}
	if len(cfg.StreamPrefix) >= eventlog.MaxStreamNameLen {
		return nil, fmt.Errorf("%w: Config.StreamPrefix of %d bytes leaves no room for names", eventlog.ErrInvalid, len(cfg.StreamPrefix))
	}
	c, err := esclient.ParseConnectionString(cfg.ConnString)
	if err == nil {
		err = c.Validate()
	}
	if err == nil {
		err = checkPorts(cfg.ConnString)
	}
	if err != nil {
		name := Redact(cfg.ConnString)
		if name != cfg.ConnString {
			name += " (its credentials left out)"
		}
		return nil, fmt.Errorf("%w: connection string %s: %s", eventlog.ErrInvalid, name, connStringProblem(cfg.ConnString, err))
	}
	c.Logger = clientLogger(cfg.Logger)
	return c, nil
}

// checkPorts refuses a host's port outside 1…65535, which the official
// client takes and wraps around: it keeps a port as a uint16, so that
// esdb://db:67649 would dial port 2113 (67649 − 65536), and :0 a port
// nobody named. The hosts are what comes after "://", up to the query,
// and after the credentials, separated by commas (or slashes, which the
// client reads as commas); a port that is no number is left to the
// client, which refuses it itself. The query is cut off first, as
// url.Parse does: an '@' in it (userCertFile=/certs/me@example/cert.pem)
// ends no credentials, and Redact, which must never show a password,
// takes the last '@' of the whole string.
func checkPorts(connString string) error {
	_, rest, ok := strings.Cut(connString, "://")
	if !ok {
		return nil
	}
	hosts, _, _ := strings.Cut(rest, "?")
	hosts, _, _ = strings.Cut(hosts, "#")
	if at := strings.LastIndexByte(hosts, '@'); at >= 0 {
		hosts = hosts[at+1:]
	}
	for _, h := range strings.FieldsFunc(hosts, func(r rune) bool { return r == ',' || r == '/' }) {
		i := strings.LastIndexByte(h, ':')
		if i < 0 {
			continue // the default port
		}
		port, err := strconv.Atoi(h[i+1:])
		if err != nil {
			continue // not a number: "[::1]", or the client's to refuse
		}
		if port < 1 || port > 65535 {
			return fmt.Errorf("host %s: have port %d, want 1 to 65535", h, port)
		}
	}
	return nil
}

// clientLogger sends the official client's log lines to l, or nowhere.
func clientLogger(l *slog.Logger) esclient.LoggingFunc {
	if l == nil {
		return esclient.NoopLogging()
	}
	return func(level esclient.LogLevel, format string, args ...any) {
		lv := slog.LevelInfo
		switch level {
		case esclient.LogDebug:
			lv = slog.LevelDebug
		case esclient.LogWarn:
			lv = slog.LevelWarn
		case esclient.LogError:
			lv = slog.LevelError
		}
		l.Log(context.Background(), lv, "eventstoredb client: "+fmt.Sprintf(format, args...))
	}
}

// Redact returns connString with the credentials it holds left out:
// "esdb://admin:changeit@db.example:2113" is "esdb://db.example:2113".
// Everything between "://" and the string's last '@' goes: a password may
// hold a '/', '?' or '#' the client reads as it is, and no parse of the
// string can tell where it ends, so Redact leaves out too much rather
// than too little (an '@' in the query, as in a tlsCAFile path, takes the
// hosts with it). A string with no "://" is returned as it is. Redact is
// for the log's name in messages and files: a password is no part of it.
func Redact(connString string) string {
	redacted, _ := splitCredentials(connString)
	return redacted
}

// splitCredentials returns connString without its credentials, as Redact
// says, and the credentials ("" if none).
func splitCredentials(connString string) (redacted, credentials string) {
	scheme, rest, ok := strings.Cut(connString, "://")
	if !ok {
		return connString, ""
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return connString, ""
	}
	return scheme + "://" + rest[at+1:], rest[:at]
}

// connStringProblem is the text of err, the client's refusal of
// connString, without connString itself, which a *url.Error quotes
// whole, and without any part of the password Redact leaves out: if the
// text holds three characters of it in a row (a bad %-escape in it, say),
// a general phrase stands in for the text.
func connStringProblem(connString string, err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	_, credentials := splitCredentials(connString)
	if credentials == "" {
		return msg
	}
	password := credentials
	if _, p, ok := strings.Cut(credentials, ":"); ok {
		password = p
	}
	if password == "" {
		return msg
	}
	for i := 0; i < max(len(password)-2, 1); i++ {
		if strings.Contains(msg, password[i:min(i+3, len(password))]) {
			return "not a connection string the client can read (its text, which would show part of the password, is left out)"
		}
	}
	return msg
}
