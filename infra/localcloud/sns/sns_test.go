package sns

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"

	"github.com/eventchain/eventchain/internal/awsenv"
)

// sent is one message a fakeQueues received.
type sent struct {
	queueARN, body   string
	attrs            map[string]awsmsg.Attribute
	groupID, dedupID string
}

// fakeQueues records deliveries; queues listed in missing fail.
type fakeQueues struct {
	mu      sync.Mutex
	sent    []sent
	missing map[string]bool
}

func (f *fakeQueues) StartSend(queueARN, body string, attrs map[string]awsmsg.Attribute, groupID, dedupID string) (func() error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.missing[queueARN] {
		return nil, errors.New("AWS.SimpleQueueService.NonExistentQueue")
	}
	f.sent = append(f.sent, sent{queueARN, body, attrs, groupID, dedupID})
	return func() error { return nil }, nil
}

func (f *fakeQueues) to(queueARN string) []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []sent
	for _, s := range f.sent {
		if s.queueARN == queueARN {
			out = append(out, s)
		}
	}
	return out
}

const (
	queueA = "arn:aws:sqs:us-east-1:123456789012:a"
	queueB = "arn:aws:sqs:us-east-1:123456789012:b"
	dlq    = "arn:aws:sqs:us-east-1:123456789012:dlq"
)

// harness serves a Service over HTTP and returns an SDK client for it.
func harness(t *testing.T, opts Options) (*Service, *awssns.Client) {
	t.Helper()
	svc, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	client := awssns.New(awssns.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   awsenv.HTTPClient(), // see its doc: a request-body race with fast servers
	})
	return svc, client
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustTopic(t *testing.T, c *awssns.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateTopic(ctx(t), &awssns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateTopic %s: %v", name, err)
	}
	return *out.TopicArn
}

func mustSubscribe(t *testing.T, c *awssns.Client, topicARN, queueARN string, attrs map[string]string) string {
	t.Helper()
	out, err := c.Subscribe(ctx(t), &awssns.SubscribeInput{TopicArn: &topicARN, Protocol: aws.String("sqs"), Endpoint: &queueARN, Attributes: attrs, ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatalf("Subscribe %s: %v", queueARN, err)
	}
	return *out.SubscriptionArn
}

func strAttr(v string) snstypes.MessageAttributeValue {
	return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func TestDeliveryShapes(t *testing.T) {
	q := &fakeQueues{}
	svc, c := harness(t, Options{Queues: q, BaseURL: "http://127.0.0.1:4566"})
	topic := mustTopic(t, c, "events", nil)
	rawSub := mustSubscribe(t, c, topic, queueA, map[string]string{"RawMessageDelivery": "true"})
	envSub := mustSubscribe(t, c, topic, queueB, nil)

	out, err := c.Publish(ctx(t), &awssns.PublishInput{
		TopicArn: &topic, Message: aws.String(`{"id":"<1>"}`), Subject: aws.String("hello"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"type":  strAttr("launch.requested"),
			"count": {DataType: aws.String("Number"), StringValue: aws.String("3")},
			"blob":  {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		},
	})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}

	t.Run("raw", func(t *testing.T) {
		got := q.to(queueA)
		if len(got) != 1 {
			t.Fatalf("raw queue got %d messages, want 1", len(got))
		}
		if got[0].body != `{"id":"<1>"}` {
			t.Errorf("raw body = %q, want the message itself", got[0].body)
		}
		want := map[string]awsmsg.Attribute{
			"type":  {DataType: "String", StringValue: "launch.requested"},
			"count": {DataType: "Number", StringValue: "3"},
			"blob":  {DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
		}
		if fmt.Sprint(got[0].attrs) != fmt.Sprint(want) {
			t.Errorf("raw attributes = %v, want %v", got[0].attrs, want)
		}
	})
	t.Run("envelope", func(t *testing.T) {
		got := q.to(queueB)
		if len(got) != 1 {
			t.Fatalf("envelope queue got %d messages, want 1", len(got))
		}
		if got[0].attrs != nil {
			t.Errorf("envelope delivery carries SQS attributes %v, want none", got[0].attrs)
		}
		if strings.Contains(got[0].body, `\u003c`) {
			t.Errorf("envelope escapes HTML characters: %s", got[0].body)
		}
		var n map[string]any
		if err := json.Unmarshal([]byte(got[0].body), &n); err != nil {
			t.Fatalf("envelope is not JSON: %v", err)
		}
		for k, want := range map[string]string{
			"Type": "Notification", "MessageId": *out.MessageId, "TopicArn": topic, "Subject": "hello",
			"Message": `{"id":"<1>"}`, "SignatureVersion": "1",
		} {
			if n[k] != want {
				t.Errorf("envelope %s = %v, want %q", k, n[k], want)
			}
		}
		for _, k := range []string{"Signature", "SigningCertURL"} {
			if s, _ := n[k].(string); s == "" {
				t.Errorf("envelope %s is empty", k)
			}
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", n["Timestamp"].(string)); err != nil {
			t.Errorf("Timestamp %v: %v", n["Timestamp"], err)
		}
		if u, _ := n["UnsubscribeURL"].(string); !strings.Contains(u, url.QueryEscape(envSub)) {
			t.Errorf("UnsubscribeURL %q does not name the subscription %s", u, envSub)
		}
		attrs, _ := json.Marshal(n["MessageAttributes"])
		wantAttrs := `{"blob":{"Type":"Binary","Value":"AAEC"},"count":{"Type":"Number","Value":"3"},"type":{"Type":"String","Value":"launch.requested"}}`
		if string(attrs) != wantAttrs {
			t.Errorf("MessageAttributes = %s, want %s", attrs, wantAttrs)
		}
	})
	t.Run("counters", func(t *testing.T) {
		ops, res := svc.Counters().Snapshot()
		if ops["Publish"].Calls != 1 || ops["Publish"].Errors != 0 {
			t.Errorf("Publish counter = %+v", ops["Publish"])
		}
		if res[topic].In != 1 || res[rawSub].Out != 1 || res[envSub].Out != 1 {
			t.Errorf("resources = %+v", res)
		}
	})
}

func TestDeliveryFailures(t *testing.T) {
	tests := []struct {
		name       string
		subAttrs   map[string]string
		msgAttrs   int
		missing    bool
		wantDLQ    int
		wantFailed int64
	}{
		{"missing queue goes to DLQ", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlq + `"}`}, 1, true, 1, 1},
		{"missing queue without DLQ is a failed delivery", nil, 1, true, 0, 1},
		{"raw delivery with 11 attributes goes to DLQ", map[string]string{"RawMessageDelivery": "true", "RedrivePolicy": `{"deadLetterTargetArn":"` + dlq + `"}`}, 11, false, 1, 1},
		{"envelope delivery carries 11 attributes", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlq + `"}`}, 11, false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := &fakeQueues{missing: map[string]bool{queueA: tc.missing}}
			svc, c := harness(t, Options{Queues: q})
			topic := mustTopic(t, c, "t", nil)
			mustSubscribe(t, c, topic, queueA, tc.subAttrs)
			attrs := map[string]snstypes.MessageAttributeValue{}
			for i := range tc.msgAttrs {
				attrs[fmt.Sprintf("a%d", i)] = strAttr("v")
			}
			if _, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m"), MessageAttributes: attrs}); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if got := len(q.to(dlq)); got != tc.wantDLQ {
				t.Errorf("DLQ got %d messages, want %d", got, tc.wantDLQ)
			}
			if tc.wantDLQ == 0 && !tc.missing && len(q.to(queueA)) != 1 {
				t.Errorf("queue got %d messages, want 1", len(q.to(queueA)))
			}
			ops, _ := svc.Counters().Snapshot()
			if ops["Deliver"].Errors != tc.wantFailed {
				t.Errorf("failed deliveries = %d, want %d", ops["Deliver"].Errors, tc.wantFailed)
			}
		})
	}
}

func TestFilterPolicyOnPublish(t *testing.T) {
	q := &fakeQueues{}
	_, c := harness(t, Options{Queues: q})
	topic := mustTopic(t, c, "t", nil)
	mustSubscribe(t, c, topic, queueA, map[string]string{"FilterPolicy": `{"type":["launch.requested"]}`, "RawMessageDelivery": "true"})
	mustSubscribe(t, c, topic, queueB, map[string]string{"FilterPolicy": `{"kind":[{"prefix":"inst"}]}`, "FilterPolicyScope": "MessageBody"})
	for _, m := range []struct {
		body, typ string
	}{{`{"kind":"instance"}`, "launch.requested"}, {`{"kind":"other"}`, "launch.failed"}, {`not json`, "launch.requested"}} {
		if _, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String(m.body),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"type": strAttr(m.typ)}}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	if got := len(q.to(queueA)); got != 2 {
		t.Errorf("attribute-filtered queue got %d, want 2", got)
	}
	if got := q.to(queueB); len(got) != 1 || !strings.Contains(got[0].body, `instance`) {
		t.Errorf("body-filtered queue got %v, want the one instance message", got)
	}
}

func TestFIFOTopic(t *testing.T) {
	q := &fakeQueues{}
	_, c := harness(t, Options{Queues: q})
	topic := mustTopic(t, c, "orders.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	mustSubscribe(t, c, topic, queueA+".fifo", map[string]string{"RawMessageDelivery": "true"})
	first, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m1"), MessageGroupId: aws.String("g")})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	dup, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m1"), MessageGroupId: aws.String("g")})
	if err != nil {
		t.Fatalf("Publish duplicate: %v", err)
	}
	if *dup.MessageId != *first.MessageId || *dup.SequenceNumber != *first.SequenceNumber {
		t.Errorf("duplicate answered %s/%s, want the first's %s/%s", *dup.MessageId, *dup.SequenceNumber, *first.MessageId, *first.SequenceNumber)
	}
	second, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m2"), MessageGroupId: aws.String("g")})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if *second.SequenceNumber <= *first.SequenceNumber {
		t.Errorf("sequence numbers %s then %s do not increase", *first.SequenceNumber, *second.SequenceNumber)
	}
	got := q.to(queueA + ".fifo")
	if len(got) != 2 || got[0].groupID != "g" || got[0].dedupID == "" {
		t.Fatalf("FIFO queue got %+v, want 2 messages with group and dedup ids", got)
	}
	_, err = c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m3")})
	assertAPIError(t, err, "InvalidParameter", "MessageGroupId parameter is required")
}

func assertAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("error = %s: %s, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func TestErrors(t *testing.T) {
	_, c := harness(t, Options{Queues: &fakeQueues{}})
	topic := mustTopic(t, c, "t", nil)
	sub := mustSubscribe(t, c, topic, queueA, nil)
	missing := "arn:aws:sns:us-east-1:123456789012:missing"
	big := strings.Repeat("x", MaxMessageBytes+1)
	tests := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"bad topic name", func() error {
			_, err := c.CreateTopic(ctx(t), &awssns.CreateTopicInput{Name: aws.String("bad name")})
			return err
		}, "InvalidParameter", "Invalid parameter: Topic Name"},
		{"fifo name without .fifo", func() error {
			_, err := c.CreateTopic(ctx(t), &awssns.CreateTopicInput{Name: aws.String("x"), Attributes: map[string]string{"FifoTopic": "true"}})
			return err
		}, "InvalidParameter", "Fifo Topic names must end with .fifo"},
		{"same name different attributes", func() error {
			_, err := c.CreateTopic(ctx(t), &awssns.CreateTopicInput{Name: aws.String("t"), Attributes: map[string]string{"DisplayName": "other"}})
			return err
		}, "InvalidParameter", "Topic already exists with different attributes"},
		{"get attributes of missing topic", func() error {
			_, err := c.GetTopicAttributes(ctx(t), &awssns.GetTopicAttributesInput{TopicArn: &missing})
			return err
		}, "NotFound", "Topic does not exist"},
		{"publish to missing topic", func() error {
			_, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &missing, Message: aws.String("m")})
			return err
		}, "NotFound", "Topic does not exist"},
		{"empty message", func() error {
			_, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("")})
			return err
		}, "InvalidParameter", "Empty message"},
		{"message too long", func() error {
			_, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: &big})
			return err
		}, "InvalidParameter", "Message too long"},
		{"attributes count toward the size", func() error {
			_, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String(big[:MaxMessageBytes-10]),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{"attr": strAttr("0123456789")}})
			return err
		}, "InvalidParameter", "Message too long"},
		{"invalid number attribute", func() error {
			_, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m"),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("x")}}})
			return err
		}, "ParameterValueInvalid", "Could not cast message attribute 'n' value to number."},
		{"invalid attribute type", func() error {
			_, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String("m"),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{"n": {DataType: aws.String("Blob"), StringValue: aws.String("x")}}})
			return err
		}, "ParameterValueInvalid", "supported type prefixes is Binary, Number, and String"},
		{"message structure without default", func() error {
			_, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String(`{"sqs":"x"}`), MessageStructure: aws.String("json")})
			return err
		}, "InvalidParameter", "No default entry in JSON message body"},
		{"invalid filter policy", func() error {
			_, err := c.SetSubscriptionAttributes(ctx(t), &awssns.SetSubscriptionAttributesInput{SubscriptionArn: &sub, AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(`{"a":[{"numeric":[">",5,"<",1]}]}`)})
			return err
		}, "InvalidParameter", "Invalid parameter: FilterPolicy: Bottom must be less than top"},
		{"unknown subscription attribute", func() error {
			_, err := c.SetSubscriptionAttributes(ctx(t), &awssns.SetSubscriptionAttributesInput{SubscriptionArn: &sub, AttributeName: aws.String("Color"), AttributeValue: aws.String("blue")})
			return err
		}, "InvalidParameter", "Invalid parameter: AttributeName"},
		{"missing subscription", func() error {
			_, err := c.GetSubscriptionAttributes(ctx(t), &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(topic + ":00000000-0000-0000-0000-000000000000")})
			return err
		}, "NotFound", "Subscription does not exist"},
		{"subscribe non-ARN endpoint", func() error {
			_, err := c.Subscribe(ctx(t), &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: aws.String("http://queue")})
			return err
		}, "InvalidParameter", "SQS endpoint ARN"},
		{"subscribe fifo queue to standard topic", func() error {
			_, err := c.Subscribe(ctx(t), &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: aws.String(queueA + ".fifo")})
			return err
		}, "InvalidParameter", "FIFO SQS Queues can not be subscribed to standard SNS topics"},
		{"resubscribe with different attributes", func() error {
			_, err := c.Subscribe(ctx(t), &awssns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("sqs"), Endpoint: aws.String(queueA), Attributes: map[string]string{"RawMessageDelivery": "true"}})
			return err
		}, "InvalidParameter", "Subscription already exists with different attributes"},
		{"empty batch", func() error {
			_, err := c.PublishBatch(ctx(t), &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{}})
			return err
		}, "EmptyBatchRequest", "doesn't contain any entries"},
		{"batch ids not distinct", func() error {
			_, err := c.PublishBatch(ctx(t), &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
				{Id: aws.String("1"), Message: aws.String("a")}, {Id: aws.String("1"), Message: aws.String("b")}}})
			return err
		}, "BatchEntryIdsNotDistinct", "same Id"},
		{"batch too many entries", func() error {
			var entries []snstypes.PublishBatchRequestEntry
			for i := range 11 {
				entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), Message: aws.String("m")})
			}
			_, err := c.PublishBatch(ctx(t), &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: entries})
			return err
		}, "TooManyEntriesInBatchRequest", "more entries than permissible"},
		{"batch too long", func() error {
			half := big[:MaxMessageBytes/2+1]
			_, err := c.PublishBatch(ctx(t), &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
				{Id: aws.String("1"), Message: &half}, {Id: aws.String("2"), Message: &half}}})
			return err
		}, "BatchRequestTooLong", "more than the limit"},
		{"tag missing topic", func() error {
			_, err := c.TagResource(ctx(t), &awssns.TagResourceInput{ResourceArn: &missing, Tags: []snstypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "ResourceNotFound", "Resource does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assertAPIError(t, tc.call(), tc.code, tc.msg)
		})
	}
}

func TestPublishBatchPartialFailure(t *testing.T) {
	q := &fakeQueues{}
	_, c := harness(t, Options{Queues: q})
	topic := mustTopic(t, c, "t", nil)
	mustSubscribe(t, c, topic, queueA, map[string]string{"RawMessageDelivery": "true"})
	out, err := c.PublishBatch(ctx(t), &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("ok"), Message: aws.String("a")},
		{Id: aws.String("bad"), Message: aws.String("")},
	}})
	if err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	if len(out.Successful) != 1 || *out.Successful[0].Id != "ok" || *out.Successful[0].MessageId == "" {
		t.Errorf("Successful = %+v", out.Successful)
	}
	if len(out.Failed) != 1 || *out.Failed[0].Id != "bad" || *out.Failed[0].Code != "InvalidParameter" || !out.Failed[0].SenderFault {
		t.Errorf("Failed = %+v", out.Failed)
	}
	if got := len(q.to(queueA)); got != 1 {
		t.Errorf("queue got %d, want 1", got)
	}
}

func TestTopicsAndSubscriptions(t *testing.T) {
	_, c := harness(t, Options{Queues: &fakeQueues{}})
	var arns []string
	for i := range 150 {
		arns = append(arns, mustTopic(t, c, fmt.Sprintf("t%03d", i), nil))
	}
	again := mustTopic(t, c, "t000", nil)
	if again != arns[0] {
		t.Errorf("CreateTopic again = %s, want %s", again, arns[0])
	}
	var listed []string
	var token *string
	pages := 0
	for {
		out, err := c.ListTopics(ctx(t), &awssns.ListTopicsInput{NextToken: token})
		if err != nil {
			t.Fatalf("ListTopics: %v", err)
		}
		pages++
		for _, tp := range out.Topics {
			listed = append(listed, *tp.TopicArn)
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if pages != 2 || len(listed) != 150 {
		t.Errorf("ListTopics gave %d topics in %d pages, want 150 in 2", len(listed), pages)
	}
	sub1 := mustSubscribe(t, c, arns[0], queueA, map[string]string{"FilterPolicy": `{"a":["1"]}`})
	if sub2 := mustSubscribe(t, c, arns[0], queueA, nil); sub2 != sub1 {
		t.Errorf("subscribing the same endpoint again = %s, want %s", sub2, sub1)
	}
	attrs, err := c.GetSubscriptionAttributes(ctx(t), &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &sub1})
	if err != nil {
		t.Fatalf("GetSubscriptionAttributes: %v", err)
	}
	for k, want := range map[string]string{"FilterPolicy": `{"a":["1"]}`, "FilterPolicyScope": "MessageAttributes", "RawMessageDelivery": "false",
		"Protocol": "sqs", "Endpoint": queueA, "TopicArn": arns[0], "PendingConfirmation": "false"} {
		if attrs.Attributes[k] != want {
			t.Errorf("subscription attribute %s = %q, want %q", k, attrs.Attributes[k], want)
		}
	}
	tattrs, err := c.GetTopicAttributes(ctx(t), &awssns.GetTopicAttributesInput{TopicArn: &arns[0]})
	if err != nil {
		t.Fatalf("GetTopicAttributes: %v", err)
	}
	if tattrs.Attributes["SubscriptionsConfirmed"] != "1" || tattrs.Attributes["TopicArn"] != arns[0] || tattrs.Attributes["Owner"] != "123456789012" {
		t.Errorf("topic attributes = %v", tattrs.Attributes)
	}
	if _, err := c.DeleteTopic(ctx(t), &awssns.DeleteTopicInput{TopicArn: &arns[0]}); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	if _, err := c.DeleteTopic(ctx(t), &awssns.DeleteTopicInput{TopicArn: &arns[0]}); err != nil {
		t.Errorf("DeleteTopic of a deleted topic: %v, want no error", err)
	}
	_, err = c.GetSubscriptionAttributes(ctx(t), &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &sub1})
	assertAPIError(t, err, "NotFound", "Subscription does not exist")
}

func TestDurableState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	open := func() *bbolt.DB {
		db, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatalf("open db: %v", err)
		}
		return db
	}
	db := open()
	q := &fakeQueues{}
	_, c := harness(t, Options{DB: db, Queues: q})
	topic := mustTopic(t, c, "t", map[string]string{"DisplayName": "shown"})
	sub := mustSubscribe(t, c, topic, queueA, map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"type":["x"]}`})
	if _, err := c.TagResource(ctx(t), &awssns.TagResourceInput{ResourceArn: &topic, Tags: []snstypes.Tag{{Key: aws.String("team"), Value: aws.String("core")}}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	gone := mustTopic(t, c, "gone", nil)
	if _, err := c.DeleteTopic(ctx(t), &awssns.DeleteTopicInput{TopicArn: &gone}); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	db.Close()

	db = open()
	defer db.Close()
	q2 := &fakeQueues{}
	_, c = harness(t, Options{DB: db, Queues: q2})
	topics, err := c.ListTopics(ctx(t), &awssns.ListTopicsInput{})
	if err != nil || len(topics.Topics) != 1 || *topics.Topics[0].TopicArn != topic {
		t.Fatalf("topics after reopen = %+v, %v; want only %s", topics, err, topic)
	}
	attrs, err := c.GetTopicAttributes(ctx(t), &awssns.GetTopicAttributesInput{TopicArn: &topic})
	if err != nil || attrs.Attributes["DisplayName"] != "shown" {
		t.Errorf("topic attributes after reopen = %v, %v", attrs, err)
	}
	tags, err := c.ListTagsForResource(ctx(t), &awssns.ListTagsForResourceInput{ResourceArn: &topic})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" {
		t.Errorf("tags after reopen = %+v, %v", tags, err)
	}
	// The reloaded subscription still filters and delivers raw.
	for _, typ := range []string{"x", "y"} {
		if _, err := c.Publish(ctx(t), &awssns.PublishInput{TopicArn: &topic, Message: aws.String(typ),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"type": strAttr(typ)}}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	if got := q2.to(queueA); len(got) != 1 || got[0].body != "x" {
		t.Errorf("deliveries after reopen = %+v, want the raw message x", got)
	}
	if _, err := c.GetSubscriptionAttributes(ctx(t), &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &sub}); err != nil {
		t.Errorf("subscription after reopen: %v", err)
	}
}

// FuzzQuery throws arbitrary form bodies at the query parser and the
// operations behind it: no input may panic, and every answer must be
// well-formed XML in SNS's shapes.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{
		"Action=CreateTopic&Name=t&Attributes.entry.1.key=FifoTopic&Attributes.entry.1.value=true",
		"Action=Publish&TopicArn=arn:aws:sns:us-east-1:123456789012:t&Message=m&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String.Array&MessageAttributes.entry.1.Value.StringValue=[1]",
		"Action=PublishBatch&TopicArn=arn:aws:sns:us-east-1:123456789012:t&PublishBatchRequestEntries.member.1.Id=1&PublishBatchRequestEntries.member.1.Message=x",
		"Action=Subscribe&TopicArn=arn:aws:sns:us-east-1:123456789012:t&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1:123456789012:q&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value={}",
		"Action=ListTopics&NextToken=-1", "Action=TagResource&Tags.member.99999999999999999999.Key=k", "%zz", "Action=Nope",
	} {
		f.Add(seed)
	}
	svc, err := New(Options{Queues: &fakeQueues{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		svc.ServeHTTP(rec, req)
		dec := xml.NewDecoder(rec.Body)
		var root xml.StartElement
		for {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("response is not XML: %v", err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				root = se
				break
			}
		}
		if root.Name.Space != Namespace {
			t.Errorf("root %v is not in the SNS namespace", root.Name)
		}
		if rec.Code == http.StatusOK && !strings.HasSuffix(root.Name.Local, "Response") {
			t.Errorf("200 with root %s", root.Name.Local)
		}
		if rec.Code != http.StatusOK && root.Name.Local != "ErrorResponse" {
			t.Errorf("status %d with root %s", rec.Code, root.Name.Local)
		}
		for {
			if _, err := dec.Token(); err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("response is not XML: %v", err)
				}
				break
			}
		}
	})
}
