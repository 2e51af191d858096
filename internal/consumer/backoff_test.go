package consumer_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/consumer/consumertest"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
)

// TestDefaultBackoffSchedule pins the one retry schedule: 2 s doubling,
// capped at 60 s, ±20 % jitter, keyed on the receive count.
func TestDefaultBackoffSchedule(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name              string
		receive           int
		nominal           time.Duration
		shortest, longest time.Duration
	}{
		{"first receive", 1, 2 * s, 1600 * time.Millisecond, 2400 * time.Millisecond},
		{"second receive doubles", 2, 4 * s, 3200 * time.Millisecond, 4800 * time.Millisecond},
		{"third receive", 3, 8 * s, 6400 * time.Millisecond, 9600 * time.Millisecond},
		{"fourth receive", 4, 16 * s, 12800 * time.Millisecond, 19200 * time.Millisecond},
		{"fifth receive", 5, 32 * s, 25600 * time.Millisecond, 38400 * time.Millisecond},
		{"sixth receive capped", 6, 60 * s, 48 * s, 72 * s},
		{"late receive stays capped", 30, 60 * s, 48 * s, 72 * s},
		{"huge receive count stays capped", 1 << 30, 60 * s, 48 * s, 72 * s},
		{"zero taken as the first receive", 0, 2 * s, 1600 * time.Millisecond, 2400 * time.Millisecond},
	}
	b := consumer.DefaultBackoff
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Nominal(tt.receive); got != tt.nominal {
				t.Errorf("Nominal(%d) = %v, want %v", tt.receive, got, tt.nominal)
			}
			shortest, longest := b.Bounds(tt.receive)
			if shortest != tt.shortest || longest != tt.longest {
				t.Errorf("Bounds(%d) = %v..%v, want %v..%v", tt.receive, shortest, longest, tt.shortest, tt.longest)
			}
			// The draws stay within the bounds and spread on both sides
			// of the nominal delay: the jitter is applied, not only
			// allowed.
			var below, above bool
			for range 2000 {
				d := b.Delay(tt.receive)
				if d < tt.shortest || d > tt.longest {
					t.Fatalf("Delay(%d) = %v, outside %v..%v", tt.receive, d, tt.shortest, tt.longest)
				}
				below = below || d < tt.nominal*9/10
				above = above || d > tt.nominal*11/10
			}
			if !below || !above {
				t.Errorf("2000 draws of Delay(%d): below 90 %% of nominal %v, above 110 %% %v; want both", tt.receive, below, above)
			}
		})
	}
}

// TestDefaultBackoffReceiveBudget checks the arithmetic of DefaultBackoff's
// comment: with every delay at its shortest (-20 %), receive 18 is the
// first that comes 10 minutes after the first receive.
func TestDefaultBackoffReceiveBudget(t *testing.T) {
	b := consumer.DefaultBackoff
	tests := []struct {
		receives int
		want     time.Duration
	}{
		{1, 0},
		{2, 1600 * time.Millisecond},
		{6, 49600 * time.Millisecond}, // 1.6 + 3.2 + 6.4 + 12.8 + 25.6
		{7, 97600 * time.Millisecond}, // + 48
		{17, 577600 * time.Millisecond},
		{18, 625600 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := b.MinElapsed(tt.receives); got != tt.want {
			t.Errorf("MinElapsed(%d) = %v, want %v", tt.receives, got, tt.want)
		}
	}
	if got := b.ReceivesFor(10 * time.Minute); got != 18 {
		t.Errorf("ReceivesFor(10m) = %d, want 18", got)
	}
	if got := b.ReceivesFor(b.MinElapsed(18)); got != 18 {
		t.Errorf("ReceivesFor(MinElapsed(18)) = %d, want 18", got)
	}
	if got := b.ReceivesFor(0); got != 1 {
		t.Errorf("ReceivesFor(0) = %d, want 1: the first receive is at once", got)
	}
	if got := (consumer.Backoff{}).ReceivesFor(time.Minute); got != 0 {
		t.Errorf("ReceivesFor on an invalid schedule = %d, want 0", got)
	}
}

func TestLoadBackoff(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    consumer.Backoff
		wantErr bool
	}{
		{name: "unset is the default", env: map[string]string{}, want: consumer.DefaultBackoff},
		{name: "empty is the default", env: map[string]string{consumer.BackoffBaseEnv: ""}, want: consumer.DefaultBackoff},
		{name: "shorter base keeps cap and jitter", env: map[string]string{consumer.BackoffBaseEnv: "0.25"},
			want: consumer.Backoff{Base: 250 * time.Millisecond, Max: consumer.DefaultBackoffMax, Jitter: consumer.DefaultBackoffJitter}},
		{name: "zero", env: map[string]string{consumer.BackoffBaseEnv: "0"}, wantErr: true},
		{name: "negative", env: map[string]string{consumer.BackoffBaseEnv: "-1"}, wantErr: true},
		{name: "not a number", env: map[string]string{consumer.BackoffBaseEnv: "soon"}, wantErr: true},
		{name: "above the cap", env: map[string]string{consumer.BackoffBaseEnv: "61"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := consumer.LoadBackoff(consumertest.Lookup(tt.env))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("LoadBackoff = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNewRefusesInvalidBackoff(t *testing.T) {
	for _, b := range []consumer.Backoff{
		{Base: -time.Second, Max: time.Minute},
		{Base: time.Minute, Max: time.Second},
		{Base: time.Second, Max: time.Minute, Jitter: 1},
		{Base: time.Second, Max: 13 * time.Hour},
	} {
		if _, err := consumer.New(consumer.Options{Function: event.FunctionLauncher, Backoff: b},
			func(context.Context, consumer.Record) error { return nil }); err == nil {
			t.Errorf("New accepted backoff %+v", b)
		}
	}
}

// TestTransientBacksOffByReceiveCount runs a transient error through the
// runner on successive receives: each sets the record's visibility within
// the schedule's bounds for its receive count, rounded up to whole
// seconds, and the request's hop shows that delay.
func TestTransientBacksOffByReceiveCount(t *testing.T) {
	tests := []struct {
		receive  int
		min, max int32
	}{
		{1, 2, 3},   // 1.6..2.4 s
		{2, 4, 5},   // 3.2..4.8 s
		{3, 7, 10},  // 6.4..9.6 s
		{5, 26, 39}, // 25.6..38.4 s
		{6, 48, 72},
		{18, 48, 72},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.receive), func(t *testing.T) {
			q, hops := &consumertest.Queue{}, &hopLog{}
			r, err := consumer.New(consumer.Options{
				Function: event.FunctionLauncher, Queue: q, QueueURL: queueURL, DLQURL: dlqURL, Hops: hops,
			}, func(context.Context, consumer.Record) error {
				return consumer.Transient(errors.New("no capacity"), 0)
			})
			if err != nil {
				t.Fatal(err)
			}
			msg := message(t, "m1", event.TypeLaunchRequested, event.TypeLaunchRequested)
			msg.Attributes["ApproximateReceiveCount"] = strconv.Itoa(tt.receive)
			resp, _ := r.Handle(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{msg}})
			if len(resp.BatchItemFailures) != 1 {
				t.Fatalf("failures %v, want the record retried", failedIDs(resp))
			}
			vis := q.VisibilityChanges()
			if len(vis) != 1 {
				t.Fatalf("%d visibility changes, want 1", len(vis))
			}
			got := vis[0].VisibilityTimeout
			if got < tt.min || got > tt.max {
				t.Errorf("receive %d: visibility %d s, want %d..%d s", tt.receive, got, tt.min, tt.max)
			}
			if len(hops.hops) != 1 || hops.hops[0].Outcome != status.OutcomeRetry || hops.hops[0].RetryIn != time.Duration(got)*time.Second {
				t.Errorf("hops %+v, want one retry back in %d s", hops.hops, got)
			}
		})
	}
}

// TestTransientOwnDelayIsKept: a handler's own wait is not replaced by the
// schedule.
func TestTransientOwnDelayIsKept(t *testing.T) {
	q := &consumertest.Queue{}
	r := newRunner(t, q, func(context.Context, consumer.Record) error {
		return consumer.TransientCode("InstancesPending", errors.New("0 of 1 running"), 20*time.Second)
	})
	msg := message(t, "m1", event.TypeLaunchRequested, event.TypeLaunchRequested)
	msg.Attributes["ApproximateReceiveCount"] = "9"
	if _, err := r.Handle(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{msg}}); err != nil {
		t.Fatal(err)
	}
	if vis := q.VisibilityChanges(); len(vis) != 1 || vis[0].VisibilityTimeout != 20 {
		t.Errorf("visibility changes %+v, want one to the handler's 20 s", vis)
	}
}

// TestTransientAfterDeadlineStillBacksOff: a failure that ends the
// record's context (a call cut short by the deadline) still sets the
// backoff, instead of leaving the record to the queue's whole timeout.
func TestTransientAfterDeadlineStillBacksOff(t *testing.T) {
	q := ctxQueue{&consumertest.Queue{}}
	r, err := consumer.New(consumer.Options{Function: event.FunctionLauncher, Queue: q, QueueURL: queueURL, DLQURL: dlqURL}, func(ctx context.Context, _ consumer.Record) error {
		<-ctx.Done()
		return consumer.Transient(ctx.Err(), 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	msg := message(t, "m1", event.TypeLaunchRequested, event.TypeLaunchRequested)
	if _, err := r.Handle(ctx, lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{msg}}); err != nil {
		t.Fatal(err)
	}
	if vis := q.VisibilityChanges(); len(vis) != 1 || vis[0].VisibilityTimeout < 2 || vis[0].VisibilityTimeout > 3 {
		t.Errorf("visibility changes %+v, want one within the first receive's 2..3 s", vis)
	}
}

// ctxQueue refuses calls under an ended context, as the SDK does.
type ctxQueue struct{ *consumertest.Queue }

func (q ctxQueue) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return q.Queue.ChangeMessageVisibility(ctx, in, opts...)
}
