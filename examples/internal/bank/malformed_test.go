package bank_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventchain/eventchain/eventlog"
	"github.com/eventchain/eventchain/examples/internal/bank"
	"github.com/eventchain/eventchain/node"
	"github.com/eventchain/eventchain/node/nodetest"
)

// validBody is a transaction the bank accepts; the malformed requests
// below that are not about the body send it, so that only their one fault
// is refused.
const validBody = `{"from":"alice","to":"bob","amount":125}`

// maxDetail bounds a problem's detail: an answer never echoes a hostile
// request back whole.
const maxDetail = 512

// A malformedRequest is a request no well-behaved client sends, and the
// answer it must get.
type malformedRequest struct {
	name        string
	method      string // "" means POST
	path        string // "" means /transactions
	contentType string // "" means none
	body        string
	header      []string // name, value, …
	chunked     bool     // send the body without a Content-Length
	status      int
	field       string // the problem's field, for a 400 about the body
}

// body returns a transaction request with the given fields, in order,
// written as they are: the way to spell a malformed one.
func body(fields ...string) string { return "{" + strings.Join(fields, ",") + "}" }

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
	{name: "cut short", body: `{"from":"alice","to":"bob","amount":1`, status: 400},
	{name: "cut short in a string", body: `{"from":"ali`, status: 400},
	{name: "no colon", body: `{"from" "alice","to":"bob","amount":1}`, status: 400, field: "from"},
	{name: "trailing comma", body: `{"from":"alice","to":"bob","amount":1,}`, status: 400},
	{name: "single quotes", body: `{'from':'alice','to':'bob','amount':1}`, status: 400},
	{name: "unquoted names", body: `{from:"alice",to:"bob",amount:1}`, status: 400},
	{name: "a comment", body: `{"from":"alice","to":"bob","amount":1 /* note */}`, status: 400},
	{name: "a byte order mark", body: "\ufeff" + validBody, status: 400},
	{name: "a second object", body: validBody + validBody, status: 400},
	{name: "garbage after the object", body: validBody + " x", status: 400},
	{name: "a NUL after the object", body: validBody + "\x00", status: 400},

	// Fields unknown, repeated or missing.
	{name: "unknown field", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":1`, `"fee":2`), status: 400, field: "fee"},
	{name: "a name in another case", body: body(`"From":"alice"`, `"to":"bob"`, `"amount":1`), status: 400, field: "From"},
	{name: "an empty name", body: body(`"":"alice"`, `"to":"bob"`, `"amount":1`), status: 400},
	{name: "a huge unknown name", body: body(`"` + strings.Repeat("x", 5000) + `":1`), status: 400, field: strings.Repeat("x", 64) + "…"},
	{name: "from twice", body: body(`"from":"alice"`, `"to":"bob"`, `"from":"mallory"`, `"amount":1`), status: 400, field: "from"},
	{name: "to twice", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":1`, `"to":"mallory"`), status: 400, field: "to"},
	{name: "amount twice", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":1`, `"amount":1000000`), status: 400, field: "amount"},
	{name: "amount twice, spelled with an escape", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":1`, `"amoun\u0074":1000000`), status: 400, field: "amount"},
	{name: "an empty object", body: "{}", status: 400, field: "from"},
	{name: "only an amount", body: body(`"amount":1`), status: 400, field: "from"},

	// Values of the wrong kind.
	{name: "from an object", body: body(`"from":{"name":"alice"}`, `"to":"bob"`, `"amount":1`), status: 400, field: "from"},
	{name: "from an array", body: body(`"from":["alice"]`, `"to":"bob"`, `"amount":1`), status: 400, field: "from"},
	{name: "from deeply nested", body: body(`"from":`+strings.Repeat("[", 4000)+strings.Repeat("]", 4000), `"to":"bob"`, `"amount":1`), status: 400, field: "from"},
	{name: "from null", body: body(`"from":null`, `"to":"bob"`, `"amount":1`), status: 400, field: "from"},
	{name: "to a boolean", body: body(`"from":"alice"`, `"to":true`, `"amount":1`), status: 400, field: "to"},
	{name: "to a number", body: body(`"from":"alice"`, `"to":7`, `"amount":1`), status: 400, field: "to"},

	// Amounts that are not an integer within int64.
	{name: "amount null", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":null`), status: 400, field: "amount"},
	{name: "amount a string", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":"125"`), status: 400, field: "amount"},
	{name: "amount a boolean", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":true`), status: 400, field: "amount"},
	{name: "amount a fraction", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":1.5`), status: 400, field: "amount"},
	{name: "amount a whole fraction", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":1.0`), status: 400, field: "amount"},
	{name: "amount an exponent", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":1e3`), status: 400, field: "amount"},
	{name: "amount an upper-case exponent", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":1E+3`), status: 400, field: "amount"},
	{name: "amount a negative exponent", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":1000e-3`), status: 400, field: "amount"},
	{name: "amount past int64", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":9223372036854775808`), status: 400, field: "amount"},
	{name: "amount below int64", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":-9223372036854775809`), status: 400, field: "amount"},
	{name: "amount of 10000 digits", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":`+strings.Repeat("9", 10000)), status: 400, field: "amount"},
	{name: "amount hexadecimal", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":0x10`), status: 400},
	{name: "amount with a plus sign", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":+1`), status: 400, field: "amount"},
	{name: "amount with a leading zero", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":01`), status: 400},
	{name: "amount NaN", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":NaN`), status: 400, field: "amount"},
	{name: "amount Infinity", body: body(`"from":"alice"`, `"to":"bob"`, `"amount":Infinity`), status: 400, field: "amount"},

	// Strings that are not valid UTF-8, or not valid JSON strings.
	{name: "invalid UTF-8 in from", body: body("\"from\":\"ali\xffce\"", `"to":"bob"`, `"amount":1`), status: 400, field: "from"},
	{name: "an overlong encoding in to", body: body(`"from":"alice"`, "\"to\":\"b\xc0\xafb\"", `"amount":1`), status: 400, field: "to"},
	{name: "a rune cut short in from", body: body("\"from\":\"alice\xe2\x82\"", `"to":"bob"`, `"amount":1`), status: 400, field: "from"},
	{name: "a surrogate in UTF-8 in to", body: body(`"from":"alice"`, "\"to\":\"b\xed\xa0\x80\"", `"amount":1`), status: 400, field: "to"},
	{name: "a lone high surrogate escape", body: body(`"from":"alice\ud800"`, `"to":"bob"`, `"amount":1`), status: 400, field: "from"},
	{name: "a lone low surrogate escape", body: body(`"from":"alice"`, `"to":"\udc00bob"`, `"amount":1`), status: 400, field: "to"},
	{name: "surrogates in the wrong order", body: body(`"from":"\udc00\ud800"`, `"to":"bob"`, `"amount":1`), status: 400, field: "from"},
	{name: "invalid UTF-8 in a name", body: body("\"fr\xffom\":\"alice\"", `"to":"bob"`, `"amount":1`), status: 400},
	{name: "an invalid escape", body: body(`"from":"al\ice"`, `"to":"bob"`, `"amount":1`), status: 400, field: "from"},
	{name: "a raw control character", body: body("\"from\":\"al\tice\"", `"to":"bob"`, `"amount":1`), status: 400, field: "from"},

	// Strings that are valid JSON but not valid names: the rules refuse
	// them, without echoing them back.
	{name: "an escaped NUL in to", body: body(`"from":"alice"`, `"to":"bob\u0000"`, `"amount":1`), status: 400, field: "to"},
	{name: "a huge from", body: body(`"from":"`+strings.Repeat("a", 16000)+`"`, `"to":"bob"`, `"amount":1`), status: 400, field: "from"},
	{name: "a huge from, to the same", body: body(`"from":"`+strings.Repeat("a", 8000)+`"`, `"to":"`+strings.Repeat("a", 8000)+`"`, `"amount":1`), status: 400, field: "from"},
	{name: "a huge to of many-byte runes", body: body(`"from":"alice"`, `"to":"`+strings.Repeat("€", 5000)+`"`, `"amount":1`), status: 400, field: "to"},
	{name: "a huge to of escapes", body: body(`"from":"alice"`, `"to":"`+strings.Repeat(`\u00e9`, 2500)+`"`, `"amount":1`), status: 400, field: "to"},

	// Bodies over the limit.
	{name: "over the limit", body: body(`"from":"` + strings.Repeat("a", 20<<10) + `"`), status: 413},
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

	// Headers.
	{name: "an Idempotency-Key of 256 bytes", body: validBody, header: []string{"Idempotency-Key", strings.Repeat("k", 256)}, status: 400},

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
	{name: "POST /healthz", method: "POST", path: "/healthz", body: validBody, status: 405},
	{name: "HEAD /transactions", method: "HEAD", contentType: "-", status: 405},

	// Paths.
	{name: "an unknown path", method: "GET", path: "/nope", contentType: "-", status: 404},
	{name: "POST to an unknown path", path: "/transaction", body: validBody, status: 404},
	{name: "a path in upper case", path: "/TRANSACTIONS", body: validBody, status: 404},
	{name: "a path below a block", method: "GET", path: "/blocks/1/transactions", contentType: "-", status: 404},
	{name: "HEAD an unknown path", method: "HEAD", path: "/nope", contentType: "-", status: 404},
	{name: "a transaction ID that is not a UUID", method: "GET", path: "/transactions/not-a-uuid", contentType: "-", status: 400, field: "id"},
	{name: "a transaction ID with a NUL", method: "GET", path: "/transactions/%00", contentType: "-", status: 400, field: "id"},
	{name: "a transaction ID of 8000 bytes", method: "GET", path: "/transactions/" + strings.Repeat("a", 8000), contentType: "-", status: 400, field: "id"},
	{name: "a negative height", method: "GET", path: "/blocks/-1", contentType: "-", status: 400, field: "ref"},
	{name: "a height past uint64", method: "GET", path: "/blocks/18446744073709551616", contentType: "-", status: 400, field: "ref"},
	{name: "a hash with a bad digit", method: "GET", path: "/blocks/" + strings.Repeat("ab", 31) + "zz", contentType: "-", status: 400, field: "ref"},
	{name: "a negative limit", method: "GET", path: "/blocks?limit=-1", contentType: "-", status: 400, field: "limit"},
	{name: "a limit with an exponent", method: "GET", path: "/blocks?limit=1e1", contentType: "-", status: 400, field: "limit"},
	{name: "a from with invalid UTF-8", method: "GET", path: "/blocks?from=%ff", contentType: "-", status: 400, field: "from"},
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
		req.Header.Set(m.header[i], m.header[i+1])
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
			healthy, _, _ := f.do(t, http.MethodGet, "/healthz", "", "")
			assert.Equal(t, http.StatusOK, healthy, "the server keeps answering")
		})
	}
	assertLogUntouched(t, f)
	assertStillWorks(t, f)
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

// assertStillWorks submits a valid transaction and waits for the node to
// read it into its pool.
func assertStillWorks(t *testing.T, f *fixture) {
	t.Helper()
	status, _, data := f.post(t, validBody)
	require.Equal(t, http.StatusAccepted, status, "%s", data)
	id := decode[bank.TransactionStatus](t, data).ID
	nodetest.WaitFor(t, f.node, "the valid transaction in the pool", func() bool { return f.node.Pool().Has(id) })
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
	{"a body shorter than its Content-Length", "POST /transactions HTTP/1.1\r\nHost: bank\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n" + validBody, 400, false},
	{"a broken chunk", "POST /transactions HTTP/1.1\r\nHost: bank\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + validBody + "\r\n0\r\n\r\n", 400, false},
	{"two Content-Lengths", "POST /transactions HTTP/1.1\r\nHost: bank\r\nContent-Type: application/json\r\nContent-Length: 40\r\nContent-Length: 41\r\n\r\n" + validBody, 400, true},
	{"a header without a colon", "POST /transactions HTTP/1.1\r\nHost: bank\r\nContent-Type application/json\r\n\r\n", 400, true},
	{"a request line of garbage", "\x00\x01\x02 / HTTP/1.1\r\nHost: bank\r\n\r\n", 400, true},
	{"no Host", "POST /transactions HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n" + validBody, 400, true},
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
