// Package sns emulates Amazon SNS over its real wire protocol.
package sns

import (
	"net/http"
	"time"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"

	"github.com/eventchain/eventchain/infra/localcloud/stats"
)

// Options configures the service.
type Options struct {
	AccountID string
	Region    string
	// BaseURL is the emulator's externally visible URL, e.g.
	// http://127.0.0.1:4566 (SQS queue URLs are built from it).
	BaseURL string
	// DB, when set, makes every acknowledged change durable; nil keeps
	// state in memory.
	DB    *bbolt.DB
	Clock func() time.Time
	// Queues delivers to SQS subscriptions and subscription DLQs.
	Queues QueueSender
}

// QueueSender delivers a message to an SQS queue named by its ARN. An error
// means the delivery failed (the queue does not exist, the message is too
// large…): SNS then sends it to the subscription's dead-letter queue.
type QueueSender interface {
	SendToQueue(queueARN, body string, attrs map[string]awsmsg.Attribute) error
}

// Service is the emulated service.
type Service struct {
	opts     Options
	counters stats.Counters
}

// New creates the service, loading any state kept in opts.DB.
func New(opts Options) (*Service, error) {
	return &Service{opts: opts}, nil
}

// ServeHTTP answers one API request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// Counters returns the service's counters.
func (s *Service) Counters() *stats.Counters { return &s.counters }

// Close stops background work (timers, delivery).
func (s *Service) Close() error { return nil }
