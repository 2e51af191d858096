// Package watcher is the watcher function: it consumes instance.launched
// and waits, without sleeping, for the request's instances to run.
//
// Per record it calls DescribeInstances on the launched instances:
//
//   - every instance running: publish instance.running;
//   - any instance shutting-down, terminated, stopping or stopped (EC2 has
//     no "failed" state; a launch that dies goes there with a StateReason,
//     and a stopped instance will not start again by itself): terminate the
//     request's instances and publish launch.failed with the StateReason's
//     code and message;
//   - still pending, not yet visible (InvalidInstanceID.NotFound right after
//     RunInstances, eventual consistency) or throttled: a transient failure
//     whose redelivery delay (the record's visibility timeout) is
//     WATCH_BACKOFF_BASE_SECONDS doubled per receive, capped at
//     WATCH_BACKOFF_MAX_SECONDS and at the time left in the budget.
//
// The budget is WATCH_TIMEOUT_SECONDS from the launch (the event's
// launchedAt, else the record's first receive). Past it, the watcher
// terminates the request's instances and publishes launch.failed with code
// WatchTimeout, so no request stays LAUNCHING with instances running. The
// watch queue's maxReceiveCount must allow the receives this takes.
//
// The watcher does not read or write the status store: the notifier records
// the terminal status. NewFromEnv takes a store only to share the signature
// of every function.
package watcher
