package templaterules

import (
	"testing"
	"time"

	"github.com/eventchain/eventchain/internal/watcher"
)

// TestReceivesToWaitFollowsTheWatcher checks what the count means: the
// watcher's delays before that receive reach the timeout, and one receive
// earlier they do not.
func TestReceivesToWaitFollowsTheWatcher(t *testing.T) {
	tests := []struct {
		name               string
		timeout, base, max float64
		wantReceives       int
	}{
		// 5+10+20+40 then 60 s a receive: 615 s after 13 delays.
		{name: "template defaults", timeout: 600, base: 5, max: 60, wantReceives: 14},
		{name: "short local settings", timeout: 5, base: 1, max: 1, wantReceives: 6},
		// 0.5+1+2 = 3.5 s.
		{name: "fractional backoff", timeout: 3, base: 0.5, max: 2, wantReceives: 4},
		{name: "backoff longer than the timeout", timeout: 10, base: 30, max: 60, wantReceives: 2},
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := receivesToWait(sec(tt.timeout), sec(tt.base), sec(tt.max), 1000)
			if got != tt.wantReceives {
				t.Errorf("receivesToWait = %d, want %d", got, tt.wantReceives)
			}
			var waited time.Duration
			for n := 1; n < got; n++ {
				waited += watcher.Backoff(n, sec(tt.base), sec(tt.max))
			}
			before := waited - watcher.Backoff(got-1, sec(tt.base), sec(tt.max))
			if waited < sec(tt.timeout) || before >= sec(tt.timeout) {
				t.Errorf("receivesToWait = %d: the watcher's delays before it total %v (%v one receive earlier), want the first receive at or past %vs",
					got, waited, before, tt.timeout)
			}
		})
	}
}
