package sns

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
	"github.com/eventchain/eventchain/infra/localcloud/faults"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
	"github.com/eventchain/eventchain/infra/localcloud/stats"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// Options configures the service.
type Options struct {
	AccountID string
	Region    string
	// BaseURL is the emulator's externally visible URL, e.g.
	// http://127.0.0.1:4566 (envelopes' signing and unsubscribe URLs are
	// built from it).
	BaseURL string
	// DB, when set, makes every acknowledged change durable; nil keeps
	// state in memory.
	DB *bbolt.DB
	// State reports failed writes and injects them in tests.
	State *storage.State
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

// FIFOQueueSender is implemented by a QueueSender that can deliver to FIFO
// queues, which need a message group and a deduplication id. When Queues
// implements it, messages of FIFO topics are delivered through it.
type FIFOQueueSender interface {
	SendToFIFOQueue(queueARN, body string, attrs map[string]awsmsg.Attribute, groupID, deduplicationID string) error
}

// AsyncQueueSender is implemented by a QueueSender that can hand a message
// to a queue at once and make it durable later. StartSendToQueue enqueues
// the message (groupID and deduplicationID are empty outside FIFO topics)
// or fails as SendToQueue would; commit, called exactly once, waits until
// the message is durable. When Queues implements it, a publish hands every
// delivery over before waiting for any, so the deliveries of one Publish
// or PublishBatch share the queues' commits.
type AsyncQueueSender interface {
	StartSendToQueue(queueARN, body string, attrs map[string]awsmsg.Attribute, groupID, deduplicationID string) (commit func() error, err error)
}

// Service is the emulated service. It is safe for concurrent use.
type Service struct {
	opts     Options
	counters stats.Counters

	mu      sync.RWMutex
	topics  map[string]*topic
	subs    map[string]*subscription
	byTopic map[string][]*subscription // in subscription order
	seq     uint64                     // orders topics and subscriptions for listing

	wire   *awsproto.Service
	router *awsproto.Router // for ServeHTTP on the service alone

	deliveryFaults faults.Pending[faults.Delivery]
}

// New creates the service, loading any state kept in opts.DB.
func New(opts Options) (*Service, error) {
	acct := awsproto.Account{ID: opts.AccountID, Region: opts.Region}.OrDefault()
	opts.AccountID, opts.Region = acct.ID, acct.Region
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	s := &Service{
		opts:    opts,
		topics:  map[string]*topic{},
		subs:    map[string]*subscription{},
		byTopic: map[string][]*subscription{},
	}
	s.wire = s.api()
	s.router = awsproto.NewRouter(awsproto.Limits{}, s.wire)
	if opts.DB != nil {
		if err := s.load(); err != nil {
			return nil, fmt.Errorf("load sns state: %w", err)
		}
		s.reindex()
	}
	return s, nil
}

// Counters returns the service's counters: per operation calls and errors,
// per topic ARN the messages published (In), per subscription ARN the
// messages delivered (Out).
func (s *Service) Counters() *stats.Counters { return &s.counters }

// Close stops background work. A publish waits for its deliveries before
// it answers, so there is none.
func (s *Service) Close() error { return nil }

// ServeHTTP answers one API request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// API is the service's declaration to the wire layer.
func (s *Service) API() *awsproto.Service { return s.wire }
