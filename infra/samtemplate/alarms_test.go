package samtemplate_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/eventchain/eventchain/infra/samtemplate"
)

// TestMetricAlarms reads the template's depth alarms whole: what the local
// mode puts in localcloud.
func TestMetricAlarms(t *testing.T) {
	r := resolve(t, nil)
	alarms, err := r.MetricAlarms()
	if err != nil {
		t.Fatal(err)
	}
	if len(alarms) != len(r.Alarms) {
		t.Fatalf("%d metric alarms, %d alarms", len(alarms), len(r.Alarms))
	}
	topic, _ := r.Topic("AlarmTopic")
	dlq, _ := r.Queue("LaunchDLQ")
	want := samtemplate.MetricAlarm{
		LogicalID: "LaunchDLQDepthAlarm", Name: r.StackName + "-LaunchDLQDepthAlarm",
		Description: "Launch requests dead-lettered (undecodable or failing maxReceiveCount times).",
		Namespace:   "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible",
		Dimensions: []samtemplate.Dimension{{Name: "QueueName", Value: dlq.Name}},
		Statistic:  "Maximum", Period: 60, EvaluationPeriods: 1, Threshold: 1,
		ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching",
		ActionsEnabled: true, AlarmActions: []string{topic.ARN}, OKActions: []string{topic.ARN},
	}
	if !reflect.DeepEqual(alarms[0], want) {
		t.Errorf("first alarm\n%+v\nwant\n%+v", alarms[0], want)
	}
}

const alarmsFixture = `Resources:
  Q:
    Type: AWS::SQS::Queue
  Age:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: age-of-q
      ActionsEnabled: false
      Namespace: AWS/SQS
      MetricName: ApproximateAgeOfOldestMessage
      Dimensions: [{Name: QueueName, Value: !GetAtt Q.QueueName}]
      ExtendedStatistic: p99
      Unit: Seconds
      Period: 300
      EvaluationPeriods: 3
      DatapointsToAlarm: "2"
      Threshold: 600.5
      ComparisonOperator: GreaterThanThreshold
      InsufficientDataActions: [arn:aws:sns:us-east-1:123456789012:ops]
  Math:
    Type: AWS::CloudWatch::Alarm
    Properties:
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanThreshold
      Metrics: [{Id: e1, Expression: "m1 * 2"}]
`

func TestMetricAlarmProperties(t *testing.T) {
	resolveFixture := func(src string) *samtemplate.Resolved {
		t.Helper()
		tmpl, err := samtemplate.Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		r, err := tmpl.Resolve(nil, samtemplate.LocalResolver{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	bad := resolveFixture(alarmsFixture + `  BadDimensions:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Dimensions: QueueName
`)
	if _, err := bad.MetricAlarms(); err == nil || !strings.Contains(err.Error(), "BadDimensions") {
		t.Errorf("malformed dimensions: %v", err)
	}

	r := resolveFixture(alarmsFixture)
	alarms, err := r.MetricAlarms()
	if err != nil {
		t.Fatal(err)
	}
	if len(alarms) != 2 {
		t.Fatalf("%d alarms, want 2", len(alarms))
	}
	want := samtemplate.MetricAlarm{
		LogicalID: "Age", Name: "age-of-q", Namespace: "AWS/SQS", MetricName: "ApproximateAgeOfOldestMessage",
		Dimensions:        []samtemplate.Dimension{{Name: "QueueName", Value: r.StackName + "-Q"}},
		ExtendedStatistic: "p99", Unit: "Seconds", Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 600.5,
		ComparisonOperator: "GreaterThanThreshold", InsufficientDataActions: []string{"arn:aws:sns:us-east-1:123456789012:ops"},
	}
	if !reflect.DeepEqual(alarms[0], want) {
		t.Errorf("alarm\n%+v\nwant\n%+v", alarms[0], want)
	}
	if !alarms[1].MetricMath {
		t.Errorf("a metric math alarm not marked: %+v", alarms[1])
	}
}
