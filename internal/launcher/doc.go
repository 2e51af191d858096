// Package launcher is the launcher function: it consumes launch.requested
// and starts the request's EC2 instances.
//
// Per record it first reads the request from the status store: a request
// already RUNNING or FAILED (a late duplicate, or a redriven record of a
// request that failed meanwhile) is not launched again, and the record is
// acknowledged. Otherwise it waits for the pacer (one call per interval at
// LAUNCH_RATE_PER_SECOND / LAUNCHER_CONCURRENCY calls per second, so that
// every concurrent instance together stays within the EC2 rate; an
// instance EC2 throttles moves its calls to a random point of its
// interval, see pacer.go), calls
// RunInstances with ClientToken = request id and deterministic tags, moves
// the request to LAUNCHING and publishes instance.launched.
//
// The SDK makes one attempt per RunInstances (retries inside the SDK would
// spend one pacer token on several calls): SQS redelivery is the retry, and
// every redelivery waits for a token again.
//
// EC2 errors are classified (Classify; the table is in ec2.go):
// throttling, service errors, timeouts and missing capacity are transient
// and come back after the consumer's one retry schedule (consumer.Backoff:
// 2, 4, 8, … s, capped at 60 s, ±20 %, by receive count) rather than the
// queue's whole visibility timeout; each attempt and its error is a hop in
// the request's history. Invalid parameters and exhausted quotas are
// permanent and end the request at once with launch.failed. Anything else
// is retried after the queue's visibility timeout. On the launch queue's
// last receive (LAUNCH_MAX_RECEIVE_COUNT, at least 18 so that transient
// errors are retried for RetryWindow) a launch that would be retried ends
// the request with launch.failed, code RetriesExhausted and the last error,
// so the request does not stay ACCEPTED; the record is still returned as a
// failure, so the redrive policy dead-letters it and the DLQ alarm fires.
//
// Redelivery is safe: everything RunInstances receives is derived from the
// request, so EC2 answers a repeated call with the same instances, the
// LAUNCHING transition is refused as not forward (harmless), and
// instance.launched is published again (the watcher and notifier are
// idempotent).
//
// userData arrives base64-encoded, as the API validates it and as EC2's
// RunInstances takes it; it is passed through unchanged.
package launcher
