package sqs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
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

// write is one change to commit: a put (val != nil), a delete, or the
// removal of a whole bucket.
type write struct {
	bucket    []byte
	key, val  []byte
	dropBckt  bool
	createBkt bool
}

// committer groups concurrent writes into one bbolt transaction: writes
// queue up while a commit is in flight and go together in the next one, so
// a commit costs one fsync however many requests it acknowledges, with no
// timer delay when the load is light. Writes are applied in the order they
// were queued, and callers queue them while holding the lock of the state
// they describe, so the disk sees changes in memory order.
type committer struct {
	db *bbolt.DB

	mu      sync.Mutex
	pending []write
	waiters []chan error
	kick    chan struct{}
	done    chan struct{}
	closed  bool
}

func newCommitter(db *bbolt.DB) *committer {
	c := &committer{db: db, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// enqueue queues writes and returns a channel that receives the commit's
// result. A nil committer (memory only) returns nil, which wait accepts.
func (c *committer) enqueue(ws ...write) chan error {
	if c == nil || len(ws) == 0 {
		return nil
	}
	ch := make(chan error, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		ch <- errors.New("sqs state is closed")
		return ch
	}
	c.pending = append(c.pending, ws...)
	c.waiters = append(c.waiters, ch)
	select {
	case c.kick <- struct{}{}:
	default:
	}
	c.mu.Unlock()
	return ch
}

// wait blocks until the writes behind ch are on disk.
func wait(ch chan error) error {
	if ch == nil {
		return nil
	}
	return <-ch
}

func (c *committer) run() {
	defer close(c.done)
	for range c.kick {
		for {
			c.mu.Lock()
			ws, waiters := c.pending, c.waiters
			c.pending, c.waiters = nil, nil
			closed := c.closed
			c.mu.Unlock()
			if len(waiters) == 0 {
				if closed {
					return
				}
				break
			}
			err := c.db.Update(func(tx *bbolt.Tx) error { return apply(tx, ws) })
			if err != nil {
				err = fmt.Errorf("commit sqs state: %w", err)
			}
			for _, w := range waiters {
				w <- err
			}
		}
	}
}

func apply(tx *bbolt.Tx, ws []write) error {
	for _, w := range ws {
		switch {
		case w.dropBckt:
			if err := tx.DeleteBucket(w.bucket); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
				return err
			}
		case w.val != nil:
			b, err := tx.CreateBucketIfNotExists(w.bucket)
			if err != nil {
				return err
			}
			if err := b.Put(w.key, w.val); err != nil {
				return err
			}
		case w.createBkt:
			if _, err := tx.CreateBucketIfNotExists(w.bucket); err != nil {
				return err
			}
		default:
			if b := tx.Bucket(w.bucket); b != nil {
				if err := b.Delete(w.key); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// close commits what is queued and stops the committer.
func (c *committer) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.kick)
	c.mu.Unlock()
	<-c.done
}
