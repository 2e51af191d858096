package sqs

import (
	"testing"
	"time"
)

// TestQueueMetrics checks the two metrics CloudWatch alarms read, as SQS
// documents them: visible messages only; the age of the oldest message
// not yet deleted, in flight included, delayed ones not, and messages
// received three times or more left out while others remain.
func TestQueueMetrics(t *testing.T) {
	clock := &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := newTestService(t, nil, clock)
	metrics := func() (int, time.Duration) {
		t.Helper()
		v, age, ok := s.QueueMetrics("work")
		if !ok {
			t.Fatal("QueueMetrics: no queue work")
		}
		return v, age
	}
	if _, _, ok := s.QueueMetrics("work"); ok {
		t.Fatal("QueueMetrics of a queue not created yet: ok")
	}
	url := createQ(t, s, "work", map[string]string{"VisibilityTimeout": "10"})
	if v, age := metrics(); v != 0 || age != 0 {
		t.Errorf("empty queue: %d visible, age %v", v, age)
	}

	send(t, s, url, map[string]any{"MessageBody": "old"})
	clock.Add(30 * time.Second)
	send(t, s, url, map[string]any{"MessageBody": "new"})
	send(t, s, url, map[string]any{"MessageBody": "delayed", "DelaySeconds": 900})
	clock.Add(10 * time.Second)
	if v, age := metrics(); v != 2 || age != 40*time.Second {
		t.Errorf("two visible, one delayed: %d visible, age %v; want 2 and 40s", v, age)
	}

	if got := receive(t, s, url, map[string]any{"MaxNumberOfMessages": 1}); bodies(got) != "old" {
		t.Fatalf("received %q, want old", bodies(got))
	}
	if v, age := metrics(); v != 1 || age != 40*time.Second {
		t.Errorf("oldest in flight: %d visible, age %v; want 1 and 40s", v, age)
	}

	// "new" stays in flight; "old" comes back twice more, and once
	// received three times it no longer counts for the age while "new"
	// is there.
	if got := receive(t, s, url, map[string]any{"MaxNumberOfMessages": 1, "VisibilityTimeout": 900}); bodies(got) != "new" {
		t.Fatalf("received %q, want new", bodies(got))
	}
	for range 2 {
		clock.Add(11 * time.Second)
		if got := receive(t, s, url, map[string]any{"MaxNumberOfMessages": 1}); bodies(got) != "old" {
			t.Fatalf("received %q, want old", bodies(got))
		}
	}
	if v, age := metrics(); v != 0 || age != 32*time.Second {
		t.Errorf("oldest received three times: %d visible, age %v; want 0 and the age of new, 32s", v, age)
	}

	mustCall(t, s, "DeleteQueue", map[string]any{"QueueUrl": url})
	if _, _, ok := s.QueueMetrics("work"); ok {
		t.Error("QueueMetrics of a deleted queue: ok")
	}
}
