package dlq

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// fakeSQS answers the calls a test scripts; a call it does not script
// fails the test through panic (nil function).
type fakeSQS struct {
	mu sync.Mutex

	attributes func(*sqs.GetQueueAttributesInput) (*sqs.GetQueueAttributesOutput, error)
	receive    func(*sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error)
	visibility func(*sqs.ChangeMessageVisibilityBatchInput) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	del        func(context.Context, *sqs.DeleteMessageInput) (*sqs.DeleteMessageOutput, error)
	send       func(context.Context, *sqs.SendMessageInput) (*sqs.SendMessageOutput, error)
	sendBatch  func(*sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error)
	start      func(*sqs.StartMessageMoveTaskInput) (*sqs.StartMessageMoveTaskOutput, error)
	list       func(*sqs.ListMessageMoveTasksInput) (*sqs.ListMessageMoveTasksOutput, error)
	cancel     func(*sqs.CancelMessageMoveTaskInput) (*sqs.CancelMessageMoveTaskOutput, error)
}

func (f *fakeSQS) GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	panic("GetQueueUrl not scripted")
}

func (f *fakeSQS) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	return f.attributes(in)
}

func (f *fakeSQS) ListDeadLetterSourceQueues(context.Context, *sqs.ListDeadLetterSourceQueuesInput, ...func(*sqs.Options)) (*sqs.ListDeadLetterSourceQueuesOutput, error) {
	panic("ListDeadLetterSourceQueues not scripted")
}

func (f *fakeSQS) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.receive(in)
}

func (f *fakeSQS) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.visibility(in)
}

func (f *fakeSQS) DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	return f.del(ctx, in)
}

func (f *fakeSQS) SendMessage(ctx context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return f.send(ctx, in)
}

func (f *fakeSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	return f.sendBatch(in)
}

func (f *fakeSQS) PurgeQueue(context.Context, *sqs.PurgeQueueInput, ...func(*sqs.Options)) (*sqs.PurgeQueueOutput, error) {
	panic("PurgeQueue not scripted")
}

func (f *fakeSQS) StartMessageMoveTask(_ context.Context, in *sqs.StartMessageMoveTaskInput, _ ...func(*sqs.Options)) (*sqs.StartMessageMoveTaskOutput, error) {
	return f.start(in)
}

func (f *fakeSQS) ListMessageMoveTasks(_ context.Context, in *sqs.ListMessageMoveTasksInput, _ ...func(*sqs.Options)) (*sqs.ListMessageMoveTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.list(in)
}

func (f *fakeSQS) CancelMessageMoveTask(_ context.Context, in *sqs.CancelMessageMoveTaskInput, _ ...func(*sqs.Options)) (*sqs.CancelMessageMoveTaskOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cancel(in)
}

// visibleAttributes answers GetQueueAttributes for a queue of n visible
// messages.
func visibleAttributes(n int) func(*sqs.GetQueueAttributesInput) (*sqs.GetQueueAttributesOutput, error) {
	return func(in *sqs.GetQueueAttributesInput) (*sqs.GetQueueAttributesOutput, error) {
		return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{
			"QueueArn": "arn:aws:sqs:us-east-1:123456789012:" + NameFromURL(aws.ToString(in.QueueUrl)), "ApproximateNumberOfMessages": strconv.Itoa(n),
			"ApproximateNumberOfMessagesNotVisible": "0", "VisibilityTimeout": "30"}}, nil
	}
}

// wireMessage is a received message as SQS sends it.
func wireMessage(id, receipt, body string, receives int) sqstypes.Message {
	return sqstypes.Message{MessageId: aws.String(id), ReceiptHandle: aws.String(receipt), Body: aws.String(body),
		Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(receives), "SentTimestamp": "1700000000000",
			"ApproximateFirstReceiveTimestamp": "1700000001000"}}
}

// pages answers ReceiveMessage with the pages in turn, then nothing.
func pages(ps ...[]sqstypes.Message) func(*sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error) {
	i := 0
	return func(*sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error) {
		if i >= len(ps) {
			return &sqs.ReceiveMessageOutput{}, nil
		}
		i++
		return &sqs.ReceiveMessageOutput{Messages: ps[i-1]}, nil
	}
}

// releases records the receipt handles made visible again (timeout 0).
type releases struct {
	mu       sync.Mutex
	receipts []string
}

func (r *releases) record(in *sqs.ChangeMessageVisibilityBatchInput) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out sqs.ChangeMessageVisibilityBatchOutput
	for _, e := range in.Entries {
		if e.VisibilityTimeout != 0 {
			return nil, fmt.Errorf("unexpected extension to %d", e.VisibilityTimeout)
		}
		r.receipts = append(r.receipts, aws.ToString(e.ReceiptHandle))
		out.Successful = append(out.Successful, sqstypes.ChangeMessageVisibilityBatchResultEntry{Id: e.Id})
	}
	return &out, nil
}
