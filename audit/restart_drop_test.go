package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/audit"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// TestRestartKeepsAFundsDrop: a transaction dropped because a block spent
// its sender's funds stays dropped after a restart, even once a later
// credit would let it pay: the auditor that ran on drops nothing again and
// rebroadcasts nothing, and so must a restarted one.
func TestRestartKeepsAFundsDrop(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name    string
		restart bool
	}{
		{"uninterrupted", false},
		{"restarted", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, policy(10*s, 30*s, 3), 0)
			e.define("spend", consensustest.Transfer("alice", "carol", consensustest.Funds-5, 0))
			e.define("pay", consensustest.Transfer("alice", "bob", 10, 1))
			e.define("refund", consensustest.Transfer("carol", "alice", 100, 0))
			e.append("pay")
			e.mine("spend")
			got := e.tick(0)
			require.Len(t, got, 2)
			assert.Contains(t, got[1], "dropped pay after 0 [insufficient-funds]")
			e.mine("refund")
			assert.Equal(t, []string{"verified refund at 2"}, e.tick(10*s))
			before := e.auditor.Report()
			require.Equal(t, audit.Report{Submitted: 1, Included: 2, Dropped: 1}, before)

			if tc.restart {
				e.restart()
				require.NoError(t, e.auditor.Restore(context.Background()))
				assert.Equal(t, before, e.auditor.Report(), "the same counts, rebuilt from the log")
			}
			for at := 20 * s; at <= 200*s; at += 10 * s {
				assert.Empty(t, e.tick(at), "tick at %v", at)
			}
			assert.Equal(t, before, e.auditor.Report())
		})
	}
}
