package local

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/internal/motoserver"
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

func depth(t *testing.T, c *sqs.Client, url string) (visible, inflight string) {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"]
}

func runPoller(t *testing.T, c *sqs.Client, src EventSource, reserved int, h SQSHandler) <-chan BatchOutcome {
	t.Helper()
	outcomes := make(chan BatchOutcome, 100)
	p := &Poller{
		fn:       newFunction(FunctionConfig{Name: "consumer", Timeout: 2 * time.Second, ReservedConcurrency: reserved}, 10),
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
	outcomes := runPoller(t, c, src, 2, func(_ context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		mu.Lock()
		defer mu.Unlock()
		for _, r := range ev.Records {
			seen[r.Body]++
			if r.EventSourceARN != arn || r.EventSource != "aws:sqs" || r.Attributes["ApproximateReceiveCount"] == "" || r.ReceiptHandle == "" {
				return resp, fmt.Errorf("record not shaped as Lambda's: %+v", r)
			}
			if r.Body == "fail" && seen["fail"] == 1 {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
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
	c := sqsClient(t)
	url, arn := newQueue(t, c, 30)
	send(t, c, url, "a", "b")
	src := EventSource{QueueURL: url, QueueARN: arn, BatchSize: 10, BatchingWindow: 500 * time.Millisecond, ReportBatchItemFailures: true}
	outcomes := runPoller(t, c, src, 1, func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
		return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: ""}}}, nil
	})
	o := next(t, outcomes)
	if o.Err == nil || len(o.Failed) != len(o.Records) {
		t.Fatalf("outcome %+v: want the whole batch failed", o)
	}
	if _, inflight := depth(t, c, url); inflight != fmt.Sprint(len(o.Records)) {
		t.Errorf("in flight %s, want %d (nothing deleted)", inflight, len(o.Records))
	}
}

func TestPollerDeletesNothingOnFunctionError(t *testing.T) {
	c := sqsClient(t)
	url, arn := newQueue(t, c, 30)
	send(t, c, url, "a")
	src := EventSource{QueueURL: url, QueueARN: arn, BatchSize: 1, ReportBatchItemFailures: true}
	outcomes := runPoller(t, c, src, 1, func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
		panic("handler bug")
	})
	o := next(t, outcomes)
	if _, ok := o.Err.(*PanicError); !ok {
		t.Fatalf("err %v, want the panic reported as a function error", o.Err)
	}
	if _, inflight := depth(t, c, url); inflight != "1" {
		t.Errorf("in flight %s, want 1: a failed invocation deletes nothing", inflight)
	}
}
