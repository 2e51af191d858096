// Package sqs emulates Amazon SQS over its AWS JSON 1.0 wire protocol
// (X-Amz-Target: AmazonSQS.<Op>), with awsQueryCompatible errors, standard
// and FIFO queues, delays, visibility timeouts, long polling, redrive to
// dead-letter queues and message move tasks.
//
// State lives in memory and, when Options.DB is set, on disk: every change
// a response acknowledges is on disk before the response is written, in
// the data directory's write-ahead log (package storage), which groups
// the commits of concurrent requests, of every service, into one sync and
// folds the log into bbolt in the background.
//
// Files: wire.go declares the operation table and the shapes of inputs
// and outputs, errors.go the errors; a singular name holds a model and
// its rules (queue.go, message.go), the plural the operations on it
// (queues.go, messages.go; movetask.go holds both for move tasks);
// store.go (the bucket layout) and load.go keep state on disk.
package sqs
