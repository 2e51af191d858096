package statustest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventchain/eventchain/internal/status"
)

// Run runs the conformance suite. newStore returns an empty store for one
// subtest; it registers its own cleanup on t.
func Run(t *testing.T, newStore func(t *testing.T) status.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s status.Store)
	}{
		{"CreateGet", testCreateGet},
		{"CreateDefaults", testCreateDefaults},
		{"CreateDuplicate", testCreateDuplicate},
		{"CreateBulkAllOrNone", testCreateBulkAllOrNone},
		{"CreateBulkFull", testCreateBulkFull},
		{"CreateInvalid", testCreateInvalid},
		{"AdvanceChain", testAdvanceChain},
		{"AdvanceNotForward", testAdvanceNotForward},
		{"AdvanceLateEarlierStage", testAdvanceLateEarlierStage},
		{"AdvanceOutOfOrder", testAdvanceOutOfOrder},
		{"AdvanceInvalid", testAdvanceInvalid},
		{"TerminalRace", testTerminalRace},
		{"FailureRecorded", testFailureRecorded},
		{"InstanceIDsKept", testInstanceIDsKept},
		{"MarkNotified", testMarkNotified},
		{"List", testList},
		{"RecordHop", testRecordHop},
		{"RecordHopBounded", testRecordHopBounded},
		{"RecordHopInvalid", testRecordHopInvalid},
		{"ListInvalid", testListInvalid},
		{"NotFound", testNotFound},
		{"ClaimKey", testClaimKey},
		{"ClaimKeyConcurrent", testClaimKeyConcurrent},
		{"ClaimScopedByCaller", testClaimScopedByCaller},
		{"ClaimExpiredReplaced", testClaimExpiredReplaced},
		{"ClaimLongKeys", testClaimLongKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// base is a fixed instant well in the past, so that no default the store
// fills in from its own clock can be mistaken for one the test gave.
var base = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

func newRequest(id string) status.Request {
	return status.Request{
		ID:            id,
		CorrelationID: "corr-" + id,
		Caller:        "arn:aws:iam::123456789012:user/tester",
		History:       []status.HistoryEntry{{Event: "launch.requested", At: base}},
		Event:         []byte(`{"specversion":"1.0","id":"` + id + `"}`),
		CreatedAt:     base,
		ExpiresAt:     base.Add(48 * time.Hour),
	}
}

func mustCreate(t *testing.T, s status.Store, reqs ...status.Request) {
	t.Helper()
	if err := s.Create(context.Background(), reqs...); err != nil {
		t.Fatalf("Create: %v", err)
	}
}

func mustGet(t *testing.T, s status.Store, id string) status.Request {
	t.Helper()
	r, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return r
}

func mustAdvance(t *testing.T, s status.Store, id string, tr status.Transition) status.Request {
	t.Helper()
	r, err := s.Advance(context.Background(), id, tr)
	if err != nil {
		t.Fatalf("Advance(%s, %s): %v", id, tr.To, err)
	}
	return r
}

// equalRequest compares two requests field by field, times with Equal.
func equalRequest(t *testing.T, what string, got, want status.Request) {
	t.Helper()
	var diffs []string
	add := func(field string, g, w any) { diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", field, g, w)) }
	if got.ID != want.ID {
		add("ID", got.ID, want.ID)
	}
	if got.Status != want.Status {
		add("Status", got.Status, want.Status)
	}
	if got.CorrelationID != want.CorrelationID {
		add("CorrelationID", got.CorrelationID, want.CorrelationID)
	}
	if got.Caller != want.Caller {
		add("Caller", got.Caller, want.Caller)
	}
	if !slices.Equal(got.InstanceIDs, want.InstanceIDs) {
		add("InstanceIDs", got.InstanceIDs, want.InstanceIDs)
	}
	if (got.Error == nil) != (want.Error == nil) || (got.Error != nil && *got.Error != *want.Error) {
		add("Error", got.Error, want.Error)
	}
	if !equalHistory(got.History, want.History) {
		add("History", got.History, want.History)
	}
	if !slices.EqualFunc(got.Hops, want.Hops, equalHop) {
		add("Hops", got.Hops, want.Hops)
	}
	if got.Notified != want.Notified {
		add("Notified", got.Notified, want.Notified)
	}
	if string(got.Event) != string(want.Event) {
		add("Event", string(got.Event), string(want.Event))
	}
	if !got.CreatedAt.Equal(want.CreatedAt) {
		add("CreatedAt", got.CreatedAt, want.CreatedAt)
	}
	if !got.UpdatedAt.Equal(want.UpdatedAt) {
		add("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	}
	if !got.ExpiresAt.Equal(want.ExpiresAt) {
		add("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	}
	for _, d := range diffs {
		t.Errorf("%s: %s", what, d)
	}
}

func testCreateGet(t *testing.T, s status.Store) {
	in := newRequest("r1")
	mustCreate(t, s, in)
	want := in
	want.Status = status.Pending
	want.InstanceIDs = []string{}
	want.UpdatedAt = in.CreatedAt
	want.ExpiresAt = in.ExpiresAt.Truncate(time.Second) // kept in whole seconds, as the TTL attribute
	equalRequest(t, "Get after Create", mustGet(t, s, "r1"), want)
}

func testCreateDefaults(t *testing.T, s status.Store) {
	before := time.Now()
	mustCreate(t, s, status.Request{ID: "bare", CorrelationID: "c"})
	after := time.Now()
	got := mustGet(t, s, "bare")
	if got.Status != status.Pending {
		t.Errorf("Status = %s, want %s", got.Status, status.Pending)
	}
	if got.CreatedAt.Before(before) || got.CreatedAt.After(after) {
		t.Errorf("CreatedAt = %v, want between %v and %v", got.CreatedAt, before, after)
	}
	if !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("UpdatedAt = %v, want CreatedAt %v", got.UpdatedAt, got.CreatedAt)
	}
	wantExpiry := got.CreatedAt.Add(status.DefaultRequestTTL).Truncate(time.Second)
	if !got.ExpiresAt.Equal(wantExpiry) {
		t.Errorf("ExpiresAt = %v, want %v", got.ExpiresAt, wantExpiry)
	}
	if got.InstanceIDs == nil || len(got.InstanceIDs) != 0 || got.History == nil || len(got.History) != 0 {
		t.Errorf("InstanceIDs = %#v, History = %#v, want both empty and non-nil", got.InstanceIDs, got.History)
	}
	if got.Event != nil || got.Error != nil || got.Notified {
		t.Errorf("Event = %q, Error = %v, Notified = %v, want all unset", got.Event, got.Error, got.Notified)
	}
}

func testCreateDuplicate(t *testing.T, s status.Store) {
	first := newRequest("dup")
	mustCreate(t, s, first)
	second := newRequest("dup")
	second.CorrelationID = "other"
	err := s.Create(context.Background(), second)
	if !errors.Is(err, status.ErrExists) {
		t.Fatalf("second Create = %v, want ErrExists", err)
	}
	if got := mustGet(t, s, "dup"); got.CorrelationID != first.CorrelationID {
		t.Errorf("CorrelationID = %q after refused duplicate, want the first %q", got.CorrelationID, first.CorrelationID)
	}
}

func testCreateBulkAllOrNone(t *testing.T, s status.Store) {
	mustCreate(t, s, newRequest("b"))
	tests := []struct {
		name string
		ids  []string
	}{
		{"existing in the middle", []string{"a", "b", "c"}},
		{"existing first", []string{"b", "d", "e"}},
		{"existing last", []string{"f", "g", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reqs := make([]status.Request, len(tc.ids))
			for i, id := range tc.ids {
				reqs[i] = newRequest(id)
			}
			if err := s.Create(context.Background(), reqs...); !errors.Is(err, status.ErrExists) {
				t.Fatalf("Create(%v) = %v, want ErrExists", tc.ids, err)
			}
			for _, id := range tc.ids {
				if id == "b" {
					continue
				}
				if _, err := s.Get(context.Background(), id); !errors.Is(err, status.ErrNotFound) {
					t.Errorf("Get(%s) after refused bulk create = %v, want ErrNotFound", id, err)
				}
			}
		})
	}
}

func testCreateBulkFull(t *testing.T, s status.Store) {
	reqs := make([]status.Request, status.MaxCreate)
	for i := range reqs {
		reqs[i] = newRequest(fmt.Sprintf("bulk-%03d", i))
	}
	mustCreate(t, s, reqs...)
	for _, r := range reqs {
		if got := mustGet(t, s, r.ID); got.CorrelationID != r.CorrelationID || got.Status != status.Pending {
			t.Errorf("Get(%s) = %s/%s, want %s/%s", r.ID, got.CorrelationID, got.Status, r.CorrelationID, status.Pending)
		}
	}
}

func testCreateInvalid(t *testing.T, s status.Store) {
	tooMany := make([]status.Request, status.MaxCreate+1)
	for i := range tooMany {
		tooMany[i] = newRequest(fmt.Sprintf("many-%03d", i))
	}
	launching := newRequest("launching")
	launching.Status = status.Launching
	tests := []struct {
		name string
		reqs []status.Request
	}{
		{"empty id", []status.Request{newRequest("ok-1"), {CorrelationID: "c"}}},
		{"not pending", []status.Request{newRequest("ok-2"), launching}},
		{"id twice in one call", []status.Request{newRequest("twice"), newRequest("ok-3"), newRequest("twice")}},
		{"more than MaxCreate", tooMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Create(context.Background(), tc.reqs...)
			if !errors.Is(err, status.ErrInvalid) {
				t.Fatalf("Create = %v, want ErrInvalid", err)
			}
			for _, r := range tc.reqs {
				if r.ID == "" {
					continue
				}
				if _, err := s.Get(context.Background(), r.ID); !errors.Is(err, status.ErrNotFound) {
					t.Errorf("Get(%s) after refused create = %v, want ErrNotFound", r.ID, err)
				}
			}
		})
	}
}

func testAdvanceChain(t *testing.T, s status.Store) {
	in := newRequest("chain")
	mustCreate(t, s, in)
	want := in
	want.Status = status.Pending
	want.InstanceIDs = []string{}
	want.UpdatedAt = in.CreatedAt
	want.ExpiresAt = in.ExpiresAt.Truncate(time.Second) // kept in whole seconds, as the TTL attribute
	steps := []struct {
		name string
		tr   status.Transition
	}{
		{"accepted", status.Transition{To: status.Accepted, Event: "launch.requested.published", At: base.Add(1 * time.Second)}},
		{"launching", status.Transition{To: status.Launching, Event: "instance.launched", At: base.Add(2 * time.Second), InstanceIDs: []string{"i-0123456789abcdef0", "i-0123456789abcdef1"}}},
		{"running", status.Transition{To: status.Running, Event: "instance.running", At: base.Add(3*time.Second + 7)}},
	}
	for _, step := range steps {
		got := mustAdvance(t, s, "chain", step.tr)
		want.Status = step.tr.To
		want.History = append(want.History, status.HistoryEntry{Event: step.tr.Event, At: step.tr.At, Status: step.tr.To})
		want.UpdatedAt = step.tr.At
		if step.tr.InstanceIDs != nil {
			want.InstanceIDs = step.tr.InstanceIDs
		}
		equalRequest(t, "Advance to "+step.name, got, want)
		equalRequest(t, "Get after "+step.name, mustGet(t, s, "chain"), want)
	}
}

func testAdvanceNotForward(t *testing.T, s status.Store) {
	tests := []struct {
		name string
		path []status.Status // transitions applied before the refused one
		to   status.Status
		// late: the refused transition is to an earlier stage, so its
		// event (absent from the history) is recorded, and nothing else.
		late bool
	}{
		{"pending to pending", nil, status.Pending, false},
		{"accepted repeated", []status.Status{status.Accepted}, status.Accepted, false},
		{"launching to accepted", []status.Status{status.Accepted, status.Launching}, status.Accepted, true},
		{"launching to pending", []status.Status{status.Launching}, status.Pending, true},
		{"running repeated", []status.Status{status.Running}, status.Running, false},
		{"running to failed", []status.Status{status.Accepted, status.Running}, status.Failed, false},
		{"failed to running", []status.Status{status.Failed}, status.Running, false},
		{"failed to launching", []status.Status{status.Launching, status.Failed}, status.Launching, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("nf-%d", i)
			mustCreate(t, s, newRequest(id))
			for j, st := range tc.path {
				mustAdvance(t, s, id, status.Transition{To: st, Event: "step-" + string(st), At: base.Add(time.Duration(j+1) * time.Second)})
			}
			want := mustGet(t, s, id)
			refused := status.Transition{
				To: tc.to, Event: "refused", At: base.Add(time.Hour),
				InstanceIDs: []string{"i-refused"}, Error: &status.Failure{Code: "Refused", Message: "must not be recorded"},
			}
			if tc.late {
				want.History = append(want.History, status.HistoryEntry{Event: refused.Event, At: refused.At, Status: refused.To})
			}
			// The second attempt is a redelivery: never recorded twice.
			for attempt := range 2 {
				got, err := s.Advance(context.Background(), id, refused)
				if !errors.Is(err, status.ErrNotForward) {
					t.Fatalf("attempt %d: Advance to %s = %v, want ErrNotForward", attempt, tc.to, err)
				}
				equalRequest(t, fmt.Sprintf("attempt %d: request returned with ErrNotForward", attempt), got, want)
				equalRequest(t, fmt.Sprintf("attempt %d: Get after refused transition", attempt), mustGet(t, s, id), want)
			}
		})
	}
}

// testAdvanceLateEarlierStage is the API's write arriving after the
// launcher's: launch.requested is published, the launcher moves the request
// to LAUNCHING, and only then does the API mark it ACCEPTED. The status
// stays LAUNCHING and the history keeps both events in time order.
func testAdvanceLateEarlierStage(t *testing.T, s status.Store) {
	// Clocks are coarse on some machines: at the same instant, entries
	// follow the chain's stages.
	for name, launchedAfter := range map[string]time.Duration{"later": time.Second, "same instant": 0} {
		t.Run(name, func(t *testing.T) { lateEarlierStage(t, s, "late-"+strings.ReplaceAll(name, " ", "-"), launchedAfter) })
	}
}

func lateEarlierStage(t *testing.T, s status.Store, id string, launchedAfter time.Duration) {
	in := newRequest(id)
	in.History = nil
	mustCreate(t, s, in)
	accepted := status.Transition{To: status.Accepted, Event: "launch.requested", At: base.Add(time.Second)}
	launching := status.Transition{To: status.Launching, Event: "instance.launched", At: accepted.At.Add(launchedAfter), InstanceIDs: []string{"i-late"}}
	mustAdvance(t, s, id, launching)
	got, err := s.Advance(context.Background(), id, accepted)
	if !errors.Is(err, status.ErrNotForward) {
		t.Fatalf("late Advance to ACCEPTED = %v, want ErrNotForward", err)
	}
	want := []status.HistoryEntry{
		{Event: accepted.Event, At: accepted.At, Status: status.Accepted},
		{Event: launching.Event, At: launching.At, Status: status.Launching},
	}
	for what, r := range map[string]status.Request{"returned": got, "read back": mustGet(t, s, id)} {
		if r.Status != status.Launching || !slices.Equal(r.InstanceIDs, launching.InstanceIDs) || !r.UpdatedAt.Equal(launching.At) {
			t.Errorf("%s: status %s, instances %v, updated %s; want LAUNCHING, %v, %s", what, r.Status, r.InstanceIDs, r.UpdatedAt, launching.InstanceIDs, launching.At)
		}
		if !equalHistory(r.History, want) {
			t.Errorf("%s: history %v, want %v", what, r.History, want)
		}
	}
}

// testAdvanceOutOfOrder races the three writers of a request's chain — the
// API (ACCEPTED), the launcher (LAUNCHING) and the notifier (RUNNING) — on
// many requests at once while other goroutines keep every CPU busy, so the
// writes reach the store in every order. Each request must end RUNNING with
// all three events in its history, in time order.
func testAdvanceOutOfOrder(t *testing.T, s status.Store) {
	const requests = 40
	stop := keepCPUsBusy()
	defer stop()
	ids := []string{"i-ooo"}
	chain := []status.Transition{
		{To: status.Accepted, Event: "launch.requested", At: base.Add(time.Second)},
		{To: status.Launching, Event: "instance.launched", At: base.Add(2 * time.Second), InstanceIDs: ids},
		{To: status.Running, Event: "instance.running", At: base.Add(3 * time.Second), InstanceIDs: ids},
	}
	for i := range requests {
		in := newRequest(fmt.Sprintf("ooo-%d", i))
		in.History = nil
		mustCreate(t, s, in)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, requests*len(chain))
	for i := range requests {
		id := fmt.Sprintf("ooo-%d", i)
		for k := range chain {
			// Rotate which writer starts first from request to request.
			tr := chain[(k+i)%len(chain)]
			wg.Go(func() {
				<-start
				if _, err := s.Advance(context.Background(), id, tr); err != nil && !errors.Is(err, status.ErrNotForward) {
					errs <- fmt.Errorf("Advance(%s, %s): %w", id, tr.To, err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := make([]status.HistoryEntry, len(chain))
	for k, tr := range chain {
		want[k] = status.HistoryEntry{Event: tr.Event, At: tr.At, Status: tr.To}
	}
	lost := 0
	for i := range requests {
		r := mustGet(t, s, fmt.Sprintf("ooo-%d", i))
		if r.Status != status.Running || !equalHistory(r.History, want) {
			lost++
			t.Errorf("%s: status %s, history %v; want RUNNING and %v", r.ID, r.Status, r.History, want)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d requests lost a history entry or their status", lost, requests)
	}
}

// keepCPUsBusy runs a spinning goroutine per CPU until stop is called: the
// store's writers then get descheduled at arbitrary points, as on a busy
// machine, where lost writes were first seen. Each spinner rests a third of
// the time, so that a store in another process (an emulator) still runs.
func keepCPUsBusy() (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for !done.Load() {
				for spin := time.Now(); time.Since(spin) < 2*time.Millisecond; {
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	return func() { done.Store(true); wg.Wait() }
}

func equalHistory(got, want []status.HistoryEntry) bool {
	return slices.EqualFunc(got, want, func(a, b status.HistoryEntry) bool {
		return a.Event == b.Event && a.At.Equal(b.At) && a.Status == b.Status
	})
}

// testList pages through a caller's requests newest first, whole and by
// status, while a request changes status between pages: every request is
// listed exactly once, and neither another caller's requests nor
// Idempotency-Key claims are ever listed.
func testList(t *testing.T, s status.Store) {
	const n = 7
	caller := newRequest("x").Caller
	other := newRequest("list-other")
	other.Caller = "arn:aws:iam::123456789012:user/someone-else"
	other.CreatedAt = base.Add(3 * time.Minute)
	mustCreate(t, s, other)
	var all []string // newest first
	for i := range n {
		r := newRequest(fmt.Sprintf("list-%d", i))
		r.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		mustCreate(t, s, r)
		all = append([]string{r.ID}, all...)
	}
	// Same instant: the id breaks the tie, so no request is skipped.
	twin := newRequest("list-6b")
	twin.CreatedAt = base.Add(6 * time.Minute)
	mustCreate(t, s, twin)
	all = append([]string{"list-6b"}, all...)
	for _, id := range []string{"list-1", "list-4"} {
		mustAdvance(t, s, id, status.Transition{To: status.Running, Event: "instance.running", At: base.Add(time.Hour)})
	}
	if _, _, err := s.ClaimKey(context.Background(), status.Claim{Scope: "caller", Key: "k", BodyHash: "h", RequestIDs: []string{"list-0"}, CreatedAt: base}); err != nil {
		t.Fatalf("ClaimKey: %v", err)
	}

	pages := func(q status.ListQuery, between func(page int)) [][]string {
		var out [][]string
		for page := 0; ; page++ {
			got, err := s.List(context.Background(), q)
			if err != nil {
				t.Fatalf("List(%+v): %v", q, err)
			}
			var ids []string
			for _, r := range got.Requests {
				ids = append(ids, r.ID)
				if q.Status != "" && r.Status != q.Status {
					t.Errorf("List(status %s) returned %s in %s", q.Status, r.ID, r.Status)
				}
			}
			out = append(out, ids)
			if got.Next == "" || page > n {
				return out
			}
			if between != nil {
				between(page)
			}
			q.Next = got.Next
		}
	}
	flat := func(p [][]string) []string { return slices.Concat(p...) }

	if got := flat(pages(status.ListQuery{Caller: caller, Limit: 3}, func(page int) {
		if page == 0 {
			// A request already listed moves on: it must not come back.
			mustAdvance(t, s, "list-6", status.Transition{To: status.Failed, Event: "launch.failed", At: base.Add(2 * time.Hour)})
		}
	})); !slices.Equal(got, all) {
		t.Errorf("all requests by 3 = %v, want %v", got, all)
	}
	if got := pages(status.ListQuery{Caller: caller}, nil); len(got) != 1 || !slices.Equal(got[0], all) {
		t.Errorf("default page = %v, want one page %v", got, all)
	}
	if got := flat(pages(status.ListQuery{Caller: caller, Status: status.Running, Limit: 1}, nil)); !slices.Equal(got, []string{"list-4", "list-1"}) {
		t.Errorf("RUNNING by 1 = %v, want [list-4 list-1]", got)
	}
	if got := flat(pages(status.ListQuery{Caller: caller, Status: status.Launching}, nil)); len(got) != 0 {
		t.Errorf("LAUNCHING = %v, want none", got)
	}
	if got := flat(pages(status.ListQuery{Caller: other.Caller}, nil)); !slices.Equal(got, []string{other.ID}) {
		t.Errorf("other caller's requests = %v, want [%s]", got, other.ID)
	}
	full, err := s.List(context.Background(), status.ListQuery{Caller: caller, Status: status.Failed})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Requests) != 1 || full.Next != "" {
		t.Fatalf("FAILED = %+v, want list-6 alone and no next page", full)
	}
	want := mustGet(t, s, "list-6")
	equalRequest(t, "listed request", full.Requests[0], want)
}

func equalHop(a, b status.Hop) bool {
	return a.Function == b.Function && a.Event == b.Event && a.EventID == b.EventID &&
		a.ReceiveCount == b.ReceiveCount && a.Outcome == b.Outcome && a.Code == b.Code &&
		a.Reason == b.Reason && a.Duration == b.Duration && a.At.Equal(b.At) && a.QueuedAt.Equal(b.QueuedAt) && a.RetryIn == b.RetryIn
}

func mustRecordHop(t *testing.T, s status.Store, id string, h status.Hop) {
	t.Helper()
	if err := s.RecordHop(context.Background(), id, h); err != nil {
		t.Fatalf("RecordHop(%s, %s#%d): %v", id, h.EventID, h.ReceiveCount, err)
	}
}

// testRecordHop records a retried hop and a final one, written out of
// time order and one of them twice (a redelivered batch): the request
// keeps each once, in time order, and nothing else of it changes.
func testRecordHop(t *testing.T, s status.Store) {
	mustCreate(t, s, newRequest("hop"))
	want := mustGet(t, s, "hop")
	retry := status.Hop{
		Function: "watcher", Event: "instance.launched", EventID: "ev-1", ReceiveCount: 1,
		Outcome: status.OutcomeRetry, Code: "Pending", Reason: "1 instance pending",
		Duration: 3*time.Millisecond + 7, At: base.Add(2 * time.Second), QueuedAt: base.Add(time.Second), RetryIn: 5 * time.Second,
	}
	done := retry
	done.ReceiveCount, done.Outcome, done.Code, done.Reason, done.At, done.RetryIn = 2, status.OutcomeOK, "", "", base.Add(9*time.Second), 0
	mustRecordHop(t, s, "hop", done)
	mustRecordHop(t, s, "hop", retry)
	mustRecordHop(t, s, "hop", retry)
	want.Hops = []status.Hop{retry, done}
	equalRequest(t, "after hops", mustGet(t, s, "hop"), want)
	if err := s.RecordHop(context.Background(), "missing", retry); !errors.Is(err, status.ErrNotFound) {
		t.Errorf("RecordHop on an unknown request = %v, want ErrNotFound", err)
	}
}

// testRecordHopBounded keeps the latest MaxHops hops of a request stuck
// in retries.
func testRecordHopBounded(t *testing.T, s status.Store) {
	mustCreate(t, s, newRequest("stuck"))
	const extra = 3
	for i := range status.MaxHops + extra {
		mustRecordHop(t, s, "stuck", status.Hop{
			Function: "launcher", Event: "launch.requested", EventID: "ev", ReceiveCount: i + 1,
			Outcome: status.OutcomeRetry, Code: "Throttled", At: base.Add(time.Duration(i) * time.Second),
		})
	}
	got := mustGet(t, s, "stuck").Hops
	if len(got) != status.MaxHops || got[0].ReceiveCount != extra+1 || got[len(got)-1].ReceiveCount != status.MaxHops+extra {
		first, last := 0, 0
		if len(got) > 0 {
			first, last = got[0].ReceiveCount, got[len(got)-1].ReceiveCount
		}
		t.Errorf("kept %d hops, receives %d to %d; want %d, %d to %d", len(got), first, last, status.MaxHops, extra+1, status.MaxHops+extra)
	}
}

func testRecordHopInvalid(t *testing.T, s status.Store) {
	mustCreate(t, s, newRequest("badhop"))
	ok := status.Hop{Function: "launcher", Event: "launch.requested", EventID: "ev", ReceiveCount: 1, Outcome: status.OutcomeOK}
	tests := []struct {
		name string
		id   string
		edit func(*status.Hop)
	}{
		{"empty id", "", func(*status.Hop) {}},
		{"no function", "badhop", func(h *status.Hop) { h.Function = "" }},
		{"no event id", "badhop", func(h *status.Hop) { h.EventID = "" }},
		{"no outcome", "badhop", func(h *status.Hop) { h.Outcome = "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := ok
			tc.edit(&h)
			if err := s.RecordHop(context.Background(), tc.id, h); !errors.Is(err, status.ErrInvalid) {
				t.Fatalf("RecordHop = %v, want ErrInvalid", err)
			}
		})
	}
	if got := mustGet(t, s, "badhop"); len(got.Hops) != 0 {
		t.Errorf("hops after invalid calls: %v", got.Hops)
	}
}

func testListInvalid(t *testing.T, s status.Store) {
	tests := []struct {
		name string
		q    status.ListQuery
	}{
		{"no caller", status.ListQuery{}},
		{"unknown status", status.ListQuery{Caller: "c", Status: "DONE"}},
		{"negative limit", status.ListQuery{Caller: "c", Limit: -1}},
		{"limit too large", status.ListQuery{Caller: "c", Limit: status.MaxListLimit + 1}},
		{"token not base64", status.ListQuery{Caller: "c", Next: "%%%"}},
		{"token without id", status.ListQuery{Caller: "c", Next: "MjAyNi0wMy0wMVQxMjowMDowMC4wMDAwMDAwMDBa"}},
		{"token with a bad time", status.ListQuery{Caller: "c", Next: "eWVzdGVyZGF5I2lk"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.List(context.Background(), tc.q); !errors.Is(err, status.ErrInvalid) {
				t.Fatalf("List(%+v) = %v, want ErrInvalid", tc.q, err)
			}
		})
	}
}

func testAdvanceInvalid(t *testing.T, s status.Store) {
	mustCreate(t, s, newRequest("inv"))
	tests := []struct {
		name string
		id   string
		to   status.Status
	}{
		{"unknown status", "inv", status.Status("DONE")},
		{"empty status", "inv", ""},
		{"empty id", "", status.Accepted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Advance(context.Background(), tc.id, status.Transition{To: tc.to, Event: "x"})
			if !errors.Is(err, status.ErrInvalid) {
				t.Fatalf("Advance = %v, want ErrInvalid", err)
			}
		})
	}
	if got := mustGet(t, s, "inv"); got.Status != status.Pending || len(got.History) != 1 {
		t.Errorf("after invalid transitions: status %s, %d history entries; want PENDING and 1", got.Status, len(got.History))
	}
}

func testTerminalRace(t *testing.T, s status.Store) {
	const rounds, racers = 3, 10
	for round := range rounds {
		id := fmt.Sprintf("race-%d", round)
		mustCreate(t, s, newRequest(id))
		mustAdvance(t, s, id, status.Transition{To: status.Launching, Event: "instance.launched", At: base.Add(time.Second), InstanceIDs: []string{"i-1"}})

		type result struct {
			tr  status.Transition
			req status.Request
			err error
		}
		results := make([]result, racers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range racers {
			tr := status.Transition{To: status.Running, Event: fmt.Sprintf("instance.running#%d", i), At: base.Add(time.Duration(10+i) * time.Second)}
			if i%2 == 1 {
				tr = status.Transition{To: status.Failed, Event: fmt.Sprintf("launch.failed#%d", i), At: base.Add(time.Duration(10+i) * time.Second),
					Error: &status.Failure{Code: "Racer", Message: fmt.Sprint(i)}}
			}
			wg.Go(func() {
				<-start
				req, err := s.Advance(context.Background(), id, tr)
				results[i] = result{tr, req, err}
			})
		}
		close(start)
		wg.Wait()

		var winner *result
		for i := range results {
			r := &results[i]
			switch {
			case r.err == nil:
				if winner != nil {
					t.Fatalf("round %d: both %q and %q won", round, winner.tr.Event, r.tr.Event)
				}
				winner = r
			case !errors.Is(r.err, status.ErrNotForward):
				t.Fatalf("round %d: racer %q: %v, want nil or ErrNotForward", round, r.tr.Event, r.err)
			}
		}
		if winner == nil {
			t.Fatalf("round %d: no racer won", round)
		}
		final := mustGet(t, s, id)
		if final.Status != winner.tr.To {
			t.Errorf("round %d: final status %s, winner moved to %s", round, final.Status, winner.tr.To)
		}
		if n := len(final.History); n != 3 || final.History[2].Event != winner.tr.Event {
			t.Errorf("round %d: history %v, want 3 entries ending with the winner's %q", round, final.History, winner.tr.Event)
		}
		if (final.Error != nil) != (winner.tr.To == status.Failed) {
			t.Errorf("round %d: error %v recorded for a %s winner", round, final.Error, winner.tr.To)
		}
		for _, r := range results {
			if r.err != nil && (r.req.Status != winner.tr.To) {
				t.Errorf("round %d: loser %q saw status %q, want the winner's %s", round, r.tr.Event, r.req.Status, winner.tr.To)
			}
		}
	}
}

func testFailureRecorded(t *testing.T, s status.Store) {
	mustCreate(t, s, newRequest("fail"))
	mustAdvance(t, s, "fail", status.Transition{To: status.Launching, Event: "instance.launched", At: base.Add(time.Second), InstanceIDs: []string{"i-a"}})
	failure := &status.Failure{Code: "WatchTimeout", Message: "instances still pending after 10m0s"}
	got := mustAdvance(t, s, "fail", status.Transition{To: status.Failed, Event: "launch.failed", At: base.Add(time.Minute), Error: failure})
	for what, r := range map[string]status.Request{"Advance": got, "Get": mustGet(t, s, "fail")} {
		if r.Status != status.Failed || r.Error == nil || *r.Error != *failure {
			t.Errorf("%s: status %s, error %v; want FAILED with %v", what, r.Status, r.Error, *failure)
		}
		if !slices.Equal(r.InstanceIDs, []string{"i-a"}) {
			t.Errorf("%s: instance ids %v, want [i-a] kept", what, r.InstanceIDs)
		}
	}
}

func testInstanceIDsKept(t *testing.T, s status.Store) {
	mustCreate(t, s, newRequest("ids"))
	tests := []struct {
		name string
		tr   status.Transition
		want []string
	}{
		{"none given keeps empty", status.Transition{To: status.Accepted, Event: "e1"}, []string{}},
		{"given replaces", status.Transition{To: status.Launching, Event: "e2", InstanceIDs: []string{"i-1", "i-2", "i-3"}}, []string{"i-1", "i-2", "i-3"}},
		{"none given keeps previous", status.Transition{To: status.Running, Event: "e3"}, []string{"i-1", "i-2", "i-3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustAdvance(t, s, "ids", tc.tr); !slices.Equal(got.InstanceIDs, tc.want) {
				t.Errorf("Advance: instance ids %v, want %v", got.InstanceIDs, tc.want)
			}
			if got := mustGet(t, s, "ids"); !slices.Equal(got.InstanceIDs, tc.want) {
				t.Errorf("Get: instance ids %v, want %v", got.InstanceIDs, tc.want)
			}
		})
	}
}

func testMarkNotified(t *testing.T, s status.Store) {
	mustCreate(t, s, newRequest("note"))
	running := mustAdvance(t, s, "note", status.Transition{To: status.Running, Event: "instance.running", At: base.Add(time.Second)})
	if running.Notified {
		t.Fatal("Notified set before MarkNotified")
	}
	for i := range 2 {
		if err := s.MarkNotified(context.Background(), "note"); err != nil {
			t.Fatalf("MarkNotified #%d: %v", i+1, err)
		}
		want := running
		want.Notified = true
		equalRequest(t, fmt.Sprintf("Get after MarkNotified #%d", i+1), mustGet(t, s, "note"), want)
	}
}

func testNotFound(t *testing.T, s status.Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"Get", func() error { _, err := s.Get(ctx, "missing"); return err }},
		{"Advance", func() error {
			_, err := s.Advance(ctx, "missing", status.Transition{To: status.Accepted, Event: "x"})
			return err
		}},
		{"MarkNotified", func() error { return s.MarkNotified(ctx, "missing") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, status.ErrNotFound) {
				t.Errorf("%s(missing) = %v, want ErrNotFound", tc.name, err)
			}
		})
	}
	if _, err := s.Get(ctx, "missing"); !errors.Is(err, status.ErrNotFound) {
		t.Errorf("Advance or MarkNotified created a missing request: Get = %v", err)
	}
}

func claimAt(scope, key, hash string, created time.Time, ids ...string) status.Claim {
	return status.Claim{Scope: scope, Key: key, BodyHash: hash, RequestIDs: ids, CreatedAt: created}
}

func equalClaim(t *testing.T, what string, got, want status.Claim) {
	t.Helper()
	if got.Scope != want.Scope || got.Key != want.Key || got.BodyHash != want.BodyHash ||
		!slices.Equal(got.RequestIDs, want.RequestIDs) || !got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

func testClaimKey(t *testing.T, s status.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	first := claimAt("caller-a", "key-1", "hash-1", now, "r1", "r2")
	got, won, err := s.ClaimKey(ctx, first)
	if err != nil || !won {
		t.Fatalf("first ClaimKey = won %v, %v; want a win", won, err)
	}
	want := first
	want.ExpiresAt = now.Add(status.ClaimTTL).Truncate(time.Second)
	equalClaim(t, "winning claim", got, want)

	tests := []struct {
		name  string
		claim status.Claim
	}{
		{"same body", claimAt("caller-a", "key-1", "hash-1", now.Add(time.Second), "r3")},
		{"different body", claimAt("caller-a", "key-1", "hash-2", now.Add(time.Minute), "r4")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, won, err := s.ClaimKey(ctx, tc.claim)
			if err != nil || won {
				t.Fatalf("ClaimKey = won %v, %v; want a loss", won, err)
			}
			equalClaim(t, "existing claim", got, want)
		})
	}
}

func testClaimKeyConcurrent(t *testing.T, s status.Store) {
	const claimants = 20
	now := time.Now().UTC()
	type result struct {
		claim status.Claim
		won   bool
		err   error
	}
	results := make([]result, claimants)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range claimants {
		wg.Go(func() {
			<-start
			c, won, err := s.ClaimKey(context.Background(), claimAt("caller", "contended", fmt.Sprintf("hash-%d", i), now, fmt.Sprintf("req-%d", i)))
			results[i] = result{c, won, err}
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	var winning status.Claim
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("claimant %d: %v", i, r.err)
		}
		if r.won {
			winners++
			winning = r.claim
			if r.claim.BodyHash != fmt.Sprintf("hash-%d", i) {
				t.Errorf("claimant %d won but got claim %+v", i, r.claim)
			}
		}
	}
	if winners != 1 {
		t.Fatalf("%d winners among %d claimants, want exactly 1", winners, claimants)
	}
	for i, r := range results {
		if !r.won {
			equalClaim(t, fmt.Sprintf("claimant %d saw", i), r.claim, winning)
		}
	}
}

func testClaimScopedByCaller(t *testing.T, s status.Store) {
	now := time.Now().UTC()
	for _, scope := range []string{"caller-a", "caller-b", "caller-a#x", "caller"} {
		c := claimAt(scope, "shared-key", "hash-"+scope, now, "r-"+scope)
		got, won, err := s.ClaimKey(context.Background(), c)
		if err != nil || !won {
			t.Fatalf("ClaimKey(scope %q) = won %v, %v; want a win: scopes are separate", scope, won, err)
		}
		if got.Scope != scope || got.BodyHash != c.BodyHash {
			t.Errorf("ClaimKey(scope %q) returned %+v", scope, got)
		}
	}
	// "caller-a"+"#x…" and "caller-a#x"+"…" must stay different claims.
	_, won, err := s.ClaimKey(context.Background(), claimAt("caller-a", "x#shared-key", "h", now))
	if err != nil || !won {
		t.Errorf("ClaimKey(caller-a, x#shared-key) = won %v, %v; want a win", won, err)
	}
}

func testClaimExpiredReplaced(t *testing.T, s status.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	old := claimAt("caller", "old-key", "hash-old", now.Add(-25*time.Hour), "r-old")
	old.ExpiresAt = now.Add(-time.Hour)
	if _, won, err := s.ClaimKey(ctx, old); err != nil || !won {
		t.Fatalf("first ClaimKey = won %v, %v; want a win", won, err)
	}
	fresh := claimAt("caller", "old-key", "hash-new", now, "r-new")
	got, won, err := s.ClaimKey(ctx, fresh)
	if err != nil || !won {
		t.Fatalf("ClaimKey over an expired claim = won %v, %v; want a win", won, err)
	}
	if got.BodyHash != "hash-new" {
		t.Errorf("winning claim %+v, want the fresh one", got)
	}
	got, won, err = s.ClaimKey(ctx, claimAt("caller", "old-key", "hash-third", now.Add(time.Second), "r-third"))
	if err != nil || won {
		t.Fatalf("ClaimKey after replacement = won %v, %v; want a loss", won, err)
	}
	if got.BodyHash != "hash-new" || !slices.Equal(got.RequestIDs, []string{"r-new"}) {
		t.Errorf("existing claim %+v, want the fresh one", got)
	}

	// A claim whose expiry is still ahead of the claimant's clock holds.
	live := claimAt("caller", "live-key", "hash-live", now, "r-live")
	live.ExpiresAt = now.Add(10 * time.Second)
	if _, won, err := s.ClaimKey(ctx, live); err != nil || !won {
		t.Fatalf("ClaimKey(live-key) = won %v, %v; want a win", won, err)
	}
	if got, won, err := s.ClaimKey(ctx, claimAt("caller", "live-key", "hash-other", now.Add(2*time.Second))); err != nil || won || got.BodyHash != "hash-live" {
		t.Errorf("ClaimKey before expiry = %+v, won %v, %v; want the live claim kept", got, won, err)
	}
}

func testClaimLongKeys(t *testing.T, s status.Store) {
	now := time.Now().UTC()
	var long string
	for len(long) < 1500 {
		long += "arn:aws:iam::123456789012:role/very-long-role-name/"
	}
	key := "k-" + string(slices.Repeat([]byte("x"), 253))
	tests := []struct {
		name  string
		scope string
		key   string
	}{
		{"long scope", long, key},
		{"long scope other key", long, key[:254] + "y"},
		{"scope with hash sign", "arn#with#hash", key},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := claimAt(tc.scope, tc.key, "h-"+tc.name, now, "r")
			got, won, err := s.ClaimKey(context.Background(), c)
			if err != nil || !won {
				t.Fatalf("ClaimKey = won %v, %v; want a win", won, err)
			}
			got, won, err = s.ClaimKey(context.Background(), claimAt(tc.scope, tc.key, "other", now))
			if err != nil || won || got.BodyHash != c.BodyHash || got.Scope != tc.scope || got.Key != tc.key {
				t.Errorf("second ClaimKey = %+v, won %v, %v; want the first claim", got, won, err)
			}
		})
	}
}
