package localcloud_test

// The aws CLI (botocore, Python) is a client we did not write: these tests
// drive localcloud with it over --endpoint-url and check its JSON output.

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud"
)

// awsCLI runs `aws --endpoint-url <endpoint> --output json <args>` with
// test credentials and no user configuration, and decodes its output (an
// empty output, as for a receive with no messages, is an empty object).
func awsCLI(t *testing.T, b backend, args ...string) map[string]any {
	t.Helper()
	out, stderr, err := runAWSCLI(t, b, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	doc := map[string]any{}
	if len(bytes.TrimSpace(out)) == 0 {
		return doc
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("aws %s printed %q: %v", strings.Join(args, " "), out, err)
	}
	return doc
}

// awsCLIError runs a call that must fail and returns its error output.
func awsCLIError(t *testing.T, b backend, args ...string) string {
	t.Helper()
	out, stderr, err := runAWSCLI(t, b, args...)
	if err == nil {
		t.Fatalf("aws %s succeeded with %s, want an error", strings.Join(args, " "), out)
	}
	return string(stderr)
}

func runAWSCLI(t *testing.T, b backend, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is required on PATH: %v", err)
	}
	home := t.TempDir()
	cmd := exec.CommandContext(b.Ctx(t), bin, append([]string{"--endpoint-url", b.Endpoint, "--output", "json"}, args...)...)
	// Only the test's own AWS settings: none of the caller's profile,
	// session or endpoint variables.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") })
	cmd.Env = append(env,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true")
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err = cmd.Run()
	return so.Bytes(), se.Bytes(), err
}

// jsonPath walks a decoded JSON document: keys for objects, ints for
// arrays. It fails the test when the path does not exist.
func jsonPath(t *testing.T, doc any, path ...any) any {
	t.Helper()
	cur := doc
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("path %v: %T is not an object at %q", path, cur, k)
			}
			if cur, ok = m[k]; !ok {
				t.Fatalf("path %v: no key %q in %v", path, k, m)
			}
		case int:
			a, ok := cur.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("path %v: no element %d in %v", path, k, cur)
			}
			cur = a[k]
		}
	}
	return cur
}

func jsonString(t *testing.T, doc any, path ...any) string {
	t.Helper()
	s, ok := jsonPath(t, doc, path...).(string)
	if !ok {
		t.Fatalf("path %v is %v, not a string", path, jsonPath(t, doc, path...))
	}
	return s
}

func jsonLen(t *testing.T, doc any, path ...any) int {
	t.Helper()
	if m, ok := doc.(map[string]any); ok && len(path) == 1 {
		if _, present := m[path[0].(string)]; !present {
			return 0 // the CLI leaves empty lists out
		}
	}
	a, ok := jsonPath(t, doc, path...).([]any)
	if !ok {
		t.Fatalf("path %v is not a list", path)
	}
	return len(a)
}

// newCLIBackend serves a localcloud with a data directory through
// localcloud.Listen, which installs the handler before serving: the CLI
// runs in another process, so nothing else orders the two for the race
// detector.
func newCLIBackend(t *testing.T) backend {
	t.Helper()
	dir := t.TempDir()
	cloud, srv, l, err := localcloud.Listen("127.0.0.1:0", localcloud.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("start localcloud: %v", err)
	}
	t.Cleanup(func() {
		srv.Close()
		if err := cloud.Close(); err != nil {
			t.Errorf("close localcloud: %v", err)
		}
	})
	return backend{Name: "localcloud-disk", Endpoint: "http://" + l.Addr().String(), IsLocal: true, Cloud: cloud, DataDir: dir}
}

func TestCLISQS(t *testing.T) {
	b := newCLIBackend(t)
	dlqURL := jsonString(t, awsCLI(t, b, "sqs", "create-queue", "--queue-name", "cli-dlq"), "QueueUrl")
	dlqARN := jsonString(t, awsCLI(t, b, "sqs", "get-queue-attributes", "--queue-url", dlqURL, "--attribute-names", "QueueArn"), "Attributes", "QueueArn")
	attrs, _ := json.Marshal(map[string]string{
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"1"}`,
		"VisibilityTimeout": "30",
	})
	workURL := jsonString(t, awsCLI(t, b, "sqs", "create-queue", "--queue-name", "cli-work", "--attributes", string(attrs)), "QueueUrl")
	if want := b.Endpoint + "/" + testAccount + "/cli-work"; workURL != want {
		t.Errorf("QueueUrl %q, want %q", workURL, want)
	}

	t.Run("list-queues with prefix", func(t *testing.T) {
		awsCLI(t, b, "sqs", "create-queue", "--queue-name", "other")
		out := awsCLI(t, b, "sqs", "list-queues", "--queue-name-prefix", "cli-")
		var urls []string
		for i := range jsonLen(t, out, "QueueUrls") {
			urls = append(urls, jsonString(t, out, "QueueUrls", i))
		}
		slices.Sort(urls)
		if want := []string{dlqURL, workURL}; !slices.Equal(urls, want) {
			t.Errorf("QueueUrls %v, want %v", urls, want)
		}
	})

	t.Run("get-queue-attributes", func(t *testing.T) {
		out := awsCLI(t, b, "sqs", "get-queue-attributes", "--queue-url", workURL, "--attribute-names", "All")
		if got := jsonString(t, out, "Attributes", "VisibilityTimeout"); got != "30" {
			t.Errorf("VisibilityTimeout %q, want 30", got)
		}
		var rp map[string]any
		if err := json.Unmarshal([]byte(jsonString(t, out, "Attributes", "RedrivePolicy")), &rp); err != nil || rp["deadLetterTargetArn"] != dlqARN {
			t.Errorf("RedrivePolicy %v (%v), want target %s", rp, err, dlqARN)
		}
		if got := jsonString(t, out, "Attributes", "QueueArn"); got != "arn:aws:sqs:us-east-1:"+testAccount+":cli-work" {
			t.Errorf("QueueArn %q", got)
		}
	})

	t.Run("send, receive and delete with message attributes", func(t *testing.T) {
		body := `{"type":"launch.requested","n":1}`
		sent := awsCLI(t, b, "sqs", "send-message", "--queue-url", workURL, "--message-body", body, "--message-attributes",
			`{"type":{"DataType":"String","StringValue":"launch.requested"},"count":{"DataType":"Number","StringValue":"42"}}`)
		sum := md5.Sum([]byte(body))
		if got := jsonString(t, sent, "MD5OfMessageBody"); got != hex.EncodeToString(sum[:]) {
			t.Errorf("MD5OfMessageBody %q, want %x", got, sum)
		}
		if len(jsonString(t, sent, "MD5OfMessageAttributes")) != 32 {
			t.Errorf("MD5OfMessageAttributes missing: %v", sent)
		}
		got := awsCLI(t, b, "sqs", "receive-message", "--queue-url", workURL, "--max-number-of-messages", "10",
			"--message-attribute-names", "All", "--attribute-names", "All")
		if n := jsonLen(t, got, "Messages"); n != 1 {
			t.Fatalf("received %d messages, want 1: %v", n, got)
		}
		if jsonString(t, got, "Messages", 0, "MessageId") != jsonString(t, sent, "MessageId") || jsonString(t, got, "Messages", 0, "Body") != body {
			t.Errorf("received %v, want message %v with body %s", got, sent, body)
		}
		if v := jsonString(t, got, "Messages", 0, "MessageAttributes", "type", "StringValue"); v != "launch.requested" {
			t.Errorf("attribute type %q", v)
		}
		if v := jsonString(t, got, "Messages", 0, "MessageAttributes", "count", "DataType"); v != "Number" {
			t.Errorf("attribute count type %q, want Number", v)
		}
		if jsonString(t, got, "Messages", 0, "MD5OfMessageAttributes") != jsonString(t, sent, "MD5OfMessageAttributes") {
			t.Errorf("receive and send disagree on MD5OfMessageAttributes")
		}
		if c := jsonString(t, got, "Messages", 0, "Attributes", "ApproximateReceiveCount"); c != "1" {
			t.Errorf("ApproximateReceiveCount %q, want 1", c)
		}
		awsCLI(t, b, "sqs", "delete-message", "--queue-url", workURL, "--receipt-handle", jsonString(t, got, "Messages", 0, "ReceiptHandle"))
		if n := jsonLen(t, awsCLI(t, b, "sqs", "receive-message", "--queue-url", workURL, "--visibility-timeout", "0"), "Messages"); n != 0 {
			t.Errorf("a deleted message was received again")
		}
		msg := awsCLIError(t, b, "sqs", "delete-message", "--queue-url", workURL, "--receipt-handle", "not-a-handle")
		if !strings.Contains(msg, "ReceiptHandleIsInvalid") {
			t.Errorf("bad receipt handle error %q, want ReceiptHandleIsInvalid", msg)
		}
	})

	t.Run("redrive and start-message-move-task", func(t *testing.T) {
		awsCLI(t, b, "sqs", "send-message", "--queue-url", workURL, "--message-body", "poison")
		// maxReceiveCount 1: the second receive moves it to the DLQ.
		if n := jsonLen(t, awsCLI(t, b, "sqs", "receive-message", "--queue-url", workURL, "--visibility-timeout", "0"), "Messages"); n != 1 {
			t.Fatalf("first receive got %d messages, want 1", n)
		}
		if n := jsonLen(t, awsCLI(t, b, "sqs", "receive-message", "--queue-url", workURL), "Messages"); n != 0 {
			t.Fatalf("a message past maxReceiveCount was delivered again")
		}
		depth := awsCLI(t, b, "sqs", "get-queue-attributes", "--queue-url", dlqURL, "--attribute-names", "ApproximateNumberOfMessages")
		if n := jsonString(t, depth, "Attributes", "ApproximateNumberOfMessages"); n != "1" {
			t.Fatalf("DLQ depth %s, want 1", n)
		}
		task := awsCLI(t, b, "sqs", "start-message-move-task", "--source-arn", dlqARN)
		if jsonString(t, task, "TaskHandle") == "" {
			t.Fatalf("start-message-move-task answered %v, want a TaskHandle", task)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			got := awsCLI(t, b, "sqs", "receive-message", "--queue-url", workURL, "--wait-time-seconds", "2")
			if jsonLen(t, got, "Messages") == 1 {
				if jsonString(t, got, "Messages", 0, "Body") != "poison" || jsonString(t, got, "Messages", 0, "MessageId") == "" {
					t.Errorf("moved back %v, want the poison message", got)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the move task did not bring the message back to its source queue")
			}
		}
		tasks := awsCLI(t, b, "sqs", "list-message-move-tasks", "--source-arn", dlqARN)
		if st := jsonString(t, tasks, "Results", 0, "Status"); st != "COMPLETED" && st != "RUNNING" {
			t.Errorf("move task status %q, want COMPLETED or RUNNING", st)
		}
	})
}

func TestCLISNS(t *testing.T) {
	b := newCLIBackend(t)
	topicARN := jsonString(t, awsCLI(t, b, "sns", "create-topic", "--name", "cli-events"), "TopicArn")
	if topicARN != "arn:aws:sns:us-east-1:"+testAccount+":cli-events" {
		t.Errorf("TopicArn %q", topicARN)
	}
	queueURL := jsonString(t, awsCLI(t, b, "sqs", "create-queue", "--queue-name", "cli-launch"), "QueueUrl")
	queueARN := jsonString(t, awsCLI(t, b, "sqs", "get-queue-attributes", "--queue-url", queueURL, "--attribute-names", "QueueArn"), "Attributes", "QueueArn")
	subAttrs, _ := json.Marshal(map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"type":["launch.requested"]}`})
	subARN := jsonString(t, awsCLI(t, b, "sns", "subscribe", "--topic-arn", topicARN, "--protocol", "sqs",
		"--notification-endpoint", queueARN, "--attributes", string(subAttrs), "--return-subscription-arn"), "SubscriptionArn")
	if !strings.HasPrefix(subARN, topicARN+":") {
		t.Errorf("SubscriptionArn %q, want one under %s", subARN, topicARN)
	}

	t.Run("list-subscriptions-by-topic", func(t *testing.T) {
		out := awsCLI(t, b, "sns", "list-subscriptions-by-topic", "--topic-arn", topicARN)
		if n := jsonLen(t, out, "Subscriptions"); n != 1 {
			t.Fatalf("%d subscriptions, want 1: %v", n, out)
		}
		for key, want := range map[string]string{"SubscriptionArn": subARN, "Protocol": "sqs", "Endpoint": queueARN, "TopicArn": topicARN} {
			if got := jsonString(t, out, "Subscriptions", 0, key); got != want {
				t.Errorf("subscription %s %q, want %q", key, got, want)
			}
		}
		attrs := awsCLI(t, b, "sns", "get-subscription-attributes", "--subscription-arn", subARN)
		if jsonString(t, attrs, "Attributes", "RawMessageDelivery") != "true" {
			t.Errorf("RawMessageDelivery not kept: %v", attrs)
		}
	})

	t.Run("publish with message attributes fans out through the filter", func(t *testing.T) {
		pub := awsCLI(t, b, "sns", "publish", "--topic-arn", topicARN, "--message", `{"id":"req-1"}`,
			"--message-attributes", `{"type":{"DataType":"String","StringValue":"launch.requested"},"correlationid":{"DataType":"String","StringValue":"c-1"}}`)
		if jsonString(t, pub, "MessageId") == "" {
			t.Errorf("publish answered %v, want a MessageId", pub)
		}
		awsCLI(t, b, "sns", "publish", "--topic-arn", topicARN, "--message", "filtered",
			"--message-attributes", `{"type":{"DataType":"String","StringValue":"instance.running"}}`)
		got := awsCLI(t, b, "sqs", "receive-message", "--queue-url", queueURL, "--max-number-of-messages", "10",
			"--message-attribute-names", "All", "--wait-time-seconds", "1")
		if n := jsonLen(t, got, "Messages"); n != 1 {
			t.Fatalf("queue received %d messages, want only the matching one: %v", n, got)
		}
		if body := jsonString(t, got, "Messages", 0, "Body"); body != `{"id":"req-1"}` {
			t.Errorf("raw delivery body %q, want the published message", body)
		}
		if v := jsonString(t, got, "Messages", 0, "MessageAttributes", "correlationid", "StringValue"); v != "c-1" {
			t.Errorf("correlationid attribute %q, want c-1", v)
		}
	})

	t.Run("publish to a missing topic", func(t *testing.T) {
		msg := awsCLIError(t, b, "sns", "publish", "--topic-arn", topicARN+"-missing", "--message", "x")
		if !strings.Contains(msg, "NotFound") {
			t.Errorf("error %q, want NotFound", msg)
		}
	})
}

func TestCLIEC2(t *testing.T) {
	b := newCLIBackend(t)
	tags := "ResourceType=instance,Tags=[{Key=eventchain:request-id,Value=req-cli},{Key=team,Value=platform}]"
	run := func() map[string]any {
		return awsCLI(t, b, "ec2", "run-instances", "--image-id", "ami-0123456789abcdef0", "--instance-type", "t3.micro",
			"--count", "2", "--client-token", "req-cli", "--tag-specifications", tags)
	}
	first := run()
	ids := func(doc map[string]any, path ...any) []string {
		var out []string
		for i := range jsonLen(t, doc, path...) {
			out = append(out, jsonString(t, doc, append(append([]any{}, path...), i, "InstanceId")...))
		}
		slices.Sort(out)
		return out
	}
	launched := ids(first, "Instances")
	if len(launched) != 2 {
		t.Fatalf("run-instances launched %v, want 2", launched)
	}
	if st := jsonString(t, first, "Instances", 0, "State", "Name"); st != "pending" {
		t.Errorf("state after launch %q, want pending", st)
	}

	t.Run("client token makes run-instances idempotent", func(t *testing.T) {
		if again := ids(run(), "Instances"); !slices.Equal(again, launched) {
			t.Errorf("retried run-instances returned %v, want %v", again, launched)
		}
		msg := awsCLIError(t, b, "ec2", "run-instances", "--image-id", "ami-0123456789abcdef0", "--instance-type", "t3.small",
			"--count", "2", "--client-token", "req-cli", "--tag-specifications", tags)
		if !strings.Contains(msg, "IdempotentParameterMismatch") {
			t.Errorf("changed parameters under one token: %q, want IdempotentParameterMismatch", msg)
		}
	})

	t.Run("describe-instances with filters", func(t *testing.T) {
		out := awsCLI(t, b, "ec2", "describe-instances", "--filters",
			"Name=tag:eventchain:request-id,Values=req-cli", "Name=instance-state-name,Values=pending,running")
		var got []string
		for r := range jsonLen(t, out, "Reservations") {
			got = append(got, ids(out, "Reservations", r, "Instances")...)
		}
		slices.Sort(got)
		if !slices.Equal(got, launched) {
			t.Errorf("filtered describe found %v, want %v", got, launched)
		}
		tagsOut := jsonPath(t, out, "Reservations", 0, "Instances", 0, "Tags").([]any)
		found := false
		for _, tg := range tagsOut {
			m := tg.(map[string]any)
			if m["Key"] == "team" && m["Value"] == "platform" {
				found = true
			}
		}
		if !found {
			t.Errorf("instance tags %v lack team=platform", tagsOut)
		}
		none := awsCLI(t, b, "ec2", "describe-instances", "--filters", "Name=tag:eventchain:request-id,Values=someone-else")
		if n := jsonLen(t, none, "Reservations"); n != 0 {
			t.Errorf("a filter matching nothing returned %d reservations", n)
		}
	})

	t.Run("terminate-instances", func(t *testing.T) {
		out := awsCLI(t, b, append([]string{"ec2", "terminate-instances", "--instance-ids"}, launched...)...)
		if n := jsonLen(t, out, "TerminatingInstances"); n != 2 {
			t.Fatalf("%d terminating instances, want 2: %v", n, out)
		}
		for i := range 2 {
			if st := jsonString(t, out, "TerminatingInstances", i, "CurrentState", "Name"); st != "shutting-down" && st != "terminated" {
				t.Errorf("current state %q, want shutting-down or terminated", st)
			}
		}
		live := awsCLI(t, b, "ec2", "describe-instances", "--filters",
			"Name=tag:eventchain:request-id,Values=req-cli", "Name=instance-state-name,Values=pending,running")
		if n := jsonLen(t, live, "Reservations"); n != 0 {
			t.Errorf("terminated instances still listed as pending or running: %v", live)
		}
	})
}
