package trace

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eventchain/eventchain/internal/status"
)

func load(t *testing.T, name string) Request {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var r Request
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRenderShowsEveryRetryAndItsReason renders a request that was
// throttled once and waited for its instance once: both retries appear
// with their reasons, in time order, with queue and handling times.
func TestRenderShowsEveryRetryAndItsReason(t *testing.T) {
	r := load(t, "retried.json")
	tl := Build(r, nil, r.UpdatedAt.Add(time.Minute))
	if tl.Retries != 2 {
		t.Errorf("retries = %d, want 2", tl.Retries)
	}
	var b strings.Builder
	if err := Render(&b, tl); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	wantInOrder := []string{
		"status     launch.requested",
		"launcher   launch.requested",
		"retry (receive 1): RequestLimitExceeded — api error RequestLimitExceeded: Request limit exceeded.; back in 2s",
		"ok (receive 2)",
		"watcher    instance.launched       10ms",
		"retry (receive 1): InstancesPending — 0 of 1 instances",
		"back in 5s",
		"notifier   instance.running",
		"now: done: RUNNING since 2026-12-01T18:02:20Z",
	}
	at := 0
	for _, w := range wantInOrder {
		i := strings.Index(out[at:], w)
		if i < 0 {
			t.Fatalf("timeline lacks %q after offset %d:\n%s", w, at, out)
		}
		at += i + len(w)
	}
	// The notifier's record waited from the watcher's publish (its ok hop
	// at 20.400) to its first receive (20.410).
	if !regexp.MustCompile(`notifier +instance\.running +10ms`).MatchString(out) {
		t.Errorf("notifier's queue time not shown as 10ms:\n%s", out)
	}
}

// TestWhere says where an unfinished request is, for each way it can be
// waiting.
func TestWhere(t *testing.T) {
	base := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	accepted := []status.HistoryEntry{{Event: "launch.requested", At: base, Status: status.Accepted}}
	launching := append(accepted, status.HistoryEntry{Event: "instance.launched", At: base.Add(time.Second), Status: status.Launching})
	queues := map[string]Queue{"launcher": {Name: "LaunchQueue", VisibilityTimeout: 390 * time.Second}}
	tests := []struct {
		name string
		r    Request
		now  time.Time
		want string
	}{
		{"pending", Request{Status: status.Pending}, base, "PENDING: launch.requested was not published; a retry of the POST with the same Idempotency-Key publishes it"},
		{"not received yet, or received by a launcher that stopped",
			Request{Status: status.Accepted, History: accepted}, base.Add(time.Second),
			"ACCEPTED: launch.requested waits in LaunchQueue for the launcher; if a launcher received it and stopped, it is visible again after the queue's visibility timeout (6m30s) from that receive"},
		{"backing off",
			Request{Status: status.Launching, History: launching, Hops: []status.Hop{{Function: "watcher", Event: "instance.launched", ReceiveCount: 1, Outcome: status.OutcomeRetry, Code: "InstancesPending", At: base.Add(2 * time.Second), RetryIn: 5 * time.Second}}},
			base.Add(3 * time.Second),
			"LAUNCHING: instance.launched waits in watcher's queue for the watcher's next receive, at 2026-12-01T18:00:07Z (in 4s), after retry InstancesPending"},
		{"failed handling waits for its visibility timeout",
			Request{Status: status.Accepted, History: accepted, Hops: []status.Hop{{Function: "launcher", Event: "launch.requested", ReceiveCount: 3, Outcome: status.OutcomeFailed, At: base.Add(time.Second)}}},
			base.Add(2 * time.Second),
			"ACCEPTED: launch.requested back in LaunchQueue after failed (receive 3); it is visible again after the queue's visibility timeout (6m30s) from that receive"},
		{"failed request", Request{Status: status.Failed, UpdatedAt: base, Error: &status.Failure{Code: "WatchTimeout", Message: "not running in 10m"}}, base,
			"done: FAILED since 2026-12-01T18:00:00Z (WatchTimeout: not running in 10m)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Build(tt.r, queues, tt.now).Now; got != tt.want {
				t.Errorf("now =\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}
