package consumer_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"

	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/consumer/consumertest"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
)

// hopLog records hops as a status store would; fail, when set, fails
// every call.
type hopLog struct {
	mu   sync.Mutex
	ids  []string
	hops []status.Hop
	fail error
}

func (l *hopLog) RecordHop(_ context.Context, id string, h status.Hop) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	l.ids, l.hops = append(l.ids, id), append(l.hops, h)
	return nil
}

// TestHopsRecordOutcomes checks that each way a record ends is recorded in
// its request's hops with its code and reason, as a person following the
// request will read them.
func TestHopsRecordOutcomes(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "RequestLimitExceeded", Message: "slow down"}
	tests := []struct {
		name        string
		err         error
		panicWith   any
		wantOutcome status.Outcome
		wantCode    string
		wantReason  string
	}{
		{name: "ok", wantOutcome: status.OutcomeOK},
		{name: "retry with its code", err: consumer.TransientCode("InstancesPending", errors.New("0 of 1 running"), 0),
			wantOutcome: status.OutcomeRetry, wantCode: "InstancesPending", wantReason: "0 of 1 running"},
		{name: "retry takes the AWS error code", err: consumer.Transient(throttled, 0),
			wantOutcome: status.OutcomeRetry, wantCode: "RequestLimitExceeded", wantReason: throttled.Error()},
		{name: "dead-lettered", err: consumer.Permanent("RequestNotFound", errors.New("no such request")),
			wantOutcome: status.OutcomeDeadLettered, wantCode: "RequestNotFound", wantReason: "no such request"},
		{name: "failed", err: errors.New("store unavailable"), wantOutcome: status.OutcomeFailed, wantReason: "store unavailable"},
		{name: "panic", panicWith: "boom", wantOutcome: status.OutcomeFailed, wantCode: "Panic", wantReason: "handler panic: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hops := &hopLog{}
			r, err := consumer.New(consumer.Options{
				Function: event.FunctionLauncher, Queue: &consumertest.Queue{}, QueueURL: queueURL, DLQURL: dlqURL, Hops: hops,
			}, func(context.Context, consumer.Record) error {
				if tt.panicWith != nil {
					panic(tt.panicWith)
				}
				return tt.err
			})
			if err != nil {
				t.Fatal(err)
			}
			msg := message(t, "m1", event.TypeLaunchRequested, event.TypeLaunchRequested)
			msg.Attributes["ApproximateReceiveCount"] = "3"
			env, err := event.Decode([]byte(msg.Body))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Handle(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{msg}}); err != nil {
				t.Fatal(err)
			}
			if len(hops.hops) != 1 {
				t.Fatalf("%d hops recorded, want 1", len(hops.hops))
			}
			h := hops.hops[0]
			if hops.ids[0] != env.Subject || h.Function != event.FunctionLauncher || h.Event != env.Type || h.EventID != env.ID || h.ReceiveCount != 3 {
				t.Errorf("hop for %s = %+v, want the record's request, function, event and receive count", hops.ids[0], h)
			}
			if h.Outcome != tt.wantOutcome || h.Code != tt.wantCode || h.Reason != tt.wantReason || h.At.IsZero() {
				t.Errorf("hop outcome %q code %q reason %q, want %q %q %q", h.Outcome, h.Code, h.Reason, tt.wantOutcome, tt.wantCode, tt.wantReason)
			}
		})
	}
}

// TestHopFailureChangesNothing: a store that cannot record the hop does not
// change what happens to the record.
func TestHopFailureChangesNothing(t *testing.T) {
	hops := &hopLog{fail: errors.New("throttled")}
	r, err := consumer.New(consumer.Options{
		Function: event.FunctionLauncher, Queue: &consumertest.Queue{}, QueueURL: queueURL, DLQURL: dlqURL, Hops: hops,
	}, func(context.Context, consumer.Record) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.Handle(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{message(t, "m1", event.TypeLaunchRequested, event.TypeLaunchRequested)}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v; want the record acknowledged", resp, err)
	}
}

// TestNoHopForUndecodableRecords: a record without a request has no
// history to write to; its dead letter says what happened.
func TestNoHopForUndecodableRecords(t *testing.T) {
	hops := &hopLog{}
	r, err := consumer.New(consumer.Options{
		Function: event.FunctionLauncher, Queue: &consumertest.Queue{}, QueueURL: queueURL, DLQURL: dlqURL, Hops: hops,
	}, func(context.Context, consumer.Record) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	msg := lambdaevents.SQSMessage{MessageId: "m1", Body: "not json", Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
	if _, err := r.Handle(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{msg}}); err != nil {
		t.Fatal(err)
	}
	if len(hops.hops) != 0 {
		t.Errorf("hops %+v for an undecodable record", hops.hops)
	}
}
