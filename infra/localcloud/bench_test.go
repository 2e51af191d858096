package localcloud_test

// BenchmarkWorkloads runs the same three workloads against localcloud (in
// memory and with a data directory) and against moto_server in one run,
// from 4 concurrent SDK clients, and reports messages per second:
//
//	go test -run '^$' -bench BenchmarkWorkloads -benchtime 2000x ./infra/localcloud/
//
// moto is slow (about 130 sends/s), so its sub-benchmarks do at most
// -moto-ops operations whatever b.N is, and report ns/op and msgs/s from
// the operations they did. After the run a table of the results with the
// ratio to moto is logged.
//
// PublishFanout has one subscription per topic; PublishBatchFanout3
// publishes batches of 10 to three subscribed queues, the case where the
// deliveries of one call share log syncs.

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/internal/motoserver"
)

var motoOps = flag.Int("moto-ops", 100, "most operations a moto_server sub-benchmark of BenchmarkWorkloads does")

// benchClients is how many concurrent clients each workload runs.
const benchClients = 4

// benchTarget is one server the workloads run against.
type benchTarget struct {
	name     string
	endpoint string
	moto     bool
}

// benchWorkload is one workload: setup creates its resources (untimed)
// for n operations, run does operation i with one client's handles.
type benchWorkload struct {
	name  string
	setup func(b *testing.B, env *benchEnv, n int)
	// op does one operation and returns how many messages it handled.
	op func(ctx context.Context, env *benchEnv, c *benchClient) (int, error)
	// check verifies, untimed, that the messages really went where the
	// workload says they did.
	check func(b *testing.B, env *benchEnv, n int)
}

// benchEnv is the state of one sub-benchmark run.
type benchEnv struct {
	target   benchTarget
	queueURL string
	// queueURLs are the queues of a workload with several.
	queueURLs []string
	topicARN  string
	handled   atomic.Int64
}

// benchClient is one of the concurrent clients.
type benchClient struct {
	sqs *sqs.Client
	sns *sns.Client
}

var benchRun atomic.Int64

func BenchmarkWorkloads(b *testing.B) {
	compareTargets(b, benchWorkloads(), func(w benchWorkload) string { return w.name }, runWorkload)
}

// compareTargets runs each workload on localcloud in memory, localcloud
// with a data directory and moto_server, and logs the table of their
// rates side by side.
func compareTargets[W any](b *testing.B, workloads []W, name func(W) string, run func(*testing.B, W, benchTarget) float64) {
	memory := startBenchLocal(b, "")
	disk := startBenchLocal(b, b.TempDir())
	moto := motoserver.Start(b)
	targets := []benchTarget{
		{name: "localcloud-memory", endpoint: memory},
		{name: "localcloud-disk", endpoint: disk},
		{name: "moto", endpoint: moto, moto: true},
	}
	results := map[string]map[string]float64{} // workload → target → rate
	var mu sync.Mutex
	for _, w := range workloads {
		b.Run(name(w), func(b *testing.B) {
			for _, tg := range targets {
				b.Run(tg.name, func(b *testing.B) {
					rate := run(b, w, tg)
					mu.Lock()
					if results[name(w)] == nil {
						results[name(w)] = map[string]float64{}
					}
					results[name(w)][tg.name] = rate // the last (largest b.N) run wins
					mu.Unlock()
				})
			}
		})
	}
	b.Log("\n" + benchTable(results))
}

// runWorkload runs n operations from benchClients goroutines and returns
// the messages per second it reported.
func runWorkload(b *testing.B, w benchWorkload, tg benchTarget) float64 {
	n := b.N
	if tg.moto {
		n = min(n, *motoOps)
		if err := motoserver.Reset(tg.endpoint); err != nil {
			b.Fatalf("reset moto: %v", err)
		}
	}
	env := &benchEnv{target: tg}
	w.setup(b, env, n)
	clients := make([]*benchClient, benchClients)
	for i := range clients {
		be := backend{Endpoint: tg.endpoint}
		clients[i] = &benchClient{sqs: be.SQS(), sns: be.SNS()}
	}
	ctx := context.Background()
	elapsed := driveClients(b, clients, n, func(c *benchClient, _ int64) error {
		k, err := w.op(ctx, env, c)
		if err == nil {
			env.handled.Add(int64(k))
		}
		return err
	}, w.name+" on "+tg.name)
	if w.check != nil {
		w.check(b, env, n)
	}
	rate := float64(env.handled.Load()) / elapsed.Seconds()
	b.ReportMetric(rate, "msgs/s")
	if n != b.N {
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/op")
	}
	return rate
}

// driveClients runs op n times in all (i from 1 to n), spread over the
// clients, each client in a goroutine of its own taking the next
// operation as it is free, and returns how long they took; the timer runs
// only meanwhile. An error stops that client and fails the benchmark,
// naming what.
func driveClients[C any](b *testing.B, clients []C, n int, op func(c C, i int64) error, what string) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(clients))
	b.ResetTimer()
	start := time.Now()
	for _, c := range clients {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				if err := op(c, i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatalf("%s: %v", what, err)
	}
	return elapsed
}

func benchWorkloads() []benchWorkload {
	body := `{"specversion":"1.0","type":"launch.requested","id":"01J00000000000000000000000","data":{"instanceType":"t3.micro"}}`
	attrs := map[string]sqstypes.MessageAttributeValue{
		"type":          {DataType: aws.String("String"), StringValue: aws.String("launch.requested")},
		"correlationid": {DataType: aws.String("String"), StringValue: aws.String("c-0001")},
	}
	snsAttrs := map[string]snstypes.MessageAttributeValue{
		"type":          {DataType: aws.String("String"), StringValue: aws.String("launch.requested")},
		"correlationid": {DataType: aws.String("String"), StringValue: aws.String("c-0001")},
	}
	return []benchWorkload{
		{
			name:  "SendMessage",
			setup: func(b *testing.B, env *benchEnv, n int) { env.queueURL = benchQueue(b, env, "send") },
			op: func(ctx context.Context, env *benchEnv, c *benchClient) (int, error) {
				_, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &env.queueURL, MessageBody: aws.String(body), MessageAttributes: attrs})
				return 1, err
			},
			check: func(b *testing.B, env *benchEnv, n int) { benchExpectDepth(b, env, n) },
		},
		{
			// One operation is a ReceiveMessage of up to 10 and a
			// DeleteMessageBatch of what it got; the queue holds 10 per
			// operation, so every operation finds a full batch.
			name: "ReceiveDeleteBatch",
			setup: func(b *testing.B, env *benchEnv, n int) {
				env.queueURL = benchQueue(b, env, "receive")
				benchFill(b, env, n*10, body)
			},
			op: func(ctx context.Context, env *benchEnv, c *benchClient) (int, error) {
				out, err := c.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &env.queueURL, MaxNumberOfMessages: 10,
					VisibilityTimeout: 300, MessageAttributeNames: []string{"All"}})
				if err != nil || len(out.Messages) == 0 {
					return 0, err
				}
				entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(out.Messages))
				for i, m := range out.Messages {
					entries[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
				}
				del, err := c.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &env.queueURL, Entries: entries})
				if err != nil {
					return 0, err
				}
				if len(del.Failed) > 0 {
					return 0, fmt.Errorf("DeleteMessageBatch failed entries: %+v", del.Failed)
				}
				return len(out.Messages), nil
			},
			check: func(b *testing.B, env *benchEnv, n int) {
				if got := env.handled.Load(); got < int64(n) {
					b.Errorf("handled %d messages in %d operations, want at least one per operation", got, n)
				}
			},
		},
		{
			// One operation is a Publish to a topic with a raw
			// subscription to a queue: it answers once the queue has it.
			name: "PublishFanout",
			setup: func(b *testing.B, env *benchEnv, n int) {
				env.queueURL = benchQueue(b, env, "fanout")
				env.topicARN = benchTopic(b, env, env.queueURL)
			},
			op: func(ctx context.Context, env *benchEnv, c *benchClient) (int, error) {
				_, err := c.sns.Publish(ctx, &sns.PublishInput{TopicArn: &env.topicARN, Message: aws.String(body), MessageAttributes: snsAttrs})
				return 1, err
			},
			check: func(b *testing.B, env *benchEnv, n int) { benchExpectDepth(b, env, n) },
		},
		{
			// One operation is a PublishBatch of 10 to a topic with raw
			// subscriptions to 3 queues: 30 deliveries, answered once
			// every queue has its 10.
			name: "PublishBatchFanout3",
			setup: func(b *testing.B, env *benchEnv, n int) {
				for range benchFanoutQueues {
					env.queueURLs = append(env.queueURLs, benchQueue(b, env, "batchfanout"))
				}
				env.topicARN = benchTopic(b, env, env.queueURLs...)
			},
			op: func(ctx context.Context, env *benchEnv, c *benchClient) (int, error) {
				entries := make([]snstypes.PublishBatchRequestEntry, 10)
				for i := range entries {
					entries[i] = snstypes.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), Message: aws.String(body), MessageAttributes: snsAttrs}
				}
				out, err := c.sns.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: &env.topicARN, PublishBatchRequestEntries: entries})
				if err != nil {
					return 0, err
				}
				if len(out.Failed) > 0 {
					return 0, fmt.Errorf("PublishBatch failed entries: %+v", out.Failed)
				}
				return len(entries) * benchFanoutQueues, nil
			},
			check: func(b *testing.B, env *benchEnv, n int) {
				for _, u := range env.queueURLs {
					benchExpectQueueDepth(b, env, u, n*10)
				}
			},
		},
	}
}

// benchFanoutQueues is how many queues PublishBatchFanout3 delivers to.
const benchFanoutQueues = 3

// benchQueue creates a fresh queue for one run.
func benchQueue(b *testing.B, env *benchEnv, kind string) string {
	b.Helper()
	be := backend{Endpoint: env.target.endpoint}
	name := fmt.Sprintf("bench-%s-%d", kind, benchRun.Add(1))
	out, err := be.SQS().CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: &name})
	if err != nil {
		b.Fatalf("CreateQueue on %s: %v", env.target.name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// benchTopic creates a topic with a raw subscription to each queue.
func benchTopic(b *testing.B, env *benchEnv, queueURLs ...string) string {
	b.Helper()
	be := backend{Endpoint: env.target.endpoint}
	ctx := context.Background()
	topic, err := be.SNS().CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(fmt.Sprintf("bench-topic-%d", benchRun.Add(1)))})
	if err != nil {
		b.Fatalf("CreateTopic on %s: %v", env.target.name, err)
	}
	for _, u := range queueURLs {
		arn, err := be.SQS().GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			b.Fatalf("GetQueueAttributes on %s: %v", env.target.name, err)
		}
		if _, err := be.SNS().Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
			Endpoint: aws.String(arn.Attributes["QueueArn"]), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
			b.Fatalf("Subscribe on %s: %v", env.target.name, err)
		}
	}
	return aws.ToString(topic.TopicArn)
}

// benchFill puts n messages in env's queue with SendMessageBatch, from
// several clients (untimed).
func benchFill(b *testing.B, env *benchEnv, n int, body string) {
	b.Helper()
	be := backend{Endpoint: env.target.endpoint}
	var wg sync.WaitGroup
	var next atomic.Int64
	errs := make(chan error, benchClients)
	for range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := be.SQS()
			for {
				first := int(next.Add(10)) - 10
				if first >= n {
					return
				}
				var entries []sqstypes.SendMessageBatchRequestEntry
				for i := first; i < min(first+10, n); i++ {
					entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(body)})
				}
				out, err := c.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: &env.queueURL, Entries: entries})
				if err == nil && len(out.Failed) > 0 {
					err = fmt.Errorf("SendMessageBatch failed entries: %+v", out.Failed)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("fill queue on %s: %v", env.target.name, err)
	}
}

// benchExpectDepth checks that env's queue holds n messages.
func benchExpectDepth(b *testing.B, env *benchEnv, n int) {
	b.Helper()
	benchExpectQueueDepth(b, env, env.queueURL, n)
}

// benchExpectQueueDepth checks that the queue at queueURL holds n messages.
func benchExpectQueueDepth(b *testing.B, env *benchEnv, queueURL string, n int) {
	b.Helper()
	be := backend{Endpoint: env.target.endpoint}
	out, err := be.SQS().GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &queueURL,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		b.Fatalf("GetQueueAttributes on %s: %v", env.target.name, err)
	}
	if got := out.Attributes["ApproximateNumberOfMessages"]; got != strconv.Itoa(n) {
		b.Errorf("%s: queue holds %s messages after %d operations", env.target.name, got, n)
	}
}

// startBenchLocal serves a localcloud for the whole benchmark run.
func startBenchLocal(b *testing.B, dataDir string) string {
	b.Helper()
	cloud, srv, l, err := localcloud.Listen("127.0.0.1:0", localcloud.Options{DataDir: dataDir})
	if err != nil {
		b.Fatalf("start localcloud: %v", err)
	}
	b.Cleanup(func() {
		srv.Close()
		if err := cloud.Close(); err != nil {
			b.Errorf("close localcloud: %v", err)
		}
	})
	return "http://" + l.Addr().String()
}

// benchTable renders msgs/s per workload and target with each localcloud
// target's ratio to moto.
func benchTable(results map[string]map[string]float64) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-20s %12s %12s %10s %12s %12s\n", "workload", "memory/s", "disk/s", "moto/s", "memory×moto", "disk×moto")
	names := make([]string, 0, len(results))
	for n := range results {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r := results[n]
		ratio := func(v float64) string {
			if r["moto"] == 0 {
				return "-"
			}
			return fmt.Sprintf("%.1f×", v/r["moto"])
		}
		fmt.Fprintf(&sb, "%-20s %12.0f %12.0f %10.0f %12s %12s\n", n, r["localcloud-memory"], r["localcloud-disk"], r["moto"],
			ratio(r["localcloud-memory"]), ratio(r["localcloud-disk"]))
	}
	return sb.String()
}
