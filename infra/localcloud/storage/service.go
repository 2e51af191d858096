package storage

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// What every service of a data directory does with it on start: open the
// log it writes to, make its buckets and read its state back.

// OpenFor is LogFor for a service that then reads its state from db:
// load runs once the log is open (opening it folded any segments a crash
// left into db), and when load fails a log of the service's own is
// closed again. Errors name the service.
func OpenFor(service string, db *bbolt.DB, shared *Log, st *State, opts LogOptions, load func() error) (log *Log, own bool, err error) {
	log, own, err = LogFor(db, shared, st, opts)
	if err != nil {
		return nil, false, fmt.Errorf("open %s log: %w", service, err)
	}
	if err := load(); err != nil {
		if own {
			err = errors.Join(err, log.Close())
		}
		return nil, false, fmt.Errorf("load %s state: %w", service, err)
	}
	return log, own, nil
}

// CreateBuckets makes the buckets that are missing.
func CreateBuckets(tx *bbolt.Tx, names ...[]byte) error {
	for _, name := range names {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// EachJSON decodes every value of b, in key order, into a new T and hands
// it to fn; a value that does not decode stops it with an error naming
// what it holds and its key.
func EachJSON[T any](b *bbolt.Bucket, what string, fn func(*T) error) error {
	return b.ForEach(func(k, v []byte) error {
		x := new(T)
		if err := json.Unmarshal(v, x); err != nil {
			return fmt.Errorf("decode %s %s: %w", what, k, err)
		}
		return fn(x)
	})
}

// PutJSON is the write that puts v, encoded as JSON, under key in bucket;
// a value that does not encode is an error naming what it is and its key.
func PutJSON(bucket []byte, key, what string, v any) (Write, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Write{}, fmt.Errorf("encode %s %s: %w", what, key, err)
	}
	return Write{Bucket: bucket, Key: []byte(key), Val: b}, nil
}
