package dynamodb

import (
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
)

// ttlIgnoreAfter is how far in the past a TTL may lie and still count:
// DynamoDB ignores values more than five years old, which are most likely
// not epoch seconds at all.
const ttlIgnoreAfter = 5 * 365 * 24 * time.Hour

// ttlBatch bounds the deletions of one commit, so that a sweep of many
// expired items does not hold the service's lock for long.
const ttlBatch = 1000

// expired tells whether the item's TTL attribute, a number of epoch
// seconds, lies in the past (but not so far that DynamoDB ignores it).
func expired(item attr.Item, ttlAttr string, now time.Time) bool {
	v, ok := item[ttlAttr]
	if !ok || v.Type() != attr.TypeN {
		return false
	}
	n := v.AsN()
	return n.Cmp(attr.NumberFromInt(now.Unix())) < 0 && n.Cmp(attr.NumberFromInt(now.Add(-ttlIgnoreAfter).Unix())) >= 0
}

// sweepTTL deletes expired items every TTLInterval. As in DynamoDB,
// reads go on returning an expired item until the sweep deletes it.
func (s *Service) sweepTTL() {
	defer s.workers.Done()
	tick := time.NewTicker(s.opts.TTLInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-tick.C:
			for s.sweepOnce() {
				select {
				case <-s.closing:
					return
				default:
				}
			}
		}
	}
}

// expiry is one expired item found by a sweep.
type expiry struct {
	t   *table
	rec *record
}

// sweepOnce deletes up to ttlBatch expired items and reports whether it
// may have left more.
func (s *Service) sweepOnce() bool {
	now := s.now()
	var found []expiry
	s.mu.RLock()
	for _, t := range s.tables {
		if !t.meta.TTLEnabled {
			continue
		}
		for _, rec := range t.items {
			if expired(rec.item, t.meta.TTLAttribute, now) {
				found = append(found, expiry{t, rec})
				if len(found) == ttlBatch {
					break
				}
			}
		}
		if len(found) == ttlBatch {
			break
		}
	}
	s.mu.RUnlock()
	if len(found) == 0 {
		return false
	}
	s.mu.Lock()
	cs := &changeSet{}
	for _, x := range found {
		// Deleted only if nothing replaced the table or the item since.
		if s.tables[x.t.meta.Name] == x.t && x.t.items[x.rec.key] == x.rec {
			s.setItem(cs, x.t, x.rec.key, x.rec, nil)
		}
	}
	ch := s.commit(cs)
	s.mu.Unlock()
	if err := wait(ch); err != nil {
		return false // rolled back; the next tick tries again
	}
	return len(found) == ttlBatch
}
