package measure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eventchain/eventchain/infra/local"
)

// Goals of the accept-latency run.
const (
	AcceptP99Goal = 10 * time.Millisecond
)

// AcceptOptions configures the accept-latency run.
type AcceptOptions struct {
	Template string
	Rate     float64 // POSTs per second
	Duration time.Duration
	// DataDir keeps localcloud's state there, as `eventchain run` does;
	// empty runs in memory.
	DataDir string
}

// Accept posts one launch every 1/Rate seconds for Duration to the local
// mode's API, open loop: each POST leaves at its scheduled time whatever
// the earlier ones are doing, so a slow answer cannot hold back the load
// and hide itself. It reports the latency of the 202s and the errors
// (any other answer, or none).
func Accept(ctx context.Context, o AcceptOptions) (_ *AcceptResult, err error) {
	if o.Rate <= 0 || o.Duration <= 0 {
		return nil, fmt.Errorf("accept run: want a positive rate and duration, got %v and %s", o.Rate, o.Duration)
	}
	res := &AcceptResult{RatePerSecond: o.Rate, Seconds: o.Duration.Seconds(), Storage: "memory"}
	if o.DataDir != "" {
		res.Storage = "datadir"
	}
	r, err := startLocal(ctx, local.Options{Template: o.Template, DataDir: o.DataDir}, nil)
	if err != nil {
		return nil, err
	}
	defer closeInto(&err, "the local mode", r.Close)
	client := httpClient(10 * time.Second)
	// One warm-up POST: the first connection and the first request of
	// each function are not what a steady caller sees.
	if _, err := postOne(ctx, client, r.APIURL()); err != nil {
		return nil, fmt.Errorf("accept run, warm-up: %w", err)
	}

	n := int(o.Rate * o.Duration.Seconds())
	interval := time.Duration(float64(time.Second) / o.Rate)
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, n)
		errs      int
		kinds     = map[string]int{}
		firstErr  error
		wg        sync.WaitGroup
	)
	start := time.Now()
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		wg.Go(func() {
			sent := time.Now()
			raw, status, err := post(ctx, client, r.APIURL(), launchBody)
			took := time.Since(sent)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs++
				firstErr = cmpOr(firstErr, err)
				kinds[transportError(err)]++
			case status != http.StatusAccepted:
				errs++
				firstErr = cmpOr(firstErr, fmt.Errorf("POST /launches: %d %s", status, raw))
				var answer struct {
					Code string `json:"code"`
				}
				_ = json.Unmarshal(raw, &answer)
				kinds[strings.TrimSpace(fmt.Sprintf("%d %s", status, answer.Code))]++
			default:
				latencies = append(latencies, took)
			}
		})
	}
	sentIn := time.Since(start)
	wg.Wait()
	res.Sent, res.Accepted, res.Errors = n, len(latencies), errs
	if errs > 0 {
		res.ErrorKinds = kinds
	}
	res.AchievedPerSecond = float64(n) / sentIn.Seconds()
	if len(latencies) == 0 {
		return nil, fmt.Errorf("accept run: no POST of %d was accepted: %w", n, firstErr)
	}
	slices.Sort(latencies)
	res.P50Ms = ms(percentile(latencies, 0.50))
	res.P99Ms = ms(percentile(latencies, 0.99))
	res.MaxMs = ms(latencies[len(latencies)-1])
	res.LatencyGoal = Goal{Want: fmt.Sprintf("p99 ≤ %s", AcceptP99Goal), Met: percentile(latencies, 0.99) <= AcceptP99Goal}
	res.ErrorsGoal = Goal{Want: "0 errors", Met: errs == 0}
	return res, nil
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

// transportError names a POST that got no answer.
func transportError(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "no answer"
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
