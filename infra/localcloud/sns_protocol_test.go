package localcloud_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// snsTopic creates a topic and returns its ARN.
func snsTopic(t *testing.T, b backend, client *sns.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := client.CreateTopic(b.Ctx(t), &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateTopic %s: %v", name, err)
	}
	return aws.ToString(out.TopicArn)
}

// snsSubscribeQueue subscribes an SQS queue and returns the subscription ARN.
func snsSubscribeQueue(t *testing.T, b backend, client *sns.Client, topicARN, queueARN string, attrs map[string]string) string {
	t.Helper()
	out, err := client.Subscribe(b.Ctx(t), &sns.SubscribeInput{TopicArn: &topicARN, Protocol: aws.String("sqs"),
		Endpoint: &queueARN, Attributes: attrs, ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatalf("Subscribe %s: %v", queueARN, err)
	}
	return aws.ToString(out.SubscriptionArn)
}

func snsString(v string) snstypes.MessageAttributeValue {
	return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// drainQueue receives and deletes until want messages arrived or the
// deadline passed, then checks that no more come within a short wait.
func drainQueue(t *testing.T, b backend, client *sqs.Client, url string, want int) []sqstypes.Message {
	t.Helper()
	var got []sqstypes.Message
	deadline := time.Now().Add(15 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		out, err := client.ReceiveMessage(b.Ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
			WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		for _, m := range out.Messages {
			got = append(got, m)
			if _, err := client.DeleteMessage(b.Ctx(t), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("DeleteMessage: %v", err)
			}
		}
	}
	if len(got) != want {
		t.Fatalf("queue %s: got %d messages, want %d", url, len(got), want)
	}
	out, err := client.ReceiveMessage(b.Ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(out.Messages) != 0 {
		t.Fatalf("queue %s: %d unexpected extra messages, first %q", url, len(out.Messages), aws.ToString(out.Messages[0].Body))
	}
	return got
}

func bodies(msgs []sqstypes.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, aws.ToString(m.Body))
	}
	sort.Strings(out)
	return out
}

// TestSNSFanOutWithFilterPoliciesAndRawDelivery is the pipeline's own
// topology in small: consumers filter on the type attribute with raw
// delivery, an unrouted queue takes unknown or missing types, and a
// subscription without raw delivery receives the SNS envelope.
func TestSNSFanOutWithFilterPoliciesAndRawDelivery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		snsc, sqsc := b.SNS(), b.SQS()
		topic := snsTopic(t, b, snsc, "events", nil)
		launchURL, launchARN := createQueue(t, b, sqsc, "launch", nil)
		unroutedURL, unroutedARN := createQueue(t, b, sqsc, "unrouted", nil)
		bodyURL, bodyARN := createQueue(t, b, sqsc, "body-filtered", nil)
		envURL, envARN := createQueue(t, b, sqsc, "envelope", nil)
		snsSubscribeQueue(t, b, snsc, topic, launchARN, map[string]string{
			"RawMessageDelivery": "true", "FilterPolicy": `{"type":["launch.requested"]}`})
		snsSubscribeQueue(t, b, snsc, topic, unroutedARN, map[string]string{
			"RawMessageDelivery": "true", "FilterPolicy": `{"type":[{"exists":false},{"anything-but":["launch.requested","instance.launched"]}]}`})
		snsSubscribeQueue(t, b, snsc, topic, bodyARN, map[string]string{
			"RawMessageDelivery": "true", "FilterPolicyScope": "MessageBody", "FilterPolicy": `{"detail":{"size":[{"numeric":[">",10]}]}}`})
		snsSubscribeQueue(t, b, snsc, topic, envARN, nil)

		published := []struct {
			body string
			typ  string
		}{
			{`{"n":1,"detail":{"size":20}}`, "launch.requested"},
			{`{"n":2,"detail":{"size":5}}`, "mystery.event"},
			{`{"n":3}`, ""},
			{`{"n":4,"detail":{"size":11}}`, "instance.launched"},
		}
		ids := map[string]string{}
		for _, p := range published {
			attrs := map[string]snstypes.MessageAttributeValue{"correlationid": snsString("corr-" + p.body[5:6])}
			if p.typ != "" {
				attrs["type"] = snsString(p.typ)
			}
			out, err := snsc.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String(p.body), MessageAttributes: attrs})
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			ids[p.body] = aws.ToString(out.MessageId)
		}

		launch := drainQueue(t, b, sqsc, launchURL, 1)
		if got := aws.ToString(launch[0].Body); got != published[0].body {
			t.Errorf("raw body = %q, want %q", got, published[0].body)
		}
		if a := launch[0].MessageAttributes["type"]; aws.ToString(a.StringValue) != "launch.requested" || aws.ToString(a.DataType) != "String" {
			t.Errorf("raw type attribute = %+v", a)
		}
		if a := launch[0].MessageAttributes["correlationid"]; aws.ToString(a.StringValue) != "corr-1" {
			t.Errorf("raw correlationid attribute = %+v", a)
		}

		unrouted := drainQueue(t, b, sqsc, unroutedURL, 2)
		if got, want := bodies(unrouted), []string{published[1].body, published[2].body}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("unrouted bodies = %v, want %v", got, want)
		}

		byBody := drainQueue(t, b, sqsc, bodyURL, 2)
		if got, want := bodies(byBody), []string{published[0].body, published[3].body}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("body-filtered bodies = %v, want %v", got, want)
		}

		env := drainQueue(t, b, sqsc, envURL, 4)
		for _, m := range env {
			if len(m.MessageAttributes) != 0 {
				t.Errorf("envelope delivery carries SQS attributes %v", m.MessageAttributes)
			}
			var n struct {
				Type, MessageId, TopicArn, Message, Timestamp, SignatureVersion, Signature, SigningCertURL, UnsubscribeURL string
				MessageAttributes                                                                                          map[string]struct{ Type, Value string }
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
				t.Fatalf("envelope is not JSON: %v\n%s", err, aws.ToString(m.Body))
			}
			if n.Type != "Notification" || n.TopicArn != topic || n.MessageId != ids[n.Message] || n.Timestamp == "" || n.Signature == "" || n.SigningCertURL == "" {
				t.Errorf("envelope = %+v", n)
			}
			if !strings.Contains(n.UnsubscribeURL, "Unsubscribe") {
				t.Errorf("UnsubscribeURL = %q", n.UnsubscribeURL)
			}
			if a := n.MessageAttributes["correlationid"]; a.Type != "String" || !strings.HasPrefix(a.Value, "corr-") {
				t.Errorf("envelope correlationid attribute = %+v", a)
			}
		}
	})
}

func TestSNSPublishBatchFansOut(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		snsc, sqsc := b.SNS(), b.SQS()
		topic := snsTopic(t, b, snsc, "batch", nil)
		url, arn := createQueue(t, b, sqsc, "batch-q", nil)
		snsSubscribeQueue(t, b, snsc, topic, arn, map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"keep":["yes"]}`})
		var entries []snstypes.PublishBatchRequestEntry
		for i := range 10 {
			keep := "no"
			if i%2 == 0 {
				keep = "yes"
			}
			entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String(fmt.Sprintf("e%d", i)), Message: aws.String(fmt.Sprintf("m%d", i)),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{"keep": snsString(keep)}})
		}
		out, err := snsc.PublishBatch(b.Ctx(t), &sns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: entries})
		if err != nil {
			t.Fatalf("PublishBatch: %v", err)
		}
		if len(out.Successful) != 10 || len(out.Failed) != 0 {
			t.Fatalf("PublishBatch: %d successful, %d failed; want 10, 0", len(out.Successful), len(out.Failed))
		}
		got := bodies(drainQueue(t, b, sqsc, url, 5))
		if want := []string{"m0", "m2", "m4", "m6", "m8"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("delivered %v, want %v", got, want)
		}
	})
}

func TestSNSTopicAndSubscriptionLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		snsc, sqsc := b.SNS(), b.SQS()
		topic := snsTopic(t, b, snsc, "life", nil)
		if again := snsTopic(t, b, snsc, "life", nil); again != topic {
			t.Errorf("CreateTopic is not idempotent: %s then %s", topic, again)
		}
		_, arn := createQueue(t, b, sqsc, "life-q", nil)
		sub := snsSubscribeQueue(t, b, snsc, topic, arn, map[string]string{"FilterPolicy": `{"type":["a"]}`})
		if again := snsSubscribeQueue(t, b, snsc, topic, arn, nil); again != sub {
			t.Errorf("subscribing the same queue again = %s, want %s", again, sub)
		}
		if _, err := snsc.SetSubscriptionAttributes(b.Ctx(t), &sns.SetSubscriptionAttributesInput{SubscriptionArn: &sub,
			AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")}); err != nil {
			t.Fatalf("SetSubscriptionAttributes: %v", err)
		}
		attrs, err := snsc.GetSubscriptionAttributes(b.Ctx(t), &sns.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
		if err != nil {
			t.Fatalf("GetSubscriptionAttributes: %v", err)
		}
		for k, want := range map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"type":["a"]}`, "TopicArn": topic,
			"Endpoint": arn, "Protocol": "sqs", "SubscriptionArn": sub, "Owner": testAccount} {
			if attrs.Attributes[k] != want {
				t.Errorf("subscription attribute %s = %q, want %q", k, attrs.Attributes[k], want)
			}
		}
		tattrs, err := snsc.GetTopicAttributes(b.Ctx(t), &sns.GetTopicAttributesInput{TopicArn: &topic})
		if err != nil {
			t.Fatalf("GetTopicAttributes: %v", err)
		}
		if tattrs.Attributes["TopicArn"] != topic || tattrs.Attributes["Owner"] != testAccount {
			t.Errorf("topic attributes = %v", tattrs.Attributes)
		}
		if _, err := snsc.SetTopicAttributes(b.Ctx(t), &sns.SetTopicAttributesInput{TopicArn: &topic,
			AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Life")}); err != nil {
			t.Fatalf("SetTopicAttributes: %v", err)
		}
		tattrs, err = snsc.GetTopicAttributes(b.Ctx(t), &sns.GetTopicAttributesInput{TopicArn: &topic})
		if err != nil || tattrs.Attributes["DisplayName"] != "Life" {
			t.Errorf("DisplayName after set = %q, %v", tattrs.Attributes["DisplayName"], err)
		}
		list, err := snsc.ListSubscriptionsByTopic(b.Ctx(t), &sns.ListSubscriptionsByTopicInput{TopicArn: &topic})
		if err != nil || len(list.Subscriptions) != 1 || aws.ToString(list.Subscriptions[0].SubscriptionArn) != sub {
			t.Errorf("ListSubscriptionsByTopic = %+v, %v", list, err)
		}
		if _, err := snsc.Unsubscribe(b.Ctx(t), &sns.UnsubscribeInput{SubscriptionArn: &sub}); err != nil {
			t.Fatalf("Unsubscribe: %v", err)
		}
		list, err = snsc.ListSubscriptionsByTopic(b.Ctx(t), &sns.ListSubscriptionsByTopicInput{TopicArn: &topic})
		if err != nil || len(list.Subscriptions) != 0 {
			t.Errorf("ListSubscriptionsByTopic after Unsubscribe = %+v, %v", list, err)
		}
		if _, err := snsc.TagResource(b.Ctx(t), &sns.TagResourceInput{ResourceArn: &topic, Tags: []snstypes.Tag{{Key: aws.String("team"), Value: aws.String("core")}}}); err != nil {
			t.Fatalf("TagResource: %v", err)
		}
		tags, err := snsc.ListTagsForResource(b.Ctx(t), &sns.ListTagsForResourceInput{ResourceArn: &topic})
		if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "core" {
			t.Errorf("ListTagsForResource = %+v, %v", tags, err)
		}
		if _, err := snsc.DeleteTopic(b.Ctx(t), &sns.DeleteTopicInput{TopicArn: &topic}); err != nil {
			t.Fatalf("DeleteTopic: %v", err)
		}
		topics, err := snsc.ListTopics(b.Ctx(t), &sns.ListTopicsInput{})
		if err != nil || len(topics.Topics) != 0 {
			t.Errorf("ListTopics after DeleteTopic = %+v, %v", topics, err)
		}
	})
}

func TestSNSErrorCodes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		snsc, sqsc := b.SNS(), b.SQS()
		topic := snsTopic(t, b, snsc, "errs", nil)
		_, arn := createQueue(t, b, sqsc, "errs-q", nil)
		sub := snsSubscribeQueue(t, b, snsc, topic, arn, nil)
		missing := "arn:aws:sns:" + testRegion + ":" + testAccount + ":missing"
		tests := []struct {
			name string
			call func() error
			code string
		}{
			{"missing topic", func() error {
				_, err := snsc.GetTopicAttributes(b.Ctx(t), &sns.GetTopicAttributesInput{TopicArn: &missing})
				return err
			}, "NotFound"},
			{"publish to missing topic", func() error {
				_, err := snsc.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &missing, Message: aws.String("m")})
				return err
			}, "NotFound"},
			{"invalid topic name", func() error {
				_, err := snsc.CreateTopic(b.Ctx(t), &sns.CreateTopicInput{Name: aws.String("no spaces")})
				return err
			}, "InvalidParameter"},
			{"invalid filter policy", func() error {
				_, err := snsc.SetSubscriptionAttributes(b.Ctx(t), &sns.SetSubscriptionAttributesInput{SubscriptionArn: &sub,
					AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(`{"a":[{"numeric":[">",5,"<",1]}]}`)})
				return err
			}, "InvalidParameter"},
			{"batch ids not distinct", func() error {
				_, err := snsc.PublishBatch(b.Ctx(t), &sns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
					{Id: aws.String("x"), Message: aws.String("1")}, {Id: aws.String("x"), Message: aws.String("2")}}})
				return err
			}, "BatchEntryIdsNotDistinct"},
			{"batch too many entries", func() error {
				var e []snstypes.PublishBatchRequestEntry
				for i := range 11 {
					e = append(e, snstypes.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), Message: aws.String("m")})
				}
				_, err := snsc.PublishBatch(b.Ctx(t), &sns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: e})
				return err
			}, "TooManyEntriesInBatchRequest"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if got := apiCode(tc.call()); got != tc.code {
					t.Errorf("error code = %q, want %q", got, tc.code)
				}
			})
		}
	})
}

// TestSNSDeliveryFailureGoesToSubscriptionDLQ runs on localcloud only:
// moto does not honour a subscription's RedrivePolicy when delivery fails
// (it raises the queue error out of Publish instead).
func TestSNSDeliveryFailureGoesToSubscriptionDLQ(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		snsc, sqsc := b.SNS(), b.SQS()
		topic := snsTopic(t, b, snsc, "dlq-topic", nil)
		dlqURL, dlqARN := createQueue(t, b, sqsc, "sub-dlq", nil)
		okURL, okARN := createQueue(t, b, sqsc, "ok", nil)
		redrive := map[string]string{"RawMessageDelivery": "true", "RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `"}`}
		// A queue that does not exist, and raw delivery of a message with
		// more attributes than SQS accepts: both are client-side failures.
		snsSubscribeQueue(t, b, snsc, topic, "arn:aws:sqs:"+testRegion+":"+testAccount+":never-created", redrive)
		snsSubscribeQueue(t, b, snsc, topic, okARN, redrive)

		if _, err := snsc.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("few"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"type": snsString("x")}}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		many := map[string]snstypes.MessageAttributeValue{}
		for i := range 11 {
			many[fmt.Sprintf("a%02d", i)] = snsString("v")
		}
		if _, err := snsc.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("many"), MessageAttributes: many}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if got := bodies(drainQueue(t, b, sqsc, okURL, 1)); got[0] != "few" {
			t.Errorf("ok queue got %v, want [few]", got)
		}
		// "few" failed for the missing queue; "many" failed for both.
		if got, want := bodies(drainQueue(t, b, sqsc, dlqURL, 3)), []string{"few", "many", "many"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("DLQ got %v, want %v", got, want)
		}
		ops, _ := b.Cloud.SNS.Counters().Snapshot()
		if ops["Deliver"].Errors != 3 || ops["DeliverToDLQ"].Calls != 3 || ops["DeliverToDLQ"].Errors != 0 {
			t.Errorf("delivery counters = %+v / %+v", ops["Deliver"], ops["DeliverToDLQ"])
		}
	})
}

// TestSNSSubscriptionsSurviveRestart runs on localcloud with a data
// directory only: it restarts the emulator, which moto cannot do.
func TestSNSSubscriptionsSurviveRestart(t *testing.T) {
	b := newBackend(t, "localcloud-disk", localcloudOptions())
	snsc, sqsc := b.SNS(), b.SQS()
	topic := snsTopic(t, b, snsc, "durable", nil)
	url, arn := createQueue(t, b, sqsc, "durable-q", nil)
	snsSubscribeQueue(t, b, snsc, topic, arn, map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"type":["keep"]}`})
	b = restartLocal(t, b)
	snsc, sqsc = b.SNS(), b.SQS()
	for _, typ := range []string{"keep", "drop"} {
		if _, err := snsc.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String(typ),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"type": snsString(typ)}}); err != nil {
			t.Fatalf("Publish after restart: %v", err)
		}
	}
	if got := bodies(drainQueue(t, b, sqsc, url, 1)); got[0] != "keep" {
		t.Errorf("after restart the queue got %v, want [keep]", got)
	}
}

func TestSNSFIFOTopicToFIFOQueue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		snsClient, sqsClient := b.SNS(), b.SQS()
		ctx := b.Ctx(t)
		topic := snsTopic(t, b, snsClient, "orders.fifo", map[string]string{"FifoTopic": "true"})
		url, arn := createQueue(t, b, sqsClient, "orders.fifo", map[string]string{"FifoQueue": "true"})
		snsSubscribeQueue(t, b, snsClient, topic, arn, map[string]string{"RawMessageDelivery": "true"})

		publish := func(body, group, dedup string) {
			t.Helper()
			if _, err := snsClient.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String(body),
				MessageGroupId: aws.String(group), MessageDeduplicationId: aws.String(dedup)}); err != nil {
				t.Fatalf("Publish %s: %v", body, err)
			}
		}
		publish("a1", "a", "a1")
		publish("a2", "a", "a2")
		publish("a2 again", "a", "a2") // a duplicate: delivered once
		out, err := snsClient.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
			{Id: aws.String("1"), Message: aws.String("a3"), MessageGroupId: aws.String("a"), MessageDeduplicationId: aws.String("a3")},
			{Id: aws.String("2"), Message: aws.String("b1"), MessageGroupId: aws.String("b"), MessageDeduplicationId: aws.String("b1")},
		}})
		if err != nil || len(out.Failed) != 0 {
			t.Fatalf("PublishBatch: %v %+v", err, out)
		}

		// Receive one at a time, deleting each, so that group order shows.
		var got []string
		groups := map[string]string{}
		for deadline := time.Now().Add(15 * time.Second); len(got) < 4 && time.Now().Before(deadline); {
			res, err := sqsClient.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 1,
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameMessageGroupId}})
			if err != nil {
				t.Fatalf("ReceiveMessage: %v", err)
			}
			for _, m := range res.Messages {
				body := aws.ToString(m.Body)
				got = append(got, body)
				groups[body] = m.Attributes["MessageGroupId"]
				if _, err := sqsClient.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatalf("DeleteMessage: %v", err)
				}
			}
		}
		var inA []string
		for _, body := range got {
			if strings.HasPrefix(body, "a") {
				inA = append(inA, body)
			}
		}
		if strings.Join(inA, ",") != "a1,a2,a3" {
			t.Errorf("group a delivered %q, want a1,a2,a3 in order, once each (all: %q)", inA, got)
		}
		if len(got) != 4 {
			t.Errorf("delivered %q, want a1, a2, a3 and b1", got)
		}
		for body, group := range groups {
			if group != body[:1] {
				t.Errorf("%s arrived in message group %q, want %q", body, group, body[:1])
			}
		}
		if extra := drainQueue(t, b, sqsClient, url, 0); len(extra) != 0 {
			t.Errorf("extra messages %q", bodies(extra))
		}
	})
}
