package notifier_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/localcloudtest"
	"github.com/eventchain/eventchain/internal/consumer/consumertest"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/motoserver"
	"github.com/eventchain/eventchain/internal/notifier"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
)

// TestNotifyOverTheWire runs the notifier built by NewFromEnv against moto
// SNS and reads the notification through a raw-delivery subscription.
func TestNotifyOverTheWire(t *testing.T) {
	endpoint := motoserver.Start(t)
	cloud := consumertest.NewCloud(endpoint)
	topicARN, tap := cloud.TopicWithQueue(t, "notifications")
	ctx := context.Background()
	store := statustest.NewDynamo(t, localcloudtest.Start(t, localcloud.Options{}))
	if err := store.Create(ctx, status.Request{ID: failedReq, CorrelationID: "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"}); err != nil {
		t.Fatal(err)
	}
	h, err := notifier.NewFromEnv(ctx, consumertest.Lookup(map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "NOTIFICATIONS_TOPIC_ARN": topicARN,
		"QUEUE_URL": cloud.Queue(t, "notify"), "DLQ_URL": cloud.Queue(t, "notify-dlq"), "LOG_LEVEL": "error",
	}), store, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.Handle(ctx, consumertest.LoadEvent(t, failedFixture))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	msgs := cloud.Receive(t, tap, 1)
	if len(msgs) != 1 {
		t.Fatalf("received %d notifications, want 1", len(msgs))
	}
	var n notifier.Notification
	if err := json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &n); err != nil {
		t.Fatal(err)
	}
	if n.RequestID != failedReq || n.Status != status.Failed || n.Error == nil || n.Error.Code != "InvalidAMIID.NotFound" || n.Event != event.TypeLaunchFailed {
		t.Errorf("notification = %+v", n)
	}
	attrs := msgs[0].MessageAttributes
	if aws.ToString(attrs[event.AttrType].StringValue) != "notification.failed" || aws.ToString(attrs[notifier.AttrStatus].StringValue) != "FAILED" ||
		aws.ToString(attrs[event.AttrCorrelationID].StringValue) != "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b" {
		t.Errorf("attributes = %+v", attrs)
	}
	req, err := store.Get(ctx, failedReq)
	if err != nil || req.Status != status.Failed || !req.Notified {
		t.Errorf("request %+v (%v), want FAILED and notified", req, err)
	}
}
