package storage

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"go.etcd.io/bbolt"
)

// TestCompactKeepsWhatTheDatabaseHolds: applying compact(ws) leaves a
// database exactly as applying ws does (the same buckets, empty ones
// included, and the same keys and values), for random runs of puts,
// deletes, bucket creations and removals over a few buckets and keys, on
// a database that already holds some of them.
func TestCompactKeepsWhatTheDatabaseHolds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buckets := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	randomWrites := func(n int) []Write {
		ws := make([]Write, n)
		for i := range ws {
			b := buckets[rng.IntN(len(buckets))]
			k := []byte(fmt.Sprint("k", rng.IntN(4)))
			switch r := rng.IntN(20); {
			case r == 0:
				ws[i] = Write{Bucket: b, DropBucket: true}
			case r == 1:
				ws[i] = Write{Bucket: b, CreateBucket: true}
			case r < 8:
				ws[i] = Write{Bucket: b, Key: k}
			default:
				ws[i] = Write{Bucket: b, Key: k, Val: []byte(fmt.Sprint("v", i))}
			}
		}
		return ws
	}
	dump := func(db *bbolt.DB) map[string]map[string]string {
		out := map[string]map[string]string{}
		if err := db.View(func(tx *bbolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
				m := map[string]string{}
				out[string(name)] = m
				return b.ForEach(func(k, v []byte) error {
					m[string(k)] = string(v)
					return nil
				})
			})
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	dir := t.TempDir()
	shorter := 0
	for run := range 300 {
		before := randomWrites(10)
		ws := randomWrites(1 + rng.IntN(40))
		var states [2]map[string]map[string]string
		for i, apply2 := range [][]Write{ws, compact(ws)} {
			db, err := bbolt.Open(filepath.Join(dir, fmt.Sprintf("%d-%d.db", run, i)), 0o600, &bbolt.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(tx *bbolt.Tx) error { return apply(tx, before) }); err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(tx *bbolt.Tx) error { return apply(tx, apply2) }); err != nil {
				t.Fatal(err)
			}
			states[i] = dump(db)
			db.Close()
		}
		if !reflect.DeepEqual(states[0], states[1]) {
			t.Fatalf("run %d: applying\n%+v\nleaves %v; its compaction\n%+v\nleaves %v", run, ws, states[0], compact(ws), states[1])
		}
		if len(compact(ws)) < len(ws) {
			shorter++
		}
	}
	if shorter < 200 {
		t.Errorf("compaction shortened %d of 300 runs; the runs overwrite keys often, so most should shrink", shorter)
	}
}
