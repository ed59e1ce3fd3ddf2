// Package app is what the example apps share: the common flags (with
// environment-variable fallbacks), opening the event log, the logger,
// the /metrics endpoint, an HTTP server with timeouts and a graceful
// shutdown, and main's exit codes. It is wiring, not logic: everything a
// test would need lives in the importable packages.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/boltlog"
	"github.com/eventchain/eventchain/eventlog/esdb"
	"github.com/eventchain/eventchain/eventlog/memlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/examples/internal/logging"
	"github.com/eventchain/eventchain/examples/internal/version"
	"github.com/eventchain/eventchain/internal/clip"
	"github.com/eventchain/eventchain/miner"
	"github.com/eventchain/eventchain/node"
)

// EnvPrefix starts the environment variable that stands in for a flag:
// -stream-prefix falls back to EVENTCHAIN_STREAM_PREFIX.
const EnvPrefix = "EVENTCHAIN_"

// UsageError is a bad flag or argument; Main exits with status 2 for it.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

// Main runs an app: run gets a context cancelled on SIGINT or SIGTERM,
// and Main exits with 0, 2 for a usage error, or 1 for any other error,
// printing the error as one line. For ErrVersion (-version) it prints
// the name and the Version on stdout and exits 0; for flag.ErrHelp (-h
// or -help, the usage printed already) it exits 0, as the flag package
// does: help that was asked for is no error.
func Main(name string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// A stop asked for (SIGINT, SIGTERM) is no failure, however early it
	// came: a context canceled while the app was still starting up exits
	// 0, as one canceled while it served does.
	err := Stopped(ctx, run(ctx, os.Args[1:], os.Stdout, os.Stderr))
	stop()
	switch {
	case err == nil:
		os.Exit(0)
	case errors.Is(err, ErrVersion):
		fmt.Fprintf(os.Stdout, "%s %s\n", name, version.Read())
		os.Exit(0)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, new(UsageError)):
		fmt.Fprintln(os.Stderr, Said(name, err)+FromEnvironment(err, os.Args[1:], os.Getenv))
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, Said(name, err))
		os.Exit(1)
	}
}

// Said is err as the app name says it: "name: err", where an error of
// the package of the same name (the bank's, "bank: …") is not prefixed
// twice. An error of a damaged event log (eventlog.ErrCorrupt), which
// whichever part of the app met it first words its own way, ends saying
// so, and what to do: the file may be another, named by mistake, so the
// advice never has the user remove it. It is one line, whatever a value
// quoted in it holds: a character that is not graphic (a newline in a
// path) is written as a Go escape (clip.Line).
func Said(name string, err error) string {
	msg := clip.Line(err.Error())
	if !strings.HasPrefix(msg, name+": ") {
		msg = name + ": " + msg
	}
	if errors.Is(err, eventlog.ErrCorrupt) {
		msg += " (the event log is damaged, or the file is not one: check the path; keep the file, and restore the log from a backup or start a new one at another path)"
	}
	return msg
}

// usageFlag finds the flag a usage error begins by naming: "-eventlog: …"
// or "-genesis FILE: …".
var usageFlag = regexp.MustCompile(`^-([a-z0-9][a-z0-9-]*)[ :]`)

// FromEnvironment returns, for a usage error that begins by naming a flag
// (as "-eventlog: have …") that args do not give and the environment
// does, " (set by EVENTCHAIN_EVENTLOG)": the value at fault came from the
// variable, which the user may not know is set. Otherwise it returns "".
// Main adds it to the line it prints.
func FromEnvironment(err error, args []string, getenv func(string) string) string {
	m := usageFlag.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	name := m[1]
	for _, a := range args {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue // an argument, or a flag's value ("-stream-prefix eventlog")
		}
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return "" // given: the flag beats the variable
		}
	}
	env := EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if getenv(env) == "" {
		return ""
	}
	return " (set by " + env + ")"
}

// Common holds the flags every app has.
type Common struct {
	EventLog     string // "memory", "file:PATH", or an EventStoreDB connection string
	StreamPrefix string // put before every stream name, e.g. "class1/"; "" for none
	LogFormat    string // "text" or "json"
	GELF         string // "", or udp://host:port, tcp://host:port
}

// Register defines the common flags on fs.
func (c *Common) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.EventLog, "eventlog", "memory", "event log: memory, file:PATH (durable, one process at a time), or an EventStoreDB connection string such as esdb://localhost:2113?tls=false (several processes)")
	fs.StringVar(&c.StreamPrefix, "stream-prefix", "", "prefix for every stream name, so several demos can share one EventStoreDB; end it with a separator, as in class1/ (prefixes one of which begins another would share streams); it keeps streams apart, not chains: apps started from one genesis file under two prefixes are one chain twice, where a transfer signed for one is good on the other")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format on stderr: text or json")
	fs.StringVar(&c.GELF, "gelf", "", "also send logs to Graylog, e.g. udp://localhost:12201")
}

// Parse parses args into fs; a flag not given falls back to its
// environment variable (EVENTCHAIN_ and the flag's name in upper case,
// dashes as underscores), looked up with getenv, unless that is empty:
// an empty variable counts as unset (a container's blank value must not
// empty a flag unseen), so a flag is emptied only by giving it. Errors
// are UsageErrors.
// Parse adds -version to fs (unless fs has one) and returns ErrVersion
// when it is given; -version has no environment fallback.
//
// The usage message (-h) it sets ends by saying so.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	version := defineVersion(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nA flag not given is read from the environment, if set there to a value that is not empty: -eventlog from %sEVENTLOG, -stream-prefix from %sSTREAM_PREFIX, and so on. (An empty variable counts as unset: to empty a flag, give it, as in -gelf \"\".)\n", EnvPrefix, EnvPrefix)
	}
	// The flag package prints a bad flag's error and then the whole
	// usage; Main says the error, as one line, and the usage is printed
	// only when asked for.
	out := fs.Output()
	fs.SetOutput(io.Discard)
	perr := fs.Parse(args)
	fs.SetOutput(out)
	if perr != nil {
		if errors.Is(perr, flag.ErrHelp) {
			fs.Usage()
			return perr
		}
		return Usagef("%w (run '%s -h' for the flags)", perr, fs.Name())
	}
	if fs.NArg() > 0 { // before -version: "-version extra" is a mistake too
		return Usagef("unexpected arguments %q (run '%s -h' for the flags)", fs.Args(), fs.Name())
	}
	if version.requested() {
		return ErrVersion
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil || isVersionFlag(f) {
			return
		}
		env := EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = Usagef("%s=%q: %v", env, v, e)
			}
		}
	})
	return err
}

// Logger returns the app's logger: text or JSON on stderr, and GELF too
// if c.GELF is set, with app as its facility (the field Graylog users
// filter a program's messages by). close flushes and closes the GELF
// connection. On
// stderr as in GELF, a string or error longer than logging.MaxValueBytes
// is cut (logging.CutLongValues).
func (c Common) Logger(stderr io.Writer, app string) (logger *slog.Logger, close func() error, err error) {
	if err := c.checkLogging(); err != nil {
		return nil, nil, err
	}
	// Long values are cut as GELF cuts them: a log line may quote what a
	// stranger wrote to the event log.
	opts := &slog.HandlerOptions{ReplaceAttr: logging.CutLongValues}
	var h slog.Handler = slog.NewTextHandler(stderr, opts)
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(stderr, opts)
	}
	close = func() error { return nil }
	if c.GELF != "" {
		g, closeGELF, err := logging.OpenGELF(c.GELF, &logging.GELFOptions{Facility: app})
		if err != nil {
			if errors.Is(err, logging.ErrInvalidURL) {
				return nil, nil, Usagef("-gelf: %v", err)
			}
			return nil, nil, fmt.Errorf("-gelf: %w", err)
		}
		h, close = fanout{h, g}, closeGELF
	}
	return slog.New(h).With("app", app), close, nil
}

// fanout sends every record to several handlers.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

// Check checks the flags Common registers, opening nothing: a bad
// -log-format, -gelf, -eventlog or -stream-prefix is a [UsageError] here,
// so that an app refuses it before it takes its port and says it
// listens. (Logger and OpenLog check the same again; whether a GELF
// server or an EventStoreDB answers only they can tell.)
func (c Common) Check() error {
	if err := c.checkLogging(); err != nil {
		return err
	}
	return c.checkLog()
}

// checkLogging checks -log-format and the form of -gelf's URL.
func (c Common) checkLogging() error {
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return Usagef("-log-format: have %q, want text or json", c.LogFormat)
	}
	if c.GELF != "" {
		if err := logging.CheckGELFURL(c.GELF); err != nil {
			return Usagef("-gelf: %v", err)
		}
	}
	return nil
}

// checkLog checks -stream-prefix and the kind of log -eventlog names.
func (c Common) checkLog() error {
	if c.StreamPrefix != "" {
		// A prefix is the start of a stream name: the same rules, and
		// room left for the names it prefixes.
		if err := eventlog.CheckStreamName(c.StreamPrefix); err != nil {
			return Usagef("-stream-prefix: %v", err)
		}
		if len(c.StreamPrefix) > maxStreamPrefix {
			return Usagef("-stream-prefix: %d bytes, want at most %d", len(c.StreamPrefix), maxStreamPrefix)
		}
	}
	switch {
	case c.EventLog == "memory", c.SharedLog():
	case strings.HasPrefix(c.EventLog, "file:"):
		if c.EventLog == "file:" {
			return Usagef("-eventlog: file: needs a path, as in file:chain.db")
		}
	default:
		// A connection string of another kind may hold a password too.
		redacted := esdb.Redact(c.EventLog)
		have := fmt.Sprintf("%q", redacted)
		if redacted != c.EventLog {
			have += " (its credentials left out)"
		}
		return Usagef("-eventlog: have %s, want memory, file:PATH or an esdb:// connection string", have)
	}
	return nil
}

// SharedLog reports whether c.EventLog names a log other processes can
// write to at the same time: EventStoreDB. The in-memory log is the
// process's own, and a file log is locked by the process that opens it.
func (c Common) SharedLog() bool {
	return strings.HasPrefix(c.EventLog, "esdb://") || strings.HasPrefix(c.EventLog, "esdb+discover://")
}

// OpenLog opens the event log c.EventLog names, with c.StreamPrefix. An
// EventStoreDB that cannot be reached is an error here, so an app fails
// at start with one clear line rather than later.
func (c Common) OpenLog(ctx context.Context) (eventlog.Log, error) {
	if err := c.checkLog(); err != nil {
		return nil, err
	}
	var log eventlog.Log
	switch {
	case c.EventLog == "memory":
		log = memlog.New(memlog.Config{})
	case strings.HasPrefix(c.EventLog, "file:"):
		l, err := boltlog.Open(ctx, boltlog.Config{Path: strings.TrimPrefix(c.EventLog, "file:")})
		if err != nil {
			return nil, fmt.Errorf("open event log: %w", err)
		}
		log = l
	default: // an EventStoreDB connection string: checkLog let nothing else through
		l, err := esdb.Open(ctx, esdb.Config{ConnString: c.EventLog})
		if err != nil {
			if strings.Contains(err.Error(), "does not look like a TLS handshake") {
				return nil, fmt.Errorf("open event log: %w; the server answered without TLS: %s", err, insecureHint(c.EventLog))
			}
			return nil, fmt.Errorf("open event log: %w", err)
		}
		log = l
	}
	if c.StreamPrefix != "" {
		log = eventlog.WithPrefix(log, c.StreamPrefix)
	}
	return log, nil
}

// insecureHint says what to do when the client spoke TLS (the official
// client's default) to a server that does not: one in insecure mode, as
// esdbtest always is and KurrentDB with KURRENTDB_INSECURE=true. The
// crypto/tls error says only that the handshake failed.
func insecureHint(connString string) string {
	hint := "if it runs in insecure mode (esdbtest does), add tls=false to the connection string"
	if redacted := esdb.Redact(connString); !strings.Contains(redacted, "?") {
		hint += ", as in " + redacted + "?tls=false"
	}
	return hint
}

// maxStreamPrefix bounds -stream-prefix, leaving most of
// eventlog.MaxStreamNameLen to the streams' own names.
const maxStreamPrefix = 100

// Metrics is a Prometheus registry with the Go runtime's collectors, and
// the labels every metric registered through it carries (none for an
// app of one participant; devnet's tell its participants apart).
type Metrics struct {
	*prometheus.Registry
	labels prometheus.Labels
}

// NewMetrics returns a registry holding the Go and process collectors.
func NewMetrics() Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return Metrics{Registry: r}
}

// With returns m registering into the same registry, each metric
// labelled name=value too: devnet's two miners both count
// eventchain_miner_blocks_won_total, one with miner="miner-1".
func (m Metrics) With(name, value string) Metrics {
	labels := prometheus.Labels{name: value}
	for k, v := range m.labels {
		labels[k] = v
	}
	return Metrics{Registry: m.Registry, labels: labels}
}

// Gauge registers a gauge whose value f returns at each scrape.
func (m Metrics) Gauge(name, help string, f func() float64) {
	m.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: m.labels}, f))
}

// Counter registers a counter whose value f returns at each scrape.
func (m Metrics) Counter(name, help string, f func() float64) {
	m.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: m.labels}, f))
}

// Node registers the gauges every app has for its node: the chain's
// height and the pool's size; whose names the app in their help text
// (one help text a name, in one registry: devnet's say "node's").
func (m Metrics) Node(n *node.Node, whose string) {
	m.Gauge("eventchain_height", "Height of the "+whose+" chain.", func() float64 { return float64(n.Chain().Height()) })
	m.Gauge("eventchain_pool_size", "Pending transactions in the "+whose+" pool.", func() float64 { return float64(n.Pool().Len()) })
}

// Bank registers the bank's requests, a counter by status code.
func (m Metrics) Bank(b *bank.Bank) {
	m.MustRegister(requestsCollector{b: b, desc: prometheus.NewDesc("eventchain_bank_requests_total",
		"HTTP requests the bank answered, by status code.", []string{"code"}, m.labels)})
}

// requestsCollector exports bank.Requests as a counter by status code.
type requestsCollector struct {
	b    *bank.Bank
	desc *prometheus.Desc
}

func (c requestsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c requestsCollector) Collect(ch chan<- prometheus.Metric) {
	for code, n := range c.b.Requests() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(n), strconv.Itoa(code))
	}
}

// Miner registers a miner's counters: hashes, blocks won, lost and
// refused, time spent sealing.
func (m Metrics) Miner(mn *miner.Miner) {
	m.Counter("eventchain_miner_hashes_total", "Hashes tried.", func() float64 { return float64(mn.Stats().Hashes) })
	m.Counter("eventchain_miner_blocks_won_total", "Blocks this miner appended.", func() float64 { return float64(mn.Stats().BlocksWon) })
	m.Counter("eventchain_miner_blocks_lost_total", "Sealed blocks that lost the race.", func() float64 { return float64(mn.Stats().BlocksLost) })
	m.Counter("eventchain_miner_blocks_refused_total", "Sealed blocks not published: the miner's own chain refused them, or the log, as too large for one event.", func() float64 { return float64(mn.Stats().BlocksRefused) })
	m.Counter("eventchain_miner_seal_seconds_total", "Time spent sealing.", func() float64 { return mn.Stats().SealTime.Seconds() })
}

// Auditor registers the auditor's report, a gauge per count. The gauges
// are left out of every scrape until the auditor has restored its report
// from the log (audit.Auditor.Restored): before, they would count only
// what it has read so far, 0 at first, and a restart would show counts
// that drop to 0 and climb back, which rate() takes for resets.
func (m Metrics) Auditor(a *audit.Auditor) {
	c := auditCollector{a: a}
	for _, g := range []struct{ name, help string }{
		{"submitted", "Transactions submitted, each counted once, as the auditor counts them."},
		{"included", "Transactions the chain includes, as the auditor counts them."},
		{"pending", "Transactions submitted and neither included nor dropped, as the auditor counts them."},
		// Attempts, not transactions: one transaction rebroadcast
		// twice counts 2.
		{"rebroadcasts", "Rebroadcast attempts of the transactions the auditor waits on (a transaction rebroadcast twice counts 2)."},
		{"dropped", "Transactions given up on and not included since, as the auditor counts them."},
	} {
		c.descs = append(c.descs, prometheus.NewDesc("eventchain_audit_"+g.name, g.help, nil, m.labels))
	}
	m.MustRegister(c)
}

// auditCollector exports an auditor's report, once it is restored, as
// gauges: descs holds submitted, included, pending, rebroadcasts and
// dropped, in that order.
type auditCollector struct {
	a     *audit.Auditor
	descs []*prometheus.Desc
}

func (c auditCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c auditCollector) Collect(ch chan<- prometheus.Metric) {
	select {
	case <-c.a.Restored():
	default:
		return // restoring: no count yet rather than a partial one
	}
	r := c.a.Report()
	for i, n := range []int{r.Submitted, r.Included, r.Pending, r.Rebroadcasts, r.Dropped} {
		ch <- prometheus.MustNewConstMetric(c.descs[i], prometheus.GaugeValue, float64(n))
	}
}

// WithMetrics serves /metrics with metrics and every other path with h.
// It is no http.ServeMux: a ServeMux answers a path that is not clean
// ("//chain/head", "/blocks/../chain/head") with a redirect before the
// bank could answer it with its 404 problem.
func WithMetrics(h, metrics http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			metrics.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Handler serves the registry in Prometheus's text format at /metrics.
//
// It answers GET and HEAD; any other method gets 405 with an Allow
// header and a problem detail, as the bank's API answers, and any other
// path 404 (a server of metrics alone answered every path with them).
func (m Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"type":"about:blank","title":"not found","status":404,"detail":"metrics are at /metrics"}`+"\n")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusMethodNotAllowed)
			_, _ = io.WriteString(w, `{"type":"about:blank","title":"method not allowed","status":405,"detail":"allowed: GET, HEAD"}`+"\n")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Serve serves h on addr until ctx ends, then shuts down, giving
// requests in flight up to 5 s. ready, if not nil, gets the address
// actually bound (addr may end in :0).
func Serve(ctx context.Context, addr string, h http.Handler, ready func(net.Addr)) error {
	l, err := Listen(addr)
	if err != nil {
		return err
	}
	return ServeOn(ctx, l, h, ready)
}

// Listen listens on addr (TCP), for ServeOn: an app that listens before
// it makes anything learns of a port in use while there is nothing to
// undo.
func Listen(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return l, nil
}

// ListenFlag listens on addr, the value of the flag named flag (as
// "-metrics"), for ServeOn. An address that is no host:port is a
// UsageError; a port that cannot be had (in use, not allowed) an error
// naming the flag. An app listens so before it opens its event log: a
// bad flag is then refused before the app has written anything, a chain
// spec to an empty log, say.
func ListenFlag(flag, addr string) (net.Listener, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, Usagef("%s: %v", flag, err)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return nil, Usagef("%s: port %q: want a number 0…65535 or a service name", flag, port)
	}
	l, err := Listen(addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return l, nil
}

// ServeOn is Serve on a listener already bound; it closes l. The server
// keeps at most MaxConns connections open, fewer if the process may open
// fewer files (see MaxConns) (one over makes room by
// closing the connection idle longest, or one that has not finished its
// request's headers a second after it connected, its body a second after
// its headers, or taking its answer a second after the handler returned
// or a second into a write of the handler's that it does not take; or is
// answered 503), gives each a
// send buffer of SendBuffer bytes, and times out slow clients: 5 s for
// a request's headers, 10 s for the whole request, 10 s for writing the
// answer (GET /events extends its own), a minute idle. It reads at most
// MaxHeaderBytes of a request's headers, answering a request with more
// 431. Every answer h writes says X-Content-Type-Options: nosniff, so a
// browser takes its Content-Type as given and never guesses HTML from
// the bytes.
func ServeOn(ctx context.Context, l net.Listener, h http.Handler, ready func(net.Addr)) error {
	var err error
	limited, connState := limitConns(l, connLimit(MaxConns, softNoFile()))
	srv := &http.Server{Handler: limited.watchBodies(noSniff(h)), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute,
		MaxHeaderBytes: MaxHeaderBytes, ConnState: connState, ConnContext: limited.connContext}
	if ready != nil {
		ready(l.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(limited) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	<-done
	return err
}

// noSniff sets X-Content-Type-Options: nosniff on every answer of h.
func noSniff(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// StoppedSaying is Stopped, and if ctx ended the app (a signal), it
// says "NAME: stopped" on out: a clean stop, not a silent crash.
func StoppedSaying(ctx context.Context, err error, out io.Writer, name string) error {
	err = Stopped(ctx, err)
	if err == nil && ctx.Err() != nil {
		fmt.Fprintf(out, "%s: stopped\n", name)
	}
	return err
}

// Stopped turns the end of an app's goroutines into its result: nil if
// they stopped because ctx ended (a signal, or -duration), their error
// otherwise.
func Stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, http.ErrServerClosed)) {
		return nil
	}
	return err
}
