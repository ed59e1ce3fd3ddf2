package pool

import "errors"

// The errors [Pool.Add] and [Pool.Check] may return besides a rule's
// [*blockchain.RuleError]. Each is wrapped with the transaction's ID, so
// test for it with errors.Is, never by its text:
//
//	if errors.Is(err, pool.ErrDuplicate) { … }
//
// None says the transaction is invalid: ErrDuplicate means the pool has
// it already (safe to ignore: a resubmission changed nothing), ErrFull
// and ErrSenderFull that the pool will not take it now.
var (
	// ErrDuplicate: a transaction with this ID is already pending. The ID
	// is derived from everything the sender signed (see
	// [blockchain.Transaction]), so it is the very same transfer: adding
	// it again changes nothing, and a retried submission or an auditor's
	// rebroadcast is harmless.
	ErrDuplicate = errors.New("transaction already pending")

	// ErrFull: the pool already holds Policy.Capacity transactions. The
	// message gives the capacity. Retry after a block has been mined and
	// its transactions removed.
	ErrFull = errors.New("pool is full")

	// ErrSenderFull: the sender already has Policy.MaxPerSender
	// transactions pending; only [Pool.Check] returns it. Without this
	// bound one sender could fill the pool with its own transfers and
	// lock every other account out until blocks had taken them all.
	// Retry after a block has included some of the sender's
	// transactions.
	ErrSenderFull = errors.New("sender has too many pending transactions")
)

// ErrInvalidConfig is wrapped by every error [New] returns, and by the
// error of [Order.UnmarshalText]: the message names the field of [Config]
// or [Policy] that makes no sense and says what it has and what it wants.
var ErrInvalidConfig = errors.New("invalid pool config")

// ErrNotMade is wrapped by the error of [Pool.Add] and [Pool.Check] on a
// Pool that [New] did not make (the zero Pool): it has no chain to check
// transactions against, and no room to keep them.
var ErrNotMade = errors.New("the pool was not made by pool.New")
