package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/dlq"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/trace"
)

const (
	testAddr  = "127.0.0.1:3000"
	testToken = "0123456789abcdef"
)

// fakeRequests serves one request and records the listing's filter.
type fakeRequests struct {
	req        trace.Request
	listStatus string
}

func (f *fakeRequests) List(_ context.Context, st string, _ int) ([]RequestSummary, error) {
	f.listStatus = st
	return []RequestSummary{{RequestID: f.req.RequestID, Status: f.req.Status}}, nil
}

func (f *fakeRequests) Get(_ context.Context, id string) (trace.Request, error) {
	if id != f.req.RequestID {
		return trace.Request{}, ErrNotFound
	}
	return f.req, nil
}

// testTopology has one DLQ fed by one queue; no test here reaches SQS.
var testTopology = &dlq.Topology{Origin: "test", Queues: []dlq.Queue{
	{LogicalID: "LaunchQueue", Name: "q", URL: "http://sqs/1/q", DeadLetterQueue: "LaunchDLQ", Consumer: "launcher"},
	{LogicalID: "LaunchDLQ", Name: "d", URL: "http://sqs/1/d"},
}}

func newTestServer(t *testing.T, allow bool, reqs Requests) *Server {
	t.Helper()
	if reqs == nil {
		reqs = &fakeRequests{}
	}
	s, err := New(Options{Addr: testAddr, Token: testToken, AllowActions: allow, Topology: testTopology, Requests: reqs})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func serve(s http.Handler, method, target, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Host = testAddr
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

// TestGuardRefuses: every request must name the console's own host, come
// from no other origin, and, when it changes state, carry the token.
func TestGuardRefuses(t *testing.T) {
	purge := Path + "api/dlqs/LaunchDLQ/purge"
	jsonToken := map[string]string{"Content-Type": "application/json", TokenHeader: testToken}
	with := func(h map[string]string, k, v string) map[string]string {
		out := map[string]string{}
		for a, b := range h {
			out[a] = b
		}
		out[k] = v
		return out
	}
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		header  map[string]string
		want    int
		wantErr string
	}{
		{name: "page", method: "GET", path: Path, want: 200},
		{name: "page as localhost", method: "GET", path: Path, header: map[string]string{"Host": "localhost:3000"}, want: 200},
		{name: "rebinding: another host name", method: "GET", path: Path + "api/config", header: map[string]string{"Host": "attacker.example:3000"}, want: 421, wantErr: "host"},
		{name: "another port", method: "GET", path: Path + "api/config", header: map[string]string{"Host": "127.0.0.1:3001"}, want: 421, wantErr: "host"},
		{name: "no host", method: "GET", path: Path + "api/config", header: map[string]string{"Host": ""}, want: 421, wantErr: "host"},
		{name: "cross-site read", method: "GET", path: Path + "api/config", header: map[string]string{"Origin": "https://attacker.example"}, want: 403, wantErr: "origin"},
		{name: "opaque origin", method: "GET", path: Path + "api/config", header: map[string]string{"Origin": "null"}, want: 403, wantErr: "origin"},
		{name: "same origin read", method: "GET", path: Path + "api/config", header: map[string]string{"Origin": "http://" + testAddr}, want: 200},
		{name: "fetch metadata cross-site", method: "GET", path: Path + "api/config", header: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403, wantErr: "another site"},
		{name: "action without token", method: "POST", path: purge, body: `{"confirm":"LaunchDLQ"}`, header: map[string]string{"Content-Type": "application/json"}, want: 403, wantErr: "token"},
		{name: "action with a wrong token", method: "POST", path: purge, header: with(jsonToken, TokenHeader, "guess"), want: 403, wantErr: "token"},
		{name: "cross-site action with the token", method: "POST", path: purge, header: with(jsonToken, "Origin", "http://attacker.example"), want: 403, wantErr: "origin"},
		{name: "action, token, unconfirmed purge", method: "POST", path: purge, body: `{"confirm":"WatchDLQ"}`, header: jsonToken, want: 400, wantErr: "confirm"},
		{name: "action, token, form body", method: "POST", path: purge, body: `confirm=LaunchDLQ`, header: with(jsonToken, "Content-Type", "application/x-www-form-urlencoded"), want: 400, wantErr: "content type"},
		{name: "redrive of nothing", method: "POST", path: Path + "api/dlqs/LaunchDLQ/redrive", body: `{}`, header: jsonToken, want: 400, wantErr: "select"},
		{name: "redrive of no DLQ", method: "POST", path: Path + "api/dlqs/LaunchQueue/redrive", body: `{"all":true}`, header: jsonToken, want: 404, wantErr: "no dead-letter queue"},
		{name: "delete is no route", method: "DELETE", path: Path + "api/config", header: jsonToken, want: 405},
	}
	s := newTestServer(t, true, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(s, tt.method, tt.path, tt.body, tt.header)
			if w.Code != tt.want {
				t.Fatalf("%s %s: %d %s, want %d", tt.method, tt.path, w.Code, w.Body, tt.want)
			}
			if tt.wantErr != "" && !strings.Contains(w.Body.String(), tt.wantErr) {
				t.Errorf("body %s lacks %q", w.Body, tt.wantErr)
			}
			if got := w.Header().Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("X-Frame-Options = %q", got)
			}
		})
	}
}

// TestReadOnlyRefusesActions: a console without AllowActions (deployed,
// no --allow-actions) refuses them even with the token.
func TestReadOnlyRefusesActions(t *testing.T) {
	s := newTestServer(t, false, nil)
	for _, path := range []string{"api/dlqs/LaunchDLQ/redrive", "api/dlqs/LaunchDLQ/purge"} {
		w := serve(s, "POST", Path+path, `{"all":true,"confirm":"LaunchDLQ"}`, map[string]string{"Content-Type": "application/json", TokenHeader: testToken})
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "read-only") {
			t.Errorf("%s: %d %s, want 403 read-only", path, w.Code, w.Body)
		}
	}
}

func TestNewRefusesANonLoopbackAddress(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:3000", "192.0.2.1:3000", "localhost:3000", "nonsense"} {
		if _, err := New(Options{Addr: addr}); err == nil {
			t.Errorf("New(%q) accepted", addr)
		}
	}
}

// TestRequestTimeline: a request's page is internal/trace's timeline.
func TestRequestTimeline(t *testing.T) {
	raw, err := os.ReadFile("../../internal/trace/testdata/retried.json")
	if err != nil {
		t.Fatal(err)
	}
	var r trace.Request
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	fake := &fakeRequests{req: r}
	s := newTestServer(t, true, fake)
	s.opts.Now = func() time.Time { return r.UpdatedAt.Add(time.Minute) }

	tests := []struct {
		name, path string
		want       int
		wantIn     []string
	}{
		{"timeline", "api/requests/" + r.RequestID, 200, []string{`"retries":2`, "retry (receive 1): RequestLimitExceeded", "InstancesPending", `"now":"done: RUNNING since`, `"final":true`}},
		{"unknown request", "api/requests/nope", 404, []string{"not found"}},
		{"list by status", "api/requests?status=RUNNING", 200, []string{r.RequestID}},
		{"bad status", "api/requests?status=DONE", 400, []string{"status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(s, "GET", Path+tt.path, "", nil)
			if w.Code != tt.want {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tt.want)
			}
			for _, in := range tt.wantIn {
				if !strings.Contains(w.Body.String(), in) {
					t.Errorf("body lacks %q:\n%s", in, w.Body)
				}
			}
		})
	}
	if fake.listStatus != string(status.Running) {
		t.Errorf("listing asked for status %q, want RUNNING", fake.listStatus)
	}
}

// TestBuildChainListsEverySubscription: the chain drawn from the template
// names every subscription with its filter and DLQ, and each queue's
// consumer and the events it emits.
func TestBuildChainListsEverySubscription(t *testing.T) {
	tmpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := tmpl.Resolve(nil, samtemplate.LocalResolver{})
	if err != nil {
		t.Fatal(err)
	}
	c := BuildChain(r, "template.yaml")
	seen := map[string]ChainSubscription{}
	for _, topic := range c.Topics {
		for _, s := range topic.Subscriptions {
			seen[s.LogicalID] = s
		}
	}
	for _, s := range r.Subscriptions {
		got, ok := seen[s.LogicalID]
		if !ok {
			t.Errorf("subscription %s missing from the chain", s.LogicalID)
			continue
		}
		if got.Queue != s.EndpointQueue || got.DLQ != s.DeadLetterQueue || (len(s.FilterPolicy) > 0) != (got.Filter != "") {
			t.Errorf("subscription %s = %+v, template says queue %s, DLQ %s, filter %s", s.LogicalID, got, s.EndpointQueue, s.DeadLetterQueue, s.FilterPolicy)
		}
	}
	if c.API != "api" {
		t.Errorf("API function %q, want api", c.API)
	}
	for _, f := range c.Functions {
		if f.Name == "launcher" && (len(f.Emits) != 2 || len(f.Queues) != 1 || f.Queues[0] != "LaunchQueue") {
			t.Errorf("launcher = %+v, want LaunchQueue, emitting instance.launched and launch.failed", f)
		}
	}
}
