package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/internal/nilness"
	"time"
)

// The errors of LoadSpec and WaitSpec. Test for them with errors.Is.
var (
	// ErrNoSpec: the log holds no chain spec yet, and LoadSpec was not
	// given one to declare. The network's first app has not started; the
	// caller may wait for it with WaitSpec, or try LoadSpec again later.
	ErrNoSpec = errors.New("node: the event log holds no chain spec")

	// ErrSpecMismatch: the log's chain spec is not the one the caller
	// brought. The error is a *SpecMismatchError, which holds both.
	ErrSpecMismatch = errors.New("node: chain spec mismatch")

	// ErrBadSpecEvent: the first event of the chain-spec stream is not a
	// ChainSpecDeclared that decodes, or it is hidden (the first event a
	// read shows is not at revision 0). The error wraps the decoding error
	// too (events.ErrMalformed, say). A network whose spec stream starts
	// with anything else has no spec a node could trust, and no app can
	// declare one: the stream must be fixed by hand.
	ErrBadSpecEvent = errors.New("node: the chain-spec stream does not start with a valid ChainSpecDeclared")

	// ErrSpecHidden: the chain-spec stream shows no event, though the
	// log holds the spec: its blocks or transactions stream holds events,
	// which the network's first app writes only after it declared the
	// spec, or a declaration LoadSpec just made is not there to read
	// (EventStoreDB took it for a retry of the same declaration, made
	// before, and wrote nothing). On EventStoreDB anyone who can write
	// to the log can hide a stream's events from every reader: a soft
	// delete, or the stream's metadata ($tb, $maxCount, $maxAge). No app
	// can declare the spec again (what it appends comes after the hidden
	// one, not at revision 0, where a node takes the spec from), so an
	// app without -genesis would wait for ever. Put the stream's metadata
	// back, without $tb, $maxCount or $maxAge, so that revision 0 shows
	// again (on a soft-deleted stream it takes two writes: the first
	// brings the stream back with its old events still behind a $tb).
	ErrSpecHidden = errors.New("node: the chain-spec stream hides the spec (deleted, or truncated by its metadata)")

	// ErrChainLost: the chain-spec stream starts with an events.ChainLost,
	// the mark a node left when it saw the log lose the chain it followed
	// (a server wiped under it). No app declares a spec there: that would
	// begin the same chain again, where every transfer signed for the old
	// one is good once more. The log must be put back, or another used.
	ErrChainLost = errors.New("node: the event log lost its chain")
)

// A SpecMismatchError says that the event log holds another network's
// chain spec than the one an app was started with: Have is the log's,
// Want the app's. An app must not run on such a log; its blocks would be
// refused, or it would refuse everyone's. errors.Is(err, ErrSpecMismatch)
// holds for it.
type SpecMismatchError struct {
	Have blockchain.ChainSpec // the spec in the log
	Want blockchain.ChainSpec // the spec the caller brought
}

// Error names the first difference, the caller's value first, as in
//
//	the log's chain spec differs from yours: consensus.pow.bits: yours 12, the log's 18
//
// (blockchain.ChainSpec.DiffNamed of Want against Have).
func (e *SpecMismatchError) Error() string {
	return "the log's chain spec differs from yours: " + e.Want.DiffNamed(e.Have, "yours", "the log's")
}

// Is reports whether target is ErrSpecMismatch.
func (e *SpecMismatchError) Is(target error) bool { return target == ErrSpecMismatch }

// LoadSpec returns the network's chain spec: the first event of the
// chain-spec stream (events.StreamChainSpec), a ChainSpecDeclared. Every
// app calls it before it builds its node, and passes what it returns as
// Config.Spec.
//
// With want not nil — the spec the app was started with, from a -genesis
// file say — LoadSpec declares it if the stream is empty: it appends a
// ChainSpecDeclared expecting eventlog.NoStream, so of several apps that
// start at once exactly one declares. One that loses the race reads the
// winner's spec and compares it with its own, as it would have had it
// come second. The event's ID derives from the spec's hash, so two apps
// declaring the same spec both succeed, with one event. If the log's spec
// differs from *want, LoadSpec returns a *SpecMismatchError.
//
// With want nil it only reads, and returns ErrNoSpec if there is no spec
// yet; WaitSpec waits for one instead.
//
// A chain-spec stream that shows no event is not always empty: on
// EventStoreDB anyone who can write to the log can hide its events (a
// soft delete; $tb, $maxCount, $maxAge), and a read then shows nothing,
// as for a new log. LoadSpec tells the two apart where the eventlog.Log
// interface lets it, and returns ErrSpecHidden, where an app without
// -genesis would otherwise wait for ever. With want nil: a log whose
// blocks or transactions stream holds events has a chain, and so a spec.
// With want: the spec it just declared must read back (EventStoreDB takes
// the declaration of a spec it holds hidden for a retry, and writes
// nothing; another spec than the hidden one it writes after it, not at
// revision 0, and LoadSpec returns ErrBadSpecEvent). An app with a spec
// looks at no other stream: events there before any spec (anyone's
// junk) must not keep the network's first app from declaring it.
//
// Errors: the ChainSpec.Validate error of an invalid *want (nothing is
// appended); ErrNoSpec; a *SpecMismatchError (errors.Is ErrSpecMismatch);
// ErrBadSpecEvent; ErrChainLost for a log marked as one that lost its
// chain (nothing is appended); ErrSpecHidden when the chain-spec stream
// shows nothing but the log holds a spec (nothing new is appended); the
// log's errors, wrapped.
func LoadSpec(ctx context.Context, log eventlog.Log, want *blockchain.ChainSpec) (blockchain.ChainSpec, error) {
	if nilness.IsNil(log) {
		return blockchain.ChainSpec{}, errors.New("node: load spec: nil log")
	}
	if want != nil {
		if err := want.Validate(); err != nil {
			return blockchain.ChainSpec{}, fmt.Errorf("node: load spec: %w", err)
		}
	}
	have, found, err := readSpec(ctx, log)
	if err != nil {
		return blockchain.ChainSpec{}, err
	}
	if !found {
		if want == nil {
			if have, found, err := checkNoChain(ctx, log); err != nil || found {
				return have, err
			}
			return blockchain.ChainSpec{}, ErrNoSpec
		}
		won, err := declareSpec(ctx, log, *want)
		if err != nil {
			return blockchain.ChainSpec{}, err
		}
		// Won or not, the log holds a spec now: read it. A declaration
		// the log took for a retry of one it holds hidden, which it does
		// not write again, reads as nothing.
		if have, found, err = readSpec(ctx, log); err != nil {
			return blockchain.ChainSpec{}, err
		}
		switch {
		case !found && won:
			return blockchain.ChainSpec{}, fmt.Errorf("%w: the log took the declaration of %s, but a read of the stream from its start shows no event: it holds an earlier declaration, hidden from readers", ErrSpecHidden, events.StreamChainSpec)
		case !found:
			return blockchain.ChainSpec{}, fmt.Errorf("node: load spec: the %s stream refused the declaration but holds no spec", events.StreamChainSpec)
		}
	}
	if want != nil && have.Hash() != want.Hash() {
		return blockchain.ChainSpec{}, &SpecMismatchError{Have: have, Want: *want}
	}
	return have, nil
}

// WaitSpec returns the network's chain spec once the log holds one: at
// once if it does, or when the network's first app declares it (see
// LoadSpec). It follows the chain-spec stream with a subscription, as
// Follow does the blocks stream, so it wakes when the spec is appended
// and never polls. It returns ctx.Err() if ctx ends first, and the errors
// of LoadSpec otherwise; it never returns ErrNoSpec.
//
// A log whose chain-spec stream shows nothing while its blocks or
// transactions stream holds events has a spec, hidden (see
// ErrSpecHidden): WaitSpec returns ErrSpecHidden at once rather than wait
// for a declaration that could not be taken. What it cannot tell from a
// new log is a spec hidden before any block or transaction was written:
// the eventlog.Log interface shows a hidden stream as one never written.
// Then it waits, until the stream's metadata is put back (or a LoadSpec
// with the spec, which then returns ErrSpecHidden, tells the operator).
func WaitSpec(ctx context.Context, log eventlog.Log) (blockchain.ChainSpec, error) {
	if nilness.IsNil(log) {
		return blockchain.ChainSpec{}, errors.New("node: wait for the chain spec: nil log")
	}
	if spec, found, err := readSpec(ctx, log); err != nil || found {
		return spec, waitErr(ctx, err)
	}
	if spec, found, err := checkNoChain(ctx, log); err != nil || found {
		return spec, waitErr(ctx, err)
	}
	sub, err := log.Subscribe(ctx, events.StreamChainSpec, eventlog.Start)
	if err != nil {
		if ctx.Err() != nil {
			return blockchain.ChainSpec{}, ctx.Err()
		}
		return blockchain.ChainSpec{}, fmt.Errorf("node: wait for the chain spec: %w", err)
	}
	defer sub.Close()
	r, err := sub.Next(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return blockchain.ChainSpec{}, ctx.Err()
		}
		return blockchain.ChainSpec{}, fmt.Errorf("node: wait for the chain spec: %w", err)
	}
	return specOf(r)
}

// waitErr is WaitSpec's error for err: ctx.Err() once ctx ended.
func waitErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// checkNoChain returns an error wrapping ErrSpecHidden if the blocks or
// the transactions stream holds an event: a log whose chain-spec stream
// shows none, then, hides its spec. The network's first app declares
// the spec before it writes anything else, and no node writes to a log
// without one. The caller found the chain-spec stream empty a moment
// before, and the first app may have declared the spec since, and
// written a block or a transfer after it: so before it says the spec is
// hidden, checkNoChain reads the chain-spec stream again, and returns
// the spec it holds now, found.
func checkNoChain(ctx context.Context, log eventlog.Log) (blockchain.ChainSpec, bool, error) {
	for _, stream := range []string{StreamBlocks, StreamTransactions} {
		recs, err := log.Read(ctx, stream, eventlog.End, eventlog.Backwards, 1)
		switch {
		case errors.Is(err, eventlog.ErrStreamNotFound), errors.Is(err, eventlog.ErrStreamDeleted), err == nil && len(recs) == 0:
		case err != nil:
			return blockchain.ChainSpec{}, false, fmt.Errorf("node: read the chain spec: look for a chain in the %s stream: %w", stream, err)
		default:
			if spec, found, err := readSpec(ctx, log); err != nil || found {
				return spec, found, err // declared since the caller looked
			}
			return blockchain.ChainSpec{}, false, fmt.Errorf("%w: the %s stream shows no event, and the %s stream holds events to revision %d: the log holds a chain", ErrSpecHidden, events.StreamChainSpec, stream, uint64(recs[0].Revision))
		}
	}
	return blockchain.ChainSpec{}, false, nil
}

// readSpec reads the first event of the chain-spec stream, and reports
// whether there is one.
func readSpec(ctx context.Context, log eventlog.Log) (blockchain.ChainSpec, bool, error) {
	recs, err := log.Read(ctx, events.StreamChainSpec, eventlog.Start, eventlog.Forwards, 1)
	if errors.Is(err, eventlog.ErrStreamNotFound) || (err == nil && len(recs) == 0) {
		return blockchain.ChainSpec{}, false, nil
	}
	if err != nil {
		return blockchain.ChainSpec{}, false, fmt.Errorf("node: read the chain spec: %w", err)
	}
	spec, err := specOf(recs[0])
	return spec, err == nil, err
}

// specOf returns the spec a ChainSpecDeclared event holds, if it is the
// stream's first event. Its revision says so: on EventStoreDB anyone who
// can write to the log can hide a stream's first events from every
// reader (a soft delete, or the stream's $tb, $maxCount or $maxAge), and
// a read or a subscription from the start then begins at the first event
// left — which may be a spec of their own, appended after the real one.
func specOf(r eventlog.Recorded) (blockchain.ChainSpec, error) {
	if r.Revision != 0 {
		return blockchain.ChainSpec{}, fmt.Errorf("%w: its first event is hidden (deleted, or truncated by the stream's metadata), and the first it shows is %s", ErrBadSpecEvent, r)
	}
	p, err := events.Decode(r.Event)
	if err != nil {
		return blockchain.ChainSpec{}, fmt.Errorf("%w: %s: %w", ErrBadSpecEvent, r, err)
	}
	if lost, ok := p.(events.ChainLost); ok {
		return blockchain.ChainSpec{}, fmt.Errorf("%w: chain %q (genesis %s): a node that had read it to height %d saw the log lose it, and marked the log (%s) so that no app begins the same chain in it again, where every transfer signed for the old one would be good once more; put the log back, or begin a new chain from a genesis file with a chainId of its own, on another log (or on this one emptied again with every app stopped: a server that keeps its data in memory, started again)",
			ErrChainLost, lost.ChainID, lost.Genesis.Short(), lost.Height, r)
	}
	declared, ok := p.(events.ChainSpecDeclared)
	if !ok {
		return blockchain.ChainSpec{}, fmt.Errorf("%w: have %s, want a %s", ErrBadSpecEvent, r, events.TypeChainSpecDeclared)
	}
	return declared.Spec, nil
}

// markLostTimeout bounds MarkChainLost's append: it runs as the node
// stops, on a log that has just failed it once.
const markLostTimeout = 5 * time.Second

// MarkChainLost appends an events.ChainLost to the chain-spec stream if
// that is empty: the log lost the chain the node followed (a server
// wiped under it), and no app must declare the same spec there again,
// which would begin the chain anew, where every transfer signed for it is
// good once more (LoadSpec returns ErrChainLost instead). A stream that
// holds anything (the spec, put back from an older copy; another chain's,
// declared since) is left as it is. It tries once, for at most five
// seconds, even after ctx ends: it runs as a node stops.
//
// Follow and Submit call it when they find the log went back. An app
// that reads the log beside its node, and stops on such a loss before
// Follow sees it (Follow then returns ctx.Err()), calls it itself.
//
// What it cannot see: a log emptied and given the same spec again before
// any node reconnected (the spec's event is the very one the node read,
// so the chain-spec stream looks whole) is refused by Follow only at its
// first block or transaction, and is left unmarked.
func (n *Node) MarkChainLost(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markLostTimeout)
	defer cancel()
	genesis, err := n.chain.Spec().Genesis()
	if err != nil { // the chain was made from this spec: it is valid
		return
	}
	lost := events.ChainLost{Genesis: genesis.Hash(), ChainID: n.chain.Spec().ChainID, Height: n.chain.Height()}
	e, err := events.Encode(lost)
	if err != nil {
		n.logger.Error("could not mark the event log as one that lost its chain", "err", err)
		return
	}
	_, err = n.log.Append(ctx, events.StreamChainSpec, eventlog.NoStream, e)
	switch {
	case err == nil:
		n.logger.Warn("the event log lost the chain: it is marked (by this node, or as this node would), so that no app begins the chain again in it",
			"stream", events.StreamChainSpec, "genesis", lost.Genesis.Short(), "height", lost.Height)
	case errors.Is(err, eventlog.ErrWrongExpectedRevision):
		// The stream holds something already: not the log to mark.
	default:
		n.logger.Error("could not mark the event log as one that lost its chain: an app started with -genesis may begin it again there", "err", err)
	}
}

// declareSpec appends spec to the empty chain-spec stream, and reports
// whether it got in (false: another app's spec got in first).
//
// A stream that reads as empty may be one deleted: on EventStoreDB
// anyone who can write to the log can soft-delete it, and NoStream then
// appends after the deleted events, at a revision past 0. No LoadSpec
// takes a spec there (see specOf), this app's at its next start among
// them, so the declaration is refused with ErrBadSpecEvent at once, as
// every later read of the stream is.
func declareSpec(ctx context.Context, log eventlog.Log, spec blockchain.ChainSpec) (bool, error) {
	e, err := events.Encode(events.ChainSpecDeclared{Spec: spec})
	if err != nil {
		return false, fmt.Errorf("node: declare the chain spec: %w", err)
	}
	res, err := log.Append(ctx, events.StreamChainSpec, eventlog.NoStream, e)
	switch {
	case err == nil && res.NextExpected != 0:
		return false, fmt.Errorf("%w: its first event is hidden (the stream was deleted), and the spec declared went in at revision %d", ErrBadSpecEvent, res.NextExpected)
	case err == nil:
		return true, nil
	case errors.Is(err, eventlog.ErrWrongExpectedRevision):
		return false, nil
	default:
		return false, fmt.Errorf("node: declare the chain spec: %w", err)
	}
}
