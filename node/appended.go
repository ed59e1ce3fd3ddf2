package node

import (
	"bytes"
	"sync"

	"github.com/google/uuid"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/eventlog"
)

// appendedKeep is how many of its own transaction events a node
// remembers until it reads them back: far more than a node has in flight
// at once, and a bound on the memory (a few MiB) when it does not read
// them back, as when the log folds a retry away.
const appendedKeep = 4096

// appended remembers the transaction events a node has appended, with
// the transaction each carries, until Follow reads them back. Follow
// then need not decode what the node itself encoded a moment before: an
// event read back with the same ID, type and bytes decodes to the same
// transaction (decoding is a function of those), so it takes the
// transaction from here and goes on as if it had decoded it. An event
// that differs in any byte — another node's, or one the log changed — is
// not found here and is decoded as any other. So this is a cache and
// nothing more: it changes what the node computes, not what it decides.
type appended struct {
	mu    sync.Mutex
	byID  map[uuid.UUID]appendedEvent
	order [appendedKeep]uuid.UUID // a ring: the oldest entry is forgotten first
	next  int
}

type appendedEvent struct {
	typ  string
	data []byte
	tx   blockchain.Transaction
}

// remember records that the node appends e, which carries tx.
func (a *appended) remember(e eventlog.Event, tx blockchain.Transaction) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byID == nil {
		a.byID = make(map[uuid.UUID]appendedEvent)
	}
	delete(a.byID, a.order[a.next]) // forget the oldest, if it is still here
	a.order[a.next] = e.ID
	a.next = (a.next + 1) % appendedKeep
	a.byID[e.ID] = appendedEvent{typ: e.Type, data: e.Data, tx: tx}
}

// take returns the transaction of e if the node appended exactly e, and
// forgets it.
func (a *appended) take(e eventlog.Event) (blockchain.Transaction, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	own, ok := a.byID[e.ID]
	if !ok || own.typ != e.Type || !bytes.Equal(own.data, e.Data) {
		return blockchain.Transaction{}, false
	}
	delete(a.byID, e.ID)
	return own.tx, true
}
