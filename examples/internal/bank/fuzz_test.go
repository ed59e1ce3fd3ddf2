package bank_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/examples/internal/bank"
)

// maxMessage bounds the error decodeRequest returns: it names the problem
// without echoing a hostile body back whole.
const maxMessage = 256

// requestFields are the fields a POST /transactions body may hold.
var requestFields = []string{"chainId", "from", "to", "amount", "fee", "nonce", "publicKey", "signature", "id", "hash"}

// FuzzDecodeRequest checks that the POST /transactions decoder is total:
// for any body it returns, without panicking, either an error that names
// the problem (and, if a field is at fault, that field or an unknown
// name, shortened), or a transaction that re-encodes (json.Marshal) and
// decodes to the very same transaction — and that package blockchain's
// own JSON decoder, which every other reader of a transaction uses, reads
// the same transaction from the body.
func FuzzDecodeRequest(f *testing.F) {
	full := txJSON(f, validTx)
	for _, seed := range []string{
		validBody,
		full,
		" \n" + full + "\t ",
		txJSON(f, consensustest.TransferFee("bob", "carol", blockchain.MaxAmount, blockchain.MaxAmount, 1<<64-1)),
		txJSON(f, consensustest.Transfer("alice", "alice", 0, 0)), // decodes: the rules refuse it
		strings.Replace(validBody, `"chainId":"eventchain-test"`, `"chainId":"\u0065ventchain-test"`, 1),
		with("amount", "-0"),
		with("nonce", "18446744073709551615"),
		plus(`"id":"` + validTx.ID().String() + `"`),
		plus(`"hash":"` + strings.ToUpper(validTx.Hash().String()) + `"`),
	} {
		f.Add([]byte(seed))
	}
	for _, m := range malformedRequests {
		if m.body != "" && len(m.body) < 2<<10 {
			f.Add([]byte(m.body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tx, field, err := bank.DecodeRequest(body)
		if err != nil {
			require.Zero(t, tx, "no transaction beside an error")
			msg := err.Error()
			require.NotEmpty(t, msg)
			require.LessOrEqual(t, len(msg), maxMessage, "%s", msg)
			require.True(t, utf8.ValidString(msg), "%q", msg)
			require.True(t, utf8.ValidString(field), "%q", field)
			require.LessOrEqual(t, len(field), 70, "%q", field)
			if field != "" && !slices.Contains(requestFields, field) {
				require.True(t, strings.HasPrefix(msg, "unknown field"), "the field %q is unknown: %s", field, msg)
			}
			return
		}
		require.Empty(t, field)

		again, err := json.Marshal(tx)
		require.NoError(t, err)
		tx2, field, err := bank.DecodeRequest(again)
		require.NoError(t, err, "%s", again)
		require.Empty(t, field)
		requireSameTx(t, tx, tx2)

		var std blockchain.Transaction
		require.NoError(t, json.Unmarshal(body, &std), "package blockchain refuses what the bank accepts: %q", body)
		requireSameTx(t, tx, std)
	})
}

// requireSameTx requires two transactions to be the same: every field,
// the signature, the ID and the hash.
func requireSameTx(t *testing.T, want, have blockchain.Transaction) {
	t.Helper()
	require.Equal(t, want.Fields(), have.Fields())
	require.Equal(t, want.Signature(), have.Signature())
	require.Equal(t, want.ID(), have.ID())
	require.Equal(t, want.Hash(), have.Hash())
}
