package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/internal/motoserver"

	"github.com/eventchain/eventchain/internal/awsenv"
)

// The poller is tested against moto's SQS, an implementation we did not
// write, so that its receive/delete behaviour does not lean on our
// emulator's quirks.
var motoEndpoint string

func TestMain(m *testing.M) {
	moto, err := motoserver.Launch()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	motoEndpoint = moto.Endpoint
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

func sqsClient(t *testing.T) *sqs.Client {
	t.Helper()
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(motoEndpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   awsenv.HTTPClient(),
	})
}

func newQueue(t *testing.T, c *sqs.Client, visibility int) (url, arn string) {
	t.Helper()
	name := fmt.Sprintf("poller-%d", time.Now().UnixNano())
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{
		QueueName:  aws.String(name),
		Attributes: map[string]string{"VisibilityTimeout": fmt.Sprint(visibility)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl), "arn:aws:sqs:us-east-1:123456789012:" + name
}

func send(t *testing.T, c *sqs.Client, url string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
}

// depth reads a queue's visible and in-flight message counts.
func depth(t *testing.T, c *sqs.Client, url string) (visible, inflight int) {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatal(err)
	}
	visible, err = strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	if err != nil {
		t.Fatalf("ApproximateNumberOfMessages: %v", err)
	}
	inflight, err = strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	if err != nil {
		t.Fatalf("ApproximateNumberOfMessagesNotVisible: %v", err)
	}
	return visible, inflight
}

func runPoller(t *testing.T, c *sqs.Client, src EventSource, reserved int, h SQSHandler) <-chan BatchOutcome {
	t.Helper()
	return runPollerTimeout(t, c, src, reserved, 2*time.Second, h)
}

func runPollerTimeout(t *testing.T, c *sqs.Client, src EventSource, reserved int, timeout time.Duration, h SQSHandler) <-chan BatchOutcome {
	t.Helper()
	outcomes := make(chan BatchOutcome, 100)
	p := &Poller{
		fn:       newFunction(FunctionConfig{Name: "consumer", Timeout: timeout, ReservedConcurrency: reservedPtr(reserved)}, 10),
		src:      src,
		client:   c,
		handler:  h,
		logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		observe:  func(o BatchOutcome) { outcomes <- o },
		pollWait: 1,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return outcomes
}

func next(t *testing.T, ch <-chan BatchOutcome) BatchOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("no batch within 10s")
		return BatchOutcome{}
	}
}

func TestPollerDeletesSuccessesAndKeepsReportedFailures(t *testing.T) {
	c := sqsClient(t)
	url, arn := newQueue(t, c, 1)
	send(t, c, url, "ok-1", "fail", "ok-2")
	src := EventSource{QueueURL: url, QueueARN: arn, Region: "us-east-1", BatchSize: 10, BatchingWindow: 500 * time.Millisecond, MaximumConcurrency: 2, ReportBatchItemFailures: true}

	seen := map[string]int{}
	var mu sync.Mutex
	outcomes := runPoller(t, c, src, 2, func(_ context.Context, ev lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
		var resp lambdaevents.SQSEventResponse
		mu.Lock()
		defer mu.Unlock()
		for _, r := range ev.Records {
			seen[r.Body]++
			if r.EventSourceARN != arn || r.EventSource != "aws:sqs" || r.Attributes["ApproximateReceiveCount"] == "" || r.ReceiptHandle == "" {
				return resp, fmt.Errorf("record not shaped as Lambda's: %+v", r)
			}
			if r.Body == "fail" && seen["fail"] == 1 {
				resp.BatchItemFailures = append(resp.BatchItemFailures, lambdaevents.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return resp, nil
	})

	deadline := time.Now().Add(15 * time.Second)
	for {
		o := next(t, outcomes)
		if o.Err != nil {
			t.Fatalf("batch error: %v", o.Err)
		}
		mu.Lock()
		done := seen["fail"] == 2
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the reported failure was never redelivered")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["ok-1"] != 1 || seen["ok-2"] != 1 || seen["fail"] != 2 {
		t.Errorf("deliveries %v: successes once, the reported failure twice", seen)
	}
}

func TestPollerFailsWholeBatchOnUnknownItemIdentifier(t *testing.T) {
	for _, tc := range []struct{ name, id string }{
		{"empty identifier", ""},
		{"identifier of no message in the batch", "not-a-message-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sqsClient(t)
			url, arn := newQueue(t, c, 30)
			send(t, c, url, "a", "b")
			src := EventSource{QueueURL: url, QueueARN: arn, BatchSize: 10, BatchingWindow: time.Second, ReportBatchItemFailures: true}
			outcomes := runPoller(t, c, src, 1, func(context.Context, lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
				return lambdaevents.SQSEventResponse{BatchItemFailures: []lambdaevents.SQSBatchItemFailure{{ItemIdentifier: tc.id}}}, nil
			})
			o := next(t, outcomes)
			if o.Err == nil || len(o.Failed) != len(o.Records) {
				t.Fatalf("outcome %+v: want the whole batch failed", o)
			}
			if _, inflight := depth(t, c, url); inflight != len(o.Records) {
				t.Errorf("in flight %d, want %d (nothing deleted)", inflight, len(o.Records))
			}
		})
	}
}

func TestPollerIgnoresItemFailuresWithoutReportBatchItemFailures(t *testing.T) {
	c := sqsClient(t)
	url, arn := newQueue(t, c, 30)
	send(t, c, url, "a")
	src := EventSource{QueueURL: url, QueueARN: arn, BatchSize: 1}
	outcomes := runPoller(t, c, src, 1, func(_ context.Context, ev lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
		return lambdaevents.SQSEventResponse{BatchItemFailures: []lambdaevents.SQSBatchItemFailure{{ItemIdentifier: ev.Records[0].MessageId}}}, nil
	})
	if o := next(t, outcomes); o.Err != nil || len(o.Failed) != 0 {
		t.Fatalf("outcome %+v: a function without ReportBatchItemFailures succeeds whole", o)
	}
	if visible, inflight := depth(t, c, url); visible != 0 || inflight != 0 {
		t.Errorf("queue holds %d visible, %d in flight: want the message deleted", visible, inflight)
	}
}

func TestPollerTimeoutFailsWholeBatch(t *testing.T) {
	c := sqsClient(t)
	url, arn := newQueue(t, c, 30)
	send(t, c, url, "a", "b")
	src := EventSource{QueueURL: url, QueueARN: arn, BatchSize: 10, BatchingWindow: time.Second, ReportBatchItemFailures: true}
	release := make(chan struct{})
	defer close(release)
	outcomes := runPollerTimeout(t, c, src, 1, 200*time.Millisecond, func(context.Context, lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
		<-release // overruns its deadline
		return lambdaevents.SQSEventResponse{}, nil
	})
	o := next(t, outcomes)
	if !errors.Is(o.Err, ErrTimeout) || len(o.Failed) != len(o.Records) {
		t.Fatalf("outcome %+v: want a timeout failing every record", o)
	}
	if _, inflight := depth(t, c, url); inflight != len(o.Records) {
		t.Errorf("in flight %d, want %d: a timed-out batch deletes nothing", inflight, len(o.Records))
	}
}

func TestPollerGathersBatchesLargerThanTenWithinTheWindow(t *testing.T) {
	c := sqsClient(t)
	url, arn := newQueue(t, c, 30)
	var bodies []string
	for i := range 15 {
		bodies = append(bodies, fmt.Sprint("m", i))
	}
	send(t, c, url, bodies...)
	src := EventSource{QueueURL: url, QueueARN: arn, BatchSize: 15, BatchingWindow: 2 * time.Second}
	outcomes := runPoller(t, c, src, 1, func(context.Context, lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
		return lambdaevents.SQSEventResponse{}, nil
	})
	if o := next(t, outcomes); len(o.Records) != 15 {
		t.Errorf("first batch has %d records, want all 15 (SQS returns at most 10 a receive)", len(o.Records))
	}
}

// An invocation abandoned at its deadline keeps counting against the event
// source's MaximumConcurrency until it returns, even when the function's
// reserved concurrency would allow more.
func TestPollerNeverExceedsMaximumConcurrency(t *testing.T) {
	c := sqsClient(t)
	url, arn := newQueue(t, c, 1)
	send(t, c, url, "a", "b", "c", "d", "e", "f")
	src := EventSource{QueueURL: url, QueueARN: arn, BatchSize: 1, MaximumConcurrency: 2, ReportBatchItemFailures: true}
	var mu sync.Mutex
	running, peak, calls := 0, 0, 0
	outcomes := runPollerTimeout(t, c, src, 10, 100*time.Millisecond, func(context.Context, lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
		mu.Lock()
		running++
		calls++
		peak = max(peak, running)
		mu.Unlock()
		time.Sleep(400 * time.Millisecond) // far past the deadline
		mu.Lock()
		running--
		mu.Unlock()
		return lambdaevents.SQSEventResponse{}, nil
	})
	for range 4 {
		next(t, outcomes)
	}
	mu.Lock()
	defer mu.Unlock()
	if peak > 2 {
		t.Errorf("%d invocations ran at once, want at most MaximumConcurrency = 2", peak)
	}
	if calls < 4 {
		t.Errorf("only %d invocations ran", calls)
	}
}

func TestPollerDeletesNothingOnFunctionError(t *testing.T) {
	c := sqsClient(t)
	url, arn := newQueue(t, c, 30)
	send(t, c, url, "a")
	src := EventSource{QueueURL: url, QueueARN: arn, BatchSize: 1, ReportBatchItemFailures: true}
	outcomes := runPoller(t, c, src, 1, func(context.Context, lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
		panic("handler bug")
	})
	o := next(t, outcomes)
	if _, ok := o.Err.(*PanicError); !ok {
		t.Fatalf("err %v, want the panic reported as a function error", o.Err)
	}
	if _, inflight := depth(t, c, url); inflight != 1 {
		t.Errorf("in flight %d, want 1: a failed invocation deletes nothing", inflight)
	}
}
