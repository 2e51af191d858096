package ec2

import (
	"errors"
	"math"
	"net/http"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/time/rate"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
	"github.com/eventchain/eventchain/infra/localcloud/stats"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// Defaults for Options fields left zero.
const (
	// DefaultTerminatedRetention is how long a terminated instance stays
	// describable; AWS keeps them for about an hour.
	DefaultTerminatedRetention = time.Hour
	// maxRequestBytes bounds a request body; EC2 query requests are small
	// (user data is at most 16 KiB before base64).
	maxRequestBytes = 1 << 20
)

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
	// BootDelay is how long an instance stays pending before it runs; zero
	// makes it running on the next describe (RunInstances itself always
	// answers pending, as AWS does).
	BootDelay time.Duration
	// TerminateDelay is how long a terminating instance stays
	// shutting-down; zero makes it terminated on the next describe
	// (TerminateInstances itself answers shutting-down, as AWS does).
	TerminateDelay time.Duration
	// TerminatedRetention is how long a terminated instance stays
	// describable. Zero means DefaultTerminatedRetention; negative keeps
	// terminated instances forever.
	TerminatedRetention time.Duration
	// NotFoundFor models EC2's eventual consistency: for this long after
	// launch, DescribeInstances answers InvalidInstanceID.NotFound for the
	// instance's id and leaves it out of unfiltered listings. Zero: off.
	NotFoundFor time.Duration
	// RateLimit (requests per second) and Burst configure the API token
	// buckets, one per action as on EC2; beyond its bucket an action's
	// calls answer RequestLimitExceeded. Zero RateLimit: no limit. Zero
	// Burst: the rate rounded up (at least 1).
	RateLimit float64
	Burst     int
}

// Service is the emulated service. It is safe for concurrent use.
type Service struct {
	opts     Options
	timing   timing
	counters stats.Counters
	limiters map[string]*rate.Limiter // by action; nil: no limit
	store    *store                   // nil: in memory only

	mu           sync.Mutex
	instances    map[string]*instance
	order        []*instance // by Seq, for stable listing and pagination
	reservations map[string]*reservation
	tokens       map[string]*reservation // client token → reservation
	nextSeq      uint64
	imageFaults  map[string]StateReason

	wire   *awsproto.Service
	router *awsproto.Router // for ServeHTTP on the service alone
}

// New creates the service, loading any state kept in opts.DB.
func New(opts Options) (*Service, error) {
	acct := awsproto.Account{ID: opts.AccountID, Region: opts.Region}.OrDefault()
	opts.AccountID, opts.Region = acct.ID, acct.Region
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.TerminatedRetention == 0 {
		opts.TerminatedRetention = DefaultTerminatedRetention
	}
	s := &Service{
		opts:         opts,
		timing:       timing{boot: opts.BootDelay, terminate: opts.TerminateDelay, retention: max(opts.TerminatedRetention, 0)},
		instances:    map[string]*instance{},
		reservations: map[string]*reservation{},
		tokens:       map[string]*reservation{},
		imageFaults:  map[string]StateReason{},
		nextSeq:      1,
	}
	s.wire = s.api()
	s.router = awsproto.NewRouter(awsproto.Limits{}, s.wire)
	if opts.RateLimit > 0 {
		burst := opts.Burst
		if burst <= 0 {
			burst = max(1, int(math.Ceil(opts.RateLimit)))
		}
		// EC2 throttles each API action in a bucket of its own ("Request
		// throttling for the Amazon EC2 API", EC2 Developer Guide): a
		// client's DescribeInstances does not spend RunInstances' tokens.
		s.limiters = map[string]*rate.Limiter{}
		for _, op := range []string{"RunInstances", "DescribeInstances", "TerminateInstances"} {
			s.limiters[op] = rate.NewLimiter(rate.Limit(opts.RateLimit), burst)
		}
	}
	if opts.DB != nil {
		st, err := openStore(opts.DB, opts.Log, opts.State)
		if err != nil {
			return nil, err
		}
		s.store = st
		instances, reservations, err := st.load()
		if err != nil {
			return nil, errors.Join(err, st.close())
		}
		for _, in := range instances {
			s.instances[in.ID] = in
			s.order = append(s.order, in)
			s.nextSeq = max(s.nextSeq, in.Seq+1)
		}
		for _, r := range reservations {
			s.reservations[r.ID] = r
			if r.ClientToken != "" {
				s.tokens[r.ClientToken] = r
			}
		}
	}
	return s, nil
}

// ServeHTTP answers one API request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// API is the service's declaration to the wire layer.
func (s *Service) API() *awsproto.Service { return s.wire }

// api declares EC2 on the wire: EC2's query protocol, version
// 2016-11-15, every call through the rate limit.
func (s *Service) api() *awsproto.Service {
	return &awsproto.Service{
		Name:      "ec2",
		Protocols: []awsproto.Protocol{awsproto.EC2Query{Version: "2016-11-15", Namespace: xmlns}},
		MaxBody:   maxRequestBytes,
		Counters:  &s.counters,
		Admit:     s.admit,
		// EC2's statuses for injected codes are its own (RequestLimitExceeded is 503).
		FaultStatus: statusFor,
		Ops: []awsproto.Operation{
			awsproto.Op("RunInstances", s.runInstances).OwnFaults(),
			awsproto.Op("DescribeInstances", s.describeInstances).OwnFaults(),
			awsproto.Op("TerminateInstances", s.terminateInstances).OwnFaults(),
		},
	}
}

// admit applies the action's rate limit, which every call of it counts
// against, valid or not.
func (s *Service) admit(op string) *awsproto.Error {
	if l := s.limiters[op]; l != nil && !l.AllowN(s.opts.Clock(), 1) {
		s.counters.Op(op).Throttled.Add(1)
		return throttled()
	}
	return nil
}

// Counters returns the service's counters: per operation (Calls, Errors,
// Throttled) and the resource "instances" (In: launched, Out: terminated).
func (s *Service) Counters() *stats.Counters { return &s.counters }

// Close closes a log of the service's own. The service runs no
// background work: states are computed from timestamps.
func (s *Service) Close() error { return s.store.close() }
