package ec2

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/time/rate"

	"github.com/eventchain/eventchain/infra/localcloud/stats"
)

// Defaults for Options fields left zero.
const (
	// DefaultTerminatedRetention is how long a terminated instance stays
	// describable; AWS keeps them for about an hour.
	DefaultTerminatedRetention = time.Hour
	defaultAccountID           = "123456789012"
	defaultRegion              = "us-east-1"
	// maxRequestBytes bounds a request body; EC2 query requests are small
	// (user data is at most 16 KiB before base64).
	maxRequestBytes = 1 << 20
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
	// bucket shared by every EC2 call; beyond it calls answer
	// RequestLimitExceeded. Zero RateLimit: no limit. Zero Burst: the rate
	// rounded up (at least 1).
	RateLimit float64
	Burst     int
}

// Service is the emulated service. It is safe for concurrent use.
type Service struct {
	opts     Options
	timing   timing
	counters stats.Counters
	limiter  *rate.Limiter // nil: no limit
	store    *store        // nil: in memory only

	mu           sync.Mutex
	instances    map[string]*instance
	order        []*instance // by Seq, for stable listing and pagination
	reservations map[string]*reservation
	tokens       map[string]*reservation // client token → reservation
	nextSeq      uint64
	faults       []fault
	imageFaults  map[string]StateReason
}

// New creates the service, loading any state kept in opts.DB.
func New(opts Options) (*Service, error) {
	if opts.AccountID == "" {
		opts.AccountID = defaultAccountID
	}
	if opts.Region == "" {
		opts.Region = defaultRegion
	}
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
	if opts.RateLimit > 0 {
		burst := opts.Burst
		if burst <= 0 {
			burst = max(1, int(math.Ceil(opts.RateLimit)))
		}
		s.limiter = rate.NewLimiter(rate.Limit(opts.RateLimit), burst)
	}
	if opts.DB != nil {
		st, err := openStore(opts.DB)
		if err != nil {
			return nil, err
		}
		s.store = st
		instances, reservations, err := st.load()
		if err != nil {
			return nil, err
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
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, requestID, errorf("MalformedQueryString", "The request could not be parsed: %v", err))
		return
	}
	action := r.Form.Get("Action")
	opName := action
	if !supported(action) {
		opName = "Unsupported"
	}
	op := s.counters.Op(opName)
	op.Calls.Add(1)
	if s.limiter != nil && !s.limiter.AllowN(s.opts.Clock(), 1) {
		op.Throttled.Add(1)
		op.Errors.Add(1)
		s.writeError(w, requestID, throttled())
		return
	}
	resp, aerr := s.handle(action, r.Form, requestID)
	if aerr != nil {
		op.Errors.Add(1)
		s.writeError(w, requestID, aerr)
		return
	}
	s.writeXML(w, http.StatusOK, resp)
}

func supported(action string) bool {
	switch action {
	case "RunInstances", "DescribeInstances", "TerminateInstances":
		return true
	}
	return false
}

func (s *Service) handle(action string, form url.Values, requestID string) (any, *apiError) {
	switch action {
	case "RunInstances":
		req, aerr := parseRun(form)
		if aerr != nil {
			return nil, aerr
		}
		return s.runInstances(req, requestID)
	case "DescribeInstances":
		req, aerr := parseDescribe(form)
		if aerr != nil {
			return nil, aerr
		}
		return s.describeInstances(req, requestID)
	case "TerminateInstances":
		req, aerr := parseTerminate(form)
		if aerr != nil {
			return nil, aerr
		}
		return s.terminateInstances(req, requestID)
	case "":
		return nil, missingParam("Action")
	}
	return nil, errorf("InvalidAction", "The action %s is not valid for this web service.", action)
}

func (s *Service) writeError(w http.ResponseWriter, requestID string, aerr *apiError) {
	s.writeXML(w, aerr.Status, errorResponse{Errors: []xmlError{{Code: aerr.Code, Message: aerr.Message}}, RequestID: requestID})
}

func (s *Service) writeXML(w http.ResponseWriter, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		// Our response types always marshal; this guards a programming error.
		http.Error(w, "marshal response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}

// Counters returns the service's counters: per operation (Calls, Errors,
// Throttled) and the resource "instances" (In: launched, Out: terminated).
func (s *Service) Counters() *stats.Counters { return &s.counters }

// Close stops background work. The service runs none (states are computed
// from timestamps), so it only exists to match the other services.
func (s *Service) Close() error { return nil }

// newID returns prefix + 17 lowercase hex digits, the long EC2 id format.
func newID(prefix string) string {
	var b [9]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b[:])[:17]
}

// newRequestID returns a UUID-shaped request id, as EC2 answers.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
