package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/event"
)

// TestDLQPoisonedEventsLocalMode runs the local mode with its real
// consumers, publishes hundreds of poisoned events to the events topic,
// and follows them into the DLQs with `dlq list` and `dlq show`: every one
// is there with the reason the consumer (or SNS) gave, and reading them
// changes no depth.
func TestDLQPoisonedEventsLocalMode(t *testing.T) {
	t.Parallel()
	r, err := local.Start(context.Background(), local.Options{Template: testTemplate, APIAddr: "127.0.0.1:0", CloudAddr: "127.0.0.1:0",
		Overrides: map[string]string{"LogLevel": "ERROR", "BatchingWindowSeconds": "0"}, PollWaitSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(r.CloudURL()), HTTPClient: awsenv.HTTPClient()}
	snsc, sqsc := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	topic, _ := r.Template.Topic("EventsTopic")

	attr := func(v string) snstypes.MessageAttributeValue {
		return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	var entries []snstypes.PublishBatchRequestEntry
	add := func(body string, attrs map[string]snstypes.MessageAttributeValue) {
		entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(len(entries) % 10)), Message: aws.String(body), MessageAttributes: attrs})
	}
	const invalid, malformed, unknownRequest, undeliverable = 150, 50, 100, 20
	for i := range invalid { // the launcher refuses the payload: InvalidPayload
		req := fmt.Sprintf("invalid-%03d", i)
		add(envelope(t, event.TypeLaunchRequested, req, event.LaunchRequested{RequestID: req, ImageID: "ami-12345678", InstanceType: "t3.micro", Count: 0}),
			map[string]snstypes.MessageAttributeValue{event.AttrType: attr(event.TypeLaunchRequested)})
	}
	for i := range malformed { // no envelope at all: MalformedEvent
		add(fmt.Sprintf("not an event %d", i), map[string]snstypes.MessageAttributeValue{event.AttrType: attr(event.TypeLaunchRequested)})
	}
	for i := range unknownRequest { // a terminal event of a request the store does not know: RequestNotFound
		req := fmt.Sprintf("unknown-%03d", i)
		add(envelope(t, event.TypeLaunchFailed, req, event.LaunchFailed{RequestID: req, Code: "Test", Message: "poisoned"}),
			map[string]snstypes.MessageAttributeValue{event.AttrType: attr(event.TypeLaunchFailed)})
	}
	for i := range undeliverable { // 11 attributes: raw delivery to SQS fails, SNS dead-letters it
		attrs := map[string]snstypes.MessageAttributeValue{event.AttrType: attr(event.TypeLaunchRequested)}
		for j := range 10 {
			attrs[fmt.Sprintf("x%d", j)] = attr("x")
		}
		add(envelope(t, event.TypeLaunchRequested, fmt.Sprintf("undeliverable-%d", i), map[string]any{"n": i}), attrs)
	}
	for start := 0; start < len(entries); start += 10 {
		out, err := snsc.PublishBatch(context.Background(), &sns.PublishBatchInput{TopicArn: aws.String(topic.ARN), PublishBatchRequestEntries: entries[start:min(start+10, len(entries))]})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("publish: %v %+v", err, out)
		}
	}

	want := map[string]int{"LaunchDLQ": invalid + malformed, "NotifyDLQ": unknownRequest, "LaunchSubscriptionDLQ": undeliverable}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		settled := true
		for id, n := range want {
			q, _ := r.Template.Queue(id)
			if v, _ := depth(t, sqsc, q.URL); v != n {
				settled = false
			}
		}
		if settled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the poisoned events did not all reach their DLQs in 30 s")
		}
	}

	run := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runDLQCommand(context.Background(), "", append(args, "--endpoint-url", r.CloudURL(), "--template", testTemplate)...)
		if code != 0 {
			t.Fatalf("dlq %v: exit %d\n%s", args, code, stderr)
		}
		return stdout
	}
	var rows []listRow
	if err := json.Unmarshal([]byte(run("list", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if row.Visible != want[row.LogicalID] || row.InFlight != 0 {
			t.Errorf("list: %s holds %d visible, %d in flight; want %d", row.LogicalID, row.Visible, row.InFlight, want[row.LogicalID])
		}
	}

	tests := []struct {
		queue      string
		byReason   map[string]int
		function   string
		wantPrefix string // of every request id
	}{
		{"LaunchDLQ", map[string]int{"InvalidPayload": invalid, "MalformedEvent": malformed}, event.FunctionLauncher, ""},
		{"NotifyDLQ", map[string]int{"RequestNotFound": unknownRequest}, event.FunctionNotifier, "unknown-"},
		{"LaunchSubscriptionDLQ", map[string]int{"DeliveryFailed": undeliverable}, "", "undeliverable-"},
	}
	for _, tc := range tests {
		var got struct {
			Read     int
			Messages []messageView
			ByReason map[string]int
		}
		if err := json.Unmarshal([]byte(run("show", tc.queue, "--json", "--limit", "0")), &got); err != nil {
			t.Fatal(err)
		}
		if got.Read != want[tc.queue] || len(got.Messages) != want[tc.queue] || !mapsEqual(got.ByReason, tc.byReason) {
			t.Errorf("show %s: read %d, shown %d, by reason %v; want %d and %v", tc.queue, got.Read, len(got.Messages), got.ByReason, want[tc.queue], tc.byReason)
		}
		for _, m := range got.Messages {
			if m.Reason.Function != tc.function || m.Reason.Code == "" || (m.Reason.Code != "MalformedEvent" && (m.RequestID == "" || m.EventID == "")) {
				t.Fatalf("show %s: message %+v", tc.queue, m)
			}
			if tc.wantPrefix != "" && m.RequestID[:len(tc.wantPrefix)] != tc.wantPrefix {
				t.Fatalf("show %s: request %q", tc.queue, m.RequestID)
			}
		}
		q, _ := r.Template.Queue(tc.queue)
		if v, f := depth(t, sqsc, q.URL); v != want[tc.queue] || f != 0 {
			t.Errorf("after show %s: %d visible, %d in flight; want %d visible", tc.queue, v, f, want[tc.queue])
		}
	}
}
