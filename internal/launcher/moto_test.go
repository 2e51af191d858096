package launcher_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/localcloudtest"
	"github.com/eventchain/eventchain/internal/consumer/consumertest"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/launcher"
	"github.com/eventchain/eventchain/internal/motoserver"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
)

// TestLaunchOverTheWire runs the launcher built by NewFromEnv (real SDK
// clients) against moto: RunInstances must tag the instances, and the
// published events must reach a raw-delivery subscription.
func TestLaunchOverTheWire(t *testing.T) {
	endpoint := motoserver.Start(t)
	cloud := consumertest.NewCloud(endpoint)
	topicARN, tap := cloud.TopicWithQueue(t, "events")
	ctx := context.Background()
	store := statustest.NewDynamo(t, localcloudtest.Start(t, localcloud.Options{}))
	h, err := launcher.NewFromEnv(ctx, consumertest.Lookup(map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "EVENTS_TOPIC_ARN": topicARN,
		"QUEUE_URL": cloud.Queue(t, "launch"), "DLQ_URL": cloud.Queue(t, "launch-dlq"),
		"LAUNCH_RATE_PER_SECOND": "100", "LAUNCHER_CONCURRENCY": "2", "LOG_LEVEL": "error",
	}), store, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ec2c := ec2.NewFromConfig(consumertest.AWSConfig(), func(o *ec2.Options) { o.BaseEndpoint = aws.String(endpoint) })

	tests := []struct {
		name     string
		req      event.LaunchRequested
		wantType string
		wantCode string
	}{
		{name: "launch tagged instances", wantType: event.TypeInstanceLaunched,
			req: event.LaunchRequested{ImageID: "ami-12c6146b", InstanceType: "t3.micro", Count: 2, Tags: map[string]string{"team": "platform"}}},
		{name: "unknown subnet fails the request", wantType: event.TypeLaunchFailed, wantCode: "InvalidSubnetID.NotFound",
			req: event.LaunchRequested{ImageID: "ami-12c6146b", InstanceType: "t3.micro", Count: 1, SubnetID: "subnet-deadbeef"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.RequestID = event.NewID()
			corr := event.NewID()
			if err := store.Create(ctx, status.Request{ID: tt.req.RequestID, CorrelationID: corr}); err != nil {
				t.Fatal(err)
			}
			env, err := event.New(event.TypeLaunchRequested, event.Meta{Source: "eventchain/api", Subject: tt.req.RequestID, CorrelationID: corr}, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(env)
			resp, err := h.Handle(ctx, lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{{
				MessageId: "m-" + tt.req.RequestID, Body: string(body),
				MessageAttributes: map[string]lambdaevents.SQSMessageAttribute{
					event.AttrType: {DataType: "String", StringValue: aws.String(event.TypeLaunchRequested)},
				},
			}}})
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("resp %+v err %v", resp, err)
			}
			msgs := cloud.Receive(t, tap, 1)
			if len(msgs) != 1 {
				t.Fatalf("received %d events, want 1", len(msgs))
			}
			got, err := event.Decode([]byte(aws.ToString(msgs[0].Body)))
			if err != nil {
				t.Fatal(err)
			}
			if got.Type != tt.wantType || aws.ToString(msgs[0].MessageAttributes[event.AttrType].StringValue) != tt.wantType || got.CorrelationID != corr {
				t.Fatalf("event %s (attribute %v, correlation %s), want %s with %s", got.Type, msgs[0].MessageAttributes, got.CorrelationID, tt.wantType, corr)
			}
			if tt.wantCode != "" {
				var f event.LaunchFailed
				if err := got.DecodeData(&f); err != nil || f.Code != tt.wantCode {
					t.Errorf("launch.failed = %+v (%v), want code %s", f, err, tt.wantCode)
				}
				return
			}
			var launched event.InstanceLaunched
			if err := got.DecodeData(&launched); err != nil {
				t.Fatal(err)
			}
			out, err := ec2c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
				{Name: aws.String("tag:" + launcher.TagRequestID), Values: []string{tt.req.RequestID}},
			}})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range out.Reservations {
				for _, inst := range r.Instances {
					ids = append(ids, aws.ToString(inst.InstanceId))
					if m := tagMap(inst.Tags); m[launcher.TagCorrelationID] != corr || m["team"] != "platform" {
						t.Errorf("instance tags = %v", m)
					}
				}
			}
			slices.Sort(ids)
			slices.Sort(launched.InstanceIDs)
			if len(ids) != 2 || !slices.Equal(ids, launched.InstanceIDs) {
				t.Errorf("tagged instances %v, instance.launched %v: want the same 2", ids, launched.InstanceIDs)
			}
			req, err := store.Get(ctx, tt.req.RequestID)
			if err != nil || req.Status != status.Launching {
				t.Errorf("status = %s (%v), want LAUNCHING", req.Status, err)
			}
		})
	}
}
