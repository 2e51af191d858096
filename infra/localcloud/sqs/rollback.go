package sqs

import (
	"container/list"

	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// snapshot is a message as it was before a change, kept until the
// change's write is on disk: when the write fails, the change is rolled
// back, so that memory never holds what the disk does not and a failed
// call leaves no trace (a failed send is not receivable, a failed receive
// does not hide its messages).
type snapshot struct {
	q      *queue
	id     string
	before *message // nil: the change added the message
	// dedupKey is the FIFO deduplication entry the change added, if any.
	dedupKey string
}

func snap(q *queue, m *message) snapshot {
	b := *m
	return snapshot{q: q, id: m.ID, before: &b}
}

func added(q *queue, m *message) snapshot { return snapshot{q: q, id: m.ID} }

// rollback undoes the changes snaps describe, newest first, taking the
// locks of the (at most two) queues they are in.
func rollback(snaps []snapshot) {
	if len(snaps) == 0 {
		return
	}
	a, b := snaps[0].q, (*queue)(nil)
	for _, sn := range snaps {
		if sn.q != a {
			b = sn.q
		}
	}
	unlock := lockQueues(a, b)
	defer unlock()
	for i := len(snaps) - 1; i >= 0; i-- {
		sn := snaps[i]
		if sn.q.deleted {
			continue
		}
		if cur := sn.q.msgs[sn.id]; cur != nil {
			sn.q.remove(cur)
		}
		if sn.before != nil {
			m := *sn.before
			m.heapIdx, m.elem, m.group = -1, nil, nil
			sn.q.insert(&m)
			sn.q.wake()
		}
		if sn.dedupKey != "" {
			if d, ok := sn.q.dedup[sn.dedupKey]; ok && d.msgID == sn.id {
				delete(sn.q.dedup, sn.dedupKey)
				removeFromList(sn.q.dedupLRU, sn.dedupKey)
			}
		}
	}
}

// removeFromList removes key from the back end of the deduplication
// list, where the entries a rolled-back send added are.
func removeFromList(l *list.List, key string) {
	for e := l.Back(); e != nil; e = e.Prev() {
		if e.Value.(string) == key {
			l.Remove(e)
			return
		}
	}
}

// waitOrRollback waits for a commit and rolls snaps back when it failed.
func waitOrRollback(ch chan error, snaps []snapshot, undoCounts func()) error {
	err := storage.Wait(ch)
	if err != nil {
		rollback(snaps)
		if undoCounts != nil {
			undoCounts()
		}
	}
	return err
}
