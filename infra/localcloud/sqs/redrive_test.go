package sqs

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestRedriveCommitsInOrder: a receive that moves a message to the DLQ
// also changes other messages of its queue (here it receives Y). Those
// writes must be queued for disk before the queue's lock is released;
// otherwise a PurgeQueue that runs in between commits its deletes first,
// and the receive's later write of Y brings Y back after a crash.
func TestRedriveCommitsInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openDB(t, path)
	s, err := New(Options{BaseURL: "http://127.0.0.1:4566", DB: db})
	if err != nil {
		t.Fatal(err)
	}
	// "a-src" sorts before "b-dlq": the receive locks the source first,
	// the order in which the purge could slip in.
	dlqURL := createQ(t, s, "b-dlq", nil)
	url := createQ(t, s, "a-src", map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:b-dlq","maxReceiveCount":1}`})
	send(t, s, url, map[string]any{"MessageBody": "X"})
	if got := receive(t, s, url, map[string]any{"VisibilityTimeout": 0}); bodies(got) != "X" {
		t.Fatalf("first receive %q, want X", bodies(got))
	}
	send(t, s, url, map[string]any{"MessageBody": "Y"})

	// Hold the DLQ so that the next receive stops where it needs it.
	dlq, _ := s.queueByName("b-dlq")
	dlq.mu.Lock()
	received := make(chan []map[string]any, 1)
	go func() { received <- receive(t, s, url, nil) }()
	time.Sleep(100 * time.Millisecond) // let the receive reach the DLQ lock
	purged := make(chan struct{})
	go func() {
		defer close(purged)
		mustCall(t, s, "PurgeQueue", map[string]any{"QueueUrl": url})
	}()
	select {
	case <-purged:
	case <-time.After(200 * time.Millisecond):
		// The purge waits for the receive, which holds the source.
	}
	dlq.mu.Unlock()
	<-purged
	got := <-received
	for _, m := range got {
		if m["Body"] != "Y" {
			t.Errorf("received %v, want Y at most", m["Body"])
		}
	}
	crash(t, db)

	db = openDB(t, path)
	defer db.Close()
	s2 := newTestService(t, db, nil)
	held := func(url string) int {
		t.Helper()
		out := mustCall(t, s2, "GetQueueAttributes", map[string]any{"QueueUrl": url, "AttributeNames": []string{"All"}})
		attrs := out["Attributes"].(map[string]any)
		visible, _ := strconv.Atoi(attrs["ApproximateNumberOfMessages"].(string))
		hidden, _ := strconv.Atoi(attrs["ApproximateNumberOfMessagesNotVisible"].(string))
		return visible + hidden
	}
	if n := held(url); n != 0 {
		t.Errorf("the purged source holds %d messages after a restart, want 0", n)
	}
	if n := held(dlqURL); n != 1 {
		t.Errorf("the DLQ holds %d messages after a restart, want X", n)
	}
}
