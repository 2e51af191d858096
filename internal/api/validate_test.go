package api

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
)

// launchWith returns a valid launch object with extra JSON members (or
// members replaced: a key given in extra wins over the default).
func launchWith(extra string) string {
	defaults := map[string]string{
		"imageId":      `"ami-0123456789abcdef0"`,
		"instanceType": `"t3.micro"`,
		"count":        `1`,
	}
	var parts []string
	for _, k := range []string{"imageId", "instanceType", "count"} {
		if !strings.Contains(extra, `"`+k+`":`) {
			parts = append(parts, fmt.Sprintf("%q:%s", k, defaults[k]))
		}
	}
	if extra != "" {
		parts = append(parts, extra)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func tagsJSON(n int) string {
	var b strings.Builder
	b.WriteString(`"tags":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":"v"`, i)
	}
	b.WriteString("}")
	return b.String()
}

func bulkOf(items ...string) string { return `{"launches":[` + strings.Join(items, ",") + `]}` }

func TestPostRefusesBadInput(t *testing.T) {
	ok := launchWith("")
	userData16K := base64.StdEncoding.EncodeToString(make([]byte, MaxUserDataBytes))
	userDataOver := base64.StdEncoding.EncodeToString(make([]byte, MaxUserDataBytes+1))
	hundredOne := make([]string, 101)
	for i := range hundredOne {
		hundredOne[i] = ok
	}
	tests := []struct {
		name   string
		req    lambdaevents.APIGatewayV2HTTPRequest
		status int
		code   string
		field  string
	}{
		// Transport.
		{"no content type", func() lambdaevents.APIGatewayV2HTTPRequest {
			r := postReq(ok)
			delete(r.Headers, "content-type")
			return r
		}(), 415, CodeUnsupportedMediaType, ""},
		{"text/plain", postReq(ok, "content-type", "text/plain"), 415, CodeUnsupportedMediaType, ""},
		{"json with latin1 charset", postReq(ok, "content-type", "application/json; charset=iso-8859-1"), 415, CodeUnsupportedMediaType, ""},
		{"malformed content type", postReq(ok, "content-type", "application/json; ="), 415, CodeUnsupportedMediaType, ""},
		{"body over 64 KiB", postReq(`{"imageId":"` + strings.Repeat("a", MaxBodyBytes) + `"}`), 413, CodeBodyTooLarge, ""},
		{"base64 body over 64 KiB decoded", func() lambdaevents.APIGatewayV2HTTPRequest {
			r := postReq(base64.StdEncoding.EncodeToString([]byte(launchWith(`"keyName":"` + strings.Repeat("k", MaxBodyBytes) + `"`))))
			r.IsBase64Encoded = true
			return r
		}(), 413, CodeBodyTooLarge, ""},
		{"base64 flag on a non-base64 body", func() lambdaevents.APIGatewayV2HTTPRequest { r := postReq(ok); r.IsBase64Encoded = true; return r }(), 400, CodeMalformedJSON, ""},
		{"idempotency key too long", postReq(ok, "idempotency-key", strings.Repeat("k", 256)), 400, CodeInvalidHeader, HeaderIdempotencyKey},
		{"idempotency key empty", postReq(ok, "idempotency-key", ""), 400, CodeInvalidHeader, HeaderIdempotencyKey},
		{"idempotency key not ASCII", postReq(ok, "idempotency-key", "clé"), 400, CodeInvalidHeader, HeaderIdempotencyKey},
		{"idempotency key control char", postReq(ok, "idempotency-key", "a\tb"), 400, CodeInvalidHeader, HeaderIdempotencyKey},

		// JSON syntax.
		{"empty body", postReq(""), 400, CodeMalformedJSON, ""},
		{"truncated", postReq(`{"imageId":"ami-0123456789abcdef0"`), 400, CodeMalformedJSON, ""},
		{"trailing data", postReq(ok + ` {}`), 400, CodeMalformedJSON, ""},
		{"trailing garbage", postReq(ok + `x`), 400, CodeMalformedJSON, ""},
		{"duplicate key", postReq(`{"imageId":"ami-0123456789abcdef0","instanceType":"t3.micro","count":1,"count":2}`), 400, CodeMalformedJSON, "count"},
		{"duplicate tag key", postReq(launchWith(`"tags":{"a":"1","a":"2"}`)), 400, CodeMalformedJSON, "tags.a"},
		{"duplicate key in a bulk item", postReq(bulkOf(ok, `{"imageId":"ami-12345678","imageId":"ami-12345678"}`)), 400, CodeMalformedJSON, "launches[1].imageId"},
		{"invalid UTF-8", postReq(launchWith(`"tags":{"a":"` + "\xff\xfe" + `"}`)), 400, CodeMalformedJSON, ""},
		{"lone high surrogate escape", postReq(launchWith(`"tags":{"a":"\ud800"}`)), 400, CodeMalformedJSON, "tags.a"},
		{"lone low surrogate escape", postReq(launchWith(`"tags":{"a":"x\uDC00y"}`)), 400, CodeMalformedJSON, "tags.a"},
		{"high surrogate escape before a non-surrogate", postReq(launchWith(`"tags":{"a":"\ud800\u0041"}`)), 400, CodeMalformedJSON, "tags.a"},
		{"surrogates in the wrong order", postReq(launchWith(`"tags":{"a":"\udc00\ud800"}`)), 400, CodeMalformedJSON, "tags.a"},
		{"lone surrogate escape in a key", postReq(launchWith(`"tags":{"\ud800k":"v"}`)), 400, CodeMalformedJSON, "tags.\uFFFDk"},
		{"lone surrogate escape in a top-level field", postReq(launchWith(`"keyName":"\udfff"`)), 400, CodeMalformedJSON, "keyName"},
		{"lone surrogate escape in a bulk item's tag key", postReq(bulkOf(ok, launchWith(`"tags":{"x":"1", "k\udc00":"v"}`))), 400, CodeMalformedJSON, "launches[1].tags.k\uFFFD"},
		{"duplicate key in a bulk item's tags", postReq(bulkOf(launchWith(`"tags":{"a":"1","a":"1"}`))), 400, CodeMalformedJSON, "launches[0].tags.a"},
		{"duplicate launches", postReq(`{"launches":[` + ok + `],"launches":[` + ok + `]}`), 400, CodeMalformedJSON, "launches"},
		{"syntax error after a type error", postReq(`{"imageId":1,"count":1,"count":1}`), 400, CodeMalformedJSON, "count"},
		{"too deep", postReq(launchWith(`"tags":` + strings.Repeat("[", 40) + strings.Repeat("]", 40))), 400, CodeMalformedJSON, "tags" + strings.Repeat("[0]", maxJSONDepth)},

		// Shape.
		{"array body", postReq(`[` + ok + `]`), 400, CodeWrongType, ""},
		{"unknown field", postReq(launchWith(`"region":"us-east-1"`)), 400, CodeUnknownField, "region"},
		{"unknown field next to launches", postReq(`{"launches":[` + ok + `],"dryRun":true}`), 400, CodeUnknownField, "dryRun"},
		{"launch member before launches", postReq(`{"count":"x","launches":[` + ok + `]}`), 400, CodeUnknownField, "count"},
		{"launch member after launches", postReq(`{"launches":[` + ok + `],"imageId":"ami-12345678"}`), 400, CodeUnknownField, "imageId"},
		{"requestId is the API's to give", postReq(launchWith(`"requestId":"5daa99a7-d852-4bf7-a9c5-ca05290d2dca"`)), 400, CodeUnknownField, "requestId"},
		{"missing imageId", postReq(`{"instanceType":"t3.micro","count":1}`), 400, CodeMissingField, "imageId"},
		{"missing instanceType", postReq(`{"imageId":"ami-0123456789abcdef0","count":1}`), 400, CodeMissingField, "instanceType"},
		{"missing count", postReq(`{"imageId":"ami-0123456789abcdef0","instanceType":"t3.micro"}`), 400, CodeMissingField, "count"},
		{"imageId a number", postReq(launchWith(`"imageId":12345678`)), 400, CodeWrongType, "imageId"},
		{"imageId null", postReq(launchWith(`"imageId":null`)), 400, CodeWrongType, "imageId"},
		{"count a string", postReq(launchWith(`"count":"1"`)), 400, CodeWrongType, "count"},
		{"count a fraction", postReq(launchWith(`"count":1.5`)), 400, CodeWrongType, "count"},
		{"count in exponent form", postReq(launchWith(`"count":1e0`)), 400, CodeWrongType, "count"},
		{"tags an array", postReq(launchWith(`"tags":["a"]`)), 400, CodeWrongType, "tags"},
		{"tag value a number", postReq(launchWith(`"tags":{"a":1}`)), 400, CodeWrongType, "tags.a"},
		{"securityGroupIds a string", postReq(launchWith(`"securityGroupIds":"sg-12345678"`)), 400, CodeWrongType, "securityGroupIds"},
		{"securityGroupIds item a number", postReq(launchWith(`"securityGroupIds":[1]`)), 400, CodeWrongType, "securityGroupIds[0]"},
		{"launches an object", postReq(`{"launches":{}}`), 400, CodeWrongType, "launches"},
		{"count a boolean", postReq(launchWith(`"count":true`)), 400, CodeWrongType, "count"},
		{"tag key like an index", postReq(launchWith(`"tags":{"0":1}`)), 400, CodeWrongType, "tags.0"},
		{"tag key holding a slash", postReq(launchWith(`"tags":{"a/b":1}`)), 400, CodeWrongType, "tags.a/b"},
		{"bulk item count a string", postReq(bulkOf(ok, ok, launchWith(`"count":"2"`))), 400, CodeWrongType, "launches[2].count"},
		{"bulk item security group a number", postReq(bulkOf(launchWith(`"securityGroupIds":["sg-12345678",7]`))), 400, CodeWrongType, "launches[0].securityGroupIds[1]"},

		// Member names match in their documented case only.
		{"member name in another case", postReq(`{"ImageId":"ami-0123456789abcdef0","instanceType":"t3.micro","count":1}`), 400, CodeUnknownField, "ImageId"},
		{"member name in another case in a bulk item", postReq(bulkOf(ok, `{"imageId":"ami-12345678","instanceType":"t3.micro","COUNT":1}`)), 400, CodeUnknownField, "launches[1].COUNT"},
		{"launches in another case", postReq(`{"Launches":[` + ok + `]}`), 400, CodeUnknownField, "Launches"},

		// Null is no member's value, and no body's.
		{"body null", postReq(`null`), 400, CodeWrongType, ""},
		{"instanceType null", postReq(launchWith(`"instanceType":null`)), 400, CodeWrongType, "instanceType"},
		{"count null", postReq(launchWith(`"count":null`)), 400, CodeWrongType, "count"},
		{"subnetId null", postReq(launchWith(`"subnetId":null`)), 400, CodeWrongType, "subnetId"},
		{"keyName null", postReq(launchWith(`"keyName":null`)), 400, CodeWrongType, "keyName"},
		{"userData null", postReq(launchWith(`"userData":null`)), 400, CodeWrongType, "userData"},
		{"tags null", postReq(launchWith(`"tags":null`)), 400, CodeWrongType, "tags"},
		{"tag value null", postReq(launchWith(`"tags":{"a":null}`)), 400, CodeWrongType, "tags.a"},
		{"securityGroupIds null", postReq(launchWith(`"securityGroupIds":null`)), 400, CodeWrongType, "securityGroupIds"},
		{"security group null", postReq(launchWith(`"securityGroupIds":[null]`)), 400, CodeWrongType, "securityGroupIds[0]"},
		{"launches null", postReq(`{"launches":null}`), 400, CodeWrongType, "launches"},
		{"bulk item null", postReq(bulkOf(ok, `null`)), 400, CodeWrongType, "launches[1]"},

		// Values.
		{"count zero", postReq(launchWith(`"count":0`)), 400, CodeInvalidValue, "count"},
		{"count negative", postReq(launchWith(`"count":-1`)), 400, CodeInvalidValue, "count"},
		{"count over the maximum", postReq(launchWith(`"count":11`)), 400, CodeInvalidValue, "count"},
		{"count overflowing int64", postReq(launchWith(`"count":99999999999999999999`)), 400, CodeInvalidValue, "count"},
		{"instance type not allowed", postReq(launchWith(`"instanceType":"p5.48xlarge"`)), 400, CodeNotAllowed, "instanceType"},
		{"image id malformed", postReq(launchWith(`"imageId":"ami-123"`)), 400, CodeInvalidValue, "imageId"},
		{"image id uppercase hex", postReq(launchWith(`"imageId":"ami-0123456789ABCDEF0"`)), 400, CodeInvalidValue, "imageId"},
		{"image id wrong prefix", postReq(launchWith(`"imageId":"aki-12345678"`)), 400, CodeInvalidValue, "imageId"},
		{"subnet malformed", postReq(launchWith(`"subnetId":"subnet-xyz"`)), 400, CodeInvalidValue, "subnetId"},
		{"subnet given a security group", postReq(launchWith(`"subnetId":"sg-12345678"`)), 400, CodeInvalidValue, "subnetId"},
		{"security group malformed", postReq(launchWith(`"securityGroupIds":["sg-12345678","sg-1"]`)), 400, CodeInvalidValue, "securityGroupIds[1]"},
		{"security group repeated", postReq(launchWith(`"securityGroupIds":["sg-12345678","sg-12345678"]`)), 400, CodeInvalidValue, "securityGroupIds[1]"},
		{"six security groups", postReq(launchWith(`"securityGroupIds":["sg-00000001","sg-00000002","sg-00000003","sg-00000004","sg-00000005","sg-00000006"]`)), 400, CodeInvalidValue, "securityGroupIds"},
		{"key name empty", postReq(launchWith(`"keyName":""`)), 400, CodeInvalidValue, "keyName"},
		{"key name too long", postReq(launchWith(`"keyName":"` + strings.Repeat("k", 256) + `"`)), 400, CodeInvalidValue, "keyName"},
		{"key name not ASCII", postReq(launchWith(`"keyName":"clé"`)), 400, CodeInvalidValue, "keyName"},
		{"key name control char", postReq(launchWith(`"keyName":"a\nb"`)), 400, CodeInvalidValue, "keyName"},
		{"user data not base64", postReq(launchWith(`"userData":"#!/bin/sh echo hi"`)), 400, CodeInvalidValue, "userData"},
		{"user data empty", postReq(launchWith(`"userData":""`)), 400, CodeInvalidValue, "userData"},
		{"user data over 16 KiB decoded", postReq(launchWith(`"userData":"` + userDataOver + `"`)), 400, CodeInvalidValue, "userData"},
		{"49 tags", postReq(launchWith(tagsJSON(49))), 400, CodeInvalidValue, "tags"},
		{"tag key aws:", postReq(launchWith(`"tags":{"aws:cloudformation:stack-name":"x"}`)), 400, CodeInvalidValue, "tags.aws:cloudformation:stack-name"},
		{"tag key AWS: in another case", postReq(launchWith(`"tags":{"AWS:x":"x"}`)), 400, CodeInvalidValue, "tags.AWS:x"},
		{"tag key eventchain:", postReq(launchWith(`"tags":{"eventchain:request-id":"x"}`)), 400, CodeInvalidValue, "tags.eventchain:request-id"},
		{"tag key empty", postReq(launchWith(`"tags":{"":"x"}`)), 400, CodeInvalidValue, "tags."},
		{"tag key 129 chars", postReq(launchWith(`"tags":{"` + strings.Repeat("é", 129) + `":"x"}`)), 400, CodeInvalidValue, "tags." + strings.Repeat("é", 129)},
		{"tag value 257 chars", postReq(launchWith(`"tags":{"a":"` + strings.Repeat("é", 257) + `"}`)), 400, CodeInvalidValue, "tags.a"},

		// Bulk.
		{"bulk empty", postReq(`{"launches":[]}`), 400, CodeInvalidValue, "launches"},
		{"bulk of 101", postReq(bulkOf(hundredOne...)), 400, CodeInvalidValue, "launches"},
		{"bulk item not an object", postReq(bulkOf(ok, `"x"`)), 400, CodeWrongType, "launches[1]"},
		{"bulk item 3 bad count", postReq(bulkOf(ok, ok, ok, launchWith(`"count":0`))), 400, CodeInvalidValue, "launches[3].count"},
		{"bulk item unknown field", postReq(bulkOf(launchWith(`"zone":"a"`), ok)), 400, CodeUnknownField, "launches[0].zone"},
		{"bulk item missing field", postReq(bulkOf(ok, `{"imageId":"ami-12345678","count":1}`)), 400, CodeMissingField, "launches[1].instanceType"},
		{"bulk item user data too big", postReq(bulkOf(ok, launchWith(`"userData":"`+userData16K+`A"`))), 400, CodeInvalidValue, "launches[1].userData"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			resp, body := env.do(t, tt.req)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, tt.status, resp.Body)
			}
			if got := errField(body, "code"); got != tt.code {
				t.Errorf("code %q, want %q (%s)", got, tt.code, resp.Body)
			}
			if got := errField(body, "field"); got != tt.field {
				t.Errorf("field %q, want %q", got, tt.field)
			}
			if errField(body, "message") == "" {
				t.Error("no message")
			}
			if n := env.store.touched(); n != 0 {
				t.Errorf("store called %d times for a refused request", n)
			}
			if n := env.pub.callCount(); n != 0 {
				t.Errorf("publisher called %d times for a refused request", n)
			}
			if _, ok := resp.Headers["Location"]; ok {
				t.Error("refusal carries a Location")
			}
		})
	}
}

func TestPostAcceptsLimits(t *testing.T) {
	userData16K := base64.StdEncoding.EncodeToString(make([]byte, MaxUserDataBytes))
	hundred := make([]string, 100)
	for i := range hundred {
		hundred[i] = launchWith("")
	}
	tests := []struct {
		name     string
		req      lambdaevents.APIGatewayV2HTTPRequest
		requests int
	}{
		{"count at the maximum", postReq(launchWith(`"count":10`)), 1},
		{"48 tags", postReq(launchWith(tagsJSON(48))), 1},
		{"tag key of 128 chars and value of 256", postReq(launchWith(`"tags":{"` + strings.Repeat("é", 128) + `":"` + strings.Repeat("é", 256) + `"}`)), 1},
		{"tag key containing aws: later", postReq(launchWith(`"tags":{"team:aws:x":"","awsome":"y"}`)), 1},
		{"escaped surrogate pair", postReq(launchWith(`"tags":{"smile":"\ud83d\ude00"}`)), 1},
		{"literal U+FFFD", postReq(launchWith(`"tags":{"a":"\uFFFD �"}`)), 1},
		{"escaped backslash before u-d-8-0-0 text", postReq(launchWith(`"tags":{"a":"\\ud800 �"}`)), 1},
		{"user data of exactly 16 KiB", postReq(launchWith(`"userData":"` + userData16K + `"`)), 1},
		{"five security groups, 17-digit ids", postReq(launchWith(`"securityGroupIds":["sg-00000001","sg-00000002","sg-00000003","sg-00000004","sg-0123456789abcdef0"],"subnetId":"subnet-0123456789abcdef0"`)), 1},
		{"key name of 255 printable chars", postReq(launchWith(`"keyName":"` + strings.Repeat("~", 255) + `"`)), 1},
		{"charset utf-8", postReq(launchWith(""), "content-type", "application/json; charset=UTF-8"), 1},
		{"header name in another case", func() lambdaevents.APIGatewayV2HTTPRequest {
			r := postReq(launchWith(""))
			r.Headers = map[string]string{"Content-Type": "application/json"}
			return r
		}(), 1},
		{"base64-encoded body", func() lambdaevents.APIGatewayV2HTTPRequest {
			r := postReq(base64.StdEncoding.EncodeToString([]byte(launchWith(""))))
			r.IsBase64Encoded = true
			return r
		}(), 1},
		{"whitespace around the body", postReq("\n  " + launchWith("") + " \r\n"), 1},
		{"bulk of 100", postReq(bulkOf(hundred...)), 100},
		{"bulk of 1", postReq(bulkOf(launchWith(""))), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			resp, _ := env.do(t, tt.req)
			if resp.StatusCode != 202 {
				t.Fatalf("status %d, want 202: %s", resp.StatusCode, resp.Body)
			}
			if got := len(env.pub.published(t)); got != tt.requests {
				t.Errorf("published %d events, want %d", got, tt.requests)
			}
		})
	}
}

func TestBulkNamesEveryBadItem(t *testing.T) {
	env := newEnv(t)
	ok := launchWith("")
	resp, body := env.do(t, postReq(bulkOf(ok, launchWith(`"count":0`), ok, launchWith(`"imageId":"ami-x"`), `7`)))
	if resp.StatusCode != 400 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	details, _ := body["error"].(map[string]any)["details"].([]any)
	var fields []string
	for _, d := range details {
		fields = append(fields, d.(map[string]any)["field"].(string))
	}
	want := []string{"launches[1].count", "launches[3].imageId", "launches[4]"}
	if fmt.Sprint(fields) != fmt.Sprint(want) {
		t.Errorf("details name %v, want %v", fields, want)
	}
	if errField(body, "field") != "launches[1].count" {
		t.Errorf("top-level field %q, want the first bad one", errField(body, "field"))
	}
	if env.store.touched() != 0 || env.pub.callCount() != 0 {
		t.Error("a refused bulk request reached the store or the publisher")
	}
}

func TestAllowedImageIDs(t *testing.T) {
	env := newEnv(t, func(c *Config) { c.AllowedImageIDs = []string{"ami-0123456789abcdef0"} })
	tests := []struct {
		name   string
		image  string
		status int
		code   string
	}{
		{"listed", "ami-0123456789abcdef0", 202, ""},
		{"well-formed but not listed", "ami-12345678", 400, CodeNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.do(t, postReq(launchWith(`"imageId":"`+tt.image+`"`)))
			if resp.StatusCode != tt.status || errField(body, "code") != tt.code {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, errField(body, "code"), tt.status, tt.code)
			}
		})
	}
}

func TestCanonicalBodyIgnoresFormatting(t *testing.T) {
	v := newValidator(testConfig())
	a, err := v.parse([]byte(`{"imageId":"ami-12345678","instanceType":"t3.micro","count":1,"tags":{"a":"1","b":"2"}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.parse([]byte("{\n \"tags\": {\"b\": \"2\", \"a\": \"\\u0031\"},\n \"count\": 1, \"instanceType\": \"t3.micro\", \"imageId\": \"ami-12345678\"}"))
	if err != nil {
		t.Fatal(err)
	}
	if string(a.canonical()) != string(b.canonical()) {
		t.Errorf("canonical forms differ:\n%s\n%s", a.canonical(), b.canonical())
	}
	bulk, err := v.parse([]byte(`{"launches":[{"imageId":"ami-12345678","instanceType":"t3.micro","count":1,"tags":{"a":"1","b":"2"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(bulk.canonical()) == string(a.canonical()) {
		t.Error("a one-item bulk request hashes like a single request")
	}
}

// TestInstanceTypeRefusalListsAllowed: a caller cannot read the
// deployment's settings, so the refusal names what it would accept.
func TestInstanceTypeRefusalListsAllowed(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string // nil keeps the defaults
		body    string
		field   string
		message string
	}{
		{
			name:    "defaults",
			body:    launchWith(`"instanceType":"p5.48xlarge"`),
			field:   "instanceType",
			message: "instanceType is not an allowed instance type; allowed: t3.micro, t3.small, t4g.micro, t4g.small",
		},
		{
			name:    "configured, in configuration order, once each",
			allowed: []string{"m7g.large", "c7g.medium", "m7g.large"},
			body:    launchWith(`"instanceType":"t3.micro"`),
			field:   "instanceType",
			message: "instanceType is not an allowed instance type; allowed: m7g.large, c7g.medium",
		},
		{
			name:    "bulk item",
			body:    bulkOf(launchWith(""), launchWith(`"instanceType":"T3.MICRO"`)),
			field:   "launches[1].instanceType",
			message: "1 of 2 launches is invalid; nothing was accepted: launches[1].instanceType is not an allowed instance type; allowed: t3.micro, t3.small, t4g.micro, t4g.small",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, func(c *Config) {
				if tt.allowed != nil {
					c.AllowedInstanceTypes = tt.allowed
				}
			})
			resp, body := env.do(t, postReq(tt.body))
			if resp.StatusCode != 400 || errField(body, "code") != CodeNotAllowed || errField(body, "field") != tt.field {
				t.Fatalf("got %d %q field %q, want 400 %q field %q", resp.StatusCode, errField(body, "code"), errField(body, "field"), CodeNotAllowed, tt.field)
			}
			if got := errField(body, "message"); got != tt.message {
				t.Errorf("message\n got %q\nwant %q", got, tt.message)
			}
		})
	}
}
