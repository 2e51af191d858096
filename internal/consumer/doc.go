// Package consumer runs a Lambda SQS batch through a per-record handler and
// answers with a partial batch response (ReportBatchItemFailures).
//
// For every record the runner decodes the CloudEvents envelope, checks that
// the record's `type` message attribute agrees with it and that the type is
// one the function consumes (event.ConsumedBy), and then calls the handler.
// What happens to the record depends on the outcome:
//
//   - nil: the record is acknowledged.
//   - undecodable record, or a *PermanentError from the handler: the record
//     is sent to the function's dead-letter queue with the reason in the
//     error.code / error.message / error.function message attributes and
//     acknowledged. Retrying it cannot help, and it must not hold back its
//     neighbours. If that send fails the record is reported as a batch item
//     failure instead: a record is never dropped.
//   - a *TransientError: a batch item failure, after setting the record's
//     visibility timeout, so SQS brings it back later without the function
//     sleeping. The delay is the one retry schedule (Backoff: 2 s doubling
//     to 60 s, ±20 %, keyed on the record's receive count) unless the
//     error names a wait of its own (the watcher's wait for booting
//     instances). Each retry is a hop in the request's history, with its
//     code, reason and delay.
//   - any other error, or a panic in the handler: a batch item failure. SQS
//     redelivers it and its redrive policy dead-letters it after
//     maxReceiveCount receives.
//
// Records are processed one after another by default. Every consumer of the
// pipeline is paced or cheap per record, a batch holds at most 10 records,
// and sequential handling keeps the launcher's pacer the only thing that
// decides its call rate (rate × reserved concurrency = the EC2 limit) and
// keeps log lines of one invocation in record order. Options.Parallelism
// allows bounded parallelism for handlers that wait on slow calls.
//
// Records run under a context that ends a little before the invocation's
// deadline (Reserve, or a tenth of the time left), so the partial batch
// response always reaches Lambda: records not started by then are reported
// as batch item failures instead of being lost with the whole answer.
package consumer
