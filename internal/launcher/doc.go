// Package launcher is the launcher function: it consumes launch.requested
// and starts the request's EC2 instances.
//
// Per record it waits for the pacer (a token bucket at
// LAUNCH_RATE_PER_SECOND / LAUNCHER_CONCURRENCY calls per second, so that
// every concurrent instance together stays within the EC2 rate), calls
// RunInstances with ClientToken = request id and deterministic tags, moves
// the request to LAUNCHING and publishes instance.launched.
//
// EC2 errors are classified (Classify): throttling, missing capacity,
// service errors and timeouts are transient (the record goes back to the
// queue; the SDK itself retries at most 3 attempts with at most ~2 s of
// backoff, so no invocation sleeps long); invalid parameters are permanent
// and end the request at once with launch.failed; anything else is retried
// until the queue's redrive policy dead-letters it.
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
