package localcloud

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/ec2"
	"github.com/eventchain/eventchain/infra/localcloud/sns"
	"github.com/eventchain/eventchain/infra/localcloud/sqs"
)

// Defaults shared with the rest of the project (docs/architecture.md, "Names").
const (
	DefaultAddr      = "127.0.0.1:4566"
	DefaultAccountID = "123456789012"
	DefaultRegion    = "us-east-1"
)

// SNS delivers to the SQS service in-process, through every interface
// it knows: FIFO topics need group and deduplication ids, and handing
// deliveries over before waiting lets them share log syncs.
var (
	_ sns.QueueSender      = (*sqs.Service)(nil)
	_ sns.FIFOQueueSender  = (*sqs.Service)(nil)
	_ sns.AsyncQueueSender = (*sqs.Service)(nil)
)

// Options configures a Cloud.
type Options struct {
	// DataDir, when set, keeps every acknowledged change on disk there;
	// empty keeps state in memory.
	DataDir   string
	AccountID string
	Region    string
	// BaseURL is the URL clients reach the emulator at; it appears in queue
	// URLs. Serve and Listen set it from the listener when empty.
	BaseURL string
	// EC2BootDelay, EC2TerminateDelay, EC2TerminatedRetention,
	// EC2NotFoundFor, EC2RateLimit and EC2Burst are ec2.Options'
	// BootDelay, TerminateDelay, TerminatedRetention, NotFoundFor,
	// RateLimit and Burst.
	EC2BootDelay           time.Duration
	EC2TerminateDelay      time.Duration
	EC2TerminatedRetention time.Duration
	EC2NotFoundFor         time.Duration
	EC2RateLimit           float64
	EC2Burst               int
	Clock                  func() time.Time
}

// Cloud is one emulator instance: the three services behind one handler.
type Cloud struct {
	opts Options
	db   *bbolt.DB
	SQS  *sqs.Service
	SNS  *sns.Service
	EC2  *ec2.Service
}

// New creates a Cloud, loading any state kept under opts.DataDir.
func New(opts Options) (*Cloud, error) {
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "http://" + DefaultAddr
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	c := &Cloud{opts: opts}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("localcloud data dir: %w", err)
		}
		db, err := bbolt.Open(filepath.Join(opts.DataDir, "localcloud.db"), 0o600, &bbolt.Options{Timeout: 5 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("open localcloud state: %w", err)
		}
		c.db = db
	}
	var err error
	if c.SQS, err = sqs.New(sqs.Options{AccountID: opts.AccountID, Region: opts.Region, BaseURL: opts.BaseURL, DB: c.db, Clock: opts.Clock}); err != nil {
		return nil, errors.Join(fmt.Errorf("localcloud sqs: %w", err), c.Close())
	}
	if c.SNS, err = sns.New(sns.Options{AccountID: opts.AccountID, Region: opts.Region, BaseURL: opts.BaseURL, DB: c.db, Clock: opts.Clock, Queues: c.SQS}); err != nil {
		return nil, errors.Join(fmt.Errorf("localcloud sns: %w", err), c.Close())
	}
	if c.EC2, err = ec2.New(ec2.Options{AccountID: opts.AccountID, Region: opts.Region, BaseURL: opts.BaseURL, DB: c.db, Clock: opts.Clock,
		BootDelay: opts.EC2BootDelay, TerminateDelay: opts.EC2TerminateDelay, TerminatedRetention: opts.EC2TerminatedRetention,
		NotFoundFor: opts.EC2NotFoundFor, RateLimit: opts.EC2RateLimit, Burst: opts.EC2Burst}); err != nil {
		return nil, errors.Join(fmt.Errorf("localcloud ec2: %w", err), c.Close())
	}
	return c, nil
}

// ServeHTTP dispatches a request to the service it is for: SQS by its
// X-Amz-Target header, SNS and EC2 by the SigV4 credential scope, falling
// back to the query Action.
func (c *Cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch service(r) {
	case "sqs":
		c.SQS.ServeHTTP(w, r)
	case "sns":
		c.SNS.ServeHTTP(w, r)
	case "ec2":
		c.EC2.ServeHTTP(w, r)
	default:
		http.Error(w, "localcloud: cannot tell which service this request is for", http.StatusBadRequest)
	}
}

func service(r *http.Request) string {
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.") {
		return "sqs"
	}
	// Authorization: AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/sns/aws4_request, ...
	if _, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		scope, _, _ := strings.Cut(after, ",")
		if parts := strings.Split(scope, "/"); len(parts) == 5 {
			switch parts[3] {
			case "sqs", "sns", "ec2":
				return parts[3]
			}
		}
	}
	if err := r.ParseForm(); err == nil {
		switch r.Form.Get("Version") {
		case "2010-03-31":
			return "sns"
		case "2016-11-15":
			return "ec2"
		case "2012-11-05":
			return "sqs"
		}
	}
	return ""
}

// Listen binds addr, which must be a loopback address (CheckLoopback),
// and serves the Cloud on it in the background, setting BaseURL from the
// bound address when it was not configured. The server ends long polls
// when it shuts down (EndLongPolls), so Shutdown does not wait for them.
// Shut the server down, then Close the Cloud.
func Listen(addr string, opts Options) (*Cloud, *http.Server, net.Listener, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, nil, nil, fmt.Errorf("localcloud listen: %w", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("localcloud listen: %w", err)
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "http://" + l.Addr().String()
	}
	c, err := New(opts)
	if err != nil {
		l.Close()
		return nil, nil, nil, err
	}
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	srv.RegisterOnShutdown(c.EndLongPolls)
	go srv.Serve(l) //nolint:errcheck // Serve returns when the listener closes
	return c, srv, l, nil
}

// CheckLoopback returns an error unless addr (host:port) names a
// loopback address: an IP address in 127.0.0.0/8, ::1, or localhost. The
// emulator has no authentication, so nothing may serve it where other
// machines can reach it.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q: localcloud serves on loopback addresses only (127.0.0.1, ::1, localhost)", addr)
	}
	return nil
}

// EndLongPolls makes every SQS ReceiveMessage waiting for messages answer
// now, and later ones answer without waiting, so that a server can shut
// down without waiting up to 20 s for them. Register it with
// http.Server.RegisterOnShutdown when serving the Cloud yourself (Listen
// does). Close calls it too.
func (c *Cloud) EndLongPolls() {
	if c.SQS != nil {
		c.SQS.EndLongPolls()
	}
}

// Close stops the services and closes the state file.
func (c *Cloud) Close() error {
	c.EndLongPolls()
	var errs []error
	if c.EC2 != nil {
		errs = append(errs, c.EC2.Close())
	}
	if c.SNS != nil {
		errs = append(errs, c.SNS.Close())
	}
	if c.SQS != nil {
		errs = append(errs, c.SQS.Close())
	}
	if c.db != nil {
		errs = append(errs, c.db.Close())
	}
	return errors.Join(errs...)
}
