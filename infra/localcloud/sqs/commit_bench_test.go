package sqs

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// BenchmarkCommit measures durable commits alone (no HTTP, no SDK) from
// 4 concurrent writers, each waiting for its write to be on disk, with one
// sync at a time and with overlapping syncs.
func BenchmarkCommit(b *testing.B) {
	for _, inflight := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("syncs-%d", inflight), func(b *testing.B) {
			old := maxSyncsInFlight
			maxSyncsInFlight = inflight
			defer func() { maxSyncsInFlight = old }()
			db := openDB(b, filepath.Join(b.TempDir(), "state.db"))
			defer db.Close()
			c, err := openCommitter(db, nil, false)
			if err != nil {
				b.Fatal(err)
			}
			defer c.close()
			val := make([]byte, 400)
			var wg sync.WaitGroup
			per := b.N/4 + 1
			b.ResetTimer()
			for g := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range per {
						if err := wait(c.enqueue(write{bucket: msgBucket("q"), key: seqKey(uint64(g*per + i)), val: val})); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
