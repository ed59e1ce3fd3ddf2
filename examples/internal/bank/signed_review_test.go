package bank

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
)

// TestReviewSignedNeedsTheSendersKey: a refusal is "signed" only if the
// sender it names signed it. A transfer naming alice as its sender,
// carrying mallory's key and signature, is refused (here for its amount,
// a rule checked before the key), and must read as unsigned.
func TestReviewSignedNeedsTheSendersKey(t *testing.T) {
	f := newExplorerFixture(t, nil)
	mallory := consensustest.Key("mallory")
	fields := blockchain.TxFields{ChainID: consensustest.ChainID, From: consensustest.Addr("alice"), To: consensustest.Addr("bob"),
		Amount: 0, Nonce: 0, PublicKey: mallory.Public()}
	sig := mallory.Sign(fields.SignedMessage())
	forged := blockchain.NewTransaction(fields, sig[:])
	status, body := f.post(t, forged)
	require.Equal(t, http.StatusBadRequest, status, "%s", body)
	list := f.bank.explorerMem.refusedList()
	require.NotEmpty(t, list)
	r := list[len(list)-1]
	require.Equal(t, forged.ID(), r.ID)
	assert.Equal(t, consensustest.Addr("alice"), r.From)
	assert.False(t, r.Signed, "alice signed nothing (rule %s)", r.Rule)

	// The same with an amount: refused for sender-is-key.
	fields.Amount, fields.Nonce = 1, 1
	sig = mallory.Sign(fields.SignedMessage())
	forged = blockchain.NewTransaction(fields, sig[:])
	status, body = f.post(t, forged)
	require.Equal(t, http.StatusBadRequest, status, "%s", body)
	list = f.bank.explorerMem.refusedList()
	r = list[len(list)-1]
	require.Equal(t, forged.ID(), r.ID)
	assert.False(t, r.Signed, "alice signed nothing (rule %s)", r.Rule)
}

// TestReviewUnsignedCopyDoesNotReplaceSigned: the same transfer (same ID)
// posted again by anyone with a garbage signature, refused at the same
// stage, must not take the place of the refusal its sender signed.
func TestReviewUnsignedCopyDoesNotReplaceSigned(t *testing.T) {
	var m explorerMemory
	real := consensustest.Transfer("alice", "bob", 1, 3)
	m.addRefused(refusedTx(real, StageSubmit, "bad-nonce", "", nil, true))
	var zeroSig [blockchain.SignatureSize]byte
	copyOf := blockchain.NewTransaction(real.Fields(), zeroSig[:])
	require.Equal(t, real.ID(), copyOf.ID(), "the ID is of what is signed")
	m.addRefused(refusedTx(copyOf, StageSubmit, "bad-signature", "", nil, false))
	signed := 0
	for _, r := range m.refusedList() {
		if r.Signed && r.ID == real.ID() {
			signed++
		}
	}
	assert.Equal(t, 1, signed, "alice's signed refusal is still listed")
}

// TestReviewPolicyOfACRLFCheckout: a page checked out with CRLF line
// ends (Git for Windows' autocrlf) is hashed as a browser hashes it,
// its line breaks LF.
func TestReviewPolicyOfACRLFCheckout(t *testing.T) {
	lf := []byte("<style>\na {}\n</style><script>\nlet a = 1;\n</script>\n")
	crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
	_, want := explorerPolicy(lf)
	page, got := explorerPolicy(crlf)
	assert.Equal(t, want, got)
	assert.NotContains(t, string(page), "\r")
}
