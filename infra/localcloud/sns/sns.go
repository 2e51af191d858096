package sns

import (
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
	// Log is the data directory's write-ahead log, shared by its
	// services: a change is acknowledged once it is there. With DB set
	// and Log nil, the service opens a log of its own on DB and closes it
	// with the service.
	Log *storage.Log
	// State reports failed writes of a log of the service's own.
	State *storage.State
	Clock func() time.Time
	// Queues delivers to SQS subscriptions and subscription DLQs.
	Queues Queues
	// HTTPClient posts to http and https subscriptions; nil uses one of
	// the service's own, which trusts the system's certificate
	// authorities and follows no redirect.
	HTTPClient *http.Client
}

// Queues delivers messages to SQS queues named by their ARNs. StartSend
// hands a message to its queue at once (groupID and deduplicationID are
// empty outside FIFO topics), or fails — the queue does not exist, the
// message is too large… — and SNS then sends it to the subscription's
// dead-letter queue; commit, called exactly once, waits until the message
// is durable. A publish hands every delivery over before waiting for any,
// so the deliveries of one Publish or PublishBatch share the queues'
// commits.
type Queues interface {
	StartSend(queueARN, body string, attrs map[string]awsmsg.Attribute, groupID, deduplicationID string) (commit func() error, err error)
}

// Service is the emulated service. It is safe for concurrent use.
type Service struct {
	opts     Options
	counters stats.Counters
	log      *storage.Log // nil in memory
	ownLog   bool         // log was opened by New, and is closed by Close

	mu      sync.RWMutex
	topics  map[string]*topic
	subs    map[string]*subscription
	byTopic map[string][]*subscription // in subscription order
	seq     uint64                     // orders topics and subscriptions for listing

	wire   *awsproto.Service
	router *awsproto.Router // for ServeHTTP on the service alone

	deliveryFaults faults.Pending[faults.Delivery]

	http *httpSender
	sent sentLog

	// smsMu guards the opted-out numbers and the SMS settings.
	smsMu    sync.RWMutex
	optOuts  map[string]bool
	smsAttrs map[string]string

	// signMu guards the signing key, made or loaded on first use.
	signMu    sync.Mutex
	signKey   *signingKey
	signSaved bool // signKey is in the data directory
}

// New creates the service, loading any state kept in opts.DB.
func New(opts Options) (*Service, error) {
	acct := awsproto.Account{ID: opts.AccountID, Region: opts.Region}.OrDefault()
	opts.AccountID, opts.Region = acct.ID, acct.Region
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	s := &Service{
		opts:     opts,
		topics:   map[string]*topic{},
		subs:     map[string]*subscription{},
		byTopic:  map[string][]*subscription{},
		optOuts:  map[string]bool{},
		smsAttrs: map[string]string{},
		http:     newHTTPSender(opts.HTTPClient),
	}
	s.wire = s.api()
	s.router = awsproto.NewRouter(awsproto.Limits{}, s.wire)
	if opts.DB != nil {
		var err error
		if s.log, s.ownLog, err = storage.OpenFor("sns", opts.DB, opts.Log, opts.State, storage.LogOptions{Describe: DescribeWrite}, s.load); err != nil {
			return nil, err
		}
		s.reindex()
	}
	return s, nil
}

// Counters returns the service's counters: per operation calls and errors,
// per topic ARN the messages published (In), per subscription ARN the
// messages delivered (Out).
func (s *Service) Counters() *stats.Counters { return &s.counters }

// Close stops the deliveries to HTTP/S endpoints, in flight or waiting
// for a retry (deliveries to queues are done before their publish
// answers), and closes a log of the service's own.
func (s *Service) Close() error {
	s.http.close()
	if s.ownLog {
		return s.log.Close()
	}
	return nil
}

// API is the service's declaration to the wire layer.
func (s *Service) API() *awsproto.Service { return s.wire }
