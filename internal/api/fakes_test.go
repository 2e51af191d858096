package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/localcloudtest"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
)

// fakePublisher records every Publish call with the bytes each envelope
// would travel as. fail, when set, decides the call's outcome.
type fakePublisher struct {
	mu    sync.Mutex
	calls [][]event.Envelope
	fail  func(call int, evs []event.Envelope) error
	// during runs inside Publish, before the outcome (to race the store).
	during func(evs []event.Envelope)
}

func (p *fakePublisher) Publish(_ context.Context, evs ...event.Envelope) error {
	if p.during != nil {
		p.during(evs)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, slices.Clone(evs))
	if p.fail != nil {
		return p.fail(len(p.calls)-1, evs)
	}
	return nil
}

// published returns every envelope attempted, in order, as JSON.
func (p *fakePublisher) published(t testing.TB) [][]byte {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	var out [][]byte
	for _, c := range p.calls {
		for _, ev := range c {
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

func (p *fakePublisher) callCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

// countingStore wraps a real store and counts calls, so tests can assert
// that refused requests never reached it.
type countingStore struct {
	status.Store
	mu                              sync.Mutex
	creates, gets, advances, claims int
	createdIDs                      []string
	failCreate, failClaim, failGet  error
	failAdvance                     error
}

func (s *countingStore) Create(ctx context.Context, reqs ...status.Request) error {
	s.mu.Lock()
	s.creates++
	fail := s.failCreate
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	err := s.Store.Create(ctx, reqs...)
	if err == nil {
		s.mu.Lock()
		for _, r := range reqs {
			s.createdIDs = append(s.createdIDs, r.ID)
		}
		s.mu.Unlock()
	}
	return err
}

func (s *countingStore) Get(ctx context.Context, id string) (status.Request, error) {
	s.mu.Lock()
	s.gets++
	fail := s.failGet
	s.mu.Unlock()
	if fail != nil {
		return status.Request{}, fail
	}
	return s.Store.Get(ctx, id)
}

func (s *countingStore) Advance(ctx context.Context, id string, t status.Transition) (status.Request, error) {
	s.mu.Lock()
	s.advances++
	fail := s.failAdvance
	s.mu.Unlock()
	if fail != nil {
		return status.Request{}, fail
	}
	return s.Store.Advance(ctx, id, t)
}

func (s *countingStore) ClaimKey(ctx context.Context, c status.Claim) (status.Claim, bool, error) {
	s.mu.Lock()
	s.claims++
	fail := s.failClaim
	s.mu.Unlock()
	if fail != nil {
		return status.Claim{}, false, fail
	}
	return s.Store.ClaimKey(ctx, c)
}

func (s *countingStore) touched() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates + s.gets + s.advances + s.claims
}

// memStore is an in-memory status.Store for the benchmark, where a file
// store's fsyncs would drown what is measured. It keeps the contract's
// outcomes: all-or-none Create, forward-only Advance, one claim winner.
type memStore struct {
	mu     sync.Mutex
	reqs   map[string]status.Request
	claims map[[2]string]status.Claim
}

func newMemStore() *memStore {
	return &memStore{reqs: map[string]status.Request{}, claims: map[[2]string]status.Claim{}}
}

func (m *memStore) Create(_ context.Context, reqs ...status.Request) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range reqs {
		if _, ok := m.reqs[r.ID]; ok {
			return status.ErrExists
		}
	}
	for _, r := range reqs {
		r.Status = status.Pending
		m.reqs[r.ID] = r
	}
	return nil
}

func (m *memStore) Get(_ context.Context, id string) (status.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.reqs[id]
	if !ok {
		return status.Request{}, status.ErrNotFound
	}
	return r, nil
}

func (m *memStore) Advance(_ context.Context, id string, t status.Transition) (status.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.reqs[id]
	if !ok {
		return status.Request{}, status.ErrNotFound
	}
	if r.Status.Rank() >= t.To.Rank() {
		return r, status.ErrNotForward
	}
	r.Status, r.UpdatedAt = t.To, t.At
	r.History = append(slices.Clone(r.History), status.HistoryEntry{Event: t.Event, At: t.At})
	m.reqs[id] = r
	return r, nil
}

func (m *memStore) MarkNotified(_ context.Context, id string) error { return nil }

func (m *memStore) ClaimKey(_ context.Context, c status.Claim) (status.Claim, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{c.Scope, c.Key}
	if old, ok := m.claims[k]; ok && !old.ExpiresAt.Before(c.CreatedAt) {
		return old, false, nil
	}
	m.claims[k] = c
	return c, true, nil
}

// testEnv is a handler over a real status store (DynamoDB in an in-process localcloud) and a fake publisher.
type testEnv struct {
	h     *Handler
	store *countingStore
	pub   *fakePublisher
	logs  *syncBuffer
	now   time.Time
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testConfig() Config {
	cfg, err := LoadConfig(func(k string) (string, bool) {
		if k == EnvEventsTopicARN {
			return "arn:aws:sns:us-east-1:123456789012:eventchain-events", true
		}
		return "", false
	})
	if err != nil {
		panic(err)
	}
	return cfg
}

func newEnv(t testing.TB, mutate ...func(*Config)) *testEnv {
	t.Helper()
	store := statustest.NewDynamo(t, localcloudtest.Start(t, localcloud.Options{}))
	cfg := testConfig()
	for _, m := range mutate {
		m(&cfg)
	}
	env := &testEnv{
		store: &countingStore{Store: store},
		pub:   &fakePublisher{},
		logs:  &syncBuffer{},
		now:   time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC),
	}
	var err error
	env.h, err = New(cfg, Deps{
		Publisher: env.pub,
		Store:     env.store,
		Logger:    slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:     func() time.Time { return env.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func (e *testEnv) do(t testing.TB, req lambdaevents.APIGatewayV2HTTPRequest) (lambdaevents.APIGatewayV2HTTPResponse, map[string]any) {
	t.Helper()
	resp, err := e.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	var body map[string]any
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			t.Fatalf("response body is not JSON: %v\n%s", err, resp.Body)
		}
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	return resp, body
}

// fixture loads an events/ fixture as API Gateway sends it.
func fixture(t testing.TB, name string) lambdaevents.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var req lambdaevents.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return req
}

// postReq is a POST /launches as API Gateway sends it through the route.
func postReq(body string, headers ...string) lambdaevents.APIGatewayV2HTTPRequest {
	h := map[string]string{"content-type": "application/json"}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	return lambdaevents.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /launches", RawPath: "/launches", Headers: h, Body: body,
		RequestContext: lambdaevents.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST /launches", Stage: "$default",
			HTTP: lambdaevents.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/launches"},
			Authorizer: &lambdaevents.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				IAM: &lambdaevents.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{
					AccountID: "123456789012", CallerID: "AIDAEXAMPLE", UserARN: "arn:aws:iam::123456789012:user/alice",
				},
			},
		},
	}
}

func getReq(id string) lambdaevents.APIGatewayV2HTTPRequest {
	r := postReq("")
	r.Headers = map[string]string{}
	r.RouteKey, r.RequestContext.RouteKey = "GET /launches/{requestId}", "GET /launches/{requestId}"
	r.RawPath, r.RequestContext.HTTP.Path, r.RequestContext.HTTP.Method = "/launches/"+id, "/launches/"+id, "GET"
	r.PathParameters = map[string]string{"requestId": id}
	return r
}

// errField returns body.error.<name>.
func errField(body map[string]any, name string) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e[name].(string)
	return s
}

const validBody = `{"imageId":"ami-0123456789abcdef0","instanceType":"t3.micro","count":1}`

// discardPublisher accepts everything and keeps nothing (benchmarks).
type discardPublisher struct{}

func (discardPublisher) Publish(context.Context, ...event.Envelope) error { return nil }

// List is not needed by the tests that use memStore; those that list use
// the embedded store.
func (m *memStore) List(context.Context, status.ListQuery) (status.ListPage, error) {
	return status.ListPage{}, errors.ErrUnsupported
}

func (m *memStore) RecordHop(context.Context, string, status.Hop) error {
	return errors.ErrUnsupported
}
