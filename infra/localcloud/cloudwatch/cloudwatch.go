package cloudwatch

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
	"github.com/eventchain/eventchain/infra/localcloud/stats"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// Options configures the service.
type Options struct {
	AccountID string
	Region    string
	// DB, when set, makes every acknowledged change durable; nil keeps
	// state in memory.
	DB *bbolt.DB
	// Log is the data directory's write-ahead log, shared by its
	// services. With DB set and Log nil, the service opens a log of its
	// own on DB and closes it with the service.
	Log *storage.Log
	// State reports failed writes of a log of the service's own.
	State *storage.State
	Clock func() time.Time
	// PeriodScale multiplies every alarm's period when it is evaluated
	// (0.01 turns a 60 s period into 600 ms), so that local runs and
	// tests see alarms change state in moments; alarms keep and answer
	// their configured periods. 0 means 1. A scaled period is at least
	// MinScaledPeriod.
	PeriodScale float64
	// Queues reads the live metrics of SQS queues; nil leaves AWS/SQS
	// alarms without data.
	Queues Queues
	// Topics publishes alarm notifications; nil makes every SNS action
	// fail, as the alarm's history then says.
	Topics Topics
	// Logger receives what the evaluation cannot do (a state change that
	// could not be written); nil discards it.
	Logger *slog.Logger
}

// MinScaledPeriod bounds how short PeriodScale makes a period: below it
// the few samples per period would be taken faster than they say
// anything.
const MinScaledPeriod = 10 * time.Millisecond

// Queues reads what CloudWatch's AWS/SQS metrics of a queue show now:
// ApproximateNumberOfMessagesVisible and ApproximateAgeOfOldestMessage.
// ok is false when the queue does not exist, which is missing data for
// its alarms. It must not call back into this service.
type Queues interface {
	QueueMetrics(name string) (visible int, oldestAge time.Duration, ok bool)
}

// Topics publishes a message to an SNS topic, as CloudWatch does for an
// alarm's actions. The error says why SNS refused it (the topic does not
// exist, an injected fault…); the alarm's history records it.
type Topics interface {
	Publish(topicARN, subject, message string) error
}

// Service is the emulated CloudWatch. It is safe for concurrent use.
type Service struct {
	opts     Options
	acct     awsproto.Account
	counters stats.Counters
	log      *storage.Log // nil in memory
	ownLog   bool
	logger   *slog.Logger

	mu      sync.Mutex
	alarms  map[string]*alarm      // by name
	evals   map[string]*evaluation // by alarm name; not persisted
	history []*historyItem         // in Seq order
	seq     uint64                 // orders history items
	outbox  []notification         // published by the notifier, in order
	// writeFailing is set while the evaluation's and the notifier's own
	// writes fail, so that only the first failure of a run is logged.
	writeFailing bool

	wake      chan struct{} // an alarm was added or changed: sample it now
	notify    chan struct{} // the outbox has work
	closing   chan struct{}
	evaluated chan struct{} // closed when the evaluation has stopped
	closeOnce sync.Once
	workers   sync.WaitGroup

	wire   *awsproto.Service
	router *awsproto.Router // for ServeHTTP on the service alone
}

// New creates the service, loading any state kept in opts.DB, and starts
// evaluating its alarms.
func New(opts Options) (*Service, error) {
	acct := awsproto.Account{ID: opts.AccountID, Region: opts.Region}.OrDefault()
	opts.AccountID, opts.Region = acct.ID, acct.Region
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.PeriodScale <= 0 {
		opts.PeriodScale = 1
	}
	s := &Service{
		opts:      opts,
		acct:      acct,
		logger:    opts.Logger,
		alarms:    map[string]*alarm{},
		evals:     map[string]*evaluation{},
		wake:      make(chan struct{}, 1),
		notify:    make(chan struct{}, 1),
		closing:   make(chan struct{}),
		evaluated: make(chan struct{}),
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.wire = s.api()
	s.router = awsproto.NewRouter(awsproto.Limits{}, s.wire)
	if opts.DB != nil {
		var err error
		if s.log, s.ownLog, err = storage.OpenFor("cloudwatch", opts.DB, opts.Log, opts.State, storage.LogOptions{Describe: DescribeWrite}, s.load); err != nil {
			return nil, err
		}
	}
	now := s.now()
	for name, a := range s.alarms {
		s.evals[name] = s.newEvaluation(a, now)
	}
	s.workers.Add(2)
	go s.evaluateLoop()
	go s.notifyLoop()
	return s, nil
}

// Counters returns the service's counters: per operation calls and
// errors.
func (s *Service) Counters() *stats.Counters { return &s.counters }

// Close stops evaluating alarms, publishes the notifications of the state
// changes already made, and closes a log of the service's own. It is safe
// to call more than once.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closing)
		s.workers.Wait()
		if s.ownLog {
			err = s.log.Close()
		}
	})
	return err
}

// ServeHTTP answers one API request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// API is the service's declaration to the wire layer.
func (s *Service) API() *awsproto.Service { return s.wire }

func (s *Service) now() time.Time { return s.opts.Clock() }

func (s *Service) alarmARN(name string) string { return s.acct.ARN("cloudwatch", "alarm:"+name) }

// poke wakes a loop waiting on ch without blocking: one pending wake-up
// is as good as many.
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
