package notifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/localcloudtest"
	"github.com/eventchain/eventchain/internal/consumer/consumertest"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/notifier"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
)

const (
	runningFixture = "../../events/notifier-instance-running.json"
	failedFixture  = "../../events/notifier-launch-failed.json"
	runningReq     = "3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c"
	failedReq      = "c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f"
	topicARN       = "arn:aws:sns:us-east-1:123456789012:notifications"
)

type fakeSNS struct {
	mu  sync.Mutex
	err error
	in  []*sns.PublishInput
}

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.in = append(f.in, in)
	return &sns.PublishOutput{MessageId: aws.String("n")}, nil
}

func (f *fakeSNS) notifications(t *testing.T) []notifier.Notification {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []notifier.Notification
	for _, in := range f.in {
		var n notifier.Notification
		dec := json.NewDecoder(strings.NewReader(aws.ToString(in.Message)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&n); err != nil {
			t.Fatalf("notification %s: %v", aws.ToString(in.Message), err)
		}
		out = append(out, n)
	}
	return out
}

// flakyStore fails MarkNotified or Advance on demand.
type flakyStore struct {
	status.Store
	markErr    error
	advanceErr error
}

func (s *flakyStore) MarkNotified(ctx context.Context, id string) error {
	if s.markErr != nil {
		return s.markErr
	}
	return s.Store.MarkNotified(ctx, id)
}

func (s *flakyStore) Advance(ctx context.Context, id string, t status.Transition) (status.Request, error) {
	if s.advanceErr != nil {
		return status.Request{}, s.advanceErr
	}
	return s.Store.Advance(ctx, id, t)
}

type env struct {
	store *flakyStore
	sns   *fakeSNS
	queue *consumertest.Queue
	h     *notifier.Handler
}

// setup records both fixture requests, advanced to the given status.
func setup(t *testing.T, to status.Status) *env {
	t.Helper()
	store := statustest.NewDynamo(t, localcloudtest.Start(t, localcloud.Options{}))
	ctx := context.Background()
	for _, r := range []status.Request{
		{ID: runningReq, CorrelationID: "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"},
		{ID: failedReq, CorrelationID: "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"},
	} {
		if err := store.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		for _, s := range []status.Status{status.Accepted, status.Launching} {
			if s.Rank() > to.Rank() {
				break
			}
			if _, err := store.Advance(ctx, r.ID, status.Transition{To: s, Event: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	e := &env{store: &flakyStore{Store: store}, sns: &fakeSNS{}, queue: &consumertest.Queue{}}
	var err error
	e.h, err = notifier.New(notifier.Config{NotificationsTopicARN: topicARN, QueueURL: "http://q/notify", DLQURL: "http://q/notify-dlq"},
		notifier.Deps{SNS: e.sns, Store: e.store, Queue: e.queue})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) handle(t *testing.T, ev lambdaevents.SQSEvent) lambdaevents.SQSEventResponse {
	t.Helper()
	resp, err := e.h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (e *env) get(t *testing.T, id string) status.Request {
	t.Helper()
	r, err := e.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHandleClosesRequests(t *testing.T) {
	tests := []struct {
		name      string
		fixture   string
		id        string
		want      status.Status
		wantIDs   []string
		wantError *status.Failure
		wantEvent string
	}{
		{name: "instance.running closes RUNNING", fixture: runningFixture, id: runningReq, want: status.Running,
			wantIDs: []string{"i-0a1b2c3d4e5f60718", "i-0f1e2d3c4b5a69788"}, wantEvent: event.TypeInstanceRunning},
		{name: "launch.failed closes FAILED with the error", fixture: failedFixture, id: failedReq, want: status.Failed,
			wantIDs: []string{}, wantEvent: event.TypeLaunchFailed,
			wantError: &status.Failure{Code: "InvalidAMIID.NotFound", Message: "The image id '[ami-0fedcba9876543210]' does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, status.Launching)
			ev := consumertest.LoadEvent(t, tt.fixture)
			if resp := e.handle(t, ev); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("failures %+v", resp)
			}
			req := e.get(t, tt.id)
			if req.Status != tt.want || !req.Notified {
				t.Errorf("request %s notified=%v, want %s notified", req.Status, req.Notified, tt.want)
			}
			if last := req.History[len(req.History)-1]; last.Event != tt.wantEvent {
				t.Errorf("history ends with %s, want %s", last.Event, tt.wantEvent)
			}
			ns := e.sns.notifications(t)
			if len(ns) != 1 {
				t.Fatalf("notifications = %d, want 1", len(ns))
			}
			n := ns[0]
			if n.RequestID != tt.id || n.Status != tt.want || n.Event != tt.wantEvent || n.CorrelationID != req.CorrelationID {
				t.Errorf("notification = %+v", n)
			}
			if !slices.Equal(n.InstanceIDs, tt.wantIDs) {
				t.Errorf("instanceIds = %v, want %v", n.InstanceIDs, tt.wantIDs)
			}
			if (n.Error == nil) != (tt.wantError == nil) || (n.Error != nil && *n.Error != *tt.wantError) {
				t.Errorf("error = %+v, want %+v", n.Error, tt.wantError)
			}
			in := e.sns.in[0]
			if aws.ToString(in.TopicArn) != topicARN ||
				aws.ToString(in.MessageAttributes[event.AttrType].StringValue) != notifier.NotificationType(tt.want) ||
				aws.ToString(in.MessageAttributes[notifier.AttrStatus].StringValue) != string(tt.want) ||
				aws.ToString(in.MessageAttributes[event.AttrCorrelationID].StringValue) != req.CorrelationID {
				t.Errorf("publish to %s with attributes %+v", aws.ToString(in.TopicArn), in.MessageAttributes)
			}
		})
	}
}

func TestHandleRedeliveryNotifiesOnce(t *testing.T) {
	e := setup(t, status.Launching)
	ev := consumertest.LoadEvent(t, runningFixture)
	for i := range 3 {
		if resp := e.handle(t, ev); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("delivery %d: failures %+v", i+1, resp)
		}
	}
	if n := len(e.sns.notifications(t)); n != 1 {
		t.Errorf("notifications = %d after 3 deliveries, want 1", n)
	}
	req := e.get(t, runningReq)
	terminal := 0
	for _, h := range req.History {
		if h.Event == event.TypeInstanceRunning {
			terminal++
		}
	}
	if terminal != 1 {
		t.Errorf("history %v records the terminal event %d times, want 1", req.History, terminal)
	}
}

// retarget points a fixture's event at another request.
func retarget(t *testing.T, ev lambdaevents.SQSEvent, id string) lambdaevents.SQSEvent {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(ev.Records[0].Body), &m); err != nil {
		t.Fatal(err)
	}
	m["subject"] = id
	m["data"].(map[string]any)["requestId"] = id
	b, _ := json.Marshal(m)
	ev.Records[0].Body = string(b)
	return ev
}

func TestHandleFirstTerminalWins(t *testing.T) {
	tests := []struct {
		name       string
		first      string // fixture delivered first
		second     string
		markFirst  bool // notification of the first succeeded
		wantStatus status.Status
		wantEvents []string // notification events, in order
	}{
		{name: "running after failed is refused", first: failedFixture, second: runningFixture, markFirst: true,
			wantStatus: status.Failed, wantEvents: []string{event.TypeLaunchFailed}},
		{name: "failed after running is refused", first: runningFixture, second: failedFixture, markFirst: true,
			wantStatus: status.Running, wantEvents: []string{event.TypeInstanceRunning}},
		{name: "late event still sends the missing notification of the winner", first: failedFixture, second: runningFixture, markFirst: false,
			wantStatus: status.Failed, wantEvents: []string{event.TypeLaunchFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, status.Launching)
			first := retarget(t, consumertest.LoadEvent(t, tt.first), runningReq)
			second := retarget(t, consumertest.LoadEvent(t, tt.second), runningReq)
			if !tt.markFirst {
				e.sns.err = errors.New("sns down")
			}
			resp := e.handle(t, first)
			if got := len(resp.BatchItemFailures) == 1; got == tt.markFirst {
				t.Fatalf("first delivery failures %+v", resp)
			}
			e.sns.err = nil
			if resp := e.handle(t, second); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("second delivery failures %+v, want acknowledged", resp)
			}
			req := e.get(t, runningReq)
			if req.Status != tt.wantStatus || !req.Notified {
				t.Errorf("request %s notified=%v, want %s notified", req.Status, req.Notified, tt.wantStatus)
			}
			var got []string
			for _, n := range e.sns.notifications(t) {
				got = append(got, n.Event)
				if n.Status != tt.wantStatus {
					t.Errorf("notified status %s, want the winner %s", n.Status, tt.wantStatus)
				}
			}
			if !slices.Equal(got, tt.wantEvents) {
				t.Errorf("notifications %v, want %v", got, tt.wantEvents)
			}
		})
	}
}

func TestHandleFailures(t *testing.T) {
	tests := []struct {
		name         string
		snsErr       error
		markErr      error
		advanceErr   error
		unknown      bool
		wantFailed   bool
		wantDLQ      string
		wantNotified bool // a notification was published
	}{
		{name: "unknown request dead-letters", unknown: true, wantDLQ: notifier.CodeRequestNotFound},
		{name: "SNS failure retries and leaves the request unnotified", snsErr: errors.New("throttled"), wantFailed: true},
		{name: "MarkNotified failure retries after the notification went out", markErr: errors.New("dynamo down"), wantFailed: true, wantNotified: true},
		{name: "store failure retries", advanceErr: errors.New("dynamo down"), wantFailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, status.Launching)
			e.sns.err, e.store.markErr, e.store.advanceErr = tt.snsErr, tt.markErr, tt.advanceErr
			ev := consumertest.LoadEvent(t, runningFixture)
			if tt.unknown {
				ev = retarget(t, ev, event.NewID())
			}
			resp := e.handle(t, ev)
			if got := len(resp.BatchItemFailures) == 1; got != tt.wantFailed {
				t.Errorf("batch item failure = %v, want %v", got, tt.wantFailed)
			}
			if got := len(e.sns.notifications(t)) > 0; got != tt.wantNotified {
				t.Errorf("notification published = %v, want %v", got, tt.wantNotified)
			}
			sent := e.queue.SentMessages()
			if tt.wantDLQ == "" && len(sent) > 0 {
				t.Errorf("dead-lettered %+v", sent)
			}
			if tt.wantDLQ != "" {
				if len(sent) != 1 || aws.ToString(sent[0].MessageAttributes[event.AttrErrorCode].StringValue) != tt.wantDLQ ||
					aws.ToString(sent[0].MessageAttributes[event.AttrErrorFunction].StringValue) != event.FunctionNotifier {
					t.Fatalf("dead letters %+v, want one with %s", sent, tt.wantDLQ)
				}
				return
			}
			if req := e.get(t, runningReq); req.Notified {
				t.Errorf("request marked notified after a failure")
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    notifier.Config
		wantErr bool
	}{
		{name: "all set", env: map[string]string{"NOTIFICATIONS_TOPIC_ARN": "t", "QUEUE_URL": "q", "DLQ_URL": "d"},
			want: notifier.Config{NotificationsTopicARN: "t", QueueURL: "q", DLQURL: "d"}},
		{name: "topic missing", env: map[string]string{"QUEUE_URL": "q"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := notifier.LoadConfig(consumertest.Lookup(tt.env))
			if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
				t.Errorf("LoadConfig = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestHandleNotifiesAgainAfterMarkNotifiedFails pins the at-least-once
// promise of the package documentation: a notification published but not
// recorded (MarkNotified failed) is published again on redelivery, and
// once recorded, never again.
func TestHandleNotifiesAgainAfterMarkNotifiedFails(t *testing.T) {
	e := setup(t, status.Launching)
	ev := consumertest.LoadEvent(t, runningFixture)
	deliveries := []struct {
		markErr    error
		wantFailed bool
		wantSent   int // notifications published so far
	}{
		{markErr: errors.New("dynamo down"), wantFailed: true, wantSent: 1},
		{wantSent: 2}, // the duplicate: the first was never recorded
		{wantSent: 2}, // recorded now: nothing more
	}
	for i, d := range deliveries {
		e.store.markErr = d.markErr
		resp := e.handle(t, ev)
		if got := len(resp.BatchItemFailures) == 1; got != d.wantFailed {
			t.Errorf("delivery %d: batch item failure = %v, want %v", i+1, got, d.wantFailed)
		}
		ns := e.sns.notifications(t)
		if len(ns) != d.wantSent {
			t.Fatalf("delivery %d: %d notifications published, want %d", i+1, len(ns), d.wantSent)
		}
		for _, n := range ns {
			if n.RequestID != runningReq || n.Status != status.Running {
				t.Errorf("delivery %d: notification %+v, want %s RUNNING", i+1, n, runningReq)
			}
		}
	}
	if req := e.get(t, runningReq); !req.Notified || req.Status != status.Running {
		t.Errorf("request %s notified=%v, want RUNNING and notified", req.Status, req.Notified)
	}
}
