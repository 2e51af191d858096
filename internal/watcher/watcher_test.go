package watcher_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/consumer/consumertest"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/watcher"
)

var (
	launchedAt = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC) // the fixtures' launchedAt
	fixtureIDs = []string{"i-0a1b2c3d4e5f60718", "i-0f1e2d3c4b5a69788"}
)

const fixtureRequest = "3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c" // the fixtures' subject

type instance struct {
	state  ec2types.InstanceStateName
	reason *ec2types.StateReason
}

// fakeEC2 answers like EC2: DescribeInstances by id fails with
// describeErr when set (eventual consistency), by filter it lists the known
// instances; TerminateInstances refuses the whole call with
// InvalidInstanceID.NotFound if any id is unknown.
type fakeEC2 struct {
	mu           sync.Mutex
	instances    map[string]instance
	describeErr  error
	terminateErr error
	describes    int
	terminated   [][]string // ids of every TerminateInstances call
}

func (f *fakeEC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describes++
	ids := in.InstanceIds
	if len(in.Filters) > 0 {
		if len(in.Filters) != 1 || aws.ToString(in.Filters[0].Name) != "instance-id" {
			return nil, apiErr("InvalidParameterValue")
		}
		ids = in.Filters[0].Values
	} else if f.describeErr != nil {
		return nil, f.describeErr
	}
	var r ec2types.Reservation
	for _, id := range ids {
		if inst, ok := f.instances[id]; ok {
			r.Instances = append(r.Instances, ec2types.Instance{
				InstanceId: aws.String(id), State: &ec2types.InstanceState{Name: inst.state}, StateReason: inst.reason,
			})
		}
	}
	return &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{r}}, nil
}

func (f *fakeEC2) TerminateInstances(_ context.Context, in *ec2.TerminateInstancesInput, _ ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.terminated = append(f.terminated, slices.Clone(in.InstanceIds))
	if f.terminateErr != nil {
		return nil, f.terminateErr
	}
	for _, id := range in.InstanceIds {
		if _, ok := f.instances[id]; !ok {
			return nil, apiErr("InvalidInstanceID.NotFound")
		}
	}
	for _, id := range in.InstanceIds {
		f.instances[id] = instance{state: ec2types.InstanceStateNameShuttingDown}
	}
	return &ec2.TerminateInstancesOutput{}, nil
}

// fakeStore holds requests by id; err, when set, fails every Get.
type fakeStore struct {
	reqs map[string]status.Request
	err  error
	gets int
	hops []status.Hop
}

func (s *fakeStore) RecordHop(_ context.Context, id string, h status.Hop) error {
	if _, ok := s.reqs[id]; !ok {
		return status.ErrNotFound
	}
	s.hops = append(s.hops, h)
	return nil
}

func (s *fakeStore) Get(_ context.Context, id string) (status.Request, error) {
	s.gets++
	if s.err != nil {
		return status.Request{}, s.err
	}
	r, ok := s.reqs[id]
	if !ok {
		return status.Request{}, status.ErrNotFound
	}
	return r, nil
}

// storeWith records the fixtures' request in the given status.
func storeWith(st status.Status) *fakeStore {
	return &fakeStore{reqs: map[string]status.Request{fixtureRequest: {ID: fixtureRequest, Status: st}}}
}

type fakePublisher struct {
	mu  sync.Mutex
	err error
	evs []event.Envelope
}

func (p *fakePublisher) Publish(_ context.Context, evs ...event.Envelope) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.evs = append(p.evs, evs...)
	return nil
}

func apiErr(code string) error {
	return fmt.Errorf("operation error EC2: %w", &smithy.GenericAPIError{Code: code, Message: "msg for " + code})
}

func states(a, b ec2types.InstanceStateName) map[string]instance {
	return map[string]instance{fixtureIDs[0]: {state: a}, fixtureIDs[1]: {state: b}}
}

func testConfig() watcher.Config {
	return watcher.Config{EventsTopicARN: "arn", QueueURL: "http://q/watch", DLQURL: "http://q/watch-dlq",
		Timeout: 600 * time.Second, BackoffBase: 5 * time.Second, BackoffMax: 60 * time.Second}
}

func TestHandleFixtures(t *testing.T) {
	const (
		running = ec2types.InstanceStateNameRunning
		pending = ec2types.InstanceStateNamePending
		gone    = ec2types.InstanceStateNameTerminated
		dying   = ec2types.InstanceStateNameShuttingDown
		stopped = ec2types.InstanceStateNameStopped
	)
	tests := []struct {
		name           string
		fixture        string
		elapsed        time.Duration // since launchedAt
		instances      map[string]instance
		describeErr    error
		terminateErr   error
		publishErr     error
		wantFailed     bool
		wantVisibility int32 // 0: none
		// wantVisibilityMax, when set, makes [wantVisibility,
		// wantVisibilityMax] the range the jittered retry schedule allows.
		wantVisibilityMax int32
		wantTerminate     bool
		wantType          string // published event type; "" = none
		wantCode          string
	}{
		{name: "all running publishes instance.running", fixture: "watcher-running.json", elapsed: 40 * time.Second,
			instances: states(running, running), wantType: event.TypeInstanceRunning},
		{name: "pending on third receive backs off 20s", fixture: "watcher-pending.json", elapsed: 30 * time.Second,
			instances: states(running, pending), wantFailed: true, wantVisibility: 20},
		{name: "not yet visible is transient", fixture: "watcher-running.json", elapsed: 2 * time.Second,
			describeErr: apiErr("InvalidInstanceID.NotFound"), wantFailed: true, wantVisibility: 5},
		{name: "instance missing from the answer is transient", fixture: "watcher-running.json", elapsed: 2 * time.Second,
			instances: map[string]instance{fixtureIDs[0]: {state: running}}, wantFailed: true, wantVisibility: 5},
		// Errors take the consumer's retry schedule, not the wait's:
		// third receive, 8 s ± 20 %, rounded up to whole seconds.
		{name: "throttling retries on the error schedule", fixture: "watcher-pending.json", elapsed: 30 * time.Second,
			describeErr: apiErr("RequestLimitExceeded"), wantFailed: true, wantVisibility: 7, wantVisibilityMax: 10},
		{name: "service error retries on the error schedule", fixture: "watcher-pending.json", elapsed: 30 * time.Second,
			describeErr: apiErr("Unavailable"), wantFailed: true, wantVisibility: 7, wantVisibilityMax: 10},
		{name: "terminate throttled backs off on the error schedule", fixture: "watcher-pending.json", elapsed: 601 * time.Second,
			instances: states(pending, pending), terminateErr: apiErr("RequestLimitExceeded"), wantTerminate: true, wantFailed: true,
			wantVisibility: 7, wantVisibilityMax: 10},
		{name: "unknown describe error retries without delay", fixture: "watcher-running.json", elapsed: 30 * time.Second,
			describeErr: apiErr("AuthFailure"), wantFailed: true},
		{name: "terminated instance fails the request with its reason", fixture: "watcher-running.json", elapsed: 30 * time.Second,
			instances: map[string]instance{fixtureIDs[0]: {state: running}, fixtureIDs[1]: {state: gone, reason: &ec2types.StateReason{
				Code: aws.String("Server.InsufficientInstanceCapacity"), Message: aws.String("Server.InsufficientInstanceCapacity: no capacity")}}},
			wantTerminate: true, wantType: event.TypeLaunchFailed, wantCode: "Server.InsufficientInstanceCapacity"},
		{name: "shutting-down without reason", fixture: "watcher-running.json", elapsed: 30 * time.Second,
			instances: states(dying, pending), wantTerminate: true, wantType: event.TypeLaunchFailed, wantCode: watcher.CodeInstanceTerminated},
		{name: "stopped instance fails the request", fixture: "watcher-running.json", elapsed: 30 * time.Second,
			instances: states(running, stopped), wantTerminate: true, wantType: event.TypeLaunchFailed, wantCode: watcher.CodeInstanceTerminated},
		{name: "pending past the budget terminates and times out", fixture: "watcher-pending.json", elapsed: 601 * time.Second,
			instances: states(running, pending), wantTerminate: true, wantType: event.TypeLaunchFailed, wantCode: watcher.CodeWatchTimeout},
		{name: "never visible past the budget times out", fixture: "watcher-pending.json", elapsed: 700 * time.Second,
			describeErr:   apiErr("InvalidInstanceID.NotFound"),
			wantTerminate: true, wantType: event.TypeLaunchFailed, wantCode: watcher.CodeWatchTimeout},
		{name: "running past the budget still succeeds", fixture: "watcher-running.json", elapsed: 700 * time.Second,
			instances: states(running, running), wantType: event.TypeInstanceRunning},
		{name: "publish failure retries", fixture: "watcher-running.json", elapsed: 40 * time.Second,
			instances: states(running, running), publishErr: errors.New("sns down"), wantFailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := consumertest.LoadEvent(t, "../../events/"+tt.fixture)
			fec2 := &fakeEC2{instances: tt.instances, describeErr: tt.describeErr, terminateErr: tt.terminateErr}
			pub := &fakePublisher{err: tt.publishErr}
			q := &consumertest.Queue{}
			h, err := watcher.New(testConfig(), watcher.Deps{EC2: fec2, Publisher: pub, Queue: q,
				Store: storeWith(status.Launching), Clock: func() time.Time { return launchedAt.Add(tt.elapsed) }})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(resp.BatchItemFailures) == 1; got != tt.wantFailed {
				t.Errorf("batch item failure = %v, want %v", got, tt.wantFailed)
			}
			vis := q.VisibilityChanges()
			switch {
			case tt.wantVisibility == 0 && len(vis) > 0:
				t.Errorf("visibility changed to %d, want untouched", vis[0].VisibilityTimeout)
			case tt.wantVisibility > 0:
				most := max(tt.wantVisibility, tt.wantVisibilityMax)
				if len(vis) != 1 || vis[0].VisibilityTimeout < tt.wantVisibility || vis[0].VisibilityTimeout > most {
					t.Errorf("visibility changes %+v, want one to %d..%d s", vis, tt.wantVisibility, most)
				}
			}
			if tt.wantTerminate != (len(fec2.terminated) > 0) {
				t.Errorf("terminate calls %v, want terminate %v", fec2.terminated, tt.wantTerminate)
			}
			for _, ids := range fec2.terminated {
				if !slices.Equal(ids, fixtureIDs) {
					t.Errorf("terminated %v, want every instance of the request %v", ids, fixtureIDs)
				}
			}
			if tt.wantType == "" || tt.publishErr != nil {
				if len(pub.evs) != 0 {
					t.Errorf("published %v, want nothing", pub.evs)
				}
				return
			}
			if len(pub.evs) != 1 || pub.evs[0].Type != tt.wantType {
				t.Fatalf("published %+v, want one %s", pub.evs, tt.wantType)
			}
			got := pub.evs[0]
			if got.CausationID != "b1a2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d" || got.CorrelationID != "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d" || got.Source != watcher.Source {
				t.Errorf("envelope %+v does not follow the handled event", got)
			}
			if tt.wantType == event.TypeLaunchFailed {
				var f event.LaunchFailed
				if err := got.DecodeData(&f); err != nil {
					t.Fatal(err)
				}
				if f.Code != tt.wantCode || !slices.Equal(f.InstanceIDs, fixtureIDs) || f.Message == "" {
					t.Errorf("launch.failed = %+v, want code %s with the instances", f, tt.wantCode)
				}
			} else {
				var r event.InstanceRunning
				if err := got.DecodeData(&r); err != nil || !slices.Equal(r.InstanceIDs, fixtureIDs) {
					t.Errorf("instance.running = %+v (%v)", r, err)
				}
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name    string
		receive int
		want    time.Duration
	}{
		{"first receive", 1, 5 * time.Second},
		{"second receive", 2, 10 * time.Second},
		{"fourth receive", 4, 40 * time.Second},
		{"fifth receive capped", 5, 60 * time.Second},
		{"thirtieth receive capped", 30, 60 * time.Second},
		{"huge count capped", 1 << 30, 60 * time.Second},
		{"zero treated as first", 0, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := watcher.Backoff(tt.receive, 5*time.Second, 60*time.Second); got != tt.want {
				t.Errorf("Backoff(%d) = %v, want %v", tt.receive, got, tt.want)
			}
		})
	}
}

func TestHandleDelayStopsAtDeadline(t *testing.T) {
	tests := []struct {
		name    string
		receive string
		elapsed time.Duration
		want    int32
	}{
		{name: "backoff fits in the budget", receive: "10", elapsed: 100 * time.Second, want: 60},
		{name: "backoff cut to the time left plus a second", receive: "10", elapsed: 595 * time.Second, want: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := consumertest.LoadEvent(t, "../../events/watcher-pending.json")
			ev.Records[0].Attributes["ApproximateReceiveCount"] = tt.receive
			q := &consumertest.Queue{}
			h, err := watcher.New(testConfig(), watcher.Deps{EC2: &fakeEC2{instances: states("pending", "pending")}, Publisher: &fakePublisher{}, Queue: q,
				Store: storeWith(status.Launching), Clock: func() time.Time { return launchedAt.Add(tt.elapsed) }})
			if err != nil {
				t.Fatal(err)
			}
			_, _ = h.Handle(context.Background(), ev)
			vis := q.VisibilityChanges()
			if len(vis) != 1 || vis[0].VisibilityTimeout != tt.want {
				t.Errorf("visibility changes %+v, want %d s", vis, tt.want)
			}
		})
	}
}

func TestHandleBudgetFromFirstReceiveWithoutLaunchedAt(t *testing.T) {
	first := time.UnixMilli(1768471200000)
	body := fmt.Sprintf(`{"specversion":"1.0","id":"%s","type":"instance.launched","source":"eventchain/launcher","time":"2020-01-01T00:00:00Z","subject":"r-1","correlationid":"c-1","data":{"requestId":"r-1","instanceIds":["i-1"],"launchedAt":"0001-01-01T00:00:00Z"}}`, event.NewID())
	ev := lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{{MessageId: "m1", Body: body,
		Attributes: map[string]string{"ApproximateReceiveCount": "2", "ApproximateFirstReceiveTimestamp": "1768471200000"}}}}
	tests := []struct {
		name        string
		elapsed     time.Duration
		wantTimeout bool
	}{
		{name: "within budget of first receive", elapsed: 599 * time.Second},
		{name: "past budget of first receive", elapsed: 601 * time.Second, wantTimeout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fec2 := &fakeEC2{instances: map[string]instance{"i-1": {state: "pending"}}}
			h, err := watcher.New(testConfig(), watcher.Deps{EC2: fec2, Publisher: &fakePublisher{}, Queue: &consumertest.Queue{},
				Store: &fakeStore{}, Clock: func() time.Time { return first.Add(tt.elapsed) }})
			if err != nil {
				t.Fatal(err)
			}
			_, _ = h.Handle(context.Background(), ev)
			if got := len(fec2.terminated) > 0; got != tt.wantTimeout {
				t.Errorf("timed out = %v, want %v (the envelope time is years old and must not count)", got, tt.wantTimeout)
			}
		})
	}
}

func TestHandleInvalidPayloadDeadLetters(t *testing.T) {
	body := fmt.Sprintf(`{"specversion":"1.0","id":"%s","type":"instance.launched","source":"s","time":"2026-01-15T10:00:00Z","subject":"r-1","correlationid":"c","data":{"requestId":"r-1","instanceIds":[]}}`, event.NewID())
	q := &consumertest.Queue{}
	fec2 := &fakeEC2{}
	h, err := watcher.New(testConfig(), watcher.Deps{EC2: fec2, Publisher: &fakePublisher{}, Queue: q, Store: &fakeStore{}})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := h.Handle(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{{MessageId: "m1", Body: body}}})
	sent := q.SentMessages()
	if len(resp.BatchItemFailures) != 0 || len(sent) != 1 || aws.ToString(sent[0].MessageAttributes[event.AttrErrorCode].StringValue) != watcher.CodeInvalidPayload {
		t.Errorf("resp %+v, dead letters %d: want the record dead-lettered as %s", resp, len(sent), watcher.CodeInvalidPayload)
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    watcher.Config
		wantErr bool
	}{
		{name: "defaults", env: map[string]string{"EVENTS_TOPIC_ARN": "a"},
			want: watcher.Config{EventsTopicARN: "a", Timeout: 600 * time.Second, BackoffBase: 5 * time.Second, BackoffMax: 60 * time.Second,
				Retry: consumer.DefaultBackoff}},
		{name: "short test settings", env: map[string]string{"EVENTS_TOPIC_ARN": "a", "QUEUE_URL": "q", "DLQ_URL": "d",
			"WATCH_TIMEOUT_SECONDS": "30", "WATCH_BACKOFF_BASE_SECONDS": "0.5", "WATCH_BACKOFF_MAX_SECONDS": "2", consumer.BackoffBaseEnv: "0.25"},
			want: watcher.Config{EventsTopicARN: "a", QueueURL: "q", DLQURL: "d", Timeout: 30 * time.Second, BackoffBase: 500 * time.Millisecond, BackoffMax: 2 * time.Second,
				Retry: consumer.Backoff{Base: 250 * time.Millisecond, Max: consumer.DefaultBackoffMax, Jitter: consumer.DefaultBackoffJitter}}},
		{name: "missing topic", env: map[string]string{}, wantErr: true},
		{name: "negative timeout", env: map[string]string{"EVENTS_TOPIC_ARN": "a", "WATCH_TIMEOUT_SECONDS": "-5"}, wantErr: true},
		{name: "max below base", env: map[string]string{"EVENTS_TOPIC_ARN": "a", "WATCH_BACKOFF_BASE_SECONDS": "10", "WATCH_BACKOFF_MAX_SECONDS": "5"}, wantErr: true},
		{name: "receive budget", env: map[string]string{"EVENTS_TOPIC_ARN": "a", "WATCH_MAX_RECEIVE_COUNT": "30"},
			want: watcher.Config{EventsTopicARN: "a", Timeout: 600 * time.Second, BackoffBase: 5 * time.Second, BackoffMax: 60 * time.Second, MaxReceiveCount: 30,
				Retry: consumer.DefaultBackoff}},
		{name: "bad retry backoff", env: map[string]string{"EVENTS_TOPIC_ARN": "a", consumer.BackoffBaseEnv: "-2"}, wantErr: true},
		{name: "receive budget too small", env: map[string]string{"EVENTS_TOPIC_ARN": "a", "WATCH_MAX_RECEIVE_COUNT": "1"}, wantErr: true},
		{name: "receive budget not a number", env: map[string]string{"EVENTS_TOPIC_ARN": "a", "WATCH_MAX_RECEIVE_COUNT": "many"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := watcher.LoadConfig(consumertest.Lookup(tt.env))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("config = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestHandleClosedRequestIsLeftAlone delivers late duplicates of
// instance.launched for requests that already finished: whatever their
// instances look like now, the watcher must not terminate them or fail the
// request again.
func TestHandleClosedRequestIsLeftAlone(t *testing.T) {
	const (
		running = ec2types.InstanceStateNameRunning
		pending = ec2types.InstanceStateNamePending
		stopped = ec2types.InstanceStateNameStopped
	)
	tests := []struct {
		name      string
		status    status.Status
		instances map[string]instance
		elapsed   time.Duration
	}{
		{name: "FAILED request with stopped instances", status: status.Failed, instances: states(stopped, stopped), elapsed: 30 * time.Second},
		{name: "RUNNING request with a stopped instance", status: status.Running, instances: states(running, stopped), elapsed: 30 * time.Second},
		{name: "FAILED request restarted, pending past the budget", status: status.Failed, instances: states(pending, pending), elapsed: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := consumertest.LoadEvent(t, "../../events/watcher-pending.json")
			fec2 := &fakeEC2{instances: tt.instances}
			pub := &fakePublisher{}
			q := &consumertest.Queue{}
			h, err := watcher.New(testConfig(), watcher.Deps{EC2: fec2, Publisher: pub, Queue: q, Store: storeWith(tt.status),
				Clock: func() time.Time { return launchedAt.Add(tt.elapsed) }})
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := h.Handle(context.Background(), ev)
			if len(resp.BatchItemFailures) != 0 || len(q.SentMessages()) != 0 {
				t.Errorf("failures %+v, dead letters %d: want the duplicate acknowledged", resp, len(q.SentMessages()))
			}
			if fec2.describes != 0 || len(fec2.terminated) != 0 || len(pub.evs) != 0 {
				t.Errorf("describes %d, terminate calls %v, published %v: want nothing done for a %s request",
					fec2.describes, fec2.terminated, pub.evs, tt.status)
			}
		})
	}
}

func TestHandleStoreLookup(t *testing.T) {
	tests := []struct {
		name         string
		store        *fakeStore
		wantFailed   bool
		wantDescribe bool
		wantType     string
	}{
		{name: "store failure retries before touching EC2", store: &fakeStore{err: errors.New("dynamo down")}, wantFailed: true},
		{name: "unknown request is still watched to a terminal event", store: &fakeStore{}, wantDescribe: true, wantType: event.TypeInstanceRunning},
		{name: "LAUNCHING request is watched", store: storeWith(status.Launching), wantDescribe: true, wantType: event.TypeInstanceRunning},
		{name: "ACCEPTED request (launcher's LAUNCHING not yet written) is watched", store: storeWith(status.Accepted), wantDescribe: true, wantType: event.TypeInstanceRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := consumertest.LoadEvent(t, "../../events/watcher-running.json")
			fec2 := &fakeEC2{instances: states("running", "running")}
			pub := &fakePublisher{}
			h, err := watcher.New(testConfig(), watcher.Deps{EC2: fec2, Publisher: pub, Queue: &consumertest.Queue{}, Store: tt.store,
				Clock: func() time.Time { return launchedAt.Add(time.Minute) }})
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := h.Handle(context.Background(), ev)
			if got := len(resp.BatchItemFailures) == 1; got != tt.wantFailed {
				t.Errorf("batch item failure = %v, want %v", got, tt.wantFailed)
			}
			if tt.store.gets != 1 || (fec2.describes > 0) != tt.wantDescribe {
				t.Errorf("store gets %d, describes %d: want one get, describe %v", tt.store.gets, fec2.describes, tt.wantDescribe)
			}
			if tt.wantType != "" && (len(pub.evs) != 1 || pub.evs[0].Type != tt.wantType) {
				t.Errorf("published %+v, want one %s", pub.evs, tt.wantType)
			}
		})
	}
}

// TestHandleReceiveBudget checks that the watcher gives up before the watch
// queue's maxReceiveCount dead-letters the record, even when receives were
// spent on errors and the time budget is far from over.
func TestHandleReceiveBudget(t *testing.T) {
	const (
		pending = ec2types.InstanceStateNamePending
		running = ec2types.InstanceStateNameRunning
	)
	tests := []struct {
		name          string
		receive       string
		instances     map[string]instance
		describeErr   error
		terminateErr  error
		wantFailed    bool
		wantTerminate bool
		wantType      string
	}{
		{name: "pending with receives left backs off", receive: "28", instances: states(pending, pending), wantFailed: true},
		{name: "pending on receive max-1 times out", receive: "29", instances: states(pending, pending),
			wantTerminate: true, wantType: event.TypeLaunchFailed},
		{name: "pending on the last receive times out", receive: "30", instances: states(pending, pending),
			wantTerminate: true, wantType: event.TypeLaunchFailed},
		{name: "unwaitable describe error with receives left retries", receive: "10", instances: states(pending, pending),
			describeErr: apiErr("AuthFailure"), wantFailed: true},
		{name: "unwaitable describe error on receive max-1 times out", receive: "29", instances: states(pending, pending),
			describeErr: apiErr("AuthFailure"), wantTerminate: true, wantType: event.TypeLaunchFailed},
		{name: "not yet visible on receive max-1 times out", receive: "29",
			describeErr: apiErr("InvalidInstanceID.NotFound"), wantTerminate: true, wantType: event.TypeLaunchFailed},
		{name: "failed termination on receive max-1 leaves the last receive to retry", receive: "29", instances: states(pending, pending),
			terminateErr: apiErr("RequestLimitExceeded"), wantFailed: true, wantTerminate: true},
		{name: "running on receive max-1 still succeeds", receive: "29", instances: states(running, running),
			wantType: event.TypeInstanceRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := consumertest.LoadEvent(t, "../../events/watcher-pending.json")
			ev.Records[0].Attributes["ApproximateReceiveCount"] = tt.receive
			fec2 := &fakeEC2{instances: tt.instances, describeErr: tt.describeErr, terminateErr: tt.terminateErr}
			pub := &fakePublisher{}
			cfg := testConfig()
			cfg.MaxReceiveCount = 30
			h, err := watcher.New(cfg, watcher.Deps{EC2: fec2, Publisher: pub, Queue: &consumertest.Queue{}, Store: storeWith(status.Launching),
				// Two minutes into a ten-minute budget: only the receive budget can end the wait.
				Clock: func() time.Time { return launchedAt.Add(2 * time.Minute) }})
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := h.Handle(context.Background(), ev)
			if got := len(resp.BatchItemFailures) == 1; got != tt.wantFailed {
				t.Errorf("batch item failure = %v, want %v", got, tt.wantFailed)
			}
			if got := len(fec2.terminated) > 0; got != tt.wantTerminate {
				t.Errorf("terminate calls %v, want terminate %v", fec2.terminated, tt.wantTerminate)
			}
			if tt.wantType == "" {
				if len(pub.evs) != 0 {
					t.Errorf("published %v, want nothing", pub.evs)
				}
				return
			}
			if len(pub.evs) != 1 || pub.evs[0].Type != tt.wantType {
				t.Fatalf("published %+v, want one %s", pub.evs, tt.wantType)
			}
			if tt.wantType == event.TypeLaunchFailed {
				var f event.LaunchFailed
				if err := pub.evs[0].DecodeData(&f); err != nil || f.Code != watcher.CodeWatchTimeout || !strings.Contains(f.Message, "receives") {
					t.Errorf("launch.failed = %+v (%v), want WatchTimeout naming the receive budget", f, err)
				}
			}
		})
	}
}

// TestTerminateSkipsUnknownIDs: EC2 refuses a TerminateInstances naming an
// unknown id and terminates none of the others, so the watcher must retry
// with the ids EC2 knows.
func TestTerminateSkipsUnknownIDs(t *testing.T) {
	tests := []struct {
		name          string
		instances     map[string]instance
		wantTerminate [][]string
	}{
		{name: "one id unknown: the other is terminated",
			instances:     map[string]instance{fixtureIDs[0]: {state: ec2types.InstanceStateNamePending}},
			wantTerminate: [][]string{fixtureIDs, {fixtureIDs[0]}}},
		{name: "already terminated ids are not retried",
			instances: map[string]instance{fixtureIDs[0]: {state: ec2types.InstanceStateNameTerminated},
				"i-other": {state: ec2types.InstanceStateNamePending}},
			wantTerminate: [][]string{fixtureIDs}},
		{name: "no id known: nothing left to terminate", instances: map[string]instance{},
			wantTerminate: [][]string{fixtureIDs}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := consumertest.LoadEvent(t, "../../events/watcher-pending.json")
			fec2 := &fakeEC2{instances: tt.instances, describeErr: apiErr("InvalidInstanceID.NotFound")}
			pub := &fakePublisher{}
			h, err := watcher.New(testConfig(), watcher.Deps{EC2: fec2, Publisher: pub, Queue: &consumertest.Queue{}, Store: storeWith(status.Launching),
				Clock: func() time.Time { return launchedAt.Add(time.Hour) }})
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := h.Handle(context.Background(), ev)
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("failures %+v", resp)
			}
			if !slices.EqualFunc(fec2.terminated, tt.wantTerminate, slices.Equal) {
				t.Errorf("terminate calls %v, want %v", fec2.terminated, tt.wantTerminate)
			}
			if st := fec2.instances[fixtureIDs[0]].state; tt.instances[fixtureIDs[0]].state == ec2types.InstanceStateNamePending && st != ec2types.InstanceStateNameShuttingDown {
				t.Errorf("known instance is %s after the timeout, want shutting-down", st)
			}
			if len(pub.evs) != 1 || pub.evs[0].Type != event.TypeLaunchFailed {
				t.Errorf("published %+v, want launch.failed", pub.evs)
			}
		})
	}
}
