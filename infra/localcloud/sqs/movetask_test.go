package sqs

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// moveSetup creates a DLQ named dlq (FIFO when the name says so), its
// source queue src, and a third queue other of the same type; it returns
// their URLs.
func moveSetup(t *testing.T, s *Service, dlq, src, other string) (dlqURL, srcURL, otherURL string) {
	t.Helper()
	attrs := func(extra map[string]string) map[string]string {
		if strings.HasSuffix(dlq, ".fifo") {
			extra["FifoQueue"] = "true"
		}
		return extra
	}
	dlqURL = createQ(t, s, dlq, attrs(map[string]string{}))
	srcURL = createQ(t, s, src, attrs(map[string]string{"VisibilityTimeout": "0",
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:%s","maxReceiveCount":5}`, dlq)}))
	otherURL = createQ(t, s, other, attrs(map[string]string{}))
	return dlqURL, srcURL, otherURL
}

// waitTask polls ListMessageMoveTasks until the newest task of source
// leaves the given statuses and returns it.
func waitTask(t *testing.T, s *Service, sourceARN string, while ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := mustCall(t, s, "ListMessageMoveTasks", map[string]any{"SourceArn": sourceARN})
		res := out["Results"].([]any)
		if len(res) == 0 {
			t.Fatal("no move task listed")
		}
		task := res[0].(map[string]any)
		still := false
		for _, st := range while {
			still = still || task["Status"] == st
		}
		if !still {
			return task
		}
		if time.Now().After(deadline) {
			t.Fatalf("task still %v after 10s", task["Status"])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMoveTaskMovesNewMessages: SQS documents that a move task enqueues
// what it moves as new messages, with a new message id and enqueue time
// (so the destination's retention starts again), and a FIFO destination
// gives them sequence numbers.
func TestMoveTaskMovesNewMessages(t *testing.T) {
	tests := []struct {
		name, dlq, src, other string
	}{
		{"standard", "d", "s", "o"},
		{"fifo", "d.fifo", "s.fifo", "o.fifo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
			s := newTestService(t, nil, clock)
			dlqURL, _, otherURL := moveSetup(t, s, tc.dlq, tc.src, tc.other)
			in := map[string]any{"MessageBody": "poison"}
			if tc.name == "fifo" {
				in["MessageGroupId"], in["MessageDeduplicationId"] = "g", "1"
			}
			sent := send(t, s, dlqURL, in)
			clock.Add(time.Hour)
			mustCall(t, s, "StartMessageMoveTask", map[string]any{
				"SourceArn": "arn:aws:sqs:us-east-1:123456789012:" + tc.dlq, "DestinationArn": "arn:aws:sqs:us-east-1:123456789012:" + tc.other})
			if task := waitTask(t, s, "arn:aws:sqs:us-east-1:123456789012:"+tc.dlq, "RUNNING"); task["Status"] != "COMPLETED" {
				t.Fatalf("task %v", task)
			}
			got := receive(t, s, otherURL, nil)
			if len(got) != 1 || got[0]["Body"] != "poison" {
				t.Fatalf("destination holds %v, want the poison message", got)
			}
			attrs := got[0]["Attributes"].(map[string]any)
			if got[0]["MessageId"] == sent["MessageId"] {
				t.Errorf("moved message kept its id %v", sent["MessageId"])
			}
			if want := fmt.Sprint(clock.Now().UnixMilli()); attrs["SentTimestamp"] != want {
				t.Errorf("SentTimestamp %v, want the move's time %s", attrs["SentTimestamp"], want)
			}
			if attrs["ApproximateReceiveCount"] != "1" {
				t.Errorf("ApproximateReceiveCount %v on the first receive after the move", attrs["ApproximateReceiveCount"])
			}
			if seq, _ := attrs["SequenceNumber"].(string); tc.name == "fifo" && len(seq) != 20 {
				t.Errorf("FIFO destination gave sequence number %q", seq)
			}
		})
	}
}

// TestMoveTaskCancel: a cancelled task reports CANCELLING until its
// worker stops, then CANCELLED with the final count; what it moved stays
// moved, the rest stays in the DLQ, and nothing is in both.
func TestMoveTaskCancel(t *testing.T) {
	s := newTestService(t, nil, nil)
	dlqURL, _, otherURL := moveSetup(t, s, "cd", "cs", "co")
	const n = 40
	for i := range n {
		send(t, s, dlqURL, map[string]any{"MessageBody": fmt.Sprint(i)})
	}
	arn := "arn:aws:sqs:us-east-1:123456789012:cd"
	out := mustCall(t, s, "StartMessageMoveTask", map[string]any{"SourceArn": arn,
		"DestinationArn": "arn:aws:sqs:us-east-1:123456789012:co", "MaxNumberOfMessagesPerSecond": 20})
	time.Sleep(300 * time.Millisecond)
	cancelled := mustCall(t, s, "CancelMessageMoveTask", map[string]any{"TaskHandle": out["TaskHandle"]})
	if code, body, _ := call(t, s, "CancelMessageMoveTask", map[string]any{"TaskHandle": out["TaskHandle"]}); code == 200 {
		t.Errorf("second cancel answered %v, want an error (only RUNNING tasks can be cancelled)", body)
	}
	task := waitTask(t, s, arn, "RUNNING", "CANCELLING")
	if task["Status"] != "CANCELLED" {
		t.Fatalf("task %v, want CANCELLED", task)
	}
	moved := int(task["ApproximateNumberOfMessagesMoved"].(float64))
	if atCancel := int(cancelled["ApproximateNumberOfMessagesMoved"].(float64)); moved < atCancel || moved == 0 || moved >= n {
		t.Errorf("moved %d (at cancel %d) of %d: want some, not all", moved, atCancel, n)
	}
	seen := map[string]int{}
	count := func(url string) int {
		c := 0
		for {
			got := receive(t, s, url, map[string]any{"VisibilityTimeout": 60})
			if len(got) == 0 {
				return c
			}
			for _, m := range got {
				seen[m["Body"].(string)]++
				c++
			}
		}
	}
	if inDest := count(otherURL); inDest != moved {
		t.Errorf("destination holds %d, the task says it moved %d", inDest, moved)
	}
	count(dlqURL)
	for i := range n {
		if c := seen[fmt.Sprint(i)]; c != 1 {
			t.Errorf("message %d is in %d queues, want exactly 1", i, c)
		}
	}
	// The source is free for a new task once the cancelled one stopped.
	if code, body, _ := call(t, s, "StartMessageMoveTask", map[string]any{"SourceArn": arn, "DestinationArn": "arn:aws:sqs:us-east-1:123456789012:co"}); code != 200 {
		t.Errorf("new task after a cancel: %d %v", code, body)
	}
}
