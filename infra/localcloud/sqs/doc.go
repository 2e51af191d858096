// Package sqs emulates Amazon SQS over its AWS JSON 1.0 wire protocol
// (X-Amz-Target: AmazonSQS.<Op>), with awsQueryCompatible errors, standard
// and FIFO queues, delays, visibility timeouts, long polling, redrive to
// dead-letter queues and message move tasks.
//
// State lives in memory and, when Options.DB is set, on disk: every change
// a response acknowledges is on disk before the response is written.
// Commits from concurrent requests are grouped, and a group is appended to
// a write-ahead log next to the bbolt file and synced once (one
// fdatasync), so a durable send costs a share of one sync rather than
// bbolt's two per transaction. Log segments are zero-filled when created,
// so that a sync flushes data only and never waits for a journal commit. Full log segments are folded into bbolt in
// the background; whatever a crash leaves in the log is replayed into
// bbolt when the service is next created, and Close folds the rest.
//
// Files: wire.go declares the operation table and the shapes of inputs
// and outputs, errors.go the errors; a singular name holds a model and
// its rules (queue.go, message.go), the plural the operations on it
// (queues.go, messages.go; movetask.go holds both for move tasks);
// store.go, wal.go and load.go keep state on disk.
package sqs
