package sqs

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
)

// load rebuilds the queues from the database. In-flight messages keep their
// AvailableAt, so they become visible when their visibility timeout ends,
// as they would have without the restart.
func (s *Service) load() error {
	return s.opts.DB.View(func(tx *bbolt.Tx) error {
		qb := tx.Bucket(bucketQueues)
		if qb == nil {
			return nil
		}
		return qb.ForEach(func(k, v []byte) error {
			var rec queueRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("queue %s: %w", k, err)
			}
			q := newQueue(rec.Name, s.arnOf(rec.Name), s.urlOf(rec.Name), rec.Fifo)
			if rec.Attrs != nil {
				q.attrs = rec.Attrs
			}
			if rec.Tags != nil {
				q.tags = rec.Tags
			}
			q.created, q.modified = rec.Created, rec.Modified
			q.cfg = parseConfig(q.attrs)
			if mb := tx.Bucket(msgBucket(rec.Name)); mb != nil {
				err := mb.ForEach(func(_, v []byte) error {
					m := new(message)
					if err := json.Unmarshal(v, m); err != nil {
						return fmt.Errorf("message in %s: %w", rec.Name, err)
					}
					if m.State == stateVisible {
						m.AvailableAt = 0
					}
					q.insert(m)
					return nil
				})
				if err != nil {
					return err
				}
			}
			if db := tx.Bucket(dedupBucket(rec.Name)); db != nil {
				var entries []dedupRecord
				err := db.ForEach(func(_, v []byte) error {
					var d dedupRecord
					if err := json.Unmarshal(v, &d); err != nil {
						return fmt.Errorf("dedup entry in %s: %w", rec.Name, err)
					}
					entries = append(entries, d)
					return nil
				})
				if err != nil {
					return err
				}
				sortDedup(entries)
				for _, d := range entries {
					q.dedup[d.Key] = dedupEntry{msgID: d.MsgID, seqNum: d.SeqNum, expires: d.Expires}
					q.dedupLRU.PushBack(d.Key)
				}
			}
			q.promote(s.now().UnixMilli())
			s.queues[rec.Name] = q
			return nil
		})
	})
}

// sortDedup orders entries by expiry, the order the in-memory list keeps
// them in (oldest first), since bbolt returns them by key.
func sortDedup(entries []dedupRecord) {
	slices.SortFunc(entries, func(a, b dedupRecord) int { return cmp.Compare(a.Expires, b.Expires) })
}
