package awsproto

import (
	"context"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

type echoInput struct {
	Text string `json:"Text"`
}

func (in *echoInput) FromQuery(f Form) *Error {
	in.Text = f.Get("Text")
	return nil
}

type echoOutput struct {
	Text string `json:"Text" xml:"Text"`
}

func echoService(name string, p Protocol, maxBody int64) *Service {
	return &Service{Name: name, Protocols: []Protocol{p}, MaxBody: maxBody, Ops: []Operation{
		Op("Echo", func(_ context.Context, in *echoInput) (*echoOutput, *Error) { return &echoOutput{Text: in.Text}, nil }),
	}}
}

func TestBodyLimits(t *testing.T) {
	services := func() []*Service {
		return []*Service{echoService("sns", Query{Version: "2010-03-31", Namespace: "urn:sns"}, 0),
			echoService("ec2", EC2Query{Version: "2016-11-15", Namespace: "urn:ec2"}, 2<<10)}
	}
	roomy := NewRouter(Limits{MaxQueryBody: 1 << 20, SmallBody: 1 << 10, BodyBudget: 8 << 20}, services()...)
	tight := NewRouter(Limits{MaxQueryBody: 1 << 20, SmallBody: 1 << 10, BodyBudget: 4 << 10}, services()...)
	form := func(n int) string { return "Action=Echo&Version=2010-03-31&Text=" + strings.Repeat("x", n) }
	tests := []struct {
		name   string
		rt     *Router
		body   string
		chunk  bool // unknown length
		status int
		code   string
	}{
		{name: "small", rt: tight, body: form(10), status: 200},
		{name: "within the budget", rt: tight, body: form(3 << 10), status: 200},
		{name: "past the budget", rt: tight, body: form(8 << 10), status: 503, code: "ServiceUnavailable"},
		{name: "past the protocol cap, unsigned", rt: roomy, body: form(2 << 20), status: 400, code: "MalformedQueryString"},
		{name: "past the protocol cap, chunked", rt: roomy, body: form(2 << 20), chunk: true, status: 400, code: "MalformedQueryString"},
		{name: "past the service cap", rt: roomy, body: "Action=Echo&Version=2016-11-15&Text=" + strings.Repeat("x", 3<<10), status: 400, code: "MalformedQueryString"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunk {
				body = io.MultiReader(body) // hides the length
			}
			req := httptest.NewRequest(http.MethodPost, "/", body)
			if tc.chunk {
				req.ContentLength = -1
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			tc.rt.ServeHTTP(rec, req)
			if rec.Code != tc.status || (tc.code != "" && !strings.Contains(rec.Body.String(), "<Code>"+tc.code+"</Code>")) {
				t.Errorf("%d %s, want %d %s", rec.Code, rec.Body, tc.status, tc.code)
			}
		})
	}
	for _, rt := range []*Router{roomy, tight} {
		if used := rt.bodies.used.Load(); used != 0 {
			t.Errorf("%d budget bytes still held after the requests", used)
		}
	}
}

func TestReadBodyGrowsWithData(t *testing.T) {
	b := &bodies{limits: Limits{SmallBody: 1 << 10, BodyBudget: 1 << 20}.orDefault()}
	// A client that announces 8 MiB and sends 10 bytes holds a small buffer.
	_, release, err := b.read(io.MultiReader(strings.NewReader("0123456789"), errReader{}), 8<<20, 8<<20)
	defer release()
	if err == nil || b.used.Load() != 0 {
		t.Errorf("err %v, budget used %d; want a read error and nothing drawn", err, b.used.Load())
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("stalled client cut off") }

func TestRouting(t *testing.T) {
	rt := NewRouter(Limits{},
		echoService("sns", Query{Version: "2010-03-31", Namespace: "urn:sns"}, 0),
		echoService("sts", Query{Version: "2011-06-15", Namespace: "urn:sts"}, 0),
		echoService("sqs", JSON10{TargetPrefix: "AmazonSQS"}, 0))
	tests := []struct {
		name   string
		header map[string]string
		body   string
		want   string
	}{
		{"by version", nil, "Action=Echo&Version=2011-06-15&Text=hi", `<EchoResponse xmlns="urn:sts"><EchoResult><Text>hi</Text></EchoResult>`},
		{"by signature", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=a/20250101/us-east-1/sns/aws4_request, SignedHeaders=host"},
			"Action=Echo&Text=hi", `<EchoResponse xmlns="urn:sns">`},
		{"unknown action", nil, "Action=Nope&Version=2010-03-31", `<Code>InvalidAction</Code>`},
		{"missing action", nil, "Version=2010-03-31", `<Code>MissingParameter</Code>`},
		{"other version", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=a/20250101/us-east-1/sns/aws4_request, SignedHeaders=host"},
			"Action=Echo&Version=2099-01-01", `<Code>InvalidAction</Code>`},
		{"neither version nor signature", nil, "Action=Echo", `localcloud cannot route`},
		{"JSON", map[string]string{"X-Amz-Target": "AmazonSQS.Echo"}, `{"Text":"hi"}`, `{"Text":"hi"}`},
		{"JSON unknown operation", map[string]string{"X-Amz-Target": "AmazonSQS.Nope"}, `{}`, `"__type":"UnknownOperationException"`},
		{"JSON trailing data", map[string]string{"X-Amz-Target": "AmazonSQS.Echo"}, `{} {}`, `"__type":"SerializationException"`},
		{"JSON stray closing brace", map[string]string{"X-Amz-Target": "AmazonSQS.Echo"}, `{"Text":"hi"}}`, `"__type":"SerializationException"`},
		{"JSON stray closing bracket", map[string]string{"X-Amz-Target": "AmazonSQS.Echo"}, `{"Text":"hi"}]`, `"__type":"SerializationException"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if req.Header.Get("X-Amz-Target") != "" {
				req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			}
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, req)
			if !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("answer %d %s, want it to contain %s", rec.Code, rec.Body, tc.want)
			}
		})
	}
}

func TestFormIndexes(t *testing.T) {
	tests := []struct {
		name  string
		form  Form
		want  []int
		error bool
	}{
		{name: "in order with gaps", form: Form{"L.3": {"c"}, "L.1": {"a"}, "L.1.x": {"b"}, "Other.2": {"z"}}, want: []int{1, 3}},
		{name: "zero", form: Form{"L.0": {"a"}}, error: true},
		{name: "leading zero", form: Form{"L.01": {"a"}}, error: true},
		{name: "not a number", form: Form{"L.x": {"a"}}, error: true},
		{name: "huge", form: Form{"L.99999999999999999999": {"a"}}, error: true},
		{name: "more members than allowed", form: func() Form {
			f := Form{}
			for i := range MaxListMembers + 1 {
				f["L."+strconv.Itoa(i+1)] = []string{"x"}
			}
			return f
		}(), error: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, e := tc.form.Indexes("L")
			if (e != nil) != tc.error || (!tc.error && !equalInts(got, tc.want)) {
				t.Errorf("Indexes = %v, %v; want %v (error %v)", got, e, tc.want, tc.error)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPage(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	id := func(s string) string { return s }
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name  string
		after *string
		limit int
		want  string
		more  bool
	}{
		{"all", nil, 0, "abcde", false},
		{"first page", nil, 2, "ab", true},
		{"middle page", ptr("b"), 2, "cd", true},
		{"last page", ptr("d"), 2, "e", false},
		{"after a removed item", ptr("bb"), 2, "cd", true},
		{"past the end", ptr("z"), 2, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, more := Page(items, id, tc.after, tc.limit)
			if strings.Join(page, "") != tc.want || more != tc.more {
				t.Errorf("Page = %v, %v; want %s, %v", page, more, tc.want, tc.more)
			}
		})
	}
}

// TestBodyCRC32 checks that a BodyCRC32 service signs its answers, errors
// included, with the CRC-32 its SDK client verifies, and that others do
// not send the header.
func TestBodyCRC32(t *testing.T) {
	rt := NewRouter(Limits{},
		echoService("dynamodb", JSON10{TargetPrefix: "DynamoDB_20120810", BodyCRC32: true}, 0),
		echoService("sqs", JSON10{TargetPrefix: "AmazonSQS"}, 0))
	tests := []struct {
		name, target string
		signed       bool
	}{
		{"result", "DynamoDB_20120810.Echo", true},
		{"error", "DynamoDB_20120810.Nope", true},
		{"unsigned service", "AmazonSQS.Echo", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Text":"hi"}`))
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			req.Header.Set("X-Amz-Target", tc.target)
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Amz-Crc32")
			want := ""
			if tc.signed {
				want = strconv.FormatUint(uint64(crc32.ChecksumIEEE(rec.Body.Bytes())), 10)
			}
			if got != want {
				t.Errorf("X-Amz-Crc32 = %q, want %q (body %s)", got, want, rec.Body)
			}
		})
	}
}
