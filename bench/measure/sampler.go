package measure

import (
	"sync"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/stats"
)

// tick is how often the sampler reads the emulator's counter: fine enough
// that the first call and the last success are timed to within 1 % of a
// run of a few seconds, while the series is drawn at SampleEvery.
const tick = 10 * time.Millisecond

// point is one reading of an operation's counter.
type point struct {
	at                         time.Duration // since the sampler started
	calls, succeeded, throttle int64
}

// sampler reads one operation's counter at the emulator every tick, from
// its start until stop: the calls per second are what the emulator saw,
// whatever the callers believe they did.
type sampler struct {
	op    *stats.Op
	start time.Time
	done  chan struct{}
	wg    sync.WaitGroup

	mu     sync.Mutex
	points []point
	base   stats.OpSnapshot
}

func startSampler(op *stats.Op) *sampler {
	s := &sampler{op: op, start: time.Now(), done: make(chan struct{})}
	s.base = stats.OpSnapshot{Calls: op.Calls.Load(), Errors: op.Errors.Load(), Throttled: op.Throttled.Load()}
	s.read()
	s.wg.Go(func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				s.read()
				return
			case <-t.C:
				s.read()
			}
		}
	})
	return s
}

func (s *sampler) read() {
	calls := s.op.Calls.Load() - s.base.Calls
	errs := s.op.Errors.Load() - s.base.Errors
	thr := s.op.Throttled.Load() - s.base.Throttled
	p := point{at: time.Since(s.start), calls: calls, succeeded: calls - errs, throttle: thr}
	s.mu.Lock()
	s.points = append(s.points, p)
	s.mu.Unlock()
}

// succeeded is the latest count of successful calls.
func (s *sampler) succeeded() int64 {
	calls := s.op.Calls.Load() - s.base.Calls
	return calls - (s.op.Errors.Load() - s.base.Errors)
}

func (s *sampler) stop() []point {
	close(s.done)
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.points
}

// summary is what a run's points say about the rate.
type summary struct {
	calls, succeeded, throttled int64
	// first is when the first call was seen, last when the last success
	// was; both since the sampler started.
	first, last         time.Duration
	achieved, attempted float64
	series              []Sample
}

// summarize computes the rate after the first burst calls (the tokens the
// bucket starts with, which arrive at once) and the series of calls per
// second over a sliding window of one second, every step, from the first
// call to one second past the last success.
func summarize(points []point, burst int, step time.Duration) summary {
	var s summary
	if len(points) == 0 {
		return s
	}
	end := points[len(points)-1]
	s.calls, s.succeeded, s.throttled = end.calls, end.succeeded, end.throttle
	firstIdx := -1
	var lastCalls int64
	for i, p := range points {
		if p.calls > 0 && firstIdx < 0 {
			firstIdx = i
			s.first = p.at
		}
		if p.succeeded == end.succeeded {
			s.last, lastCalls = p.at, p.calls
			break
		}
	}
	if firstIdx < 0 {
		return s
	}
	if span := (s.last - s.first).Seconds(); span > 0 && s.succeeded > int64(burst) {
		s.achieved = float64(s.succeeded-int64(burst)) / span
		// The calls up to the last success: later ones (a design still
		// failing its last requests) are no part of this span.
		s.attempted = float64(lastCalls-int64(burst)) / span
	}
	// at(t) is the last reading at or before t; before the first call
	// every count is zero.
	at := func(t time.Duration) point {
		var last point
		for _, p := range points {
			if p.at > t {
				break
			}
			last = p
		}
		return last
	}
	for t := s.first; t <= s.last+time.Second; t += step {
		now, before := at(t), at(t-time.Second)
		s.series = append(s.series, Sample{
			At:                 round3((t - s.first).Seconds()),
			CallsPerSecond:     float64(now.calls - before.calls),
			SucceededPerSecond: float64(now.succeeded - before.succeeded),
			ThrottledPerSecond: float64(now.throttle - before.throttle),
		})
	}
	return s
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
