// Package dlq inspects and empties dead-letter queues through the SQS API
// alone, so that every operation works the same on a deployed stack and on
// localcloud: reading every message of a queue without deleting any
// (Scan), moving messages back where they came from through an SQS
// message move task (Move) or message by message (Redrive), purging, and
// exporting and importing messages as JSON lines.
//
// No operation loses a message: a message leaves a queue only after its
// destination has accepted it, so an interruption can at worst leave one
// message in both queues, and the operation names it. eventchain's
// consumers are idempotent, so such a message is harmless.
//
// The package also knows what eventchain puts in its dead-letter queues:
// the CloudEvents envelope, the error.* attributes a consumer sets when it
// dead-letters a record itself (internal/consumer), and what each consumer
// does with a record redriven to it (docs/architecture.md, "Failures and
// retries"). The topology — which queue dead-letters where — comes from
// the caller (Topology), read from a template or from a deployed stack.
package dlq
