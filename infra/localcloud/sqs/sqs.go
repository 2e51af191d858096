package sqs

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
	"github.com/eventchain/eventchain/infra/localcloud/stats"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
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
	DB *bbolt.DB
	// Log is the data directory's write-ahead log, shared by its
	// services: a change is acknowledged once it is there. With DB set
	// and Log nil, the service opens a log of its own on DB and closes it
	// with the service.
	Log *storage.Log
	// State reports failed writes and injects them in tests.
	State *storage.State
	// Salvage, for a log of the service's own, replays what can be read
	// of a damaged log instead of refusing to open.
	Salvage bool
	Clock   func() time.Time
}

// Service is the emulated SQS. It is safe for concurrent use.
type Service struct {
	opts     Options
	counters stats.Counters
	log      *storage.Log // nil in memory
	ownLog   bool         // log was opened by New, and is closed by Close

	mu     sync.RWMutex
	queues map[string]*queue // by name

	tasks   moveTasks
	closing chan struct{}
	closeMu sync.Once
	// polls is closed by EndLongPolls: long polls answer at once.
	polls     chan struct{}
	pollsOnce sync.Once
	workers   sync.WaitGroup
	baseURL   string

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
	s := &Service{opts: opts, queues: map[string]*queue{}, closing: make(chan struct{}), polls: make(chan struct{}),
		baseURL: strings.TrimSuffix(opts.BaseURL, "/")}
	s.tasks.byID = map[string]*moveTask{}
	s.wire = s.api()
	s.router = awsproto.NewRouter(awsproto.Limits{}, s.wire)
	if opts.DB != nil {
		var err error
		if s.log, s.ownLog, err = storage.OpenFor("sqs", opts.DB, opts.Log, opts.State, storage.LogOptions{Salvage: opts.Salvage, Describe: DescribeWrite}, s.load); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Counters returns the service's counters.
func (s *Service) Counters() *stats.Counters { return &s.counters }

// EndLongPolls answers every ReceiveMessage waiting for messages now,
// with what it has (usually nothing), and makes later ones answer without
// waiting. A server shutting down calls it so that it need not wait up to
// 20 s for long polls to end. It is safe to call more than once.
func (s *Service) EndLongPolls() {
	s.pollsOnce.Do(func() { close(s.polls) })
}

// Close stops background work (move tasks, long polls) and, when the
// service opened its own log, commits what is queued for disk and folds
// the log into the database. It is safe to call more than once.
func (s *Service) Close() error {
	var err error
	s.EndLongPolls()
	s.closeMu.Do(func() {
		close(s.closing)
		s.workers.Wait()
		if s.ownLog {
			err = s.log.Close()
		}
	})
	return err
}

func (s *Service) now() time.Time { return s.opts.Clock() }

func (s *Service) arnOf(name string) string {
	return "arn:aws:sqs:" + s.opts.Region + ":" + s.opts.AccountID + ":" + name
}

func (s *Service) urlOf(name string) string {
	return s.baseURL + "/" + s.opts.AccountID + "/" + name
}

// ServeHTTP answers one API request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// API is the service's declaration to the wire layer.
func (s *Service) API() *awsproto.Service { return s.wire }

// queueByURL finds the queue a QueueUrl names. Only the account and name
// in the path matter, so clients may reach us as localhost or 127.0.0.1.
func (s *Service) queueByURL(raw *string) (*queue, *awsproto.Error) {
	if raw == nil || *raw == "" {
		return nil, errMissingParameter("QueueUrl")
	}
	path := *raw
	if strings.Contains(path, "://") {
		u, err := url.Parse(path)
		if err != nil {
			return nil, errInvalidAddress(path)
		}
		path = u.Path
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var name string
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		if parts[0] != s.opts.AccountID {
			return nil, errQueueDoesNotExist()
		}
		name = parts[1]
	default:
		return nil, errInvalidAddress(*raw)
	}
	return s.queueByName(name)
}

func (s *Service) queueByName(name string) (*queue, *awsproto.Error) {
	s.mu.RLock()
	q := s.queues[name]
	s.mu.RUnlock()
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

// queueByARN finds a queue of this account and region by ARN.
func (s *Service) queueByARN(arn string) *queue {
	prefix := "arn:aws:sqs:" + s.opts.Region + ":" + s.opts.AccountID + ":"
	if !strings.HasPrefix(arn, prefix) {
		return nil
	}
	q, _ := s.queueByName(strings.TrimPrefix(arn, prefix))
	return q
}

// StartSend enqueues a message on the queue with the given ARN, as SNS
// delivery does, with SendMessage's validation: groupID and
// deduplicationID are for a FIFO queue (a standard queue gets the message
// without them; empty means none). It fails if the queue does not exist
// or the message is invalid for it, and returns commit, which waits until
// the message is durable (at once without a data directory). Enqueueing
// several messages before waiting for the first lets them share one log
// sync. The message is receivable before commit returns, as with every
// send; commit must be called exactly once.
func (s *Service) StartSend(queueARN, body string, attrs map[string]awsmsg.Attribute, groupID, deduplicationID string) (commit func() error, err error) {
	q := s.queueByARN(queueARN)
	if q == nil {
		return nil, fmt.Errorf("send to %s: %w", queueARN, errQueueDoesNotExist())
	}
	in := &sendMessageInput{MessageBody: &body}
	if q.fifo {
		if groupID != "" {
			in.MessageGroupID = &groupID
		}
		if deduplicationID != "" {
			in.MessageDeduplicationID = &deduplicationID
		}
	}
	if len(attrs) > 0 {
		in.MessageAttributes = make(map[string]attributeValue, len(attrs))
		for n, a := range attrs {
			v := attributeValue{DataType: a.DataType}
			if isBinaryType(a.DataType) {
				v.BinaryValue = a.BinaryValue
			} else {
				sv := a.StringValue
				v.StringValue = &sv
			}
			in.MessageAttributes[n] = v
		}
	}
	_, commitSend, aerr := s.send(q, in, 0)
	if aerr != nil {
		return nil, fmt.Errorf("send to %s: %w", queueARN, aerr)
	}
	return func() error {
		if err := commitSend(); err != nil {
			return fmt.Errorf("send to %s: %w", queueARN, err)
		}
		return nil
	}, nil
}
