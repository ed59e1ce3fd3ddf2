package blockchain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// What the package says to a caller who uses it wrongly: an error naming
// the mistake, never a nil-pointer panic deep inside, and never a value
// quietly changed into another.

// TestNewChainRefusesIncompleteRules: a rule without a Check (a course's
// added rule left half written, or DefaultRules given a nil engine) is
// refused when the chain is made, not by a panic in the first Apply.
func TestNewChainRefusesIncompleteRules(t *testing.T) {
	engine := consensustest.NewFaker()
	for _, tc := range []struct {
		name  string
		rules []blockchain.Rule
		want  string
	}{
		{"a rule without Check", append(blockchain.DefaultRules(engine, 0), blockchain.Rule{Name: "max-1000-per-block"}),
			"Config.Rules[7] (max-1000-per-block): Check is nil"},
		{"a rule without Name", []blockchain.Rule{{Check: blockchain.RuleLinksToTip().Check}}, "Config.Rules[0]: Name is empty"},
		{"DefaultRules with a nil engine", blockchain.DefaultRules(nil, 0),
			"Config.Rules[5] (consensus): Check is nil: RuleConsensus, and DefaultRules, need a non-nil engine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Rules = tc.rules
			c, err := blockchain.NewChain(cfg)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestZeroChain: a Chain NewChain did not make has no genesis; every
// method that checks a block or a transaction says so.
func TestZeroChain(t *testing.T) {
	genesis := consensustest.Genesis()
	tx := consensustest.Transfer("alice", "bob", 1, 0)
	for _, c := range []*blockchain.Chain{new(blockchain.Chain), nil} {
		for name, call := range map[string]func() error{
			"Apply":            func() error { return c.Apply(genesis) },
			"ApplyAt":          func() error { return c.ApplyAt(genesis, testNow) },
			"Check":            func() error { return c.Check(genesis) },
			"Trust":            func() error { return c.Trust(genesis) },
			"CheckTransaction": func() error { return c.CheckTransaction(tx) },
			"Propose": func() error {
				_, _, err := c.Propose(consensustest.Addr("miner"), nil, testNow)
				return err
			},
			"ProveAccount": func() error {
				_, err := c.ProveAccount(consensustest.Addr("alice"), 0)
				return err
			},
			"Resume": func() error { return c.Resume(consensustest.NewChain(consensustest.NewFaker()).Snapshot(1)) },
		} {
			t.Run(name, func(t *testing.T) {
				assert.ErrorIs(t, call(), blockchain.ErrChainNotMade)
			})
		}
	}
}

// TestZeroChainReads: the reading methods of the zero Chain answer as for
// an empty chain rather than panic, so that a student's forgotten NewChain
// shows up as ErrChainNotMade at the first check, not as an index out of
// range in a getter.
func TestZeroChainReads(t *testing.T) {
	c := new(blockchain.Chain)
	alice := consensustest.Addr("alice")
	assert.NotPanics(t, func() {
		assert.Equal(t, uint64(0), c.Height())
		assert.Equal(t, uint64(0), c.ReadOnly().Height())
		assert.Equal(t, blockchain.Header{}, c.Tip())
		assert.Equal(t, blockchain.Hash{}, c.TipHash())
		assert.Nil(t, c.TipBlock())
		assert.Equal(t, blockchain.Account{}, c.Account(alice))
		_, ok := c.BlockAt(0)
		assert.False(t, ok)
		assert.Equal(t, blockchain.Snapshot{}, c.Snapshot(1))
	})
}

// TestProposeTimes: Propose dates a block now, or at its parent's time
// if now is earlier; a zero now is a clock never read, and an error.
func TestProposeTimes(t *testing.T) {
	c, err := blockchain.NewChain(testConfig())
	require.NoError(t, err)
	tipTime := c.Tip().Timestamp
	for _, tc := range []struct {
		name string
		now  time.Time
		want time.Time // zero: an error
	}{
		{"now", tipTime.Add(90 * time.Second), tipTime.Add(90 * time.Second)},
		{"earlier than the tip", tipTime.Add(-time.Hour), tipTime},
		{"the zero time", time.Time{}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _, err := c.Propose(consensustest.Addr("miner"), nil, tc.now)
			if tc.want.IsZero() {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "zero time")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, b.Header().Timestamp)
		})
	}
}

// TestTimestampsFarAway: a time beyond the header's range is refused as
// the time it is, never wrapped round into another year, and a time an
// int64 of milliseconds cannot hold has no encoding.
func TestTimestampsFarAway(t *testing.T) {
	parent := consensustest.Genesis().Header()
	for _, tc := range []struct {
		name      string
		at        time.Time
		encodes   bool   // MarshalBinary succeeds
		validates bool   // Block.Validate accepts it
		have      string // the time the bad-timestamp error reports
	}{
		{"2030", time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC), true, true, ""},
		{"the last millisecond of 9999", time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC), true, true, ""},
		{"year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), true, false, "10000-01-01T00:00:00Z"},
		{"before 1970", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), true, false, "1969-12-31T23:59:59Z"},
		{"year 300 000 000", time.Date(300_000_000, 1, 1, 0, 0, 0, 0, time.UTC), false, false, "300000000-01-01T00:00:00Z"},
		{"year −300 000 000", time.Date(-300_000_000, 1, 1, 0, 0, 0, 0, time.UTC), false, false, "-300000000-01-01T00:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := blockchain.NextHeader(parent, nil, tc.at)
			h.Beneficiary = consensustest.Addr("miner")
			assert.True(t, h.Timestamp.Equal(tc.at), "NextHeader keeps the time: have %v", h.Timestamp)

			bin, err := h.MarshalBinary()
			b := blockchain.NewBlock(h, nil)
			_, blockErr := b.MarshalBinary()
			if tc.encodes {
				require.NoError(t, err)
				require.NoError(t, blockErr)
				var back blockchain.Header
				require.NoError(t, back.UnmarshalBinary(bin))
				assert.True(t, back.Timestamp.Equal(tc.at), "round trip: have %v", back.Timestamp)
			} else {
				assert.ErrorIs(t, err, blockchain.ErrMalformed)
				assert.ErrorIs(t, blockErr, blockchain.ErrMalformed)
			}

			err = b.Validate()
			if tc.validates {
				assert.NoError(t, err)
				return
			}
			var re *blockchain.RuleError
			require.True(t, errors.As(err, &re), "have %v", err)
			assert.Equal(t, blockchain.ErrBadTimestamp, re.Code)
			assert.Equal(t, tc.have, re.Have)
		})
	}
}

// TestErrorTypesReadWhenBuiltBare: the package's error types are exported
// for callers to build too (a course's own verifier returns a
// ProofError), and one built without its Err, or as a zero value, still
// reads as an error rather than panic in Error.
func TestErrorTypesReadWhenBuiltBare(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&blockchain.ProofError{}, "inclusion proof: <nil>: have , want "},
		{&blockchain.ProofError{Proof: "account proof", Have: "a", Want: "b"}, "account proof: <nil>: have a, want b"},
		{&blockchain.SpecError{}, "chain spec: <nil>"},
		{&blockchain.SpecError{Field: "alloc"}, "chain spec: alloc: <nil>"},
		{&blockchain.RuleError{}, "unknown"},
		{&blockchain.AddressError{Pos: -1}, `parse address "": <nil>`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			var got string
			require.NotPanics(t, func() { got = tc.err.Error() })
			assert.Equal(t, tc.want, got)
		})
	}
}
