package keystore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/keystore"
)

// BenchmarkUnlock measures what a user waits for at every Load of an
// encrypted key, at the cost of DefaultScrypt: the time of one unlock
// (ms/unlock; run it with -cpu 1 for one core's) and its memory
// (MiB/unlock).
func BenchmarkUnlock(b *testing.B) {
	ks, err := keystore.Open(b.TempDir())
	require.NoError(b, err)
	_, err = ks.Create("alice", passphrase, nil)
	require.NoError(b, err)
	for b.Loop() {
		if _, err := ks.Load("alice", passphrase); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/unlock")
	b.ReportMetric(float64(keystore.DefaultScrypt().Memory())/(1<<20), "MiB/unlock")
}

// BenchmarkList measures List, which decrypts nothing, over 100 keys.
func BenchmarkList(b *testing.B) {
	ks := MustNew(b)
	for i := range 100 {
		_, err := ks.CreateUnencrypted("key"+string(rune('a'+i/26))+string(rune('a'+i%26)), random(byte(i)))
		require.NoError(b, err)
	}
	for b.Loop() {
		entries, err := ks.List()
		if err != nil || len(entries) != 100 {
			b.Fatal(len(entries), err)
		}
	}
}
