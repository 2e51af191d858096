package localcloud_test

// Durability over a real crash: the tests run `eventchain localcloud` as a
// separate process with a data directory, kill it with SIGKILL (no chance
// to flush or close anything) and start it again on the same directory
// and address, then check through the SDK that everything the first
// process acknowledged is still there.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The eventchain binary is built once per test binary.
var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryDir  = &processTB{}
)

// eventchainBinary builds cmd/eventchain into a temporary directory.
func eventchainBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := tempDirOutsideTest()
		if err != nil {
			binaryErr = err
			return
		}
		path := filepath.Join(dir, "eventchain")
		out, err := exec.Command("go", "build", "-o", path, "github.com/eventchain/eventchain/cmd/eventchain").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build eventchain: %v\n%s", err, out)
			return
		}
		binaryPath = path
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// tempDirOutsideTest returns a directory removed when the test binary
// ends (TestMain), so that one build serves every test.
func tempDirOutsideTest() (dir string, err error) {
	defer func() {
		if r := recover(); r != nil {
			if r != errProcessTBFatal {
				panic(r)
			}
			err = errors.New(binaryDir.failure)
		}
	}()
	dir = binaryDir.TempDir()
	motoTB.Cleanup(binaryDir.close)
	return dir, nil
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// cloudProcess is one running `eventchain localcloud`.
type cloudProcess struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	exited chan struct{}
}

// startCloudProcess starts `eventchain localcloud` on addr with the data
// directory and waits until it prints its endpoint.
func startCloudProcess(t *testing.T, addr, dataDir string) (*cloudProcess, backend) {
	t.Helper()
	return startCommand(t, exec.Command(eventchainBinary(t), "localcloud", "--data", dataDir, "--addr", addr), addr, dataDir)
}

// startCommand starts cmd, an `eventchain localcloud` serving addr, and
// waits until it prints its endpoint.
func startCommand(t *testing.T, cmd *exec.Cmd, addr, dataDir string) (*cloudProcess, backend) {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &cloudProcess{cmd: cmd, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start localcloud: %v", err)
	}
	go func() {
		cmd.Wait() //nolint:errcheck // a killed process exits with an error
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case line, ok := <-lines:
		if !ok || line != "http://"+addr {
			p.kill()
			t.Fatalf("localcloud printed %q, want its endpoint http://%s; stderr:\n%s", line, addr, p.stderr)
		}
	case <-time.After(30 * time.Second):
		p.kill()
		t.Fatalf("localcloud did not print its endpoint within 30 s; stderr:\n%s", p.stderr)
	}
	return p, backend{Name: "localcloud-process", Endpoint: "http://" + addr, IsLocal: true, DataDir: dataDir}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *cloudProcess) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Kill() //nolint:errcheck // already exited is fine
	<-p.exited
}

func TestSIGKILLRestartKeepsAcknowledgedState(t *testing.T) {
	addr, dataDir := freeAddr(t), t.TempDir()
	proc, b := startCloudProcess(t, addr, dataDir)
	sq, sn, ec := b.SQS(), b.SNS(), b.EC2()
	ctx := b.Ctx(t)

	// Queues: a DLQ, and a work queue redriving to it.
	dlq, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work-dlq"),
		Attributes: map[string]string{"MessageRetentionPeriod": "1209600"}})
	if err != nil {
		t.Fatalf("CreateQueue work-dlq: %v", err)
	}
	dlqARN := queueARN(t, ctx, sq, *dlq.QueueUrl)
	redrive := `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"5"}`
	work, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work"),
		Attributes: map[string]string{"RedrivePolicy": redrive, "VisibilityTimeout": "60"},
		Tags:       map[string]string{"team": "eventchain"}})
	if err != nil {
		t.Fatalf("CreateQueue work: %v", err)
	}
	workURL := aws.ToString(work.QueueUrl)
	workARN := queueARN(t, ctx, sq, workURL)

	// A topic with a raw, filtered subscription to the work queue.
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events")})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	filter := `{"type":["launch.requested"]}`
	sub, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &workARN,
		Attributes: map[string]string{"RawMessageDelivery": "true", "FilterPolicy": filter}, ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}

	// Messages: sent directly and published through the topic (one is
	// filtered out, so it never reaches the queue).
	want := map[string]bool{}
	for i := range 10 {
		body := fmt.Sprintf("direct-%d", i)
		if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &workURL, MessageBody: &body}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
		want[body] = true
	}
	for i := range 5 {
		body := fmt.Sprintf("published-%d", i)
		if _, err := sn.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: &body,
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"type": {DataType: aws.String("String"), StringValue: aws.String("launch.requested")}}}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		want[body] = true
	}
	if _, err := sn.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("filtered-out"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"type": {DataType: aws.String("String"), StringValue: aws.String("other")}}}); err != nil {
		t.Fatalf("Publish: %v", err)
	}

	// Receive four with a short visibility timeout, delete two: the other
	// two are in flight when the process dies.
	const inflightFor = 10 * time.Second
	// Taken before the call: the server starts the timeout when it
	// receives, which is after this and before the answer arrives.
	receivedAt := time.Now()
	recv, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &workURL, MaxNumberOfMessages: 4,
		VisibilityTimeout: int32(inflightFor / time.Second)})
	if err != nil || len(recv.Messages) != 4 {
		t.Fatalf("ReceiveMessage: %d messages, %v; want 4", len(recv.Messages), err)
	}
	inflight := map[string]bool{}
	for i, m := range recv.Messages {
		if i < 2 {
			if _, err := sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &workURL, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("DeleteMessage: %v", err)
			}
			delete(want, aws.ToString(m.Body))
			continue
		}
		inflight[aws.ToString(m.Body)] = true
	}

	// Instances, with an idempotency token.
	run, err := ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-0123456789abcdef0"),
		InstanceType: ec2types.InstanceTypeT3Micro, MinCount: aws.Int32(2), MaxCount: aws.Int32(2), ClientToken: aws.String("req-crash-1"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: aws.String("eventchain:request-id"), Value: aws.String("req-crash-1")}}}}})
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	instanceIDs := instanceIDsOf(run.Instances)

	proc.kill()
	_, b = startCloudProcess(t, addr, dataDir)
	sq, sn, ec = b.SQS(), b.SNS(), b.EC2()
	ctx = b.Ctx(t)

	t.Run("queue attributes and tags", func(t *testing.T) {
		attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &workURL,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		if err != nil {
			t.Fatalf("GetQueueAttributes: %v", err)
		}
		if got := attrs.Attributes["RedrivePolicy"]; !strings.Contains(got, dlqARN) || !strings.Contains(got, "5") {
			t.Errorf("RedrivePolicy after restart %q, want the DLQ %s with maxReceiveCount 5", got, dlqARN)
		}
		if got := attrs.Attributes["VisibilityTimeout"]; got != "60" {
			t.Errorf("VisibilityTimeout after restart %q, want 60", got)
		}
		tags, err := sq.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &workURL})
		if err != nil || tags.Tags["team"] != "eventchain" {
			t.Errorf("tags after restart %v, %v; want team=eventchain", tags, err)
		}
		dlqAttrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameMessageRetentionPeriod}})
		if err != nil || dlqAttrs.Attributes["MessageRetentionPeriod"] != "1209600" {
			t.Errorf("DLQ retention after restart %v, %v; want 1209600", dlqAttrs, err)
		}
	})

	t.Run("subscription", func(t *testing.T) {
		subs, err := sn.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
		if err != nil || len(subs.Subscriptions) != 1 || aws.ToString(subs.Subscriptions[0].Endpoint) != workARN {
			t.Fatalf("subscriptions after restart %+v, %v; want one to %s", subs, err, workARN)
		}
		attrs, err := sn.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
		if err != nil {
			t.Fatalf("GetSubscriptionAttributes: %v", err)
		}
		if attrs.Attributes["RawMessageDelivery"] != "true" || !strings.Contains(attrs.Attributes["FilterPolicy"], "launch.requested") {
			t.Errorf("subscription attributes after restart %v, want raw delivery and the filter policy", attrs.Attributes)
		}
	})

	t.Run("instances", func(t *testing.T) {
		desc, err := ec.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: instanceIDs})
		if err != nil {
			t.Fatalf("DescribeInstances after restart: %v", err)
		}
		var got []ec2types.Instance
		for _, r := range desc.Reservations {
			got = append(got, r.Instances...)
		}
		if ids := instanceIDsOf(got); strings.Join(ids, ",") != strings.Join(instanceIDs, ",") {
			t.Errorf("instances after restart %v, want %v", ids, instanceIDs)
		}
		for _, in := range got {
			if tagValue(in.Tags, "eventchain:request-id") != "req-crash-1" {
				t.Errorf("instance %s lost its tags: %v", aws.ToString(in.InstanceId), in.Tags)
			}
		}
		// The client token still maps to the same launch.
		again, err := ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-0123456789abcdef0"),
			InstanceType: ec2types.InstanceTypeT3Micro, MinCount: aws.Int32(2), MaxCount: aws.Int32(2), ClientToken: aws.String("req-crash-1"),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
				Tags: []ec2types.Tag{{Key: aws.String("eventchain:request-id"), Value: aws.String("req-crash-1")}}}}})
		if err != nil {
			t.Fatalf("RunInstances retry after restart: %v", err)
		}
		if ids := instanceIDsOf(again.Instances); strings.Join(ids, ",") != strings.Join(instanceIDs, ",") {
			t.Errorf("retried RunInstances launched %v, want the original %v", ids, instanceIDs)
		}
	})

	t.Run("messages", func(t *testing.T) {
		// Everything acknowledged and not in flight is visible at once,
		// exactly once; the deleted and the filtered-out are not.
		visible := map[string]int{}
		for {
			out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &workURL, MaxNumberOfMessages: 10, VisibilityTimeout: 300})
			if err != nil {
				t.Fatalf("ReceiveMessage: %v", err)
			}
			if len(out.Messages) == 0 {
				break
			}
			for _, m := range out.Messages {
				visible[aws.ToString(m.Body)]++
			}
		}
		if elapsed := time.Since(receivedAt); elapsed >= inflightFor {
			t.Fatalf("restart took %v, longer than the %v visibility timeout this check relies on", elapsed, inflightFor)
		}
		for body := range want {
			if inflight[body] {
				if visible[body] != 0 {
					t.Errorf("%s was in flight but visible right after restart", body)
				}
				continue
			}
			if visible[body] != 1 {
				t.Errorf("%s received %d times after restart, want exactly once", body, visible[body])
			}
		}
		for body := range visible {
			if !want[body] {
				t.Errorf("%s is back after restart though it was deleted or never delivered", body)
			}
		}
		// The in-flight ones come back once their timeout ends.
		deadline := time.Now().Add(inflightFor + 20*time.Second)
		back := map[string]string{}
		for len(back) < len(inflight) && time.Now().Before(deadline) {
			out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &workURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 5,
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
			if err != nil {
				t.Fatalf("ReceiveMessage: %v", err)
			}
			for _, m := range out.Messages {
				back[aws.ToString(m.Body)] = m.Attributes["ApproximateReceiveCount"]
			}
		}
		for body := range inflight {
			if back[body] != "2" {
				t.Errorf("in-flight %s after its timeout: receive count %q, want it back with count 2", body, back[body])
			}
		}
		if len(back) != len(inflight) {
			t.Errorf("after the visibility timeout received %v, want only the in-flight %v", back, inflight)
		}
		if visibleAfter := time.Since(receivedAt); visibleAfter < inflightFor {
			t.Errorf("in-flight messages visible after %v, before their %v timeout", visibleAfter, inflightFor)
		}
	})
}

func TestSIGKILLUnderLoadKeepsEverySuccessfulSend(t *testing.T) {
	addr, dataDir := freeAddr(t), t.TempDir()
	proc, b := startCloudProcess(t, addr, dataDir)
	// One attempt per call: a call whose answer never came may or may not
	// have happened; only answered calls are checked.
	sq := b.SQS(func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
	sn := b.SNS(func(o *sns.Options) { o.RetryMaxAttempts = 1 })
	ctx := b.Ctx(t)
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("load")})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	url := aws.ToString(q.QueueUrl)
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("load-events")})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(queueARN(t, ctx, sq, url)), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}

	var (
		mu     sync.Mutex
		acked  = map[string]bool{}
		failed int
		wg     sync.WaitGroup
	)
	loadCtx, stop := context.WithCancel(ctx)
	defer stop()
	sender := func(name string, send func(body string) error) {
		defer wg.Done()
		for i := 0; loadCtx.Err() == nil; i++ {
			body := name + "-" + strconv.Itoa(i)
			err := send(body)
			mu.Lock()
			if err == nil {
				acked[body] = true
			} else {
				failed++
			}
			mu.Unlock()
			if err != nil {
				return // the server is gone
			}
		}
	}
	for i := range 4 {
		wg.Add(1)
		go sender(fmt.Sprintf("send%d", i), func(body string) error {
			_, err := sq.SendMessage(loadCtx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body})
			return err
		})
	}
	for i := range 2 {
		wg.Add(1)
		go sender(fmt.Sprintf("publish%d", i), func(body string) error {
			_, err := sn.Publish(loadCtx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: &body})
			return err
		})
	}
	// Kill mid-stream, once a good number of sends went through.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 500 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	proc.kill()
	wg.Wait()
	stop()
	if len(acked) < 100 {
		t.Fatalf("only %d sends succeeded before the kill; the load did not get going", len(acked))
	}
	t.Logf("%d calls acknowledged before SIGKILL, %d cut off", len(acked), failed)

	_, b = startCloudProcess(t, addr, dataDir)
	sq = b.SQS()
	ctx = b.Ctx(t)
	seen := map[string]int{}
	for {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, VisibilityTimeout: 600})
		if err != nil {
			t.Fatalf("ReceiveMessage after restart: %v", err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			seen[aws.ToString(m.Body)]++
		}
	}
	var missing, twice []string
	for body := range acked {
		if seen[body] == 0 {
			missing = append(missing, body)
		}
	}
	for body, n := range seen {
		if n > 1 {
			twice = append(twice, body)
		}
	}
	sort.Strings(missing)
	sort.Strings(twice)
	if len(missing) > 0 {
		t.Errorf("%d acknowledged messages lost in the crash, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
	if len(twice) > 0 {
		t.Errorf("%d messages present more than once after restart, e.g. %v", len(twice), twice[:min(5, len(twice))])
	}
	// At most one unanswered call per sender can have landed anyway.
	if extra := len(seen) - len(acked) + len(missing); extra > 6 {
		t.Errorf("%d messages present that no sender attempted", extra)
	}
}

func queueARN(t *testing.T, ctx context.Context, c *sqs.Client, url string) string {
	t.Helper()
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("GetQueueAttributes QueueArn: %v", err)
	}
	return out.Attributes["QueueArn"]
}

func instanceIDsOf(instances []ec2types.Instance) []string {
	ids := make([]string, 0, len(instances))
	for _, in := range instances {
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	sort.Strings(ids)
	return ids
}

func tagValue(tags []ec2types.Tag, key string) string {
	for _, tg := range tags {
		if aws.ToString(tg.Key) == key {
			return aws.ToString(tg.Value)
		}
	}
	return ""
}

func TestLocalcloudCommandStopsCleanlyOnSIGTERM(t *testing.T) {
	addr, dataDir := freeAddr(t), t.TempDir()
	proc, b := startCloudProcess(t, addr, dataDir)
	q, err := b.SQS().CreateQueue(b.Ctx(t), &sqs.CreateQueueInput{QueueName: aws.String("kept")})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	if _, err := b.SQS().SendMessage(b.Ctx(t), &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("m")}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proc.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("localcloud still running 15 s after SIGTERM; stderr:\n%s", proc.stderr)
	}
	if code := proc.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0; stderr:\n%s", code, proc.stderr)
	}
	// A clean stop folds the write-ahead log into the database file.
	if logs, _ := filepath.Glob(filepath.Join(dataDir, "*.log")); len(logs) != 0 {
		t.Errorf("log segments left after a clean stop: %v", logs)
	}
	_, b = startCloudProcess(t, addr, dataDir)
	out, err := b.SQS().ReceiveMessage(b.Ctx(t), &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "m" {
		t.Errorf("after a clean restart received %+v, %v; want the one message", out, err)
	}
}

func TestLocalcloudCommandRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "address other machines reach", args: []string{"--addr", "0.0.0.0:4566"}, want: "loopback addresses only"},
		{name: "host name", args: []string{"--addr", "example.com:4566"}, want: "loopback addresses only"},
		{name: "no port", args: []string{"--addr", "127.0.0.1"}, want: "--addr"},
		{name: "negative rate", args: []string{"--ec2-rate", "-1"}, want: "must not be negative"},
		{name: "stray argument", args: []string{"extra"}, want: "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(eventchainBinary(t), append([]string{"localcloud"}, tc.args...)...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit %v, want status 1; output:\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("output %q lacks %q", out, tc.want)
			}
		})
	}
}
