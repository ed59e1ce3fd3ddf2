// Package logging sends the programs' structured logs to Graylog, or any
// other server that speaks GELF, through a log/slog handler.
//
// GELF, the Graylog Extended Log Format, is a JSON object per log event:
// a few standard fields (version "1.1", host, short_message, timestamp,
// level, facility) and any number of additional fields whose names start
// with an underscore. It travels over UDP — compressed, and cut into
// numbered chunks when it does not fit in one datagram — or over TCP, one
// uncompressed object after another, each ended by a null byte. This
// package builds the messages; github.com/Graylog2/go-gelf sends them.
//
// The library packages of this module log nothing unless handed a
// *slog.Logger; the apps make that logger. Each takes a flag
//
//	-gelf udp://graylog.example:12201
//
// (or tcp://…) and, when it is set, does
//
//	h, closeGELF, err := logging.OpenGELF(*gelfURL, &logging.GELFOptions{Facility: "bank"})
//	if err != nil {
//		return fmt.Errorf("open gelf: %w", err)
//	}
//	defer closeGELF()
//	logger := slog.New(h)
//
// [OpenGELF] says what UDP and TCP do when the server is slow or down:
// in short, a log call never waits for the network for long, and messages
// are dropped rather than delayed. [NewGELFHandler] takes any
// [GELFWriter] instead: go-gelf's writers, an [AsyncWriter] in front of
// one, or in tests the recorder of package gelftest.
//
// # From a record to a message
//
//  1. Enabled drops records below GELFOptions.Level (Info by default).
//  2. host and facility come from GELFOptions: the machine's host name and
//     [DefaultFacility] unless set.
//  3. short_message is the record's message; GELF requires one and
//     Graylog refuses a blank one, so an empty message is sent as
//     "(no message)". full_message is not set.
//  4. timestamp is the record's time, in seconds with microseconds. A
//     record with no time (the zero time) is stamped with the time it is
//     sent, since receivers do not agree on what a missing timestamp means.
//  5. level is the syslog severity of the record's level, as the next
//     section says.
//  6. Every attribute — from Logger.With, from the log call, inside the
//     groups of Logger.WithGroup and slog.Group — becomes one additional
//     field, named and valued as the section after next describes.
//  7. With GELFOptions.AddSource, the caller's function, file and line
//     become _source.function, _source.file and _source.line.
//
// # Levels
//
// slog's four levels map to their syslog namesakes. A level in between
// maps to the severity of the nearest named level below it, with Info+2
// counted as notice; above Error, levels climb to critical and alert in
// steps of four, as slog spaces its levels ([SyslogLevel]):
//
//	slog level                      syslog severity
//	below Info (Debug, Debug+1, …)  7 debug
//	Info, Info+1                    6 info
//	Info+2, Info+3                  5 notice
//	Warn … Warn+3                   4 warning
//	Error … Error+3                 3 error
//	Error+4 … Error+7               2 critical
//	Error+8 and above               1 alert
//
// Emergency (0) is left out: no single program should declare the whole
// system unusable, and go-gelf would omit a zero level anyway.
//
// # Field names and values
//
// GELF has no nesting, so groups are flattened: a field's name is an
// underscore, then the keys of its groups and its own key, joined by dots.
//
//	logger.WithGroup("block").Info("sealed", "height", 42, slog.Group("pow", "nonce", 7))
//
// sends _block.height = 42 and _block.pow.nonce = 7. Dots rather than
// underscores, because keys often contain underscores themselves (tx_id),
// and _a_b_c could not tell which were groups. The price: a key that
// contains a dot reads as a group.
//
// GELF field names may hold only letters, digits, '_', '.' and '-'
// (^[\w\.\-]*$), so any other character of a key becomes '_' (one per
// character), and an empty key becomes "_". The name _id is reserved for
// the server, so a top-level attribute "id" is sent as _id_. Graylog also
// drops an additional field whose name, underscore removed, is one of its
// own (level, message, source, timestamp, facility, …), so avoid those keys
// at the top level. When two attributes get the same name, the later one
// wins.
//
// Following slog's rules, values are resolved (slog.LogValuer), an
// attribute with neither key nor value is ignored, a group with no
// attributes is omitted — so is a WithGroup group no attribute is ever
// added to — and a group with an empty key is inlined. GELF values are
// strings or numbers only, so:
//
//	integers and floats        JSON numbers (NaN and ±Inf as strings)
//	strings                    as they are
//	booleans                   "true", "false"
//	durations                  time.Duration.String: "1.5s"
//	times                      RFC 3339 with nanoseconds
//	errors                     the error's message
//	nil                        "<nil>"
//	anything else              fmt's %+v (String, if it has one)
//
// A string longer than [MaxValueBytes] — a field's value, or the
// short_message — is cut to at most that many bytes, at a character
// boundary, and ends with " …[N bytes cut]" (a byte that is not UTF-8
// is sent as U+FFFD, and counts as its three bytes). Log lines carry
// text that others write (an event type read from the log, an error
// naming it), and one unbounded value would lose the whole message:
// go-gelf refuses a UDP message of more than 128 chunks, Graylog's index
// a field value over 32 766 bytes. [CutLongValues] cuts the same way for
// the standard library's text and JSON handlers, which the apps write to
// stderr with.
//
// # Errors
//
// A slog.Logger ignores what its handler returns, so logging never fails
// a program; [GELFHandler.Handle] still returns the writer's error,
// wrapped, for code that calls it directly or wraps the handler. From an
// [AsyncWriter] that is [ErrQueueFull] or [ErrClosed] (the message was
// dropped), and its Close may return [ErrFlushTimeout]. [OpenGELF]
// returns an error wrapping [ErrInvalidURL] for an address it cannot
// use, or go-gelf's error when it cannot open the connection. Test for
// them with errors.Is.
//
// # Concurrency
//
// A [GELFHandler], its clones and an [AsyncWriter] are safe for concurrent
// use. A handler and its clones write one message at a time, so the
// chunks of two large UDP messages sent through them never interleave.
package logging
