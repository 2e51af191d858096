package main

import (
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestAlarmPeriodScaleFlag(t *testing.T) {
	cfg, err := parseLocalcloudFlags([]string{"--alarm-period-scale", "0.01"}, io.Discard)
	if err != nil || cfg.opts.AlarmPeriodScale != 0.01 {
		t.Errorf("--alarm-period-scale 0.01: %v, scale %v", err, cfg.opts.AlarmPeriodScale)
	}
	for _, bad := range []string{"0", "-1", "+Inf", "NaN"} {
		if _, err := parseLocalcloudFlags([]string{"--alarm-period-scale", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "want a positive number") {
			t.Errorf("--alarm-period-scale %s: %v", bad, err)
		}
	}
}

// TestRunLogsAlarmStateChanges: with its alarms' periods scaled down,
// `eventchain run` logs the launch DLQ's alarm going to ALARM once a
// message lands there, and back to OK once it is gone.
func TestRunLogsAlarmStateChanges(t *testing.T) {
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runLocal(ctx, []string{"--template", "../../template.yaml", "--port", "0", "--cloud-port", "0", "--memory",
			"--alarm-period-scale", "0.005"}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run ended with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("run did not stop within 30s of being cancelled")
		}
	}()
	cloudURL := waitFor(t, &stdout, regexp.MustCompile(`localcloud\s+(http://127\.0\.0\.1:\d+)`), done)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(cloudURL), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}

	// The log shows what the alarm topic publishes once run subscribes
	// to it, just after the banner: the test waits for that.
	topic := "arn:aws:sns:us-east-1:123456789012:eventchain-AlarmTopic"
	for deadline := time.Now().Add(30 * time.Second); ; {
		out, err := sns.NewFromConfig(cfg).ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(out.Subscriptions, func(s snstypes.Subscription) bool { return strings.Contains(aws.ToString(s.Endpoint), "local-tail") }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not subscribe to %s", topic)
		}
		time.Sleep(20 * time.Millisecond)
	}

	client := sqs.NewFromConfig(cfg)
	dlq := aws.String(cloudURL + "/123456789012/eventchain-LaunchDLQ")
	if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: dlq, MessageBody: aws.String("dead")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &stdout, regexp.MustCompile(`  alarm     ALARM\s+eventchain-LaunchDLQDepthAlarm\s+was (OK|INSUFFICIENT_DATA): Threshold Crossed: 1 out of the last 1 datapoints \[1\.0 `), done)
	if _, err := client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: dlq}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &stdout, regexp.MustCompile(`  alarm     OK\s+eventchain-LaunchDLQDepthAlarm\s+was ALARM$`), done)
}
