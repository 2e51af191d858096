package samtemplate

import (
	"testing"
	"time"

	"github.com/eventchain/eventchain/internal/watcher"
)

// TestWatchReceivesFollowsTheWatcher checks the budget check's count
// against the watcher's own backoff, so the two cannot drift apart.
func TestWatchReceivesFollowsTheWatcher(t *testing.T) {
	tests := []struct {
		name                string
		timeout, base, max  float64
		wantReceivesAtLeast int
	}{
		{name: "template defaults", timeout: 600, base: 5, max: 60, wantReceivesAtLeast: 14},
		{name: "short local settings", timeout: 5, base: 1, max: 1, wantReceivesAtLeast: 6},
		{name: "fractional backoff", timeout: 3, base: 0.5, max: 2},
		{name: "backoff longer than the timeout", timeout: 10, base: 30, max: 60},
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := watchReceives(tt.timeout, tt.base, tt.max, 1000)
			var waited time.Duration
			for n := 1; n < got; n++ {
				waited += watcher.Backoff(n, sec(tt.base), sec(tt.max))
			}
			before := waited - watcher.Backoff(got-1, sec(tt.base), sec(tt.max))
			if waited < sec(tt.timeout) || before >= sec(tt.timeout) {
				t.Errorf("watchReceives = %d: the watcher's delays before it total %v (%v one receive earlier), want the first receive at or past %vs",
					got, waited, before, tt.timeout)
			}
			if got < tt.wantReceivesAtLeast {
				t.Errorf("watchReceives = %d, want %d", got, tt.wantReceivesAtLeast)
			}
		})
	}
}
