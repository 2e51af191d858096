package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/publish"
	"github.com/eventchain/eventchain/internal/status"
)

func TestFixturesHaveTheEventShape(t *testing.T) {
	for _, name := range []string{"api-post.json", "api-post-bulk.json", "api-get.json", "api-post-bad-body.json", "api-unknown-route.json"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields() // every member is one the event type has
			var req lambdaevents.APIGatewayV2HTTPRequest
			if err := dec.Decode(&req); err != nil {
				t.Fatal(err)
			}
			if req.Version != "2.0" || req.RouteKey == "" || req.RawPath == "" || req.RequestContext.HTTP.Method == "" {
				t.Errorf("not a payload 2.0 event: %+v", req)
			}
			if req.RequestContext.Authorizer == nil || req.RequestContext.Authorizer.IAM == nil {
				t.Error("no IAM identity: deployed requests always carry one")
			}
		})
	}
}

func TestPostFixture(t *testing.T) {
	env := newEnv(t)
	req := fixture(t, "api-post.json")
	resp, body := env.do(t, req)
	if resp.StatusCode != 202 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	id, _ := body["requestId"].(string)
	if !event.ValidID(id) || body["status"] != "ACCEPTED" || len(body) != 2 {
		t.Errorf("body %s, want {requestId, status: ACCEPTED}", resp.Body)
	}
	if resp.Headers["Location"] != "/launches/"+id {
		t.Errorf("Location %q", resp.Headers["Location"])
	}
	wantCorr := req.Headers["x-correlation-id"]
	if resp.Headers[HeaderCorrelationID] != wantCorr {
		t.Errorf("correlation header %q, want the caller's %q", resp.Headers[HeaderCorrelationID], wantCorr)
	}

	// Published: one launch.requested carrying the whole request.
	if len(env.pub.calls) != 1 || len(env.pub.calls[0]) != 1 {
		t.Fatalf("publish calls %v, want one with one envelope", env.pub.calls)
	}
	ev := env.pub.calls[0][0]
	if ev.Type != event.TypeLaunchRequested || ev.Source != Source || ev.Subject != id || ev.CorrelationID != wantCorr || !ev.Time.Equal(env.now) {
		t.Errorf("envelope %+v", ev)
	}
	var data event.LaunchRequested
	if err := ev.DecodeData(&data); err != nil {
		t.Fatal(err)
	}
	want := event.LaunchRequested{
		RequestID: id, ImageID: "ami-0123456789abcdef0", InstanceType: "t3.micro", Count: 2,
		Tags: map[string]string{"team": "platform", "env": "dev"}, SubnetID: "subnet-0a1b2c3d4e5f60718",
		KeyName: "deploy-key", SecurityGroupIDs: []string{"sg-0123456789abcdef0"}, UserData: "IyEvYmluL3NoCmVjaG8gaGVsbG8K",
	}
	if gb, wb := mustJSON(t, data), mustJSON(t, want); gb != wb {
		t.Errorf("data %s\nwant %s", gb, wb)
	}

	// Recorded: ACCEPTED, owned by the caller, holding the published bytes.
	r, err := env.store.Store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != status.Accepted || r.CorrelationID != wantCorr || r.Caller != req.RequestContext.Authorizer.IAM.UserARN {
		t.Errorf("stored %+v", r)
	}
	if string(r.Event) != string(env.pub.published(t)[0]) {
		t.Errorf("stored event differs from the published one:\n%s\n%s", r.Event, env.pub.published(t)[0])
	}
	if len(r.History) != 1 || r.History[0].Event != event.TypeLaunchRequested || !r.History[0].At.Equal(env.now) {
		t.Errorf("history %+v", r.History)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPostBulkFixture(t *testing.T) {
	env := newEnv(t)
	resp, body := env.do(t, fixture(t, "api-post-bulk.json"))
	if resp.StatusCode != 202 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	if _, ok := resp.Headers["Location"]; ok {
		t.Error("bulk answer has a Location header")
	}
	items, _ := body["requests"].([]any)
	if len(items) != 3 {
		t.Fatalf("body %s, want 3 requests", resp.Body)
	}
	if len(env.pub.calls) != 1 || len(env.pub.calls[0]) != 3 {
		t.Fatalf("publish calls %d, want one call with all 3 envelopes", len(env.pub.calls))
	}
	corr := resp.Headers[HeaderCorrelationID]
	for i, it := range items {
		m := it.(map[string]any)
		id := m["requestId"].(string)
		if m["status"] != "ACCEPTED" || m["location"] != "/launches/"+id {
			t.Errorf("item %d: %v", i, m)
		}
		ev := env.pub.calls[0][i]
		if ev.Subject != id || ev.CorrelationID != corr {
			t.Errorf("envelope %d is for %s/%s, want %s/%s (order kept, one correlation id)", i, ev.Subject, ev.CorrelationID, id, corr)
		}
		if r, err := env.store.Store.Get(context.Background(), id); err != nil || r.Status != status.Accepted {
			t.Errorf("stored %s: %v %v", id, r.Status, err)
		}
	}
	if !event.ValidID(corr) {
		t.Errorf("generated correlation id %q", corr)
	}
}

func TestBadBodyAndUnknownRouteFixtures(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		status int
		code   string
		field  string
	}{
		{"bad body", "api-post-bad-body.json", 400, CodeInvalidValue, "count"},
		{"unknown route", "api-unknown-route.json", 404, CodeNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			resp, body := env.do(t, fixture(t, tt.file))
			if resp.StatusCode != tt.status || errField(body, "code") != tt.code || errField(body, "field") != tt.field {
				t.Errorf("got %d %s", resp.StatusCode, resp.Body)
			}
			if env.store.touched() != 0 || env.pub.callCount() != 0 {
				t.Error("store or publisher touched")
			}
		})
	}
}

func TestGetFixture(t *testing.T) {
	env := newEnv(t)
	req := fixture(t, "api-get.json")
	id := req.PathParameters["requestId"]
	created := env.now.Add(-time.Minute)
	ctx := context.Background()
	if err := env.store.Store.Create(ctx, status.Request{
		ID: id, CorrelationID: "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", Caller: req.RequestContext.Authorizer.IAM.UserARN,
		CreatedAt: created, UpdatedAt: created, Event: []byte(`{}`),
	}); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []status.Transition{
		{To: status.Accepted, Event: event.TypeLaunchRequested, At: created},
		{To: status.Launching, Event: event.TypeInstanceLaunched, At: created.Add(2 * time.Second), InstanceIDs: []string{"i-0123456789abcdef0"}},
	} {
		if _, err := env.store.Store.Advance(ctx, id, tr); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := env.h.Handle(ctx, req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v %s", resp.StatusCode, err, resp.Body)
	}
	want := `{"requestId":"` + id + `","status":"LAUNCHING","instanceIds":["i-0123456789abcdef0"],
		"history":[{"event":"launch.requested","at":"2026-01-15T09:59:00Z","status":"ACCEPTED"},{"event":"instance.launched","at":"2026-01-15T09:59:02Z","status":"LAUNCHING"}],
		"hops":[],"createdAt":"2026-01-15T09:59:00Z","updatedAt":"2026-01-15T09:59:02Z"}`
	assertJSONEq(t, resp.Body, want)
	if resp.Headers["Retry-After"] != "5" {
		t.Errorf("Retry-After %q while LAUNCHING, want 5", resp.Headers["Retry-After"])
	}
	if resp.Headers["Cache-Control"] != "no-store" {
		t.Errorf("Cache-Control %q", resp.Headers["Cache-Control"])
	}
}

func assertJSONEq(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want: %v", err)
	}
	if mustJSON(t, g) != mustJSON(t, w) {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
}

func TestGetShapes(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	at := env.now
	mk := func(caller string, trs ...status.Transition) string {
		id := event.NewID()
		if err := env.store.Store.Create(ctx, status.Request{ID: id, Caller: caller, CorrelationID: "c", CreatedAt: at, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
		for _, tr := range trs {
			if _, err := env.store.Store.Advance(ctx, id, tr); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	alice := "arn:aws:iam::123456789012:user/alice"
	pending := mk(alice)
	failed := mk(alice, status.Transition{To: status.Failed, Event: event.TypeLaunchFailed, At: at.Add(time.Second),
		Error: &status.Failure{Code: "InvalidAMIID.NotFound", Message: "image gone"}})
	bobs := mk("arn:aws:iam::123456789012:user/bob")

	tests := []struct {
		name       string
		req        lambdaevents.APIGatewayV2HTTPRequest
		status     int
		want       string // JSON body for 200s
		storeReads int
	}{
		{"pending", getReq(pending), 200, `{"requestId":"` + pending + `","status":"PENDING","instanceIds":[],"history":[],"hops":[],"createdAt":"2026-01-15T10:00:00Z","updatedAt":"2026-01-15T10:00:00Z"}`, 1},
		{"failed with its error", getReq(failed), 200, `{"requestId":"` + failed + `","status":"FAILED","instanceIds":[],"error":{"code":"InvalidAMIID.NotFound","message":"image gone"},"history":[{"event":"launch.failed","at":"2026-01-15T10:00:01Z","status":"FAILED"}],"hops":[],"createdAt":"2026-01-15T10:00:00Z","updatedAt":"2026-01-15T10:00:01Z"}`, 1},
		{"unknown id", getReq(event.NewID()), 404, "", 1},
		{"another caller's request", getReq(bobs), 404, "", 1},
		{"malformed id", getReq("not-an-id"), 404, "", 0},
		{"uppercase id", getReq(strings.ToUpper(pending)), 404, "", 0},
		{"via $default route", func() lambdaevents.APIGatewayV2HTTPRequest {
			r := getReq(pending)
			r.RouteKey, r.PathParameters = "$default", nil
			return r
		}(), 200, "", 1},
		{"by route key without path parameters", func() lambdaevents.APIGatewayV2HTTPRequest {
			r := getReq(pending)
			r.PathParameters = nil
			return r
		}(), 200, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := env.store.gets
			resp, body := env.do(t, tt.req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, resp.Body)
			}
			if tt.status == 404 && errField(body, "code") != CodeNotFound {
				t.Errorf("body %s", resp.Body)
			}
			if tt.want != "" {
				assertJSONEq(t, resp.Body, tt.want)
			}
			if tt.status == 200 && resp.Headers["Cache-Control"] != "no-store" {
				t.Error("no Cache-Control: no-store")
			}
			if got := env.store.gets - before; got != tt.storeReads {
				t.Errorf("store reads %d, want %d", got, tt.storeReads)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	withRoute := func(method, path, routeKey string) lambdaevents.APIGatewayV2HTTPRequest {
		r := postReq(validBody)
		r.RouteKey, r.RequestContext.RouteKey = routeKey, routeKey
		r.RawPath, r.RequestContext.HTTP.Path, r.RequestContext.HTTP.Method = path, path, method
		return r
	}
	id := event.NewID()
	tests := []struct {
		name   string
		req    lambdaevents.APIGatewayV2HTTPRequest
		status int
		allow  string
	}{
		{"POST by route key", withRoute("POST", "/launches", "POST /launches"), 202, ""},
		{"POST through $default", withRoute("POST", "/launches", "$default"), 202, ""},
		{"POST with no route key", withRoute("POST", "/launches", ""), 202, ""},
		{"POST under a named stage", func() lambdaevents.APIGatewayV2HTTPRequest {
			r := withRoute("POST", "/prod/launches", "$default")
			r.RequestContext.Stage = "prod"
			return r
		}(), 202, ""},
		{"GET on the collection", withRoute("GET", "/launches", "$default"), 200, ""},
		{"GET on the collection by route key", withRoute("GET", "/launches", "GET /launches"), 200, ""},
		{"DELETE on the collection", withRoute("DELETE", "/launches", "$default"), 405, "POST, GET"},
		{"POST on a request", withRoute("POST", "/launches/"+id, "$default"), 405, "GET"},
		{"PUT on a request", withRoute("PUT", "/launches/"+id, "$default"), 405, "GET"},
		{"unknown path", withRoute("GET", "/instances", "$default"), 404, ""},
		{"root", withRoute("GET", "/", "$default"), 404, ""},
		{"nested under a request", withRoute("GET", "/launches/"+id+"/cancel", "$default"), 404, ""},
		{"prefix lookalike", withRoute("POST", "/launchesX", "$default"), 404, ""},
		{"HEAD on a request", withRoute("HEAD", "/launches/"+id, "$default"), 405, "GET"},
		{"POST on the collection with a trailing slash", withRoute("POST", "/launches/", "$default"), 405, "GET"},
		{"GET on the collection with a trailing slash", withRoute("GET", "/launches/", "$default"), 404, ""},

		// Non-canonical paths are refused before routing, whatever the
		// route key says.
		{"empty segment", withRoute("POST", "//launches", "$default"), 404, ""},
		{"dot segment", withRoute("POST", "/./launches", "$default"), 404, ""},
		{"dot-dot segment", withRoute("POST", "/launches/../launches", "$default"), 404, ""},
		{"dot-dot as a request id", withRoute("POST", "/launches/..", "$default"), 404, ""},
		{"escaped dot-dot", withRoute("GET", "/launches/%2e%2E", "$default"), 404, ""},
		{"escaped slash", withRoute("GET", "/launches/a%2Fb", "$default"), 404, ""},
		{"escaped slash, lower case", withRoute("GET", "/launches%2f"+id, "$default"), 404, ""},
		{"bad escape", withRoute("GET", "/launches/%zz", "$default"), 404, ""},
		{"double slash under a route key", withRoute("POST", "/launches//", "POST /launches"), 404, ""},
		{"relative", withRoute("POST", "launches", "$default"), 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			resp, body := env.do(t, tt.req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, resp.Body)
			}
			if resp.Headers["Allow"] != tt.allow {
				t.Errorf("Allow %q, want %q", resp.Headers["Allow"], tt.allow)
			}
			switch tt.status {
			case 404:
				if errField(body, "code") != CodeNotFound {
					t.Errorf("body %s", resp.Body)
				}
			case 405:
				if errField(body, "code") != CodeMethodNotAllowed {
					t.Errorf("body %s", resp.Body)
				}
			}
			if tt.status >= 400 && (resp.Headers["Content-Type"] != "application/json" || errField(body, "message") == "") {
				t.Errorf("refusal is not a JSON error: %v %s", resp.Headers, resp.Body)
			}
			if tt.status != 202 && (env.store.touched() != 0 || env.pub.callCount() != 0) {
				t.Error("store or publisher touched")
			}
		})
	}
}

func TestCorrelationID(t *testing.T) {
	given := event.NewID()
	tests := []struct {
		name   string
		header string
		want   string // "" = a new id
	}{
		{"caller's id kept", given, given},
		{"uppercase caller id normalized", strings.ToUpper(given), given},
		{"malformed header replaced", "abc; drop table", ""},
		{"absent", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			req := postReq(validBody)
			if tt.header != "" {
				req.Headers["x-correlation-id"] = tt.header
			}
			resp, _ := env.do(t, req)
			got := env.pub.calls[0][0].CorrelationID
			if !event.ValidID(got) || (tt.want != "" && got != tt.want) || (tt.want == "" && got == tt.header) {
				t.Errorf("correlation id %q (header %q)", got, tt.header)
			}
			if resp.Headers[HeaderCorrelationID] != got {
				t.Errorf("response header %q, event %q", resp.Headers[HeaderCorrelationID], got)
			}
		})
	}
}

func TestIdempotency(t *testing.T) {
	env := newEnv(t)
	first, fb := env.do(t, postReq(validBody, "idempotency-key", "k-1"))
	if first.StatusCode != 202 {
		t.Fatalf("first: %d %s", first.StatusCode, first.Body)
	}
	id := fb["requestId"].(string)

	// Same key, same body (formatted differently): the first id, nothing new.
	reordered := `{ "count": 1, "instanceType": "t3.micro", "imageId": "ami-0123456789abcdef0" }`
	again, ab := env.do(t, postReq(reordered, "idempotency-key", "k-1"))
	if again.StatusCode != 202 || ab["requestId"] != id || ab["status"] != "ACCEPTED" || again.Headers["Location"] != "/launches/"+id {
		t.Errorf("replay: %d %s", again.StatusCode, again.Body)
	}
	if again.Headers[HeaderCorrelationID] != first.Headers[HeaderCorrelationID] {
		t.Error("replay answers another correlation id")
	}
	if n := len(env.pub.published(t)); n != 1 {
		t.Errorf("published %d events, want 1 (an ACCEPTED request is not republished)", n)
	}

	// Same key, different body: 422, nothing recorded or published.
	createsBefore := env.store.creates
	diff, db := env.do(t, postReq(launchWith(`"count":2`), "idempotency-key", "k-1"))
	if diff.StatusCode != 422 || errField(db, "code") != CodeIdempotencyKeyReused {
		t.Errorf("different body: %d %s", diff.StatusCode, diff.Body)
	}
	if env.store.creates != createsBefore || len(env.pub.published(t)) != 1 {
		t.Error("a reused key recorded or published something")
	}

	// Same key as a bulk request of the same launch: a different body.
	bulk, _ := env.do(t, postReq(bulkOf(validBody), "idempotency-key", "k-1"))
	if bulk.StatusCode != 422 {
		t.Errorf("bulk under a single request's key: %d", bulk.StatusCode)
	}

	// The key is scoped to the caller: someone else's k-1 is a new request.
	other := postReq(validBody, "idempotency-key", "k-1")
	other.RequestContext.Authorizer.IAM.UserARN = "arn:aws:iam::123456789012:user/bob"
	ob, obody := env.do(t, other)
	if ob.StatusCode != 202 || obody["requestId"] == id {
		t.Errorf("other caller: %d %s", ob.StatusCode, ob.Body)
	}

	// No key: every POST is a new request.
	n1, b1 := env.do(t, postReq(validBody))
	n2, b2 := env.do(t, postReq(validBody))
	if n1.StatusCode != 202 || n2.StatusCode != 202 || b1["requestId"] == b2["requestId"] {
		t.Error("POSTs without a key share an id")
	}
}

func TestCallerScope(t *testing.T) {
	iam := func(arn, account, caller string) lambdaevents.APIGatewayV2HTTPRequest {
		r := postReq(validBody)
		r.RequestContext.Authorizer.IAM = &lambdaevents.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{UserARN: arn, AccountID: account, CallerID: caller}
		return r
	}
	tests := []struct {
		name string
		req  lambdaevents.APIGatewayV2HTTPRequest
		want string
	}{
		{"user arn", iam("arn:aws:iam::1:user/a", "1", "AIDA"), "arn:aws:iam::1:user/a"},
		{"account and caller", iam("", "1", "AROA:s"), "1:AROA:s"},
		{"no iam", func() lambdaevents.APIGatewayV2HTTPRequest {
			r := postReq(validBody)
			r.RequestContext.Authorizer = nil
			return r
		}(), AnonymousCaller},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := callerScope(tt.req); got != tt.want {
				t.Errorf("scope %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConcurrentDuplicatesMakeOneRequest(t *testing.T) {
	env := newEnv(t)
	const n = 12
	bodies := make([]map[string]any, n)
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := env.h.Handle(context.Background(), postReq(validBody, "idempotency-key", "same"))
			if err != nil {
				t.Error(err)
				return
			}
			codes[i] = resp.StatusCode
			_ = json.Unmarshal([]byte(resp.Body), &bodies[i])
		}()
	}
	wg.Wait()
	ids := map[any]bool{}
	for i := range n {
		if codes[i] != 202 {
			t.Errorf("duplicate %d answered %d", i, codes[i])
		}
		ids[bodies[i]["requestId"]] = true
	}
	if len(ids) != 1 {
		t.Errorf("%d distinct request ids, want 1: %v", len(ids), ids)
	}
	if len(env.store.createdIDs) != 1 {
		t.Errorf("%d requests recorded, want 1", len(env.store.createdIDs))
	}
	// Duplicates arriving while the winner publishes may republish, but
	// only the same event.
	pubs := env.pub.published(t)
	for _, p := range pubs[1:] {
		if string(p) != string(pubs[0]) {
			t.Errorf("published different events for one request:\n%s\n%s", pubs[0], p)
		}
	}
}

func TestPublishFailureThenRetry(t *testing.T) {
	env := newEnv(t)
	env.pub.fail = func(call int, _ []event.Envelope) error {
		if call == 0 {
			return errors.New("sns: connection reset")
		}
		return nil
	}
	resp, body := env.do(t, postReq(validBody, "idempotency-key", "retry-me"))
	if resp.StatusCode != 503 || errField(body, "code") != CodePublishFailed {
		t.Fatalf("first attempt: %d %s", resp.StatusCode, resp.Body)
	}
	ra, err := strconv.Atoi(resp.Headers["Retry-After"])
	if err != nil || ra < 1 || ra > 5 {
		t.Errorf("Retry-After %q, want 1..5", resp.Headers["Retry-After"])
	}
	if _, ok := resp.Headers["Location"]; ok {
		t.Error("503 carries a Location")
	}
	id, _ := body["requestId"].(string)
	if body["status"] != "PENDING" {
		t.Errorf("503 body %s", resp.Body)
	}
	r, err := env.store.Store.Get(context.Background(), id)
	if err != nil || r.Status != status.Pending {
		t.Fatalf("after a failed publish: %v %v, want PENDING", r.Status, err)
	}

	env.now = env.now.Add(3 * time.Second)
	retry, rb := env.do(t, postReq(validBody, "idempotency-key", "retry-me"))
	if retry.StatusCode != 202 || rb["requestId"] != id || retry.Headers["Location"] != "/launches/"+id {
		t.Fatalf("retry: %d %s", retry.StatusCode, retry.Body)
	}
	pubs := env.pub.published(t)
	if len(pubs) != 2 || string(pubs[0]) != string(pubs[1]) || string(pubs[1]) != string(r.Event) {
		t.Errorf("retry published\n%s\nwant the first attempt's bytes\n%s", pubs[len(pubs)-1], r.Event)
	}
	r, _ = env.store.Store.Get(context.Background(), id)
	if r.Status != status.Accepted || len(r.History) != 1 || !r.History[0].At.Equal(env.now) {
		t.Errorf("after retry: %+v", r)
	}
	if len(env.store.createdIDs) != 1 {
		t.Errorf("%d requests recorded, want 1", len(env.store.createdIDs))
	}
}

// TestPublishFailureWithoutKey: without an Idempotency-Key nothing can
// republish an unpublished request (the client's retry is a new POST), so
// it is closed as FAILED (PublishFailed) before the 503; the published
// ones of a bulk request stay ACCEPTED.
func TestPublishFailureWithoutKey(t *testing.T) {
	tests := []struct {
		name        string
		fail        func(int, []event.Envelope) error
		failAdvance error
		wantStates  []string
	}{
		{name: "whole publish fails", fail: func(int, []event.Envelope) error { return errors.New("down") },
			wantStates: []string{"FAILED", "FAILED"}},
		{name: "one entry of the batch fails", fail: func(_ int, evs []event.Envelope) error {
			return &publish.BatchError{Total: len(evs), Failures: []publish.Failure{{Index: 1, EnvelopeID: evs[1].ID, Code: "InternalError", Message: "x"}}}
		}, wantStates: []string{"ACCEPTED", "FAILED"}},
		{name: "store failure leaves the request PENDING", fail: func(int, []event.Envelope) error { return errors.New("down") },
			failAdvance: errors.New("dynamodb: throttled"), wantStates: []string{"PENDING", "PENDING"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			env.pub.fail = tt.fail
			env.store.failAdvance = tt.failAdvance
			resp, body := env.do(t, postReq(bulkOf(validBody, validBody)))
			if resp.StatusCode != 503 || errField(body, "code") != CodePublishFailed {
				t.Fatalf("%d %s", resp.StatusCode, resp.Body)
			}
			if ra, _ := strconv.Atoi(resp.Headers["Retry-After"]); ra < 1 || ra > 5 {
				t.Errorf("Retry-After %q, want 1..5 (the client retries with a new POST)", resp.Headers["Retry-After"])
			}
			env.store.failAdvance = nil
			for i, it := range body["requests"].([]any) {
				m := it.(map[string]any)
				id := m["requestId"].(string)
				r, err := env.store.Store.Get(context.Background(), id)
				if err != nil || string(r.Status) != tt.wantStates[i] || m["status"] != tt.wantStates[i] {
					t.Errorf("%d: stored %s (%v), answered %v; want %s", i, r.Status, err, m["status"], tt.wantStates[i])
				}
				if r.Status == status.Failed && (r.Error == nil || r.Error.Code != CodePublishFailed) {
					t.Errorf("%d: error %+v, want code %s", i, r.Error, CodePublishFailed)
				}
			}
			if !strings.Contains(errField(body, "message"), "new POST") || !strings.Contains(errField(body, "message"), "Idempotency-Key") {
				t.Errorf("message %q does not say how to retry", errField(body, "message"))
			}
		})
	}
}

// TestReplayAnswersStoredStatus: an Idempotency-Key replay answers where
// the request is now, not a fixed ACCEPTED.
func TestReplayAnswersStoredStatus(t *testing.T) {
	for _, to := range []status.Status{status.Launching, status.Running, status.Failed} {
		t.Run(string(to), func(t *testing.T) {
			env := newEnv(t)
			first, fb := env.do(t, postReq(validBody, "idempotency-key", "k-1"))
			if first.StatusCode != 202 {
				t.Fatalf("first: %d %s", first.StatusCode, first.Body)
			}
			id := fb["requestId"].(string)
			for _, st := range []status.Status{status.Launching, to} {
				if _, err := env.store.Store.Advance(context.Background(), id, status.Transition{To: st, Event: "test", At: env.now}); err != nil && !errors.Is(err, status.ErrNotForward) {
					t.Fatal(err)
				}
			}
			again, ab := env.do(t, postReq(validBody, "idempotency-key", "k-1"))
			if again.StatusCode != 202 || ab["requestId"] != id || ab["status"] != string(to) {
				t.Errorf("replay: %d %s, want 202 with status %s", again.StatusCode, again.Body, to)
			}
			if n := len(env.pub.published(t)); n != 1 {
				t.Errorf("published %d events, want 1", n)
			}
		})
	}
}

func TestBulkPartialPublishFailure(t *testing.T) {
	env := newEnv(t)
	env.pub.fail = func(call int, evs []event.Envelope) error {
		if call != 0 {
			return nil
		}
		return &publish.BatchError{Total: len(evs), Failures: []publish.Failure{
			{Index: 1, EnvelopeID: evs[1].ID, Code: "InternalError", Message: "x"},
			{Index: 3, EnvelopeID: evs[3].ID, Code: "Throttled", Message: "y"},
		}}
	}
	body := bulkOf(validBody, launchWith(`"count":2`), launchWith(`"count":3`), launchWith(`"count":4`), launchWith(`"count":5`))
	resp, rb := env.do(t, postReq(body, "idempotency-key", "bulk-1"))
	if resp.StatusCode != 503 || errField(rb, "code") != CodePublishFailed {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	if ra, _ := strconv.Atoi(resp.Headers["Retry-After"]); ra < 1 || ra > 5 {
		t.Errorf("Retry-After %q", resp.Headers["Retry-After"])
	}
	var ids []string
	var states []string
	for _, it := range rb["requests"].([]any) {
		m := it.(map[string]any)
		ids = append(ids, m["requestId"].(string))
		states = append(states, m["status"].(string))
	}
	if want := []string{"ACCEPTED", "PENDING", "ACCEPTED", "PENDING", "ACCEPTED"}; !slices.Equal(states, want) {
		t.Errorf("answered states %v, want %v", states, want)
	}
	stored := make([]status.Request, len(ids))
	for i, id := range ids {
		r, err := env.store.Store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		stored[i] = r
		if string(r.Status) != states[i] {
			t.Errorf("stored %d: %s, answered %s", i, r.Status, states[i])
		}
	}

	retry, rrb := env.do(t, postReq(body, "idempotency-key", "bulk-1"))
	if retry.StatusCode != 202 {
		t.Fatalf("retry: %d %s", retry.StatusCode, retry.Body)
	}
	if len(env.pub.calls) != 2 || len(env.pub.calls[1]) != 2 {
		t.Fatalf("retry published %d envelopes, want only the 2 PENDING", len(env.pub.calls[len(env.pub.calls)-1]))
	}
	for k, i := range []int{1, 3} {
		got := mustJSON(t, env.pub.calls[1][k])
		if got != string(stored[i].Event) {
			t.Errorf("republished\n%s\nwant stored\n%s", got, stored[i].Event)
		}
	}
	for i, it := range rrb["requests"].([]any) {
		m := it.(map[string]any)
		if m["requestId"] != ids[i] || m["status"] != "ACCEPTED" {
			t.Errorf("retry item %d: %v", i, m)
		}
		if r, _ := env.store.Store.Get(context.Background(), ids[i]); r.Status != status.Accepted {
			t.Errorf("after retry %d is %s", i, r.Status)
		}
	}
}

func TestLauncherGetsThereFirst(t *testing.T) {
	env := newEnv(t)
	// The launcher consumes the event and moves the request on before the
	// API marks it ACCEPTED: the status stays LAUNCHING, and the API's
	// launch.requested still enters the history, before the launcher's.
	env.pub.during = func(evs []event.Envelope) {
		for _, ev := range evs {
			if _, err := env.store.Store.Advance(context.Background(), ev.Subject, status.Transition{To: status.Launching, Event: event.TypeInstanceLaunched, At: env.now}); err != nil {
				t.Error(err)
			}
		}
	}
	resp, body := env.do(t, postReq(validBody))
	if resp.StatusCode != 202 || body["status"] != "ACCEPTED" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	r, _ := env.store.Store.Get(context.Background(), body["requestId"].(string))
	var events []string
	for _, h := range r.History {
		events = append(events, h.Event)
	}
	if want := []string{event.TypeLaunchRequested, event.TypeInstanceLaunched}; r.Status != status.Launching || !slices.Equal(events, want) {
		t.Errorf("stored %s with history %v, want LAUNCHING with %v", r.Status, events, want)
	}
}

func TestStoreFailures(t *testing.T) {
	boom := errors.New("dynamodb: throttled")
	tests := []struct {
		name  string
		setup func(*countingStore)
		req   lambdaevents.APIGatewayV2HTTPRequest
	}{
		{"create fails", func(s *countingStore) { s.failCreate = boom }, postReq(validBody)},
		{"claim fails", func(s *countingStore) { s.failClaim = boom }, postReq(validBody, "idempotency-key", "k")},
		{"get fails", func(s *countingStore) { s.failGet = boom }, getReq(event.NewID())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			tt.setup(env.store)
			resp, body := env.do(t, tt.req)
			if resp.StatusCode != 503 || errField(body, "code") != CodeUnavailable || resp.Headers["Retry-After"] == "" {
				t.Errorf("%d %v %s", resp.StatusCode, resp.Headers, resp.Body)
			}
			if env.pub.callCount() != 0 {
				t.Error("published despite the store failure")
			}
		})
	}
}

func TestClaimedButUnrecordedRequestsAreRecordedOnRetry(t *testing.T) {
	env := newEnv(t)
	// A first attempt that claimed its key and died before recording.
	orphan := event.NewID()
	canon, _ := env.h.validate.parse([]byte(validBody))
	first := postReq(validBody, "idempotency-key", "k")
	if _, won, err := env.store.Store.ClaimKey(context.Background(), status.Claim{
		Scope: callerScope(first), Key: "k", BodyHash: hashOf(canon), RequestIDs: []string{orphan},
		CreatedAt: env.now, ExpiresAt: env.now.Add(time.Hour),
	}); err != nil || !won {
		t.Fatal(won, err)
	}
	resp, body := env.do(t, first)
	if resp.StatusCode != 202 || body["requestId"] != orphan {
		t.Fatalf("%d %s, want 202 for %s", resp.StatusCode, resp.Body, orphan)
	}
	if r, err := env.store.Store.Get(context.Background(), orphan); err != nil || r.Status != status.Accepted {
		t.Errorf("%v %v", r.Status, err)
	}
}

func TestLogs(t *testing.T) {
	env := newEnv(t)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"})
	secretTag := "tag-value-that-is-user-data"
	resp, err := env.h.Handle(ctx, postReq(launchWith(`"tags":{"owner":"`+secretTag+`"},"keyName":"my-secret-key"`), "idempotency-key", "key-that-is-user-data"))
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	_, _ = env.h.Handle(ctx, postReq(launchWith(`"tags":{"aws:x":"`+secretTag+`"}`)))
	logs := env.logs.String()
	var id map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &id)
	var sawAccepted, sawRefused bool
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["function"] != "api" || rec["aws_request_id"] != "lambda-req-1" {
			t.Errorf("log line without function/aws_request_id: %s", line)
		}
		if rec["request_id"] == id["requestId"] && rec["correlation_id"] == resp.Headers[HeaderCorrelationID] {
			sawAccepted = true
			if rec["event_type"] != event.TypeLaunchRequested || rec["event_id"] != env.pub.calls[0][0].ID {
				t.Errorf("accepted line without the published event's id and type: %s", line)
			}
		}
		if rec["code"] == CodeInvalidValue {
			sawRefused = true
		}
	}
	if !sawAccepted || !sawRefused {
		t.Errorf("missing accepted or refused line:\n%s", logs)
	}
	for _, secret := range []string{secretTag, "my-secret-key", "key-that-is-user-data", "owner"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain user data %q", secret)
		}
	}
}

func TestNewRequiresDeps(t *testing.T) {
	if _, err := New(testConfig(), Deps{Store: newMemStore()}); err == nil {
		t.Error("New without a publisher succeeded")
	}
	if _, err := New(testConfig(), Deps{Publisher: &fakePublisher{}}); err == nil {
		t.Error("New without a store succeeded")
	}
	if _, err := New(Config{}, Deps{Publisher: &fakePublisher{}, Store: newMemStore()}); err == nil {
		t.Error("New with a zero config succeeded")
	}
}

func TestPublishFailureLogsNameTheRequest(t *testing.T) {
	env := newEnv(t)
	env.pub.fail = func(int, []event.Envelope) error { return errors.New("sns down") }
	resp, body := env.do(t, postReq(validBody, "idempotency-key", "k"))
	if resp.StatusCode != 503 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	saw := false
	for _, line := range strings.Split(strings.TrimSpace(env.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] != "publish launch.requested" {
			continue
		}
		saw = true
		if rec["request_id"] != body["requestId"] || rec["correlation_id"] != resp.Headers[HeaderCorrelationID] ||
			rec["event_type"] != event.TypeLaunchRequested || rec["event_id"] == "" || rec["error"] != "sns down" {
			t.Errorf("publish failure line lacks the request's ids: %s", line)
		}
	}
	if !saw {
		t.Errorf("no publish failure line:\n%s", env.logs.String())
	}
}
