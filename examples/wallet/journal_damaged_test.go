package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSendRefusesADamagedRecord: a send killed while it waited leaves its
// transfer's record in flight; a record since damaged (cut short, a bit
// flipped, emptied) was passed over in silence, and the same send run
// again signed the transfer anew with the next nonce: with the first
// still pending at the bank, both were mined, a second payment. A send
// now refuses while the journal holds a record it cannot read, naming
// the file, and sends nothing; with -again, which asks for a payment of
// its own, it goes on.
func TestSendRefusesADamagedRecord(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(data []byte) []byte
	}{
		{"cut short", func(data []byte) []byte { return data[:len(data)/2] }},
		{"a bit flipped", func(data []byte) []byte {
			i := strings.Index(string(data), `"amount":`) + len(`"amount":`)
			data[i] ^= 0x02 // 5 becomes 7: the signature no longer verifies
			return data
		}},
		{"emptied", func([]byte) []byte { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.sendKilled(t, "alice", "bob", "5")
			require.Len(t, f.bank.Submitted(), 1)
			j := f.journal("alice")
			names, err := filepath.Glob(filepath.Join(j.dir, j.prefix+"*.json"))
			require.NoError(t, err)
			require.Len(t, names, 1)
			data, err := os.ReadFile(names[0])
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(names[0], tc.damage(data), 0o600))

			code, stdout, stderr := f.run(t, nil, "send", "alice", "bob", "5", "-wait=false")
			assert.Equal(t, 1, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, names[0]+" holds no valid record of a transfer in flight")
			assert.Contains(t, stderr, "nothing was sent")
			assert.Len(t, f.bank.Submitted(), 1, "no second payment")

			code, _, stderr = f.run(t, nil, "send", "alice", "bob", "5", "-wait=false", "-again")
			assert.Zero(t, code, stderr)
			assert.Len(t, f.bank.Submitted(), 2, "-again pays anew")
		})
	}
}
