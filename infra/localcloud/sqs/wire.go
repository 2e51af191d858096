package sqs

import (
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// maxRequestBytes bounds a request body: a batch may carry 1 MiB of
// messages, and JSON escaping and base64 make the wire form larger.
const maxRequestBytes = 8 << 20

// api declares SQS on the wire: AWS JSON 1.0, with each error's legacy
// query code in x-amzn-query-error as SQS sends it.
func (s *Service) api() *awsproto.Service {
	return &awsproto.Service{
		Name: "sqs",
		Protocols: []awsproto.Protocol{awsproto.JSON10{
			TargetPrefix: "AmazonSQS", ErrorNamespace: "com.amazonaws.sqs", QueryCompatible: true}},
		MaxBody:  maxRequestBytes,
		Counters: &s.counters,
		Ops: []awsproto.Operation{
			awsproto.Op("CreateQueue", s.createQueue),
			awsproto.Op("GetQueueUrl", s.getQueueURL),
			awsproto.Op("ListQueues", s.listQueues),
			awsproto.Op("DeleteQueue", s.deleteQueue),
			awsproto.Op("PurgeQueue", s.purgeQueue),
			awsproto.Op("GetQueueAttributes", s.getQueueAttributes),
			awsproto.Op("SetQueueAttributes", s.setQueueAttributes),
			awsproto.Op("TagQueue", s.tagQueue),
			awsproto.Op("UntagQueue", s.untagQueue),
			awsproto.Op("ListQueueTags", s.listQueueTags),
			awsproto.Op("AddPermission", s.addPermission),
			awsproto.Op("RemovePermission", s.removePermission),
			awsproto.Op("SendMessage", s.sendMessage),
			awsproto.Op("SendMessageBatch", s.sendMessageBatch),
			awsproto.Op("ReceiveMessage", s.receiveMessage),
			awsproto.Op("DeleteMessage", s.deleteMessage),
			awsproto.Op("DeleteMessageBatch", s.deleteMessageBatch),
			awsproto.Op("ChangeMessageVisibility", s.changeVisibility),
			awsproto.Op("ChangeMessageVisibilityBatch", s.changeVisibilityBatch),
			awsproto.Op("ListDeadLetterSourceQueues", s.listDLQSources),
			awsproto.Op("StartMessageMoveTask", s.startMoveTask),
			awsproto.Op("ListMessageMoveTasks", s.listMoveTasks),
			awsproto.Op("CancelMessageMoveTask", s.cancelMoveTask),
		},
	}
}

// Inputs and outputs of the operations, as AWS JSON 1.0 carries them.
// Member names are the model's (see service/sqs/schemas in the Go SDK);
// optional numbers are pointers so that "absent" and 0 differ, which the
// SDK's own input types (plain int32) cannot tell.

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

// empty is the output of operations that answer nothing.
type empty struct{}

type queueURLOutput struct {
	QueueURL string `json:"QueueUrl"`
}

type listQueuesOutput struct {
	QueueURLs []string `json:"QueueUrls,omitempty"`
	NextToken string   `json:"NextToken,omitempty"`
}

// listDLQSourcesOutput always carries its list, lower-case as the model
// spells it.
type listDLQSourcesOutput struct {
	QueueURLs []string `json:"queueUrls"`
	NextToken string   `json:"NextToken,omitempty"`
}

type attributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

type tagsOutput struct {
	Tags map[string]string `json:"Tags,omitempty"`
}

type batchOutput[T any] struct {
	Successful []T               `json:"Successful"`
	Failed     []batchErrorEntry `json:"Failed"`
}

type receiveOutput struct {
	Messages []wireMessage `json:"Messages"`
}

type startMoveTaskOutput struct {
	TaskHandle string `json:"TaskHandle"`
}

type listMoveTasksOutput struct {
	Results []moveTaskResult `json:"Results"`
}

type cancelMoveTaskOutput struct {
	ApproximateNumberOfMessagesMoved int64 `json:"ApproximateNumberOfMessagesMoved"`
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
