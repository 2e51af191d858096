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
