package localcloud_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/localcloud"
)

// evalScale makes a 60 s period 300 ms: an alarm's whole life takes a
// couple of seconds.
const evalScale = 0.005

// alarmInbox receives the notifications an SQS subscriber of an alarm
// topic gets, in SNS's envelope.
type alarmInbox struct {
	t   *testing.T
	b   backend
	sqs *sqs.Client
	url string
}

// next waits for the next notification and returns its subject and the
// alarm notification it carries.
func (in alarmInbox) next(timeout time.Duration) (string, lambdaevents.CloudWatchAlarmSNSPayload) {
	in.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out, err := in.sqs.ReceiveMessage(in.b.Ctx(in.t), &sqs.ReceiveMessageInput{QueueUrl: &in.url, MaxNumberOfMessages: 1, WaitTimeSeconds: 1})
		if err != nil {
			in.t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) == 0 {
			continue
		}
		m := out.Messages[0]
		if _, err := in.sqs.DeleteMessage(in.b.Ctx(in.t), &sqs.DeleteMessageInput{QueueUrl: &in.url, ReceiptHandle: m.ReceiptHandle}); err != nil {
			in.t.Fatalf("DeleteMessage: %v", err)
		}
		var env lambdaevents.SNSEntity
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
			in.t.Fatalf("SNS envelope %s: %v", aws.ToString(m.Body), err)
		}
		var n lambdaevents.CloudWatchAlarmSNSPayload
		if err := json.Unmarshal([]byte(env.Message), &n); err != nil {
			in.t.Fatalf("alarm notification %s: %v", env.Message, err)
		}
		return env.Subject, n
	}
	in.t.Fatalf("no alarm notification within %v", timeout)
	return "", lambdaevents.CloudWatchAlarmSNSPayload{}
}

// TestAlarmEvaluatesLiveQueueDepth: a 2-out-of-2 depth alarm on a real
// queue, with its actions on a topic an SQS queue subscribes to, goes OK
// after its first period, to ALARM once two periods saw the messages, and
// back to OK once the queue is drained; the subscriber receives each
// change as CloudWatch's notification, and the history has it all.
func TestAlarmEvaluatesLiveQueueDepth(t *testing.T) {
	for _, kind := range []string{"localcloud-memory", "localcloud-disk"} {
		t.Run(kind, func(t *testing.T) {
			b := newBackend(t, kind, localcloud.Options{AlarmPeriodScale: evalScale})
			ctx, sq, cw := b.Ctx(t), b.SQS(), b.CloudWatch()
			workURL, _ := createQueue(t, b, sq, "work", nil)
			inboxURL, inboxARN := createQueue(t, b, sq, "alarm-inbox", nil)
			topic := snsTopic(t, b, b.SNS(), "alarms", nil)
			snsSubscribeQueue(t, b, b.SNS(), topic, inboxARN, nil)
			inbox := alarmInbox{t: t, b: b, sqs: sq, url: inboxURL}

			put := depthAlarm("work-depth", "work", topic)
			put.EvaluationPeriods, put.Threshold = aws.Int32(2), aws.Float64(3)
			if _, err := cw.PutMetricAlarm(ctx, put); err != nil {
				t.Fatalf("PutMetricAlarm: %v", err)
			}
			for i := range 5 {
				if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &workURL, MessageBody: aws.String(strings.Repeat("m", i+1))}); err != nil {
					t.Fatal(err)
				}
			}

			// One breaching period of two is not enough (missing data is
			// not breaching): the first change is to OK.
			subject, n := inbox.next(10 * time.Second)
			if n.OldStateValue != "INSUFFICIENT_DATA" || n.NewStateValue != "OK" || subject != `OK: "work-depth" in US East (N. Virginia)` {
				t.Fatalf("first notification %q: %s -> %s (%s)", subject, n.OldStateValue, n.NewStateValue, n.NewStateReason)
			}
			subject, n = inbox.next(10 * time.Second)
			if n.OldStateValue != "OK" || n.NewStateValue != "ALARM" || subject != `ALARM: "work-depth" in US East (N. Virginia)` {
				t.Fatalf("second notification %q: %s -> %s (%s)", subject, n.OldStateValue, n.NewStateValue, n.NewStateReason)
			}
			if !strings.HasPrefix(n.NewStateReason, "Threshold Crossed: 2 out of the last 2 datapoints [5.0 (") {
				t.Errorf("ALARM reason %q", n.NewStateReason)
			}
			if n.AlarmName != "work-depth" || n.AlarmDescription != "messages in work" || n.AWSAccountID != testAccount ||
				n.AlarmARN != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:work-depth" || n.Region != "US East (N. Virginia)" ||
				n.Trigger.MetricName != "ApproximateNumberOfMessagesVisible" || n.Trigger.Namespace != "AWS/SQS" || n.Trigger.Statistic != "MAXIMUM" ||
				n.Trigger.Period != 60 || n.Trigger.EvaluationPeriods != 2 || n.Trigger.Threshold != 3 || n.Trigger.TreatMissingData != "notBreaching" ||
				len(n.Trigger.Dimensions) != 1 || n.Trigger.Dimensions[0] != (lambdaevents.CloudWatchDimension{Name: "QueueName", Value: "work"}) {
				t.Errorf("notification: %+v", n)
			}
			if at, err := time.Parse("2006-01-02T15:04:05.000-0700", n.StateChangeTime); err != nil || time.Since(at) > time.Minute {
				t.Errorf("StateChangeTime %q (%v)", n.StateChangeTime, err)
			}

			// Drained, the queue has no visible message: back to OK.
			for {
				out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &workURL, MaxNumberOfMessages: 10})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Messages) == 0 {
					break
				}
				var del []sqstypes.DeleteMessageBatchRequestEntry
				for i, m := range out.Messages {
					del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(string(rune('a' + i))), ReceiptHandle: m.ReceiptHandle})
				}
				if _, err := sq.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &workURL, Entries: del}); err != nil {
					t.Fatal(err)
				}
			}
			_, n = inbox.next(10 * time.Second)
			if n.OldStateValue != "ALARM" || n.NewStateValue != "OK" || !strings.Contains(n.NewStateReason, "[0.0 (") {
				t.Fatalf("third notification: %s -> %s (%s)", n.OldStateValue, n.NewStateValue, n.NewStateReason)
			}

			a, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"work-depth"}})
			if err != nil || len(a.MetricAlarms) != 1 || a.MetricAlarms[0].StateValue != cwtypes.StateValueOk {
				t.Fatalf("DescribeAlarms after the drain: %+v, %v", a, err)
			}
			var data struct {
				Period              int       `json:"period"`
				Statistic           string    `json:"statistic"`
				RecentDatapoints    []float64 `json:"recentDatapoints"`
				EvaluatedDatapoints []struct {
					Value float64 `json:"value"`
				} `json:"evaluatedDatapoints"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(a.MetricAlarms[0].StateReasonData)), &data); err != nil ||
				data.Period != 60 || data.Statistic != "Maximum" || len(data.RecentDatapoints) != 2 || len(data.EvaluatedDatapoints) != 2 {
				t.Errorf("StateReasonData %s (%v)", aws.ToString(a.MetricAlarms[0].StateReasonData), err)
			}
			hist, err := cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("work-depth"),
				HistoryItemType: cwtypes.HistoryItemTypeStateUpdate, ScanBy: cwtypes.ScanByTimestampAscending})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hist.AlarmHistoryItems {
				got = append(got, aws.ToString(h.HistorySummary))
			}
			want := "Alarm updated from INSUFFICIENT_DATA to OK|Alarm updated from OK to ALARM|Alarm updated from ALARM to OK"
			if strings.Join(got, "|") != want {
				t.Errorf("state history %q, want %q", strings.Join(got, "|"), want)
			}
		})
	}
}
