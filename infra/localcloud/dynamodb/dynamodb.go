package dynamodb

import (
	"net/http"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
	"github.com/eventchain/eventchain/infra/localcloud/stats"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// DefaultTTLInterval is how often expired items are deleted when
// Options.TTLInterval is zero.
const DefaultTTLInterval = time.Second

// Options configures the service.
type Options struct {
	AccountID string
	Region    string
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
	// TTLInterval is how often the sweep deletes items whose TTL has
	// passed; negative disables the sweep.
	TTLInterval time.Duration
}

// Service is the emulated DynamoDB. It is safe for concurrent use.
type Service struct {
	opts     Options
	counters stats.Counters
	store    *committer // nil in memory

	// mu guards every table and item: writes hold it while they check
	// conditions and change memory, which makes each write, batch and
	// transaction atomic with respect to every other.
	mu     sync.RWMutex
	tables map[string]*table
	tokens tokens // TransactWriteItems idempotency

	closing   chan struct{}
	closeOnce sync.Once
	workers   sync.WaitGroup

	wire   *awsproto.Service
	router *awsproto.Router
}

// New creates the service, loading any state kept in opts.DB.
func New(opts Options) (*Service, error) {
	acct := awsproto.Account{ID: opts.AccountID, Region: opts.Region}.OrDefault()
	opts.AccountID, opts.Region = acct.ID, acct.Region
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.TTLInterval == 0 {
		opts.TTLInterval = DefaultTTLInterval
	}
	s := &Service{opts: opts, tables: map[string]*table{}, tokens: tokens{}, closing: make(chan struct{})}
	s.wire = s.api()
	s.router = awsproto.NewRouter(awsproto.Limits{}, s.wire)
	if opts.DB != nil {
		log, own, err := storage.OpenFor("dynamodb", opts.DB, opts.Log, opts.State, storage.LogOptions{Describe: DescribeWrite}, func() (err error) {
			s.tables, err = load(opts.DB)
			return err
		})
		if err != nil {
			return nil, err
		}
		s.store = newCommitter(log, own, &s.mu)
	}
	if opts.TTLInterval > 0 {
		s.workers.Add(1)
		go s.sweepTTL()
	}
	return s, nil
}

// Close stops the TTL sweep and commits what is queued for disk. It is
// safe to call more than once.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closing)
		s.workers.Wait()
		err = s.store.close()
	})
	return err
}

// Counters returns the service's counters.
func (s *Service) Counters() *stats.Counters { return &s.counters }

// ServeHTTP answers one API request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// API is the service's declaration to the wire layer.
func (s *Service) API() *awsproto.Service { return s.wire }

func (s *Service) now() time.Time { return s.opts.Clock() }

// commit queues cs for the disk; the caller holds s.mu and calls finish
// after releasing it.
func (s *Service) commit(cs *changeSet) chan error { return s.store.enqueue(cs) }

// finish waits for a queued commit and turns its failure into the answer.
func finish(ch chan error) *awsproto.Error {
	if err := wait(ch); err != nil {
		return errStorage(err)
	}
	return nil
}

// tableFor finds a table for an item operation, which answers without
// naming it when it is missing.
func (s *Service) tableFor(name string) (*table, *awsproto.Error) {
	if name == "" {
		return nil, errMissing("tableName")
	}
	t := s.tables[name]
	if t == nil {
		return nil, errResourceNotFound()
	}
	return t, nil
}
