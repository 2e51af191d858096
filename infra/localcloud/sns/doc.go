// Package sns emulates Amazon SNS over its real wire protocol: the query
// protocol (form-encoded Action=…&Version=2010-03-31) answered with XML in
// SNS's namespace, so the AWS SDKs and the aws CLI work unchanged.
//
// It supports topics (standard and FIFO), SQS subscriptions with raw or
// envelope delivery, filter policies on message attributes or body (see
// package filterpolicy), subscription dead-letter queues, Publish and
// PublishBatch, and tags. Publish answers only after every matching
// subscription's delivery was handed to its queue, so an acknowledged
// message is as durable as the queue that received it. With a data
// directory, topics, subscriptions and tags are in its write-ahead log
// (package storage) before the response that acknowledges them.
//
// Files: wire.go declares the operation table and the shapes of inputs
// and outputs, errors.go the errors, state.go the model (topics and
// subscriptions); topics.go, subscriptions.go, tags.go and publish.go
// hold the operations on each and their rules, delivery.go the fan-out
// to queues, store.go the state on disk.
package sns
