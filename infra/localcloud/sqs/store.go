package sqs

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// Bucket layout: one bucket of queue records, and per queue one bucket of
// messages (keyed by Seq) and one of FIFO deduplication entries.
var bucketQueues = []byte("sqs.queues")

func msgBucket(queue string) []byte   { return []byte("sqs.m." + queue) }
func dedupBucket(queue string) []byte { return []byte("sqs.d." + queue) }

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// DescribeWrite names a write of the SQS buckets for reports of what
// damage to the log lost: a message by queue, sequence, id and the start
// of its body; a queue by name. It returns "" for other buckets.
func DescribeWrite(w storage.Write) string {
	bucket := string(w.Bucket)
	switch {
	case strings.HasPrefix(bucket, "sqs.m.") && len(w.Key) == 8:
		desc := fmt.Sprintf("%s of message seq %d in queue %s", w.Op(), binary.BigEndian.Uint64(w.Key), strings.TrimPrefix(bucket, "sqs.m."))
		var m struct{ ID, Body string }
		if w.Val != nil && json.Unmarshal(w.Val, &m) == nil && m.ID != "" {
			desc += fmt.Sprintf(" (MessageId %s, body %.60q)", m.ID, m.Body)
		}
		return desc
	case bucket == string(bucketQueues):
		return fmt.Sprintf("%s of queue %s", w.Op(), w.Key)
	}
	return ""
}
