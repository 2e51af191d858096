package consumertest

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/internal/consumer"
)

var _ consumer.Queue = (*Queue)(nil)

// Queue is an in-memory consumer.Queue. It records every call; SendErr and
// VisibilityErr, when set, are returned instead. It is safe for concurrent use.
type Queue struct {
	mu            sync.Mutex
	SendErr       error
	VisibilityErr error
	Sent          []*sqs.SendMessageInput
	Visibility    []*sqs.ChangeMessageVisibilityInput
}

// SendMessage records in.
func (q *Queue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.SendErr != nil {
		return nil, q.SendErr
	}
	q.Sent = append(q.Sent, in)
	return &sqs.SendMessageOutput{}, nil
}

// ChangeMessageVisibility records in.
func (q *Queue) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.VisibilityErr != nil {
		return nil, q.VisibilityErr
	}
	q.Visibility = append(q.Visibility, in)
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

// SentMessages returns a copy of the recorded SendMessage calls.
func (q *Queue) SentMessages() []*sqs.SendMessageInput {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]*sqs.SendMessageInput(nil), q.Sent...)
}

// VisibilityChanges returns a copy of the recorded visibility changes.
func (q *Queue) VisibilityChanges() []*sqs.ChangeMessageVisibilityInput {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]*sqs.ChangeMessageVisibilityInput(nil), q.Visibility...)
}

// LoadEvent reads an SQS event fixture (events/*.json).
func LoadEvent(tb testing.TB, path string) lambdaevents.SQSEvent {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read fixture: %v", err)
	}
	var ev lambdaevents.SQSEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		tb.Fatalf("decode fixture %s: %v", path, err)
	}
	if len(ev.Records) == 0 {
		tb.Fatalf("fixture %s has no records", path)
	}
	return ev
}
