package localcloud_test

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// createQueue creates a queue and returns its URL and ARN.
func createQueue(t *testing.T, b backend, client *sqs.Client, name string, attrs map[string]string) (string, string) {
	t.Helper()
	ctx := b.Ctx(t)
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	got, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl), got.Attributes["QueueArn"]
}

// apiCode returns the error code an SDK error carries ("" for nil).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestSQSCreateQueueAndGetURL(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, arn := createQueue(t, b, client, "orders", nil)
		if want := "arn:aws:sqs:" + testRegion + ":" + testAccount + ":orders"; arn != want {
			t.Errorf("QueueArn = %q, want %q", arn, want)
		}
		got, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
		if err != nil {
			t.Fatalf("GetQueueUrl: %v", err)
		}
		if aws.ToString(got.QueueUrl) != url {
			t.Errorf("GetQueueUrl = %q, CreateQueue said %q", aws.ToString(got.QueueUrl), url)
		}
		// Creating again with the same attributes returns the same queue.
		again, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})
		if err != nil || aws.ToString(again.QueueUrl) != url {
			t.Errorf("CreateQueue again = %v, %v; want %s", aws.ToString(again.QueueUrl), err, url)
		}
	})
}

func TestSQSMissingQueueErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		_, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("absent")})
		var notExist *sqstypes.QueueDoesNotExist
		if !errors.As(err, &notExist) {
			t.Errorf("GetQueueUrl of a missing queue: %v, want QueueDoesNotExist", err)
		}
		url, _ := createQueue(t, b, client, "present", nil)
		_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url + "-gone"), MessageBody: aws.String("x")})
		if !errors.As(err, &notExist) {
			t.Errorf("SendMessage to a missing queue: %v, want QueueDoesNotExist", err)
		}
	})
}

func TestSQSListQueues(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		for _, n := range []string{"list-a", "list-b", "list-c", "other"} {
			createQueue(t, b, client, n, nil)
		}
		out, err := client.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("list-")})
		if err != nil {
			t.Fatalf("ListQueues: %v", err)
		}
		if len(out.QueueUrls) != 3 {
			t.Errorf("ListQueues prefix list- = %v, want 3 queues", out.QueueUrls)
		}
	})
}

// moto 5.2 ignores MaxResults on ListQueues.
func TestSQSListQueuesPagination(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		for _, n := range []string{"list-a", "list-b", "list-c", "other"} {
			createQueue(t, b, client, n, nil)
		}
		seen := map[string]bool{}
		var token *string
		for page := 0; page < 5; page++ {
			out, err := client.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("list-"), MaxResults: aws.Int32(2), NextToken: token})
			if err != nil {
				t.Fatalf("ListQueues page %d: %v", page, err)
			}
			if len(out.QueueUrls) > 2 {
				t.Errorf("page %d has %d queues, MaxResults was 2", page, len(out.QueueUrls))
			}
			for _, u := range out.QueueUrls {
				seen[u] = true
			}
			if token = out.NextToken; token == nil {
				break
			}
		}
		if len(seen) != 3 {
			t.Errorf("pagination saw %d distinct queues, want 3: %v", len(seen), seen)
		}
	})
}

func TestSQSSendReceiveDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "work", nil)
		attrs := map[string]sqstypes.MessageAttributeValue{
			"type":    {DataType: aws.String("String"), StringValue: aws.String("launch.requested")},
			"n":       {DataType: aws.String("Number"), StringValue: aws.String("42")},
			"blob":    {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 255}},
			"trace.x": {DataType: aws.String("String.custom"), StringValue: aws.String("héllo")},
		}
		sent, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("hello"), MessageAttributes: attrs})
		if err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
		if aws.ToString(sent.MD5OfMessageBody) != md5hex("hello") {
			t.Errorf("MD5OfMessageBody = %s", aws.ToString(sent.MD5OfMessageBody))
		}
		got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url),
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(got.Messages) != 1 {
			t.Fatalf("received %d messages, want 1", len(got.Messages))
		}
		m := got.Messages[0]
		if aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) || aws.ToString(m.Body) != "hello" {
			t.Errorf("received %s %q, sent %s", aws.ToString(m.MessageId), aws.ToString(m.Body), aws.ToString(sent.MessageId))
		}
		if aws.ToString(m.MD5OfMessageAttributes) != aws.ToString(sent.MD5OfMessageAttributes) || aws.ToString(sent.MD5OfMessageAttributes) == "" {
			t.Errorf("MD5OfMessageAttributes received %s, sent %s", aws.ToString(m.MD5OfMessageAttributes), aws.ToString(sent.MD5OfMessageAttributes))
		}
		if v := m.MessageAttributes["blob"].BinaryValue; string(v) != string([]byte{0, 1, 255}) {
			t.Errorf("binary attribute = %v", v)
		}
		if v := aws.ToString(m.MessageAttributes["trace.x"].StringValue); v != "héllo" {
			t.Errorf("custom string attribute = %q", v)
		}
		if m.Attributes["ApproximateReceiveCount"] != "1" {
			t.Errorf("ApproximateReceiveCount = %q, want 1", m.Attributes["ApproximateReceiveCount"])
		}
		sentAt, _ := strconv.ParseInt(m.Attributes["SentTimestamp"], 10, 64)
		if d := time.Since(time.UnixMilli(sentAt)); d < 0 || d > time.Minute {
			t.Errorf("SentTimestamp %s is %v from now", m.Attributes["SentTimestamp"], d)
		}
		if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatalf("DeleteMessage: %v", err)
		}
		again, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 0})
		if err != nil || len(again.Messages) != 0 {
			t.Errorf("after delete: %d messages, %v", len(again.Messages), err)
		}
	})
}

func TestSQSMessageAttributeSelection(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "select", nil)
		attrs := map[string]sqstypes.MessageAttributeValue{
			"bar.x": {DataType: aws.String("String"), StringValue: aws.String("x")},
			"bar.y": {DataType: aws.String("String"), StringValue: aws.String("y")},
			"other": {DataType: aws.String("String"), StringValue: aws.String("o")},
		}
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("b"), MessageAttributes: attrs}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
		got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: []string{"bar.*"}})
		if err != nil || len(got.Messages) != 1 {
			t.Fatalf("ReceiveMessage: %v, %d messages", err, len(got.Messages))
		}
		m := got.Messages[0]
		if len(m.MessageAttributes) != 2 || m.MessageAttributes["other"].DataType != nil {
			t.Errorf("bar.* selected %v, want bar.x and bar.y", m.MessageAttributes)
		}
	})
}

func TestSQSBatchOperations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "batch", nil)
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i := range 10 {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprintf("m%d", i)), MessageBody: aws.String(fmt.Sprintf("body %d", i))})
		}
		sent, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil {
			t.Fatalf("SendMessageBatch: %v", err)
		}
		if len(sent.Successful) != 10 || len(sent.Failed) != 0 {
			t.Fatalf("SendMessageBatch: %d ok, %d failed", len(sent.Successful), len(sent.Failed))
		}
		_, err = client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String("m10"), MessageBody: aws.String("x")})})
		var tooMany *sqstypes.TooManyEntriesInBatchRequest
		if !errors.As(err, &tooMany) {
			t.Errorf("11 entries: %v, want TooManyEntriesInBatchRequest", err)
		}
		_, err = client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.SendMessageBatchRequestEntry{
			{Id: aws.String("same"), MessageBody: aws.String("a")}, {Id: aws.String("same"), MessageBody: aws.String("b")}}})
		var notDistinct *sqstypes.BatchEntryIdsNotDistinct
		if !errors.As(err, &notDistinct) {
			t.Errorf("repeated ids: %v, want BatchEntryIdsNotDistinct", err)
		}
		received := map[string]string{}
		for len(received) < 10 {
			got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				t.Fatalf("ReceiveMessage: %v", err)
			}
			if len(got.Messages) == 0 {
				break
			}
			for _, m := range got.Messages {
				received[aws.ToString(m.Body)] = aws.ToString(m.ReceiptHandle)
			}
		}
		if len(received) != 10 {
			t.Fatalf("received %d distinct messages, want 10", len(received))
		}
		var del []sqstypes.DeleteMessageBatchRequestEntry
		i := 0
		for _, h := range received {
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprintf("d%d", i)), ReceiptHandle: aws.String(h)})
			i++
		}
		out, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
		if err != nil || len(out.Successful) != 10 {
			t.Fatalf("DeleteMessageBatch: %v, %d ok, failed %v", err, len(out.Successful), out.Failed)
		}
		attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"All"}})
		if err != nil {
			t.Fatalf("GetQueueAttributes: %v", err)
		}
		if attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
			t.Errorf("after deleting all: %v", attrs.Attributes)
		}
	})
}

func TestSQSVisibilityTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "vis", map[string]string{"VisibilityTimeout": "1"})
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("v")}); err != nil {
			t.Fatal(err)
		}
		first, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if err != nil || len(first.Messages) != 1 {
			t.Fatalf("first receive: %v %d", err, len(first.Messages))
		}
		hidden, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if err != nil || len(hidden.Messages) != 0 {
			t.Fatalf("while in flight: %v, %d messages", err, len(hidden.Messages))
		}
		// Long polling returns the message once its visibility ends.
		start := time.Now()
		second, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
		if err != nil || len(second.Messages) != 1 {
			t.Fatalf("second receive: %v %d", err, len(second.Messages))
		}
		if time.Since(start) > 4*time.Second {
			t.Errorf("message came back after %v, visibility timeout is 1s", time.Since(start))
		}
		if c := second.Messages[0].Attributes["ApproximateReceiveCount"]; c != "2" {
			t.Errorf("ApproximateReceiveCount = %s, want 2", c)
		}
		// ChangeMessageVisibility to 0 makes it visible at once.
		if _, err := client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: second.Messages[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			t.Fatalf("ChangeMessageVisibility: %v", err)
		}
		third, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if err != nil || len(third.Messages) != 1 {
			t.Fatalf("after visibility 0: %v %d", err, len(third.Messages))
		}
	})
}

func TestSQSLongPollWakesOnSend(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "poll", nil)
		go func() {
			time.Sleep(500 * time.Millisecond)
			_, _ = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("late")})
		}()
		start := time.Now()
		got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 10})
		if err != nil || len(got.Messages) != 1 {
			t.Fatalf("long poll: %v, %d messages", err, len(got.Messages))
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("long poll returned after %v, the send came after 0.5s", d)
		}
	})
}

func TestSQSDelaySeconds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "delay", nil)
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("d"), DelaySeconds: 2}); err != nil {
			t.Fatal(err)
		}
		now, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if err != nil || len(now.Messages) != 0 {
			t.Fatalf("delayed message received early: %v %d", err, len(now.Messages))
		}
		attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
		if err != nil || attrs.Attributes["ApproximateNumberOfMessagesDelayed"] != "1" {
			t.Errorf("delayed count: %v %v", attrs, err)
		}
		later, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5})
		if err != nil || len(later.Messages) != 1 {
			t.Fatalf("after the delay: %v %d", err, len(later.Messages))
		}
	})
}

func TestSQSFIFOOrderAndGroups(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "jobs.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
		for i := range 3 {
			for _, g := range []string{"a", "b"} {
				if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprintf("%s%d", g, i)), MessageGroupId: aws.String(g)}); err != nil {
					t.Fatalf("SendMessage: %v", err)
				}
			}
		}
		// A duplicate body (content-based deduplication) is not enqueued again.
		dup, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("a0"), MessageGroupId: aws.String("a")})
		if err != nil {
			t.Fatalf("duplicate send: %v", err)
		}
		_ = dup
		got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 1, VisibilityTimeout: 30})
		if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "a0" {
			t.Fatalf("first FIFO receive: %v %v", err, got)
		}
		// Group a is blocked while a0 is in flight: the next receives give b in order.
		var bodies []string
		for range 3 {
			r, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 1, VisibilityTimeout: 30})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range r.Messages {
				bodies = append(bodies, aws.ToString(m.Body))
			}
		}
		if fmt.Sprint(bodies) != "[b0]" {
			t.Errorf("while a0 and then b0 are in flight, receives gave %v, want [b0]", bodies)
		}
		if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
		next, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		var rest []string
		for _, m := range next.Messages {
			rest = append(rest, aws.ToString(m.Body))
		}
		if fmt.Sprint(rest) != "[a1 a2]" {
			t.Errorf("after deleting a0: %v, want [a1 a2] (the duplicate a0 must not reappear)", rest)
		}
	})
}

func TestSQSFIFOValidation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "strict.fifo", map[string]string{"FifoQueue": "true"})
		_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
		if apiCode(err) != "InvalidParameterValue" {
			t.Errorf("no deduplication id and no content deduplication: %v, want InvalidParameterValue", err)
		}
		_, err = client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
		if apiCode(err) != "MissingParameter" {
			t.Errorf("no group id: %v, want MissingParameter", err)
		}
		_, err = client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("plain"), Attributes: map[string]string{"FifoQueue": "true"}})
		if err == nil {
			t.Errorf("FifoQueue=true without .fifo suffix was accepted")
		}
	})
}

func TestSQSRedriveToDLQ(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		dlqURL, dlqARN := createQueue(t, b, client, "work-dlq", nil)
		policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, dlqARN)
		url, _ := createQueue(t, b, client, "work", map[string]string{"RedrivePolicy": policy, "VisibilityTimeout": "0"})
		sent, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("poison")})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 2; i++ {
			got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
			if err != nil || len(got.Messages) != 1 {
				t.Fatalf("receive %d: %v %d", i, err, len(got.Messages))
			}
		}
		// The third receive exceeds maxReceiveCount: the message moves.
		got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if err != nil || len(got.Messages) != 0 {
			t.Fatalf("receive after maxReceiveCount: %v, %d messages", err, len(got.Messages))
		}
		dead, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), WaitTimeSeconds: 2})
		if err != nil || len(dead.Messages) != 1 {
			t.Fatalf("DLQ receive: %v %d", err, len(dead.Messages))
		}
		if aws.ToString(dead.Messages[0].MessageId) != aws.ToString(sent.MessageId) || aws.ToString(dead.Messages[0].Body) != "poison" {
			t.Errorf("DLQ holds %s %q, sent %s", aws.ToString(dead.Messages[0].MessageId), aws.ToString(dead.Messages[0].Body), aws.ToString(sent.MessageId))
		}
		src, err := client.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlqURL)})
		if err != nil || len(src.QueueUrls) != 1 || src.QueueUrls[0] != url {
			t.Errorf("ListDeadLetterSourceQueues = %v, %v; want [%s]", src, err, url)
		}
	})
}

func TestSQSTagsAndAttributes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "tagged", nil)
		if _, err := client.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"team": "core", "env": "dev"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(url), TagKeys: []string{"env"}}); err != nil {
			t.Fatal(err)
		}
		tags, err := client.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
		if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "core" {
			t.Errorf("ListQueueTags = %v, %v", tags.Tags, err)
		}
		if _, err := client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"VisibilityTimeout": "45", "DelaySeconds": "3"}}); err != nil {
			t.Fatal(err)
		}
		attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]string{"VisibilityTimeout": "45", "DelaySeconds": "3", "MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0"} {
			if attrs.Attributes[k] != want {
				t.Errorf("%s = %q, want %q", k, attrs.Attributes[k], want)
			}
		}
		for _, k := range []string{"CreatedTimestamp", "LastModifiedTimestamp", "QueueArn", "ApproximateNumberOfMessages"} {
			if attrs.Attributes[k] == "" {
				t.Errorf("attribute %s missing from All", k)
			}
		}
		// moto 5.2 accepts out-of-range attribute values, so this is checked on localcloud only.
		_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"VisibilityTimeout": "50000"}})
		if b.IsLocal && apiCode(err) != "InvalidAttributeValue" {
			t.Errorf("VisibilityTimeout 50000: %v, want InvalidAttributeValue", err)
		}
	})
}

func TestSQSInvalidReceiptHandle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "handles", nil)
		_, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("not-a-handle")})
		var invalid *sqstypes.ReceiptHandleIsInvalid
		if !errors.As(err, &invalid) {
			t.Errorf("DeleteMessage with a bad handle: %v, want ReceiptHandleIsInvalid", err)
		}
	})
}

// The tests below run on localcloud only.

// moto_server 5.2 answers StartMessageMoveTask with HTTP 500 (docs/architecture.md, "Tests").
func TestSQSMessageMoveTask(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		dlqURL, dlqARN := createQueue(t, b, client, "src-dlq", nil)
		srcURL, srcARN := createQueue(t, b, client, "src", map[string]string{
			"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1}`, dlqARN), "VisibilityTimeout": "0"})
		for i := range 3 {
			if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(srcURL), MessageBody: aws.String(fmt.Sprint(i))}); err != nil {
				t.Fatal(err)
			}
		}
		// Two receives each: the second moves the messages to the DLQ.
		for range 6 {
			if _, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(srcURL), MaxNumberOfMessages: 10}); err != nil {
				t.Fatal(err)
			}
		}
		if n := queueDepth(t, b, client, dlqURL); n != 3 {
			t.Fatalf("DLQ depth %d, want 3", n)
		}
		_, err := client.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(srcARN)})
		if apiCode(err) != "InvalidParameterValue" {
			t.Errorf("move task from a queue that is no DLQ: %v, want InvalidParameterValue", err)
		}
		task, err := client.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN)})
		if err != nil {
			t.Fatalf("StartMessageMoveTask: %v", err)
		}
		if aws.ToString(task.TaskHandle) == "" {
			t.Fatal("no TaskHandle")
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			list, err := client.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqARN)})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Results) == 1 && aws.ToString(list.Results[0].Status) == "COMPLETED" {
				if list.Results[0].ApproximateNumberOfMessagesMoved != 3 {
					t.Errorf("moved %d, want 3", list.Results[0].ApproximateNumberOfMessagesMoved)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("task not completed: %+v", list.Results)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if n := queueDepth(t, b, client, srcURL); n != 3 {
			t.Errorf("source depth after redrive %d, want 3", n)
		}
		_, err = client.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String("bogus")})
		var nf *sqstypes.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("cancel of an unknown task: %v, want ResourceNotFoundException", err)
		}
	})
}

func queueDepth(t *testing.T, b backend, client *sqs.Client, url string) int {
	t.Helper()
	attrs, err := client.GetQueueAttributes(b.Ctx(t), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	n, _ := strconv.Atoi(attrs.Attributes["ApproximateNumberOfMessages"])
	return n
}

// moto does not limit PurgeQueue to once per 60 seconds.
func TestSQSPurgeQueueOncePerMinute(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "purge", nil)
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("p")}); err != nil {
			t.Fatal(err)
		}
		if _, err := client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
			t.Fatal(err)
		}
		if n := queueDepth(t, b, client, url); n != 0 {
			t.Errorf("depth after purge %d", n)
		}
		_, err := client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
		var inProgress *sqstypes.PurgeQueueInProgress
		if !errors.As(err, &inProgress) {
			t.Errorf("second purge within 60s: %v, want PurgeQueueInProgress", err)
		}
	})
}

// Restarting is a property of localcloud's data directory; moto keeps no state.
func TestSQSStateSurvivesRestart(t *testing.T) {
	b := newBackend(t, "localcloud-disk", localcloudOptions())
	client := b.SQS()
	ctx := b.Ctx(t)
	url, _ := createQueue(t, b, client, "durable", map[string]string{"VisibilityTimeout": "1"})
	for _, body := range []string{"one", "two"} {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v", err)
	}
	restartLocal(t, b)
	all := map[string]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for len(all) < 2 && time.Now().Before(deadline) {
		r, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30})
		if err != nil {
			t.Fatalf("receive after restart: %v", err)
		}
		for _, m := range r.Messages {
			all[aws.ToString(m.Body)] = true
		}
	}
	if !all["one"] || !all["two"] {
		t.Errorf("after restart received %v, want both messages (the in-flight one after its timeout)", all)
	}
}

// moto_server 5.2 does not model stale receipt handles: it deletes and
// changes the visibility of a message with a handle from any earlier
// receive. SQS does neither.
func TestSQSStaleReceiptHandle(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		url, _ := createQueue(t, b, client, "stale", nil)
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("twice")}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
		receiveOne := func(what string) string {
			t.Helper()
			out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
			if err != nil || len(out.Messages) != 1 {
				t.Fatalf("%s receive: %v, %d messages", what, err, len(out.Messages))
			}
			return aws.ToString(out.Messages[0].ReceiptHandle)
		}
		// The first receive's handle makes the message visible again;
		// the second receive gets it and makes the first handle stale.
		old := receiveOne("first")
		if _, err := client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(old), VisibilityTimeout: 0}); err != nil {
			t.Fatalf("ChangeMessageVisibility with the first handle before the second receive: %v", err)
		}
		latest := receiveOne("second")
		if old == latest {
			t.Fatal("two receives gave the same receipt handle")
		}
		held := func() int {
			t.Helper()
			attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
			if err != nil {
				t.Fatalf("GetQueueAttributes: %v", err)
			}
			visible, _ := strconv.Atoi(attrs.Attributes["ApproximateNumberOfMessages"])
			hidden, _ := strconv.Atoi(attrs.Attributes["ApproximateNumberOfMessagesNotVisible"])
			return visible + hidden
		}
		_, err := client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(old), VisibilityTimeout: 60})
		if apiCode(err) != "InvalidParameterValue" {
			t.Errorf("ChangeMessageVisibility with the stale handle: %v, want InvalidParameterValue", err)
		}
		batch, err := client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url),
			Entries: []sqstypes.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("old"), ReceiptHandle: aws.String(old), VisibilityTimeout: 60}}})
		if err != nil || len(batch.Failed) != 1 || aws.ToString(batch.Failed[0].Code) != "InvalidParameterValue" {
			t.Errorf("ChangeMessageVisibilityBatch with the stale handle: %v %+v, want one InvalidParameterValue failure", err, batch)
		}
		// A stale handle deletes nothing, yet the call succeeds.
		if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(old)}); err != nil {
			t.Fatalf("DeleteMessage with the stale handle: %v, want success", err)
		}
		del, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url),
			Entries: []sqstypes.DeleteMessageBatchRequestEntry{{Id: aws.String("old"), ReceiptHandle: aws.String(old)}}})
		if err != nil || len(del.Successful) != 1 {
			t.Fatalf("DeleteMessageBatch with the stale handle: %v %+v, want success", err, del)
		}
		if n := held(); n != 1 {
			t.Fatalf("after deletes with the stale handle the queue holds %d messages, want 1", n)
		}
		// The latest handle still works: it changes the visibility, and a
		// delete with it removes the message.
		if _, err := client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(latest), VisibilityTimeout: 0}); err != nil {
			t.Errorf("ChangeMessageVisibility with the latest handle: %v", err)
		}
		if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(latest)}); err != nil {
			t.Fatalf("DeleteMessage with the latest handle: %v", err)
		}
		if n := held(); n != 0 {
			t.Errorf("after a delete with the latest handle the queue holds %d messages, want 0", n)
		}
		// A handle of a deleted message cannot change its visibility.
		_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(latest), VisibilityTimeout: 60})
		if apiCode(err) != "InvalidParameterValue" {
			t.Errorf("ChangeMessageVisibility of a deleted message: %v, want InvalidParameterValue", err)
		}
	})
}
