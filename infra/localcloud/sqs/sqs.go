// Package sqs emulates Amazon SQS over its real wire protocol.
package sqs

import (
	"errors"
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

// SendToQueue enqueues a message on the queue with the given ARN, as SNS
// delivery does. It returns an error if the queue does not exist or the
// message is invalid for it.
func (s *Service) SendToQueue(queueARN, body string, attrs map[string]awsmsg.Attribute) error {
	return errors.New("not implemented")
}

// Close stops background work (timers, delivery).
func (s *Service) Close() error { return nil }
