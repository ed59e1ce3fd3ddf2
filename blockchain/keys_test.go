package blockchain_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
)

// goldenKeys were computed outside Go by testdata/golden_keys.py, with
// Python's hashlib and zlib and the cryptography package, from the layout
// documented on Address.
var goldenKeys = []struct {
	seed, public, address, signature string
}{
	{
		"0000000000000000000000000000000000000000000000000000000000000000",
		"3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29",
		"ec7ca990faae94a9207a1535341bb940c440318975ba742c4a",
		"a0b355a438517d9fa3f6bb2fc5c5b68a7ffbf3b697c2ce201f2cfefc758ed8cd5f7d7f09f105c823ab17801363a94f8d25a04eb0f6820235c5ee58b8e1854305",
	},
	{
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
		"eccce84c33fc257c057135c5a4c7218b85ea1b54797fef5bad",
		"4d6670ce5cc96a42700f60c724377a3470328c5f2e25debce139ed12cc7781379f45c34bfe24bcf07d5e73d99fb1db234d47f94a3187d67524cd5fa49f36b009",
	},
	{
		"2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90", // SHA-256("alice")
		"d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac4",
		"ec74b25808772b36251791ebb177f8fe85c49c2aafcaa7b8c6",
		"1f4b5510b9ccff59ffcaef4cb0cceae6708001b3c05659521aca70618f36b5b72c075d5c6a550899c199b06b2cc53c88af0a08a2caef32fad4c72d9a4d9ed105",
	},
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestGoldenKeys(t *testing.T) {
	msg := []byte("eventchain")
	for _, g := range goldenKeys {
		t.Run(g.address, func(t *testing.T) {
			key, err := blockchain.NewPrivateKey(mustHex(t, g.seed))
			require.NoError(t, err)
			assert.Equal(t, g.public, key.Public().String())
			assert.Equal(t, g.address, key.Address().String())
			assert.Equal(t, key.Address(), blockchain.AddressOf(key.Public()))
			sig := key.Sign(msg)
			assert.Equal(t, g.signature, hex.EncodeToString(sig[:]))
			assert.True(t, key.Public().Verify(msg, sig[:]))
			assert.Equal(t, mustHex(t, g.seed), key.Seed())

			a, err := blockchain.ParseAddress(g.address)
			require.NoError(t, err)
			assert.Equal(t, key.Address(), a)
			pub, err := blockchain.ParsePublicKey(g.public)
			require.NoError(t, err)
			assert.Equal(t, key.Public(), pub)
		})
	}
}

// TestAddressCatchesEverySubstitution changes each character of written
// addresses to every other character a client could type — each hex
// digit, upper-case letters, the rest of printable ASCII — and checks that
// no such text parses: a mistyped address is refused, never taken for
// another account. For the hex digits this is what CRC-32 guarantees (one
// character is at most four consecutive bits, and CRC-32 catches every
// burst of up to 32); the test checks it, for 200 addresses.
func TestAddressCatchesEverySubstitution(t *testing.T) {
	checked := 0
	for i := range 200 {
		seed := sha256.Sum256([]byte(fmt.Sprintf("substitution %d", i)))
		key, err := blockchain.NewPrivateKey(seed[:])
		require.NoError(t, err)
		written := key.Address().String()
		for pos := range len(written) {
			for c := byte(0x20); c < 0x7f; c++ {
				if c == written[pos] {
					continue
				}
				typo := written[:pos] + string(c) + written[pos+1:]
				_, err := blockchain.ParseAddress(typo)
				if !assert.Error(t, err, "%q (from %q) parsed", typo, written) {
					return
				}
				checked++
			}
		}
	}
	t.Logf("%d substitutions refused", checked)
}

func TestParseAddressErrors(t *testing.T) {
	good := goldenKeys[1].address
	for _, tc := range []struct {
		name string
		text string
		want error
		pos  int
	}{
		{"empty", "", blockchain.ErrAddressPrefix, -1},
		{"no prefix", good[2:], blockchain.ErrAddressPrefix, -1},
		{"another prefix", "0x" + good[2:], blockchain.ErrAddressPrefix, -1},
		{"upper-case prefix", "EC" + good[2:], blockchain.ErrAddressPrefix, -1},
		{"all in upper case", strings.ToUpper(good), blockchain.ErrAddressPrefix, -1}, // says addresses are lower case
		{"too short", good[:len(good)-1], blockchain.ErrAddressLength, -1},
		{"too long", good + "0", blockchain.ErrAddressLength, -1},
		{"upper case", "ec" + strings.ToUpper(good[2:]), blockchain.ErrAddressCharacter, 2},
		{"not hex", good[:10] + "g" + good[11:], blockchain.ErrAddressCharacter, 10},
		{"a space", good[:20] + " " + good[21:], blockchain.ErrAddressCharacter, 20},
		{"checksum", good[:len(good)-1] + "0", blockchain.ErrAddressChecksum, -1},
		{"two digits swapped", good[:4] + good[5:6] + good[4:5] + good[6:], blockchain.ErrAddressChecksum, -1}, // "e8" → "8e"
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "checksum" && strings.HasSuffix(good, "0") {
				t.Fatal("fixture: the golden address must not end in 0")
			}
			_, err := blockchain.ParseAddress(tc.text)
			require.ErrorIs(t, err, tc.want)
			var ae *blockchain.AddressError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.pos, ae.Pos)
			assert.Contains(t, err.Error(), "parse address")
			if strings.HasPrefix(tc.text, "EC") {
				assert.Contains(t, err.Error(), "addresses are written in lower case")
			}
		})
	}
}

func TestAddressText(t *testing.T) {
	key, err := blockchain.NewPrivateKey(bytes.Repeat([]byte{7}, blockchain.SeedSize))
	require.NoError(t, err)
	a := key.Address()
	data, err := json.Marshal(map[string]blockchain.Address{"to": a})
	require.NoError(t, err)
	assert.JSONEq(t, `{"to":"`+a.String()+`"}`, string(data))
	var back map[string]blockchain.Address
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, a, back["to"])
	assert.Error(t, json.Unmarshal([]byte(`{"to":"ec00"}`), &back))
	assert.Len(t, a.String(), blockchain.AddressLen)
	assert.Equal(t, a.String()[:10], a.Short())
	assert.False(t, a.IsZero())
	assert.True(t, blockchain.Address{}.IsZero())
}

func TestKeys(t *testing.T) {
	t.Run("a seed of the wrong size", func(t *testing.T) {
		for _, n := range []int{0, 31, 33, 64} {
			_, err := blockchain.NewPrivateKey(make([]byte, n))
			assert.ErrorIs(t, err, blockchain.ErrBadKey, "%d bytes", n)
		}
	})
	t.Run("generated keys differ and sign", func(t *testing.T) {
		a, err := blockchain.GenerateKey(nil)
		require.NoError(t, err)
		b, err := blockchain.GenerateKey(nil)
		require.NoError(t, err)
		assert.NotEqual(t, a.Address(), b.Address())
		sig := a.Sign([]byte("m"))
		assert.True(t, a.Public().Verify([]byte("m"), sig[:]))
		assert.False(t, b.Public().Verify([]byte("m"), sig[:]), "another key")
		assert.False(t, a.Public().Verify([]byte("n"), sig[:]), "another message")
		assert.False(t, a.Public().Verify([]byte("m"), sig[:63]), "a short signature")
	})
	t.Run("a private key never prints its seed", func(t *testing.T) {
		seed := bytes.Repeat([]byte{0xab}, blockchain.SeedSize)
		key, err := blockchain.NewPrivateKey(seed)
		require.NoError(t, err)
		seedHex := hex.EncodeToString(seed[:8])
		// Every verb, not only the string ones: %d, %o, %b and the
		// like print a struct's fields, the seed among them, unless the
		// key says how it prints.
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d", "%o", "%O", "%b", "%c", "%U", "%e", "%g", "%t", "%p", "%10.3d"} {
			for _, arg := range []any{key, &key, []blockchain.PrivateKey{key}, struct{ K blockchain.PrivateKey }{key}, struct{ k blockchain.PrivateKey }{key}, struct{ k *blockchain.PrivateKey }{&key}} {
				out := fmt.Sprintf(verb, arg)
				// 16 hex digits of the seed, not fewer: a pointer the
				// output shows (of &key, say) is written in hex too, and
				// a short run such as "abab" turns up in one now and then.
				assert.NotContains(t, strings.ToLower(out), seedHex, "%s of %T", verb, arg)
				assert.NotContains(t, out, "171 171", "%s of %T: the seed in decimal", verb, arg)
				assert.NotContains(t, out, strconv.FormatInt(0xab, 8)+" "+strconv.FormatInt(0xab, 8), "%s of %T: the seed in octal", verb, arg)
				assert.NotContains(t, out, strconv.FormatInt(0xab, 2)+" "+strconv.FormatInt(0xab, 2), "%s of %T: the seed in binary", verb, arg)
			}
		}
		// A failed assertion prints both values field by field, by
		// reflection: the seed is out of its reach as well.
		var failed failureText
		other, err := blockchain.NewPrivateKey(bytes.Repeat([]byte{0xcd}, blockchain.SeedSize))
		require.NoError(t, err)
		assert.Equal(&failed, struct{ k blockchain.PrivateKey }{key}, struct{ k blockchain.PrivateKey }{other})
		require.NotEmpty(t, failed.String(), "the assertion failed, and said why")
		assert.NotContains(t, strings.ToLower(failed.String()), seedHex)
		assert.NotContains(t, failed.String(), "0xab, 0xab")
		assert.NotContains(t, failed.String(), "171, 171")
		assert.Contains(t, key.String(), key.Address().String())
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d"} {
			assert.Equal(t, key.String(), fmt.Sprintf(verb, key), "%s prints the address, as String", verb)
		}
	})
	t.Run("the zero key holds no key, and says so", func(t *testing.T) {
		var zero blockchain.PrivateKey
		assert.True(t, zero.IsZero())
		assert.True(t, zero.Address().IsZero(), "no address of a key nobody can sign for")
		assert.PanicsWithValue(t, "blockchain: the zero PrivateKey holds no key; make one with GenerateKey or NewPrivateKey", func() { zero.Sign([]byte("m")) })
		assert.PanicsWithValue(t, "blockchain: the zero PrivateKey holds no key; make one with GenerateKey or NewPrivateKey", func() { zero.Seed() })
		key, err := blockchain.GenerateKey(nil)
		require.NoError(t, err)
		assert.False(t, key.IsZero())
	})
	t.Run("public keys parse strictly", func(t *testing.T) {
		good := goldenKeys[0].public
		for _, bad := range []string{"", good[:63], good + "0", strings.ToUpper(good), good[:5] + "x" + good[6:]} {
			_, err := blockchain.ParsePublicKey(bad)
			assert.ErrorIs(t, err, blockchain.ErrBadKey, "%q", bad)
		}
		var k blockchain.PublicKey
		require.NoError(t, json.Unmarshal([]byte(`"`+good+`"`), &k))
		assert.Equal(t, good, k.String())
	})
}

// FuzzParseAddress: any text either fails with an *AddressError or is an
// address whose written form is exactly that text.
func FuzzParseAddress(f *testing.F) {
	for _, g := range goldenKeys {
		f.Add(g.address)
	}
	f.Add("")
	f.Add("ec")
	f.Add("EC" + goldenKeys[0].address[2:])
	f.Fuzz(func(t *testing.T, s string) {
		a, err := blockchain.ParseAddress(s)
		if err != nil {
			var ae *blockchain.AddressError
			require.ErrorAs(t, err, &ae)
			return
		}
		assert.Equal(t, s, a.String(), "one text per address")
	})
}

// failureText is a testify TestingT that keeps what a failed assertion
// says, to check what it shows.
type failureText struct{ strings.Builder }

func (f *failureText) Errorf(format string, args ...any) { fmt.Fprintf(f, format, args...) }

// ExamplePrivateKey_Public shows how two private keys are compared: by
// their public keys, since a PrivateKey itself is not comparable.
func ExamplePrivateKey_Public() {
	seed := bytes.Repeat([]byte{7}, blockchain.SeedSize)
	a, _ := blockchain.NewPrivateKey(seed)
	b, _ := blockchain.NewPrivateKey(seed)
	other, _ := blockchain.NewPrivateKey(bytes.Repeat([]byte{8}, blockchain.SeedSize))
	fmt.Println(a.Public() == b.Public(), a.Public() == other.Public())
	// Output: true false
}
