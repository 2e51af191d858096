package storage

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
			_, c := openLog(b, filepath.Join(b.TempDir(), "state.db"))
			val := make([]byte, 400)
			var wg sync.WaitGroup
			per := b.N/4 + 1
			b.ResetTimer()
			for g := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range per {
						if err := Wait(c.Enqueue(Write{Bucket: testBucket, Key: fmt.Appendf(nil, "%d", g*per+i), Val: val})); err != nil {
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
