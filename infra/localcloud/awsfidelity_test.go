package localcloud_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// wantAPIError asserts an SDK error's code and message.
func wantAPIError(t *testing.T, what string, err error, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: error %v, want %s %q", what, err, code, message)
		return
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != message {
		t.Errorf("%s: %s %q, want %s %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, message)
	}
}

// TestSQSAnswersAsAWS holds SQS answers to AWS's words where clients
// compare them: the invalid-name text (no final full stop), the
// empty-batch text naming the operation's entry type, a FIFO batch that
// lacks ids refused whole, and a RedrivePolicy whose maxReceiveCount was
// written as a string answered with a number.
func TestSQSAnswersAsAWS(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c, ctx := b.SQS(), b.Ctx(t)
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("no spaces allowed")})
		wantAPIError(t, "CreateQueue with a bad name", err, "InvalidParameterValue",
			"Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")

		url, _ := createQueue(t, b, c, "plain", nil)
		_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.SendMessageBatchRequestEntry{}})
		wantAPIError(t, "empty SendMessageBatch", err, "AWS.SimpleQueueService.EmptyBatchRequest",
			"There should be at least one SendMessageBatchRequestEntry in the request.")
		_, err = c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.DeleteMessageBatchRequestEntry{}})
		wantAPIError(t, "empty DeleteMessageBatch", err, "AWS.SimpleQueueService.EmptyBatchRequest",
			"There should be at least one DeleteMessageBatchRequestEntry in the request.")

		_, dlqARN := createQueue(t, b, c, "plain-dlq", nil)
		policy := `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"4"}`
		if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"RedrivePolicy": policy}}); err != nil {
			t.Fatalf("SetQueueAttributes: %v", err)
		}
		got, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameRedrivePolicy}})
		if err != nil {
			t.Fatalf("GetQueueAttributes: %v", err)
		}
		var rp map[string]any
		if err := json.Unmarshal([]byte(got.Attributes["RedrivePolicy"]), &rp); err != nil || rp["maxReceiveCount"] != float64(4) {
			t.Errorf("RedrivePolicy = %s, want maxReceiveCount as the number 4", got.Attributes["RedrivePolicy"])
		}
		// moto writes the policy anew; SQS, and localcloud, keep what
		// the client wrote but for the number.
		if want := `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":4}`; b.IsLocal && got.Attributes["RedrivePolicy"] != want {
			t.Errorf("RedrivePolicy = %s, want %s", got.Attributes["RedrivePolicy"], want)
		}
	})
}

// TestEmptyChangeMessageVisibilityBatch runs on localcloud only: moto
// accepts an empty ChangeMessageVisibilityBatch, where the SQS API
// Reference lists for it "EmptyBatchRequest: The batch request doesn't
// contain any entries. HTTP Status Code: 400", as for the other two
// batch calls, whose text moto and SQS share.
func TestEmptyChangeMessageVisibilityBatch(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		c := b.SQS()
		url, _ := createQueue(t, b, c, "plain", nil)
		_, err := c.ChangeMessageVisibilityBatch(b.Ctx(t), &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.ChangeMessageVisibilityBatchRequestEntry{}})
		wantAPIError(t, "empty ChangeMessageVisibilityBatch", err, "AWS.SimpleQueueService.EmptyBatchRequest",
			"There should be at least one ChangeMessageVisibilityBatchRequestEntry in the request.")
	})
}

// TestFIFOBatchWithoutIDsFailsWhole: SQS and SNS refuse a FIFO batch
// whose entry lacks a message group id, or a deduplication id without
// content-based deduplication, as a whole request; nothing is sent.
func TestFIFOBatchWithoutIDsFailsWhole(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c, ctx := b.SQS(), b.Ctx(t)
		url, _ := createQueue(t, b, c, "orders.fifo", map[string]string{"FifoQueue": "true"})
		_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.SendMessageBatchRequestEntry{
			{Id: aws.String("ok"), MessageBody: aws.String("a"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d1")},
			{Id: aws.String("nogroup"), MessageBody: aws.String("b"), MessageDeduplicationId: aws.String("d2")},
		}})
		wantAPIError(t, "FIFO SendMessageBatch without a group", err, "MissingParameter", "The request must contain the parameter MessageGroupId.")
		_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.SendMessageBatchRequestEntry{
			{Id: aws.String("ok"), MessageBody: aws.String("a"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d1")},
			{Id: aws.String("nodedup"), MessageBody: aws.String("b"), MessageGroupId: aws.String("g")},
		}})
		wantAPIError(t, "FIFO SendMessageBatch without a deduplication id", err, "InvalidParameterValue",
			"The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		if out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10}); err != nil || len(out.Messages) != 0 {
			t.Errorf("after refused batches the queue holds %d messages (%v), want none", len(out.Messages), err)
		}

		n := b.SNS()
		topic, err := n.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders.fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
		if err != nil {
			t.Fatalf("CreateTopic: %v", err)
		}
		_, err = n.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
			{Id: aws.String("ok"), Message: aws.String("a"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d1")},
			{Id: aws.String("nogroup"), Message: aws.String("b"), MessageDeduplicationId: aws.String("d2")},
		}})
		wantAPIError(t, "FIFO PublishBatch without a group", err, "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
	})
}

// TestSubscribeChecksTheTopicFirst: an unknown topic is NotFound whatever
// the endpoint, and a FIFO queue on a standard topic is refused in SNS's
// words.
func TestSubscribeChecksTheTopicFirst(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		n, ctx := b.SNS(), b.Ctx(t)
		_, err := n.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:missing"),
			Protocol: aws.String("sqs"), Endpoint: aws.String("not-an-arn")})
		wantAPIError(t, "Subscribe to an unknown topic", err, "NotFound", "Topic does not exist")

		topic, err := n.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("standard")})
		if err != nil {
			t.Fatalf("CreateTopic: %v", err)
		}
		_, qARN := createQueue(t, b, b.SQS(), "orders.fifo", map[string]string{"FifoQueue": "true"})
		_, err = n.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qARN)})
		wantAPIError(t, "Subscribe a FIFO queue to a standard topic", err, "InvalidParameter",
			"Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
	})
}
