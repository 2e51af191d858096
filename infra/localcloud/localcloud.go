package localcloud

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/cloudwatch"
	"github.com/eventchain/eventchain/infra/localcloud/dynamodb"
	"github.com/eventchain/eventchain/infra/localcloud/ec2"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
	"github.com/eventchain/eventchain/infra/localcloud/sns"
	"github.com/eventchain/eventchain/infra/localcloud/sqs"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
	"github.com/eventchain/eventchain/infra/localcloud/sts"
)

// Defaults shared with the rest of the project (docs/architecture.md, "Names").
const (
	DefaultAddr      = "127.0.0.1:4566"
	DefaultAccountID = awsproto.DefaultAccountID
	DefaultRegion    = awsproto.DefaultRegion
)

// SNS delivers to the SQS service in-process, and CloudWatch's alarms
// read the queues' metrics there.
var (
	_ sns.Queues        = (*sqs.Service)(nil)
	_ cloudwatch.Queues = (*sqs.Service)(nil)
)

// Options configures a Cloud.
type Options struct {
	// DataDir, when set, keeps every acknowledged change on disk there;
	// empty keeps state in memory.
	DataDir string
	// Salvage, when a state file in DataDir is damaged, keeps what can be
	// read of it, moves the file aside and logs what was lost, instead of
	// refusing to start.
	Salvage bool
	// Logger receives what the storage layer finds and does: damage
	// salvaged, a crash's incomplete last write dropped, failed writes.
	Logger    *slog.Logger
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
	// DynamoDBTTLInterval is how often expired DynamoDB items are
	// deleted (dynamodb.Options.TTLInterval).
	DynamoDBTTLInterval time.Duration
	// AlarmPeriodScale multiplies the periods CloudWatch alarms are
	// evaluated over (cloudwatch.Options.PeriodScale): 0.01 makes a 60 s
	// period 600 ms. 0 means 1.
	AlarmPeriodScale float64
	Clock            func() time.Time
	// Limits bound what clients may hold: body memory (whatever serves
	// the Cloud) and connections and read deadlines (Listen's server).
	Limits Limits
}

// Cloud is one emulator instance: the services behind one handler.
type Cloud struct {
	opts       Options
	db         *bbolt.DB
	log        *storage.Log   // the data directory's write-ahead log, shared by every service; nil in memory
	storage    *storage.State // nil in memory
	lock       *os.File       // the data directory's lock; nil in memory
	router     *awsproto.Router
	SQS        *sqs.Service
	SNS        *sns.Service
	EC2        *ec2.Service
	STS        *sts.Service
	DynamoDB   *dynamodb.Service
	CloudWatch *cloudwatch.Service
}

// New creates a Cloud, loading any state kept under opts.DataDir.
func New(opts Options) (*Cloud, error) {
	acct := awsproto.Account{ID: opts.AccountID, Region: opts.Region}.OrDefault()
	opts.AccountID, opts.Region = acct.ID, acct.Region
	opts.Limits = opts.Limits.orDefault()
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
		lock, err := lockDataDir(opts.DataDir)
		if err != nil {
			return nil, err
		}
		c.lock = lock
		c.storage = storage.NewState(opts.Logger)
		db, err := storage.OpenDB(opts.DataDir, storage.OpenOptions{Salvage: opts.Salvage, State: c.storage, Now: opts.Clock})
		if err != nil {
			return nil, errors.Join(fmt.Errorf("open localcloud state: %w", err), c.Close())
		}
		c.db = db
		log, err := storage.OpenLog(db, c.storage, storage.LogOptions{Salvage: opts.Salvage, Describe: describeWrite})
		if err != nil {
			return nil, errors.Join(fmt.Errorf("open localcloud log: %w", err), c.Close())
		}
		c.log = log
	}
	var err error
	if c.SQS, err = sqs.New(sqs.Options{AccountID: opts.AccountID, Region: opts.Region, BaseURL: opts.BaseURL, DB: c.db, Log: c.log, State: c.storage, Clock: opts.Clock}); err != nil {
		return nil, errors.Join(fmt.Errorf("localcloud sqs: %w", err), c.Close())
	}
	if c.SNS, err = sns.New(sns.Options{AccountID: opts.AccountID, Region: opts.Region, BaseURL: opts.BaseURL, DB: c.db, Log: c.log, Clock: opts.Clock, Queues: c.SQS}); err != nil {
		return nil, errors.Join(fmt.Errorf("localcloud sns: %w", err), c.Close())
	}
	if c.EC2, err = ec2.New(ec2.Options{AccountID: opts.AccountID, Region: opts.Region, DB: c.db, Log: c.log, Clock: opts.Clock,
		BootDelay: opts.EC2BootDelay, TerminateDelay: opts.EC2TerminateDelay, TerminatedRetention: opts.EC2TerminatedRetention,
		NotFoundFor: opts.EC2NotFoundFor, RateLimit: opts.EC2RateLimit, Burst: opts.EC2Burst}); err != nil {
		return nil, errors.Join(fmt.Errorf("localcloud ec2: %w", err), c.Close())
	}
	if c.DynamoDB, err = dynamodb.New(dynamodb.Options{AccountID: opts.AccountID, Region: opts.Region, DB: c.db, Log: c.log, Clock: opts.Clock,
		TTLInterval: opts.DynamoDBTTLInterval}); err != nil {
		return nil, errors.Join(fmt.Errorf("localcloud dynamodb: %w", err), c.Close())
	}
	// Alarm notifications go through SNS's own API, in process.
	if c.CloudWatch, err = cloudwatch.New(cloudwatch.Options{AccountID: opts.AccountID, Region: opts.Region, DB: c.db, Log: c.log, Clock: opts.Clock,
		PeriodScale: opts.AlarmPeriodScale, Queues: c.SQS, Topics: cloudwatch.SNSEndpoint{Handler: c.SNS}, Logger: opts.Logger}); err != nil {
		return nil, errors.Join(fmt.Errorf("localcloud cloudwatch: %w", err), c.Close())
	}
	c.STS = sts.New(sts.Options{AccountID: opts.AccountID, Region: opts.Region})
	c.router = awsproto.NewRouter(opts.Limits.body(), c.SQS.API(), c.SNS.API(), c.EC2.API(), c.STS.API(), c.DynamoDB.API(), c.CloudWatch.API())
	return c, nil
}

// describeWrite names a write in the words of the service that made it,
// for reports of what damage to the log lost.
func describeWrite(w storage.Write) string {
	for _, describe := range []func(storage.Write) string{sqs.DescribeWrite, sns.DescribeWrite, ec2.DescribeWrite, dynamodb.DescribeWrite, cloudwatch.DescribeWrite} {
		if d := describe(w); d != "" {
			return d
		}
	}
	return ""
}

// ServeHTTP dispatches a request to the service it is for: SQS by its
// X-Amz-Target header, a CBOR service by its path, query services by the
// SigV4 credential scope, falling back to the API Version (package
// awsproto). A request for none of them gets an error in its own protocol
// that says what was not understood.
func (c *Cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == HealthPath {
		c.serveHealth(w, r)
		return
	}
	if r.URL.Path == FaultsPath {
		c.serveFaults(w, r)
		return
	}
	if r.URL.Path == ResetPath || r.URL.Path == MotoResetPath {
		c.serveReset(w, r)
		return
	}
	if c.SNS.Serves(r) { // the links SNS's messages carry, its certificate, what it would have sent
		c.SNS.ServeHTTP(w, r)
		return
	}
	c.router.ServeHTTP(w, r)
}

// Listen binds addr, which must be a loopback address (CheckLoopback),
// and serves the Cloud on it in the background, setting BaseURL from the
// bound address when it was not configured. The server holds under
// hostile clients within Options.Limits (read deadlines, an idle timeout,
// caps on connections and body memory), and ends long polls when it shuts
// down (EndLongPolls), so Shutdown does not wait for them.
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
	srv := c.server()
	go srv.Serve(limitListener(l, c.opts.Limits.MaxConns)) //nolint:errcheck // Serve returns when the listener closes
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
	// CloudWatch first: its last notifications go through SNS to SQS.
	if c.CloudWatch != nil {
		errs = append(errs, c.CloudWatch.Close())
	}
	if c.DynamoDB != nil {
		errs = append(errs, c.DynamoDB.Close())
	}
	if c.EC2 != nil {
		errs = append(errs, c.EC2.Close())
	}
	if c.SNS != nil {
		errs = append(errs, c.SNS.Close())
	}
	if c.SQS != nil {
		errs = append(errs, c.SQS.Close())
	}
	// The services have stopped writing: what they queued is committed
	// and the log folded into the database before it closes.
	errs = append(errs, c.log.Close())
	if c.db != nil {
		errs = append(errs, c.db.Close())
	}
	if c.lock != nil {
		errs = append(errs, c.lock.Close()) // closing releases the lock
	}
	return errors.Join(errs...)
}
