package localcloud_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/clientfix"
)

// sqsRoundTrip has 4 workers send 400 messages, then receive and delete
// them, through an SQS client on httpClient, with every CPU kept busy. It
// returns how many answers went wrong: calls that failed, messages left in
// the queue (a receive whose answer was lost leaves them in flight), and
// messages sent twice (a send whose answer was lost is retried).
func sqsRoundTrip(tb testing.TB, endpoint string, httpClient aws.HTTPClient) (lost int) {
	b := backend{Name: "localcloud", Endpoint: endpoint}
	cfg := b.AWSConfig()
	cfg.HTTPClient = httpClient
	client := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
	ctx := context.Background()
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("race-%d", time.Now().UnixNano()))})
	if err != nil {
		tb.Fatal(err)
	}
	stop := spinCPUs()
	defer stop()
	var failed, deleted atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(strconv.Itoa(w*100 + i))}); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	for range 4 {
		wg.Go(func() {
			for empty := 0; empty < 3; {
				out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60})
				if err != nil {
					failed.Add(1)
					continue
				}
				if len(out.Messages) == 0 {
					empty++
					continue
				}
				entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(out.Messages))
				for i, m := range out.Messages {
					entries[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
				}
				res, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries})
				if err != nil {
					failed.Add(1)
					continue
				}
				deleted.Add(int64(len(res.Successful)))
			}
		})
	}
	wg.Wait()
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		tb.Fatal(err)
	}
	left := 0
	for _, v := range attrs.Attributes {
		n, _ := strconv.Atoi(v)
		left += n
	}
	extra := max(0, int(deleted.Load())-400)
	return int(failed.Load()) + left + extra
}

// spinCPUs keeps every CPU busy until stop is called, as a loaded machine
// is, where the race shows most.
func spinCPUs() (stop func()) {
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

func listenCloud(tb testing.TB) string {
	cloud, srv, l, err := localcloud.Listen("127.0.0.1:0", localcloud.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close(); cloud.Close() })
	return "http://" + l.Addr().String()
}

// TestClientFixLosesNoAnswer runs the workload that loses answers with the
// SDK's default HTTP client through clientfix's: nothing may go wrong.
func TestClientFixLosesNoAnswer(t *testing.T) {
	endpoint := listenCloud(t)
	for round := range 3 {
		if lost := sqsRoundTrip(t, endpoint, clientfix.HTTPClient()); lost != 0 {
			t.Fatalf("round %d: %d answers lost or doubled with clientfix", round, lost)
		}
	}
}

// BenchmarkUnmodifiedSDKClient measures what the race costs an unmodified
// client, beside the fixed one, on the same workload: lost-answers/op is
// the number of calls failed, messages stranded and messages doubled per
// run of 400 messages.
func BenchmarkUnmodifiedSDKClient(b *testing.B) {
	endpoint := listenCloud(b)
	for _, tc := range []struct {
		name   string
		client func() aws.HTTPClient
	}{
		{"default", func() aws.HTTPClient { return awshttp.NewBuildableClient() }},
		{"clientfix", clientfix.HTTPClient},
	} {
		b.Run(tc.name, func(b *testing.B) {
			lost := 0
			for range b.N {
				lost += sqsRoundTrip(b, endpoint, tc.client())
			}
			b.ReportMetric(float64(lost)/float64(b.N), "lost-answers/op")
		})
	}
}
