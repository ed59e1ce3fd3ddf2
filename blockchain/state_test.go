package blockchain_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
)

// stateAddr returns a made-up address for name: the state's tests need
// accounts, not keys.
func stateAddr(name string) blockchain.Address {
	h := sha256.Sum256([]byte("state test/" + name))
	return blockchain.Address(h[:blockchain.AddressSize])
}

// mustState returns the state with these genesis allocations.
func mustState(tb testing.TB, alloc ...blockchain.Allocation) *blockchain.State {
	tb.Helper()
	s, err := blockchain.NewState(alloc)
	require.NoError(tb, err)
	return s
}

// stateEntry is one account of a snapshot.
type stateEntry struct {
	Addr blockchain.Address
	blockchain.Account
}

// snapshot returns every account of s, in Each's order.
func snapshot(s *blockchain.State) []stateEntry {
	var out []stateEntry
	s.Each(func(a blockchain.Address, acct blockchain.Account) bool {
		out = append(out, stateEntry{a, acct})
		return true
	})
	return out
}

// assertRule checks that err is a *RuleError with this code, have and want.
func assertRule(t *testing.T, err error, code blockchain.ErrorCode, have, want string) {
	t.Helper()
	var re *blockchain.RuleError
	if !assert.ErrorAs(t, err, &re) {
		return
	}
	assert.Equal(t, code, re.Code, "code")
	assert.Equal(t, have, re.Have, "have")
	assert.Equal(t, want, re.Want, "want")
}

// The accounts of the state's tests.
var (
	aliceAddr  = stateAddr("alice")
	bobAddr    = stateAddr("bob")
	carolAddr  = stateAddr("carol")
	nobodyAddr = stateAddr("nobody") // never allocated anything
	zeroAddr   blockchain.Address
)

const maxInt64 = int64(math.MaxInt64)

func TestTransferRules(t *testing.T) {
	amountRange := "1…" + strconv.FormatInt(blockchain.MaxAmount, 10)
	feeRange := "0…" + strconv.FormatInt(blockchain.MaxAmount, 10)
	type acct = blockchain.Account
	for _, tc := range []struct {
		name         string
		alice, bob   int64  // balances at genesis
		sent         uint64 // transfers of 1 alice sent carol before, committed
		from, to     blockchain.Address
		amount, fee  int64
		nonce        uint64
		code         blockchain.ErrorCode // ErrUnknown: the transfer is valid
		have, want   string               // the *RuleError's
		wantFrom     acct                 // when valid: the accounts after
		wantTo       acct
		wantSupplyUp int64 // when valid: how the batch's supply changes
	}{
		{name: "valid", alice: 1000, from: aliceAddr, to: bobAddr, amount: 100, fee: 5,
			wantFrom: acct{Balance: 895, Nonce: 1}, wantTo: acct{Balance: 100}, wantSupplyUp: -5},
		{name: "valid without fee", alice: 1000, bob: 7, from: aliceAddr, to: bobAddr, amount: 100,
			wantFrom: acct{Balance: 900, Nonce: 1}, wantTo: acct{Balance: 107}},
		{name: "exact balance", alice: 105, from: aliceAddr, to: bobAddr, amount: 100, fee: 5,
			wantFrom: acct{Nonce: 1}, wantTo: acct{Balance: 100}, wantSupplyUp: -5},
		{name: "MaxAmount plus fee MaxAmount, exact balance", alice: 2 * blockchain.MaxAmount, from: aliceAddr, to: bobAddr,
			amount: blockchain.MaxAmount, fee: blockchain.MaxAmount,
			wantFrom: acct{Nonce: 1}, wantTo: acct{Balance: blockchain.MaxAmount}, wantSupplyUp: -blockchain.MaxAmount},
		{name: "sender holds MaxInt64", alice: maxInt64, from: aliceAddr, to: bobAddr,
			amount: blockchain.MaxAmount, fee: blockchain.MaxAmount,
			wantFrom: acct{Balance: maxInt64 - 2*blockchain.MaxAmount, Nonce: 1}, wantTo: acct{Balance: blockchain.MaxAmount},
			wantSupplyUp: -blockchain.MaxAmount},
		{name: "receiver reaches MaxInt64", alice: 10, bob: maxInt64 - 10, from: aliceAddr, to: bobAddr, amount: 10,
			wantFrom: acct{Nonce: 1}, wantTo: acct{Balance: maxInt64}},
		{name: "next nonce after three", alice: 1000, sent: 3, from: aliceAddr, to: bobAddr, amount: 100, fee: 5, nonce: 3,
			wantFrom: acct{Balance: 892, Nonce: 4}, wantTo: acct{Balance: 100}, wantSupplyUp: -5},

		{name: "zero amount", alice: 1000, from: aliceAddr, to: bobAddr, amount: 0,
			code: blockchain.ErrInvalidAmount, have: "0", want: amountRange},
		{name: "negative amount", alice: 1000, from: aliceAddr, to: bobAddr, amount: -1,
			code: blockchain.ErrInvalidAmount, have: "-1", want: amountRange},
		{name: "amount over MaxAmount", alice: maxInt64, from: aliceAddr, to: bobAddr, amount: blockchain.MaxAmount + 1,
			code: blockchain.ErrInvalidAmount, have: "9007199254740992", want: amountRange},
		{name: "amount MinInt64", alice: 1000, from: aliceAddr, to: bobAddr, amount: math.MinInt64,
			code: blockchain.ErrInvalidAmount, have: "-9223372036854775808", want: amountRange},
		{name: "negative fee", alice: 1000, from: aliceAddr, to: bobAddr, amount: 1, fee: -1,
			code: blockchain.ErrInvalidFee, have: "-1", want: feeRange},
		{name: "fee over MaxAmount", alice: maxInt64, from: aliceAddr, to: bobAddr, amount: 1, fee: blockchain.MaxAmount + 1,
			code: blockchain.ErrInvalidFee, have: "9007199254740992", want: feeRange},
		{name: "fee MaxInt64", alice: maxInt64, from: aliceAddr, to: bobAddr, amount: 1, fee: maxInt64,
			code: blockchain.ErrInvalidFee, have: "9223372036854775807", want: feeRange},
		{name: "zero sender", alice: 1000, from: zeroAddr, to: bobAddr, amount: 1,
			code: blockchain.ErrMissingSender, have: "the zero address", want: "a sender"},
		{name: "zero receiver", alice: 1000, from: aliceAddr, to: zeroAddr, amount: 1,
			code: blockchain.ErrMissingReceiver, have: "the zero address", want: "a receiver"},
		{name: "to itself", alice: 1000, from: aliceAddr, to: aliceAddr, amount: 1,
			code: blockchain.ErrSelfTransfer, have: "from and to " + aliceAddr.String(), want: "two different accounts"},
		{name: "replay of a used nonce", alice: 1000, sent: 3, from: aliceAddr, to: bobAddr, amount: 1, nonce: 2,
			code: blockchain.ErrBadNonce, have: "2", want: "3"},
		{name: "replay of the first nonce", alice: 1000, sent: 3, from: aliceAddr, to: bobAddr, amount: 1, nonce: 0,
			code: blockchain.ErrBadNonce, have: "0", want: "3"},
		{name: "gap", alice: 1000, sent: 3, from: aliceAddr, to: bobAddr, amount: 1, nonce: 5,
			code: blockchain.ErrBadNonce, have: "5", want: "3"},
		{name: "gap on a fresh account", alice: 1000, from: aliceAddr, to: bobAddr, amount: 1, nonce: 1,
			code: blockchain.ErrBadNonce, have: "1", want: "0"},
		{name: "one short", alice: 104, from: aliceAddr, to: bobAddr, amount: 100, fee: 5,
			code: blockchain.ErrInsufficientFunds, have: "104", want: "≥ 105 (amount 100 + fee 5)"},
		{name: "the fee overdraws", alice: 100, from: aliceAddr, to: bobAddr, amount: 100, fee: 1,
			code: blockchain.ErrInsufficientFunds, have: "100", want: "≥ 101 (amount 100 + fee 1)"},
		{name: "unknown sender", alice: 1000, from: nobodyAddr, to: bobAddr, amount: 1,
			code: blockchain.ErrInsufficientFunds, have: "0", want: "≥ 1 (amount 1 + fee 0)"},

		// The order of the rules: each case breaks two, and the earlier is reported.
		{name: "amount before fee", alice: 1000, from: aliceAddr, to: bobAddr, amount: 0, fee: -1,
			code: blockchain.ErrInvalidAmount, have: "0", want: amountRange},
		{name: "fee before addresses", alice: 1000, from: zeroAddr, to: zeroAddr, amount: 1, fee: -1,
			code: blockchain.ErrInvalidFee, have: "-1", want: feeRange},
		{name: "sender before receiver", alice: 1000, from: zeroAddr, to: zeroAddr, amount: 1,
			code: blockchain.ErrMissingSender, have: "the zero address", want: "a sender"},
		{name: "self-transfer before nonce", alice: 1000, from: aliceAddr, to: aliceAddr, amount: 1, nonce: 9,
			code: blockchain.ErrSelfTransfer, have: "from and to " + aliceAddr.String(), want: "two different accounts"},
		{name: "nonce before funds", alice: 0, from: aliceAddr, to: bobAddr, amount: 1, nonce: 1,
			code: blockchain.ErrBadNonce, have: "1", want: "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := mustState(t,
				blockchain.Allocation{Address: aliceAddr, Balance: tc.alice},
				blockchain.Allocation{Address: bobAddr, Balance: tc.bob})
			if tc.sent > 0 {
				prep := state.Batch()
				for n := range tc.sent {
					require.NoError(t, prep.Transfer(aliceAddr, carolAddr, 1, 0, n))
				}
				state = prep.Apply()
			}
			before, root := snapshot(state), state.Root()
			supply := state.Supply()
			batch := state.Batch()
			fromBefore, toBefore := batch.Account(tc.from), batch.Account(tc.to)

			err := batch.Transfer(tc.from, tc.to, tc.amount, tc.fee, tc.nonce)

			assert.Equal(t, before, snapshot(state), "a batch never changes its state")
			if tc.code != blockchain.ErrUnknown {
				assertRule(t, err, tc.code, tc.have, tc.want)
				assert.ErrorIs(t, err, tc.code)
				assert.Equal(t, fromBefore, batch.Account(tc.from), "a failed transfer changes nothing")
				assert.Equal(t, toBefore, batch.Account(tc.to), "a failed transfer changes nothing")
				assert.Equal(t, supply, batch.Supply(), "a failed transfer changes nothing")
				assert.Same(t, state, batch.Apply(), "a batch with no change applies to the state itself")
				assert.Equal(t, root, batch.Root())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantFrom, batch.Account(tc.from), "sender")
			assert.Equal(t, tc.wantTo, batch.Account(tc.to), "receiver")
			assert.Equal(t, supply+tc.wantSupplyUp, batch.Supply(), "the fee is burned")
			next := batch.Apply()
			assert.Equal(t, tc.wantFrom, next.Account(tc.from), "sender after Apply")
			assert.Equal(t, tc.wantTo, next.Account(tc.to), "receiver after Apply")
			assert.Equal(t, supply+tc.wantSupplyUp, next.Supply(), "supply after Apply")
			assert.NotEqual(t, root, next.Root(), "another state, another root")
			assert.Equal(t, before, snapshot(state), "the state before is unchanged")
			assert.Equal(t, root, state.Root(), "and so is its root")
		})
	}
}

// TestTheLastNonce: an account's nonces end at MaxUint64, which no
// transfer may use (the nonce after it would wrap to 0, and every
// transfer the account ever sent could be replayed). Only a snapshot's
// accounts can come near it.
func TestTheLastNonce(t *testing.T) {
	st, err := blockchain.NewStateFromAccounts([]blockchain.AccountRecord{
		{Address: aliceAddr, Account: blockchain.Account{Balance: 100, Nonce: math.MaxUint64 - 1}},
	})
	require.NoError(t, err)
	batch := st.Batch()
	require.NoError(t, batch.Transfer(aliceAddr, bobAddr, 1, 0, math.MaxUint64-1), "the last nonce but one is used")
	require.Equal(t, blockchain.Account{Balance: 99, Nonce: math.MaxUint64}, batch.Account(aliceAddr))
	for _, nonce := range []uint64{math.MaxUint64, 0} {
		err := batch.Transfer(aliceAddr, bobAddr, 1, 0, nonce)
		assert.ErrorIs(t, err, blockchain.ErrBadNonce, "nonce %d", nonce)
	}
	assertRule(t, batch.Transfer(aliceAddr, bobAddr, 1, 0, math.MaxUint64), blockchain.ErrBadNonce,
		"18446744073709551615", "none: the account has used up its nonces")
	assertRule(t, batch.Transfer(aliceAddr, bobAddr, 1, 0, 0), blockchain.ErrBadNonce,
		"0", "none: the account has used up its nonces")
	assert.Equal(t, blockchain.Account{Balance: 99, Nonce: math.MaxUint64}, batch.Account(aliceAddr), "refused: nothing changed")
}

// A failed transfer, after valid ones in the same batch, leaves the batch
// as it was and ready for the next valid one.
func TestFailedTransferLeavesBatchUsable(t *testing.T) {
	state := mustState(t, blockchain.Allocation{Address: aliceAddr, Balance: 1000})
	batch := state.Batch()
	require.NoError(t, batch.Transfer(aliceAddr, bobAddr, 100, 5, 0))
	view := func() []blockchain.Account {
		return []blockchain.Account{batch.Account(aliceAddr), batch.Account(bobAddr), batch.Account(carolAddr)}
	}
	want := view()
	require.Equal(t, blockchain.Account{Balance: 895, Nonce: 1}, want[0], "precondition")

	for _, tc := range []struct {
		name string
		do   func() error
		code blockchain.ErrorCode
	}{
		{"replay", func() error { return batch.Transfer(aliceAddr, bobAddr, 100, 5, 0) }, blockchain.ErrBadNonce},
		{"overdraw", func() error { return batch.Transfer(aliceAddr, bobAddr, 891, 5, 1) }, blockchain.ErrInsufficientFunds},
		{"receiver spends what it has not got", func() error { return batch.Transfer(bobAddr, carolAddr, 101, 0, 0) }, blockchain.ErrInsufficientFunds},
		{"credit past the supply", func() error { return batch.Credit(carolAddr, maxInt64) }, blockchain.ErrBalanceOverflow},
		{"negative credit", func() error { return batch.Credit(carolAddr, -1) }, blockchain.ErrInvalidAmount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorIs(t, tc.do(), tc.code)
			assert.Equal(t, want, view())
			assert.Equal(t, int64(995), batch.Supply())
		})
	}

	require.NoError(t, batch.Transfer(aliceAddr, bobAddr, 890, 5, 1), "the batch is still usable: exact balance")
	require.NoError(t, batch.Transfer(bobAddr, carolAddr, 990, 0, 0), "bob spends what he received in this batch")
	require.NoError(t, batch.Credit(carolAddr, 10), "the fees, to the beneficiary")
	next := batch.Apply()
	assert.Equal(t, sortEntries([]stateEntry{
		{aliceAddr, blockchain.Account{Balance: 0, Nonce: 2}},
		{bobAddr, blockchain.Account{Balance: 0, Nonce: 1}},
		{carolAddr, blockchain.Account{Balance: 1000}},
	}), snapshot(next))
	assert.Equal(t, int64(1000), next.Supply(), "fees burned and paid back")
	assert.Equal(t, []stateEntry{{aliceAddr, blockchain.Account{Balance: 1000}}}, snapshot(state), "the state before is unchanged")
}

// sortEntries sorts by address, as Each does; it lets a test list
// expected accounts by name.
func sortEntries(es []stateEntry) []stateEntry {
	return slices.SortedFunc(slices.Values(es), func(a, b stateEntry) int {
		return bytes.Compare(a.Addr[:], b.Addr[:])
	})
}

func TestCreditRules(t *testing.T) {
	for _, tc := range []struct {
		name        string
		genesis     []blockchain.Allocation
		burn        int64 // a fee alice pays on her way to bob first, in the same batch
		to          blockchain.Address
		amount      int64
		code        blockchain.ErrorCode // ErrUnknown: valid
		have, want  string
		wantBalance int64 // when valid: the receiver's
		wantSupply  int64 // when valid: the batch's
	}{
		{name: "reward", genesis: []blockchain.Allocation{{Address: aliceAddr, Balance: 1000}}, to: carolAddr, amount: 50,
			wantBalance: 50, wantSupply: 1050},
		{name: "onto a balance", genesis: []blockchain.Allocation{{Address: aliceAddr, Balance: 1000}}, to: aliceAddr, amount: 50,
			wantBalance: 1050, wantSupply: 1050},
		{name: "zero", genesis: []blockchain.Allocation{{Address: aliceAddr, Balance: 1000}}, to: carolAddr, amount: 0,
			wantBalance: 0, wantSupply: 1000},
		{name: "MaxInt64 onto an empty state", to: carolAddr, amount: maxInt64,
			wantBalance: maxInt64, wantSupply: maxInt64},
		{name: "supply reaches MaxInt64", genesis: []blockchain.Allocation{{Address: aliceAddr, Balance: 1000}}, to: carolAddr,
			amount: maxInt64 - 1000, wantBalance: maxInt64 - 1000, wantSupply: maxInt64},
		{name: "burned fees make room", genesis: []blockchain.Allocation{{Address: aliceAddr, Balance: maxInt64}}, burn: 5,
			to: carolAddr, amount: 5, wantBalance: 5, wantSupply: maxInt64},

		{name: "negative", genesis: []blockchain.Allocation{{Address: aliceAddr, Balance: 1000}}, to: carolAddr, amount: -1,
			code: blockchain.ErrInvalidAmount, have: "-1", want: "≥ 0"},
		{name: "MinInt64", to: carolAddr, amount: math.MinInt64,
			code: blockchain.ErrInvalidAmount, have: "-9223372036854775808", want: "≥ 0"},
		{name: "zero address", to: zeroAddr, amount: 1,
			code: blockchain.ErrMissingReceiver, have: "the zero address", want: "a receiver"},
		{name: "supply one past MaxInt64", genesis: []blockchain.Allocation{{Address: aliceAddr, Balance: 1000}}, to: carolAddr,
			amount: maxInt64 - 999,
			code:   blockchain.ErrBalanceOverflow, have: "supply 1000 + 9223372036854774808", want: "≤ 9223372036854775807"},
		{name: "balance past MaxInt64", genesis: []blockchain.Allocation{{Address: aliceAddr, Balance: maxInt64}}, to: aliceAddr,
			amount: 1,
			code:   blockchain.ErrBalanceOverflow, have: "supply 9223372036854775807 + 1", want: "≤ 9223372036854775807"},
		{name: "MaxInt64 twice", genesis: []blockchain.Allocation{{Address: aliceAddr, Balance: maxInt64}}, to: carolAddr,
			amount: maxInt64,
			code:   blockchain.ErrBalanceOverflow, have: "supply 9223372036854775807 + 9223372036854775807", want: "≤ 9223372036854775807"},
		{name: "burned fees make only that much room", genesis: []blockchain.Allocation{{Address: aliceAddr, Balance: maxInt64}},
			burn: 5, to: carolAddr, amount: 6,
			code: blockchain.ErrBalanceOverflow, have: "supply 9223372036854775802 + 6", want: "≤ 9223372036854775807"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := mustState(t, tc.genesis...)
			batch := state.Batch()
			if tc.burn > 0 {
				require.NoError(t, batch.Transfer(aliceAddr, bobAddr, 1, tc.burn, 0))
			}
			before, supply := batch.Account(tc.to), batch.Supply()

			err := batch.Credit(tc.to, tc.amount)

			if tc.code != blockchain.ErrUnknown {
				assertRule(t, err, tc.code, tc.have, tc.want)
				assert.Equal(t, before, batch.Account(tc.to), "a failed credit changes nothing")
				assert.Equal(t, supply, batch.Supply(), "a failed credit changes nothing")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, blockchain.Account{Balance: tc.wantBalance, Nonce: before.Nonce}, batch.Account(tc.to))
			assert.Equal(t, tc.wantSupply, batch.Supply())
			next := batch.Apply()
			assert.Equal(t, tc.wantBalance, next.Account(tc.to).Balance)
			assert.Equal(t, tc.wantSupply, next.Supply())
			if tc.amount == 0 && tc.burn == 0 {
				assert.Same(t, state, next, "crediting 0 changes nothing: no account, no new state")
			}
		})
	}
}

func TestCreditKeepsTheNonce(t *testing.T) {
	state := mustState(t, blockchain.Allocation{Address: aliceAddr, Balance: 10})
	batch := state.Batch()
	require.NoError(t, batch.Transfer(aliceAddr, bobAddr, 10, 0, 0))
	require.NoError(t, batch.Credit(aliceAddr, 7))
	assert.Equal(t, blockchain.Account{Balance: 7, Nonce: 1}, batch.Account(aliceAddr))
}

func TestNewState(t *testing.T) {
	a := func(addr blockchain.Address, balance int64) blockchain.Allocation {
		return blockchain.Allocation{Address: addr, Balance: balance}
	}
	for _, tc := range []struct {
		name       string
		alloc      []blockchain.Allocation
		err        string               // "" when valid: a part of the error's text
		code       blockchain.ErrorCode // the RuleError the error wraps, if any
		wantLen    int
		wantSupply int64
	}{
		{name: "nil", alloc: nil},
		{name: "empty", alloc: []blockchain.Allocation{}},
		{name: "two", alloc: []blockchain.Allocation{a(aliceAddr, 1000), a(bobAddr, 5)}, wantLen: 2, wantSupply: 1005},
		{name: "a zero allocation makes no account", alloc: []blockchain.Allocation{a(aliceAddr, 1000), a(bobAddr, 0)}, wantLen: 1, wantSupply: 1000},
		{name: "supply of exactly MaxInt64", alloc: []blockchain.Allocation{a(aliceAddr, maxInt64-1), a(bobAddr, 1)}, wantLen: 2, wantSupply: maxInt64},
		{name: "one account of MaxInt64", alloc: []blockchain.Allocation{a(aliceAddr, maxInt64)}, wantLen: 1, wantSupply: maxInt64},

		{name: "supply past MaxInt64", alloc: []blockchain.Allocation{a(aliceAddr, maxInt64), a(bobAddr, 1)},
			err: "allocation 1: balance-overflow: have supply 9223372036854775807 + 1, want ≤ 9223372036854775807", code: blockchain.ErrBalanceOverflow},
		{name: "many that add up past MaxInt64", alloc: []blockchain.Allocation{a(aliceAddr, maxInt64/2), a(bobAddr, maxInt64/2), a(carolAddr, 2)},
			err: "allocation 2: balance-overflow", code: blockchain.ErrBalanceOverflow},
		{name: "negative", alloc: []blockchain.Allocation{a(aliceAddr, 1000), a(bobAddr, -1)},
			err: "allocation 1: balance: have -1, want ≥ 0"},
		{name: "MinInt64", alloc: []blockchain.Allocation{a(aliceAddr, math.MinInt64)},
			err: "allocation 0: balance: have -9223372036854775808, want ≥ 0"},
		{name: "zero address", alloc: []blockchain.Allocation{a(zeroAddr, 1)},
			err: "allocation 0: address: have the zero address, want an account's"},
		{name: "twice", alloc: []blockchain.Allocation{a(aliceAddr, 1), a(bobAddr, 1), a(aliceAddr, 1)},
			err: "allocation 2: " + aliceAddr.String() + " is already allocation 0"},
		{name: "twice, first with 0", alloc: []blockchain.Allocation{a(aliceAddr, 0), a(aliceAddr, 1)},
			err: "allocation 1: " + aliceAddr.String() + " is already allocation 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := blockchain.NewState(tc.alloc)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				assert.Nil(t, s)
				if tc.code != blockchain.ErrUnknown {
					assert.ErrorIs(t, err, tc.code)
				} else {
					var re *blockchain.RuleError
					assert.False(t, errors.As(err, &re), "a malformed allocation is not a rule")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantLen, s.Len())
			assert.Equal(t, tc.wantSupply, s.Supply())
			for _, al := range tc.alloc {
				assert.Equal(t, blockchain.Account{Balance: al.Balance}, s.Account(al.Address))
			}
		})
	}
}

func TestZeroStateIsEmpty(t *testing.T) {
	var s blockchain.State
	assert.Equal(t, 0, s.Len())
	assert.Equal(t, int64(0), s.Supply())
	assert.Equal(t, blockchain.Hash{}, s.Root(), "the empty tree's root: 32 zero bytes")
	assert.Equal(t, blockchain.Account{}, s.Account(aliceAddr))
	assert.Empty(t, snapshot(&s))
	batch := s.Batch()
	require.NoError(t, batch.Credit(aliceAddr, 10))
	require.NoError(t, batch.Transfer(aliceAddr, bobAddr, 4, 1, 0))
	next := batch.Apply()
	assert.Equal(t, sortEntries([]stateEntry{{aliceAddr, blockchain.Account{Balance: 5, Nonce: 1}}, {bobAddr, blockchain.Account{Balance: 4}}}),
		snapshot(next))
	assert.Equal(t, int64(9), next.Supply())
	assert.Equal(t, 0, s.Len(), "the zero State is unchanged")
	assert.Equal(t, blockchain.Hash{}, s.Root())
}

// Len counts accounts that hold coins or have sent: an account that spent
// everything still has its nonce.
func TestLenCountsNonces(t *testing.T) {
	state := mustState(t, blockchain.Allocation{Address: aliceAddr, Balance: 10})
	batch := state.Batch()
	require.NoError(t, batch.Transfer(aliceAddr, bobAddr, 10, 0, 0))
	state = batch.Apply()
	assert.Equal(t, blockchain.Account{Nonce: 1}, state.Account(aliceAddr))
	assert.Equal(t, 2, state.Len())
	assert.False(t, state.Account(aliceAddr).IsZero())
	assert.True(t, state.Account(nobodyAddr).IsZero())
}

// A State never changes: a batch reads it and Apply makes a new one,
// all changes at once; a dropped batch leaves no trace; and a batch stays
// usable after Apply, each Apply giving a new state with everything so
// far.
func TestStateIsPersistent(t *testing.T) {
	state := mustState(t,
		blockchain.Allocation{Address: aliceAddr, Balance: 1000},
		blockchain.Allocation{Address: bobAddr, Balance: 50})
	genesis, genesisRoot := snapshot(state), state.Root()

	dropped := state.Batch() // a block that will fail half way
	require.NoError(t, dropped.Transfer(aliceAddr, bobAddr, 300, 3, 0))
	require.NoError(t, dropped.Transfer(bobAddr, carolAddr, 350, 0, 0))
	require.NoError(t, dropped.Credit(carolAddr, 3))
	require.Equal(t, blockchain.Account{Balance: 353}, dropped.Account(carolAddr), "precondition: the batch sees its changes")
	assert.Equal(t, genesis, snapshot(state), "a batch changes nothing of its state")
	assert.Equal(t, int64(1050), state.Supply())
	assert.Equal(t, genesisRoot, state.Root())

	// The batch is thrown away, as for a block that fails half way.
	batch := state.Batch()
	assert.Equal(t, blockchain.Account{Balance: 1000}, batch.Account(aliceAddr), "a new batch sees the state, not the dropped batch")

	require.NoError(t, batch.Transfer(aliceAddr, bobAddr, 300, 3, 0))
	require.NoError(t, batch.Transfer(bobAddr, carolAddr, 350, 0, 0))
	require.NoError(t, batch.Credit(carolAddr, 3))
	root := batch.Root()
	first := batch.Apply()
	want := sortEntries([]stateEntry{
		{aliceAddr, blockchain.Account{Balance: 697, Nonce: 1}},
		{bobAddr, blockchain.Account{Balance: 0, Nonce: 1}},
		{carolAddr, blockchain.Account{Balance: 353}},
	})
	assert.Equal(t, want, snapshot(first), "Apply makes every change")
	assert.Equal(t, int64(1050), first.Supply())
	assert.Equal(t, root, first.Root(), "Root is the root of what Apply returns")
	assert.Same(t, first, batch.Apply(), "Apply again, with nothing new: the same state")
	assert.Equal(t, genesis, snapshot(state), "the state before is unchanged")
	assert.Equal(t, genesisRoot, state.Root())

	// The batch goes on: another Apply has this change too, and the
	// first state keeps what it had.
	require.NoError(t, batch.Transfer(aliceAddr, carolAddr, 1, 0, 1))
	second := batch.Apply()
	assert.Equal(t, blockchain.Account{Balance: 696, Nonce: 2}, second.Account(aliceAddr))
	assert.Equal(t, blockchain.Account{Balance: 697, Nonce: 1}, first.Account(aliceAddr), "the first state is unchanged")
	assert.Equal(t, root, first.Root())
	assert.NotEqual(t, root, second.Root())

	// The next block's batch starts from the new state.
	next := second.Batch()
	assert.Equal(t, second.Account(aliceAddr), next.Account(aliceAddr))
	assert.Equal(t, second.Supply(), next.Supply())
	assert.Same(t, second, next.Apply(), "an empty batch changes nothing")
}

// Two batches of one state are two possible next blocks: each makes its
// own state, neither sees the other, and the state they share is
// unchanged. (A chain keeps one; a miner may try both.)
func TestTwoBatchesOfOneState(t *testing.T) {
	state := mustState(t, blockchain.Allocation{Address: aliceAddr, Balance: 100})
	first, second := state.Batch(), state.Batch()
	require.NoError(t, first.Transfer(aliceAddr, bobAddr, 100, 0, 0))
	require.NoError(t, second.Transfer(aliceAddr, carolAddr, 100, 0, 0), "each batch alone is valid")
	a, b := first.Apply(), second.Apply()
	assert.Equal(t, int64(100), a.Account(bobAddr).Balance)
	assert.Zero(t, a.Account(carolAddr).Balance)
	assert.Equal(t, int64(100), b.Account(carolAddr).Balance)
	assert.Zero(t, b.Account(bobAddr).Balance)
	assert.NotEqual(t, a.Root(), b.Root())
	assert.Equal(t, []stateEntry{{aliceAddr, blockchain.Account{Balance: 100}}}, snapshot(state))

	// Alice's coins cannot be spent twice along one chain: on either
	// state, the other transfer is a replay.
	assert.ErrorIs(t, a.Batch().Transfer(aliceAddr, carolAddr, 100, 0, 0), blockchain.ErrBadNonce)
	assert.ErrorIs(t, b.Batch().Transfer(aliceAddr, carolAddr, 1, 0, 1), blockchain.ErrInsufficientFunds)
}

// leafHash is a state tree leaf as State.Root documents it:
// SHA-256(0x10 ‖ address ‖ balance ‖ nonce).
func leafHash(a blockchain.Address, acct blockchain.Account) blockchain.Hash {
	b := append([]byte{0x10}, a[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(acct.Balance))
	b = binary.BigEndian.AppendUint64(b, acct.Nonce)
	return sha256.Sum256(b)
}

// TestStateRoot checks the root against the rule documented on
// State.Root for the smallest trees (the genesis vectors of
// golden_seal.py check larger ones), and that the root depends on the
// accounts only: not on the order they were made in, nor on how.
func TestStateRoot(t *testing.T) {
	// Two addresses that differ in their first bit, and a third that
	// shares alice's first bit but not her second.
	left, right, leftRight := blockchain.Address{0x00, 1}, blockchain.Address{0x80, 2}, blockchain.Address{0x40, 3}
	node := func(l, r blockchain.Hash) blockchain.Hash {
		return sha256.Sum256(append(append([]byte{0x11}, l[:]...), r[:]...))
	}
	acct := blockchain.Account{Balance: 7}
	for _, tc := range []struct {
		name  string
		alloc []blockchain.Allocation
		want  blockchain.Hash
	}{
		{"empty", nil, blockchain.Hash{}},
		{"only zero allocations", []blockchain.Allocation{{Address: left}}, blockchain.Hash{}},
		{"one account: its leaf, wherever its address", []blockchain.Allocation{{Address: right, Balance: 7}}, leafHash(right, acct)},
		{"two: a node of the two leaves", []blockchain.Allocation{{Address: right, Balance: 7}, {Address: left, Balance: 7}},
			node(leafHash(left, acct), leafHash(right, acct))},
		{"three: the left side splits again", []blockchain.Allocation{{Address: left, Balance: 7}, {Address: right, Balance: 7}, {Address: leftRight, Balance: 7}},
			node(node(leafHash(left, acct), leafHash(leftRight, acct)), leafHash(right, acct))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, mustState(t, tc.alloc...).Root())
			reversed := slices.Clone(tc.alloc)
			slices.Reverse(reversed)
			assert.Equal(t, tc.want, mustState(t, reversed...).Root(), "in any order")
		})
	}

	// Made in different ways, the same accounts have the same root.
	byAlloc := mustState(t,
		blockchain.Allocation{Address: aliceAddr, Balance: 90},
		blockchain.Allocation{Address: bobAddr, Balance: 10},
		blockchain.Allocation{Address: carolAddr, Balance: 0})
	credits := (&blockchain.State{}).Batch()
	require.NoError(t, credits.Credit(bobAddr, 4))
	require.NoError(t, credits.Credit(aliceAddr, 90))
	require.NoError(t, credits.Credit(bobAddr, 6))
	assert.Equal(t, byAlloc.Root(), credits.Root(), "credits in another order, in several parts")
	assert.Equal(t, byAlloc.Root(), credits.Apply().Root())

	// Transfers between different accounts commute: either order, one root.
	base := mustState(t,
		blockchain.Allocation{Address: aliceAddr, Balance: 100},
		blockchain.Allocation{Address: carolAddr, Balance: 100})
	one, two := base.Batch(), base.Batch()
	require.NoError(t, one.Transfer(aliceAddr, bobAddr, 5, 1, 0))
	require.NoError(t, one.Transfer(carolAddr, nobodyAddr, 7, 2, 0))
	require.NoError(t, two.Transfer(carolAddr, nobodyAddr, 7, 2, 0))
	require.NoError(t, two.Transfer(aliceAddr, bobAddr, 5, 1, 0))
	assert.Equal(t, one.Root(), two.Root())
}

// TestRootChangesWithEveryAccountChange: a balance, a nonce, a new
// account — any change to any account gives a root never seen before.
func TestRootChangesWithEveryAccountChange(t *testing.T) {
	state := mustState(t,
		blockchain.Allocation{Address: aliceAddr, Balance: 1000},
		blockchain.Allocation{Address: bobAddr, Balance: 1000})
	seen := map[blockchain.Hash]string{state.Root(): "genesis"}
	for _, step := range []struct {
		name string
		do   func(b *blockchain.StateBatch) error
	}{
		{"a transfer", func(b *blockchain.StateBatch) error { return b.Transfer(aliceAddr, bobAddr, 1, 0, 0) }},
		{"the same transfer back", func(b *blockchain.StateBatch) error { return b.Transfer(bobAddr, aliceAddr, 1, 0, 0) }},
		{"a credit of one unit", func(b *blockchain.StateBatch) error { return b.Credit(aliceAddr, 1) }},
		{"a credit to a new account", func(b *blockchain.StateBatch) error { return b.Credit(carolAddr, 1) }},
		{"a fee alone changes two balances", func(b *blockchain.StateBatch) error {
			if err := b.Transfer(aliceAddr, bobAddr, 1, 1, 1); err != nil {
				return err
			}
			return b.Transfer(bobAddr, aliceAddr, 1, 0, 1)
		}},
		{"spend everything", func(b *blockchain.StateBatch) error {
			return b.Transfer(carolAddr, nobodyAddr, 1, 0, 0)
		}},
		{"the coin back: balances as two steps ago, nonces not", func(b *blockchain.StateBatch) error {
			if err := b.Transfer(nobodyAddr, carolAddr, 1, 0, 0); err != nil {
				return err
			}
			return b.Credit(carolAddr, 0)
		}},
	} {
		batch := state.Batch()
		require.NoError(t, step.do(batch), step.name)
		next := batch.Apply()
		if prev, dup := seen[next.Root()]; dup {
			t.Errorf("%s: the root of %s again", step.name, prev)
		}
		seen[next.Root()] = step.name
		state = next
	}
}

// Supply is conserved over a random run of valid and invalid transfers and
// credits: after each commit, Supply = Supply before − fees + credits, it
// equals the sum of the balances, no balance is negative, and the state
// equals a model that applies only the calls that returned nil.
func TestSupplyIsConserved(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 3))
	pool := []blockchain.Address{zeroAddr, nobodyAddr}
	var alloc []blockchain.Allocation
	for i := range 8 {
		a := stateAddr("conserved " + strconv.Itoa(i))
		pool = append(pool, a)
		alloc = append(alloc, blockchain.Allocation{Address: a, Balance: rng.Int64N(1_000_000)})
	}
	state := mustState(t, alloc...)
	model := map[blockchain.Address]blockchain.Account{}
	for _, al := range alloc {
		model[al.Address] = blockchain.Account{Balance: al.Balance}
	}
	amounts := func() int64 {
		switch rng.IntN(10) {
		case 0:
			return []int64{-1, 0, blockchain.MaxAmount, blockchain.MaxAmount + 1, math.MinInt64, maxInt64}[rng.IntN(6)]
		default:
			return rng.Int64N(200_000)
		}
	}
	var valid, invalid, committed, dropped int
	for block := range 300 {
		batch := state.Batch()
		pending := map[blockchain.Address]blockchain.Account{}
		get := func(a blockchain.Address) blockchain.Account {
			if acct, ok := pending[a]; ok {
				return acct
			}
			return model[a]
		}
		before := batch.Supply()
		var fees, credits int64
		for range rng.IntN(30) {
			supply := batch.Supply()
			var err error
			if rng.IntN(8) == 0 {
				to := pool[rng.IntN(len(pool))]
				amount := amounts()
				if rng.IntN(4) == 0 { // the edge: the supply to exactly MaxInt64, or one past
					amount = maxInt64 - supply
					if supply > 0 && rng.IntN(2) == 0 {
						amount++
					}
				}
				err = batch.Credit(to, amount)
				if err == nil {
					credits += amount
					acct := get(to)
					acct.Balance += amount
					pending[to] = acct
					assert.Equal(t, supply+amount, batch.Supply())
				}
			} else {
				from, to := pool[rng.IntN(len(pool))], pool[rng.IntN(len(pool))]
				amount, fee := amounts(), amounts()/100
				nonce := batch.Account(from).Nonce
				switch rng.IntN(6) {
				case 0:
					nonce-- // a replay, or a wrap to MaxUint64 at 0: a gap
				case 1:
					nonce++ // a gap
				}
				fromBefore, toBefore := batch.Account(from), batch.Account(to)
				err = batch.Transfer(from, to, amount, fee, nonce)
				if err == nil {
					fees += fee
					src, dst := get(from), get(to)
					src.Balance -= amount + fee
					src.Nonce++
					dst.Balance += amount
					pending[from], pending[to] = src, dst
					assert.Equal(t, supply-fee, batch.Supply())
				} else {
					assert.Equal(t, fromBefore, batch.Account(from), "a failed transfer changes nothing")
					assert.Equal(t, toBefore, batch.Account(to), "a failed transfer changes nothing")
				}
			}
			if err == nil {
				valid++
			} else {
				invalid++
				var re *blockchain.RuleError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, supply, batch.Supply(), "a failed call changes nothing")
			}
		}
		if rng.IntN(5) == 0 {
			dropped++
			continue // the block is thrown away: the state and the model keep theirs
		}
		root := batch.Root()
		state = batch.Apply()
		require.Equal(t, root, state.Root())
		committed++
		for a, acct := range pending {
			model[a] = acct
		}
		require.Equal(t, before-fees+credits, state.Supply(), "block %d: supply = before − fees + credits", block)
		var sum int64
		want := map[blockchain.Address]blockchain.Account{}
		for a, acct := range model {
			if !acct.IsZero() {
				want[a] = acct
			}
		}
		got := map[blockchain.Address]blockchain.Account{}
		for a, acct := range state.Each {
			require.GreaterOrEqual(t, acct.Balance, int64(0), "block %d: %s", block, a)
			require.LessOrEqual(t, acct.Balance, maxInt64-sum, "block %d: the balances add up past MaxInt64", block)
			sum += acct.Balance
			got[a] = acct
		}
		require.Equal(t, state.Supply(), sum, "block %d: supply = the sum of the balances", block)
		require.Equal(t, want, got, "block %d: the state is the model", block)
		require.Equal(t, len(want), state.Len())
		require.Zero(t, state.Account(zeroAddr).Balance, "the zero address never holds coins")
	}
	t.Logf("%d valid and %d invalid calls, %d blocks committed, %d dropped", valid, invalid, committed, dropped)
	require.Greater(t, valid, 1000, "the run exercises valid calls")
	require.Greater(t, invalid, 1000, "the run exercises invalid calls")
	require.Greater(t, dropped, 10, "the run drops blocks")
}

func TestEachOrder(t *testing.T) {
	var alloc []blockchain.Allocation
	for i := range 50 {
		alloc = append(alloc, blockchain.Allocation{Address: stateAddr("each " + strconv.Itoa(i)), Balance: int64(i)})
	}
	state := mustState(t, alloc...) // "each 0" holds 0: no account

	var addrs []blockchain.Address
	for a, acct := range state.Each {
		require.NotZero(t, acct.Balance, "Each skips zero accounts")
		addrs = append(addrs, a)
	}
	require.Len(t, addrs, 49)
	assert.Equal(t, state.Len(), len(addrs))
	for i := 1; i < len(addrs); i++ {
		assert.Negative(t, bytes.Compare(addrs[i-1][:], addrs[i][:]), "Each goes in increasing address order, at %d", i)
	}
	for range 5 {
		assert.Equal(t, snapshot(state), snapshot(state), "every call, the same order")
	}

	var first []blockchain.Address
	state.Each(func(a blockchain.Address, _ blockchain.Account) bool {
		first = append(first, a)
		return len(first) < 3
	})
	assert.Equal(t, addrs[:3], first, "Each stops when yield returns false")
	first = first[:0]
	for a := range state.Each {
		if len(first) == 3 {
			break
		}
		first = append(first, a)
	}
	assert.Equal(t, addrs[:3], first, "and when a range loop breaks")
}

// A State is safe for concurrent use: many goroutines may read it and
// make their own batches and states from it at once (run with -race),
// and it stays as it was.
func TestConcurrentBatches(t *testing.T) {
	state := mustState(t,
		blockchain.Allocation{Address: aliceAddr, Balance: 1000},
		blockchain.Allocation{Address: bobAddr, Balance: 1000})
	root := state.Root()
	const workers = 8
	results := make([]*blockchain.State, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			batch := state.Batch()
			for n := range uint64(50) {
				assert.NoError(t, batch.Transfer(aliceAddr, bobAddr, 1, int64(i), n))
			}
			results[i] = batch.Apply()
			_ = results[i].Root()
			_ = state.Supply() + int64(state.Len())
			_ = snapshot(state)
		})
	}
	wg.Wait()
	assert.Equal(t, blockchain.Account{Balance: 1000}, state.Account(aliceAddr))
	assert.Equal(t, root, state.Root())
	for i, r := range results {
		assert.Equal(t, blockchain.Account{Balance: 950 - 50*int64(i), Nonce: 50}, r.Account(aliceAddr), "worker %d", i)
	}
}

// Alice pays Bob; the block's fee goes to its miner; a replay of the same
// transfer is refused.
func ExampleState() {
	key := func(b byte) blockchain.Address {
		k, err := blockchain.NewPrivateKey(bytes.Repeat([]byte{b}, blockchain.SeedSize))
		if err != nil {
			panic(err)
		}
		return k.Address()
	}
	alice, bob, miner := key(1), key(2), key(3)

	state, err := blockchain.NewState([]blockchain.Allocation{{Address: alice, Balance: 1000}})
	if err != nil {
		panic(err)
	}

	// One block: a transfer and the fee paid to the miner.
	batch := state.Batch()
	if err := batch.Transfer(alice, bob, 250, 2, 0); err != nil {
		panic(err)
	}
	if err := batch.Credit(miner, 2); err != nil {
		panic(err)
	}
	next := batch.Apply()
	fmt.Printf("alice %+v\nbob   %+v\nminer %+v\nsupply %d\n",
		next.Account(alice), next.Account(bob), next.Account(miner), next.Supply())
	fmt.Println("before the block, alice held", state.Account(alice).Balance)
	fmt.Println("new root:", next.Root() != state.Root())

	// The same transfer again: its nonce is used.
	err = next.Batch().Transfer(alice, bob, 250, 2, 0)
	fmt.Println(err)
	fmt.Println(errors.Is(err, blockchain.ErrBadNonce))
	// Output:
	// alice {Balance:748 Nonce:1}
	// bob   {Balance:250 Nonce:0}
	// miner {Balance:2 Nonce:0}
	// supply 1000
	// before the block, alice held 1000
	// new root: true
	// bad-nonce: have 0, want 1
	// true
}

// batchBenchAccounts are the state sizes BenchmarkBatch and
// BenchmarkBlockStateRoot measure.
var batchBenchAccounts = []int{1_000, 100_000}

// batchBenchTransfers is how many transfers each batch holds.
const batchBenchTransfers = 20

// benchState returns a state of n accounts, each holding 2⁴⁰, and their
// addresses, made in one NewState.
func benchState(b *testing.B, n int) (*blockchain.State, []blockchain.Address) {
	b.Helper()
	addrs := make([]blockchain.Address, n)
	alloc := make([]blockchain.Allocation, n)
	for i := range addrs {
		addrs[i] = stateAddr("bench " + strconv.Itoa(i))
		alloc[i] = blockchain.Allocation{Address: addrs[i], Balance: 1 << 40}
	}
	return mustState(b, alloc...), addrs
}

// benchPair returns the k-th transfer of the i-th batch, spread over a
// state of n accounts.
func benchPair(n, i, k int) (from, to int) {
	from = (i*batchBenchTransfers*7919 + k*104_729) % n
	return from, (from + 1) % n
}

// BenchmarkBatch fills batches of 20 transfers and a credit on states of
// 1 000 and 100 000 accounts: one op is one batch made and filled, the
// rules checked, the tree not touched (BenchmarkBlockStateRoot adds
// that). Its cost must not grow with the state, since a batch touches
// only the accounts it changes. Each size runs a baseline first, the same
// 20 transfers as bare map updates with no checks; the batch reports its
// time as a multiple of it (x-baseline), and ns/transfer.
//
//	go test -run '^$' -bench BenchmarkBatch ./blockchain/
func BenchmarkBatch(b *testing.B) {
	for _, n := range batchBenchAccounts {
		state, addrs := benchState(b, n)
		var baseline float64 // ns per batch of the bare map updates
		b.Run(fmt.Sprintf("accounts=%d/baseline", n), func(b *testing.B) {
			m := make(map[blockchain.Address]blockchain.Account, n)
			for _, a := range addrs {
				m[a] = blockchain.Account{Balance: 1 << 40}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				for k := range batchBenchTransfers {
					f, t := benchPair(n, i, k)
					src, dst := m[addrs[f]], m[addrs[t]]
					src.Balance -= 2
					src.Nonce++
					dst.Balance++
					m[addrs[f]], m[addrs[t]] = src, dst
				}
				i++
			}
			baseline = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(fmt.Sprintf("accounts=%d/batch", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				batch := state.Batch()
				for k := range batchBenchTransfers {
					f, t := benchPair(n, i, k)
					if err := batch.Transfer(addrs[f], addrs[t], 1, 1, batch.Account(addrs[f]).Nonce); err != nil {
						b.Fatal(err)
					}
				}
				if err := batch.Credit(addrs[i%n], batchBenchTransfers); err != nil {
					b.Fatal(err)
				}
				i++
			}
			perBatch := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perBatch/batchBenchTransfers, "ns/transfer")
			if baseline > 0 {
				b.ReportMetric(perBatch/baseline, "x-baseline")
			}
		})
	}
}

// BenchmarkBlockStateRoot is the state transition of a block of 20
// transfers, as Chain.Propose and Chain.Apply run it, on states of 1 000
// and 100 000 accounts: one op is a batch made, 20 transfers and the
// beneficiary's credit checked and made, and the state root computed
// (the new state, which Apply then returns at no cost). Each op goes on
// from the state the one before made, as a chain does. It reports the
// time per transfer beside the time per block.
//
//	go test -run '^$' -bench BenchmarkBlockStateRoot -benchmem ./blockchain/
func BenchmarkBlockStateRoot(b *testing.B) {
	for _, n := range batchBenchAccounts {
		genesis, addrs := benchState(b, n)
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			state := genesis
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				batch := state.Batch()
				for k := range batchBenchTransfers {
					f, t := benchPair(n, i, k)
					if err := batch.Transfer(addrs[f], addrs[t], 1, 1, batch.Account(addrs[f]).Nonce); err != nil {
						b.Fatal(err)
					}
				}
				if err := batch.Credit(addrs[i%n], 50+batchBenchTransfers); err != nil {
					b.Fatal(err)
				}
				_ = batch.Root()
				state = batch.Apply()
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/batchBenchTransfers, "ns/transfer")
		})
	}
}
