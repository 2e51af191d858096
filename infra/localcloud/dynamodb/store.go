package dynamodb

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// Bucket layout: one bucket of table definitions by name, and per table
// one bucket of items by encoded primary key, in DynamoDB JSON.
var bucketTables = []byte("dynamodb.tables")

func itemBucket(table string) []byte { return []byte("dynamodb.t." + table) }

// change is one change to keep on disk: a table definition put
// (meta != nil) or dropped with its items (dropTable), or an item put
// (item != nil) or deleted.
type change struct {
	table     string
	meta      *tableMeta
	dropTable bool
	key       string
	item      attr.Item
	isItem    bool
}

// changeSet is what one operation changed: the changes for the disk and,
// newest last, how to undo each in memory if the disk refuses them.
type changeSet struct {
	changes []change
	undo    []func()
}

func (cs *changeSet) add(c change, undo func()) {
	cs.changes = append(cs.changes, c)
	cs.undo = append(cs.undo, undo)
}

// pendingWrite is one operation's changes waiting for a commit.
type pendingWrite struct {
	cs   *changeSet
	done chan error
}

// committer writes the changes of concurrent operations to the data
// directory's log together: while one group is being synced, the next
// operations queue up and share the following one, so a busy table costs
// one log sync per group rather than per request. Operations queue their
// changes while they hold the service's lock, so the disk sees them in
// the order memory did.
//
// A failed commit fails its group and every operation queued behind it:
// with the service's lock held, their changes are undone in memory,
// newest first, so memory matches the disk again before anyone else
// writes.
type committer struct {
	log *storage.Log
	own bool // log was opened for this committer, and is closed with it
	// lock is the service's write lock, taken to undo a failed group.
	lock sync.Locker

	mu      sync.Mutex
	pending []pendingWrite
	closed  bool
	kick    chan struct{}
	done    chan struct{}
}

var errClosed = errors.New("the service is closed")

func newCommitter(log *storage.Log, own bool, lock sync.Locker) *committer {
	c := &committer{log: log, own: own, lock: lock, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// enqueue queues an operation's changes; the caller holds the service's
// write lock and waits on the channel after releasing it. A nil committer
// (memory only) returns nil, which wait accepts.
func (c *committer) enqueue(cs *changeSet) chan error {
	if c == nil || len(cs.changes) == 0 {
		return nil
	}
	ch := make(chan error, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		for i := len(cs.undo) - 1; i >= 0; i-- {
			cs.undo[i]()
		}
		ch <- errClosed
		return ch
	}
	c.pending = append(c.pending, pendingWrite{cs: cs, done: ch})
	select {
	case c.kick <- struct{}{}:
	default:
	}
	c.mu.Unlock()
	return ch
}

// wait returns the outcome of an enqueued write.
func wait(ch chan error) error {
	if ch == nil {
		return nil
	}
	return <-ch
}

func (c *committer) run() {
	defer close(c.done)
	for range c.kick {
		c.drain()
	}
	c.drain()
}

func (c *committer) drain() {
	c.mu.Lock()
	group := c.pending
	c.pending = nil
	c.mu.Unlock()
	if len(group) > 0 {
		c.commit(group)
	}
}

func (c *committer) commit(group []pendingWrite) {
	var ws []storage.Write
	var err error
	for _, w := range group {
		for _, ch := range w.cs.changes {
			if ws, err = appendWrites(ws, ch); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = storage.Wait(c.log.Enqueue(ws...))
	}
	if err != nil {
		err = fmt.Errorf("commit dynamodb changes: %w", err)
		c.lock.Lock()
		c.mu.Lock()
		group = append(group, c.pending...)
		c.pending = nil
		c.mu.Unlock()
		for i := len(group) - 1; i >= 0; i-- {
			undo := group[i].cs.undo
			for j := len(undo) - 1; j >= 0; j-- {
				undo[j]()
			}
		}
		c.lock.Unlock()
	}
	for _, w := range group {
		w.done <- err
	}
}

// appendWrites appends the log writes of one change to ws.
func appendWrites(ws []storage.Write, ch change) ([]storage.Write, error) {
	switch {
	case ch.meta != nil:
		val, err := json.Marshal(ch.meta)
		if err != nil {
			return ws, fmt.Errorf("encode table %s: %w", ch.table, err)
		}
		return append(ws,
			storage.Write{Bucket: itemBucket(ch.table), CreateBucket: true},
			storage.Write{Bucket: bucketTables, Key: []byte(ch.table), Val: val}), nil
	case ch.dropTable:
		return append(ws,
			storage.Write{Bucket: bucketTables, Key: []byte(ch.table)},
			storage.Write{Bucket: itemBucket(ch.table), DropBucket: true}), nil
	case ch.item != nil:
		val, err := json.Marshal(ch.item)
		if err != nil {
			return ws, fmt.Errorf("encode an item of %s: %w", ch.table, err)
		}
		return append(ws, storage.Write{Bucket: itemBucket(ch.table), Key: []byte(ch.key), Val: val}), nil
	default:
		return append(ws, storage.Write{Bucket: itemBucket(ch.table), Key: []byte(ch.key)}), nil
	}
}

// DescribeWrite names a write of the DynamoDB buckets for reports of what
// damage to the log lost; it returns "" for other buckets.
func DescribeWrite(w storage.Write) string {
	bucket := string(w.Bucket)
	switch {
	case bucket == string(bucketTables):
		return fmt.Sprintf("%s of table %s", w.Op(), w.Key)
	case strings.HasPrefix(bucket, "dynamodb.t."):
		table := strings.TrimPrefix(bucket, "dynamodb.t.")
		if len(w.Key) == 0 {
			return fmt.Sprintf("%s of the items of table %s", w.Op(), table)
		}
		return fmt.Sprintf("%s of an item of table %s (key %q)", w.Op(), table, w.Key)
	}
	return ""
}

// close commits what is queued and stops the committer, closing a log
// of its own.
func (c *committer) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.done
		return nil
	}
	c.closed = true
	close(c.kick)
	c.mu.Unlock()
	<-c.done
	if c.own {
		return c.log.Close()
	}
	return nil
}

// load reads the tables and items kept in db.
func load(db *bbolt.DB) (map[string]*table, error) {
	tables := map[string]*table{}
	err := db.View(func(tx *bbolt.Tx) error {
		tb := tx.Bucket(bucketTables)
		if tb == nil {
			return nil
		}
		return tb.ForEach(func(k, v []byte) error {
			var meta tableMeta
			if err := json.Unmarshal(v, &meta); err != nil {
				return fmt.Errorf("table %q: %w", k, err)
			}
			t := newTable(meta)
			if b := tx.Bucket(itemBucket(meta.Name)); b != nil {
				err := b.ForEach(func(k, v []byte) error {
					var it attr.Item
					if err := json.Unmarshal(v, &it); err != nil {
						return fmt.Errorf("item %q: %w", k, err)
					}
					t.replace(nil, newRecord(t.schema, it))
					return nil
				})
				if err != nil {
					return fmt.Errorf("table %s: %w", meta.Name, err)
				}
			}
			tables[meta.Name] = t
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load dynamodb state: %w", err)
	}
	return tables, nil
}
