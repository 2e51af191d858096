package localcloud_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// syncBuffer is a log destination the server's goroutines share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startDiskCloud(t *testing.T, dir string, log *syncBuffer) (*localcloud.Cloud, backend, func()) {
	t.Helper()
	cloud, srv, l, err := localcloud.Listen("127.0.0.1:0", localcloud.Options{DataDir: dir, Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatalf("start localcloud: %v", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		srv.Close()
		if err := cloud.Close(); err != nil {
			t.Errorf("close localcloud: %v", err)
		}
	}
	t.Cleanup(stop)
	return cloud, backend{Name: "localcloud-disk", Endpoint: "http://" + l.Addr().String(), IsLocal: true, Cloud: cloud, DataDir: dir}, stop
}

func health(t *testing.T, b backend) (int, localcloud.Health) {
	t.Helper()
	resp, err := http.Get(b.Endpoint + localcloud.HealthPath)
	if err != nil {
		t.Fatalf("GET health: %v", err)
	}
	defer resp.Body.Close()
	var h localcloud.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("decode health: %v", err)
	}
	return resp.StatusCode, h
}

// TestFailedWriteRollsBackAndRecovers makes every write fail, as a full
// disk does, then lets them succeed again.
func TestFailedWriteRollsBackAndRecovers(t *testing.T) {
	dir, logged := t.TempDir(), &syncBuffer{}
	cloud, b, stop := startDiskCloud(t, dir, logged)
	sq := b.SQS(func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
	ctx := b.Ctx(t)
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work")})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	for _, body := range []string{"kept-1", "kept-2"} {
		if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
	}
	if code, h := health(t, b); code != http.StatusOK || h.Storage.State != "ok" {
		t.Fatalf("health before the fault: %d %+v, want 200 ok", code, h)
	}

	cloud.Storage().InjectFault(storage.ErrInjected)
	if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("failed")}); err == nil {
		t.Error("SendMessage succeeded while writes fail")
	}
	if out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10}); err == nil {
		t.Errorf("ReceiveMessage succeeded while writes fail: %d messages", len(out.Messages))
	}
	if _, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("never")}); err == nil {
		t.Error("CreateQueue succeeded while writes fail")
	}
	code, h := health(t, b)
	if code != http.StatusServiceUnavailable || h.Storage.State != "failing" || !strings.Contains(h.Storage.Error, storage.ErrInjected.Error()) {
		t.Errorf("health while writes fail: %d %+v, want 503 failing with the cause", code, h)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	if v, nv := attrs.Attributes["ApproximateNumberOfMessages"], attrs.Attributes["ApproximateNumberOfMessagesNotVisible"]; v != "2" || nv != "0" {
		t.Errorf("after the failed calls %s visible and %s in flight, want 2 and 0: the failed send is counted or the failed receive hid messages", v, nv)
	}

	cloud.Storage().InjectFault(nil)
	if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("after")}); err != nil {
		t.Fatalf("SendMessage once writes succeed again: %v", err)
	}
	if code, h := health(t, b); code != http.StatusOK || h.Storage.State != "ok" || h.Storage.FailedWrites == 0 {
		t.Errorf("health after recovery: %d %+v, want 200 ok with the failures counted", code, h)
	}
	list, err := sq.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil || len(list.QueueUrls) != 1 {
		t.Errorf("ListQueues after the failed CreateQueue: %v, %v; want only work", list, err)
	}
	if n := strings.Count(logged.String(), "a write failed"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, logged)
	}
	if !strings.Contains(logged.String(), "writes succeed again") {
		t.Errorf("the recovery was not logged:\n%s", logged)
	}

	// Disk and memory agree: a restart brings back exactly what was
	// acknowledged.
	stop()
	_, b, _ = startDiskCloud(t, dir, logged)
	sq = b.SQS()
	var got []string
	for {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		if err != nil {
			t.Fatalf("ReceiveMessage after restart: %v", err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			got = append(got, aws.ToString(m.Body))
		}
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "after,kept-1,kept-2" {
		t.Errorf("after restart received %v, want after, kept-1, kept-2", got)
	}
}
