package sns

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
	"github.com/eventchain/eventchain/infra/localcloud/stats"
)

// Namespace is the XML namespace of every SNS response.
const Namespace = "http://sns.amazonaws.com/doc/2010-03-31/"

// apiVersion is the only query API version SNS has.
const apiVersion = "2010-03-31"

// maxRequestBytes bounds a request body: a PublishBatch of 256 KiB of
// messages, form-encoded, stays well below it.
const maxRequestBytes = 4 << 20

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
}

// New creates the service, loading any state kept in opts.DB.
func New(opts Options) (*Service, error) {
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	s := &Service{
		opts:    opts,
		topics:  map[string]*topic{},
		subs:    map[string]*subscription{},
		byTopic: map[string][]*subscription{},
	}
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

type handler func(s *Service, q query) (string, *apiError)

var handlers = map[string]handler{
	"CreateTopic":               (*Service).createTopic,
	"DeleteTopic":               (*Service).deleteTopic,
	"ListTopics":                (*Service).listTopics,
	"GetTopicAttributes":        (*Service).getTopicAttributes,
	"SetTopicAttributes":        (*Service).setTopicAttributes,
	"Subscribe":                 (*Service).subscribe,
	"Unsubscribe":               (*Service).unsubscribe,
	"ListSubscriptions":         (*Service).listSubscriptions,
	"ListSubscriptionsByTopic":  (*Service).listSubscriptionsByTopic,
	"GetSubscriptionAttributes": (*Service).getSubscriptionAttributes,
	"SetSubscriptionAttributes": (*Service).setSubscriptionAttributes,
	"Publish":                   (*Service).publish,
	"PublishBatch":              (*Service).publishBatch,
	"TagResource":               (*Service).tagResource,
	"UntagResource":             (*Service).untagResource,
	"ListTagsForResource":       (*Service).listTagsForResource,
}

// ServeHTTP answers one API request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newUUID()
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if err := r.ParseForm(); err != nil {
		writeError(w, requestID, errCode(http.StatusBadRequest, "MalformedQueryString", "could not parse the request: "+err.Error()))
		return
	}
	q := query(r.Form)
	action := q.get("Action")
	h, ok := handlers[action]
	if !ok {
		s.counters.Op("Unknown").Calls.Add(1)
		s.counters.Op("Unknown").Errors.Add(1)
		writeError(w, requestID, errCode(http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, apiVersion)))
		return
	}
	op := s.counters.Op(action)
	op.Calls.Add(1)
	if v := q.get("Version"); v != "" && v != apiVersion {
		op.Errors.Add(1)
		writeError(w, requestID, errCode(http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, v)))
		return
	}
	result, apiErr := h(s, q)
	if apiErr != nil {
		op.Errors.Add(1)
		writeError(w, requestID, apiErr)
		return
	}
	writeResult(w, requestID, action, result)
}

func writeResult(w http.ResponseWriter, requestID, action, result string) {
	var b strings.Builder
	b.Grow(len(result) + 256)
	b.WriteString(`<` + action + `Response xmlns="` + Namespace + `">`)
	// Always a Result element, even empty: the SDK's deserializers for
	// operations without output (TagResource…) look for it.
	b.WriteString(`<` + action + `Result>` + result + `</` + action + `Result>`)
	b.WriteString(`<ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata></` + action + `Response>`)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	typ := "Sender"
	if !e.sender {
		typ = "Receiver"
	}
	var b strings.Builder
	b.WriteString(`<ErrorResponse xmlns="` + Namespace + `"><Error><Type>` + typ + `</Type><Code>`)
	b.WriteString(escape(e.code))
	b.WriteString(`</Code><Message>`)
	b.WriteString(escape(e.message))
	b.WriteString(`</Message></Error><RequestId>` + requestID + `</RequestId></ErrorResponse>`)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", requestID)
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(b.String()))
}

// newUUID returns a random (version 4) UUID, the form SNS uses for message
// and request ids.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(errors.Join(errors.New("crypto/rand failed"), err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
