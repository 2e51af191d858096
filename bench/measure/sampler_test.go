package measure

import (
	"math"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	// Two calls at once (the burst), then one every 100 ms, the third of
	// them throttled; the counter read every 50 ms.
	var points []point
	calls, succeeded, throttled := int64(0), int64(0), int64(0)
	for at := 0; at <= 2000; at += 50 {
		switch {
		case at == 100:
			calls, succeeded = 2, 2
		case at > 100 && at%100 == 0 && at <= 1100:
			calls++
			if at == 400 {
				throttled++
			} else {
				succeeded++
			}
		}
		points = append(points, point{at: ms(at), calls: calls, succeeded: succeeded, throttle: throttled})
	}
	s := summarize(points, 2, ms(100))
	if s.calls != 12 || s.succeeded != 11 || s.throttled != 1 {
		t.Errorf("calls, succeeded, throttled = %d, %d, %d; want 12, 11, 1", s.calls, s.succeeded, s.throttled)
	}
	if s.first != ms(100) || s.last != ms(1100) {
		t.Errorf("first, last = %s, %s; want 100ms, 1.1s", s.first, s.last)
	}
	// Nine successes after the burst, over the second from the first call
	// to the last success.
	if math.Abs(s.achieved-9) > 1e-9 || math.Abs(s.attempted-10) > 1e-9 {
		t.Errorf("achieved, attempted = %v, %v; want 9/s, 10/s", s.achieved, s.attempted)
	}
	if len(s.series) != 21 || s.series[0].At != 0 || s.series[20].At != 2 {
		t.Fatalf("series of %d points from %v to %v, want 21 from 0 to 2 s", len(s.series), s.series[0].At, s.series[len(s.series)-1].At)
	}
	// One second after the first call, the window holds the calls after
	// the burst: ten, one of them throttled.
	if got := s.series[10]; got.CallsPerSecond != 10 || got.SucceededPerSecond != 9 || got.ThrottledPerSecond != 1 {
		t.Errorf("at 1 s: %+v, want 10 calls, 9 succeeded, 1 throttled", got)
	}
	if got := s.series[20]; got.CallsPerSecond != 0 {
		t.Errorf("at 2 s, a second after the last call: %+v, want no calls", got)
	}
}

func TestSummarizeNoCalls(t *testing.T) {
	s := summarize([]point{{at: 0}, {at: time.Second}}, 2, 100*time.Millisecond)
	if s.calls != 0 || s.achieved != 0 || len(s.series) != 0 {
		t.Errorf("no calls: %+v", s)
	}
}
