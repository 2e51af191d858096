package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

var _ Store = (*Bolt)(nil)

// Bucket names inside the bbolt file.
var (
	requestsBucket = []byte("requests")
	claimsBucket   = []byte("claims")
)

// errNoChange rolls back a write transaction that found nothing to write:
// a commit would fsync for nothing, and redelivered events and retried
// POSTs take exactly these paths.
var errNoChange = errors.New("no change")

// Bolt is the embedded Store on a bbolt file, for running without AWS.
// bbolt runs one write transaction at a time, so each conditional write is
// a read-check-write inside a single transaction: the same outcomes as
// DynamoDB's conditional writes. Concurrent writes share a transaction
// (bbolt's Batch, which may run a write function more than once, so each
// resets what it reports); every write transaction is fsynced before any of
// its writers returns. Bolt is safe for concurrent use; one file is held by one
// process at a time (bbolt locks it).
type Bolt struct {
	db    *bbolt.DB
	owned bool // Close closes db only when OpenBolt opened it
	now   func() time.Time
}

// BoltOption configures OpenBolt.
type BoltOption func(*bbolt.Options)

// Ephemeral skips fsync, for a store whose file is thrown away when the
// process ends (local mode without a data directory): there is nothing to
// keep, so syncing would only slow every write down.
func Ephemeral() BoltOption { return func(o *bbolt.Options) { o.NoSync = true } }

// groupCommitDelay is how long a write waits for concurrent writes to share
// its transaction (and its fsync). bbolt's default of 10 ms would be added
// to every lone write; 1 ms is below the cost of the fsync it saves.
const groupCommitDelay = time.Millisecond

// OpenBolt opens (creating if needed) the store file at path. Close it when
// done. It waits up to five seconds for another process to release the file.
func OpenBolt(path string, opts ...BoltOption) (*Bolt, error) {
	bo := &bbolt.Options{Timeout: 5 * time.Second}
	for _, o := range opts {
		o(bo)
	}
	db, err := bbolt.Open(path, 0o600, bo)
	if err != nil {
		return nil, fmt.Errorf("open status store %s: %w", path, err)
	}
	db.MaxBatchDelay = groupCommitDelay
	b, err := newBolt(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	b.owned = true
	return b, nil
}

// NewBolt uses an already open bbolt database, creating the store's buckets
// if needed. The caller keeps ownership: Close does not close db.
func NewBolt(db *bbolt.DB) (*Bolt, error) {
	if db.NoSync {
		return nil, errors.New("status store: bbolt database opened with NoSync; writes must be synced")
	}
	return newBolt(db)
}

func newBolt(db *bbolt.DB) (*Bolt, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{requestsBucket, claimsBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("init status store: %w", err)
	}
	return &Bolt{db: db, now: time.Now}, nil
}

// Close releases the file if OpenBolt opened it.
func (b *Bolt) Close() error {
	if !b.owned {
		return nil
	}
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("close status store: %w", err)
	}
	return nil
}

// Create records new requests in PENDING, all or none.
func (b *Bolt) Create(ctx context.Context, reqs ...Request) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create requests: %w", err)
	}
	prepared, err := prepareRequests(reqs, b.now())
	if err != nil {
		return err
	}
	if len(prepared) == 0 {
		return nil
	}
	return b.db.Batch(func(tx *bbolt.Tx) error {
		bucket := tx.Bucket(requestsBucket)
		for _, r := range prepared {
			if bucket.Get([]byte(r.ID)) != nil {
				// Returning an error rolls the whole transaction back.
				return fmt.Errorf("create request %s: %w", r.ID, ErrExists)
			}
			if err := putJSON(bucket, r.ID, r); err != nil {
				return fmt.Errorf("create request %s: %w", r.ID, err)
			}
		}
		return nil
	})
}

// Get returns a request or ErrNotFound.
func (b *Bolt) Get(ctx context.Context, id string) (Request, error) {
	if err := ctx.Err(); err != nil {
		return Request{}, fmt.Errorf("get request %s: %w", id, err)
	}
	var r Request
	err := b.db.View(func(tx *bbolt.Tx) error {
		var err error
		r, err = getRequest(tx, id)
		return err
	})
	return r, err
}

// Advance moves a request forward, or returns ErrNotForward with its
// current state (a late entry for an earlier stage recorded, see lateEntry).
func (b *Bolt) Advance(ctx context.Context, id string, t Transition) (Request, error) {
	if err := ctx.Err(); err != nil {
		return Request{}, fmt.Errorf("advance request %s: %w", id, err)
	}
	t, err := prepareTransition(id, t, b.now())
	if err != nil {
		return Request{}, err
	}
	var out Request
	// notForward is reported after the transaction that recorded a late
	// history entry commits: returning it from the function would roll the
	// entry back.
	var notForward error
	err = b.db.Batch(func(tx *bbolt.Tx) error {
		out, notForward = Request{}, nil
		cur, err := getRequest(tx, id)
		if err != nil {
			return err
		}
		if cur.Status.Rank() >= t.To.Rank() {
			out = cur
			refused := fmt.Errorf("advance request %s from %s to %s: %w", id, cur.Status, t.To, ErrNotForward)
			if !lateEntry(cur, t) {
				return refused
			}
			out.History = withEntry(cur.History, t.entry())
			if err := putJSON(tx.Bucket(requestsBucket), id, out); err != nil {
				return fmt.Errorf("record late %s of request %s: %w", t.Event, id, err)
			}
			notForward = refused
			return nil
		}
		out = apply(cur, t)
		if err := putJSON(tx.Bucket(requestsBucket), id, out); err != nil {
			return fmt.Errorf("advance request %s: %w", id, err)
		}
		return nil
	})
	if err == nil {
		err = notForward
	}
	return out, err
}

// List reads every request: the embedded store serves the local mode,
// whose request counts make an index not worth its upkeep.
func (b *Bolt) List(ctx context.Context, q ListQuery) (ListPage, error) {
	if err := ctx.Err(); err != nil {
		return ListPage{}, fmt.Errorf("list requests: %w", err)
	}
	q, after, err := prepareList(q)
	if err != nil {
		return ListPage{}, err
	}
	var candidates []Request
	err = b.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(requestsBucket).ForEach(func(k, raw []byte) error {
			var r Request
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("decode request %s: %w", k, err)
			}
			if ownerKey(r.Caller) == ownerKey(q.Caller) && (q.Status == "" || r.Status == q.Status) && (after == "" || listKey(r) < after) {
				candidates = append(candidates, tidyRequest(r))
			}
			return nil
		})
	})
	if err != nil {
		return ListPage{}, fmt.Errorf("list requests: %w", err)
	}
	return cutPage(candidates, q, false), nil
}

// RecordHop adds a hop to the request's hops.
func (b *Bolt) RecordHop(ctx context.Context, id string, h Hop) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("record hop of request %s: %w", id, err)
	}
	h, err := prepareHop(id, h, b.now())
	if err != nil {
		return err
	}
	return b.db.Batch(func(tx *bbolt.Tx) error {
		cur, err := getRequest(tx, id)
		if err != nil {
			return err
		}
		cur.Hops = withHop(cur.Hops, h)
		if err := putJSON(tx.Bucket(requestsBucket), id, cur); err != nil {
			return fmt.Errorf("record hop of request %s: %w", id, err)
		}
		return nil
	})
}

// MarkNotified records that the terminal notification was published.
func (b *Bolt) MarkNotified(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mark request %s notified: %w", id, err)
	}
	err := b.db.Batch(func(tx *bbolt.Tx) error {
		cur, err := getRequest(tx, id)
		if err != nil {
			return err
		}
		if cur.Notified {
			return errNoChange
		}
		cur.Notified = true
		if err := putJSON(tx.Bucket(requestsBucket), id, cur); err != nil {
			return fmt.Errorf("mark request %s notified: %w", id, err)
		}
		return nil
	})
	if errors.Is(err, errNoChange) {
		return nil
	}
	return err
}

// ClaimKey stores c unless a live claim for (Scope, Key) exists.
func (b *Bolt) ClaimKey(ctx context.Context, c Claim) (Claim, bool, error) {
	if err := ctx.Err(); err != nil {
		return Claim{}, false, fmt.Errorf("claim key: %w", err)
	}
	c, now, err := prepareClaim(c, b.now())
	if err != nil {
		return Claim{}, false, err
	}
	name := claimStorageKey(c.Scope, c.Key)
	var existing Claim
	won := false
	err = b.db.Batch(func(tx *bbolt.Tx) error {
		existing, won = Claim{}, false
		bucket := tx.Bucket(claimsBucket)
		if raw := bucket.Get([]byte(name)); raw != nil {
			var old Claim
			if err := json.Unmarshal(raw, &old); err != nil {
				return fmt.Errorf("decode claim %s: %w", name, err)
			}
			if !claimExpired(old, now) {
				existing = tidyClaim(old)
				return errNoChange
			}
		}
		if err := putJSON(bucket, name, c); err != nil {
			return fmt.Errorf("store claim %s: %w", name, err)
		}
		existing, won = c, true
		return nil
	})
	if err != nil && !errors.Is(err, errNoChange) {
		return Claim{}, false, err
	}
	return existing, won, nil
}

func getRequest(tx *bbolt.Tx, id string) (Request, error) {
	raw := tx.Bucket(requestsBucket).Get([]byte(id))
	if raw == nil {
		return Request{}, fmt.Errorf("request %s: %w", id, ErrNotFound)
	}
	var r Request
	if err := json.Unmarshal(raw, &r); err != nil {
		return Request{}, fmt.Errorf("decode request %s: %w", id, err)
	}
	return tidyRequest(r), nil
}

func putJSON(bucket *bbolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return bucket.Put([]byte(key), raw)
}
