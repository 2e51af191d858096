package sqs

import (
	"testing"

	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// TestDescribeWrite: what damage to the log lost is reported in SQS's
// words, message by message, so a user can tell which messages to send
// again.
func TestDescribeWrite(t *testing.T) {
	tests := []struct {
		w    storage.Write
		want string
	}{
		{storage.Write{Bucket: msgBucket("work"), Key: seqKey(7), Val: []byte(`{"ID":"4f1c","Body":"hello"}`)},
			`put of message seq 7 in queue work (MessageId 4f1c, body "hello")`},
		{storage.Write{Bucket: msgBucket("work"), Key: seqKey(7)}, "delete of message seq 7 in queue work"},
		{storage.Write{Bucket: bucketQueues, Key: []byte("work"), Val: []byte(`{}`)}, "put of queue work"},
		{storage.Write{Bucket: []byte("dynamodb.tables"), Key: []byte("t")}, ""},
	}
	for _, tc := range tests {
		if got := DescribeWrite(tc.w); got != tc.want {
			t.Errorf("DescribeWrite(%s %q) = %q, want %q", tc.w.Bucket, tc.w.Key, got, tc.want)
		}
	}
}

// TestNormalizeRedrivePolicy: only a string maxReceiveCount changes, to
// the number; spacing, order and other members stay as written.
func TestNormalizeRedrivePolicy(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"deadLetterTargetArn":"arn:x","maxReceiveCount":"4"}`, `{"deadLetterTargetArn":"arn:x","maxReceiveCount":4}`},
		{`{ "maxReceiveCount" : "12", "deadLetterTargetArn" : "arn:x" }`, `{ "maxReceiveCount" : 12, "deadLetterTargetArn" : "arn:x" }`},
		{`{"deadLetterTargetArn":"arn:x","maxReceiveCount":4}`, `{"deadLetterTargetArn":"arn:x","maxReceiveCount":4}`},
		{`{"deadLetterTargetArn":"maxReceiveCount","maxReceiveCount":"7"}`, `{"deadLetterTargetArn":"maxReceiveCount","maxReceiveCount":7}`},
		{`{"maxReceiveCount":"four"}`, `{"maxReceiveCount":"four"}`},
	}
	for _, tc := range tests {
		if got := normalizeAttribute("RedrivePolicy", tc.in); got != tc.want {
			t.Errorf("normalizeAttribute(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := normalizeAttribute("Policy", `{"maxReceiveCount":"4"}`); got != `{"maxReceiveCount":"4"}` {
		t.Errorf("a Policy changed: %s", got)
	}
}
