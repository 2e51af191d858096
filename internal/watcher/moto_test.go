package watcher_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/localcloudtest"
	"github.com/eventchain/eventchain/internal/consumer/consumertest"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/motoserver"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
	"github.com/eventchain/eventchain/internal/watcher"
)

// TestWatchOverTheWire runs the watcher built by NewFromEnv against moto:
// real DescribeInstances / TerminateInstances answers, events through SNS
// raw delivery, and ChangeMessageVisibility on a real receipt handle.
func TestWatchOverTheWire(t *testing.T) {
	endpoint := motoserver.Start(t)
	cloud := consumertest.NewCloud(endpoint)
	topicARN, tap := cloud.TopicWithQueue(t, "events")
	watchQueue := cloud.Queue(t, "watch")
	ctx := context.Background()
	store := statustest.NewDynamo(t, localcloudtest.Start(t, localcloud.Options{}))
	h, err := watcher.NewFromEnv(ctx, consumertest.Lookup(map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "EVENTS_TOPIC_ARN": topicARN,
		"QUEUE_URL": watchQueue, "DLQ_URL": cloud.Queue(t, "watch-dlq"), "LOG_LEVEL": "error",
		"WATCH_MAX_RECEIVE_COUNT": "30",
	}), store, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ec2c := ec2.NewFromConfig(consumertest.AWSConfig(), func(o *ec2.Options) { o.BaseEndpoint = aws.String(endpoint) })

	// deliver records a request in the given status, puts its
	// instance.launched through the watch queue, so the record carries a
	// real receipt handle, and runs the watcher on it.
	deliver := func(t *testing.T, ids []string, st status.Status) lambdaevents.SQSEventResponse {
		t.Helper()
		reqID := event.NewID()
		if err := store.Create(ctx, status.Request{ID: reqID}); err != nil {
			t.Fatal(err)
		}
		for _, to := range []status.Status{status.Accepted, status.Launching, status.Running, status.Failed} {
			if to.Rank() > st.Rank() || (to.Terminal() && to != st) {
				continue
			}
			if _, err := store.Advance(ctx, reqID, status.Transition{To: to, Event: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		env, err := event.New(event.TypeInstanceLaunched, event.Meta{Source: "eventchain/launcher", Subject: reqID, CorrelationID: event.NewID()},
			event.InstanceLaunched{RequestID: reqID, InstanceIDs: ids, LaunchedAt: time.Now().UTC()})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(env)
		if _, err := cloud.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(watchQueue), MessageBody: aws.String(string(body))}); err != nil {
			t.Fatal(err)
		}
		out, err := cloud.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(watchQueue), WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"}})
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("receive: %v (%d messages)", err, len(out.Messages))
		}
		m := out.Messages[0]
		resp, err := h.Handle(ctx, lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body), Attributes: m.Attributes,
		}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) == 0 {
			if _, err := cloud.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(watchQueue), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
		return resp
	}
	launch := func(t *testing.T) string {
		t.Helper()
		out, err := ec2c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), InstanceType: "t3.micro",
			MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Instances[0].InstanceId)
	}
	received := func(t *testing.T) event.Envelope {
		t.Helper()
		msgs := cloud.Receive(t, tap, 1)
		if len(msgs) != 1 {
			t.Fatalf("received %d events, want 1", len(msgs))
		}
		env, err := event.Decode([]byte(aws.ToString(msgs[0].Body)))
		if err != nil {
			t.Fatal(err)
		}
		return env
	}

	t.Run("running instance publishes instance.running", func(t *testing.T) {
		id := launch(t)
		if resp := deliver(t, []string{id}, status.Launching); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %+v", resp)
		}
		if got := received(t); got.Type != event.TypeInstanceRunning {
			t.Errorf("published %s, want instance.running", got.Type)
		}
	})
	t.Run("terminated instance publishes launch.failed with the state reason", func(t *testing.T) {
		id := launch(t)
		if _, err := ec2c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
			t.Fatal(err)
		}
		if resp := deliver(t, []string{id}, status.Launching); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %+v", resp)
		}
		got := received(t)
		var f event.LaunchFailed
		if err := got.DecodeData(&f); err != nil || got.Type != event.TypeLaunchFailed || f.Code != "Client.UserInitiatedShutdown" {
			t.Errorf("published %s %+v (%v), want launch.failed with Client.UserInitiatedShutdown", got.Type, f, err)
		}
	})
	t.Run("closed request leaves its stopped instance alone", func(t *testing.T) {
		id := launch(t)
		if _, err := ec2c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
			t.Fatal(err)
		}
		if resp := deliver(t, []string{id}, status.Failed); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %+v, want the duplicate acknowledged", resp)
		}
		out, err := ec2c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		if st := out.Reservations[0].Instances[0].State.Name; st != ec2types.InstanceStateNameStopped {
			t.Errorf("instance is %s, want stopped and untouched", st)
		}
		got, err := cloud.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(tap), WaitTimeSeconds: 1})
		if err != nil || len(got.Messages) != 0 {
			t.Errorf("published %d events for a closed request (%v)", len(got.Messages), err)
		}
	})
	t.Run("unknown instance backs off through the queue", func(t *testing.T) {
		resp := deliver(t, []string{"i-0123456789abcdef0"}, status.Launching)
		if len(resp.BatchItemFailures) != 1 {
			t.Fatalf("failures %+v, want the record returned", resp)
		}
		// The first receive's backoff is 5 s, the queue's own visibility
		// timeout 30 s: hidden now, and back within Receive's 10 s only if
		// the watcher changed the visibility to the backoff.
		out, err := cloud.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(watchQueue)})
		if err != nil || len(out.Messages) != 0 {
			t.Fatalf("message visible right after the retry (%v, %d)", err, len(out.Messages))
		}
		back := cloud.Receive(t, watchQueue, 1)
		if len(back) != 1 {
			t.Errorf("message not redelivered after the backoff")
		}
	})
}
