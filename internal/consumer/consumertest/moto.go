package consumertest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Cloud holds SDK clients pointed at an emulator endpoint (moto in tests).
type Cloud struct {
	Endpoint string
	SQS      *sqs.Client
	SNS      *sns.Client
}

// AWSConfig is the static test configuration every client uses.
func AWSConfig() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
}

// NewCloud returns SQS and SNS clients for endpoint.
func NewCloud(endpoint string) *Cloud {
	cfg := AWSConfig()
	return &Cloud{
		Endpoint: endpoint,
		SQS:      sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) }),
		SNS:      sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(endpoint) }),
	}
}

// Queue creates a queue and returns its URL.
func (c *Cloud) Queue(tb testing.TB, name string) string {
	tb.Helper()
	out, err := c.SQS.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		tb.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// TopicWithQueue creates a topic and a queue subscribed to it with raw
// delivery, as the pipeline's subscriptions are, and returns both.
func (c *Cloud) TopicWithQueue(tb testing.TB, name string) (topicARN, queueURL string) {
	tb.Helper()
	ctx := context.Background()
	topic, err := c.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		tb.Fatalf("create topic %s: %v", name, err)
	}
	queueURL = c.Queue(tb, name+"-tap")
	attrs, err := c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		tb.Fatalf("queue arn: %v", err)
	}
	if _, err := c.SNS.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn:   topic.TopicArn,
		Protocol:   aws.String("sqs"),
		Endpoint:   aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	}); err != nil {
		tb.Fatalf("subscribe: %v", err)
	}
	return aws.ToString(topic.TopicArn), queueURL
}

// Receive reads up to want messages from queueURL, waiting at most 10 s,
// and deletes them.
func (c *Cloud) Receive(tb testing.TB, queueURL string, want int) []sqstypes.Message {
	tb.Helper()
	ctx := context.Background()
	var got []sqstypes.Message
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		out, err := c.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"},
		})
		if err != nil {
			tb.Fatalf("receive from %s: %v", queueURL, err)
		}
		for _, m := range out.Messages {
			got = append(got, m)
			if _, err := c.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				tb.Fatalf("delete: %v", err)
			}
		}
	}
	return got
}

// Lookup returns a lookup function over env, for LoadConfig and NewFromEnv.
func Lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}
