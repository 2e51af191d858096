package publish

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/motoserver"
)

// TestPublishOverTheWire publishes to SNS in moto, subscribed by an SQS
// queue with raw delivery, and checks what a consumer receives: the
// envelope JSON as the body and type/correlationid as message attributes.
func TestPublishOverTheWire(t *testing.T) {
	endpoint := motoserver.Start(t)
	ctx := context.Background()
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
	snsc := sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(endpoint) })
	sqsc := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })

	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events")})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("launch")})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn:   topic.TopicArn,
		Protocol:   aws.String("sqs"),
		Endpoint:   aws.String(qa.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	}); err != nil {
		t.Fatal(err)
	}
	pub := NewSNS(snsc, aws.ToString(topic.TopicArn))

	tests := []struct {
		name string
		n    int
	}{
		{"single Publish", 1},
		{"PublishBatch over two chunks", 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := envelopes(t, tt.n)
			if err := pub.Publish(ctx, evs...); err != nil {
				t.Fatal(err)
			}
			got := receive(t, sqsc, aws.ToString(q.QueueUrl), tt.n)
			for _, ev := range evs {
				m, ok := got[ev.ID]
				if !ok {
					t.Errorf("envelope %s not delivered", ev.ID)
					continue
				}
				dec, err := event.Decode([]byte(aws.ToString(m.Body)))
				if err != nil {
					t.Errorf("body is not an envelope (raw delivery?): %v", err)
					continue
				}
				if dec.Type != ev.Type || dec.Subject != ev.Subject || dec.CorrelationID != ev.CorrelationID || string(dec.Data) != string(ev.Data) {
					t.Errorf("delivered %+v, want %+v", dec, ev)
				}
				for name, want := range map[string]string{event.AttrType: ev.Type, event.AttrCorrelationID: ev.CorrelationID} {
					a := m.MessageAttributes[name]
					if aws.ToString(a.DataType) != "String" || aws.ToString(a.StringValue) != want {
						t.Errorf("record attribute %s = %s %q, want String %q", name, aws.ToString(a.DataType), aws.ToString(a.StringValue), want)
					}
				}
			}
		})
	}

	t.Run("PublishBatch to a missing topic fails every entry", func(t *testing.T) {
		bad := NewSNS(snsc, "arn:aws:sns:us-east-1:123456789012:no-such-topic")
		err := bad.Publish(ctx, envelopes(t, 3)...)
		var be *BatchError
		if !errors.As(err, &be) {
			t.Fatalf("err %v, want *BatchError", err)
		}
		if !slices.Equal(be.Failed(), []int{0, 1, 2}) {
			t.Errorf("failed %v, want [0 1 2]", be.Failed())
		}
	})
}

// receive reads until n distinct envelopes arrived, keyed by envelope id.
func receive(t *testing.T, c *sqs.Client, url string, n int) map[string]sqstypes.Message {
	t.Helper()
	got := map[string]sqstypes.Message{}
	deadline := time.Now().Add(15 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl:              aws.String(url),
			MaxNumberOfMessages:   10,
			MessageAttributeNames: []string{"All"},
			WaitTimeSeconds:       1,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			var env struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
				t.Fatalf("body %q: %v", aws.ToString(m.Body), err)
			}
			got[env.ID] = m
			if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(got) != n {
		t.Fatalf("received %d messages, want %d", len(got), n)
	}
	return got
}
