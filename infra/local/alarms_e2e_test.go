package local

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/internal/event"
)

// Alarm period scales: fast makes the template's 60 s periods 300 ms;
// frozen stretches them to about two years, so that no evaluation changes
// a state a test set.
const (
	fastAlarms   = 0.005
	frozenAlarms = 1e6
)

// startAlarmPipeline is startPipeline with the alarm periods scaled.
func startAlarmPipeline(t *testing.T, dataDir string, scale float64) *pipeline {
	t.Helper()
	p := &pipeline{t: t}
	r, err := Start(context.Background(), Options{
		Template:         "../../template.yaml",
		Overrides:        e2eOverrides,
		APIAddr:          "127.0.0.1:0",
		CloudAddr:        "127.0.0.1:0",
		DataDir:          dataDir,
		PollWaitSeconds:  1,
		Environment:      e2eEnvironment,
		AlarmPeriodScale: scale,
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Runner = r
	return p
}

// nextAlarmChange waits for a notification of the named alarm changing
// to state on a queue subscribed (raw) to the alarm topic, passing over
// the others.
func (p *pipeline) nextAlarmChange(url, alarm, state string, timeout time.Duration) lambdaevents.CloudWatchAlarmSNSPayload {
	p.t.Helper()
	sqsc := sqs.NewFromConfig(p.cfg())
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out, err := sqsc.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			p.t.Fatal(err)
		}
		for _, m := range out.Messages {
			if _, err := sqsc.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				p.t.Fatal(err)
			}
			var n lambdaevents.CloudWatchAlarmSNSPayload
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
				p.t.Fatalf("alarm notification %s: %v", aws.ToString(m.Body), err)
			}
			if n.AlarmName == alarm && n.NewStateValue == state {
				return n
			}
		}
	}
	p.t.Fatalf("no notification of %s going to %s within %v", alarm, state, timeout)
	return lambdaevents.CloudWatchAlarmSNSPayload{}
}

// TestEndToEndDeadLetterRaisesItsDLQAlarm: the local mode creates the
// template's alarms; a record the launcher dead-letters raises the launch
// DLQ's depth alarm, whose notification reaches a subscriber of the alarm
// topic, and emptying the DLQ brings it back to OK.
func TestEndToEndDeadLetterRaisesItsDLQAlarm(t *testing.T) {
	p := startAlarmPipeline(t, t.TempDir(), fastAlarms)
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	ctx := context.Background()
	cw := cloudwatch.NewFromConfig(p.cfg())
	declared, err := p.Template.MetricAlarms()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range declared {
		want = append(want, a.Name)
	}
	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]cwtypes.MetricAlarm{}
	for _, a := range out.MetricAlarms {
		got[aws.ToString(a.AlarmName)] = a
	}
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(slices.Values(want))) {
		t.Fatalf("alarms in localcloud %v, want the template's %v", slices.Sorted(maps.Keys(got)), want)
	}
	dlq, _ := p.Template.Queue("LaunchDLQ")
	alarm := got[p.Template.StackName+"-LaunchDLQDepthAlarm"]
	if len(alarm.Dimensions) != 1 || aws.ToString(alarm.Dimensions[0].Value) != dlq.Name || !slices.Equal(alarm.AlarmActions, []string{p.topicARN("AlarmTopic")}) {
		t.Fatalf("launch DLQ alarm: %+v", alarm)
	}

	inbox := p.subscribeTestQueue("AlarmTopic", "alarm-inbox")
	// An undecodable launch.requested: the launcher dead-letters it.
	if _, err := sns.NewFromConfig(p.cfg()).Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(p.topicARN("EventsTopic")),
		Message:  aws.String(`{"specversion":"1.0","id":"x","type":"launch.requested"`),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			event.AttrType: {DataType: aws.String("String"), StringValue: aws.String("launch.requested")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	n := p.nextAlarmChange(inbox, p.Template.StackName+"-LaunchDLQDepthAlarm", "ALARM", 20*time.Second)
	if n.Trigger.MetricName != "ApproximateNumberOfMessagesVisible" || len(n.Trigger.Dimensions) != 1 || n.Trigger.Dimensions[0].Value != dlq.Name ||
		n.NewStateReason == "" || n.Region != "US East (N. Virginia)" {
		t.Errorf("ALARM notification: %+v", n)
	}
	if v, _ := p.depth("LaunchDLQ"); v != 1 {
		t.Errorf("launch DLQ holds %d visible messages, want the one dead letter", v)
	}

	if _, err := sqs.NewFromConfig(p.cfg()).PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(dlq.URL)}); err != nil {
		t.Fatal(err)
	}
	p.nextAlarmChange(inbox, p.Template.StackName+"-LaunchDLQDepthAlarm", "OK", 20*time.Second)
}

// TestRestartConvergesAlarms: a restart puts the template's alarms again
// without losing their state, removes the stack's alarms the template no
// longer declares, and leaves other alarms alone.
func TestRestartConvergesAlarms(t *testing.T) {
	dir := t.TempDir()
	p := startAlarmPipeline(t, dir, frozenAlarms)
	ctx := context.Background()
	cw := cloudwatch.NewFromConfig(p.cfg())
	stale := p.Template.StackName + "-RemovedAlarm"
	mine := "someone-elses-alarm"
	for _, name := range []string{stale, mine} {
		if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), Namespace: aws.String("Custom"),
			MetricName: aws.String("M"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
			Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold}); err != nil {
			t.Fatal(err)
		}
	}
	launchAlarm := p.Template.StackName + "-LaunchDLQDepthAlarm"
	if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(launchAlarm), StateValue: cwtypes.StateValueAlarm,
		StateReason: aws.String("before the restart")}); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	p = startAlarmPipeline(t, dir, frozenAlarms)
	defer p.Close()
	out, err := cloudwatch.NewFromConfig(p.cfg()).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, a := range out.MetricAlarms {
		states[aws.ToString(a.AlarmName)] = string(a.StateValue) + ": " + aws.ToString(a.StateReason)
	}
	if _, ok := states[stale]; ok {
		t.Errorf("%s, which the template does not declare, survived the restart", stale)
	}
	if _, ok := states[mine]; !ok {
		t.Errorf("%s, not of the stack, was removed", mine)
	}
	if got := states[launchAlarm]; got != "ALARM: before the restart" {
		t.Errorf("%s after the restart: %q, want its state kept", launchAlarm, got)
	}
}
