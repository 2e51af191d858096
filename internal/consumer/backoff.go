package consumer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/eventchain/eventchain/internal/awsenv"
)

// Backoff is the one retry schedule of transient failures
// (docs/architecture.md, "Failures and retries"). After a record's n-th
// receive the runner sets its visibility timeout to Base doubled n-1
// times, capped at Max, then multiplied by a random factor in
// [1-Jitter, 1+Jitter].
//
// The schedule is keyed on SQS's ApproximateReceiveCount rather than on a
// count the function keeps: the receive count survives cold starts and
// crashes, and it is what the queue's redrive policy counts, so the
// receive budget (maxReceiveCount) and the schedule speak of the same
// receives.
//
// The jitter applies after the cap: records that failed together (one
// throttle answering a whole batch) would otherwise all come back at
// exactly Max, and fail together again.
type Backoff struct {
	Base   time.Duration
	Max    time.Duration
	Jitter float64 // a fraction: 0.2 is ±20 %
}

// The default schedule: 2, 4, 8, 16, 32 s, then 60 s on every later
// receive, each ±20 %.
const (
	DefaultBackoffBase   = 2 * time.Second
	DefaultBackoffMax    = 60 * time.Second
	DefaultBackoffJitter = 0.2
)

// DefaultBackoff is the schedule in production.
//
// Its receive budget: the shortest delays (every draw at -20 %) after
// receives 1 to 5 are 1.6 + 3.2 + 6.4 + 12.8 + 25.6 = 49.6 s, and 48 s
// after each later one. Receive r therefore comes at least
// 49.6 + 48 × (r - 6) s after the first: 577.6 s for r = 17, 625.6 s for
// r = 18. A queue must allow 18 receives (ReceivesFor(10 min)) for a
// transient failure to be retried for 10 minutes whatever the jitter;
// without jitter those 18 receives span 782 s, at most 938 s.
var DefaultBackoff = Backoff{Base: DefaultBackoffBase, Max: DefaultBackoffMax, Jitter: DefaultBackoffJitter}

// BackoffBaseEnv is the setting that replaces DefaultBackoff's base, in
// seconds (fractions allowed). The template leaves it unset; tests of the
// local pipeline shorten the schedule with it.
const BackoffBaseEnv = "RETRY_BACKOFF_BASE_SECONDS"

// LoadBackoff reads a consumer's retry schedule: DefaultBackoff, with its
// base from BackoffBaseEnv when set.
func LoadBackoff(lookup awsenv.Lookup) (Backoff, error) {
	b := DefaultBackoff
	if v, ok := lookup(BackoffBaseEnv); ok && v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs <= 0 || math.IsInf(secs, 0) {
			return Backoff{}, fmt.Errorf("%s %q: want a positive number of seconds", BackoffBaseEnv, v)
		}
		b.Base = time.Duration(secs * float64(time.Second))
	}
	if err := b.validate(); err != nil {
		return Backoff{}, fmt.Errorf("%s: %w", BackoffBaseEnv, err)
	}
	return b, nil
}

func (b Backoff) validate() error {
	switch {
	case b.Base <= 0:
		return fmt.Errorf("backoff base %v: want a positive duration", b.Base)
	case b.Max < b.Base:
		return fmt.Errorf("backoff base %v is above its cap %v", b.Base, b.Max)
	case b.Max > maxVisibility:
		return fmt.Errorf("backoff cap %v is above SQS's %v visibility limit", b.Max, maxVisibility)
	case b.Jitter < 0 || b.Jitter >= 1:
		return fmt.Errorf("backoff jitter %v: want a fraction in [0, 1)", b.Jitter)
	}
	return nil
}

// Nominal is the delay after the receiveCount-th receive before jitter:
// Base doubled receiveCount-1 times, capped at Max. A count below 1 is
// taken as the first receive.
func (b Backoff) Nominal(receiveCount int) time.Duration {
	d := b.Base
	for i := 1; i < receiveCount && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Delay is the visibility timeout to set after the receiveCount-th
// receive: Nominal spread by the jitter.
func (b Backoff) Delay(receiveCount int) time.Duration {
	return b.at(receiveCount, rand.Float64())
}

// at is Delay with the random draw u in [0, 1) given: u = 0 gives the
// shortest delay, u close to 1 the longest.
func (b Backoff) at(receiveCount int, u float64) time.Duration {
	factor := 1 - b.Jitter + 2*b.Jitter*u
	return time.Duration(math.Round(float64(b.Nominal(receiveCount)) * factor))
}

// Bounds are the shortest and longest delays after the receiveCount-th
// receive.
func (b Backoff) Bounds(receiveCount int) (shortest, longest time.Duration) {
	return b.at(receiveCount, 0), b.at(receiveCount, 1)
}

// MinElapsed is the least time between a record's first receive and its
// receives-th when every receive before it ends in a transient failure:
// the sum of the shortest delays. Handling time, and the runner's rounding
// of each delay up to whole seconds (SQS's unit), only add to it.
func (b Backoff) MinElapsed(receives int) time.Duration {
	var sum time.Duration
	for n := 1; n < receives; n++ {
		shortest, _ := b.Bounds(n)
		sum += shortest
	}
	return sum
}

// ReceivesFor is the smallest receive count whose receive comes at least
// window after the first, whatever the jitter: a queue that allows that
// many receives keeps a transient failure retried for window before its
// redrive policy gives up. It is 0 for an invalid schedule, which never
// gets there.
func (b Backoff) ReceivesFor(window time.Duration) int {
	if b.validate() != nil {
		return 0
	}
	n, elapsed := 1, time.Duration(0)
	for elapsed < window {
		shortest, _ := b.Bounds(n)
		elapsed += shortest
		n++
	}
	return n
}
