package launcher

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer spaces one execution environment's RunInstances calls at its
// share of the limit (Config.PerInstanceRate), one call per interval.
//
// The function's environments pace independently, as Lambda shares no
// memory between them, and their rates add up to the limit exactly. Two
// environments whose calls fall at the same point of every interval keep
// EC2's bucket at its brim: a call of one that reaches EC2 a millisecond
// early is throttled, and so on at every interval. So when EC2 throttles
// an environment, it moves its calls to a random point of its interval:
// the environments' calls then fall apart, each finding the bucket
// refilled by the others' share. (They all start together, at the first
// records, when the bucket holds a burst for each.)
type pacer struct {
	lim      *rate.Limiter
	interval time.Duration
	random   func() float64 // in [0, 1)

	mu        sync.Mutex
	notBefore time.Time
}

func newPacer(r rate.Limit, random func() float64) *pacer {
	if random == nil {
		random = rand.Float64
	}
	return &pacer{lim: rate.NewLimiter(r, 1), interval: time.Duration(float64(time.Second) / float64(r)), random: random}
}

// Wait blocks until the environment may call RunInstances. Like the
// limiter, it fails at once when that is after ctx's deadline, so that a
// record that cannot be launched in time goes back to the queue while
// the invocation still has time to say so.
func (p *pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	notBefore := p.notBefore
	p.mu.Unlock()
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(notBefore) {
		return fmt.Errorf("pacer: the next call may go at %s, after the deadline", notBefore.Format(time.RFC3339Nano))
	}
	if wait := time.Until(notBefore); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return p.lim.Wait(ctx)
}

// Throttled moves the environment's calls by a random part of an
// interval after EC2 refused one for the rate: the next waits a whole
// interval (as it would have, the refused call having spent its token)
// and that part more.
func (p *pacer) Throttled() {
	p.mu.Lock()
	p.notBefore = time.Now().Add(p.interval + time.Duration(p.random()*float64(p.interval)))
	p.mu.Unlock()
}
