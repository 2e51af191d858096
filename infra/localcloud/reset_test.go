package localcloud_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// populate gives every stateful service something to lose: a queue with
// a message, a topic subscribed to it, a running instance, a table with
// an item.
func populate(t *testing.T, b backend) {
	t.Helper()
	ctx := b.Ctx(t)
	sq, sn := b.SQS(), b.SNS()
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("test-queue")})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("left over")}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("test-topic")})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if _, err := b.EC2().RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), InstanceType: ec2types.InstanceTypeT3Micro,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}); err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	ddb := b.DynamoDB()
	createDDBTable(t, b, ddb, ddbTableSpec{name: "test-table"})
	putDDB(t, b, ddb, "test-table", map[string]ddbtypes.AttributeValue{"pk": avS("left over")})
}

// requireEmpty asserts, through each service's own API, that nothing
// populate made is left.
func requireEmpty(t *testing.T, b backend) {
	t.Helper()
	ctx := b.Ctx(t)
	if out, err := b.SQS().ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil || len(out.QueueUrls) != 0 {
		t.Errorf("ListQueues after reset = %v, %v; want none", out.QueueUrls, err)
	}
	if out, err := b.SNS().ListTopics(ctx, &sns.ListTopicsInput{}); err != nil || len(out.Topics) != 0 {
		t.Errorf("ListTopics after reset = %d topics, %v; want none", len(out.Topics), err)
	}
	if out, err := b.SNS().ListSubscriptions(ctx, &sns.ListSubscriptionsInput{}); err != nil || len(out.Subscriptions) != 0 {
		t.Errorf("ListSubscriptions after reset = %d, %v; want none", len(out.Subscriptions), err)
	}
	if out, err := b.EC2().DescribeInstances(ctx, &ec2.DescribeInstancesInput{}); err != nil || len(out.Reservations) != 0 {
		t.Errorf("DescribeInstances after reset = %d reservations, %v; want none", len(out.Reservations), err)
	}
	if out, err := b.DynamoDB().ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil || len(out.TableNames) != 0 {
		t.Errorf("ListTables after reset = %v, %v; want none", out.TableNames, err)
	}
	// A queue created again under the old name starts empty: nothing of
	// the previous test reaches the next.
	q, err := b.SQS().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("test-queue")})
	if err != nil {
		t.Fatalf("CreateQueue after reset: %v", err)
	}
	if out, err := b.SQS().ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10}); err != nil || len(out.Messages) != 0 {
		t.Errorf("ReceiveMessage on the queue created again = %d messages, %v; want none", len(out.Messages), err)
	}
}

// postReset posts to a reset URL and returns the status code and, for
// failure messages, the status line and body.
func postReset(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", nil)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Status + " " + string(body)
}

// TestMotoResetWipesEveryService holds localcloud to what a suite written
// for moto's server mode relies on between tests: POST /moto-api/reset
// leaves no queue, message, topic, subscription, instance or table. On
// disk the wipe is durable: a restart brings nothing back.
func TestMotoResetWipesEveryService(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		populate(t, b)
		if code, status := postReset(t, b.Endpoint+localcloud.MotoResetPath); code != http.StatusOK {
			t.Fatalf("POST %s: %s", localcloud.MotoResetPath, status)
		}
		requireEmpty(t, b)
		if b.DataDir != "" {
			b = restartLocal(t, b)
			if out, err := b.SNS().ListTopics(b.Ctx(t), &sns.ListTopicsInput{}); err != nil || len(out.Topics) != 0 {
				t.Errorf("ListTopics after reset and restart = %d, %v; want none", len(out.Topics), err)
			}
			if _, h := health(t, b); h.Services["dynamodb"]["tables"] != 0 || h.Services["ec2"]["instances"] != 0 || h.Services["sqs"]["messages"] != 0 {
				t.Errorf("health after reset and restart = %+v; want no table, instance or message", h.Services)
			}
		}
	})
}

// TestResetOneService resets SQS alone (moto's reset takes no service, so
// this runs on localcloud only) and checks the others keep their state,
// as the health report counts it.
func TestResetOneService(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		populate(t, b)
		if code, status := postReset(t, b.Endpoint+localcloud.ResetPath+"?service=sqs"); code != http.StatusOK {
			t.Fatalf("POST reset?service=sqs: %s", status)
		}
		_, h := health(t, b)
		if got := h.Services["sqs"]; got["queues"] != 0 || got["messages"] != 0 {
			t.Errorf("sqs after its reset = %v, want no queue or message", got)
		}
		if got := h.Services["sns"]; got["topics"] != 1 || got["subscriptions"] != 1 {
			t.Errorf("sns after an sqs reset = %v, want its topic and subscription", got)
		}
		if got := h.Services["ec2"]["instances"]; got != 1 {
			t.Errorf("ec2 after an sqs reset = %d instances, want 1", got)
		}
		if got := h.Services["dynamodb"]; got["tables"] != 1 || got["items"] != 1 {
			t.Errorf("dynamodb after an sqs reset = %v, want its table and item", got)
		}
	})
}

// TestResetRefusesWhatItCannotDo: an unknown service is the caller's
// mistake (400, naming what can be reset, nothing reset) and reset
// changes state, so it answers POST only.
func TestResetRefusesWhatItCannotDo(t *testing.T) {
	b := newBackend(t, "localcloud-memory", localcloud.Options{})
	populate(t, b)
	resp, err := http.Post(b.Endpoint+localcloud.ResetPath+"?service=sqs,kinesis", "", nil)
	if err != nil {
		t.Fatalf("POST reset: %v", err)
	}
	var body struct{ Error string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body.Error, `"kinesis"`) || !strings.Contains(body.Error, "sqs, ") {
		t.Errorf("reset of an unknown service = %d %q, want 400 naming it and what can be reset", resp.StatusCode, body.Error)
	}
	if _, h := health(t, b); h.Services["sqs"]["queues"] != 1 {
		t.Errorf("a refused reset changed sqs: %v", h.Services["sqs"])
	}
	resp, err = http.Get(b.Endpoint + localcloud.ResetPath)
	if err != nil {
		t.Fatalf("GET reset: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET reset = %d Allow %q, want 405 Allow POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestFailedResetKeepsState: a reset whose write fails (a full disk)
// answers 500 and leaves memory as the disk still has it, in every
// service; once writes succeed again, reset works.
func TestFailedResetKeepsState(t *testing.T) {
	cloud, b, _ := startDiskCloud(t, t.TempDir(), &syncBuffer{})
	populate(t, b)
	cloud.Storage().InjectFault(storage.ErrInjected)
	if code, status := postReset(t, b.Endpoint+localcloud.ResetPath); code != http.StatusInternalServerError {
		t.Fatalf("reset while writes fail = %s, want 500", status)
	}
	cloud.Storage().InjectFault(nil)
	_, h := health(t, b)
	want := map[string]map[string]int{
		"sqs": {"queues": 1, "messages": 1}, "sns": {"topics": 1, "subscriptions": 1},
		"ec2": {"instances": 1}, "dynamodb": {"tables": 1, "items": 1}, "sts": {},
		"cloudwatch": {"alarms": 0, "in_alarm": 0, "history": 0},
	}
	if !reflect.DeepEqual(h.Services, want) {
		t.Errorf("state after a failed reset = %v, want %v", h.Services, want)
	}
	if code, status := postReset(t, b.Endpoint+localcloud.ResetPath); code != http.StatusOK {
		t.Fatalf("reset once writes succeed = %s", status)
	}
	requireEmpty(t, b)
}
