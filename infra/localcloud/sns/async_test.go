package sns

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
)

// asyncQueues is a Queues that records when each message is
// handed over ("start") and when its commit is awaited ("commit");
// commits to queues in failCommit fail.
type asyncQueues struct {
	mu         sync.Mutex
	events     []string
	failCommit map[string]bool
}

func (f *asyncQueues) StartSend(queueARN, body string, _ map[string]awsmsg.Attribute, _, _ string) (func() error, error) {
	name := queueARN[strings.LastIndex(queueARN, ":")+1:]
	f.record("start " + name + " " + body)
	return func() error {
		f.record("commit " + name + " " + body)
		if f.failCommit[queueARN] {
			return errors.New("sync failed")
		}
		return nil
	}, nil
}

func (f *asyncQueues) record(e string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
}

func (f *asyncQueues) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

// TestDeliveriesShareCommits: a publish hands every delivery to its
// queue before it waits for any commit, so the deliveries of a Publish to
// several subscriptions, or of a whole PublishBatch, can share log syncs.
func TestDeliveriesShareCommits(t *testing.T) {
	tests := []struct {
		name    string
		queues  []string
		entries int // 0: one Publish
	}{
		{name: "publish to three subscriptions", queues: []string{queueA, queueB, dlq}},
		{name: "batch of three to one subscription", queues: []string{queueA}, entries: 3},
		{name: "batch of ten to two subscriptions", queues: []string{queueA, queueB}, entries: 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := &asyncQueues{}
			svc, c := harness(t, Options{Queues: q})
			topic := mustTopic(t, c, "t", nil)
			for _, arn := range tc.queues {
				mustSubscribe(t, c, topic, arn, map[string]string{"RawMessageDelivery": "true"})
			}
			messages := 1
			if tc.entries == 0 {
				if _, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m")}); err != nil {
					t.Fatalf("Publish: %v", err)
				}
			} else {
				messages = tc.entries
				var entries []snstypes.PublishBatchRequestEntry
				for i := range tc.entries {
					entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), Message: aws.String("m" + strconv.Itoa(i))})
				}
				out, err := c.PublishBatch(ctx(t), &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: entries})
				if err != nil || len(out.Failed) != 0 {
					t.Fatalf("PublishBatch: %v %+v", err, out)
				}
			}
			events := q.log()
			want := messages * len(tc.queues)
			if len(events) != 2*want {
				t.Fatalf("events %q, want %d starts and %d commits", events, want, want)
			}
			for i, e := range events {
				if kind := strings.Fields(e)[0]; (i < want) != (kind == "start") {
					t.Fatalf("event %d is %q; want every start before the first commit: %q", i, e, events)
				}
			}
			_, res := svc.Counters().Snapshot()
			var out int64
			for k, r := range res {
				if strings.HasPrefix(k, topic+":") {
					out += r.Out
				}
			}
			if out != int64(want) {
				t.Errorf("subscriptions counted %d deliveries, want %d", out, want)
			}
		})
	}
}

// TestFailedCommitGoesToDLQ: a delivery whose commit fails is a failed
// delivery, sent to the subscription's dead-letter queue like one the
// queue refused.
func TestFailedCommitGoesToDLQ(t *testing.T) {
	q := &asyncQueues{failCommit: map[string]bool{queueA: true}}
	svc, c := harness(t, Options{Queues: q})
	topic := mustTopic(t, c, "t", nil)
	sub := mustSubscribe(t, c, topic, queueA, map[string]string{"RawMessageDelivery": "true", "RedrivePolicy": `{"deadLetterTargetArn":"` + dlq + `"}`})
	if _, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m")}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	want := []string{"start a m", "commit a m", "start dlq m", "commit dlq m"}
	if got := q.log(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events %q, want %q", got, want)
	}
	ops, res := svc.Counters().Snapshot()
	if ops["Deliver"].Errors != 1 || res[sub].Out != 0 || res[dlq].Out != 1 {
		t.Errorf("failed deliveries %d, subscription out %d, DLQ out %d; want 1, 0, 1", ops["Deliver"].Errors, res[sub].Out, res[dlq].Out)
	}
}
