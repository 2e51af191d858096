package localcloud_test

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// CloudWatch returns a CloudWatch client for the backend. The Go SDK
// speaks RPC v2 CBOR to CloudWatch, which moto_server (5.2) does not
// serve: tests with this client run on localcloud only.
func (b backend) CloudWatch(optFns ...func(*cloudwatch.Options)) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(b.AWSConfig(), append([]func(*cloudwatch.Options){func(o *cloudwatch.Options) {
		o.BaseEndpoint = aws.String(b.Endpoint)
	}}, optFns...)...)
}

// depthAlarm is a queue depth alarm as the template declares them.
func depthAlarm(name, queue string, actions ...string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		AlarmDescription:   aws.String("messages in " + queue),
		Namespace:          aws.String("AWS/SQS"),
		MetricName:         aws.String("ApproximateNumberOfMessagesVisible"),
		Dimensions:         []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String(queue)}},
		Statistic:          cwtypes.StatisticMaximum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		TreatMissingData:   aws.String("notBreaching"),
		AlarmActions:       actions,
		OKActions:          actions,
	}
}

// TestCloudWatchAlarmsWithGoSDK runs the alarm operations through the Go
// SDK's CBOR client: what PutMetricAlarm was given is what DescribeAlarms
// answers, filters and pages, tags, action switches, SetAlarmState and
// its errors, deletion; with a data directory it all survives a restart.
func TestCloudWatchAlarmsWithGoSDK(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		ctx, cw := b.Ctx(t), b.CloudWatch()
		topic := "arn:aws:sns:us-east-1:123456789012:alarms"
		put := depthAlarm("dlq-depth", "work-dlq", topic)
		put.DatapointsToAlarm = aws.Int32(1)
		put.Tags = []cwtypes.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}
		before := time.Now().Add(-time.Second)
		if _, err := cw.PutMetricAlarm(ctx, put); err != nil {
			t.Fatalf("PutMetricAlarm: %v", err)
		}
		ageAlarm := &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String("work-age"), Namespace: aws.String("AWS/SQS"), MetricName: aws.String("ApproximateAgeOfOldestMessage"),
			Dimensions:        []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String("work")}},
			ExtendedStatistic: aws.String("p90"), Unit: cwtypes.StandardUnitSeconds, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(3),
			Threshold: aws.Float64(600), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, ActionsEnabled: aws.Bool(false),
		}
		if _, err := cw.PutMetricAlarm(ctx, ageAlarm); err != nil {
			t.Fatalf("PutMetricAlarm with a percentile: %v", err)
		}

		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"dlq-depth"}})
		if err != nil {
			t.Fatalf("DescribeAlarms: %v", err)
		}
		if len(out.MetricAlarms) != 1 || len(out.CompositeAlarms) != 0 {
			t.Fatalf("DescribeAlarms = %d metric, %d composite alarms", len(out.MetricAlarms), len(out.CompositeAlarms))
		}
		a := out.MetricAlarms[0]
		switch {
		case aws.ToString(a.AlarmArn) != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:dlq-depth",
			aws.ToString(a.AlarmDescription) != "messages in work-dlq",
			a.Statistic != cwtypes.StatisticMaximum, aws.ToString(a.Namespace) != "AWS/SQS",
			aws.ToString(a.MetricName) != "ApproximateNumberOfMessagesVisible",
			len(a.Dimensions) != 1 || aws.ToString(a.Dimensions[0].Name) != "QueueName" || aws.ToString(a.Dimensions[0].Value) != "work-dlq",
			aws.ToInt32(a.Period) != 60, aws.ToInt32(a.EvaluationPeriods) != 1, aws.ToInt32(a.DatapointsToAlarm) != 1,
			aws.ToFloat64(a.Threshold) != 1, a.ComparisonOperator != cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
			aws.ToString(a.TreatMissingData) != "notBreaching", !aws.ToBool(a.ActionsEnabled),
			!slices.Equal(a.AlarmActions, []string{topic}), !slices.Equal(a.OKActions, []string{topic}), len(a.InsufficientDataActions) != 0:
			t.Errorf("alarm as described: %+v", a)
		}
		// A new alarm has not been evaluated: a 60 s period has not ended.
		if a.StateValue != cwtypes.StateValueInsufficientData || aws.ToString(a.StateReason) != "Unchecked: Initial alarm creation" {
			t.Errorf("new alarm in %s (%q)", a.StateValue, aws.ToString(a.StateReason))
		}
		if ts := aws.ToTime(a.AlarmConfigurationUpdatedTimestamp); ts.Before(before) || ts.After(time.Now().Add(time.Second)) {
			t.Errorf("AlarmConfigurationUpdatedTimestamp %v, want about now", ts)
		}

		forMetric, err := cw.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String("AWS/SQS"),
			MetricName: aws.String("ApproximateAgeOfOldestMessage"), Dimensions: []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String("work")}}})
		if err != nil {
			t.Fatalf("DescribeAlarmsForMetric: %v", err)
		}
		if len(forMetric.MetricAlarms) != 1 || aws.ToString(forMetric.MetricAlarms[0].ExtendedStatistic) != "p90" ||
			forMetric.MetricAlarms[0].Unit != cwtypes.StandardUnitSeconds || aws.ToBool(forMetric.MetricAlarms[0].ActionsEnabled) {
			t.Errorf("DescribeAlarmsForMetric = %+v", forMetric.MetricAlarms)
		}

		// Paging, one alarm a page, and the filters.
		var names []string
		p := cloudwatch.NewDescribeAlarmsPaginator(cw, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(1)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("DescribeAlarms page: %v", err)
			}
			for _, a := range page.MetricAlarms {
				names = append(names, aws.ToString(a.AlarmName))
			}
		}
		if !slices.Equal(names, []string{"dlq-depth", "work-age"}) {
			t.Errorf("paged alarms %v", names)
		}
		for _, f := range []struct {
			name string
			in   *cloudwatch.DescribeAlarmsInput
			want string
		}{
			{"prefix", &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("work")}, "work-age"},
			{"action prefix", &cloudwatch.DescribeAlarmsInput{ActionPrefix: aws.String("arn:aws:sns:")}, "dlq-depth"},
			{"state", &cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm}, ""},
			{"composite only", &cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeCompositeAlarm}}, ""},
		} {
			got, err := cw.DescribeAlarms(ctx, f.in)
			if err != nil {
				t.Fatalf("DescribeAlarms by %s: %v", f.name, err)
			}
			var n []string
			for _, a := range got.MetricAlarms {
				n = append(n, aws.ToString(a.AlarmName))
			}
			if strings.Join(n, ",") != f.want {
				t.Errorf("DescribeAlarms by %s = %v, want %q", f.name, n, f.want)
			}
		}

		// Tags: given at creation, added, removed.
		arn := aws.ToString(a.AlarmArn)
		if _, err := cw.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: &arn, Tags: []cwtypes.Tag{{Key: aws.String("env"), Value: aws.String("local")}}}); err != nil {
			t.Fatalf("TagResource: %v", err)
		}
		if _, err := cw.UntagResource(ctx, &cloudwatch.UntagResourceInput{ResourceARN: &arn, TagKeys: []string{"team"}}); err != nil {
			t.Fatalf("UntagResource: %v", err)
		}
		tags, err := cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: &arn})
		if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" || aws.ToString(tags.Tags[0].Value) != "local" {
			t.Errorf("ListTagsForResource = %+v, %v", tags, err)
		}
		_, err = cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn + "-gone")})
		if code := apiCode(err); code != "ResourceNotFoundException" {
			t.Errorf("ListTagsForResource of no alarm: %s", code)
		}

		// SetAlarmState, and its errors in CloudWatch's codes.
		if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("dlq-depth"), StateValue: cwtypes.StateValueAlarm,
			StateReason: aws.String("drill")}); err != nil {
			t.Fatalf("SetAlarmState: %v", err)
		}
		_, err = cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("x")})
		var notFound *cwtypes.ResourceNotFound
		if !errors.As(err, &notFound) || apiCode(err) != "ResourceNotFound" {
			t.Errorf("SetAlarmState of no alarm: %v", err)
		}
		_, err = cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("dlq-depth"), StateValue: cwtypes.StateValueOk,
			StateReason: aws.String("x"), StateReasonData: aws.String("{not json")})
		if code := apiCode(err); code != "InvalidFormat" {
			t.Errorf("SetAlarmState with bad reason data: %s (%v)", code, err)
		}
		if _, err := cw.DisableAlarmActions(ctx, &cloudwatch.DisableAlarmActionsInput{AlarmNames: []string{"dlq-depth", "nope"}}); err != nil {
			t.Fatalf("DisableAlarmActions: %v", err)
		}

		// What CloudWatch refuses, and what localcloud does not evaluate.
		bad := depthAlarm("bad", "q")
		bad.DatapointsToAlarm = aws.Int32(2)
		if _, err := cw.PutMetricAlarm(ctx, bad); apiCode(err) != "ValidationError" {
			t.Errorf("DatapointsToAlarm > EvaluationPeriods: %v", err)
		}
		bad = depthAlarm("bad", "q")
		bad.Period = aws.Int32(45)
		if _, err := cw.PutMetricAlarm(ctx, bad); apiCode(err) != "ValidationError" {
			t.Errorf("Period 45: %v", err)
		}
		bad = depthAlarm("bad", "q")
		bad.ExtendedStatistic = aws.String("p99")
		if _, err := cw.PutMetricAlarm(ctx, bad); apiCode(err) != "InvalidParameterCombination" {
			t.Errorf("Statistic and ExtendedStatistic: %v", err)
		}
		math := &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("math"), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
			Metrics:            []cwtypes.MetricDataQuery{{Id: aws.String("e1"), Expression: aws.String("m1 * 2")}}}
		if _, err := cw.PutMetricAlarm(ctx, math); apiCode(err) != "InvalidParameterValue" || !strings.Contains(err.Error(), "metric math") {
			t.Errorf("a metric math alarm: %v", err)
		}

		if b.DataDir != "" {
			b = restartLocal(t, b)
			cw = b.CloudWatch()
		}
		out, err = cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		if err != nil {
			t.Fatalf("DescribeAlarms: %v", err)
		}
		if len(out.MetricAlarms) != 2 {
			t.Fatalf("%d alarms, want 2", len(out.MetricAlarms))
		}
		if a := out.MetricAlarms[0]; a.StateValue != cwtypes.StateValueAlarm || aws.ToString(a.StateReason) != "drill" || aws.ToBool(a.ActionsEnabled) {
			t.Errorf("dlq-depth: %s %q, actions enabled %v", a.StateValue, aws.ToString(a.StateReason), aws.ToBool(a.ActionsEnabled))
		}
		hist, err := cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("dlq-depth")})
		if err != nil {
			t.Fatalf("DescribeAlarmHistory: %v", err)
		}
		var summaries []string
		for _, h := range hist.AlarmHistoryItems {
			summaries = append(summaries, aws.ToString(h.HistorySummary))
		}
		// Newest first; actions go to a topic that does not exist.
		want := []string{
			"Failed to execute action " + topic + `. Received error: "publish to ` + topic + `: NotFound: Topic does not exist"`,
			"Alarm updated from INSUFFICIENT_DATA to ALARM",
			`Alarm "dlq-depth" created`,
		}
		if strings.Join(summaries, "\n") != strings.Join(want, "\n") {
			t.Errorf("history:\n%s\nwant\n%s", strings.Join(summaries, "\n"), strings.Join(want, "\n"))
		}

		if _, err := cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"dlq-depth", "never-was"}}); err != nil {
			t.Fatalf("DeleteAlarms: %v", err)
		}
		out, err = cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		if err != nil || len(out.MetricAlarms) != 1 || aws.ToString(out.MetricAlarms[0].AlarmName) != "work-age" {
			t.Errorf("after DeleteAlarms: %+v, %v", out, err)
		}
	})
}

// TestCloudWatchFaultsAndReset: an injected fault answers in CBOR with
// the code and status asked for; a failing SNS publish is the alarm
// action's failure; reset empties CloudWatch and the health report says
// so.
func TestCloudWatchFaultsAndReset(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		ctx := b.Ctx(t)
		cw := b.CloudWatch(func(o *cloudwatch.Options) { o.Retryer = aws.NopRetryer{} })
		inject(t, b, "monitoring:PutMetricAlarm:InternalServiceError:1")
		_, err := cw.PutMetricAlarm(ctx, depthAlarm("a", "q"))
		if code, status := ec2Err(t, err); code != "InternalServiceError" || status != http.StatusInternalServerError {
			t.Fatalf("injected fault: %s (HTTP %d)", code, status)
		}

		topic := snsTopic(t, b, b.SNS(), "alarms", nil)
		if _, err := cw.PutMetricAlarm(ctx, depthAlarm("a", "q", topic)); err != nil {
			t.Fatalf("PutMetricAlarm after the fault: %v", err)
		}
		inject(t, b, "sns:Publish:InternalError:1")
		if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("a"), StateValue: cwtypes.StateValueAlarm,
			StateReason: aws.String("drill")}); err != nil {
			t.Fatalf("SetAlarmState: %v", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			hist, err := cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{HistoryItemType: cwtypes.HistoryItemTypeAction})
			if err != nil {
				t.Fatal(err)
			}
			if len(hist.AlarmHistoryItems) > 0 {
				if s := aws.ToString(hist.AlarmHistoryItems[0].HistorySummary); !strings.Contains(s, "Failed to execute action") || !strings.Contains(s, "InternalError") {
					t.Errorf("action with SNS failing: %s", s)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no Action item in the history")
			}
			time.Sleep(10 * time.Millisecond)
		}

		if got := b.Cloud.Health().Services["cloudwatch"]; got["alarms"] != 1 || got["in_alarm"] != 1 || got["history"] == 0 {
			t.Errorf("health before reset: %v", got)
		}
		if err := b.Cloud.Reset("cloudwatch"); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		if err != nil || len(out.MetricAlarms) != 0 {
			t.Errorf("DescribeAlarms after reset: %d alarms, %v", len(out.MetricAlarms), err)
		}
		hist, err := cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{})
		if err != nil || len(hist.AlarmHistoryItems) != 0 {
			t.Errorf("DescribeAlarmHistory after reset: %d items, %v", len(hist.AlarmHistoryItems), err)
		}
		if got := b.Cloud.Health().Services["cloudwatch"]; got["alarms"] != 0 || got["history"] != 0 {
			t.Errorf("health after reset: %v", got)
		}
		if !slices.Contains(b.Cloud.ResetServices(), "cloudwatch") {
			t.Errorf("ResetServices %v lacks cloudwatch", b.Cloud.ResetServices())
		}
		if b.DataDir != "" {
			b = restartLocal(t, b)
			if out, err := b.CloudWatch().DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}); err != nil || len(out.MetricAlarms) != 0 {
				t.Errorf("after reset and restart: %d alarms, %v", len(out.MetricAlarms), err)
			}
		}
	})
}

// TestCloudWatchQueryProtocolIsRefusedPlainly: the query protocol of
// older clients gets an error in that protocol saying what is served.
func TestCloudWatchQueryProtocolIsRefusedPlainly(t *testing.T) {
	b := newBackend(t, "localcloud-memory", localcloud.Options{})
	req, _ := http.NewRequest(http.MethodPost, b.Endpoint, strings.NewReader("Action=DescribeAlarms&Version=2010-08-01"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body strings.Builder
	_, _ = io.Copy(&body, resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body.String(), "<Code>InvalidAction</Code>") || !strings.Contains(body.String(), "serves monitoring in RPC v2 CBOR and AWS JSON 1.0, not in the query protocol") {
		t.Errorf("query DescribeAlarms: %d %s", resp.StatusCode, body.String())
	}
}

// TestCloudWatchFailedWritesRollBack: with the disk refusing writes, a
// change is answered with an error and left out of memory too, so what
// DescribeAlarms answers is what a restart finds.
func TestCloudWatchFailedWritesRollBack(t *testing.T) {
	b := newBackend(t, "localcloud-disk", localcloud.Options{})
	ctx := b.Ctx(t)
	cw := b.CloudWatch(func(o *cloudwatch.Options) { o.Retryer = aws.NopRetryer{} })
	if _, err := cw.PutMetricAlarm(ctx, depthAlarm("kept", "q")); err != nil {
		t.Fatal(err)
	}
	b.Cloud.Storage().InjectFault(storage.ErrInjected)
	changed := depthAlarm("kept", "q")
	changed.Threshold = aws.Float64(9)
	for name, call := range map[string]func() error{
		"PutMetricAlarm (update)": func() error { _, err := cw.PutMetricAlarm(ctx, changed); return err },
		"PutMetricAlarm (new)":    func() error { _, err := cw.PutMetricAlarm(ctx, depthAlarm("lost", "q")); return err },
		"SetAlarmState": func() error {
			_, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("kept"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("x")})
			return err
		},
		"DeleteAlarms": func() error {
			_, err := cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"kept"}})
			return err
		},
	} {
		if code, status := ec2Err(t, call()); code != "InternalServiceError" || status != http.StatusInternalServerError {
			t.Errorf("%s with the disk failing: %s (HTTP %d)", name, code, status)
		}
	}
	b.Cloud.Storage().InjectFault(nil)
	check := func(cw *cloudwatch.Client, when string) {
		t.Helper()
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.MetricAlarms) != 1 || aws.ToFloat64(out.MetricAlarms[0].Threshold) != 1 || out.MetricAlarms[0].StateValue != cwtypes.StateValueInsufficientData {
			t.Errorf("%s: %+v, want only kept, as it was", when, out.MetricAlarms)
		}
	}
	check(cw, "in memory")
	b = restartLocal(t, b)
	check(b.CloudWatch(), "after a restart")
}
