package cloudwatch

import (
	"cmp"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// Bucket names; every CloudWatch bucket starts with "cloudwatch" so that
// the services sharing one database never collide.
var (
	bucketAlarms  = []byte("cloudwatch.alarms")
	bucketHistory = []byte("cloudwatch.history")
)

// load reads the alarms and their history kept in the database.
func (s *Service) load() error {
	return s.opts.DB.Update(func(tx *bbolt.Tx) error {
		if err := storage.CreateBuckets(tx, bucketAlarms, bucketHistory); err != nil {
			return err
		}
		if err := storage.EachJSON(tx.Bucket(bucketAlarms), "alarm", func(a *alarm) error {
			s.alarms[a.Name] = a
			return nil
		}); err != nil {
			return err
		}
		if err := storage.EachJSON(tx.Bucket(bucketHistory), "history item", func(h *historyItem) error {
			s.history = append(s.history, h)
			s.seq = max(s.seq, h.Seq)
			return nil
		}); err != nil {
			return err
		}
		slices.SortFunc(s.history, func(a, b *historyItem) int { return cmp.Compare(a.Seq, b.Seq) })
		return nil
	})
}

// persist commits alarms to put, alarm names to delete and further writes
// (history) together. Callers hold s.mu and change memory only once it
// succeeded.
func (s *Service) persist(put []*alarm, del []string, more []storage.Write) error {
	if s.log == nil {
		return nil
	}
	ws := make([]storage.Write, 0, len(put)+len(del)+len(more))
	for _, a := range put {
		w, err := storage.PutJSON(bucketAlarms, a.Name, "alarm", a)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	for _, name := range del {
		ws = append(ws, storage.Write{Bucket: bucketAlarms, Key: []byte(name)})
	}
	ws = append(ws, more...)
	if len(ws) == 0 {
		return nil
	}
	if err := storage.Wait(s.log.Enqueue(ws...)); err != nil {
		return fmt.Errorf("cloudwatch state: %w", err)
	}
	return nil
}

// clearWrites empty both buckets in one commit.
func clearWrites() []storage.Write {
	var ws []storage.Write
	for _, b := range [][]byte{bucketAlarms, bucketHistory} {
		ws = append(ws, storage.Write{Bucket: b, DropBucket: true}, storage.Write{Bucket: b, CreateBucket: true})
	}
	return ws
}

// DescribeWrite names a write of the CloudWatch buckets for reports of
// what damage to the log lost; it returns "" for other buckets.
func DescribeWrite(w storage.Write) string {
	switch string(w.Bucket) {
	case string(bucketAlarms):
		if w.DropBucket || w.CreateBucket {
			return fmt.Sprintf("%s of every alarm", w.Op())
		}
		return fmt.Sprintf("%s of alarm %s", w.Op(), w.Key)
	case string(bucketHistory):
		if w.DropBucket || w.CreateBucket {
			return fmt.Sprintf("%s of the alarm history", w.Op())
		}
		return fmt.Sprintf("%s of alarm history item %s", w.Op(), w.Key)
	}
	return ""
}
