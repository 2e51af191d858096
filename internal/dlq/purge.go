package dlq

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Purge deletes every message of a queue (PurgeQueue) and returns the
// queue as it was just before: SQS does not say how many it deleted, and
// it may take up to a minute to finish. SQS allows one purge a minute per
// queue (PurgeQueueInProgress).
func Purge(ctx context.Context, c SQS, url string) (QueueState, error) {
	before, err := Describe(ctx, c, url)
	if err != nil {
		return before, err
	}
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		return before, fmt.Errorf("purge %s: %w", before.Name, err)
	}
	return before, nil
}
