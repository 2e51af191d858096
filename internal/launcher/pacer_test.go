package launcher

import (
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestPacerPhase: an environment's first call goes at once; a throttle
// moves the next by the part of an interval it drew.
func TestPacerPhase(t *testing.T) {
	draws := []float64{0.25}
	random := func() float64 {
		v := draws[0]
		draws = draws[1:]
		return v
	}
	const r = 2 // calls per second: a 500 ms interval
	p := newPacer(rate.Limit(r), random)
	if err := p.Wait(context.Background()); err != nil || time.Now().Before(p.notBefore) {
		t.Errorf("first Wait: %v, not before %v: want at once", err, p.notBefore)
	}
	before := time.Now()
	p.Throttled()
	after := time.Now()
	if lo, hi := before.Add(625*time.Millisecond), after.Add(625*time.Millisecond); p.notBefore.Before(lo) || p.notBefore.After(hi) {
		t.Errorf("after a throttle, not before %v, want an interval and a quarter on (%v to %v)", p.notBefore, lo, hi)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	early, cancelEarly := context.WithDeadline(ctx, p.notBefore.Add(-time.Millisecond))
	defer cancelEarly()
	start := time.Now()
	if err := p.Wait(early); err == nil || time.Since(start) > 300*time.Millisecond { // blocking would last until the deadline, 624 ms on
		t.Errorf("Wait with a deadline before the next call: %v after %v, want an error at once", err, time.Since(start))
	}
}
