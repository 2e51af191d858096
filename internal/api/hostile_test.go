package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/eventchain/eventchain/internal/status"
)

// auditStore counts every store call by kind, the two the API never
// makes included, so a refusal that slipped through to any write shows.
type auditStore struct {
	*countingStore
	mu                          sync.Mutex
	lists, notifies, hopRecords int
}

func (s *auditStore) List(ctx context.Context, q status.ListQuery) (status.ListPage, error) {
	s.mu.Lock()
	s.lists++
	s.mu.Unlock()
	return s.countingStore.List(ctx, q)
}

func (s *auditStore) MarkNotified(ctx context.Context, id string) error {
	s.mu.Lock()
	s.notifies++
	s.mu.Unlock()
	return s.countingStore.MarkNotified(ctx, id)
}

func (s *auditStore) RecordHop(ctx context.Context, id string, h status.Hop) error {
	s.mu.Lock()
	s.hopRecords++
	s.mu.Unlock()
	return s.countingStore.RecordHop(ctx, id, h)
}

// storeCalls is a snapshot of an auditStore's counters.
type storeCalls struct{ creates, advances, claims, notifies, hops, gets, lists int }

func (s *auditStore) calls() storeCalls {
	s.countingStore.mu.Lock()
	c := storeCalls{creates: s.creates, advances: s.advances, claims: s.claims, gets: s.gets}
	s.countingStore.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	c.notifies, c.hops, c.lists = s.notifies, s.hopRecords, s.lists
	return c
}

func (c storeCalls) minus(o storeCalls) storeCalls {
	return storeCalls{c.creates - o.creates, c.advances - o.advances, c.claims - o.claims, c.notifies - o.notifies,
		c.hops - o.hops, c.gets - o.gets, c.lists - o.lists}
}

// What a refused request may do to the store: nothing, read, or lose an
// Idempotency-Key claim (a conditional write that changes nothing).
const (
	touchNothing = iota
	touchReads
	touchLostClaim
)

// hostileCase is one request the API must refuse.
type hostileCase struct {
	name   string
	req    lambdaevents.APIGatewayV2HTTPRequest
	status int
	code   string
	field  string // "" when the refusal is about no one field
	allow  string // the Allow header of a 405
	store  int    // touchNothing, touchReads or touchLostClaim
}

// TestHostileRequests sends the API requests crafted to break it, each
// through the real handler as API Gateway delivers it, and checks that
// each is refused with its 4xx and a JSON error (code, message and, where
// one field is at fault, its name) while the topic gets nothing and the
// status store keeps what it had. It complements TestPostRefusesBadInput,
// which pins each validation rule: these are the transport, encoding and
// routing tricks a hostile client reaches for.
func TestHostileRequests(t *testing.T) {
	env := newEnv(t)
	audit := &auditStore{countingStore: env.store}
	h, err := New(testConfig(), Deps{Publisher: env.pub, Store: audit, Clock: func() time.Time { return env.now }})
	if err != nil {
		t.Fatal(err)
	}
	env.h = h

	// One request of alice's, under an Idempotency-Key, for the cases
	// that aim at it.
	first, fb := env.do(t, postReq(validBody, "idempotency-key", "order-42"))
	if first.StatusCode != 202 {
		t.Fatalf("setup POST: %d %s", first.StatusCode, first.Body)
	}
	alices := fb["requestId"].(string)
	stored, err := env.store.Store.Get(context.Background(), alices)
	if err != nil {
		t.Fatal(err)
	}
	published := env.pub.callCount()

	tests := hostileCases(alices)
	if len(tests) < 40 {
		t.Fatalf("only %d hostile cases", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := audit.calls()
			resp, err := env.h.Handle(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("Handle returned an error: %v", err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.status, resp.Body)
			}
			if ct := resp.Headers["Content-Type"]; ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			var body struct {
				Error *apiError `json:"error"`
			}
			var members map[string]json.RawMessage
			if err := json.Unmarshal([]byte(resp.Body), &members); err != nil || len(members) != 1 {
				t.Fatalf("body is not {\"error\": …}: %q", resp.Body)
			}
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Error == nil {
				t.Fatalf("body is not a JSON error: %q", resp.Body)
			}
			if body.Error.Code != tt.code || body.Error.Field != tt.field || body.Error.Message == "" {
				t.Errorf("error {code %q, field %q, message %q}, want code %q, field %q and a message",
					body.Error.Code, body.Error.Field, body.Error.Message, tt.code, tt.field)
			}
			if got := resp.Headers["Allow"]; got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			for _, h := range []string{"Location", "Retry-After"} {
				if v, ok := resp.Headers[h]; ok {
					t.Errorf("refusal carries %s: %q", h, v)
				}
			}

			d := audit.calls().minus(before)
			writes := d.creates + d.advances + d.notifies + d.hops
			switch {
			case writes != 0:
				t.Errorf("store written: %+v", d)
			case d.claims != 0 && tt.store != touchLostClaim:
				t.Errorf("Idempotency-Key claimed: %+v", d)
			case d.gets+d.lists != 0 && tt.store == touchNothing:
				t.Errorf("store read for a request refused on its face: %+v", d)
			}
			if n := env.pub.callCount(); n != published {
				t.Errorf("published %d times", n-published)
			}
		})
	}

	// The store holds what it held: alice's one request, as it was, and
	// nothing for anyone else.
	ctx := context.Background()
	for _, caller := range []string{"arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/bob", AnonymousCaller} {
		page, err := env.store.Store.List(ctx, status.ListQuery{Caller: caller, Limit: status.MaxListLimit})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if strings.HasSuffix(caller, "/alice") {
			want = 1
		}
		if len(page.Requests) != want {
			t.Errorf("%s has %d requests after the hostile ones, want %d", caller, len(page.Requests), want)
		}
	}
	after, err := env.store.Store.Get(ctx, alices)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != stored.Status || len(after.History) != len(stored.History) || string(after.Event) != string(stored.Event) {
		t.Errorf("alice's request changed:\n%+v\nwas\n%+v", after, stored)
	}
}

func hostileCases(alices string) []hostileCase {
	ok := launchWith("")
	b64 := func(r lambdaevents.APIGatewayV2HTTPRequest) lambdaevents.APIGatewayV2HTTPRequest {
		r.IsBase64Encoded = true
		return r
	}
	route := func(method, path string) lambdaevents.APIGatewayV2HTTPRequest {
		r := postReq(ok)
		r.RouteKey, r.RequestContext.RouteKey = "$default", "$default"
		r.RawPath, r.RequestContext.HTTP.Path, r.RequestContext.HTTP.Method = path, path, method
		return r
	}
	get := func(id string) lambdaevents.APIGatewayV2HTTPRequest {
		r := getReq(id)
		r.RouteKey, r.RequestContext.RouteKey, r.PathParameters = "$default", "$default", nil
		return r
	}
	list := func(params map[string]string) lambdaevents.APIGatewayV2HTTPRequest {
		r := route("GET", "/launches")
		r.Body, r.Headers, r.QueryStringParameters = "", map[string]string{}, params
		return r
	}
	withoutIdentity := func(r lambdaevents.APIGatewayV2HTTPRequest) lambdaevents.APIGatewayV2HTTPRequest {
		r.RequestContext.Authorizer = nil
		return r
	}
	utf16le := func(s string) string {
		var b strings.Builder
		for _, u := range utf16.Encode([]rune(s)) {
			b.WriteByte(byte(u))
			b.WriteByte(byte(u >> 8))
		}
		return b.String()
	}
	// A body that is well-formed and within the limit, then padded past it.
	padded := ok + strings.Repeat(" ", MaxBodyBytes)
	lookalike := strings.NewReplacer("0", "０", "a", "а").Replace(alices) // fullwidth zero, Cyrillic a

	return []hostileCase{
		// Size.
		{name: "body one byte over 64 KiB, valid JSON plus spaces", req: postReq(padded[:MaxBodyBytes+1]), status: 413, code: CodeBodyTooLarge},
		{name: "body of 8 MiB of brackets", req: postReq(strings.Repeat("[", 8<<20)), status: 413, code: CodeBodyTooLarge},
		{name: "base64 body whose encoding is over the bound", req: b64(postReq(base64.StdEncoding.EncodeToString([]byte(padded)))), status: 413, code: CodeBodyTooLarge},

		// Nesting.
		{name: "top-level arrays 30000 deep", req: postReq(strings.Repeat("[", 30000) + strings.Repeat("]", 30000)), status: 400, code: CodeMalformedJSON, field: strings.Repeat("[0]", maxJSONDepth+1)},
		{name: "objects nested in a tag value", req: postReq(launchWith(`"tags":{"a":` + strings.Repeat(`{"a":`, 20) + `1` + strings.Repeat("}", 20) + `}`)), status: 400, code: CodeMalformedJSON, field: "tags" + strings.Repeat(".a", maxJSONDepth)},
		{name: "unclosed nesting", req: postReq(strings.Repeat(`{"a":`, 10)), status: 400, code: CodeMalformedJSON, field: strings.TrimPrefix(strings.Repeat(".a", 10), ".")},

		// Trailing data.
		{name: "a second document", req: postReq(ok + "\n" + ok), status: 400, code: CodeMalformedJSON},
		{name: "a stray closing brace", req: postReq(ok + "}"), status: 400, code: CodeMalformedJSON},
		{name: "a stray closing bracket", req: postReq(ok + "]"), status: 400, code: CodeMalformedJSON},
		{name: "a NUL after the value", req: postReq(ok + "\x00"), status: 400, code: CodeMalformedJSON},
		{name: "a comment after the value", req: postReq(ok + " // launch"), status: 400, code: CodeMalformedJSON},

		// Duplicate keys, however spelled.
		{name: "duplicate count, the second one larger", req: postReq(`{"imageId":"ami-0123456789abcdef0","instanceType":"t3.micro","count":1,"count":1000}`), status: 400, code: CodeMalformedJSON, field: "count"},
		{name: "duplicate key spelled with an escape", req: postReq(`{"imageId":"ami-0123456789abcdef0","instanceType":"t3.micro","count":1,"c\u006funt":2}`), status: 400, code: CodeMalformedJSON, field: "count"},
		{name: "duplicate key in another case", req: postReq(`{"imageId":"ami-0123456789abcdef0","instanceType":"t3.micro","count":1,"Count":2}`), status: 400, code: CodeUnknownField, field: "Count"},

		// Encoding.
		{name: "invalid UTF-8 in a tag value", req: postReq(launchWith(`"tags":{"team":"` + "\xc3\x28" + `"}`)), status: 400, code: CodeMalformedJSON},
		{name: "overlong UTF-8 for a slash in the image id", req: postReq(launchWith(`"imageId":"ami-` + "\xc0\xaf" + `12345678"`)), status: 400, code: CodeMalformedJSON},
		{name: "UTF-8 encoded surrogate", req: postReq(launchWith(`"keyName":"` + "\xed\xa0\x80" + `"`)), status: 400, code: CodeMalformedJSON},
		{name: "lone surrogate escape in a tag value", req: postReq(launchWith(`"tags":{"team":"\udbff"}`)), status: 400, code: CodeMalformedJSON, field: "tags.team"},
		{name: "byte order mark before the body", req: postReq("\ufeff" + ok), status: 400, code: CodeMalformedJSON},
		{name: "UTF-16 body declared as JSON", req: postReq(utf16le(ok)), status: 400, code: CodeMalformedJSON},
		{name: "NUL inside a string", req: postReq(launchWith(`"keyName":"a` + "\x00" + `b"`)), status: 400, code: CodeMalformedJSON, field: "keyName"},

		// Content types and charsets.
		{name: "no content type", req: func() lambdaevents.APIGatewayV2HTTPRequest {
			r := postReq(ok)
			r.Headers = map[string]string{}
			return r
		}(), status: 415, code: CodeUnsupportedMediaType},
		{name: "form content type", req: postReq(ok, "content-type", "application/x-www-form-urlencoded"), status: 415, code: CodeUnsupportedMediaType},
		{name: "a JSON-like subtype", req: postReq(ok, "content-type", "application/json-patch+json"), status: 415, code: CodeUnsupportedMediaType},
		{name: "text/json", req: postReq(ok, "content-type", "text/json"), status: 415, code: CodeUnsupportedMediaType},
		{name: "charset utf-16", req: postReq(ok, "content-type", "application/json; charset=utf-16"), status: 415, code: CodeUnsupportedMediaType},
		{name: "charset utf8 without the dash", req: postReq(ok, "content-type", "application/json; charset=utf8"), status: 415, code: CodeUnsupportedMediaType},
		{name: "charset given twice", req: postReq(ok, "content-type", "application/json; charset=utf-8; charset=latin1"), status: 415, code: CodeUnsupportedMediaType},
		{name: "quoted charset with a space", req: postReq(ok, "content-type", `application/json; charset=" utf-8"`), status: 415, code: CodeUnsupportedMediaType},
		{name: "a list of content types", req: postReq(ok, "content-type", "application/json, text/plain"), status: 415, code: CodeUnsupportedMediaType},
		{name: "CRLF injected into the content type", req: postReq(ok, "content-type", "application/json\r\nX-Injected: 1"), status: 415, code: CodeUnsupportedMediaType},
		{name: "NUL in the content type", req: postReq(ok, "content-type", "application/json\x00"), status: 415, code: CodeUnsupportedMediaType},

		// Numbers.
		{name: "count past int64", req: postReq(launchWith(`"count":9223372036854775808`)), status: 400, code: CodeInvalidValue, field: "count"},
		{name: "count past float64", req: postReq(launchWith(`"count":1e400`)), status: 400, code: CodeWrongType, field: "count"},
		{name: "count of minus zero", req: postReq(launchWith(`"count":-0`)), status: 400, code: CodeInvalidValue, field: "count"},
		{name: "count NaN", req: postReq(launchWith(`"count":NaN`)), status: 400, code: CodeMalformedJSON, field: "count"},
		{name: "count with a leading zero", req: postReq(launchWith(`"count":01`)), status: 400, code: CodeMalformedJSON},
		{name: "count in hex", req: postReq(launchWith(`"count":0x1`)), status: 400, code: CodeMalformedJSON},

		// Nulls and other shapes where objects belong.
		{name: "the body null", req: postReq(" null "), status: 400, code: CodeWrongType},
		{name: "the body a string", req: postReq(strconv.Quote(ok)), status: 400, code: CodeWrongType},
		{name: "the body a number", req: postReq(`1`), status: 400, code: CodeWrongType},
		{name: "a bulk item null", req: postReq(bulkOf(`null`)), status: 400, code: CodeWrongType, field: "launches[0]"},
		{name: "tags null", req: postReq(launchWith(`"tags":null`)), status: 400, code: CodeWrongType, field: "tags"},
		{name: "tags a string of JSON", req: postReq(launchWith(`"tags":"{\"a\":\"b\"}"`)), status: 400, code: CodeWrongType, field: "tags"},

		// Huge arrays, each under the size bound.
		{name: "launches of 10000 numbers", req: postReq(`{"launches":[` + strings.TrimSuffix(strings.Repeat("1,", 10000), ",") + `]}`), status: 400, code: CodeInvalidValue, field: "launches"},
		{name: "2000 security groups", req: postReq(launchWith(`"securityGroupIds":[` + strings.TrimSuffix(strings.Repeat(`"sg-12345678",`, 2000), ",") + `]`)), status: 400, code: CodeInvalidValue, field: "securityGroupIds"},
		{name: "1000 tags", req: postReq(launchWith(tagsJSON(1000))), status: 400, code: CodeInvalidValue, field: "tags"},

		// Reserved tag keys.
		{name: "tag key aws:", req: postReq(launchWith(`"tags":{"aws:ec2launchtemplate:id":"x"}`)), status: 400, code: CodeInvalidValue, field: "tags.aws:ec2launchtemplate:id"},
		{name: "tag key Aws: in mixed case", req: postReq(launchWith(`"tags":{"Aws:x":"x"}`)), status: 400, code: CodeInvalidValue, field: "tags.Aws:x"},
		{name: "tag key forging the request id", req: postReq(launchWith(`"tags":{"eventchain:request-id":"` + alices + `"}`)), status: 400, code: CodeInvalidValue, field: "tags.eventchain:request-id"},
		{name: "tag key EVENTCHAIN: in upper case", req: postReq(launchWith(`"tags":{"EVENTCHAIN:correlation-id":"x"}`)), status: 400, code: CodeInvalidValue, field: "tags.EVENTCHAIN:correlation-id"},
		{name: "reserved key spelled with escapes", req: postReq(launchWith(`"tags":{"\u0061ws:x":"x"}`)), status: 400, code: CodeInvalidValue, field: "tags.aws:x"},
		{name: "reserved key in a bulk item", req: postReq(bulkOf(ok, launchWith(`"tags":{"aws:x":"x"}`))), status: 400, code: CodeInvalidValue, field: "launches[1].tags.aws:x"},

		// Bodies that are not there, or not what the flag says.
		{name: "empty body", req: postReq(""), status: 400, code: CodeMalformedJSON},
		{name: "whitespace only", req: postReq(" \r\n\t "), status: 400, code: CodeMalformedJSON},
		{name: "base64 flag on an empty body", req: b64(postReq("")), status: 400, code: CodeMalformedJSON},
		{name: "base64 flag on plain JSON", req: b64(postReq(ok)), status: 400, code: CodeMalformedJSON},
		{name: "base64 in the URL alphabet", req: b64(postReq(base64.URLEncoding.EncodeToString([]byte(launchWith(`"keyName":"??>>"`))))), status: 400, code: CodeMalformedJSON},
		{name: "base64 without its padding", req: b64(postReq(unpadded(ok))), status: 400, code: CodeMalformedJSON},
		{name: "base64 of invalid UTF-8", req: b64(postReq(base64.StdEncoding.EncodeToString([]byte(launchWith(`"keyName":"` + "\xff" + `"`))))), status: 400, code: CodeMalformedJSON},

		// Idempotency-Key abuse.
		{name: "key of 256 characters", req: postReq(ok, "idempotency-key", strings.Repeat("k", MaxIdempotencyKeyLen+1)), status: 400, code: CodeInvalidHeader, field: HeaderIdempotencyKey},
		{name: "key of 64 KiB", req: postReq(ok, "idempotency-key", strings.Repeat("k", 64<<10)), status: 400, code: CodeInvalidHeader, field: HeaderIdempotencyKey},
		{name: "empty key", req: postReq(ok, "Idempotency-Key", ""), status: 400, code: CodeInvalidHeader, field: HeaderIdempotencyKey},
		{name: "key with CRLF", req: postReq(ok, "idempotency-key", "k\r\nSet-Cookie: a=b"), status: 400, code: CodeInvalidHeader, field: HeaderIdempotencyKey},
		{name: "key with DEL", req: postReq(ok, "idempotency-key", "k\x7f"), status: 400, code: CodeInvalidHeader, field: HeaderIdempotencyKey},
		{name: "key with NUL", req: postReq(ok, "idempotency-key", "order-42\x00"), status: 400, code: CodeInvalidHeader, field: HeaderIdempotencyKey},
		{name: "key with a look-alike letter", req: postReq(ok, "idempotency-key", "оrder-42"), status: 400, code: CodeInvalidHeader, field: HeaderIdempotencyKey},
		{name: "key reused with another body", req: postReq(launchWith(`"count":2`), "idempotency-key", "order-42"), status: 422, code: CodeIdempotencyKeyReused, store: touchLostClaim},
		{name: "key reused for a one-item bulk of the same launch", req: postReq(bulkOf(validBody), "idempotency-key", "order-42"), status: 422, code: CodeIdempotencyKeyReused, store: touchLostClaim},
		{name: "key reused with the body's tags changed", req: postReq(launchWith(`"tags":{"team":"x"}`), "idempotency-key", "order-42"), status: 422, code: CodeIdempotencyKeyReused, store: touchLostClaim},
		{name: "bad key with a bad body: the key is judged first", req: postReq("{", "idempotency-key", ""), status: 400, code: CodeInvalidHeader, field: HeaderIdempotencyKey},

		// Methods.
		{name: "DELETE on the collection", req: route("DELETE", "/launches"), status: 405, code: CodeMethodNotAllowed, allow: "POST, GET"},
		{name: "PATCH on the collection", req: route("PATCH", "/launches"), status: 405, code: CodeMethodNotAllowed, allow: "POST, GET"},
		{name: "post in lower case", req: route("post", "/launches"), status: 405, code: CodeMethodNotAllowed, allow: "POST, GET"},
		{name: "PUT on a request", req: route("PUT", "/launches/"+alices), status: 405, code: CodeMethodNotAllowed, allow: "GET"},
		{name: "DELETE on a request", req: route("DELETE", "/launches/"+alices), status: 405, code: CodeMethodNotAllowed, allow: "GET"},
		{name: "TRACE on a request", req: route("TRACE", "/launches/"+alices), status: 405, code: CodeMethodNotAllowed, allow: "GET"},
		{name: "no method", req: route("", "/launches"), status: 405, code: CodeMethodNotAllowed, allow: "POST, GET"},

		// Paths and ids.
		{name: "dot-dot as the id", req: get(".."), status: 404, code: CodeNotFound},
		{name: "escaped dot-dot and slashes", req: get("..%2f..%2fstatus"), status: 404, code: CodeNotFound},
		{name: "escaped dot-dot in mixed case", req: get("%2E%2e"), status: 404, code: CodeNotFound},
		{name: "dot-dot back into the collection", req: route("POST", "/launches/x/../../launches"), status: 404, code: CodeNotFound},
		{name: "dot-dot hidden under a stage", req: func() lambdaevents.APIGatewayV2HTTPRequest {
			r := route("POST", "/prod/../launches")
			r.RequestContext.Stage = "prod"
			return r
		}(), status: 404, code: CodeNotFound},
		{name: "escaped NUL after the id", req: get(alices + "%00"), status: 404, code: CodeNotFound},
		{name: "id with look-alike characters", req: get(lookalike), status: 404, code: CodeNotFound},
		{name: "id of 64 KiB", req: get(alices + strings.Repeat("0", 64<<10)), status: 404, code: CodeNotFound},
		{name: "id in upper case", req: get(strings.ToUpper(alices)), status: 404, code: CodeNotFound},
		{name: "id percent-encoded", req: get(strings.ReplaceAll(alices, "-", "%2D")), status: 404, code: CodeNotFound},
		{name: "path parameter smuggling dot-dot past a clean path", req: func() lambdaevents.APIGatewayV2HTTPRequest {
			r := getReq(alices)
			r.PathParameters = map[string]string{"requestId": "../" + alices}
			return r
		}(), status: 404, code: CodeNotFound},

		// Identity.
		{name: "no identity reading alice's request", req: withoutIdentity(get(alices)), status: 404, code: CodeNotFound, store: touchReads},
		{name: "an empty IAM block reading alice's request", req: func() lambdaevents.APIGatewayV2HTTPRequest {
			r := get(alices)
			r.RequestContext.Authorizer.IAM = &lambdaevents.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{}
			return r
		}(), status: 404, code: CodeNotFound, store: touchReads},
		{name: "bob reading alice's request", req: func() lambdaevents.APIGatewayV2HTTPRequest {
			r := get(alices)
			r.RequestContext.Authorizer.IAM = &lambdaevents.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{
				AccountID: "123456789012", UserARN: "arn:aws:iam::123456789012:user/bob"}
			return r
		}(), status: 404, code: CodeNotFound, store: touchReads},

		// Query parameters of the listing.
		{name: "limit zero", req: list(map[string]string{"limit": "0"}), status: 400, code: CodeInvalidValue, field: "limit"},
		{name: "limit past int64", req: list(map[string]string{"limit": "99999999999999999999"}), status: 400, code: CodeInvalidValue, field: "limit"},
		{name: "status in lower case", req: list(map[string]string{"status": "running"}), status: 400, code: CodeInvalidValue, field: "status"},
		{name: "unknown parameter with a control character", req: list(map[string]string{"caller\x00": "x"}), status: 400, code: CodeUnknownField, field: "caller\x00"},
		{name: "forged next token", req: list(map[string]string{"next": "eyJjYWxsZXIiOiJhcm46YXdzOmlhbTo6MTIzNDU2Nzg5MDEyOnVzZXIvYm9iIn0"}), status: 400, code: CodeInvalidValue, field: "next", store: touchReads},
	}
}

// unpadded is the base64 of s, padded with spaces (which JSON ignores) to
// need two padding characters, without them.
func unpadded(s string) string {
	for len(s)%3 != 1 {
		s += " "
	}
	return strings.TrimSuffix(base64.StdEncoding.EncodeToString([]byte(s)), "==")
}

// TestRequestsWithoutIdentity: API Gateway's IAM authorizer answers
// unsigned calls itself, so a request without an identity reaches the
// function only without the authorizer (sam local start-api, a
// misconfigured stage). It is served under the anonymous scope
// (docs/architecture.md, Idempotency), which must not reach an identified
// caller's requests or keys.
func TestRequestsWithoutIdentity(t *testing.T) {
	env := newEnv(t)
	first, fb := env.do(t, postReq(validBody, "idempotency-key", "order-42"))
	if first.StatusCode != 202 {
		t.Fatalf("setup POST: %d %s", first.StatusCode, first.Body)
	}
	alices := fb["requestId"].(string)

	anon := postReq(validBody, "idempotency-key", "order-42")
	anon.RequestContext.Authorizer = nil
	resp, body := env.do(t, anon)
	if resp.StatusCode != 202 || body["requestId"] == alices {
		t.Fatalf("anonymous POST with alice's key and body: %d %s, want 202 with a request id of its own", resp.StatusCode, resp.Body)
	}
	r, err := env.store.Store.Get(context.Background(), body["requestId"].(string))
	if err != nil || r.Caller != AnonymousCaller {
		t.Errorf("anonymous request recorded for %q (%v), want %q", r.Caller, err, AnonymousCaller)
	}
}
