package logging_test

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"

	"github.com/eventchain/eventchain/examples/internal/logging"
	"github.com/eventchain/eventchain/examples/internal/logging/gelftest"
)

// A handler writing to a recorder instead of a server shows the message
// each record becomes: the standard fields, and the attributes as
// additional fields named by their groups.
func ExampleNewGELFHandler() {
	rec := &gelftest.Recorder{}
	h := logging.NewGELFHandler(rec, &logging.GELFOptions{Host: "node-1", Facility: "miner"})
	logger := slog.New(h).With("chain", "main")

	logger.WithGroup("block").Warn("block rejected",
		"height", 42,
		"reason", errors.New("bad bits: have 17, want 20"),
		slog.Group("pow", "nonce", 7, "valid", false))

	for _, m := range rec.Messages() {
		fmt.Printf("host=%s facility=%s level=%d short_message=%q\n", m.Host, m.Facility, m.Level, m.Short)
		for _, name := range slices.Sorted(maps.Keys(m.Extra)) {
			fmt.Printf("  %s = %#v\n", name, m.Extra[name])
		}
	}
	// Output:
	// host=node-1 facility=miner level=4 short_message="block rejected"
	//   _block.height = 42
	//   _block.pow.nonce = 7
	//   _block.pow.valid = "false"
	//   _block.reason = "bad bits: have 17, want 20"
	//   _chain = "main"
}

// An app's -gelf flag: when set, the app logs to the GELF server it
// names; when not, to standard error.
func ExampleOpenGELF() {
	args := []string{"-gelf", "udp://graylog.example:12201"} // the app's command line
	fs := flag.NewFlagSet("miner", flag.ContinueOnError)
	gelfURL := fs.String("gelf", "", "send logs to this GELF server, as udp://host:12201 or tcp://host:12201")
	if err := fs.Parse(args); err != nil {
		return
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *gelfURL != "" {
		h, closeGELF, err := logging.OpenGELF(*gelfURL, &logging.GELFOptions{Facility: "miner"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "open gelf:", err)
			return
		}
		defer closeGELF()
		logger = slog.New(h)
	}
	logger.Info("miner started", "difficulty", 20)
}

// The syslog severities of slog's levels, and of two levels in between.
func ExampleSyslogLevel() {
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelInfo + 2, slog.LevelWarn, slog.LevelError, slog.LevelError + 4} {
		fmt.Printf("%-7v → %d\n", l, logging.SyslogLevel(l))
	}
	// Output:
	// DEBUG   → 7
	// INFO    → 6
	// INFO+2  → 5
	// WARN    → 4
	// ERROR   → 3
	// ERROR+4 → 2
}
