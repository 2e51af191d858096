package sqs

import (
	"errors"
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
	// State reports failed writes and injects them in tests.
	State *storage.State
	// Salvage replays what can be read of a damaged log instead of
	// refusing to open (see foldSegments).
	Salvage bool
	Clock   func() time.Time
}

// Service is the emulated SQS. It is safe for concurrent use.
type Service struct {
	opts     Options
	counters stats.Counters
	store    *committer // nil in memory

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
		store, err := openCommitter(opts.DB, opts.State, opts.Salvage)
		if err != nil {
			return nil, fmt.Errorf("open sqs log: %w", err)
		}
		if err := s.load(); err != nil {
			return nil, errors.Join(fmt.Errorf("load sqs state: %w", err), store.close())
		}
		s.store = store
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

// Close stops background work (move tasks, long polls), commits what is
// queued for disk and folds the write-ahead log into the database. It is
// safe to call more than once.
func (s *Service) Close() error {
	var err error
	s.EndLongPolls()
	s.closeMu.Do(func() {
		close(s.closing)
		s.workers.Wait()
		err = s.store.close()
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

// SendToQueue enqueues a message on the queue with the given ARN, as SNS
// delivery does, with SendMessage's validation, and waits until it is
// durable. It returns an error if the queue does not exist or the message
// is invalid for it.
func (s *Service) SendToQueue(queueARN, body string, attrs map[string]awsmsg.Attribute) error {
	commit, err := s.StartSendToQueue(queueARN, body, attrs, "", "")
	if err != nil {
		return err
	}
	return commit()
}

// SendToFIFOQueue is SendToQueue with the message group and deduplication
// ids a FIFO queue needs. A standard queue gets the message without them.
func (s *Service) SendToFIFOQueue(queueARN, body string, attrs map[string]awsmsg.Attribute, groupID, deduplicationID string) error {
	commit, err := s.StartSendToQueue(queueARN, body, attrs, groupID, deduplicationID)
	if err != nil {
		return err
	}
	return commit()
}

// StartSendToQueue enqueues a message at once, as SendToFIFOQueue does
// (empty ids for none), and returns commit, which waits until the message
// is durable (at once without a data directory). Enqueueing several
// messages before waiting for the first lets them share one log sync.
// The message is receivable before commit returns, as with every send;
// commit must be called exactly once.
func (s *Service) StartSendToQueue(queueARN, body string, attrs map[string]awsmsg.Attribute, groupID, deduplicationID string) (commit func() error, err error) {
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
