package consumer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/consumer/consumertest"
	"github.com/eventchain/eventchain/internal/event"
)

const (
	queueURL = "http://127.0.0.1:4566/123456789012/eventchain-launch"
	dlqURL   = "http://127.0.0.1:4566/123456789012/eventchain-launch-dlq"
)

// message builds a raw-delivery SQS record carrying a launch.requested event.
func message(tb testing.TB, id, eventType, typeAttr string) lambdaevents.SQSMessage {
	tb.Helper()
	env, err := event.New(event.TypeLaunchRequested, event.Meta{
		Source: "eventchain/api", Subject: event.NewID(), CorrelationID: event.NewID(),
	}, event.LaunchRequested{RequestID: "r", ImageID: "ami-12345678", InstanceType: "t3.micro", Count: 1})
	if err != nil {
		tb.Fatal(err)
	}
	env.Type = eventType
	body, err := json.Marshal(env)
	if err != nil {
		tb.Fatal(err)
	}
	msg := lambdaevents.SQSMessage{
		MessageId:     id,
		ReceiptHandle: "rh-" + id,
		Body:          string(body),
		Attributes:    map[string]string{"ApproximateReceiveCount": "1"},
		MessageAttributes: map[string]lambdaevents.SQSMessageAttribute{
			event.AttrCorrelationID: {DataType: "String", StringValue: aws.String(env.CorrelationID)},
		},
	}
	if typeAttr != "" {
		msg.MessageAttributes[event.AttrType] = lambdaevents.SQSMessageAttribute{DataType: "String", StringValue: aws.String(typeAttr)}
	}
	return msg
}

func newRunner(tb testing.TB, q *consumertest.Queue, h consumer.HandlerFunc) *consumer.Runner {
	tb.Helper()
	r, err := consumer.New(consumer.Options{
		Function: event.FunctionLauncher, Queue: q, QueueURL: queueURL, DLQURL: dlqURL,
	}, h)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func failedIDs(resp lambdaevents.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func attr(t *testing.T, in map[string]lambdaevents.SQSMessageAttribute, name string) string {
	t.Helper()
	a, ok := in[name]
	if !ok || a.StringValue == nil {
		return ""
	}
	return *a.StringValue
}

func TestHandleOutcomes(t *testing.T) {
	plain := errors.New("store unavailable")
	tests := []struct {
		name           string
		err            error
		panicWith      any
		wantFailed     bool
		wantDLQ        bool
		wantCode       string
		wantVisibility int32 // 0: no ChangeMessageVisibility call
		// wantVisibilityMax, when set, makes [wantVisibility,
		// wantVisibilityMax] the range the jittered schedule allows.
		wantVisibilityMax int32
	}{
		{name: "success acknowledges", err: nil},
		// First receive: 2 s ± 20 %, rounded up to whole seconds.
		{name: "transient without delay backs off on the schedule", err: consumer.Transient(plain, 0), wantFailed: true, wantVisibility: 2, wantVisibilityMax: 3},
		{name: "transient with delay raises visibility", err: consumer.Transient(plain, 1500*time.Millisecond), wantFailed: true, wantVisibility: 2},
		{name: "transient delay capped at 12h", err: consumer.Transient(plain, 48*time.Hour), wantFailed: true, wantVisibility: 43200},
		{name: "wrapped transient still transient", err: fmt.Errorf("describe: %w", consumer.Transient(plain, 10*time.Second)), wantFailed: true, wantVisibility: 10},
		{name: "permanent dead-letters and acknowledges", err: consumer.Permanent("RequestNotFound", plain), wantDLQ: true, wantCode: "RequestNotFound"},
		{name: "wrapped permanent dead-letters", err: fmt.Errorf("advance: %w", consumer.Permanent("BadPayload", plain)), wantDLQ: true, wantCode: "BadPayload"},
		{name: "transient wrapping permanent retries", err: consumer.Transient(consumer.Permanent("X", plain), 0), wantFailed: true, wantVisibility: 2, wantVisibilityMax: 3},
		{name: "unclassified error retries via redrive", err: plain, wantFailed: true},
		{name: "panic is the record's failure", panicWith: "boom", wantFailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &consumertest.Queue{}
			r := newRunner(t, q, func(context.Context, consumer.Record) error {
				if tt.panicWith != nil {
					panic(tt.panicWith)
				}
				return tt.err
			})
			msg := message(t, "m1", event.TypeLaunchRequested, event.TypeLaunchRequested)
			resp, err := r.Handle(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{msg}})
			if err != nil {
				t.Fatalf("Handle returned error %v; a batch must never fail whole", err)
			}
			if got := len(resp.BatchItemFailures) == 1; got != tt.wantFailed {
				t.Errorf("batch item failure = %v, want %v (%v)", got, tt.wantFailed, failedIDs(resp))
			}
			sent := q.SentMessages()
			if got := len(sent) == 1; got != tt.wantDLQ {
				t.Fatalf("dead-lettered = %v, want %v", got, tt.wantDLQ)
			}
			if tt.wantDLQ {
				if got := *sent[0].MessageAttributes[event.AttrErrorCode].StringValue; got != tt.wantCode {
					t.Errorf("error.code = %q, want %q", got, tt.wantCode)
				}
				if got := *sent[0].MessageBody; got != msg.Body {
					t.Errorf("dead letter body changed")
				}
			}
			vis := q.VisibilityChanges()
			switch {
			case tt.wantVisibility == 0 && len(vis) != 0:
				t.Errorf("unexpected visibility change %+v", vis)
			case tt.wantVisibility != 0:
				if len(vis) != 1 {
					t.Fatalf("visibility changes = %d, want 1", len(vis))
				}
				most := max(tt.wantVisibility, tt.wantVisibilityMax)
				if got := vis[0].VisibilityTimeout; got < tt.wantVisibility || got > most || *vis[0].QueueUrl != queueURL || *vis[0].ReceiptHandle != msg.ReceiptHandle {
					t.Errorf("visibility change = %d on %s/%s, want %d..%d on %s/%s", got,
						*vis[0].QueueUrl, *vis[0].ReceiptHandle, tt.wantVisibility, most, queueURL, msg.ReceiptHandle)
				}
			}
		})
	}
}

func TestHandleRejectsUndecodableRecords(t *testing.T) {
	tests := []struct {
		name     string
		msg      func(t *testing.T) lambdaevents.SQSMessage
		wantCode string
	}{
		{name: "not JSON", wantCode: consumer.CodeMalformed, msg: func(t *testing.T) lambdaevents.SQSMessage {
			m := message(t, "m1", event.TypeLaunchRequested, event.TypeLaunchRequested)
			m.Body = "hello"
			return m
		}},
		{name: "type attribute disagrees with envelope", wantCode: consumer.CodeTypeMismatch, msg: func(t *testing.T) lambdaevents.SQSMessage {
			return message(t, "m1", event.TypeLaunchRequested, event.TypeLaunchFailed)
		}},
		{name: "type not consumed by this function", wantCode: consumer.CodeUnexpectedType, msg: func(t *testing.T) lambdaevents.SQSMessage {
			return message(t, "m1", event.TypeInstanceRunning, event.TypeInstanceRunning)
		}},
		{name: "unknown type", wantCode: consumer.CodeUnexpectedType, msg: func(t *testing.T) lambdaevents.SQSMessage {
			return message(t, "m1", "launch.exploded", "launch.exploded")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &consumertest.Queue{}
			var calls atomic.Int32
			r := newRunner(t, q, func(context.Context, consumer.Record) error { calls.Add(1); return nil })
			msg := tt.msg(t)
			resp, _ := r.Handle(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{msg}})
			if len(resp.BatchItemFailures) != 0 {
				t.Errorf("undecodable record reported as failure: %v", failedIDs(resp))
			}
			if calls.Load() != 0 {
				t.Errorf("handler called for an undecodable record")
			}
			sent := q.SentMessages()
			if len(sent) != 1 {
				t.Fatalf("dead letters = %d, want 1", len(sent))
			}
			in := sent[0]
			if *in.QueueUrl != dlqURL || *in.MessageBody != msg.Body {
				t.Errorf("dead letter to %s with body %q, want %s and the original body", *in.QueueUrl, *in.MessageBody, dlqURL)
			}
			if got := *in.MessageAttributes[event.AttrErrorCode].StringValue; got != tt.wantCode {
				t.Errorf("error.code = %q, want %q", got, tt.wantCode)
			}
			if got := *in.MessageAttributes[event.AttrErrorFunction].StringValue; got != event.FunctionLauncher {
				t.Errorf("error.function = %q", got)
			}
			if *in.MessageAttributes[event.AttrErrorMessage].StringValue == "" {
				t.Errorf("error.message empty")
			}
			if got := in.MessageAttributes[event.AttrCorrelationID].StringValue; got == nil || *got != attr(t, msg.MessageAttributes, event.AttrCorrelationID) {
				t.Errorf("correlationid attribute not kept")
			}
		})
	}
}

func TestHandleMalformedFixture(t *testing.T) {
	ev := consumertest.LoadEvent(t, "../../events/malformed-record.json")
	q := &consumertest.Queue{}
	var handled []string
	r := newRunner(t, q, func(_ context.Context, rec consumer.Record) error {
		handled = append(handled, rec.Event.Subject)
		return nil
	})
	resp, err := r.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v, err %v: want every record acknowledged", resp, err)
	}
	if len(handled) != 1 || handled[0] != "3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c" {
		t.Errorf("handled %v, want the one good request", handled)
	}
	sent := q.SentMessages()
	if len(sent) != 1 || *sent[0].MessageBody != ev.Records[1].Body {
		t.Fatalf("want the undecodable record dead-lettered, got %d sends", len(sent))
	}
	if got := *sent[0].MessageAttributes[event.AttrErrorCode].StringValue; got != consumer.CodeMalformed {
		t.Errorf("error.code = %q", got)
	}
	if got := *sent[0].MessageAttributes[event.AttrType].StringValue; got != event.TypeLaunchRequested {
		t.Errorf("type attribute = %q, want the original kept", got)
	}
}

func TestHandleDeadLetterSendFailureIsBatchFailure(t *testing.T) {
	tests := []struct {
		name string
		q    *consumertest.Queue
		dlq  string
	}{
		{name: "SendMessage fails", q: &consumertest.Queue{SendErr: errors.New("throttled")}, dlq: dlqURL},
		{name: "no DLQ configured", q: &consumertest.Queue{}, dlq: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := consumer.New(consumer.Options{Function: event.FunctionLauncher, Queue: tt.q, DLQURL: tt.dlq},
				func(context.Context, consumer.Record) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			bad := message(t, "bad", event.TypeLaunchRequested, event.TypeLaunchRequested)
			bad.Body = "{"
			good := message(t, "good", event.TypeLaunchRequested, event.TypeLaunchRequested)
			resp, _ := r.Handle(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{bad, good}})
			if got := failedIDs(resp); !slices.Equal(got, []string{"bad"}) {
				t.Errorf("failures = %v, want [bad]: a record is never dropped", got)
			}
		})
	}
}

func TestHandlePanicIsolation(t *testing.T) {
	q := &consumertest.Queue{}
	var handled []string
	r := newRunner(t, q, func(_ context.Context, rec consumer.Record) error {
		if rec.Message.MessageId == "m2" {
			var none []string
			_ = none[len(rec.Message.MessageId)] // index out of range: a real runtime panic
		}
		handled = append(handled, rec.Message.MessageId)
		return nil
	})
	ev := lambdaevents.SQSEvent{}
	for _, id := range []string{"m1", "m2", "m3"} {
		ev.Records = append(ev.Records, message(t, id, event.TypeLaunchRequested, event.TypeLaunchRequested))
	}
	resp, err := r.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := failedIDs(resp); !slices.Equal(got, []string{"m2"}) {
		t.Errorf("failures = %v, want [m2]", got)
	}
	if !slices.Equal(handled, []string{"m1", "m3"}) {
		t.Errorf("handled = %v, want [m1 m3]", handled)
	}
}

func TestHandleCancelledContextSkipsWork(t *testing.T) {
	q := &consumertest.Queue{}
	var calls atomic.Int32
	r := newRunner(t, q, func(context.Context, consumer.Record) error { calls.Add(1); return nil })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ev := lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{
		message(t, "m1", event.TypeLaunchRequested, event.TypeLaunchRequested),
		message(t, "m2", event.TypeLaunchRequested, event.TypeLaunchRequested),
	}}
	resp, _ := r.Handle(ctx, ev)
	if got := failedIDs(resp); !slices.Equal(got, []string{"m1", "m2"}) {
		t.Errorf("failures = %v, want both records returned to the queue", got)
	}
	if calls.Load() != 0 {
		t.Errorf("handler ran %d times after the deadline", calls.Load())
	}
}

func TestHandleParallelismBounded(t *testing.T) {
	const limit = 3
	var inFlight, peak atomic.Int32
	q := &consumertest.Queue{}
	r, err := consumer.New(consumer.Options{Function: event.FunctionLauncher, Queue: q, DLQURL: dlqURL, Parallelism: limit},
		func(_ context.Context, rec consumer.Record) error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(10 * time.Millisecond)
			if rec.Message.MessageId == "m4" {
				return errors.New("fail m4")
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	ev := lambdaevents.SQSEvent{}
	for i := range 10 {
		ev.Records = append(ev.Records, message(t, fmt.Sprintf("m%d", i), event.TypeLaunchRequested, event.TypeLaunchRequested))
	}
	resp, _ := r.Handle(context.Background(), ev)
	if got := failedIDs(resp); !slices.Equal(got, []string{"m4"}) {
		t.Errorf("failures = %v, want [m4]", got)
	}
	if p := peak.Load(); p > limit || p < 2 {
		t.Errorf("peak parallelism = %d, want 2..%d", p, limit)
	}
}

func TestRecordAccessorsAndLogger(t *testing.T) {
	q := &consumertest.Queue{}
	var got consumer.Record
	r := newRunner(t, q, func(_ context.Context, rec consumer.Record) error { got = rec; return nil })
	msg := message(t, "m1", event.TypeLaunchRequested, event.TypeLaunchRequested)
	msg.Attributes = map[string]string{"ApproximateReceiveCount": "4", "ApproximateFirstReceiveTimestamp": "1768471200000"}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	if _, err := r.Handle(ctx, lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{msg}}); err != nil {
		t.Fatal(err)
	}
	if got.ReceiveCount() != 4 {
		t.Errorf("ReceiveCount = %d, want 4", got.ReceiveCount())
	}
	if want := time.UnixMilli(1768471200000); !got.FirstReceived().Equal(want) {
		t.Errorf("FirstReceived = %v, want %v", got.FirstReceived(), want)
	}
	if got.Logger == nil {
		t.Errorf("record has no logger")
	}
	empty := consumer.Record{}
	if empty.ReceiveCount() != 1 || !empty.FirstReceived().IsZero() {
		t.Errorf("defaults: ReceiveCount %d FirstReceived %v", empty.ReceiveCount(), empty.FirstReceived())
	}
}

func TestRunnerNow(t *testing.T) {
	fixed := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		clock func() time.Time
		check func(time.Time) bool
	}{
		{name: "clock given", clock: func() time.Time { return fixed }, check: fixed.Equal},
		{name: "nil clock is time.Now", check: func(got time.Time) bool { return time.Since(got).Abs() < time.Minute }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := consumer.New(consumer.Options{Function: event.FunctionLauncher, Clock: tt.clock},
				func(context.Context, consumer.Record) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Now(); !tt.check(got) {
				t.Errorf("Now() = %v", got)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name     string
		function string
		h        consumer.HandlerFunc
	}{
		{name: "nil handler", function: event.FunctionLauncher},
		{name: "function consuming nothing", function: event.FunctionAPI, h: func(context.Context, consumer.Record) error { return nil }},
		{name: "unknown function", function: "mystery", h: func(context.Context, consumer.Record) error { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := consumer.New(consumer.Options{Function: tt.function}, tt.h); err == nil {
				t.Errorf("New accepted %s", tt.name)
			}
		})
	}
}

// BenchmarkHandleBatch measures the runner's own cost for a full batch of
// 10 records with a handler that does nothing.
func BenchmarkHandleBatch(b *testing.B) {
	for _, p := range []int{1, 4} {
		b.Run(fmt.Sprintf("parallelism=%d", p), func(b *testing.B) {
			r, err := consumer.New(consumer.Options{Function: event.FunctionLauncher, Queue: &consumertest.Queue{}, DLQURL: dlqURL, Parallelism: p},
				func(context.Context, consumer.Record) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			ev := lambdaevents.SQSEvent{}
			for i := range 10 {
				ev.Records = append(ev.Records, message(b, fmt.Sprintf("m%d", i), event.TypeLaunchRequested, event.TypeLaunchRequested))
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				resp, _ := r.Handle(ctx, ev)
				if len(resp.BatchItemFailures) != 0 {
					b.Fatal("unexpected failures")
				}
			}
		})
	}
}

// TestHandleAnswersBeforeTheDeadline runs a batch whose first record takes
// all the time it is given: the runner must answer before the invocation's
// deadline (else Lambda drops the partial batch response) and report the
// records it had no time to start.
func TestHandleAnswersBeforeTheDeadline(t *testing.T) {
	var started atomic.Int32
	r := newRunner(t, &consumertest.Queue{}, func(ctx context.Context, rec consumer.Record) error {
		started.Add(1)
		<-ctx.Done() // a slow call that runs into the deadline
		return ctx.Err()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	ev := lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{
		message(t, "m1", event.TypeLaunchRequested, event.TypeLaunchRequested),
		message(t, "m2", event.TypeLaunchRequested, event.TypeLaunchRequested),
		message(t, "m3", event.TypeLaunchRequested, event.TypeLaunchRequested),
	}}
	resp, err := r.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(deadline); ctx.Err() != nil || left < 20*time.Millisecond {
		t.Errorf("Handle returned %v before the invocation's deadline, want about 50 ms (a tenth) kept back", left)
	}
	if n := started.Load(); n != 1 {
		t.Errorf("handler started %d times, want 1 (no record started after the processing deadline)", n)
	}
	if got := failedIDs(resp); !slices.Equal(got, []string{"m1", "m2", "m3"}) {
		t.Errorf("batch item failures %v, want all three records", got)
	}
}

// TestHandleReserve checks how much time records leave before the
// invocation's deadline: a tenth of it, at most Reserve.
func TestHandleReserve(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration // nil context deadline when 0
		want    time.Duration
	}{
		{name: "short invocation keeps a tenth", timeout: time.Second, want: 100 * time.Millisecond},
		{name: "long invocation keeps Reserve", timeout: 60 * time.Second, want: consumer.Reserve},
		{name: "no deadline keeps nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got time.Time
			var ok bool
			r := newRunner(t, &consumertest.Queue{}, func(ctx context.Context, rec consumer.Record) error {
				got, ok = ctx.Deadline()
				return nil
			})
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			if _, err := r.Handle(ctx, lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{message(t, "m1", event.TypeLaunchRequested, "")}}); err != nil {
				t.Fatal(err)
			}
			deadline, has := ctx.Deadline()
			if ok != has {
				t.Fatalf("handler has a deadline %v, invocation %v", ok, has)
			}
			if !has {
				return
			}
			if kept := deadline.Sub(got); kept < tt.want-20*time.Millisecond || kept > tt.want+20*time.Millisecond {
				t.Errorf("records end %v before the deadline, want %v", kept, tt.want)
			}
		})
	}
}
