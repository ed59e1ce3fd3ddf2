package node

import (
	"context"
	"sync"

	"github.com/eventchain/eventchain/blockchain"
)

// senderLocks serialises a node's submissions from each sender: the check
// against the pool, the append and the pool's taking the transaction
// happen for one transaction of a sender at a time. Without it two
// transfers with the same nonce, submitted together, would both pass the
// check before either joined the pool, both be acknowledged, and one be
// dropped later. Submissions from different senders do not wait for each
// other.
type senderLocks struct {
	mu    sync.Mutex
	locks map[blockchain.Address]*senderLock

	onWait func() // if set, called when a submission finds its sender's lock held (for tests)
}

// A senderLock is held by the one submission of its sender in progress;
// users counts that one and those waiting, so that the lock is forgotten
// when the last leaves.
type senderLock struct {
	held  chan struct{} // holds a value while the lock is held
	users int
}

// lock waits until no other submission from sender is in progress, or
// ctx ends (then it returns ctx.Err()). The caller must call unlock.
func (s *senderLocks) lock(ctx context.Context, sender blockchain.Address) (unlock func(), err error) {
	s.mu.Lock()
	if s.locks == nil {
		s.locks = make(map[blockchain.Address]*senderLock)
	}
	l := s.locks[sender]
	if l == nil {
		l = &senderLock{held: make(chan struct{}, 1)}
		s.locks[sender] = l
	}
	l.users++
	s.mu.Unlock()
	leave := func() {
		s.mu.Lock()
		if l.users--; l.users == 0 {
			delete(s.locks, sender)
		}
		s.mu.Unlock()
	}
	select {
	case l.held <- struct{}{}:
		return func() { <-l.held; leave() }, nil
	default:
	}
	if s.onWait != nil {
		s.onWait()
	}
	select {
	case l.held <- struct{}{}:
		return func() { <-l.held; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}
