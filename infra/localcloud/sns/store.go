package sns

import (
	"cmp"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// Bucket names; every SNS bucket starts with "sns" so that the services
// sharing one database never collide.
var (
	bucketTopics = []byte("sns.topics")
	bucketSubs   = []byte("sns.subscriptions")
)

// load reads the topics, subscriptions, SMS settings and signing key kept
// in the database.
func (s *Service) load() error {
	return s.opts.DB.Update(func(tx *bbolt.Tx) error {
		if err := s.loadSMS(tx); err != nil {
			return err
		}
		k, err := loadSigningKey(tx)
		if err != nil {
			return err
		}
		if k != nil {
			s.signKey, s.signSaved = k, true
		}
		if err := storage.CreateBuckets(tx, bucketTopics, bucketSubs); err != nil {
			return err
		}
		if err := storage.EachJSON(tx.Bucket(bucketTopics), "topic", func(t *topic) error {
			s.topics[t.ARN] = t
			s.seq = max(s.seq, t.Seq)
			return nil
		}); err != nil {
			return err
		}
		return storage.EachJSON(tx.Bucket(bucketSubs), "subscription", func(sub *subscription) error {
			if _, ok := s.topics[sub.TopicARN]; !ok {
				return nil // its topic was deleted; the subscription went with it
			}
			sub.derive()
			s.subs[sub.ARN] = sub
			s.seq = max(s.seq, sub.Seq)
			return nil
		})
	})
}

// reindex rebuilds the per-topic subscription lists in subscription order.
func (s *Service) reindex() {
	s.byTopic = map[string][]*subscription{}
	for _, sub := range s.subs {
		s.byTopic[sub.TopicARN] = append(s.byTopic[sub.TopicARN], sub)
	}
	for _, list := range s.byTopic {
		slices.SortFunc(list, func(a, b *subscription) int { return cmp.Compare(a.Seq, b.Seq) })
	}
}

// loadSMS reads the opted-out phone numbers and the SMS settings.
func (s *Service) loadSMS(tx *bbolt.Tx) error {
	if b := tx.Bucket(bucketOptedOut); b != nil {
		if err := b.ForEach(func(k, _ []byte) error {
			s.optOuts[string(k)] = true
			return nil
		}); err != nil {
			return fmt.Errorf("read %s: %w", bucketOptedOut, err)
		}
	}
	if b := tx.Bucket(bucketSMSAttrs); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			s.smsAttrs[string(k)] = string(v)
			return nil
		}); err != nil {
			return fmt.Errorf("read %s: %w", bucketSMSAttrs, err)
		}
	}
	return nil
}

// commit writes ws through the log and waits until they are durable; in
// memory it does nothing.
func (s *Service) commit(ws ...storage.Write) error {
	if s.log == nil || len(ws) == 0 {
		return nil
	}
	return storage.Wait(s.log.Enqueue(ws...))
}

// persist commits puts and deletes together. Callers hold s.mu and
// apply the change in memory only once persist succeeded.
func (s *Service) persist(putTopics []*topic, putSubs []*subscription, delTopics, delSubs []string) error {
	if s.log == nil {
		return nil
	}
	var ws []storage.Write
	for _, t := range putTopics {
		w, err := storage.PutJSON(bucketTopics, t.ARN, "topic", t)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	for _, sub := range putSubs {
		w, err := storage.PutJSON(bucketSubs, sub.ARN, "subscription", sub)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	for _, arn := range delTopics {
		ws = append(ws, storage.Write{Bucket: bucketTopics, Key: []byte(arn)})
	}
	for _, arn := range delSubs {
		ws = append(ws, storage.Write{Bucket: bucketSubs, Key: []byte(arn)})
	}
	return s.commit(ws...)
}

// DescribeWrite names a write of the SNS buckets for reports of what
// damage to the log lost; it returns "" for other buckets.
func DescribeWrite(w storage.Write) string {
	switch string(w.Bucket) {
	case string(bucketTopics):
		return fmt.Sprintf("%s of topic %s", w.Op(), w.Key)
	case string(bucketSubs):
		return fmt.Sprintf("%s of subscription %s", w.Op(), w.Key)
	case string(bucketOptedOut):
		return fmt.Sprintf("%s of opted-out phone number %s", w.Op(), w.Key)
	case string(bucketSMSAttrs):
		return fmt.Sprintf("%s of SMS attribute %s", w.Op(), w.Key)
	case string(bucketSigning):
		return fmt.Sprintf("%s of the SNS signing %s", w.Op(), w.Key)
	}
	return ""
}
