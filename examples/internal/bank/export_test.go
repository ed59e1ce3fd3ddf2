package bank

import (
	"time"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/events"
	"github.com/eventchain/eventchain/eventlog"
)

// DecodeRequest is decodeRequest, for FuzzDecodeRequest.
var DecodeRequest = decodeRequest

// IdempotencyNamespace is idempotencyNamespace, to name request streams.
var IdempotencyNamespace = idempotencyNamespace

// LagIndex makes b's ledger index take no more blocks, as if the bank
// had not yet indexed the ones its node goes on to apply. Call it before
// b serves a request.
func LagIndex(b *Bank) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.index.store = laggingStore{b.index.store}
}

type laggingStore struct{ indexStore }

func (laggingStore) addBlock(*blockchain.Block, eventlog.Revision) error { return nil }

// RefusedAgain is the answer to a keyed request whose reserved
// transaction tx, submitted again, was refused with p: the problem, or
// nil for the key's first answer (tx's status).
func RefusedAgain(b *Bank, tx blockchain.Transaction, p Problem) *Problem {
	return b.refusedAgain(events.TransactionSubmitted{Tx: tx}, &p).problem
}

// SetClock makes b read the time from now, for how long a failed append
// keeps it not ready.
func SetClock(b *Bank, now func() time.Time) { b.now = now }

// SetTimeouts makes b, from its next request on, wait at most submit
// for the log to take a posted transaction and at most probe for the
// read of the log with which GET /readyz checks it, as
// Config.SubmitTimeout and Config.ProbeTimeout do. A test shortens them
// to wait out a log that hangs, and lengthens them again for the
// requests that must then succeed, however slow the machine.
func SetTimeouts(b *Bank, submit, probe time.Duration) {
	b.submitTimeout.Store(int64(submit))
	b.probeTimeout.Store(int64(probe))
}
