package samtemplate

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Runtime settings every function must use.
const (
	WantRuntime      = "provided.al2023"
	WantArchitecture = "arm64"
	WantHandler      = "bootstrap"
)

// CheckInvariants checks the rules the template must keep whatever the
// parameters (docs/architecture.md, "Template invariants") and returns
// every violation, joined; nil when all hold:
//
//   - every queue that is not itself a DLQ redrives to a DLQ of the
//     template, and the DLQ's retention is longer than its source's (a DLQ
//     keeps the original enqueue time);
//   - a consumed queue's VisibilityTimeout is at least 6 × the consumer's
//     Timeout + its MaximumBatchingWindowInSeconds;
//   - every SQS event reports batch item failures;
//   - ScalingConfig.MaximumConcurrency is 2–1000 and at most the consumer's
//     reserved concurrency, and a concurrency-limited consumer's queue
//     allows at least 5 receives;
//   - every SQS subscription uses raw delivery, has its own DLQ, and a
//     queue policy lets its topic send to its queue and to that DLQ;
//   - every DLQ, and every subscribed queue no function consumes, has a
//     depth alarm whose actions go to a topic of the template;
//   - every function runs provided.al2023 on arm64 with handler bootstrap;
//   - a consumer told its queue's receive budget (an environment variable
//     ending in _MAX_RECEIVE_COUNT) is told the queue's maxReceiveCount;
//   - the watcher's receive budget outlasts its wait budget: the receives
//     its backoff takes to reach WATCH_TIMEOUT_SECONDS, plus
//     WatchReceiveMargin receives lost to errors, stay below the watch
//     queue's maxReceiveCount - 1 (from there the watcher stops waiting).
func (r *Resolved) CheckInvariants() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	dlqs := r.DeadLetterQueues()
	for _, q := range r.Queues {
		if slices.Contains(dlqs, q.LogicalID) {
			continue
		}
		if q.RedrivePolicy == nil || q.RedrivePolicy.DeadLetterQueue == "" {
			fail("queue %s has no RedrivePolicy to a DLQ of the template", q.LogicalID)
			continue
		}
		dlq, _ := r.Queue(q.RedrivePolicy.DeadLetterQueue)
		if dlq.MessageRetentionPeriod <= q.MessageRetentionPeriod {
			fail("queue %s keeps messages %ds but its DLQ %s only %ds: the DLQ must keep them longer",
				q.LogicalID, q.MessageRetentionPeriod, dlq.LogicalID, dlq.MessageRetentionPeriod)
		}
	}

	consumed := map[string]bool{}
	for _, f := range r.Functions {
		if f.Runtime != WantRuntime {
			fail("function %s: runtime %q, want %q", f.LogicalID, f.Runtime, WantRuntime)
		}
		if !slices.Equal(f.Architectures, []string{WantArchitecture}) {
			fail("function %s: architectures %v, want [%s]", f.LogicalID, f.Architectures, WantArchitecture)
		}
		if f.Handler != WantHandler {
			fail("function %s: handler %q, want %q", f.LogicalID, f.Handler, WantHandler)
		}
		for _, ev := range f.SQSEvents {
			consumed[ev.Queue] = true
			q, _ := r.Queue(ev.Queue)
			if need := 6*f.Timeout + ev.MaximumBatchingWindowInSeconds; q.VisibilityTimeout < need {
				fail("queue %s: VisibilityTimeout %ds < 6 × %s timeout %ds + batching window %ds = %ds",
					q.LogicalID, q.VisibilityTimeout, f.LogicalID, f.Timeout, ev.MaximumBatchingWindowInSeconds, need)
			}
			if !slices.Contains(ev.FunctionResponseTypes, "ReportBatchItemFailures") {
				fail("function %s event %s: FunctionResponseTypes lacks ReportBatchItemFailures", f.LogicalID, ev.Name)
			}
			limited := f.ReservedConcurrentExecutions != nil || ev.MaximumConcurrency != 0
			if ev.MaximumConcurrency != 0 {
				if ev.MaximumConcurrency < 2 || ev.MaximumConcurrency > 1000 {
					fail("function %s event %s: MaximumConcurrency %d outside 2–1000", f.LogicalID, ev.Name, ev.MaximumConcurrency)
				}
				if f.ReservedConcurrentExecutions != nil && ev.MaximumConcurrency > *f.ReservedConcurrentExecutions {
					fail("function %s event %s: MaximumConcurrency %d > reserved concurrency %d (throttled polls burn receive counts)",
						f.LogicalID, ev.Name, ev.MaximumConcurrency, *f.ReservedConcurrentExecutions)
				}
			}
			if limited && q.RedrivePolicy != nil && q.RedrivePolicy.MaxReceiveCount < 5 {
				fail("queue %s: maxReceiveCount %d < 5 for concurrency-limited %s",
					q.LogicalID, q.RedrivePolicy.MaxReceiveCount, f.LogicalID)
			}
			if q.RedrivePolicy == nil {
				continue
			}
			for _, k := range sortedKeys(f.Environment) {
				if strings.HasSuffix(k, "_MAX_RECEIVE_COUNT") && f.Environment[k] != strconv.Itoa(q.RedrivePolicy.MaxReceiveCount) {
					fail("function %s: %s=%q but its queue %s has maxReceiveCount %d",
						f.LogicalID, k, f.Environment[k], q.LogicalID, q.RedrivePolicy.MaxReceiveCount)
				}
			}
			if err := checkWatchBudget(f.Environment, q.RedrivePolicy.MaxReceiveCount); err != nil {
				fail("function %s, queue %s: %v", f.LogicalID, q.LogicalID, err)
			}
		}
	}

	alarmed := r.alarmedQueues()
	for _, s := range r.Subscriptions {
		if s.Protocol != "sqs" {
			continue
		}
		if !s.RawMessageDelivery {
			fail("subscription %s: RawMessageDelivery is off", s.LogicalID)
		}
		if s.DeadLetterQueue == "" {
			fail("subscription %s has no RedrivePolicy to a DLQ of the template", s.LogicalID)
		} else if !r.snsMaySend(s.TopicARN, s.DeadLetterQueue) {
			fail("subscription %s: no queue policy lets topic %s send to its DLQ %s", s.LogicalID, s.Topic, s.DeadLetterQueue)
		}
		if s.EndpointQueue == "" {
			fail("subscription %s: endpoint %s is no queue of the template", s.LogicalID, s.Endpoint)
			continue
		}
		if !r.snsMaySend(s.TopicARN, s.EndpointQueue) {
			fail("subscription %s: no queue policy lets topic %s send to queue %s", s.LogicalID, s.Topic, s.EndpointQueue)
		}
		if !consumed[s.EndpointQueue] && !alarmed[s.EndpointQueue] {
			fail("queue %s is subscribed but consumed by no function and has no depth alarm", s.EndpointQueue)
		}
	}
	for _, d := range dlqs {
		if !alarmed[d] {
			fail("DLQ %s has no depth alarm with actions to a topic of the template", d)
		}
	}
	return errors.Join(errs...)
}

// alarmedQueues lists the queues with a depth alarm that fires on one
// visible message and notifies a topic of the template.
func (r *Resolved) alarmedQueues() map[string]bool {
	topics := map[string]bool{}
	for _, t := range r.Topics {
		topics[t.ARN] = true
	}
	out := map[string]bool{}
	for _, a := range r.Alarms {
		if a.Namespace != "AWS/SQS" || a.MetricName != "ApproximateNumberOfMessagesVisible" {
			continue
		}
		fires := (a.ComparisonOperator == "GreaterThanOrEqualToThreshold" && a.Threshold <= 1) ||
			(a.ComparisonOperator == "GreaterThanThreshold" && a.Threshold < 1)
		if !fires || len(a.AlarmActions) == 0 {
			continue
		}
		notifies := true
		for _, act := range a.AlarmActions {
			notifies = notifies && topics[act]
		}
		if !notifies {
			continue
		}
		for _, q := range r.Queues {
			if a.Dimensions["QueueName"] == q.Name {
				out[q.LogicalID] = true
			}
		}
	}
	return out
}

// snsMaySend reports whether a queue policy attached to the queue allows
// sns.amazonaws.com to SendMessage to it on behalf of the topic.
func (r *Resolved) snsMaySend(topicARN, queue string) bool {
	q, ok := r.Queue(queue)
	if !ok {
		return false
	}
	for _, p := range r.QueuePolicies {
		if !slices.Contains(p.Queues, queue) {
			continue
		}
		for _, s := range p.Document.Statement {
			if s.Effect != "Allow" || !slices.Contains(s.Principal["Service"], "sns.amazonaws.com") {
				continue
			}
			if !slices.Contains(s.Action, "sqs:SendMessage") && !slices.Contains(s.Action, "sqs:*") {
				continue
			}
			if !slices.Contains(s.Resource, q.ARN) {
				continue
			}
			for _, op := range []string{"ArnEquals", "ArnLike", "StringEquals"} {
				if slices.Contains(s.Condition[op]["aws:SourceArn"], topicARN) {
					return true
				}
			}
		}
	}
	return false
}

// WatchReceiveMargin is how many receives of the watch queue the budget
// check leaves for errors that carry no backoff (a store or EC2 error the
// watcher cannot wait out, a failed publish).
const WatchReceiveMargin = 3

// checkWatchBudget checks a watcher's budgets when env configures one
// (WATCH_TIMEOUT_SECONDS set). The watcher's delay after receive n is
// WATCH_BACKOFF_BASE_SECONDS doubled per earlier receive, capped at
// WATCH_BACKOFF_MAX_SECONDS (watcher.Backoff); the receive on which the
// summed delays reach the timeout is the last the wait budget needs. Real
// receives come later than the summed delays (invocation time), so this
// counts at least as many receives as happen.
func checkWatchBudget(env map[string]string, maxReceiveCount int) error {
	if _, ok := env["WATCH_TIMEOUT_SECONDS"]; !ok {
		return nil
	}
	var vals [3]float64
	for i, k := range []string{"WATCH_TIMEOUT_SECONDS", "WATCH_BACKOFF_BASE_SECONDS", "WATCH_BACKOFF_MAX_SECONDS"} {
		v, err := strconv.ParseFloat(env[k], 64)
		if err != nil || v <= 0 {
			return fmt.Errorf("%s=%q: want a positive number of seconds", k, env[k])
		}
		vals[i] = v
	}
	need := watchReceives(vals[0], vals[1], vals[2], maxReceiveCount)
	if need+WatchReceiveMargin > maxReceiveCount-1 {
		return fmt.Errorf("the watcher needs %d receives to wait WATCH_TIMEOUT_SECONDS=%vs (backoff %v..%vs) plus a margin of %d, "+
			"but maxReceiveCount %d stops its waiting at receive %d", need, vals[0], vals[1], vals[2], WatchReceiveMargin,
			maxReceiveCount, maxReceiveCount-1)
	}
	return nil
}

// watchReceives is the number of the receive on which the summed backoff
// delays of the earlier receives reach timeout; it stops counting past
// limit, where the answer no longer matters.
func watchReceives(timeout, base, max float64, limit int) int {
	n, waited, delay := 1, 0.0, base
	for waited < timeout && n <= limit {
		waited += min(delay, max)
		delay *= 2
		n++
	}
	return n
}
