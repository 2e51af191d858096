package sqs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Request and response shapes of the AWS JSON 1.0 protocol. Member names
// are the model's (see service/sqs/schemas in the Go SDK); optional
// numbers are pointers so that "absent" and 0 differ.

type attributeValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

type queueRef struct {
	QueueURL *string `json:"QueueUrl"`
}

type createQueueInput struct {
	QueueName  *string           `json:"QueueName"`
	Attributes map[string]string `json:"Attributes"`
	Tags       map[string]string `json:"tags"`
}

type getQueueURLInput struct {
	QueueName              *string `json:"QueueName"`
	QueueOwnerAWSAccountID *string `json:"QueueOwnerAWSAccountId"`
}

type listQueuesInput struct {
	QueueNamePrefix *string `json:"QueueNamePrefix"`
	NextToken       *string `json:"NextToken"`
	MaxResults      *int    `json:"MaxResults"`
}

type getQueueAttributesInput struct {
	QueueURL       *string  `json:"QueueUrl"`
	AttributeNames []string `json:"AttributeNames"`
}

type setQueueAttributesInput struct {
	QueueURL   *string           `json:"QueueUrl"`
	Attributes map[string]string `json:"Attributes"`
}

type tagQueueInput struct {
	QueueURL *string           `json:"QueueUrl"`
	Tags     map[string]string `json:"Tags"`
}

type untagQueueInput struct {
	QueueURL *string  `json:"QueueUrl"`
	TagKeys  []string `json:"TagKeys"`
}

type sendMessageInput struct {
	QueueURL                *string                   `json:"QueueUrl"`
	MessageBody             *string                   `json:"MessageBody"`
	DelaySeconds            *int                      `json:"DelaySeconds"`
	MessageAttributes       map[string]attributeValue `json:"MessageAttributes"`
	MessageSystemAttributes map[string]attributeValue `json:"MessageSystemAttributes"`
	MessageDeduplicationID  *string                   `json:"MessageDeduplicationId"`
	MessageGroupID          *string                   `json:"MessageGroupId"`
}

type sendMessageBatchEntry struct {
	ID *string `json:"Id"`
	sendMessageInput
}

type sendMessageBatchInput struct {
	QueueURL *string                 `json:"QueueUrl"`
	Entries  []sendMessageBatchEntry `json:"Entries"`
}

type receiveMessageInput struct {
	QueueURL                    *string  `json:"QueueUrl"`
	AttributeNames              []string `json:"AttributeNames"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames"`
	MessageAttributeNames       []string `json:"MessageAttributeNames"`
	MaxNumberOfMessages         *int     `json:"MaxNumberOfMessages"`
	VisibilityTimeout           *int     `json:"VisibilityTimeout"`
	WaitTimeSeconds             *int     `json:"WaitTimeSeconds"`
	ReceiveRequestAttemptID     *string  `json:"ReceiveRequestAttemptId"`
}

type deleteMessageInput struct {
	QueueURL      *string `json:"QueueUrl"`
	ReceiptHandle *string `json:"ReceiptHandle"`
}

type deleteMessageBatchEntry struct {
	ID            *string `json:"Id"`
	ReceiptHandle *string `json:"ReceiptHandle"`
}

type deleteMessageBatchInput struct {
	QueueURL *string                   `json:"QueueUrl"`
	Entries  []deleteMessageBatchEntry `json:"Entries"`
}

type changeVisibilityInput struct {
	QueueURL          *string `json:"QueueUrl"`
	ReceiptHandle     *string `json:"ReceiptHandle"`
	VisibilityTimeout *int    `json:"VisibilityTimeout"`
}

type changeVisibilityBatchEntry struct {
	ID                *string `json:"Id"`
	ReceiptHandle     *string `json:"ReceiptHandle"`
	VisibilityTimeout *int    `json:"VisibilityTimeout"`
}

type changeVisibilityBatchInput struct {
	QueueURL *string                      `json:"QueueUrl"`
	Entries  []changeVisibilityBatchEntry `json:"Entries"`
}

type listDLQSourcesInput struct {
	QueueURL   *string `json:"QueueUrl"`
	NextToken  *string `json:"NextToken"`
	MaxResults *int    `json:"MaxResults"`
}

type startMoveTaskInput struct {
	SourceArn                    *string `json:"SourceArn"`
	DestinationArn               *string `json:"DestinationArn"`
	MaxNumberOfMessagesPerSecond *int    `json:"MaxNumberOfMessagesPerSecond"`
}

type listMoveTasksInput struct {
	SourceArn  *string `json:"SourceArn"`
	MaxResults *int    `json:"MaxResults"`
}

type cancelMoveTaskInput struct {
	TaskHandle *string `json:"TaskHandle"`
}

// Output shapes.

type batchErrorEntry struct {
	ID          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message,omitempty"`
}

type sendResult struct {
	ID                           string `json:"Id,omitempty"`
	MessageID                    string `json:"MessageId"`
	MD5OfMessageBody             string `json:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty"`
	SequenceNumber               string `json:"SequenceNumber,omitempty"`
}

type wireMessage struct {
	MessageID              string                    `json:"MessageId"`
	ReceiptHandle          string                    `json:"ReceiptHandle"`
	MD5OfBody              string                    `json:"MD5OfBody"`
	Body                   string                    `json:"Body"`
	Attributes             map[string]string         `json:"Attributes,omitempty"`
	MD5OfMessageAttributes string                    `json:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      map[string]attributeValue `json:"MessageAttributes,omitempty"`
}

type idResult struct {
	ID string `json:"Id"`
}

type moveTaskResult struct {
	TaskHandle                        string `json:"TaskHandle,omitempty"`
	Status                            string `json:"Status"`
	SourceArn                         string `json:"SourceArn"`
	DestinationArn                    string `json:"DestinationArn,omitempty"`
	MaxNumberOfMessagesPerSecond      *int   `json:"MaxNumberOfMessagesPerSecond,omitempty"`
	ApproximateNumberOfMessagesMoved  int64  `json:"ApproximateNumberOfMessagesMoved"`
	ApproximateNumberOfMessagesToMove *int64 `json:"ApproximateNumberOfMessagesToMove,omitempty"`
	FailureReason                     string `json:"FailureReason,omitempty"`
	StartedTimestamp                  int64  `json:"StartedTimestamp"`
}

// maxRequestBytes bounds a request body: a batch may carry 1 MiB of
// messages, and JSON escaping and base64 make the wire form larger.
const maxRequestBytes = 8 << 20

// newInput returns a pointer to the zero input of an operation, or false
// for an operation SQS does not have.
func newInput(op string) (any, bool) {
	switch op {
	case "CreateQueue":
		return new(createQueueInput), true
	case "GetQueueUrl":
		return new(getQueueURLInput), true
	case "ListQueues":
		return new(listQueuesInput), true
	case "DeleteQueue", "PurgeQueue", "ListQueueTags":
		return new(queueRef), true
	case "GetQueueAttributes":
		return new(getQueueAttributesInput), true
	case "SetQueueAttributes":
		return new(setQueueAttributesInput), true
	case "TagQueue":
		return new(tagQueueInput), true
	case "UntagQueue":
		return new(untagQueueInput), true
	case "SendMessage":
		return new(sendMessageInput), true
	case "SendMessageBatch":
		return new(sendMessageBatchInput), true
	case "ReceiveMessage":
		return new(receiveMessageInput), true
	case "DeleteMessage":
		return new(deleteMessageInput), true
	case "DeleteMessageBatch":
		return new(deleteMessageBatchInput), true
	case "ChangeMessageVisibility":
		return new(changeVisibilityInput), true
	case "ChangeMessageVisibilityBatch":
		return new(changeVisibilityBatchInput), true
	case "ListDeadLetterSourceQueues":
		return new(listDLQSourcesInput), true
	case "StartMessageMoveTask":
		return new(startMoveTaskInput), true
	case "ListMessageMoveTasks":
		return new(listMoveTasksInput), true
	case "CancelMessageMoveTask":
		return new(cancelMoveTaskInput), true
	}
	return nil, false
}

// parseRequest decodes the JSON body of operation op into its input shape.
// An empty body is an empty input, as the SDK sends "{}" at least.
func parseRequest(op string, body []byte) (any, error) {
	in, ok := newInput(op)
	if !ok {
		return nil, errInvalidAction(op)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return in, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(in); err != nil {
		return nil, errSerialization(err)
	}
	if dec.More() {
		return nil, errSerialization(errors.New("trailing data after the JSON object"))
	}
	return in, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func describe(v any) string { return fmt.Sprintf("%v", v) }
