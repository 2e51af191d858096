package localcloud_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestSQSCreateQueueAndGetURL(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		client := b.SQS()
		ctx := b.Ctx(t)
		created, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})
		if err != nil {
			t.Fatalf("CreateQueue: %v", err)
		}
		got, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
		if err != nil {
			t.Fatalf("GetQueueUrl: %v", err)
		}
		if aws.ToString(got.QueueUrl) != aws.ToString(created.QueueUrl) {
			t.Errorf("GetQueueUrl = %q, CreateQueue said %q", aws.ToString(got.QueueUrl), aws.ToString(created.QueueUrl))
		}
	})
}
