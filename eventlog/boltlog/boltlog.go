package boltlog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/eventlog/internal/idwindow"
	"github.com/eventchain/eventchain/internal/boltcheck"
)

// Config configures [Open]. Path is required; the zero value of every
// other field is a good default.
type Config struct {
	// Path is the log's file. Open creates it if it does not exist (its
	// directory must).
	Path string

	// Now stamps recorded events; nil means time.Now. The events that one
	// commit writes share one time.
	Now func() time.Time

	// DedupWindow is how many of the latest event writes, across all
	// streams, the log remembers the IDs of, to recognise a retried
	// append with Any or StreamExists (see [eventlog.Log]'s Append), as
	// in eventlog/memlog: 0 means DefaultDedupWindow; NoDedupWindow, or
	// any negative number, keeps none. The window lives in memory and
	// starts empty each time the file is opened. Retries with Exact or
	// NoStream compare the stored events, and are recognised whatever the
	// window, across restarts too.
	DedupWindow int

	// LockTimeout bounds how long Open waits for another process that has
	// the file open to close it, before it gives up with ErrLocked: 0
	// means DefaultLockTimeout. Open gives up sooner if its context ends.
	LockTimeout time.Duration
}

// DefaultDedupWindow is the DedupWindow of a zero Config: 100 000 writes,
// as for eventlog/memlog.
const DefaultDedupWindow = idwindow.Default

// NoDedupWindow is a DedupWindow that keeps no event IDs, so that every
// retry with Any or StreamExists stores its events again.
const NoDedupWindow = idwindow.None

// DefaultLockTimeout is the LockTimeout of a zero Config.
const DefaultLockTimeout = time.Second

// lockRetry is how often Open tries the lock again while another process
// holds it. flock has no way to wait with a deadline, so Open (like
// bbolt's own Options.Timeout) tries again now and then.
const lockRetry = 50 * time.Millisecond

// Log is an [eventlog.Log] kept in one file by go.etcd.io/bbolt. It passes
// the conformance suite of eventlog/eventlogtest, as eventlog/memlog does,
// and keeps its events across restarts and crashes: Append returns only
// once its events are on disk (bbolt fsyncs every commit).
//
// Appends and deletes are committed by one goroutine that the Log owns:
// it takes every request waiting when it starts a commit, up to a
// bound, and commits them in one bbolt transaction, so that concurrent
// appends share one fsync (group commit). A lone append waits for no
// one. Reads and subscriptions use read transactions, which run
// alongside a commit.
//
// A Log is safe for concurrent use. Close it to release the file: another
// process can open it only then. Only Open makes a Log: the methods of a
// zero Log return ErrNotOpen.
type Log struct {
	path string
	db   *bolt.DB
	now  func() time.Time

	qmu     sync.Mutex
	queue   []*request    // waiting for the committer
	closing bool          // set by Close: the queue takes no more
	wake    chan struct{} // a request was queued (capacity 1)
	onQueue func(n int)   // a test's hook: a request was queued, n are waiting

	done          chan struct{} // closed by Close
	committerDone chan struct{} // closed when the committer returns

	// Only the committer touches these.
	ids        *idwindow.Window[written]
	windowSize int
	file       *os.File    // bbolt's handle on the file, for fill
	filled     int64       // the file is written up to here (see fill)
	ident      os.FileInfo // the file's identity, to check that its path still names it (see checkFile)
	statPath   string      // path made absolute when Open ran, so that a change of directory changes nothing (see absolute)

	mu     sync.RWMutex // read transactions hold it for reading, Close for writing
	closed bool

	// broken is set once a transaction faulted or bbolt panicked on the
	// file (damaged under the running process), or once the path no
	// longer names the file (see checkFile): bbolt may then hold its own
	// locks for ever, or its commits go where a restart will not find
	// them, so the log touches it no more, and every call returns this
	// error. brokenCh is closed when it is set: a call
	// waiting on bbolt, whose locks a fault in another goroutine may
	// have left held for ever, stops waiting then, and so does a
	// subscription waiting for a commit that will not come.
	broken   atomic.Pointer[CorruptError]
	brokenCh chan struct{}

	wmu      sync.Mutex
	watchers map[string]*watch // streams with subscriptions

	stats struct{ commits, appends, events atomic.Uint64 }
}

// written says where the de-duplication window saw an event ID first
// written.
type written struct {
	stream string
	rev    uint64
}

// watch wakes a stream's subscribers: ch is closed, and replaced, by each
// commit that changes the stream.
type watch struct {
	ch   chan struct{}
	subs int
}

var (
	_ eventlog.Log     = (*Log)(nil)
	_ eventlog.Deleter = (*Log)(nil)
)

// Open opens the event log in the file cfg.Path, creating it if it does
// not exist, and checks all of it before it returns: a file that is
// empty, truncated, damaged or not an event log gives a *CorruptError
// (errors.Is ErrCorrupt), never a panic. A path that cannot hold one —
// empty, a directory, a named pipe or other file that is not regular, a
// symbolic link to nothing — gives an error wrapping eventlog.ErrInvalid,
// before anything is created or opened. A directory Open cannot make
// the file in (missing, or not writable) gives the file system's error,
// naming the path and the directory, so that errors.Is(err,
// fs.ErrNotExist) or fs.ErrPermission says which. If another process has
// the file open (or another Log of this process), Open waits up to
// cfg.LockTimeout for it to close it, then returns ErrLocked; it gives
// up sooner, with ctx.Err(), if ctx ends. The check, once begun, runs to
// its end: it reads the file once, at disk speed.
//
// Close the log when done with it.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	if cfg.Path == "" {
		return nil, fmt.Errorf("boltlog: %w: Config.Path is empty", eventlog.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := cfg.Path
	switch st, err := os.Stat(path); {
	case errors.Is(err, fs.ErrNotExist):
		if target, err := os.Readlink(path); err == nil {
			// create would find the name taken, by the link.
			return nil, fmt.Errorf("boltlog: %w: %q is a symbolic link to %q, which does not exist", eventlog.ErrInvalid, path, target)
		}
		if err := create(path); err != nil {
			return nil, fmt.Errorf("boltlog: create %q: %w", path, err)
		}
	case err == nil && st.IsDir():
		return nil, fmt.Errorf("boltlog: %w: %q is a directory: the event log is a file", eventlog.ErrInvalid, path)
	case err == nil && !st.Mode().IsRegular():
		// A named pipe, say, whose open would wait for a writer for ever.
		return nil, fmt.Errorf("boltlog: %w: %q is not a regular file (%v): the event log is one", eventlog.ErrInvalid, path, st.Mode().Type())
	}
	if err := precheck(path); err != nil {
		return nil, err
	}
	timeout := cfg.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	deadline := time.Now().Add(timeout)
	checked, err := checkShared(ctx, path, deadline, timeout)
	if err != nil {
		return nil, err
	}
	db, file, err := openLocked(ctx, path, deadline, timeout, false)
	if err != nil {
		return nil, err
	}
	if err := verify(db, path, checked); err != nil {
		_ = db.Close()
		return nil, err
	}
	ident, err := file.Stat()
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltlog: open %q: %w", path, err)
	}
	statPath := absolute(path)
	removeStrays(path, ident)
	l := &Log{
		path:          path,
		db:            db,
		file:          file,
		ident:         ident,
		statPath:      statPath,
		now:           cfg.Now,
		wake:          make(chan struct{}, 1),
		done:          make(chan struct{}),
		committerDone: make(chan struct{}),
		brokenCh:      make(chan struct{}),
		windowSize:    cfg.DedupWindow,
		watchers:      make(map[string]*watch),
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.windowSize == 0 {
		l.windowSize = DefaultDedupWindow
	}
	l.ids = idwindow.New[written](l.windowSize)
	go l.commitLoop()
	return l, nil
}

// create makes a new, empty log at path, whole or not at all: it builds
// the file under a temporary name in the same directory, then links it to
// path, which fails if path exists by then (another process created it
// first: fine, Open goes on with that one). A crash leaves at most a
// stray temporary file, never a half-made log at path; Open removes it
// if it is the log's file (see removeStrays).
func create(path string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		// CreateTemp's error names its pattern, a file the caller never
		// asked for: what failed is making a file in dir (missing, not
		// writable, on a read-only file system).
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = &fs.PathError{Op: "directory", Path: filepath.Clean(dir), Err: pathErr.Err}
		}
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // once linked, path keeps the file
	if err := f.Close(); err != nil {
		return err
	}
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: lockRetry})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketStreams, bucketTombstones} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyFormat, []byte(formatMarker))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(dir)
}

// absolute returns path made absolute, so that a change of the
// process's directory changes nothing, and naming what path names: the
// file system resolves it, not filepath.Clean. "link/../events.db", with
// link a symbolic link to a directory, names events.db in the parent of
// the link's target, which filepath.Abs, cleaning the path as text
// first, would change into "events.db" in the current directory, another
// file or none. (Windows resolves ".." as text itself, so Abs is right
// there.) If the current directory is not known, path stays as it is.
func absolute(path string) string {
	if runtime.GOOS == "windows" {
		if abs, err := filepath.Abs(path); err == nil {
			return abs
		}
		return path
	}
	if filepath.IsAbs(path) {
		return path
	}
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	return wd + string(filepath.Separator) + path
}

// tempPrefix is how the names of create's temporary files for a log
// named base begin: ".events.db.new-" for "events.db", a random number
// following.
func tempPrefix(base string) string { return "." + base + ".new-" }

// removeStrays removes the temporary names create left next to path
// that name the log's file, whose identity is ident. A crash after
// create linked its temporary file to path, and before it removed the
// temporary name, leaves that name as a second link to the log's file:
// harmless, but a stray that looks like a file in the making, and the
// same events again in a directory listing or a copy of the directory.
// Only names of create's pattern for this log that are the same file
// (os.SameFile) go: a temporary file that is another file may be a
// create in progress in another process, and any other name is not the
// log's to remove. Removing is tidying, not part of opening: a failure
// is left for the next Open. (On Windows, where no name of an open file
// can be removed, every removal fails and the name stays.)
func removeStrays(path string, ident os.FileInfo) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if st, err := os.Lstat(name); err == nil && os.SameFile(st, ident) {
			_ = os.Remove(name)
		}
	}
}

// syncDir makes a new name in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// precheck reports the faults of the file at path that need no lock to
// be sure of (see definite), before bbolt reads it.
func precheck(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("boltlog: open %q: %w", path, err)
	}
	defer f.Close()
	return definite(boltcheck.Inspect(f, f.Stat), path)
}

// checkShared checks the pages of the file at path (boltcheck) before
// bbolt opens it to write, which reads the free-page list and may panic
// on a damaged one, leaving its memory map of the file, and with it the
// file's lock, until the process ends: every later Open of the file, in
// any process, would then wait for a lock nobody releases. It holds
// bbolt's shared lock meanwhile (a read-only open, which reads no
// free-page list), so that no other process writes the file under the
// check, and returns the transaction ID of the meta page it checked.
func checkShared(ctx context.Context, path string, deadline time.Time, timeout time.Duration) (uint64, error) {
	ro, _, err := openLocked(ctx, path, deadline, timeout, true)
	if err != nil {
		return 0, err
	}
	defer ro.Close()
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("boltlog: open %q: %w", path, err)
	}
	defer f.Close()
	s := boltcheck.Inspect(f, f.Stat)
	if err := sound(s, path); err != nil {
		return 0, err
	}
	if err := checkPages(f, path, s); err != nil {
		return 0, err
	}
	return s.Metas[s.Newest].Txid, nil
}

// openLocked opens path with bbolt, read-only or to write, trying its
// lock until the deadline (timeout after the first try) or ctx ends. It
// also returns bbolt's handle on the file.
func openLocked(ctx context.Context, path string, deadline time.Time, timeout time.Duration, readOnly bool) (*bolt.DB, *os.File, error) {
	for {
		db, file, err := boltOpen(path, readOnly)
		if !errors.Is(err, bolterrors.ErrTimeout) {
			return db, file, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil, fmt.Errorf("boltlog: open %q: %w (gave up after waiting %v)", path, ErrLocked, timeout)
		}
		t := time.NewTimer(min(lockRetry, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, fmt.Errorf("boltlog: open %q: waiting for another process to close it: %w", path, ctx.Err())
		case <-t.C:
		}
	}
}

// boltOpen makes one attempt at opening path with bbolt, and returns the
// DB and bbolt's handle on the file, which closes with the DB; bbolt's
// ErrTimeout if another process holds the lock. bbolt reads its meta
// pages and its list of free pages as it opens, and panics, or faults,
// on some damage to them: boltOpen turns that into a *CorruptError, and
// closes the file so that its lock goes with it. (bbolt's memory map of
// the file then stays until the process ends.)
func boltOpen(path string, readOnly bool) (db *bolt.DB, file *os.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			if file != nil {
				_ = file.Close()
			}
			db, file, err = nil, nil, diagnose(path, fmt.Errorf("bbolt panicked opening it: %v", p))
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  time.Nanosecond, // one attempt
		ReadOnly: readOnly,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag&^os.O_CREATE, perm) // create made it
			file = f
			return f, err
		},
	})
	var pathErr *fs.PathError
	switch {
	case err == nil:
		return db, file, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, nil, err
	case errors.As(err, &pathErr):
		return nil, nil, fmt.Errorf("boltlog: open %q: %w", path, err)
	}
	return nil, nil, diagnose(path, err)
}

// diagnose returns why the file at path is corrupt, which bbolt said with
// err: the check's own reason if it finds one, else err.
func diagnose(path string, err error) error {
	f, oerr := os.Open(path)
	if oerr == nil {
		defer f.Close()
		s := boltcheck.Inspect(f, f.Stat)
		if serr := sound(s, path); serr != nil {
			return serr
		}
		if perr := checkPages(f, path, s); perr != nil {
			return perr
		}
	}
	return corrupt(path, err, "bbolt cannot read it")
}

// verify checks the file of db, opened and locked: its meta pages, its
// pages (unless checkShared checked them as of the same transaction,
// checked: a commit in between, by a process that took the lock first,
// would have changed it), then its layout. bbolt reads pages through its
// memory map; if the checks miss some damage, verify turns the panic or
// fault into a *CorruptError.
func verify(db *bolt.DB, path string, checked uint64) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("boltlog: open %q: %w", path, err)
	}
	defer f.Close()
	s := boltcheck.Inspect(f, f.Stat)
	if err := sound(s, path); err != nil {
		return err
	}
	if s.Metas[s.Newest].Txid != checked {
		if err := checkPages(f, path, s); err != nil {
			return err
		}
	}
	defer func() {
		if p := recover(); p != nil {
			err = corrupt(path, nil, "bbolt panicked reading it: %v", p)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return db.View(func(tx *bolt.Tx) error { return checkLayout(tx, path) })
}

// Path returns the log's file.
func (l *Log) Path() string { return l.path }

// Stats counts what the log has done since it was opened.
type Stats struct {
	// Commits is how many bbolt write transactions the log committed.
	// bbolt makes each durable with two fdatasyncs, one for the pages
	// and one for the meta page, and one fsync more when the file grows.
	Commits uint64
	// Appends is how many Append and Delete calls a commit answered,
	// whatever the answer. Appends/Commits is how many calls shared each
	// commit.
	Appends uint64
	// Events is how many events the commits wrote.
	Events uint64
	// Bytes is the size of the file's pages, in use or free for reuse, as
	// of the last commit: the file itself may be larger, as the log
	// writes it ahead of need (see fill.go), and bbolt may grow it
	// further. 0 once the log is closed.
	Bytes int64
}

// Stats returns the log's counts so far.
func (l *Log) Stats() Stats {
	s := Stats{Commits: l.stats.commits.Load(), Appends: l.stats.appends.Load(), Events: l.stats.events.Load()}
	_ = l.view(func(tx *bolt.Tx) error {
		s.Bytes = tx.Size()
		return nil
	})
	return s
}

// Close implements [eventlog.Log]: it waits for the appends already
// queued to be committed, and for reads in progress, then closes the
// file. Later calls, and every waiting Next, return eventlog.ErrClosed.
func (l *Log) Close() error {
	if l.db == nil {
		return ErrNotOpen
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	l.qmu.Lock()
	l.closing = true
	l.qmu.Unlock()
	close(l.done)
	select {
	case <-l.committerDone:
	case <-l.brokenCh:
		// The committer may wait in bbolt for ever, for a lock a fault
		// left held: it gets closeBrokenWait to finish.
		timer := time.NewTimer(closeBrokenWait)
		defer timer.Stop()
		select {
		case <-l.committerDone:
		case <-timer.C:
			return nil // bbolt keeps the file, and its lock, until the process ends
		}
	}
	if l.broken.Load() != nil {
		l.closeBroken()
		return nil
	}
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("boltlog: close %q: %w", l.path, err)
	}
	return nil
}

// closeBrokenWait bounds how long Close waits for bbolt to close a
// broken log.
const closeBrokenWait = 2 * time.Second

// closeBroken closes a broken log's file. bbolt's Close unmaps the file,
// and only then is the file's lock released (the mapping holds the file
// open), but it waits for bbolt's own locks, which the panic may have
// left held for ever: it gets closeBrokenWait, and if it does not finish,
// bbolt keeps the file, its mapping and its lock until the process ends
// (a goroutine waits on in bbolt). The file is not closed under it: a
// goroutine stuck in bbolt may still hold it.
func (l *Log) closeBroken() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { _ = recover() }() // the file is known to be damaged: nothing more to say
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		_ = l.db.Close()
	}()
	timer := time.NewTimer(closeBrokenWait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	}
}

// view runs fn in a read transaction, unless the log is closed.
func (l *Log) view(fn func(tx *bolt.Tx) error) (err error) {
	if l.db == nil {
		return ErrNotOpen
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return eventlog.ErrClosed
	}
	if broken := l.broken.Load(); broken != nil {
		return broken
	}
	// In a goroutine of its own, so that this call can stop waiting if
	// another's fault breaks the log while this one waits in bbolt (for
	// a lock the fault left held: it would wait for ever, holding l.mu).
	done := make(chan error, 1)
	go func() {
		var err error
		defer func() { done <- err }()
		defer l.survive(&err)
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		err = l.db.View(fn)
	}()
	select {
	case err = <-done:
	case <-l.brokenCh:
		return l.broken.Load()
	}
	if errors.Is(err, errRecord) {
		err = corrupt(l.path, err, "a record damaged since the log was opened")
	}
	return err
}

// survive, deferred by a method that runs a bbolt transaction, turns a
// panic in it into a *CorruptError in *err, and marks the log broken.
// Open checked the whole file, but a file cut short or overwritten under
// a running process (by hand, by another program) makes a read of the
// missing pages fault, which would otherwise end the process with
// SIGBUS, and bbolt panics on pages that are not what they should be. The
// method defers debug.SetPanicOnFault(debug.SetPanicOnFault(true)) after
// it, so that a fault panics rather than crashes. A panic may leave
// bbolt's own locks held (one in the middle of starting a transaction
// does), so a broken log calls bbolt no more.
func (l *Log) survive(err *error) {
	p := recover()
	if p == nil {
		return
	}
	reason := fmt.Sprintf("bbolt panicked on it (damaged while open?): %v", p)
	if f, fault := p.(interface{ Addr() uintptr }); fault {
		// The panic's own text, "invalid memory address or nil pointer
		// dereference", reads as a bug of the program; it is the file.
		reason = fmt.Sprintf("a memory fault reading it at %#x (cut short or overwritten while open?)", f.Addr())
	}
	*err = l.breakWith(corrupt(l.path, nil, "%s", reason))
}

// breakWith marks the log broken with err, unless it is already, and
// returns the error it is broken with: every call returns it from then
// on, and calls waiting on bbolt stop waiting.
func (l *Log) breakWith(err *CorruptError) *CorruptError {
	if l.broken.CompareAndSwap(nil, err) {
		close(l.brokenCh)
		return err
	}
	return l.broken.Load()
}

// checkFile reports, after a commit, whether the log's path still names
// the file the log has open, and if not breaks the log (see breakWith).
// A file removed (rm), renamed away, or replaced by another (a file
// renamed over it) stays open, and bbolt goes on committing to it without
// an error, but a restart opens whatever the path names then: the events
// of every commit since would be lost, though each append was answered.
// So the committer asks after each commit, and answers its appends only
// once the path still leads to their file. The check is one stat(2) of
// the path, compared with the identity the open file had when Open ran
// (device and inode, os.SameFile): a few microseconds against a commit's
// two fdatasyncs.
//
// It cannot take back the commit, which went to the log's file: it tells
// the callers that their events will not be found at the path, which is
// what a restart would see (unless someone puts the file back).
func (l *Log) checkFile() error {
	st, err := os.Stat(l.statPath)
	var what string
	switch {
	case err == nil && os.SameFile(st, l.ident):
		return nil
	case err == nil:
		what = "another file is there now (one renamed or copied over it?)"
	case errors.Is(err, fs.ErrNotExist):
		what = "no file is there now (removed or renamed while the log had it open?)"
	default:
		what = fmt.Sprintf("the path cannot be checked (%v)", err)
	}
	return l.breakWith(corrupt(l.path, nil,
		"the file at %q is no longer the log's file: %s; the last commit went to the log's file, where a restart will not find it, and the log takes nothing more",
		l.path, what))
}

// Read implements [eventlog.Log], in one read transaction.
func (l *Log) Read(ctx context.Context, name string, from eventlog.Revision, dir eventlog.Direction, max int) ([]eventlog.Recorded, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := eventlog.CheckRead(name, dir, max); err != nil {
		return nil, err
	}
	var out []eventlog.Recorded
	err := l.view(func(tx *bolt.Tx) error {
		b, err := streamBucket(tx, name)
		if err != nil {
			return err
		}
		if b == nil {
			return fmt.Errorf("stream %q: %w", name, eventlog.ErrStreamNotFound)
		}
		if dir == eventlog.Forwards {
			out, err = readForwards(b, name, uint64(from), max, 0)
			return err
		}
		out, err = readBackwards(b, name, uint64(from), max)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// streamBucket returns the bucket of the named stream: nil if it has no
// events, ErrStreamDeleted if it was deleted.
func streamBucket(tx *bolt.Tx, name string) (*bolt.Bucket, error) {
	if tx.Bucket(bucketTombstones).Get([]byte(name)) != nil {
		return nil, fmt.Errorf("stream %q: %w", name, eventlog.ErrStreamDeleted)
	}
	return tx.Bucket(bucketStreams).Bucket([]byte(name)), nil
}

// readForwards returns up to max events of the stream's bucket b from
// revision from on, stopping early, after one event at least, once they
// hold maxBytes of data (0 for no limit).
func readForwards(b *bolt.Bucket, name string, from uint64, max, maxBytes int) ([]eventlog.Recorded, error) {
	out := []eventlog.Recorded{}
	size := 0
	c := b.Cursor()
	for k, v := c.Seek(revKey(from)); k != nil && len(out) < max; k, v = c.Next() {
		r, err := decodeEvent(name, revOf(k), v)
		if err != nil {
			return nil, fmt.Errorf("stream %q: revision %d: %w", name, revOf(k), err)
		}
		out = append(out, r)
		if size += len(r.Data) + len(r.Metadata); maxBytes > 0 && size >= maxBytes {
			break
		}
	}
	return out, nil
}

// readBackwards returns up to max events of the stream's bucket b from
// revision from, or its last if from is past it, back.
func readBackwards(b *bolt.Bucket, name string, from uint64, max int) ([]eventlog.Recorded, error) {
	c := b.Cursor()
	k, v := c.Last()
	if k == nil {
		return nil, fmt.Errorf("stream %q: %w", name, eventlog.ErrStreamNotFound)
	}
	if from < revOf(k) {
		k, v = c.Seek(revKey(from)) // there, since revisions have no gap
	}
	out := []eventlog.Recorded{}
	for ; k != nil && len(out) < max; k, v = c.Prev() {
		r, err := decodeEvent(name, revOf(k), v)
		if err != nil {
			return nil, fmt.Errorf("stream %q: revision %d: %w", name, revOf(k), err)
		}
		out = append(out, r)
	}
	return out, nil
}
