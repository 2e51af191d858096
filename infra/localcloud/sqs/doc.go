// Package sqs emulates Amazon SQS over its AWS JSON 1.0 wire protocol
// (X-Amz-Target: AmazonSQS.<Op>), with awsQueryCompatible errors, standard
// and FIFO queues, delays, visibility timeouts, long polling, redrive to
// dead-letter queues and message move tasks.
//
// State lives in memory and, when Options.DB is set, in bbolt buckets whose
// names start with "sqs": every change a response acknowledges is committed
// before the response is written. Commits from concurrent requests are
// grouped into one bbolt transaction, so a durable send costs one shared
// fsync rather than one each.
package sqs
