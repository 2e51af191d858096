package localcloud_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud"
)

// cliBackends are the servers the aws CLI tests run against: localcloud
// in memory and with a data directory, both served through Listen (the
// CLI is another process: nothing else orders the handler's installation
// before its requests for the race detector), and moto_server. A CLI call
// can take seconds on a busy machine, so localcloud's alarm periods are
// stretched (a 60 s period to about two years) for no evaluation to
// change a state the test reads.
func cliBackends(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	for _, kind := range []string{"localcloud-memory", "localcloud-disk"} {
		t.Run(kind, func(t *testing.T) {
			opts := localcloud.Options{AlarmPeriodScale: 1e6}
			if kind == "localcloud-disk" {
				opts.DataDir = t.TempDir()
			}
			cloud, srv, l, err := localcloud.Listen("127.0.0.1:0", opts)
			if err != nil {
				t.Fatalf("start localcloud: %v", err)
			}
			t.Cleanup(func() {
				srv.Close()
				if err := cloud.Close(); err != nil {
					t.Errorf("close localcloud: %v", err)
				}
			})
			fn(t, backend{Name: kind, Endpoint: "http://" + l.Addr().String(), IsLocal: true, Cloud: cloud, DataDir: opts.DataDir})
		})
	}
	t.Run("moto", func(t *testing.T) { fn(t, newBackend(t, "moto", localcloud.Options{})) })
}

// TestCLICloudWatchAlarms drives the alarm operations with the aws CLI,
// which speaks AWS JSON 1.0 to CloudWatch (botocore 1.43), on localcloud
// and on moto where moto agrees. Each CLI call costs a Python start: the
// test makes few.
func TestCLICloudWatchAlarms(t *testing.T) {
	cliBackends(t, func(t *testing.T, b backend) {
		topic := "arn:aws:sns:us-east-1:123456789012:alarms"
		awsCLI(t, b, "cloudwatch", "put-metric-alarm", "--alarm-name", "cli-depth", "--alarm-description", "dead letters",
			"--namespace", "AWS/SQS", "--metric-name", "ApproximateNumberOfMessagesVisible",
			"--dimensions", "Name=QueueName,Value=cli-dlq", "--statistic", "Maximum", "--period", "60",
			"--evaluation-periods", "1", "--threshold", "1", "--comparison-operator", "GreaterThanOrEqualToThreshold",
			"--treat-missing-data", "notBreaching", "--alarm-actions", topic, "--ok-actions", topic,
			"--tags", "Key=team,Value=ops")

		doc := awsCLI(t, b, "cloudwatch", "describe-alarms", "--alarm-names", "cli-depth")
		if n := jsonLen(t, doc, "MetricAlarms"); n != 1 {
			t.Fatalf("describe-alarms: %d alarms: %v", n, doc)
		}
		alarm := jsonPath(t, doc, "MetricAlarms", 0)
		for path, want := range map[string]string{
			"AlarmName":          "cli-depth",
			"AlarmArn":           "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cli-depth",
			"AlarmDescription":   "dead letters",
			"Namespace":          "AWS/SQS",
			"MetricName":         "ApproximateNumberOfMessagesVisible",
			"Statistic":          "Maximum",
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"TreatMissingData":   "notBreaching",
		} {
			if got := jsonString(t, alarm, path); got != want {
				t.Errorf("%s = %q, want %q", path, got, want)
			}
		}
		if jsonString(t, alarm, "Dimensions", 0, "Name") != "QueueName" || jsonString(t, alarm, "Dimensions", 0, "Value") != "cli-dlq" ||
			jsonString(t, alarm, "AlarmActions", 0) != topic || jsonString(t, alarm, "OKActions", 0) != topic ||
			jsonPath(t, alarm, "Threshold") != 1.0 || jsonPath(t, alarm, "Period") != 60.0 || jsonPath(t, alarm, "EvaluationPeriods") != 1.0 ||
			jsonPath(t, alarm, "ActionsEnabled") != true {
			t.Errorf("alarm as described: %v", alarm)
		}
		if b.IsLocal {
			// moto starts alarms in OK; CloudWatch has not evaluated a
			// new alarm yet.
			if got := jsonString(t, alarm, "StateValue"); got != "INSUFFICIENT_DATA" {
				t.Errorf("StateValue %q, want INSUFFICIENT_DATA", got)
			}
			// The CLI prints the epoch seconds it was sent as they are.
			if ts, ok := jsonPath(t, alarm, "AlarmConfigurationUpdatedTimestamp").(float64); !ok || math.Abs(ts-float64(time.Now().Unix())) > 600 {
				t.Errorf("AlarmConfigurationUpdatedTimestamp %v, want about now in epoch seconds", jsonPath(t, alarm, "AlarmConfigurationUpdatedTimestamp"))
			}
		}

		if stderr := awsCLIError(t, b, "cloudwatch", "set-alarm-state", "--alarm-name", "no-such-alarm", "--state-value", "ALARM", "--state-reason", "x"); !strings.Contains(stderr, "(ResourceNotFound)") {
			t.Errorf("set-alarm-state of no alarm: %s", stderr)
		}

		if b.IsLocal {
			// moto_server answers DescribeAlarmHistory with HTTP 500.
			awsCLI(t, b, "cloudwatch", "set-alarm-state", "--alarm-name", "cli-depth", "--state-value", "ALARM", "--state-reason", "drill",
				"--state-reason-data", `{"by":"cli"}`)
			doc = awsCLI(t, b, "cloudwatch", "describe-alarm-history", "--alarm-name", "cli-depth", "--history-item-type", "StateUpdate")
			if jsonLen(t, doc, "AlarmHistoryItems") != 1 || jsonString(t, doc, "AlarmHistoryItems", 0, "HistorySummary") != "Alarm updated from INSUFFICIENT_DATA to ALARM" {
				t.Errorf("describe-alarm-history: %v", doc)
			}
			var data map[string]any
			if err := json.Unmarshal([]byte(jsonString(t, doc, "AlarmHistoryItems", 0, "HistoryData")), &data); err != nil ||
				jsonString(t, data, "newState", "stateReason") != "drill" || jsonString(t, data, "oldState", "stateValue") != "INSUFFICIENT_DATA" {
				t.Errorf("HistoryData %v (%v)", data, err)
			}
			if stderr := awsCLIError(t, b, "cloudwatch", "put-metric-alarm", "--alarm-name", "bad", "--namespace", "AWS/SQS", "--metric-name", "M",
				"--statistic", "Maximum", "--period", "45", "--evaluation-periods", "1", "--threshold", "1",
				"--comparison-operator", "GreaterThanThreshold"); !strings.Contains(stderr, "(ValidationError)") || !strings.Contains(stderr, "Period must be 10, 20, 30 or a multiple of 60") {
				t.Errorf("put-metric-alarm with period 45: %s", stderr)
			}
		}

		awsCLI(t, b, "cloudwatch", "delete-alarms", "--alarm-names", "cli-depth", "never-was")
		doc = awsCLI(t, b, "cloudwatch", "describe-alarms-for-metric", "--namespace", "AWS/SQS", "--metric-name", "ApproximateNumberOfMessagesVisible")
		if jsonLen(t, doc, "MetricAlarms") != 0 {
			t.Errorf("describe-alarms-for-metric after delete-alarms: %v", doc)
		}
	})
}
