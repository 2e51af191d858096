package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/infra/console"
	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/localcloud/clientfix"
	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/awsenv"
)

// defaultConsoleAddr is where `eventchain console` listens: beside the
// local mode's API (3000) and localcloud (4566).
const defaultConsoleAddr = "127.0.0.1:3100"

// mountConsole serves the console of a running local mode on its API
// port, under console.Path, and returns its URL (with the run's token).
func mountConsole(r *local.Runner, templatePath string, counters *console.Counters, logger *slog.Logger) (string, error) {
	c, err := localConsole(r, strings.TrimPrefix(r.APIURL(), "http://"), templatePath, counters, logger)
	if err != nil {
		return "", err
	}
	r.Handle(console.Path, c)
	return c.URL(), nil
}

// localConsole is the console of a local mode running in this process:
// the topology of its template, its localcloud, its API, and the counts
// of its functions' records.
func localConsole(r *local.Runner, addr, templatePath string, counters *console.Counters, logger *slog.Logger) (*console.Server, error) {
	cfg := aws.Config{
		Region:       r.Template.Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(r.CloudURL()),
		HTTPClient:   awsenv.HTTPClient(),
	}
	cloud := r.Cloud
	return console.New(console.Options{
		Addr:         addr,
		Where:        "local mode (localcloud " + r.CloudURL() + ")",
		Local:        true,
		AllowActions: true,
		Chain:        console.BuildChain(r.Template, templatePath),
		Topology:     topologyFromTemplate(r.Template, templatePath),
		Queues:       consumerQueues(templatePath),
		SQS:          sqs.NewFromConfig(cfg),
		// One attempt: a CloudWatch that fails says "alarm state unknown"
		// at once rather than after the SDK's retries.
		CloudWatch: cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 }),
		// localcloud tells the age of a queue's oldest message directly,
		// as CloudWatch's ApproximateAgeOfOldestMessage would.
		Ages: console.AgesFunc(func(_ context.Context, names []string) (map[string]time.Duration, error) {
			out := map[string]time.Duration{}
			for _, n := range names {
				if _, age, ok := cloud.SQS.QueueMetrics(n); ok {
					out[n] = age
				}
			}
			return out, nil
		}),
		Requests: console.APIRequests{Base: r.APIURL()},
		EC2:      ec2.NewFromConfig(cfg),
		Counters: counters,
		Logger:   logger,
	})
}

// runConsole is `eventchain console`: the console alone, against a local
// mode running elsewhere or against a deployed stack.
func runConsole(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	e := &dlqEnv{ctx: ctx, finish: context.WithoutCancel(ctx), stdin: os.Stdin, stdout: stdout, stderr: stderr,
		cmd: dlqSubcommand{name: "console", help: "Serves the console (the chain, requests, dead letters, EC2) on loopback."}}
	fs := e.flagSet("console", false, false)
	api := fs.String("api", "http://"+local.DefaultAPIAddr, "the API's base `URL`; a deployed API (not loopback) is called signed with SigV4 and the caller's AWS credentials")
	port := fs.Int("port", defaultPort(defaultConsoleAddr), "port of the console on 127.0.0.1")
	allow := fs.Bool("allow-actions", false, "allow redrive and purge on a deployed stack (always allowed locally)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	base, err := url.Parse(*api)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("--api %q: want http(s)://host[:port][/stage]", *api)
	}
	if err := e.connect(); err != nil {
		return err
	}
	topo, err := e.topology()
	if err != nil {
		return err
	}
	// The chain's shape (filters, who emits what) is the template's;
	// where its queues are is the stack's (or the local endpoint's).
	tmpl, err := loadTemplate(e.f.template, e.f.endpoint)
	if err != nil {
		return fmt.Errorf("the chain is drawn from the template (--template): %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	where := e.where
	if !e.deployed {
		where = "localcloud " + e.where
	}
	opts := console.Options{
		Where:        where,
		Local:        !e.deployed,
		AllowActions: !e.deployed || *allow,
		Chain:        console.BuildChain(tmpl, e.f.template),
		Topology:     topo,
		Queues:       consumerQueues(e.f.template),
		SQS:          e.sqs,
		CloudWatch:   e.cw,
		Requests:     console.APIRequests{Base: base.String()},
		Logger:       logger,
	}
	if cw, ok := e.cw.(*cloudwatch.Client); ok {
		opts.Ages = console.CloudWatchAges{CW: cw}
	}
	cfg, err := consoleAWSConfig(ctx, e)
	if err != nil {
		return err
	}
	opts.EC2 = ec2.NewFromConfig(cfg)
	if !loopback(base.Hostname()) {
		opts.Requests = console.APIRequests{Base: base.String(), Sign: func(req *http.Request) error {
			creds, err := cfg.Credentials.Retrieve(req.Context())
			if err != nil {
				return fmt.Errorf("AWS credentials for signing: %w", err)
			}
			return signRequest(req.Context(), req, creds, "execute-api", cfg.Region, time.Now())
		}}
	}

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		return fmt.Errorf("console listen: %w", err)
	}
	opts.Addr = ln.Addr().String()
	c, err := console.New(opts)
	if err != nil {
		return errors.Join(err, ln.Close())
	}
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	mode := "read-only (--allow-actions enables redrive and purge)"
	if opts.AllowActions {
		mode = "redrive and purge allowed, each after a confirmation"
	}
	fmt.Fprintf(stdout, "eventchain console for %s\n  open     %s\n  api      %s\n  actions  %s\n", where, c.URL(), base, mode)
	if e.deployed {
		fmt.Fprintln(stdout, "  counts   delivered, ok, retried and dead-lettered per function are local-only (eventchain run's console)")
	}
	fmt.Fprintln(stdout, "\nCtrl-C stops.")
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("console: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop the console: %w", err)
	}
	return nil
}

// consoleAWSConfig is the SDK configuration for what the dlq commands'
// clients do not cover (EC2, signing the API's requests): the local
// endpoint, or the caller's credentials in the stack's region.
func consoleAWSConfig(ctx context.Context, e *dlqEnv) (aws.Config, error) {
	if !e.deployed {
		return aws.Config{Region: samtemplate.DefaultRegion, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
			BaseEndpoint: aws.String(e.f.endpoint), HTTPClient: awsenv.HTTPClient()}, nil
	}
	region := e.f.region
	if c, ok := e.sqs.(*sqs.Client); ok {
		region = c.Options().Region
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return cfg, fmt.Errorf("aws configuration: %w", err)
	}
	cfg.HTTPClient = clientfix.Wrap(cfg.HTTPClient)
	return cfg, nil
}
