package dynamodb

import (
	"container/heap"
	"strconv"
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
// may have left more. Each TTL-enabled table keeps its items in the
// order their TTL falls due (expiryQueue), so a sweep costs what has
// expired, not what the table holds: a scan of every item held the
// service's lock long enough, with a few thousand items, to stall every
// write once a second.
func (s *Service) sweepOnce() bool {
	now := s.now()
	s.mu.Lock()
	var found []expiry
	for _, t := range s.tables {
		if !t.meta.TTLEnabled {
			t.expiry = nil
			continue
		}
		if t.expiry == nil || t.expiry.attr != t.meta.TTLAttribute || t.expiry.stale(len(t.items)) {
			t.expiry = newExpiryQueue(t.meta.TTLAttribute, t.items)
		}
		for _, rec := range t.expiry.due(now, ttlBatch-len(found), func(rec *record) bool {
			// A record replaced or deleted since it was queued is stale.
			return t.items[rec.key] == rec && expired(rec.item, t.meta.TTLAttribute, now)
		}) {
			found = append(found, expiry{t, rec})
		}
		if len(found) == ttlBatch {
			break
		}
	}
	if len(found) == 0 {
		s.mu.Unlock()
		return false
	}
	cs := &changeSet{}
	for _, x := range found {
		s.setItem(cs, x.t, x.rec.key, x.rec, nil)
	}
	ch := s.commit(cs)
	s.mu.Unlock()
	if err := wait(ch); err != nil {
		return false // rolled back (which queues the items again); the next tick tries again
	}
	return len(found) == ttlBatch
}

// expiryQueue holds a table's records by the time their TTL attribute
// falls due, earliest first. Records are queued as they are written
// (table.replace) and never removed on replace or delete: a queued record
// that is no longer the table's is stale and skipped when it comes due,
// and the queue is rebuilt once stale entries outnumber live ones.
type expiryQueue struct {
	attr    string
	entries expiryHeap
}

type expiryEntry struct {
	at  float64 // epoch seconds
	rec *record
}

type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func newExpiryQueue(attrName string, items map[string]*record) *expiryQueue {
	q := &expiryQueue{attr: attrName}
	for _, rec := range items {
		if at, ok := ttlOf(rec.item, attrName); ok {
			q.entries = append(q.entries, expiryEntry{at, rec})
		}
	}
	heap.Init(&q.entries)
	return q
}

// ttlOf is the item's TTL in epoch seconds, when it has a number there.
func ttlOf(item attr.Item, attrName string) (float64, bool) {
	v, ok := item[attrName]
	if !ok || v.Type() != attr.TypeN {
		return 0, false
	}
	at, err := strconv.ParseFloat(v.AsN().String(), 64)
	return at, err == nil
}

// add queues rec if it has a TTL.
func (q *expiryQueue) add(rec *record) {
	if at, ok := ttlOf(rec.item, q.attr); ok {
		heap.Push(&q.entries, expiryEntry{at, rec})
	}
}

// stale tells whether the queue holds so many more entries than the
// table has items that rebuilding it is cheaper than keeping it.
func (q *expiryQueue) stale(items int) bool { return len(q.entries) > 2*items+1024 }

// due takes up to limit records whose TTL lies before now and that keep
// accepts; entries keep refuses (stale, or ignored as DynamoDB ignores
// TTLs five years old) are dropped.
func (q *expiryQueue) due(now time.Time, limit int, keep func(*record) bool) []*record {
	var out []*record
	sec := float64(now.Unix())
	for len(out) < limit && len(q.entries) > 0 && q.entries[0].at < sec {
		e := heap.Pop(&q.entries).(expiryEntry)
		if keep(e.rec) {
			out = append(out, e.rec)
		}
	}
	return out
}
