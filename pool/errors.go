package pool

import "errors"

// The errors [Pool.Add] may return besides a rule's [*blockchain.RuleError].
// Each is wrapped with the transaction's ID, so test for it with errors.Is,
// never by its text:
//
//	if errors.Is(err, pool.ErrDuplicate) { … }
//
// They fall into two kinds a caller usually treats differently: the pool
// already knows the transaction (ErrDuplicate, ErrAlreadyIncluded — safe to
// ignore, a resubmission changed nothing), or the pool will not take it now
// or with this ID (ErrIDConflict, ErrFull).
var (
	// ErrDuplicate: the same transaction (same ID, same hash) is already
	// pending. Adding it again changes nothing, so a retried submission or
	// an auditor's rebroadcast is harmless.
	ErrDuplicate = errors.New("transaction already pending")

	// ErrIDConflict: a different transaction (same ID, other hash) is
	// already pending. IDs name transactions, so the pool keeps the first
	// and refuses the second rather than guess which one was meant.
	ErrIDConflict = errors.New("another transaction with this ID is pending")

	// ErrAlreadyIncluded: the chain given as Config.Chain already includes
	// a transaction with this ID. It is this package's error for the pool;
	// the chain reports the same fact about a block with the rule code
	// blockchain.ErrAlreadyIncluded, which is a different value.
	ErrAlreadyIncluded = errors.New("transaction already in the chain")

	// ErrFull: the pool already holds Policy.Capacity transactions. The
	// message gives the capacity. Retry after a block has been mined and
	// its transactions removed.
	ErrFull = errors.New("pool is full")
)

// ErrInvalidConfig is wrapped by every error [New] returns: the message
// names the field of [Config] or [Policy] that makes no sense and says what
// it has and what it wants.
var ErrInvalidConfig = errors.New("invalid pool config")
