package keystore_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/examples/internal/keystore"
)

// fuzzMaxWork bounds scrypt's n·r·p in FuzzDecode to the golden file's,
// so that the fuzzer spends its time in the decoder rather than in
// scrypt. Parameters above it are refused as parameters above
// MaxScryptWork are.
const fuzzMaxWork = 1 << 13

// decodeErrors are the errors a key file's bytes can be refused with.
var decodeErrors = []error{
	keystore.ErrTooLarge, keystore.ErrFormat, keystore.ErrVersion, keystore.ErrScryptParams,
	keystore.ErrPassphraseRequired, keystore.ErrNotEncrypted, keystore.ErrWrongPassphrase,
	keystore.ErrAddressMismatch,
}

// FuzzDecode checks that the key file decoder is total: for any bytes
// and any passphrase it returns, without panicking, either an error
// wrapping one of decodeErrors and no key, or a key whose address is
// the one the file names, under a valid name, encrypted exactly when a
// passphrase was needed.
func FuzzDecode(f *testing.F) {
	alice, bob := golden(f, "alice"), golden(f, "bob")
	for _, seed := range []struct {
		data       string
		passphrase string
	}{
		{alice, string(passphrase)},
		{alice, "correct horse battery stapler"},
		{alice, ""},
		{bob, ""},
		{bob, "x"},
		{strings.Join(strings.Fields(alice), ""), string(passphrase)},
		{strings.Join(strings.Fields(bob), ""), ""},
		{`{"version":1}`, ""},
		{`{"version":2}`, ""},
		{`{"version":1,"name":"a","address":"` + bobAddress + `","encryption":"none","seed":"` + bobSeed + `"}`, ""},
		{`{"version":1,"name":"a","address":"` + aliceAddress + `","encryption":"scrypt+aes-256-gcm","scrypt":{"n":2,"r":1,"p":1,"salt":""},"nonce":"","ciphertext":""}`, "x"},
		{"", ""},
		{"null", ""},
	} {
		f.Add([]byte(seed.data), []byte(seed.passphrase))
	}
	f.Fuzz(func(t *testing.T, data, pass []byte) {
		key, entry, err := keystore.Decode(data, pass, fuzzMaxWork)
		if err != nil {
			require.Zero(t, key, "no key beside an error")
			require.Zero(t, entry)
			require.True(t, slices.ContainsFunc(decodeErrors, func(e error) bool { return errors.Is(err, e) }),
				"an error of no sentinel: %v", err)
			msg := err.Error()
			require.NotEmpty(t, msg)
			require.Equal(t, strings.ToLower(msg[:1]), msg[:1], "%q", msg)
			require.True(t, utf8.ValidString(msg) || !utf8.Valid(data), "%q", msg)
			return
		}
		require.LessOrEqual(t, len(data), keystore.MaxFileSize)
		require.NoError(t, keystore.ValidateName(entry.Name))
		require.Equal(t, entry.Address, key.Address())
		require.Equal(t, entry.Encrypted, len(pass) > 0)
	})
}
