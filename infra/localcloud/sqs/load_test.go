package sqs

import (
	"slices"
	"testing"
)

func TestSortDedup(t *testing.T) {
	tests := []struct {
		name    string
		expires []int64
	}{
		{name: "empty", expires: nil},
		{name: "already in order", expires: []int64{1, 2, 3}},
		{name: "reversed", expires: []int64{9, 5, 4, 1}},
		{name: "key order differs from time order", expires: []int64{30, 10, 20, 10, 50, 40}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entries := make([]dedupRecord, len(tc.expires))
			for i, e := range tc.expires {
				entries[i] = dedupRecord{Key: string(rune('a' + i)), Expires: e}
			}
			sortDedup(entries)
			got := make([]int64, len(entries))
			for i, d := range entries {
				got[i] = d.Expires
			}
			want := slices.Sorted(slices.Values(tc.expires))
			if !slices.Equal(got, want) {
				t.Errorf("expiries after sort %v, want %v", got, want)
			}
		})
	}
}

// BenchmarkSortDedup loads a full window of deduplication entries, which
// a busy FIFO queue can hold by the hundred thousand.
func BenchmarkSortDedup(b *testing.B) {
	const n = 100_000
	src := make([]dedupRecord, n)
	for i := range src {
		src[i] = dedupRecord{Expires: int64((i * 7919) % n)}
	}
	entries := make([]dedupRecord, n)
	for b.Loop() {
		copy(entries, src)
		sortDedup(entries)
	}
}
