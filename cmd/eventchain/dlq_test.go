package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/dlq"
	"github.com/eventchain/eventchain/internal/event"
)

const testTemplate = "../../template.yaml"

// dlqCloud is localcloud in-process on a free port with the template's
// queues, topics and subscriptions created as `eventchain run` creates
// them, but no consumer: what a test puts in a queue stays there.
type dlqCloud struct {
	url  string
	sqs  *sqs.Client
	sns  *sns.Client
	tmpl *samtemplate.Resolved
}

func startDLQCloud(t *testing.T) *dlqCloud {
	t.Helper()
	cloud, srv, l, err := localcloud.Listen("127.0.0.1:0", localcloud.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Close, not Shutdown: a connection opened and not used yet counts
		// as busy for five seconds in net/http.
		_ = srv.Close()
		_ = cloud.Close()
	})
	c := &dlqCloud{url: "http://" + l.Addr().String()}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(c.url), HTTPClient: awsenv.HTTPClient()}
	c.sqs, c.sns = sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg)
	if c.tmpl, err = loadTemplate(testTemplate, c.url); err != nil {
		t.Fatal(err)
	}
	c.provision(t)
	return c
}

// provision creates the template's topology (infra/local does the same
// for `eventchain run`).
func (c *dlqCloud) provision(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, q := range c.tmpl.Queues {
		if _, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.Name)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range c.tmpl.Queues {
		if rp := q.RedrivePolicy; rp != nil {
			policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, rp.DeadLetterTargetARN, rp.MaxReceiveCount)
			if _, err := c.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(q.URL),
				Attributes: map[string]string{"RedrivePolicy": policy}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tp := range c.tmpl.Topics {
		if _, err := c.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(tp.Name)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range c.tmpl.Subscriptions {
		if s.Protocol != "sqs" {
			continue
		}
		out, err := c.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(s.TopicARN), Protocol: aws.String("sqs"),
			Endpoint: aws.String(s.Endpoint), ReturnSubscriptionArn: true, Attributes: map[string]string{
				"RawMessageDelivery": "true", "FilterPolicy": string(s.FilterPolicy),
				"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q}`, s.DeadLetterTargetARN)}})
		if err != nil || aws.ToString(out.SubscriptionArn) == "" {
			t.Fatalf("subscribe %s: %v", s.LogicalID, err)
		}
	}
}

func (c *dlqCloud) queue(t *testing.T, logicalID string) samtemplate.Queue {
	t.Helper()
	q, ok := c.tmpl.Queue(logicalID)
	if !ok {
		t.Fatalf("template has no queue %s", logicalID)
	}
	return q
}

// run runs `eventchain dlq` against the cloud.
func (c *dlqCloud) run(t *testing.T, ctx context.Context, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return runDLQCommand(ctx, stdin, append(args, "--endpoint-url", c.url, "--template", testTemplate)...)
}

func runDLQCommand(ctx context.Context, stdin string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := dlqMain(ctx, args, strings.NewReader(stdin), &stdout, &stderr, false)
	return code, stdout.String(), stderr.String()
}

// envelope is the body of an event of the type for request.
func envelope(t *testing.T, typ, request string, data any) string {
	t.Helper()
	env, err := event.New(typ, event.Meta{Source: "eventchain/test", Subject: request, CorrelationID: "corr-" + request}, data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// deadLetters are n records of the type that a consumer dead-lettered
// itself, as internal/consumer does it (SendMessage with error.*).
func deadLetters(t *testing.T, dlqURL, typ, code string, n int) []*sqs.SendMessageInput {
	t.Helper()
	var out []*sqs.SendMessageInput
	for i := range n {
		req := fmt.Sprintf("%s-%04d", strings.ReplaceAll(typ, ".", "-"), i)
		msg := events.SQSMessage{MessageId: fmt.Sprint(i), Body: envelope(t, typ, req, map[string]any{"requestId": req, "n": i}),
			MessageAttributes: map[string]events.SQSMessageAttribute{
				event.AttrType:          {DataType: "String", StringValue: aws.String(typ)},
				event.AttrCorrelationID: {DataType: "String", StringValue: aws.String("corr-" + req)},
			}}
		out = append(out, consumer.DeadLetterInput(dlqURL, msg, consumer.DeadLetter{Code: code, Message: "test poison " + strconv.Itoa(i), Function: "launcher"}))
	}
	return out
}

// sendAll sends the messages, ten to a batch.
func sendAll(t *testing.T, c *sqs.Client, msgs []*sqs.SendMessageInput) {
	t.Helper()
	for start := 0; start < len(msgs); start += 10 {
		batch := msgs[start:min(start+10, len(msgs))]
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i, m := range batch {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: m.MessageBody,
				MessageAttributes: m.MessageAttributes, MessageGroupId: m.MessageGroupId, MessageDeduplicationId: m.MessageDeduplicationId})
		}
		out, err := c.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: batch[0].QueueUrl, Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("send batch: %v %+v", err, out)
		}
	}
}

// viaRedrivePolicy puts n messages of the type in the source queue and
// receives them, with no visibility timeout, until its redrive policy has
// moved every one to its DLQ.
func viaRedrivePolicy(t *testing.T, c *sqs.Client, sourceURL, typ string, n int) []string {
	t.Helper()
	ctx := context.Background()
	var msgs []*sqs.SendMessageInput
	var bodies []string
	for i := range n {
		req := fmt.Sprintf("redrive-%s-%04d", typ, i)
		body := envelope(t, typ, req, map[string]any{"requestId": req})
		bodies = append(bodies, body)
		msgs = append(msgs, &sqs.SendMessageInput{QueueUrl: aws.String(sourceURL), MessageBody: aws.String(body),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{event.AttrType: {DataType: aws.String("String"), StringValue: aws.String(typ)}}})
	}
	setVisibility := func(v string) {
		if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(sourceURL), Attributes: map[string]string{"VisibilityTimeout": v}}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := dlq.Describe(ctx, c, sourceURL)
	if err != nil {
		t.Fatal(err)
	}
	setVisibility("0")
	defer setVisibility(strconv.Itoa(int(st.VisibilityTimeout / time.Second)))
	sendAll(t, c, msgs)
	for deadline := time.Now().Add(20 * time.Second); ; {
		if v, f := depth(t, c, sourceURL); v+f == 0 {
			return bodies
		}
		if time.Now().After(deadline) {
			t.Fatal("the redrive policy did not move every message")
		}
		if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(sourceURL), MaxNumberOfMessages: 10}); err != nil {
			t.Fatal(err)
		}
	}
}

// depth is a queue's visible and in-flight counts.
func depth(t *testing.T, c *sqs.Client, url string) (visible, inFlight int) {
	t.Helper()
	st, err := dlq.Describe(context.Background(), c, url)
	if err != nil {
		t.Fatal(err)
	}
	return st.Visible, st.InFlight
}

// drain receives everything a queue holds (hiding it for a minute) and
// returns the bodies with how often each came.
func drain(t *testing.T, c *sqs.Client, url string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return got
		}
		for _, m := range out.Messages {
			got[aws.ToString(m.Body)]++
		}
	}
}

func bodiesOf(msgs []*sqs.SendMessageInput) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, aws.ToString(m.MessageBody))
	}
	return out
}

// TestDLQShow: show lists every message with its reason and ids, counts
// them by type and by reason, and leaves the queue as it found it: the
// same depth, every message visible again, also when it is interrupted.
func TestDLQShow(t *testing.T) {
	t.Parallel()
	c := startDLQCloud(t)
	launchDLQ := c.queue(t, "LaunchDLQ")
	sendAll(t, c.sqs, deadLetters(t, launchDLQ.URL, event.TypeLaunchRequested, "InvalidPayload", 150))
	sendAll(t, c.sqs, deadLetters(t, launchDLQ.URL, event.TypeLaunchRequested, "MalformedEvent", 50))
	viaRedrivePolicy(t, c.sqs, c.queue(t, "LaunchQueue").URL, event.TypeLaunchRequested, 40)
	if v, _ := depth(t, c.sqs, launchDLQ.URL); v != 240 {
		t.Fatalf("LaunchDLQ holds %d, want 240", v)
	}

	type shown struct {
		Read     int
		Matched  int
		Messages []messageView
		ByType   map[string]int
		ByReason map[string]int
	}
	tests := []struct {
		name      string
		args      []string
		wantShown int
		wantCount map[string]int // by reason, among the shown
	}{
		{"every message", []string{"LaunchDLQ", "--limit", "0"}, 240, map[string]int{"InvalidPayload": 150, "MalformedEvent": 50, dlq.CodeMaxReceives: 40}},
		{"by queue name, flags after it", []string{"eventchain-LaunchDLQ", "--reason", "MaxReceiveCount", "--limit", "0"}, 40, map[string]int{dlq.CodeMaxReceives: 40}},
		{"by URL, one reason, limited", []string{"--queue-url", launchDLQ.URL, "--reason", "invalidpayload", "--limit", "7"}, 7, map[string]int{"InvalidPayload": 7}},
		{"a type no message has", []string{"LaunchDLQ", "--type", "instance.running"}, 0, map[string]int{}},
		{"since a minute ago", []string{"LaunchDLQ", "--since", "1m", "--limit", "0"}, 240, nil},
	}
	shows := 0 // each show receives every message once
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := c.run(t, context.Background(), "", append([]string{"show", "--json"}, tc.args...)...)
			defer func() { shows++ }()
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got shown
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("%v: %s", err, stdout)
			}
			if got.Read != 240 || got.ByReason["InvalidPayload"] != 150 || got.ByType[event.TypeLaunchRequested] != 240 {
				t.Errorf("read %d, by reason %v, by type %v: want the summary of all 240", got.Read, got.ByReason, got.ByType)
			}
			if len(got.Messages) != tc.wantShown {
				t.Errorf("shown %d, want %d", len(got.Messages), tc.wantShown)
			}
			reasons, ids := map[string]int{}, map[string]bool{}
			for _, m := range got.Messages {
				reasons[m.Reason.Code]++
				ids[m.MessageID] = true
				if m.Type != event.TypeLaunchRequested || m.RequestID == "" || m.EventID == "" || m.CorrelationID != "corr-"+m.RequestID {
					t.Fatalf("message %+v lacks its event's ids", m)
				}
				if m.ReceiveCount != shows || (shows == 0) != (m.FirstReceive == nil) {
					t.Fatalf("receive count %d, first receive %v after %d shows: want the earlier shows' receives, not this one's", m.ReceiveCount, m.FirstReceive, shows)
				}
				if m.Reason.Code == dlq.CodeMaxReceives && !strings.HasSuffix(m.SourceARN, ":eventchain-LaunchQueue") {
					t.Errorf("a message the redrive policy moved: source %q", m.SourceARN)
				}
				if m.Reason.Code == "InvalidPayload" && (m.Reason.Function != "launcher" || !strings.HasPrefix(m.Reason.Message, "test poison")) {
					t.Errorf("reason %+v, want the error.* attributes", m.Reason)
				}
			}
			if len(ids) != len(got.Messages) {
				t.Errorf("%d messages shown, %d distinct", len(got.Messages), len(ids))
			}
			if tc.wantCount != nil && !mapsEqual(reasons, tc.wantCount) {
				t.Errorf("reasons shown %v, want %v", reasons, tc.wantCount)
			}
			if v, f := depth(t, c.sqs, launchDLQ.URL); v != 240 || f != 0 {
				t.Errorf("after show: %d visible, %d in flight; want 240 visible", v, f)
			}
		})
	}

	t.Run("tables for people", func(t *testing.T) {
		code, stdout, stderr := c.run(t, context.Background(), "", "show", "LaunchDLQ", "--limit", "2", "--reason", "InvalidPayload")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, want := range []string{`── 1/150  message \S+  enqueued \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(`, `\n   reason\s+InvalidPayload \(launcher\): test poison \d+\n`,
			`\n   type\s+launch\.requested\n`, `\n   receives\s+5 \(first \d{4}-\d\d-\d\d [0-9:]+ \([^)]+\); this show's own not counted\)\n`, `\n   payload\s+\{"n":\d+,"requestId":"launch-requested-\d+"\}\n`,
			`LaunchDLQ: read 240 of 240 visible messages; all visible again\.`, `\n150 match the filters\.\n2 shown \(--limit\); --limit 0 shows all 150\.`,
			`\nREASON\s+MESSAGES\nInvalidPayload\s+150\nMalformedEvent\s+50\nMaxReceiveCount\s+40\n`, `\nTYPE\s+MESSAGES\nlaunch\.requested\s+240\n`} {
			if !regexpMatch(want, stdout) {
				t.Errorf("output does not match %q:\n%s", want, stdout)
			}
		}
		if !strings.Contains(stderr, "depth alarm watches") {
			t.Errorf("stderr does not say that show hides the messages from the depth alarm: %s", stderr)
		}
	})

	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var n int
		stats, err := dlq.Scan(ctx, c.sqs, launchDLQ.URL, dlq.ScanOptions{}, func(*dlq.Message) error {
			if n++; n == 55 {
				cancel()
			}
			return nil
		})
		if dlqExitCode(err) != exitInterrupted || stats.Seen >= 240 || stats.Released != stats.Seen {
			t.Errorf("interrupted scan: %v, %+v; want exit 130 with what it read released", err, stats)
		}
		if v, f := depth(t, c.sqs, launchDLQ.URL); v != 240 || f != 0 {
			t.Errorf("after an interrupted show: %d visible, %d in flight; want all 240 visible at once", v, f)
		}
	})

	t.Run("warns before reading a queue with a redrive policy", func(t *testing.T) {
		sendAll(t, c.sqs, []*sqs.SendMessageInput{{QueueUrl: aws.String(c.queue(t, "UnroutedQueue").URL), MessageBody: aws.String(`{"x":1}`)}})
		code, _, stderr := c.run(t, context.Background(), "", "show", "UnroutedQueue")
		if code != 0 || !strings.Contains(stderr, "warning: UnroutedQueue has a redrive policy of its own") || !strings.Contains(stderr, "received 10 times moves on to eventchain-UnroutedDLQ") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
	})
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// flat is the output with every run of white space one space: a test
// reads what the text says, not where it is wrapped.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDLQShowThousands reads a queue of thousands of messages page by page
// and holds all of them until it has seen every one.
func TestDLQShowThousands(t *testing.T) {
	t.Parallel()
	c := startDLQCloud(t)
	q := c.queue(t, "WatchDLQ")
	const n = 2000
	sendAll(t, c.sqs, deadLetters(t, q.URL, event.TypeInstanceLaunched, "InvalidPayload", n))
	began := time.Now()
	code, stdout, stderr := c.run(t, context.Background(), "", "show", "WatchDLQ", "--json", "--limit", "0")
	took := time.Since(began)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Read     int
		Messages []messageView
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range got.Messages {
		ids[m.MessageID] = true
	}
	if got.Read != n || len(ids) != n {
		t.Errorf("read %d, %d distinct shown; want %d", got.Read, len(ids), n)
	}
	if v, f := depth(t, c.sqs, q.URL); v != n || f != 0 {
		t.Errorf("after show: %d visible, %d in flight", v, f)
	}
	t.Logf("show of %d messages took %s", n, took.Round(time.Millisecond))
}

// TestDLQScanExtendsVisibility: a scan slower than its visibility timeout
// keeps what it read hidden by extending it, so no message comes twice.
func TestDLQScanExtendsVisibility(t *testing.T) {
	t.Parallel()
	c := startDLQCloud(t)
	q := c.queue(t, "NotifyDLQ")
	const n = 50
	sendAll(t, c.sqs, deadLetters(t, q.URL, event.TypeLaunchFailed, "RequestNotFound", n))
	seen := map[string]int{}
	stats, err := dlq.Scan(context.Background(), c.sqs, q.URL, dlq.ScanOptions{Visibility: 2 * time.Second, Wait: time.Second}, func(m *dlq.Message) error {
		seen[m.ID]++
		time.Sleep(70 * time.Millisecond) // 50 × 70 ms: the scan outlasts the timeout
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n || stats.Seen != n || stats.Rereceived != 0 || stats.Released != n {
		t.Errorf("seen %d distinct, stats %+v; want %d seen once each, released", len(seen), stats, n)
	}
	if v, f := depth(t, c.sqs, q.URL); v != n || f != 0 {
		t.Errorf("after the scan: %d visible, %d in flight", v, f)
	}
}

// TestDLQRedriveByMoveTask: a whole DLQ of an SQS queue goes back through
// a move task with a DestinationArn, so records a consumer dead-lettered
// itself (no DeadLetterQueueSourceArn) move as well as those the redrive
// policy moved.
func TestDLQRedriveByMoveTask(t *testing.T) {
	t.Parallel()
	c := startDLQCloud(t)
	dlqQ, src := c.queue(t, "LaunchDLQ"), c.queue(t, "LaunchQueue")
	sent := deadLetters(t, dlqQ.URL, event.TypeLaunchRequested, "InvalidPayload", 200)
	sendAll(t, c.sqs, sent)
	want := append(bodiesOf(sent), viaRedrivePolicy(t, c.sqs, src.URL, event.TypeLaunchRequested, 60)...)

	code, stdout, stderr := c.run(t, context.Background(), "", "redrive", "LaunchDLQ", "--dry-run")
	if code != 0 || !strings.Contains(flat(stdout), "would move 260 of the 260 messages") || !strings.Contains(flat(stdout), "an SQS message move task, with DestinationArn LaunchQueue") {
		t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
	}
	if v, _ := depth(t, c.sqs, dlqQ.URL); v != 260 {
		t.Fatalf("the dry run left %d visible", v)
	}
	code, stdout, stderr = c.run(t, context.Background(), "", "redrive", "LaunchDLQ")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, line := range []string{"moved 260 messages from LaunchDLQ to LaunchQueue (move task COMPLETED", "LaunchDLQ now holds 0 visible and 0 in flight",
		"then launcher: launches each request still ACCEPTED", "already closed, RUNNING or FAILED, is acknowledged without launching"} {
		if !strings.Contains(flat(stdout), line) {
			t.Errorf("output lacks %q:\n%s", line, stdout)
		}
	}
	got := drain(t, c.sqs, src.URL)
	for _, b := range want {
		if got[b] != 1 {
			t.Fatalf("LaunchQueue holds a message %d times, want once: %.80s", got[b], b)
		}
	}
	if len(got) != len(want) {
		t.Errorf("LaunchQueue holds %d distinct messages, want %d", len(got), len(want))
	}

	// A task done before its first poll lists no handle any more: the
	// redrive still knows it as the task it started.
	for range 3 {
		sendAll(t, c.sqs, deadLetters(t, c.queue(t, "UnroutedDLQ").URL, event.TypeInstanceRunning, "Unknown", 1))
		code, stdout, stderr = c.run(t, context.Background(), "", "redrive", "UnroutedDLQ")
		if code != 0 || !strings.Contains(flat(stdout), "moved 1 message from UnroutedDLQ to UnroutedQueue (move task COMPLETED") ||
			!strings.Contains(flat(stdout), "nothing consumes UnroutedQueue") {
			t.Fatalf("redrive of one message: exit %d\n%s%s", code, stdout, stderr)
		}
	}
}

// TestDLQRedriveSelection: --type moves only the messages of that type,
// message by message; the others stay, visible.
func TestDLQRedriveSelection(t *testing.T) {
	t.Parallel()
	c := startDLQCloud(t)
	dlqQ, src := c.queue(t, "NotifyDLQ"), c.queue(t, "NotifyQueue")
	running := deadLetters(t, dlqQ.URL, event.TypeInstanceRunning, "RequestNotFound", 120)
	failed := deadLetters(t, dlqQ.URL, event.TypeLaunchFailed, "RequestNotFound", 80)
	sendAll(t, c.sqs, append(slices.Clone(running), failed...))

	code, stdout, stderr := c.run(t, context.Background(), "", "redrive", "NotifyDLQ", "--type", event.TypeLaunchFailed, "--rate", "500")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, line := range []string{"moved 80 of 80 selected messages from NotifyDLQ to NotifyQueue; the 120 others stay in NotifyDLQ",
		"a selection of messages: each is sent to NotifyQueue, then deleted here", "one closed FAILED stays FAILED"} {
		if !strings.Contains(flat(stdout), line) {
			t.Errorf("output lacks %q:\n%s", line, stdout)
		}
	}
	inSource, inDLQ := drain(t, c.sqs, src.URL), drain(t, c.sqs, dlqQ.URL)
	for _, b := range bodiesOf(failed) {
		if inSource[b] != 1 || inDLQ[b] != 0 {
			t.Fatalf("a launch.failed is %d times in NotifyQueue and %d in NotifyDLQ", inSource[b], inDLQ[b])
		}
	}
	for _, b := range bodiesOf(running) {
		if inSource[b] != 0 || inDLQ[b] != 1 {
			t.Fatalf("an instance.running is %d times in NotifyQueue and %d in NotifyDLQ", inSource[b], inDLQ[b])
		}
	}
}

// TestDLQRedriveSubscriptionDLQ: what SNS could not deliver goes to the
// subscribed queue, message by message, and to no other queue: never
// through the topic, whose other subscribers had it already.
func TestDLQRedriveSubscriptionDLQ(t *testing.T) {
	t.Parallel()
	c := startDLQCloud(t)
	subDLQ := c.queue(t, "LaunchSubscriptionDLQ")
	topic, _ := c.tmpl.Topic("EventsTopic")
	// Raw delivery to SQS carries at most 10 attributes: SNS dead-letters
	// a message with 11 (without its attributes, which SQS cannot take).
	var want []string
	for i := range 30 {
		attrs := map[string]snstypes.MessageAttributeValue{event.AttrType: {DataType: aws.String("String"), StringValue: aws.String(event.TypeLaunchRequested)}}
		for j := range 10 {
			attrs[fmt.Sprintf("extra%d", j)] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("x")}
		}
		body := envelope(t, event.TypeLaunchRequested, fmt.Sprintf("sub-%d", i), map[string]any{"n": i})
		want = append(want, body)
		if _, err := c.sns.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(topic.ARN), Message: aws.String(body), MessageAttributes: attrs}); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := depth(t, c.sqs, subDLQ.URL); v != 30 {
		t.Fatalf("LaunchSubscriptionDLQ holds %d, want the 30 SNS could not deliver", v)
	}
	code, stdout, stderr := c.run(t, context.Background(), "", "show", "LaunchSubscriptionDLQ", "--json", "--limit", "0")
	if code != 0 || !strings.Contains(stdout, `"DeliveryFailed": 30`) {
		t.Errorf("show: exit %d, want 30 DeliveryFailed\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = c.run(t, context.Background(), "", "redrive", "LaunchSubscriptionDLQ")
	if code != 0 || !strings.Contains(flat(stdout), "never re-published to the topic") || !strings.Contains(flat(stdout), "moved 30 of 30 selected messages from LaunchSubscriptionDLQ to LaunchQueue") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	got := drain(t, c.sqs, c.queue(t, "LaunchQueue").URL)
	for _, b := range want {
		if got[b] != 1 {
			t.Fatalf("LaunchQueue holds a redriven message %d times", got[b])
		}
	}
	for _, other := range []string{"WatchQueue", "NotifyQueue", "UnroutedQueue", "LaunchSubscriptionDLQ"} {
		if v, f := depth(t, c.sqs, c.queue(t, other).URL); v+f != 0 {
			t.Errorf("%s holds %d messages after the redrive, want none", other, v+f)
		}
	}
}

// interrupting is an SQS client that, after its k-th SendMessage,
// cancels a context: the redrive's (as a first Ctrl-C does) or its finish
// context (a second Ctrl-C, or a kill, between send and delete).
type interrupting struct {
	*sqs.Client
	mu     sync.Mutex
	sends  int
	k      int
	cancel context.CancelFunc
}

func (c *interrupting) SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	out, err := c.Client.SendMessage(ctx, in, opts...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sends++; c.sends == c.k {
		c.cancel()
	}
	return out, err
}

// TestDLQRedriveInterrupted: a redrive stopped between a send and its
// delete loses nothing: every message is in exactly one of the DLQ and
// the target, except at most the one it names, which is in both.
func TestDLQRedriveInterrupted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		finishToo  bool // the finish context ends too: the delete is abandoned
		wantInBoth bool
	}{
		{name: "first interrupt: the delete under way completes", finishToo: false, wantInBoth: false},
		{name: "abandoned between send and delete", finishToo: true, wantInBoth: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := startDLQCloud(t)
			dlqQ, src := c.queue(t, "WatchDLQ"), c.queue(t, "WatchQueue")
			msgs := deadLetters(t, dlqQ.URL, event.TypeInstanceLaunched, "InvalidPayload", 150)
			sendAll(t, c.sqs, msgs)
			ctx, cancel := context.WithCancel(context.Background())
			finish, abandon := context.WithCancel(context.Background())
			defer cancel()
			defer abandon()
			client := &interrupting{Client: c.sqs, k: 40, cancel: cancel}
			if tc.finishToo {
				client.cancel = func() { cancel(); abandon() }
			}
			target, err := dlq.Describe(context.Background(), c.sqs, src.URL)
			if err != nil {
				t.Fatal(err)
			}
			// A short visibility timeout: what an abandoned redrive could
			// not make visible again comes back within two seconds.
			res, err := dlq.Redrive(ctx, client, dlq.RedriveOptions{SourceURL: dlqQ.URL, Target: target,
				Scan: dlq.ScanOptions{Finish: finish, Visibility: 2 * time.Second}})
			if dlqExitCode(err) != exitInterrupted && !tc.finishToo {
				t.Fatalf("the interrupted redrive answered %v, want an interruption", err)
			}
			if err == nil || (res.InBoth != nil) != tc.wantInBoth {
				t.Fatalf("InBoth %v, want one: %v (%v)", res.InBoth, tc.wantInBoth, err)
			}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				if _, f := depth(t, c.sqs, dlqQ.URL); f == 0 {
					break
				} else if time.Now().After(deadline) {
					t.Fatalf("%d messages still in flight in WatchDLQ", f)
				}
			}
			inSource, inDLQ := drain(t, c.sqs, src.URL), drain(t, c.sqs, dlqQ.URL)
			named := ""
			if res.InBoth != nil {
				named = res.InBoth.Body
			}
			both := 0
			for _, b := range bodiesOf(msgs) {
				switch n := inSource[b] + inDLQ[b]; {
				case n == 2 && b == named:
					both++
				case n != 1:
					t.Errorf("a message is %d times in WatchQueue and %d in WatchDLQ", inSource[b], inDLQ[b])
				}
			}
			if wantMoved := 40 - both; res.Moved != wantMoved || len(inSource) != 40 {
				t.Errorf("moved %d, WatchQueue holds %d; want %d moved and 40 sent", res.Moved, len(inSource), wantMoved)
			}
			if tc.wantInBoth && (both != 1 || res.Uncertain) {
				t.Errorf("%d messages in both queues; want the named one, certainly", both)
			}
		})
	}
}

// TestDLQExportImport: export then import round-trips body, attributes
// (binary, numbers, custom types), trace header and FIFO ids byte for
// byte; importing into a FIFO queue again within its deduplication window
// adds nothing, and import says so.
func TestDLQExportImport(t *testing.T) {
	t.Parallel()
	c := startDLQCloud(t)
	ctx := context.Background()
	bodies := []string{"plain", `{"json":"<b>&amp;</b>"}`, "tab\tnewline\ncr\r\nend", "ünïcødé ✓ 🚀 \u2028 \u00a0", `"quoted" \ backslash`}
	long := strings.Repeat("long ", 40000) // one line longer than a bufio.Scanner takes by default
	mkQueue := func(name string, fifo bool) string {
		attrs := map[string]string{}
		if fifo {
			attrs["FifoQueue"] = "true"
		}
		out, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl)
	}
	for _, fifo := range []bool{false, true} {
		t.Run(map[bool]string{false: "standard", true: "fifo"}[fifo], func(t *testing.T) {
			suffix := map[bool]string{false: "", true: ".fifo"}[fifo]
			from, to := mkQueue("export-from"+suffix, fifo), mkQueue("export-to"+suffix, fifo)
			const n = 120
			for i := range n {
				body := fmt.Sprintf("%d %s", i, bodies[i%len(bodies)])
				if i == 7 {
					body = long
				}
				in := &sqs.SendMessageInput{QueueUrl: aws.String(from), MessageBody: aws.String(body),
					MessageAttributes: map[string]sqstypes.MessageAttributeValue{
						"type":        {DataType: aws.String("String"), StringValue: aws.String("launch.requested")},
						"n":           {DataType: aws.String("Number"), StringValue: aws.String(fmt.Sprintf("%d.50", i))},
						"blob":        {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 0xfe, 0xff, byte(i)}},
						"custom":      {DataType: aws.String("String.custom"), StringValue: aws.String("ü\u2028<&>")},
						"error.code":  {DataType: aws.String("String"), StringValue: aws.String("InvalidPayload")},
						"binary.kind": {DataType: aws.String("Binary.gzip"), BinaryValue: []byte("gz")},
					},
					MessageSystemAttributes: map[string]sqstypes.MessageSystemAttributeValue{
						"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(fmt.Sprintf("Root=1-5759e988-bd862e3fe1be46a9942727%02d", i%100))}},
				}
				if fifo {
					// One group each: a FIFO queue hands out nothing more of a
					// group while some of it is in flight, so a read that
					// deletes nothing sees the head of each group only.
					in.MessageGroupId, in.MessageDeduplicationId = aws.String(fmt.Sprintf("group-%03d", i)), aws.String(fmt.Sprintf("dedup-%03d", i))
				}
				if _, err := c.sqs.SendMessage(ctx, in); err != nil {
					t.Fatal(err)
				}
			}
			code, dump, stderr := c.run(t, ctx, "", "export", "--queue-url", from)
			if code != 0 || !strings.Contains(stderr, "exported 120 of 120 visible messages") {
				t.Fatalf("export: exit %d %s", code, stderr)
			}
			code, stdout, stderr := c.run(t, ctx, dump, "import", "--queue-url", to)
			if code != 0 || !strings.Contains(stdout, "imported 120 messages") {
				t.Fatalf("import: exit %d %s %s", code, stdout, stderr)
			}
			_, again, _ := c.run(t, ctx, "", "export", "--queue-url", to)
			a, b := canonical(t, dump), canonical(t, again)
			if len(a) != n || !slices.Equal(a, b) {
				t.Errorf("the export of the import differs from the export (%d and %d records)", len(a), len(b))
			}
			for _, want := range []string{`"stringValue":"ü\u2028<&>"`, `"binaryValue":"AAH+/w`, `"dataType":"Binary.gzip"`, `"awsTraceHeader":"Root=1-`} {
				if !strings.Contains(dump, want) {
					t.Errorf("the export lacks %s", want)
				}
			}
			if v, _ := depth(t, c.sqs, from); v != n {
				t.Errorf("export left %d visible of %d", v, n)
			}
			if !fifo {
				return
			}
			if !strings.Contains(stderr, "is a FIFO queue: it drops a message whose deduplication id it has taken in the last 5m0s") {
				t.Errorf("import into a FIFO queue does not warn about its deduplication window: %s", stderr)
			}
			code, _, _ = c.run(t, ctx, dump, "import", "--queue-url", to)
			if v, f := depth(t, c.sqs, to); code != 0 || v+f != n {
				t.Errorf("a second import within the window: exit %d, the queue holds %d; want %d (duplicates dropped)", code, v+f, n)
			}
		})
	}
}

// canonical is an export's records without what a queue assigns (message
// id, time), sorted, each marshalled again: equal lists mean equal bodies,
// attributes and FIFO ids, byte for byte.
func canonical(t *testing.T, dump string) []string {
	t.Helper()
	var out []string
	for line := range strings.Lines(dump) {
		var r dlq.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		r.MessageID, r.SentTimestamp = "", 0
		b, _ := json.Marshal(r)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

// TestDLQExitCodes: an unknown queue, a refused permission and an
// unreachable endpoint end with their own exit codes and say so.
func TestDLQExitCodes(t *testing.T) {
	t.Parallel()
	c := startDLQCloud(t)
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}()
	denied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("x-amzn-query-error", "AccessDenied;Sender")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"__type":"com.amazonaws.sqs#AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/x is not authorized to perform: sqs:receivemessage"}`)
	}))
	defer denied.Close()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"unknown logical id", []string{"show", "NoSuchDLQ", "--endpoint-url", c.url}, exitUnknownQueue, `unknown queue "NoSuchDLQ"`},
		{"unknown URL", []string{"show", "--queue-url", c.url + "/123456789012/nope", "--endpoint-url", c.url}, exitUnknownQueue, "has no queue nope"},
		{"unknown --to", []string{"redrive", "LaunchDLQ", "--to", "nope", "--endpoint-url", c.url}, exitUnknownQueue, `unknown queue "nope"`},
		{"unreachable endpoint", []string{"list", "--endpoint-url", closed}, exitUnreachable, "nothing answers at " + closed},
		{"unreachable, show", []string{"show", "LaunchDLQ", "--endpoint-url", closed}, exitUnreachable, "start the local mode"},
		{"access denied", []string{"show", "LaunchDLQ", "--endpoint-url", denied.URL}, exitDenied, "not authorized"},
		{"usage: no queue", []string{"show", "--endpoint-url", c.url}, exitUsage, "QUEUE missing"},
		{"usage: rate too high", []string{"redrive", "LaunchDLQ", "--rate", "501", "--endpoint-url", c.url}, exitUsage, "1 to 500"},
		{"usage: unknown command", []string{"drain"}, exitUsage, `unknown command "drain"`},
		{"help lists the exit codes", []string{"show", "-h"}, 0, "5    endpoint unreachable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runDLQCommand(context.Background(), "", append(tc.args, "--template", testTemplate)...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("exit %d, want %d; stderr %q lacks %q", code, tc.wantCode, stderr, tc.wantStderr)
			}
		})
	}
}

// TestDLQListAndPurge: list shows every DLQ of the template with its
// depth, source and alarm (none here: the test creates no alarm), the age
// of its oldest message as unknown (localcloud has no CloudWatch
// metrics); purge asks first and says what it removed.
func TestDLQListAndPurge(t *testing.T) {
	t.Parallel()
	c := startDLQCloud(t)
	notifyDLQ := c.queue(t, "NotifyDLQ")
	sendAll(t, c.sqs, deadLetters(t, notifyDLQ.URL, event.TypeLaunchFailed, "RequestNotFound", 25))

	code, stdout, stderr := c.run(t, context.Background(), "", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []listRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatal(err)
	}
	byID := map[string]listRow{}
	for _, r := range rows {
		byID[r.LogicalID] = r
	}
	wantDLQs := c.tmpl.DeadLetterQueues()
	if len(rows) != len(wantDLQs) {
		t.Errorf("list shows %d DLQs, the template has %d: %v", len(rows), len(wantDLQs), wantDLQs)
	}
	if r := byID["NotifyDLQ"]; r.Visible != 25 || !slices.Equal(r.Sources, []string{"queue NotifyQueue"}) || r.AlarmState != "none" || r.OldestSeconds != nil {
		t.Errorf("NotifyDLQ row %+v", r)
	}
	if r := byID["WatchSubscriptionDLQ"]; !slices.Equal(r.Sources, []string{"subscription WatchSubscription (EventsTopic → WatchQueue)"}) {
		t.Errorf("WatchSubscriptionDLQ sources %v", r.Sources)
	}
	code, stdout, _ = c.run(t, context.Background(), "", "list")
	if code != 0 || !strings.Contains(stdout, "OLDEST comes from CloudWatch, which did not answer for it: unknown.") ||
		!regexpMatch(`NotifyDLQ\s+25\s+0\s+unknown\s+queue NotifyQueue\s+none\s+-`, stdout) {
		t.Errorf("list table:\n%s", stdout)
	}

	code, _, stderr = c.run(t, context.Background(), "no\n", "purge", "NotifyDLQ")
	if code != exitFailed || !strings.Contains(stderr, "delete its 25 messages (25 visible, 0 in flight) for good?") {
		t.Errorf("declined purge: exit %d, %s", code, stderr)
	}
	code, _, stderr = c.run(t, context.Background(), "", "purge", "NotifyDLQ")
	if code != exitUsage || !strings.Contains(stderr, "pass --yes") {
		t.Errorf("purge without an answer: exit %d, %s", code, stderr)
	}
	if v, _ := depth(t, c.sqs, notifyDLQ.URL); v != 25 {
		t.Fatalf("a purge not confirmed removed messages: %d left", v)
	}
	code, stdout, stderr = c.run(t, context.Background(), "y\n", "purge", "NotifyDLQ")
	if code != 0 || !strings.Contains(stdout, "purged NotifyDLQ: removed the 25 messages (25 visible, 0 in flight)") {
		t.Errorf("purge: exit %d\n%s%s", code, stdout, stderr)
	}
	if v, f := depth(t, c.sqs, notifyDLQ.URL); v+f != 0 {
		t.Errorf("after purge: %d messages", v+f)
	}
}

// TestDLQExportSaysWhatItCannotRead: a FIFO queue hands out nothing more
// of a message group while part of it is in flight, so a read that deletes
// nothing cannot see a long group whole; export fails and says why rather
// than write a partial dump that looks whole.
func TestDLQExportSaysWhatItCannotRead(t *testing.T) {
	t.Parallel()
	c := startDLQCloud(t)
	out, err := c.sqs.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("groups.fifo"), Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(out.QueueUrl)
	var msgs []*sqs.SendMessageInput
	for i := range 24 {
		msgs = append(msgs, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprint("m", i)),
			MessageGroupId: aws.String(fmt.Sprint("g", i%2)), MessageDeduplicationId: aws.String(fmt.Sprint("d", i))})
	}
	sendAll(t, c.sqs, msgs)
	code, dump, stderr := c.run(t, context.Background(), "", "export", "--queue-url", url)
	if code != exitFailed || !strings.Contains(stderr, "of the 24 visible messages of groups.fifo: a FIFO queue hands out nothing more of a message group") {
		t.Errorf("export of long FIFO groups: exit %d, stderr %s", code, stderr)
	}
	if n := strings.Count(dump, "\n"); n == 0 || n >= 24 {
		t.Errorf("the dump holds %d lines, want the part it could read", n)
	}
	if v, f := depth(t, c.sqs, url); v != 24 || f != 0 {
		t.Errorf("after export: %d visible, %d in flight", v, f)
	}
}
