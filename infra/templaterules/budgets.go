package templaterules

import (
	"fmt"
	"strconv"
	"time"

	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/launcher"
	"github.com/eventchain/eventchain/internal/watcher"
)

// WatchReceiveMargin is how many receives of the watch queue the budget
// rule leaves for errors that are not retried on the transient schedule
// (a store error, a failed publish), which wait out the queue's
// visibility timeout instead.
const WatchReceiveMargin = 3

// visibilityTimeout checks that a consumed queue's VisibilityTimeout is at least 6 × its consumer's timeout + batching window, AWS's advice.
func visibilityTimeout(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, f := range t.Functions {
		for _, ev := range f.SQSEvents {
			q, _ := t.Queue(ev.Queue)
			if need := 6*f.Timeout + ev.MaximumBatchingWindowInSeconds; q.VisibilityTimeout < need {
				out = append(out, Finding{
					Resource: q.LogicalID,
					Problem: fmt.Sprintf("VisibilityTimeout %d s < 6 × %s's timeout %d s + batching window %d s = %d s: a record may come back while an invocation, or its retries, still handles it",
						q.VisibilityTimeout, f.LogicalID, f.Timeout, ev.MaximumBatchingWindowInSeconds, need),
					Fix: fmt.Sprintf("raise VisibilityTimeout to at least %d, or lower %s's Timeout", need, f.LogicalID),
				})
			}
		}
	}
	return out
}

// limitedConsumerReceives checks that a concurrency-limited consumer's queue allows at least 5 receives, since throttled polls count as receives.
func limitedConsumerReceives(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, f := range t.Functions {
		for _, ev := range f.SQSEvents {
			q, _ := t.Queue(ev.Queue)
			limited := f.ReservedConcurrentExecutions != nil || ev.MaximumConcurrency != 0
			if limited && q.RedrivePolicy != nil && q.RedrivePolicy.MaxReceiveCount < 5 {
				out = append(out, Finding{
					Resource: q.LogicalID,
					Problem: fmt.Sprintf("maxReceiveCount %d < 5 while its consumer %s is concurrency-limited: throttled polls count as receives and send records to the DLQ early",
						q.RedrivePolicy.MaxReceiveCount, f.LogicalID),
					Fix: "raise the RedrivePolicy's maxReceiveCount to 5 or more",
				})
			}
		}
	}
	return out
}

// watchReceiveBudget checks that the watcher's receive budget outlasts its wait budget, so it terminates the instances before the redrive policy takes the record.
func watchReceiveBudget(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, f := range t.Functions {
		if _, watches := f.Environment["WATCH_TIMEOUT_SECONDS"]; !watches {
			continue
		}
		for _, ev := range f.SQSEvents {
			q, _ := t.Queue(ev.Queue)
			if q.RedrivePolicy == nil {
				continue
			}
			if p, fix := checkWatchBudget(f.Environment, q.RedrivePolicy.MaxReceiveCount); p != "" {
				out = append(out, Finding{Resource: q.LogicalID, Problem: fmt.Sprintf("consumed by %s: %s", f.LogicalID, p), Fix: fix})
			}
		}
	}
	return out
}

// checkWatchBudget compares a watcher's wait budget (WATCH_TIMEOUT_SECONDS,
// its backoff) with its queue's maxReceiveCount, from receive
// maxReceiveCount-1 on which the watcher stops waiting. Real receives come
// later than the summed delays (invocation time), so the count is at least
// as many receives as happen. It returns the problem and its fix, or "".
func checkWatchBudget(env map[string]string, maxReceiveCount int) (problem, fix string) {
	var secs [3]float64
	for i, k := range []string{"WATCH_TIMEOUT_SECONDS", "WATCH_BACKOFF_BASE_SECONDS", "WATCH_BACKOFF_MAX_SECONDS"} {
		v, err := strconv.ParseFloat(env[k], 64)
		if err != nil || v <= 0 {
			return fmt.Sprintf("%s=%q is not a positive number of seconds", k, env[k]), fmt.Sprintf("set %s to a positive number of seconds", k)
		}
		secs[i] = v
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	need := receivesToWait(sec(secs[0]), sec(secs[1]), sec(secs[2]), maxReceiveCount)
	if need+WatchReceiveMargin <= maxReceiveCount-1 {
		return "", ""
	}
	return fmt.Sprintf("the watcher needs %d receives to wait WATCH_TIMEOUT_SECONDS=%vs (backoff %v..%vs) plus a margin of %d, but maxReceiveCount %d stops its waiting at receive %d",
			need, secs[0], secs[1], secs[2], WatchReceiveMargin, maxReceiveCount, maxReceiveCount-1),
		fmt.Sprintf("raise maxReceiveCount to at least %d, or shorten WATCH_TIMEOUT_SECONDS, or lengthen the backoff", need+WatchReceiveMargin+1)
}

// receivesToWait is the number of the receive on which the watcher's
// delays after the earlier receives (watcher.Backoff) add up to timeout; it
// stops counting past limit, where the answer no longer matters.
func receivesToWait(timeout, base, max time.Duration, limit int) int {
	n, waited := 1, time.Duration(0)
	for waited < timeout && n <= limit {
		waited += watcher.Backoff(n, base, max)
		n++
	}
	return n
}

// transientRetryWindow checks that a transient failure is retried on consumer.DefaultBackoff for the launcher's RetryWindow, and for the watcher's whole wait, before the queue's redrive policy gives up.
func transientRetryWindow(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, f := range t.Functions {
		window, extra, what := time.Duration(0), 0, ""
		if _, launches := f.Environment["LAUNCH_MAX_RECEIVE_COUNT"]; launches {
			window, what = launcher.RetryWindow, "the launcher's retry window"
		}
		if v, watches := f.Environment["WATCH_TIMEOUT_SECONDS"]; watches {
			secs, err := strconv.ParseFloat(v, 64)
			if err != nil || secs <= 0 {
				continue // watch-receive-budget reports it
			}
			// The watcher stops on the receive before the last.
			window, extra, what = time.Duration(secs*float64(time.Second)), 1, "WATCH_TIMEOUT_SECONDS"
		}
		if window == 0 {
			continue
		}
		backoff, err := consumer.LoadBackoff(func(k string) (string, bool) { v, ok := f.Environment[k]; return v, ok })
		if err != nil {
			out = append(out, Finding{Resource: f.LogicalID, Problem: err.Error(), Fix: "set a positive " + consumer.BackoffBaseEnv + ", or leave it unset"})
			continue
		}
		need := backoff.ReceivesFor(window) + extra
		for _, ev := range f.SQSEvents {
			q, _ := t.Queue(ev.Queue)
			if q.RedrivePolicy == nil || q.RedrivePolicy.MaxReceiveCount >= need {
				continue
			}
			out = append(out, Finding{
				Resource: q.LogicalID,
				Problem: fmt.Sprintf("maxReceiveCount %d: %s retries a transient failure on a %v..%v backoff (±%.0f %%), and needs %d receives to keep retrying for %s (%v) whatever the jitter",
					q.RedrivePolicy.MaxReceiveCount, f.LogicalID, backoff.Base, backoff.Max, backoff.Jitter*100, need, what, window),
				Fix: fmt.Sprintf("raise maxReceiveCount to at least %d", need),
			})
		}
	}
	return out
}
