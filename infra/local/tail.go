package local

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TailNotifications shows what a topic of the template publishes — in local
// mode the user notifications have no real recipient — by subscribing a
// queue of the runner's own (raw delivery) and handing each message body to
// fn. The returned stop function ends the tail.
func (r *Runner) TailNotifications(ctx context.Context, topicLogicalID string, fn func(body string)) (stop func(), err error) {
	topic, ok := r.Template.Topic(topicLogicalID)
	if !ok {
		return nil, fmt.Errorf("template has no topic %q", topicLogicalID)
	}
	cfg := r.awsConfig()
	sqsc, snsc := sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg)
	name := r.Template.StackName + "-local-tail-" + topicLogicalID
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("tail queue: %w", err)
	}
	arn := fmt.Sprintf("arn:aws:sqs:%s:%s:%s", r.Template.Region, r.Template.AccountID, name)
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn:   aws.String(topic.ARN),
		Protocol:   aws.String("sqs"),
		Endpoint:   aws.String(arn),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	}); err != nil {
		return nil, fmt.Errorf("tail subscription: %w", err)
	}
	tctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for tctx.Err() == nil {
			out, err := sqsc.ReceiveMessage(tctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: r.opts.PollWaitSeconds})
			if err != nil {
				if tctx.Err() == nil {
					r.opts.Logger.Warn("tail receive failed", "topic", topicLogicalID, "error", err)
					sleepCtx(tctx, receiveRetryDelay)
				}
				continue
			}
			var del []sqstypes.DeleteMessageBatchRequestEntry
			for i, m := range out.Messages {
				fn(aws.ToString(m.Body))
				del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
			}
			if len(del) > 0 {
				// A failed delete only shows the message again later.
				if _, err := sqsc.DeleteMessageBatch(context.WithoutCancel(tctx), &sqs.DeleteMessageBatchInput{QueueUrl: q.QueueUrl, Entries: del}); err != nil {
					r.opts.Logger.Warn("tail delete failed", "topic", topicLogicalID, "error", err)
				}
			}
		}
	})
	return func() { cancel(); wg.Wait() }, nil
}
