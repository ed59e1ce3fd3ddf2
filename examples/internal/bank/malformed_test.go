package bank_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/blockchain"
	"github.com/eventchain/eventchain/blockchain/consensustest"
	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
)

// validTx is the transaction of validBody: alice's first transfer to bob.
var validTx = consensustest.TransferFee("alice", "bob", 125, 1, 0)

// validFields are validBody's fields, in order, each written as a client
// writes it: "name":value. The malformed bodies below change one of them.
var validFields = []string{
	`"chainId":"` + validTx.ChainID() + `"`,
	`"from":"` + validTx.From().String() + `"`,
	`"to":"` + validTx.To().String() + `"`,
	`"amount":125`,
	`"fee":1`,
	`"nonce":0`,
	`"publicKey":"` + validTx.PublicKey().String() + `"`,
	`"signature":"` + signatureHex(validTx) + `"`,
}

// validBody is a transaction the bank accepts; the malformed requests
// below that are not about the body send it, so that only their one fault
// is refused.
var validBody = body(validFields...)

// maxDetail bounds a problem's detail: an answer never echoes a hostile
// request back whole.
const maxDetail = 512

func signatureHex(tx blockchain.Transaction) string {
	sig := tx.Signature()
	return hex.EncodeToString(sig[:])
}

// body returns a transaction request with the given fields, in order,
// written as they are: the way to spell a malformed one.
func body(fields ...string) string { return "{" + strings.Join(fields, ",") + "}" }

// with returns validBody with the value of the field name replaced by
// value, written as it is.
func with(name, value string) string {
	fields := make([]string, len(validFields))
	for i, f := range validFields {
		if strings.HasPrefix(f, `"`+name+`":`) {
			f = `"` + name + `":` + value
		}
		fields[i] = f
	}
	return body(fields...)
}

// without returns validBody without the field name.
func without(name string) string {
	var fields []string
	for _, f := range validFields {
		if !strings.HasPrefix(f, `"`+name+`":`) {
			fields = append(fields, f)
		}
	}
	return body(fields...)
}

// plus returns validBody with more fields after its own.
func plus(extra ...string) string {
	return body(append(append([]string(nil), validFields...), extra...)...)
}

// renamed returns validBody with the field name spelled as other.
func renamed(name, other string) string {
	fields := make([]string, len(validFields))
	for i, f := range validFields {
		if v, ok := strings.CutPrefix(f, `"`+name+`":`); ok {
			f = `"` + other + `":` + v
		}
		fields[i] = f
	}
	return body(fields...)
}

// Written forms near validTx's: an address with its checksum broken, the
// same in upper case, the key in upper case.
var (
	fromText     = validTx.From().String()
	badChecksum  = breakChecksum(fromText)
	upperAddress = "ec" + strings.ToUpper(fromText[2:])
	keyText      = validTx.PublicKey().String()
	sigText      = signatureHex(validTx)
)

// breakChecksum changes the last digit of a written address, which is
// part of its checksum.
func breakChecksum(address string) string {
	last := byte('0')
	if address[len(address)-1] == '0' {
		last = '1'
	}
	return address[:len(address)-1] + string(last)
}

// A malformedRequest is a request no well-behaved client sends, and the
// answer it must get.
type malformedRequest struct {
	name        string
	method      string // "" means POST
	path        string // "" means /transactions
	contentType string // "" means application/json; "-" none
	body        string
	header      []string // name, value, …
	chunked     bool     // send the body without a Content-Length
	status      int
	field       string // the problem's field, for a 400
	detail      string // in the problem's detail, if set
}

// malformedRequests is the corpus TestMalformedRequests replays: bodies,
// content types, headers, methods and paths.
var malformedRequests = []malformedRequest{
	// Bodies that are not one JSON object.
	{name: "empty body", body: "", status: 400},
	{name: "white space only", body: " \r\n\t", status: 400},
	{name: "null", body: "null", status: 400},
	{name: "an array", body: "[]", status: 400},
	{name: "the object in an array", body: "[" + validBody + "]", status: 400},
	{name: "a string", body: `"alice"`, status: 400},
	{name: "a number", body: "125", status: 400},
	{name: "cut short", body: validBody[:len(validBody)-1], status: 400},
	{name: "cut short in a string", body: validBody[:len(validBody)/2], status: 400},
	{name: "no colon", body: strings.Replace(validBody, `"chainId":`, `"chainId" `, 1), status: 400, field: "chainId"},
	{name: "trailing comma", body: validBody[:len(validBody)-1] + ",}", status: 400},
	{name: "single quotes", body: strings.ReplaceAll(validBody, `"`, "'"), status: 400},
	{name: "unquoted names", body: strings.Replace(validBody, `"chainId"`, `chainId`, 1), status: 400},
	{name: "a comment", body: validBody[:len(validBody)-1] + " /* note */}", status: 400},
	{name: "a byte order mark", body: "\ufeff" + validBody, status: 400},

	// Data after the object.
	{name: "a second object", body: validBody + validBody, status: 400},
	{name: "an empty object after the object", body: validBody + " {}", status: 400},
	{name: "garbage after the object", body: validBody + " x", status: 400},
	{name: "a NUL after the object", body: validBody + "\x00", status: 400},

	// Values in a spelling the API does not write.
	{name: "a fee of -0", body: with("fee", "-0"), status: 400, field: "fee"},
	{name: "a digit after a number and a space", body: with("amount", "12 3"), status: 400},
	{name: "a digit where a name should be", body: strings.Replace(validBody, `,"fee"`, `,7,"fee"`, 1), status: 400},
	{name: "the id as a URN", body: plus(`"id":"urn:uuid:` + validTx.ID().String() + `"`), status: 400, field: "id"},
	{name: "the id in braces", body: plus(`"id":"{` + validTx.ID().String() + `}"`), status: 400, field: "id"},
	{name: "the id without dashes", body: plus(`"id":"` + strings.ReplaceAll(validTx.ID().String(), "-", "") + `"`), status: 400, field: "id"},
	{name: "the id in upper case", body: plus(`"id":"` + strings.ToUpper(validTx.ID().String()) + `"`), status: 400, field: "id"},
	{name: "the hash in upper case", body: plus(`"hash":"` + strings.ToUpper(validTx.Hash().String()) + `"`), status: 400, field: "hash"},

	// Fields unknown, repeated, missing or in another case.
	{name: "unknown field", body: plus(`"memo":"rent"`), status: 400, field: "memo"},
	{name: "the old field time", body: plus(`"timestamp":"2026-03-01T12:00:00Z"`), status: 400, field: "timestamp"},
	{name: "a name in another case", body: renamed("from", "From"), status: 400, field: "From"},
	{name: "chainId in another case", body: renamed("chainId", "chainID"), status: 400, field: "chainID"},
	{name: "publicKey in snake case", body: renamed("publicKey", "public_key"), status: 400, field: "public_key"},
	{name: "an empty name", body: plus(`"":1`), status: 400},
	{name: "a huge unknown name", body: plus(`"` + strings.Repeat("x", 5000) + `":1`), status: 400, field: strings.Repeat("x", 64) + "…"},
	{name: "chainId twice", body: plus(`"chainId":"eventchain-test"`), status: 400, field: "chainId"},
	{name: "from twice", body: plus(`"from":"` + consensustest.Addr("mallory").String() + `"`), status: 400, field: "from"},
	{name: "to twice", body: plus(`"to":"` + consensustest.Addr("mallory").String() + `"`), status: 400, field: "to"},
	{name: "amount twice", body: plus(`"amount":1000000`), status: 400, field: "amount"},
	{name: "amount twice, spelled with an escape", body: plus(`"amoun\u0074":1000000`), status: 400, field: "amount"},
	{name: "nonce twice", body: plus(`"nonce":1`), status: 400, field: "nonce"},
	{name: "signature twice", body: plus(`"signature":"` + sigText + `"`), status: 400, field: "signature"},
	{name: "an empty object", body: "{}", status: 400, field: "chainId"},
	{name: "no chainId", body: without("chainId"), status: 400, field: "chainId"},
	{name: "no from", body: without("from"), status: 400, field: "from"},
	{name: "no to", body: without("to"), status: 400, field: "to"},
	{name: "no amount", body: without("amount"), status: 400, field: "amount"},
	{name: "no fee", body: without("fee"), status: 400, field: "fee"},
	{name: "no nonce", body: without("nonce"), status: 400, field: "nonce"},
	{name: "no publicKey", body: without("publicKey"), status: 400, field: "publicKey"},
	{name: "no signature", body: without("signature"), status: 400, field: "signature"},
	{name: "the old request", body: `{"from":"alice","to":"bob","amount":125}`, status: 400, field: "from"},

	// Values of the wrong kind, or null.
	{name: "chainId a number", body: with("chainId", "7"), status: 400, field: "chainId"},
	{name: "chainId null", body: with("chainId", "null"), status: 400, field: "chainId"},
	{name: "from an object", body: with("from", `{"address":"`+fromText+`"}`), status: 400, field: "from"},
	{name: "from an array", body: with("from", `["`+fromText+`"]`), status: 400, field: "from"},
	{name: "from deeply nested", body: with("from", strings.Repeat("[", 4000)+strings.Repeat("]", 4000)), status: 400, field: "from"},
	{name: "from null", body: with("from", "null"), status: 400, field: "from"},
	{name: "to a boolean", body: with("to", "true"), status: 400, field: "to"},
	{name: "to a number", body: with("to", "7"), status: 400, field: "to"},
	{name: "publicKey null", body: with("publicKey", "null"), status: 400, field: "publicKey"},
	{name: "publicKey an array of bytes", body: with("publicKey", "[1,2,3]"), status: 400, field: "publicKey"},
	{name: "signature a number", body: with("signature", "0"), status: 400, field: "signature"},
	{name: "signature null", body: with("signature", "null"), status: 400, field: "signature"},

	// Numbers that are not an integer within range.
	{name: "amount null", body: with("amount", "null"), status: 400, field: "amount"},
	{name: "amount a string", body: with("amount", `"125"`), status: 400, field: "amount"},
	{name: "amount a boolean", body: with("amount", "true"), status: 400, field: "amount"},
	{name: "amount a fraction", body: with("amount", "1.5"), status: 400, field: "amount"},
	{name: "amount a whole fraction", body: with("amount", "125.0"), status: 400, field: "amount"},
	{name: "amount an exponent", body: with("amount", "1e3"), status: 400, field: "amount"},
	{name: "amount an upper-case exponent", body: with("amount", "1E+3"), status: 400, field: "amount"},
	{name: "amount a negative exponent", body: with("amount", "125000e-3"), status: 400, field: "amount"},
	{name: "amount past int64", body: with("amount", "9223372036854775808"), status: 400, field: "amount"},
	{name: "amount below int64", body: with("amount", "-9223372036854775809"), status: 400, field: "amount"},
	{name: "amount of 10000 digits", body: with("amount", strings.Repeat("9", 10000)), status: 400, field: "amount"},
	{name: "amount hexadecimal", body: with("amount", "0x7d"), status: 400}, // the JSON breaks after the number 0
	{name: "amount with a plus sign", body: with("amount", "+125"), status: 400, field: "amount"},
	{name: "amount with a leading zero", body: with("amount", "0125"), status: 400, field: "amount"}, // the JSON breaks after the number 0
	{name: "amount NaN", body: with("amount", "NaN"), status: 400, field: "amount"},
	{name: "amount Infinity", body: with("amount", "Infinity"), status: 400, field: "amount"},
	{name: "fee a string", body: with("fee", `"1"`), status: 400, field: "fee"},
	{name: "fee a fraction", body: with("fee", "0.5"), status: 400, field: "fee"},
	{name: "fee past int64", body: with("fee", "9223372036854775808"), status: 400, field: "fee"},
	{name: "fee null", body: with("fee", "null"), status: 400, field: "fee"},
	{name: "nonce negative", body: with("nonce", "-1"), status: 400, field: "nonce"},
	{name: "nonce past uint64", body: with("nonce", "18446744073709551616"), status: 400, field: "nonce"},
	{name: "nonce an exponent", body: with("nonce", "0e0"), status: 400, field: "nonce"},
	{name: "nonce a string", body: with("nonce", `"0"`), status: 400, field: "nonce"},
	{name: "nonce null", body: with("nonce", "null"), status: 400, field: "nonce"},

	// Addresses that are not one.
	{name: "from with a broken checksum", body: with("from", `"`+badChecksum+`"`), status: 400, field: "from"},
	{name: "from in upper case", body: with("from", `"`+upperAddress+`"`), status: 400, field: "from"},
	{name: "from without its prefix", body: with("from", `"`+fromText[2:]+`"`), status: 400, field: "from"},
	{name: "from a name", body: with("from", `"alice"`), status: 400, field: "from"},
	{name: "to cut short", body: with("to", `"`+fromText[:len(fromText)-2]+`"`), status: 400, field: "to"},
	{name: "to empty", body: with("to", `""`), status: 400, field: "to"},
	{name: "to with white space", body: with("to", `" `+validTx.To().String()+`"`), status: 400, field: "to"},

	// Keys and signatures that are not lower-case hex of the right length.
	{name: "publicKey in upper case", body: with("publicKey", `"`+strings.ToUpper(keyText)+`"`), status: 400, field: "publicKey"},
	{name: "publicKey short", body: with("publicKey", `"`+keyText[:62]+`"`), status: 400, field: "publicKey"},
	{name: "publicKey long", body: with("publicKey", `"`+keyText+`00"`), status: 400, field: "publicKey"},
	{name: "publicKey in base64", body: with("publicKey", `"wPLoTirHaExdAu6TPj/Be8Yn/7t8wWRtzXP9CwFaXvM="`), status: 400, field: "publicKey"},
	{name: "signature short", body: with("signature", `"`+sigText[:126]+`"`), status: 400, field: "signature"},
	{name: "signature of an odd length", body: with("signature", `"`+sigText[:127]+`"`), status: 400, field: "signature"},
	{name: "signature long", body: with("signature", `"`+sigText+`00"`), status: 400, field: "signature"},
	{name: "signature in upper case", body: with("signature", `"`+strings.ToUpper(sigText)+`"`), status: 400, field: "signature"},
	{name: "signature with a non-hex digit", body: with("signature", `"`+sigText[:127]+`g"`), status: 400, field: "signature"},
	{name: "signature empty", body: with("signature", `""`), status: 400, field: "signature"},

	// An id or a hash that is not the transaction's.
	{name: "id of another transaction", body: plus(`"id":"` + consensustest.Transfer("alice", "bob", 126, 0).ID().String() + `"`), status: 400, field: "id"},
	{name: "id not a UUID", body: plus(`"id":"tx-1"`), status: 400, field: "id"},
	{name: "id null", body: plus(`"id":null`), status: 400, field: "id"},
	{name: "hash of another transaction", body: plus(`"hash":"` + consensustest.Transfer("alice", "bob", 126, 0).Hash().String() + `"`), status: 400, field: "hash"},
	{name: "hash of zeros", body: plus(`"hash":"` + strings.Repeat("0", 64) + `"`), status: 400, field: "hash"},
	{name: "hash short", body: plus(`"hash":"` + validTx.Hash().String()[:63] + `"`), status: 400, field: "hash"},
	{name: "id twice", body: plus(`"id":"`+validTx.ID().String()+`"`, `"id":"`+validTx.ID().String()+`"`), status: 400, field: "id"},

	// Strings that are not valid UTF-8, or not valid JSON strings.
	{name: "invalid UTF-8 in chainId", body: with("chainId", "\"eventchain\xff\""), status: 400, field: "chainId"},
	{name: "an overlong encoding in from", body: with("from", "\"ec\xc0\xaf\""), status: 400, field: "from"},
	{name: "a rune cut short in to", body: with("to", "\"ec\xe2\x82\""), status: 400, field: "to"},
	{name: "a surrogate in UTF-8 in chainId", body: with("chainId", "\"eventchain\xed\xa0\x80\""), status: 400, field: "chainId"},
	{name: "a lone high surrogate escape", body: with("chainId", `"eventchain\ud800"`), status: 400, field: "chainId"},
	{name: "a lone low surrogate escape", body: with("publicKey", `"\udc00"`), status: 400, field: "publicKey"},
	{name: "surrogates in the wrong order", body: with("signature", `"\udc00\ud800"`), status: 400, field: "signature"},
	{name: "invalid UTF-8 in a name", body: renamed("from", "fr\xffom"), status: 400},
	{name: "an invalid escape", body: with("chainId", `"eventchain\-test"`), status: 400, field: "chainId"},
	{name: "a raw control character", body: with("chainId", "\"eventchain\t-test\""), status: 400, field: "chainId"},

	// Strings that are valid JSON but not a valid chain ID: the rules
	// refuse them, without echoing them back.
	{name: "an escaped NUL in chainId", body: with("chainId", `"eventchain-test\u0000"`), status: 400, field: "chainId"},
	{name: "a huge chainId", body: with("chainId", `"`+strings.Repeat("a", 15000)+`"`), status: 400, field: "chainId"},
	{name: "a huge chainId of many-byte runes", body: with("chainId", `"`+strings.Repeat("€", 4000)+`"`), status: 400, field: "chainId"},
	{name: "a huge chainId of escapes", body: with("chainId", `"`+strings.Repeat(`\u00e9`, 2000)+`"`), status: 400, field: "chainId"},

	// Bodies over the limit.
	{name: "over the limit", body: with("chainId", `"`+strings.Repeat("a", 20<<10)+`"`), status: 413},
	{name: "over the limit, white space", body: validBody + strings.Repeat(" ", 20<<10), status: 413},
	{name: "over the limit, chunked", body: strings.Repeat("[", 1<<20), chunked: true, status: 413},

	// Content types and codings.
	{name: "no content type", contentType: "-", body: validBody, status: 415},
	{name: "text/plain", contentType: "text/plain", body: validBody, status: 415},
	{name: "text/json", contentType: "text/json", body: validBody, status: 415},
	{name: "a form", contentType: "application/x-www-form-urlencoded", body: "from=alice&to=bob&amount=1", status: 415},
	{name: "multipart", contentType: "multipart/form-data; boundary=x", body: "--x\r\n\r\n" + validBody + "\r\n--x--", status: 415},
	{name: "JSON in UTF-16", contentType: "application/json; charset=utf-16", body: validBody, status: 415},
	{name: "JSON in Latin-1", contentType: "application/json; charset=iso-8859-1", body: validBody, status: 415},
	{name: "a media type that does not parse", contentType: "application/json;;;=", body: validBody, status: 415},
	{name: "a media type with JSON as a prefix", contentType: "application/jsonp", body: validBody, status: 415},
	{name: "gzip", body: validBody, header: []string{"Content-Encoding", "gzip"}, status: 415},
	{name: "gzip after identity, in one field", body: validBody, header: []string{"Content-Encoding", "identity, gzip"}, status: 415, detail: "without a Content-Encoding"},
	{name: "two content types", body: validBody, header: []string{"Content-Type", "text/plain"}, status: 415, detail: "send one Content-Type"},
	{name: "two charsets", contentType: "application/json; charset=utf-8; charset=latin-1", body: validBody, status: 415, detail: "send one charset parameter"},

	// Headers.
	{name: "two Idempotency-Keys", body: validBody, header: []string{"Idempotency-Key", "a", "Idempotency-Key", "b"}, status: 400, field: "Idempotency-Key"},
	{name: "an Idempotency-Key of 256 bytes", body: validBody, header: []string{"Idempotency-Key", strings.Repeat("k", 256)}, status: 400, field: "Idempotency-Key"},

	// Methods.
	{name: "GET /transactions", method: "GET", contentType: "-", status: 405},
	{name: "PUT /transactions", method: "PUT", body: validBody, status: 405},
	{name: "PATCH /transactions", method: "PATCH", body: validBody, status: 405},
	{name: "DELETE /transactions", method: "DELETE", contentType: "-", status: 405},
	{name: "OPTIONS /transactions", method: "OPTIONS", contentType: "-", status: 405},
	{name: "an unknown method", method: "BREW", body: validBody, status: 405},
	{name: "POST /blocks", method: "POST", path: "/blocks", body: validBody, status: 405},
	{name: "DELETE /blocks/1", method: "DELETE", path: "/blocks/1", contentType: "-", status: 405},
	{name: "POST /transactions/{id}", method: "POST", path: "/transactions/3d1e6f0a-7b2c-4d5e-8f90-a1b2c3d4e5f6", body: validBody, status: 405},
	{name: "POST /accounts/{address}", method: "POST", path: "/accounts/" + fromText, body: validBody, status: 405},
	{name: "PUT /chain/spec", method: "PUT", path: "/chain/spec", body: validBody, status: 405},
	{name: "POST /healthz", method: "POST", path: "/healthz", body: validBody, status: 405},
	{name: "HEAD /transactions", method: "HEAD", contentType: "-", status: 405},

	// Paths.
	{name: "an unknown path", method: "GET", path: "/nope", contentType: "-", status: 404},
	{name: "POST to an unknown path", path: "/transaction", body: validBody, status: 404},
	{name: "a path in upper case", path: "/TRANSACTIONS", body: validBody, status: 404},
	{name: "a path below a block", method: "GET", path: "/blocks/1/transactions", contentType: "-", status: 404},
	{name: "a doubled slash", method: "GET", path: "//chain/head", contentType: "-", status: 404},
	{name: "a doubled slash in a POST", path: "//transactions", body: validBody, status: 404},
	{name: "a dot segment", method: "GET", path: "/./chain/head", contentType: "-", status: 404},
	{name: "an empty ID segment", method: "GET", path: "/transactions//proof", contentType: "-", status: 404},
	{name: "a dot-dot segment", method: "GET", path: "/blocks/../chain/head", contentType: "-", status: 404},
	{name: "HEAD an unknown path", method: "HEAD", path: "/nope", contentType: "-", status: 404},
	{name: "a transaction ID that is not a UUID", method: "GET", path: "/transactions/not-a-uuid", contentType: "-", status: 400, field: "id"},
	{name: "a transaction ID with a NUL", method: "GET", path: "/transactions/%00", contentType: "-", status: 400, field: "id"},
	{name: "a transaction ID of 8000 bytes", method: "GET", path: "/transactions/" + strings.Repeat("a", 8000), contentType: "-", status: 400, field: "id"},
	{name: "a proof of no UUID", method: "GET", path: "/transactions/not-a-uuid/proof", contentType: "-", status: 400, field: "id"},
	{name: "a negative height", method: "GET", path: "/blocks/-1", contentType: "-", status: 400, field: "ref"},
	{name: "a height past uint64", method: "GET", path: "/blocks/18446744073709551616", contentType: "-", status: 400, field: "ref"},
	{name: "a hash with a bad digit", method: "GET", path: "/blocks/" + strings.Repeat("ab", 31) + "zz", contentType: "-", status: 400, field: "ref"},
	{name: "a negative limit", method: "GET", path: "/blocks?limit=-1", contentType: "-", status: 400, field: "limit"},
	{name: "a limit with an exponent", method: "GET", path: "/blocks?limit=1e1", contentType: "-", status: 400, field: "limit"},
	{name: "a from with invalid UTF-8", method: "GET", path: "/blocks?from=%ff", contentType: "-", status: 400, field: "from"},
	{name: "an account of no address", method: "GET", path: "/accounts/alice", contentType: "-", status: 400, field: "address"},
	{name: "an account with a broken checksum", method: "GET", path: "/accounts/" + badChecksum, contentType: "-", status: 400, field: "address"},
	{name: "an account in upper case", method: "GET", path: "/accounts/" + upperAddress, contentType: "-", status: 400, field: "address"},
	{name: "an account of 8000 bytes", method: "GET", path: "/accounts/ec" + strings.Repeat("0", 8000), contentType: "-", status: 400, field: "address"},
	{name: "the history of no address", method: "GET", path: "/accounts/alice/transactions", contentType: "-", status: 400, field: "address"},
	{name: "a history limit of zero", method: "GET", path: "/accounts/" + fromText + "/transactions?limit=0", contentType: "-", status: 400, field: "limit"},
	{name: "a history cursor of text", method: "GET", path: "/accounts/" + fromText + "/transactions?before=x", contentType: "-", status: 400, field: "before"},
	{name: "the proof of no address", method: "GET", path: "/accounts/alice/proof", contentType: "-", status: 400, field: "address"},
	{name: "a proof height of text", method: "GET", path: "/accounts/" + fromText + "/proof?height=tip", contentType: "-", status: 400, field: "height"},
}

// send sends m to the fixture's server without following
// redirects. A handler that panicked would make net/http drop the
// connection, and send fail.
func (f *fixture) send(t *testing.T, m malformedRequest) (int, http.Header, []byte) {
	t.Helper()
	method, path, contentType := cmpOr(m.method, http.MethodPost), cmpOr(m.path, "/transactions"), cmpOr(m.contentType, "application/json")
	var payload io.Reader = strings.NewReader(m.body)
	if m.chunked {
		payload = io.MultiReader(payload) // hides the length: the client sends chunks
	}
	req, err := http.NewRequest(method, f.server.URL+path, payload)
	require.NoError(t, err)
	if contentType != "-" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(m.header); i += 2 {
		req.Header.Add(m.header[i], m.header[i+1]) // Add: a case may send a header twice
	}
	client := *f.server.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	require.NoError(t, err, "the server dropped the connection: did the handler panic?")
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, data
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestMalformedRequests replays the malformed corpus through a real HTTP
// server. Every request is refused with a 4xx problem detail that has a
// title (and names the field at fault, where there is one); the server
// keeps answering; and nothing refused reaches the log. Afterwards a valid
// transaction still goes through.
func TestMalformedRequests(t *testing.T) {
	require.GreaterOrEqual(t, len(malformedRequests), 50)
	f := newFixture(t, 0)
	for _, m := range malformedRequests {
		t.Run(m.name, func(t *testing.T) {
			status, header, data := f.send(t, m)
			assert.Equal(t, m.status, status, "%s", data)
			assertProblem(t, cmpOr(m.method, http.MethodPost), status, header, data, m.field)
			if status == http.StatusMethodNotAllowed {
				assert.NotEmpty(t, header.Get("Allow"), "a 405 says what is allowed")
			}
			if status == http.StatusUnsupportedMediaType {
				assert.Equal(t, "identity", header.Get("Accept-Encoding"), "a 415 says which codings the bank reads")
			}
			if m.detail != "" {
				assert.Contains(t, decode[bank.Problem](t, data).Detail, m.detail)
			}
			healthy, _, _ := f.do(t, http.MethodGet, "/healthz", "", "")
			assert.Equal(t, http.StatusOK, healthy, "the server keeps answering")
		})
	}
	assertLogUntouched(t, f)
	assertStillWorks(t, f)
}

// TestWellFormedBodies posts validTx written in the ways a client may
// write it — with or without its id and hash, in another order, indented,
// with escapes, with a charset — and each is the same transaction: 202,
// its ID, and one event in the log.
func TestWellFormedBodies(t *testing.T) {
	f := newFixture(t, 0)
	indented, err := json.MarshalIndent(validTx, "", "\t")
	require.NoError(t, err)
	reversed := slices.Clone(validFields)
	slices.Reverse(reversed)
	for _, tc := range []struct {
		name, contentType, body string
		header                  []string
	}{
		{"the fields alone", "application/json", validBody, nil},
		{"with id and hash", "application/json", txJSON(t, validTx), nil},
		{"with the id alone", "application/json", plus(`"id":"` + validTx.ID().String() + `"`), nil},
		{"in reverse order", "application/json", body(reversed...), nil},
		{"indented", "application/json", string(indented), nil},
		{"white space around", "application/json", " \r\n" + validBody + "\n\t ", nil},
		{"an escape in chainId", "application/json", with("chainId", `"\u0065ventchain-test"`), nil},
		{"a charset", "application/json; charset=UTF-8", validBody, nil},
		{"the identity coding", "application/json", validBody, []string{"Content-Encoding", "identity"}},
		// Empty list elements do not count (RFC 9110 §5.6.1).
		{"the identity coding, with an empty element", "application/json", validBody, []string{"Content-Encoding", "identity, "}},
		{"an empty Content-Encoding", "application/json", validBody, []string{"Content-Encoding", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, data := f.do(t, http.MethodPost, "/transactions", tc.contentType, tc.body, tc.header...)
			require.Equal(t, http.StatusAccepted, status, "%s", data)
			st := decode[bank.TransactionStatus](t, data)
			assert.Equal(t, validTx.ID(), st.ID)
			assert.Equal(t, bank.StatusPending, st.Status)
		})
	}
	assert.Equal(t, 1, f.streamLen(t, node.StreamTransactions))
	assert.Equal(t, 1, f.node.Pool().Len())
}

// assertProblem checks the answer to a malformed request: no 5xx, and a
// 4xx is a problem detail with a title, the status and the field at
// fault, and a short detail. A HEAD answer has no body to check.
func assertProblem(t *testing.T, method string, status int, header http.Header, data []byte, field string) {
	t.Helper()
	require.Less(t, status, 500, "%s", data)
	if status < 400 {
		return
	}
	assert.Equal(t, "application/problem+json", header.Get("Content-Type"))
	if method == http.MethodHead {
		return
	}
	p := decode[bank.Problem](t, data)
	assert.NotEmpty(t, p.Title)
	assert.Equal(t, status, p.Status)
	assert.LessOrEqual(t, len(p.Detail), maxDetail, "%s", p.Detail)
	if status == http.StatusBadRequest {
		assert.Equal(t, field, p.Field, "%s", p.Detail)
	}
}

// assertLogUntouched checks that nothing reached the log or the pool.
func assertLogUntouched(t *testing.T, f *fixture) {
	t.Helper()
	for _, stream := range []string{node.StreamTransactions, node.StreamBlocks} {
		_, err := f.log.Read(context.Background(), stream, eventlog.Start, eventlog.Forwards, 1)
		assert.ErrorIs(t, err, eventlog.ErrStreamNotFound, "nothing malformed reached the %s stream", stream)
	}
	assert.Zero(t, f.node.Pool().Len(), "nothing malformed reached the pool")
}

// assertStillWorks submits a valid transaction, which must be pending.
func assertStillWorks(t *testing.T, f *fixture) {
	t.Helper()
	status, _, data := f.post(t, validBody)
	require.Equal(t, http.StatusAccepted, status, "%s", data)
	st := decode[bank.TransactionStatus](t, data)
	assert.Equal(t, validTx.ID(), st.ID)
	assert.True(t, f.node.Pool().Has(st.ID), "the valid transaction pending")
}

// rawRequests are requests a Go client will not send: broken HTTP, sent
// as bytes. Those net/http refuses before the bank sees them
// (byServer) get net/http's own plain-text answer; the rest reach the
// bank and get a problem detail.
var rawRequests = []struct {
	name     string
	request  string
	status   int
	byServer bool
}{
	{"a body shorter than its Content-Length", "POST /transactions HTTP/1.1\r\nHost: bank\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(validBody)+100) + "\r\n\r\n" + validBody, 400, false},
	{"a broken chunk", "POST /transactions HTTP/1.1\r\nHost: bank\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + validBody + "\r\n0\r\n\r\n", 400, false},
	{"two Content-Lengths", "POST /transactions HTTP/1.1\r\nHost: bank\r\nContent-Type: application/json\r\nContent-Length: 40\r\nContent-Length: 41\r\n\r\n" + validBody, 400, true},
	{"a header without a colon", "POST /transactions HTTP/1.1\r\nHost: bank\r\nContent-Type application/json\r\n\r\n", 400, true},
	{"a request line of garbage", "\x00\x01\x02 / HTTP/1.1\r\nHost: bank\r\n\r\n", 400, true},
	{"no Host", "POST /transactions HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n" + validBody, 400, true},
	// curl's way with a large body: the 413 comes at once, with no "100
	// Continue" inviting a body that the server would then cut off.
	{"a body announced too large, expecting 100-continue", "POST /transactions HTTP/1.1\r\nHost: bank\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\nExpect: 100-continue\r\n\r\n", 413, false},
}

// TestRawMalformedRequests sends broken HTTP over a raw connection: no
// answer is a 5xx from the bank, and the server keeps answering.
func TestRawMalformedRequests(t *testing.T) {
	f := newFixture(t, 0)
	for _, tc := range rawRequests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", f.server.Listener.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(watchdog)))
			_, err = io.WriteString(conn, tc.request)
			require.NoError(t, err)
			require.NoError(t, conn.(*net.TCPConn).CloseWrite(), "the body ends here")
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if !errors.Is(err, net.ErrClosed) {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.status, resp.StatusCode, "%s", data)
			if !tc.byServer {
				assertProblem(t, http.MethodPost, resp.StatusCode, resp.Header, data, "")
			}
			healthy, _, _ := f.do(t, http.MethodGet, "/healthz", "", "")
			assert.Equal(t, http.StatusOK, healthy, "the server keeps answering")
		})
	}
	assertLogUntouched(t, f)
	assertStillWorks(t, f)
}
