package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/localcloud/clientfix"
	"github.com/eventchain/eventchain/infra/localcloud/faults"
)

// chainOverrides make retries and redelivery take a second or two.
var chainOverrides = map[string]string{
	"QueueVisibilityTimeout":  "1",
	"BatchingWindowSeconds":   "0",
	"WatchBackoffBaseSeconds": "1",
	"WatchBackoffMaxSeconds":  "1",
	"WatchTimeoutSeconds":     "60",
	"LaunchRatePerSecond":     "1000",
	"MaxReceiveCount":         "3",
	"LogLevel":                "ERROR",
}

func startChain(t *testing.T, bootDelay time.Duration) *local.Runner {
	t.Helper()
	r, err := local.Start(context.Background(), local.Options{
		Template: testTemplate, Overrides: chainOverrides,
		APIAddr: "127.0.0.1:0", CloudAddr: "127.0.0.1:0", PollWaitSeconds: 1, EC2BootDelay: bootDelay,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func postLaunches(t *testing.T, r *local.Runner, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		resp, err := http.Post(r.APIURL()+"/launches", "application/json",
			bytes.NewReader([]byte(`{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1}`)))
		if err != nil {
			t.Fatal(err)
		}
		var a struct{ RequestID string }
		err = json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || err != nil {
			t.Fatalf("POST: %d %v", resp.StatusCode, err)
		}
		ids = append(ids, a.RequestID)
	}
	return ids
}

// waitStatus polls until every request is in status st.
func waitStatus(t *testing.T, r *local.Runner, ids []string, st string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var behind []string
		for _, id := range ids {
			got, err := r.Store.Get(context.Background(), id)
			if err != nil || string(got.Status) != st {
				behind = append(behind, fmt.Sprintf("%s:%s", id[:8], got.Status))
			}
		}
		if len(behind) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d requests not %s after %s: %v", len(behind), len(ids), st, timeout, behind)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func queueDepth(t *testing.T, r *local.Runner, logicalID string) int {
	t.Helper()
	q, ok := r.Template.Queue(logicalID)
	if !ok {
		t.Fatalf("no queue %s", logicalID)
	}
	client := sqs.NewFromConfig(aws.Config{Region: r.Template.Region, Credentials: aws.AnonymousCredentials{},
		BaseEndpoint: aws.String(r.CloudURL()), HTTPClient: clientfix.HTTPClient()})
	out, err := client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.URL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range out.Attributes {
		k, _ := strconv.Atoi(v)
		n += k
	}
	return n
}

func waitDepth(t *testing.T, r *local.Runner, logicalID string, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for got := queueDepth(t, r, logicalID); got != want; got = queueDepth(t, r, logicalID) {
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d messages after %s, want %d", logicalID, got, timeout, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestRedriveAfterTheStatusTableRecovers: terminal events reach the notify
// queue's DLQ while the status table fails every write; once it recovers,
// a redrive of that DLQ completes every request.
func TestRedriveAfterTheStatusTableRecovers(t *testing.T) {
	const n = 12
	r := startChain(t, 3*time.Second)
	ids := postLaunches(t, r, n)
	waitStatus(t, r, ids, "LAUNCHING", 30*time.Second)
	if err := r.Cloud.InjectFaults(faults.Set{Faults: []faults.Fault{
		{Service: "dynamodb", Operation: "UpdateItem", Code: "InternalServerError", Count: faults.UntilCleared},
	}}); err != nil {
		t.Fatal(err)
	}
	// The notifier cannot close them: after MaxReceiveCount receives the
	// notify queue's redrive policy moves each to NotifyDLQ. The watcher's
	// hop records fail too and it may publish a request's instance.running
	// again (at least once), so NotifyDLQ can hold more than n: wait until
	// every request has its event there and the watch and notify queues
	// are empty.
	deadline := time.Now().Add(60 * time.Second)
	for queueDepth(t, r, "NotifyDLQ") < n || queueDepth(t, r, "NotifyQueue") != 0 || queueDepth(t, r, "WatchQueue") != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("NotifyDLQ holds %d, NotifyQueue %d, WatchQueue %d after 60s; want at least %d, 0 and 0",
				queueDepth(t, r, "NotifyDLQ"), queueDepth(t, r, "NotifyQueue"), queueDepth(t, r, "WatchQueue"), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.Cloud.ClearFaults()
	code, stdout, stderr := runDLQCommand(context.Background(), "", "redrive", "NotifyDLQ",
		"--endpoint-url", r.CloudURL(), "--template", testTemplate)
	if code != 0 {
		t.Fatalf("dlq redrive NotifyDLQ: exit %d\n%s%s", code, stdout, stderr)
	}
	waitStatus(t, r, ids, "RUNNING", 60*time.Second)
	if d := queueDepth(t, r, "NotifyDLQ"); d != 0 {
		t.Errorf("NotifyDLQ holds %d after the redrive", d)
	}
}

// TestRedriveSubscriptionDLQCompletesTheChain: deliveries of
// launch.requested to the launch queue fail, so SNS puts them in the
// subscription's DLQ; redriven to the launch queue (not republished to the
// topic) they complete every request, launched once each.
func TestRedriveSubscriptionDLQCompletesTheChain(t *testing.T) {
	const n = 12
	r := startChain(t, 0)
	q, _ := r.Template.Queue("LaunchQueue")
	if err := r.Cloud.InjectFaults(faults.Set{Deliveries: []faults.Delivery{{Endpoint: q.ARN, Count: n}}}); err != nil {
		t.Fatal(err)
	}
	ids := postLaunches(t, r, n)
	waitDepth(t, r, "LaunchSubscriptionDLQ", n, 30*time.Second)
	for _, id := range ids {
		if got, err := r.Store.Get(context.Background(), id); err != nil || got.Status != "ACCEPTED" {
			t.Fatalf("%s: %s %v before the redrive, want ACCEPTED", id, got.Status, err)
		}
	}
	code, stdout, stderr := runDLQCommand(context.Background(), "", "redrive", "LaunchSubscriptionDLQ",
		"--endpoint-url", r.CloudURL(), "--template", testTemplate)
	if code != 0 || !strings.Contains(stdout, "LaunchQueue") {
		t.Fatalf("dlq redrive LaunchSubscriptionDLQ: exit %d\n%s%s", code, stdout, stderr)
	}
	waitStatus(t, r, ids, "RUNNING", 60*time.Second)
	for _, id := range ids {
		got, _ := r.Store.Get(context.Background(), id)
		if len(got.InstanceIDs) != 1 {
			t.Errorf("%s launched %d instances, want 1", id, len(got.InstanceIDs))
		}
	}
	for _, other := range []string{"LaunchSubscriptionDLQ", "UnroutedQueue", "LaunchDLQ", "NotifyDLQ"} {
		if d := queueDepth(t, r, other); d != 0 {
			t.Errorf("%s holds %d messages after the redrive, want none", other, d)
		}
	}
}

// TestTraceShowsEveryRetry traces a live request whose launch was
// throttled twice: the timeline shows both retries with their reason, the
// successful receive, and the request done.
func TestTraceShowsEveryRetry(t *testing.T) {
	r := startChain(t, 0)
	if err := r.Cloud.InjectFaults(faults.Set{Faults: []faults.Fault{
		{Service: "ec2", Operation: "RunInstances", Code: "RequestLimitExceeded", Count: 2},
	}}); err != nil {
		t.Fatal(err)
	}
	ids := postLaunches(t, r, 1)
	waitStatus(t, r, ids, "RUNNING", 60*time.Second)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"trace", "--api", r.APIURL(), "--template", testTemplate, ids[0]}, &stdout, &stderr); code != 0 {
		t.Fatalf("trace: exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"retry (receive 1): RequestLimitExceeded",
		"retry (receive 2): RequestLimitExceeded",
		"ok (receive 3)",
		"now: done: RUNNING",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
}
