// Package watcher is the watcher function: it consumes instance.launched
// and waits, without sleeping, for the request's instances to run.
//
// Per record it first reads the request from the status store: a request
// already RUNNING or FAILED is left alone (a late or redriven duplicate of
// instance.launched must not terminate instances or fail a request that is
// closed), and the record is acknowledged. Otherwise it calls
// DescribeInstances on the launched instances:
//
//   - every instance running: publish instance.running;
//   - any instance shutting-down, terminated, stopping or stopped (EC2 has
//     no "failed" state; a launch that dies goes there with a StateReason,
//     and a stopped instance will not start again by itself): terminate the
//     request's instances and publish launch.failed with the StateReason's
//     code and message;
//   - still pending, or not yet visible (InvalidInstanceID.NotFound right
//     after RunInstances, eventual consistency): a wait, returned as a
//     transient failure whose redelivery delay (the record's visibility
//     timeout) is WATCH_BACKOFF_BASE_SECONDS doubled per receive, capped at
//     WATCH_BACKOFF_MAX_SECONDS and at the time left in the budget;
//   - throttled, an EC2 service error or a timeout (of DescribeInstances or
//     TerminateInstances): a transient error, retried on the consumer's one
//     retry schedule (consumer.Backoff: 2 s doubling to 60 s, ±20 %, by
//     receive count), as the launcher's errors are.
//
// The two schedules are kept apart on purpose. The wait is for a boot of
// known length (tens of seconds): there is no point looking sooner than
// 5 s, and each wait stops at the deadline so the timeout is noticed on
// time. The error schedule is for a failure of unknown length, where a
// quick first retry often succeeds and the jitter keeps throttled records
// from retrying together; it is not capped at the deadline, so a timeout
// reached while retrying an error is noticed at most one delay (72 s)
// late.
//
// Two budgets end the wait. The wait budget is WATCH_TIMEOUT_SECONDS from
// the launch (the event's launchedAt, else the record's first receive). The
// receive budget is the watch queue's maxReceiveCount
// (WATCH_MAX_RECEIVE_COUNT): receives spent on errors that carry no backoff
// (a store or EC2 error the watcher cannot wait out) count too, and once
// the record reaches receive maxReceiveCount-1 the watcher stops waiting,
// leaving the last receive to retry the timeout path. Past either budget it
// terminates the request's instances and publishes launch.failed with code
// WatchTimeout, so no request stays LAUNCHING with instances running and
// its record in the DLQ. The template keeps the receive budget well above
// the receives the wait budget takes (infra/templaterules, rule
// watch-receive-budget), and above the receives errors alone take to reach
// WATCH_TIMEOUT_SECONDS on the retry schedule at its shortest: for 600 s,
// consumer.DefaultBackoff.ReceivesFor(600 s) = 18 receives, so a
// maxReceiveCount of at least 19 (the template's is 30).
//
// Terminating is all or nothing in EC2: one unknown id fails the whole
// call with InvalidInstanceID.NotFound. The watcher then looks the ids up
// with an instance-id filter and terminates the ones EC2 knows.
//
// The watcher only reads the status store (the notifier records the
// terminal status), so its IAM role needs dynamodb:GetItem alone.
package watcher
