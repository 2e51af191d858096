package localcloud_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// TestFailedQueueChangesRollBack: a change of a queue whose write fails
// (a full disk) is answered with an error and leaves no trace, in memory
// as on disk: the queue keeps its attributes, tags and messages, and a
// restart shows the same.
func TestFailedQueueChangesRollBack(t *testing.T) {
	tests := []struct {
		name   string
		change func(*sqs.Client, *string) error
	}{
		{"SetQueueAttributes", func(c *sqs.Client, url *string) error {
			_, err := c.SetQueueAttributes(t.Context(), &sqs.SetQueueAttributesInput{QueueUrl: url,
				Attributes: map[string]string{"VisibilityTimeout": "5", "DelaySeconds": "9"}})
			return err
		}},
		{"TagQueue", func(c *sqs.Client, url *string) error {
			_, err := c.TagQueue(t.Context(), &sqs.TagQueueInput{QueueUrl: url, Tags: map[string]string{"team": "other", "new": "tag"}})
			return err
		}},
		{"UntagQueue", func(c *sqs.Client, url *string) error {
			_, err := c.UntagQueue(t.Context(), &sqs.UntagQueueInput{QueueUrl: url, TagKeys: []string{"team"}})
			return err
		}},
		{"PurgeQueue", func(c *sqs.Client, url *string) error {
			_, err := c.PurgeQueue(t.Context(), &sqs.PurgeQueueInput{QueueUrl: url})
			return err
		}},
		{"DeleteQueue", func(c *sqs.Client, url *string) error {
			_, err := c.DeleteQueue(t.Context(), &sqs.DeleteQueueInput{QueueUrl: url})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t, "localcloud-disk", localcloud.Options{})
			cloud := b.Cloud
			c := b.SQS(func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
			ctx := b.Ctx(t)
			q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("kept"),
				Attributes: map[string]string{"VisibilityTimeout": "30"}, Tags: map[string]string{"team": "core"}})
			if err != nil {
				t.Fatalf("CreateQueue: %v", err)
			}
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("kept")}); err != nil {
				t.Fatalf("SendMessage: %v", err)
			}
			cloud.Storage().InjectFault(storage.ErrInjected)
			if err := tc.change(c, q.QueueUrl); err == nil {
				t.Fatalf("%s succeeded while writes fail", tc.name)
			}
			cloud.Storage().InjectFault(nil)
			requireQueueAsCreated(t, c, q.QueueUrl, "in memory")
			b = restartLocal(t, b)
			requireQueueAsCreated(t, b.SQS(), q.QueueUrl, "after a restart")
		})
	}
}

func requireQueueAsCreated(t *testing.T, c *sqs.Client, url *string, when string) {
	t.Helper()
	ctx := t.Context()
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", when, err)
	}
	if a := attrs.Attributes; a["VisibilityTimeout"] != "30" || a["DelaySeconds"] != "0" || a["ApproximateNumberOfMessages"] != "1" {
		t.Errorf("attributes %s: visibility %s, delay %s, messages %s; want 30, 0, 1",
			when, a["VisibilityTimeout"], a["DelaySeconds"], a["ApproximateNumberOfMessages"])
	}
	tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: url})
	if err != nil {
		t.Fatalf("ListQueueTags %s: %v", when, err)
	}
	if len(tags.Tags) != 1 || tags.Tags["team"] != "core" {
		t.Errorf("tags %s = %v, want team=core only", when, tags.Tags)
	}
}

// TestFailedMoveTaskRollsBack: a message move task whose write fails
// ends FAILED with the message still in its dead-letter queue and no
// copy in the destination, in memory as after a restart.
func TestFailedMoveTaskRollsBack(t *testing.T) {
	b := newBackend(t, "localcloud-disk", localcloud.Options{})
	c := b.SQS(func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
	ctx := b.Ctx(t)
	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("dead")})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	dlqARN := queueARN(t, ctx, c, aws.ToString(dlq.QueueUrl))
	src, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work"), Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"3"}`}})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: dlq.QueueUrl, MessageBody: aws.String("dead letter")}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	b.Cloud.Storage().InjectFault(storage.ErrInjected)
	if _, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN),
		DestinationArn: aws.String(queueARN(t, ctx, c, aws.ToString(src.QueueUrl)))}); err != nil {
		t.Fatalf("StartMessageMoveTask: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqARN)})
		if err != nil {
			t.Fatalf("ListMessageMoveTasks: %v", err)
		}
		if len(out.Results) == 1 && aws.ToString(out.Results[0].Status) == "FAILED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the move task never failed: %+v", out.Results)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Cloud.Storage().InjectFault(nil)
	check := func(c *sqs.Client, when string) {
		t.Helper()
		for url, want := range map[*string]string{dlq.QueueUrl: "1", src.QueueUrl: "0"} {
			a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url,
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
			if err != nil {
				t.Fatalf("GetQueueAttributes: %v", err)
			}
			if got := a.Attributes["ApproximateNumberOfMessages"]; got != want {
				t.Errorf("%s %s: %s messages, want %s", aws.ToString(url), when, got, want)
			}
		}
	}
	check(c, "in memory")
	b = restartLocal(t, b)
	check(b.SQS(), "after a restart")
}
