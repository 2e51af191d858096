// Package ec2 emulates Amazon EC2 over its real wire protocol.
package ec2

import (
	"net/http"
	"time"

	"go.etcd.io/bbolt"

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
	// BootDelay is how long an instance stays pending before it runs.
	BootDelay time.Duration
	// RateLimit (requests per second) and Burst configure the API token
	// bucket; beyond it calls answer RequestLimitExceeded. Zero: no limit.
	RateLimit float64
	Burst     int
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
