package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/status"
)

// Defaults of local mode (docs/architecture.md, "Names").
const (
	DefaultAPIAddr   = "127.0.0.1:3000"
	DefaultCloudAddr = localcloud.DefaultAddr
	DefaultDataDir   = ".eventchain"
	DefaultTemplate  = "template.yaml"
)

// Options configures local mode.
type Options struct {
	// Template is the SAM template to run (default template.yaml).
	Template string
	// Overrides are SAM-style parameter overrides.
	Overrides map[string]string
	// APIAddr and CloudAddr are the loopback addresses of the HTTP front
	// and of localcloud; port 0 picks a free port.
	APIAddr   string
	CloudAddr string
	// DataDir keeps localcloud's state, the status table included; empty
	// keeps everything in memory.
	DataDir string
	// EC2 emulation: boot delay, API rate limit (calls/s, 0 = none), burst.
	EC2BootDelay time.Duration
	EC2RateLimit float64
	EC2Burst     int
	// AlarmPeriodScale shortens the periods the template's CloudWatch
	// alarms are evaluated over (localcloud.Options.AlarmPeriodScale);
	// 0 keeps them as declared.
	AlarmPeriodScale float64
	// Logger receives the runner's own records; nil discards them.
	Logger *slog.Logger
	// ObserveBatch and ObserveRequest, when set, see every consumer batch
	// and every API request; ObserveRecord sees every consumer record as
	// its function logged it when done (the readable log of
	// `eventchain run`; the functions must log at INFO for it).
	ObserveBatch   func(BatchOutcome)
	ObserveRequest func(RequestOutcome)
	ObserveRecord  func(RecordLog)
	// FunctionLogs receives the functions' JSON log lines at or above
	// FunctionLogLevel (as Lambda sends them to CloudWatch Logs); nil
	// discards them.
	FunctionLogs     io.Writer
	FunctionLogLevel slog.Level
	// PollWaitSeconds bounds each long poll (default 20, as Lambda uses);
	// shorter makes shutdown quicker.
	PollWaitSeconds int32
	// Environment holds variables set in every function's environment
	// over the template's, for settings the template leaves to their
	// defaults; tests shorten the retry schedule with
	// RETRY_BACKOFF_BASE_SECONDS (consumer.BackoffBaseEnv).
	Environment map[string]string
	// WrapHandler, when set, wraps the handler of every execution
	// environment as it is initialised; function is the short name (api,
	// launcher, watcher, notifier). It is a test seam, for the faults a
	// deployed function suffers that no setting can cause: a panic, an
	// invocation that runs past its timeout. The wrapper sees Lambda's
	// bytes contract (the event's JSON in, the answer's JSON out).
	// `eventchain run` never sets it.
	WrapHandler func(function string, h lambda.Handler) lambda.Handler
}

// abandonedGrace bounds how long Close waits for invocations that overran
// their deadline.
const abandonedGrace = 10 * time.Second

// Runner is the pipeline running locally.
type Runner struct {
	opts      Options
	Cloud     *localcloud.Cloud
	Template  *samtemplate.Resolved
	Store     status.Store
	Functions map[string]*Function

	cloudURL string
	apiSrv   *http.Server
	apiURL   string
	mounts   mounts // handlers in front of the API's routes (Handle)
	cancel   context.CancelFunc
	pollers  sync.WaitGroup
	closers  []func() error
}

// Start brings the pipeline up: localcloud, the topology of the template,
// the status store, the functions with their pollers, and the HTTP front.
// It returns once everything listens; Close stops it.
func Start(ctx context.Context, opts Options) (_ *Runner, err error) {
	if opts.Template == "" {
		opts.Template = DefaultTemplate
	}
	if opts.APIAddr == "" {
		opts.APIAddr = DefaultAPIAddr
	}
	if opts.CloudAddr == "" {
		opts.CloudAddr = DefaultCloudAddr
	}
	if opts.PollWaitSeconds <= 0 {
		opts.PollWaitSeconds = 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	// The front checks no signatures and localcloud has no authentication:
	// neither listens beyond this machine.
	if err := localcloud.CheckLoopback(opts.APIAddr); err != nil {
		return nil, fmt.Errorf("local mode api: %w", err)
	}
	r := &Runner{opts: opts, Functions: map[string]*Function{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, r.Close())
		}
	}()

	tmpl, err := samtemplate.Load(opts.Template)
	if err != nil {
		return nil, fmt.Errorf("local mode: %w", err)
	}
	if err := r.startCloud(); err != nil {
		return nil, fmt.Errorf("local mode: start localcloud: %w", err)
	}
	r.Template, err = tmpl.Resolve(opts.Overrides, samtemplate.LocalResolver{Endpoint: r.cloudURL})
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", opts.Template, err)
	}
	cfg := r.awsConfig()
	if err := provision(ctx, cfg, r.Template, opts.Logger); err != nil {
		return nil, fmt.Errorf("create the template's topology in localcloud: %w", err)
	}
	if err := r.openStore(ctx, cfg); err != nil {
		return nil, fmt.Errorf("local mode: status store: %w", err)
	}
	if err := r.startFunctions(ctx, cfg); err != nil {
		return nil, fmt.Errorf("local mode: %w", err)
	}
	return r, nil
}

func (r *Runner) startCloud() error {
	var dir string
	if r.opts.DataDir != "" {
		dir = filepath.Join(r.opts.DataDir, "localcloud")
	}
	cloud, srv, l, err := localcloud.Listen(r.opts.CloudAddr, localcloud.Options{
		DataDir:      dir,
		EC2BootDelay: r.opts.EC2BootDelay,
		EC2RateLimit: r.opts.EC2RateLimit,
		EC2Burst:     r.opts.EC2Burst,

		AlarmPeriodScale: r.opts.AlarmPeriodScale,
	})
	if err != nil {
		return err
	}
	r.Cloud, r.cloudURL = cloud, "http://"+l.Addr().String()
	r.closers = append(r.closers, func() error {
		var errs []error
		if err := shutdown(srv); err != nil {
			errs = append(errs, fmt.Errorf("stop localcloud server: %w", err))
		}
		if err := cloud.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close localcloud: %w", err))
		}
		return errors.Join(errs...)
	})
	return nil
}

// shutdown stops a server gracefully for a short while, then closes what
// is left: a connection a client opened but never used counts as busy for
// five seconds in net/http, and a long poll as long as it waits.
func shutdown(srv *http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
		return srv.Close()
	} else if err != nil {
		return err
	}
	return nil
}

// openStore creates the template's tables in localcloud and opens the
// status table with the production driver, as every function does through
// its own STATUS_TABLE: the runner keeps one for its own reads (and tests).
func (r *Runner) openStore(ctx context.Context, cfg aws.Config) error {
	if err := provisionTables(ctx, cfg, r.Template); err != nil {
		return err
	}
	for _, f := range r.Template.Functions {
		if table := f.Environment[status.TableEnv]; table != "" {
			r.Store = status.NewDynamo(dynamodb.NewFromConfig(cfg), table)
			return nil
		}
	}
	return fmt.Errorf("no function of the template names its status table in %s", status.TableEnv)
}

// awsConfig is the SDK configuration the runner itself uses on localcloud.
func (r *Runner) awsConfig() aws.Config {
	return aws.Config{
		Region:       r.Template.Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(r.cloudURL),
		HTTPClient:   awsenv.HTTPClient(),
	}
}

// startFunctions builds every function of the template with its own
// configuration, a poller per SQS event and the HTTP front for the HttpApi
// events.
func (r *Runner) startFunctions(ctx context.Context, cfg aws.Config) error {
	pollCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel
	sqsClient := sqs.NewFromConfig(cfg)
	var routes []Route
	var apiFn *Function
	for _, tf := range r.Template.Functions {
		fn := newFunction(FunctionConfig{
			LogicalID:           tf.LogicalID,
			Name:                tf.Name,
			ARN:                 tf.ARN,
			Timeout:             time.Duration(tf.Timeout) * time.Second,
			MemoryMB:            tf.MemorySize,
			ReservedConcurrency: tf.ReservedConcurrentExecutions,
		}, 1000)
		r.Functions[tf.Name] = fn
		lookup := overlayEnv(r.lookup(tf), r.opts.Environment)
		name := tf.Name
		err := fn.host(ctx, func(ctx context.Context) (lambda.Handler, error) {
			// Each environment writes its own log stream, as in
			// CloudWatch Logs.
			logs := &functionLog{out: r.opts.FunctionLogs, level: r.opts.FunctionLogLevel, observe: r.opts.ObserveRecord}
			h, err := buildHandler(ctx, name, lookup, logs)
			if err != nil || r.opts.WrapHandler == nil {
				return h, err
			}
			return r.opts.WrapHandler(name, h), nil
		})
		if err != nil {
			return fmt.Errorf("function %s: %w", tf.LogicalID, err)
		}
		if fn.ReservedConcurrency != nil && *fn.ReservedConcurrency == 0 {
			r.opts.Logger.Warn("function has reserved concurrency 0: every invocation is throttled", "function", tf.LogicalID)
		}
		for _, ev := range tf.SQSEvents {
			if !ev.Enabled {
				continue
			}
			q, ok := r.Template.Queue(ev.Queue)
			if !ok {
				return fmt.Errorf("function %s: SQS event on unknown queue %q", tf.LogicalID, ev.Queue)
			}
			p := &Poller{
				fn: fn,
				src: EventSource{
					QueueURL:                q.URL,
					QueueARN:                q.ARN,
					Region:                  r.Template.Region,
					BatchSize:               ev.BatchSize,
					BatchingWindow:          time.Duration(ev.MaximumBatchingWindowInSeconds) * time.Second,
					MaximumConcurrency:      ev.MaximumConcurrency,
					ReportBatchItemFailures: slices.Contains(ev.FunctionResponseTypes, "ReportBatchItemFailures"),
				},
				client:   sqsClient,
				handler:  fn.sqsHandler(),
				logger:   r.opts.Logger,
				observe:  r.opts.ObserveBatch,
				pollWait: r.opts.PollWaitSeconds,
			}
			r.pollers.Go(func() { p.Run(pollCtx) })
		}
		if len(tf.HTTPEvents) > 0 {
			if apiFn != nil {
				return fmt.Errorf("HttpApi events on %s and %s: the local front serves one function", apiFn.LogicalID, tf.LogicalID)
			}
			apiFn = fn
			for _, ev := range tf.HTTPEvents {
				routes = append(routes, Route{Method: ev.Method, Path: ev.Path})
			}
		}
	}
	if apiFn == nil {
		return errors.New("the template has no function with HttpApi events")
	}
	return r.startFront(apiFn, apiFn.httpHandler(), routes)
}

func (r *Runner) startFront(fn *Function, h HTTPHandler, routes []Route) error {
	l, err := net.Listen("tcp", r.opts.APIAddr)
	if err != nil {
		return fmt.Errorf("api listen: %w", err)
	}
	front := &Front{fn: fn, handler: h, routes: routes, identity: LocalIdentity, logger: r.opts.Logger, observe: r.opts.ObserveRequest}
	r.mounts.next = front
	r.apiSrv = &http.Server{Handler: &r.mounts, ReadHeaderTimeout: 10 * time.Second}
	r.apiURL = "http://" + l.Addr().String()
	go func() {
		if err := r.apiSrv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.opts.Logger.Error("api front stopped", "error", err)
		}
	}()
	return nil
}

// lookup is a function's configuration: its resolved template Environment
// plus what Lambda's runtime would set, pointed at localcloud.
func (r *Runner) lookup(f samtemplate.Function) func(string) (string, bool) {
	env := FunctionEnv(r.Template, f, r.cloudURL)
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// overlayEnv looks vars up before base.
func overlayEnv(base func(string) (string, bool), vars map[string]string) func(string) (string, bool) {
	if len(vars) == 0 {
		return base
	}
	return func(k string) (string, bool) {
		if v, ok := vars[k]; ok {
			return v, true
		}
		return base(k)
	}
}

// Handle serves h on the API's port for the paths under prefix (which
// ends in "/"; the prefix without it redirects there), before the API's
// own routes: the console mounts itself this way, so that the local mode
// needs one port. It may be called while the front serves.
func (r *Runner) Handle(prefix string, h http.Handler) {
	r.mounts.add(prefix, h)
}

// mounts routes the paths under its prefixes to their handlers and the
// rest to next, the API's front.
type mounts struct {
	mu   sync.RWMutex
	by   map[string]http.Handler
	next http.Handler
}

func (m *mounts) add(prefix string, h http.Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.by == nil {
		m.by = map[string]http.Handler{}
	}
	m.by[prefix] = h
}

func (m *mounts) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	m.mu.RLock()
	var h http.Handler
	for prefix, mh := range m.by {
		if strings.HasPrefix(req.URL.Path, prefix) || req.URL.Path == strings.TrimSuffix(prefix, "/") {
			h = mh
			break
		}
	}
	m.mu.RUnlock()
	if h == nil {
		h = m.next
	}
	h.ServeHTTP(w, req)
}

// APIURL is the HTTP front's base URL.
func (r *Runner) APIURL() string { return r.apiURL }

// CloudURL is localcloud's endpoint (for the SDK and `aws --endpoint-url`).
func (r *Runner) CloudURL() string { return r.cloudURL }

// Close stops accepting requests, lets running invocations finish (each is
// bounded by its function's timeout), then closes the store and localcloud.
func (r *Runner) Close() error {
	var errs []error
	if r.apiSrv != nil {
		if err := shutdown(r.apiSrv); err != nil {
			errs = append(errs, fmt.Errorf("stop api front: %w", err))
		}
	}
	if r.cancel != nil {
		r.cancel()
	}
	r.pollers.Wait()
	// Invocations abandoned at their deadline may still run; the store and
	// localcloud they use close only once they return (or give up on them).
	for _, fn := range r.Functions {
		if !fn.Wait(abandonedGrace) {
			errs = append(errs, fmt.Errorf("function %s: invocations still running %s after shutdown", fn.Name, abandonedGrace))
		}
	}
	for i := len(r.closers) - 1; i >= 0; i-- {
		errs = append(errs, r.closers[i]())
	}
	r.closers = nil
	return errors.Join(errs...)
}
