package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"golang.org/x/term"

	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/localcloud/clientfix"
	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/dlq"
)

// Exit codes of `eventchain dlq`, listed in dlqExitCodes.
const (
	exitFailed       = 1
	exitUsage        = 2
	exitUnknownQueue = 3
	exitDenied       = 4
	exitUnreachable  = 5
	exitInterrupted  = 130
)

const dlqExitCodes = `exit codes:
  0    done
  1    failed (the message says why)
  2    usage error
  3    unknown queue or stack
  4    not allowed: AccessDenied, or no valid AWS credentials
  5    endpoint unreachable (locally: is eventchain run running?)
  130  interrupted (Ctrl-C): what was done stays done; a second Ctrl-C
       abandons the step under way (the message may end in two queues, and is named)
`

// dlqSubcommand is one `eventchain dlq` command.
type dlqSubcommand struct {
	name, args, summary, help string
	run                       func(e *dlqEnv, args []string) error
}

var dlqSubcommands = []dlqSubcommand{
	{"list", "", "every DLQ: depth, age of its oldest message, source, alarm state, running move task",
		"Lists every dead-letter queue of the template (or stack) with its depth (visible and in flight),\n" +
			"the age of its oldest message and its alarm's state (both from CloudWatch: \"unknown\" where\n" +
			"CloudWatch does not answer, as locally), where its messages come from, and any running move task.",
		runDLQList},
	{"show", "QUEUE", "read the messages without deleting them: reasons, ids, payloads, a summary",
		"Reads every visible message without deleting it and prints, per message, its event type, request,\n" +
			"correlation and event ids, times, receive count (less the show's own receive) and why it was\n" +
			"dead-lettered, then counts by type and by reason.\n\n" +
			"It receives page after page, holding what it read invisible (a short visibility timeout,\n" +
			"extended while it reads) so that nothing comes twice, then makes everything visible again,\n" +
			"on Ctrl-C too. Meanwhile the queue's visible count, which its depth alarm watches, reads 0.\n" +
			"Every read counts as a receive: on a queue with a redrive policy of its own (the unrouted\n" +
			"queue) enough shows move messages on to its DLQ; show warns before reading one.",
		runDLQShow},
	{"redrive", "QUEUE", "move the messages back to the queue they failed in",
		"Moves the messages of a DLQ back to the queue they failed in (the source of the template's\n" +
			"redrive policy, the subscribed queue of a subscription's DLQ) or to --to.\n\n" +
			"A whole DLQ of an SQS queue moves through an SQS message move task (StartMessageMoveTask,\n" +
			"always with a DestinationArn); Ctrl-C cancels the task, what it moved stays moved.\n" +
			"A subscription's DLQ, or a selection (--type, --ids), moves message by message: each is sent\n" +
			"to the target, then deleted from the DLQ, so nothing is lost; an interrupted run names the\n" +
			"one message that may then be in both. Messages are never published to the topic again,\n" +
			"which would deliver them to every subscriber once more.",
		runDLQRedrive},
	{"purge", "QUEUE", "delete every message (asks first, or --yes)",
		"Deletes every message of the queue (PurgeQueue) after asking, and says how many it held.\n" +
			"`eventchain dlq export QUEUE > dump.jsonl` first keeps a copy.",
		runDLQPurge},
	{"export", "QUEUE", "write the messages to stdout as JSON lines, deleting none",
		"Writes every visible message to stdout, one JSON object a line: body, message attributes,\n" +
			"trace header and FIFO ids (what import sends back byte for byte), and where and when it was.\n" +
			"It reads as show does, deleting nothing.",
		runDLQExport},
	{"import", "QUEUE", "send the JSON lines of an export (stdin) to a queue",
		"Sends the messages of an export read from stdin to the queue, in order. A FIFO queue gets their\n" +
			"group and deduplication ids as they were: within its 5-minute deduplication window it drops\n" +
			"those it has seen (an import repeated within 5 minutes sends nothing twice).",
		runDLQImport},
}

// runDLQ is `eventchain dlq`; it returns the exit code.
func runDLQ(args []string, stdout, stderr io.Writer) int {
	return dlqMain(context.Background(), args, os.Stdin, stdout, stderr, isTerminal(stderr))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// dlqMain runs a dlq command until it ends or ctx ends. The first SIGINT
// or SIGTERM ends the command's context: it finishes the step under way
// (a message already sent is deleted from the DLQ, held messages are made
// visible again, a move task is cancelled and waited for) and stops. The
// second ends that step too.
func dlqMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, tty bool) int {
	if len(args) == 0 || slices.Contains([]string{"-h", "-help", "--help", "help"}, args[0]) {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		dlqUsage(w)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	i := slices.IndexFunc(dlqSubcommands, func(c dlqSubcommand) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "eventchain dlq: unknown command %q\n\n", args[0])
		dlqUsage(stderr)
		return exitUsage
	}
	cmd := dlqSubcommands[i]

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	finish, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "\ninterrupted: finishing the step under way (Ctrl-C again to abandon it)")
		cancel()
		select {
		case <-sigs:
		case <-done:
			return
		}
		abandon()
		signal.Stop(sigs) // a third one ends the process at once
	}()

	e := &dlqEnv{cmd: cmd, ctx: ctx, finish: finish, stdin: stdin, stdout: stdout, stderr: stderr, tty: tty,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	err := cmd.run(e, args[1:])
	code := dlqExitCode(err)
	if err != nil && code != 0 && !errors.Is(err, errReported) {
		fmt.Fprintf(stderr, "eventchain dlq %s: %v\n", cmd.name, err)
		if hint := e.hint(code); hint != "" {
			fmt.Fprintln(stderr, hint)
		}
	}
	return code
}

func dlqUsage(w io.Writer) {
	fmt.Fprint(w, "usage: eventchain dlq <command> [flags] [QUEUE]\n\n"+
		"Reads, redrives, purges, exports and imports dead-letter queues: locally by default (the\n"+
		"queues `eventchain run` creates from template.yaml, at --endpoint-url), or those of the\n"+
		"deployed stack with --aws (stack and region from samconfig.toml) or --stack NAME.\n\ncommands:\n")
	for _, c := range dlqSubcommands {
		fmt.Fprintf(w, "  %-16s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprint(w, "\nQUEUE is a logical id of the template or stack (LaunchDLQ), a queue name, URL or ARN;\n"+
		"--queue-url URL names any queue.\n\n"+dlqExitCodes+
		"\nRun \"eventchain dlq <command> -h\" for a command's flags.\n")
}

// errReported marks an error whose explanation the command has printed.
var errReported = errors.New("reported")

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func dlqExitCode(err error) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, dlq.ErrInterrupted), errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	switch dlq.Classify(err) {
	case dlq.KindUnknownQueue:
		return exitUnknownQueue
	case dlq.KindAccessDenied:
		return exitDenied
	case dlq.KindUnreachable:
		return exitUnreachable
	}
	return exitFailed
}

// dlqFlags are the flags every dlq command takes: where the queues are.
type dlqFlags struct {
	template  string
	endpoint  string
	aws       bool
	stack     string
	region    string
	samconfig string
	queueURL  string
	json      bool
}

// dlqEnv is what a dlq command works with.
type dlqEnv struct {
	cmd    dlqSubcommand
	ctx    context.Context // ends at the first interrupt
	finish context.Context // ends at the second
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	tty    bool
	log    *slog.Logger
	f      dlqFlags

	deployed bool
	where    string // the endpoint or stack, for messages
	sqs      dlq.SQS
	cw       dlq.CloudWatch
	topo     *dlq.Topology
	topoErr  error
	loadTopo func() (*dlq.Topology, error)
}

// flagSet returns a command's flag set with the shared flags; withQueue
// adds --queue-url, withJSON --json.
func (e *dlqEnv) flagSet(name string, withQueue, withJSON bool) *flag.FlagSet {
	fs := newFlagSet("dlq "+name, e.stderr)
	fs.StringVar(&e.f.template, "template", local.DefaultTemplate, "SAM `template` the local queues come from (deployed: which function consumes which queue)")
	fs.StringVar(&e.f.endpoint, "endpoint-url", samtemplate.DefaultEndpoint, "localcloud `URL` (local mode)")
	fs.BoolVar(&e.f.aws, "aws", false, "work on the deployed stack (name and region from samconfig.toml), not locally")
	fs.StringVar(&e.f.stack, "stack", "", "work on the deployed stack `NAME` (implies --aws)")
	fs.StringVar(&e.f.region, "region", "", "AWS `region` of the stack (default: samconfig.toml's, else the SDK's)")
	fs.StringVar(&e.f.samconfig, "samconfig", "samconfig.toml", "SAM config `file` naming the stack and region")
	if withQueue {
		fs.StringVar(&e.f.queueURL, "queue-url", "", "the queue's `URL`, for any queue (instead of QUEUE)")
	}
	if withJSON {
		fs.BoolVar(&e.f.json, "json", false, "print JSON for scripts instead of tables")
	}
	cmd := e.cmd
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: eventchain dlq %s [flags] %s\n\n%s\n\nflags:\n", name, cmd.args, cmd.help)
		fs.PrintDefaults()
		fmt.Fprint(e.stderr, "\n"+dlqExitCodes)
	}
	return fs
}

// parseDLQArgs parses flags wherever they are among the positional
// arguments (`show LaunchDLQ --limit 5`) and returns the positional ones;
// everything after "--" is positional.
func parseDLQArgs(fs *flag.FlagSet, args []string, maxPositional int) ([]string, error) {
	var pos, rest []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, rest = args[:i], args[i+1:]
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	pos = append(pos, rest...)
	if len(pos) > maxPositional {
		return nil, usagef("unexpected arguments %q", pos[maxPositional:])
	}
	return pos, nil
}

// connect builds the clients for where the queues are.
func (e *dlqEnv) connect() error {
	e.deployed = e.f.aws || e.f.stack != ""
	if !e.deployed {
		return e.connectLocal()
	}
	sc, scErr := readSamconfig(e.f.samconfig)
	stack := e.f.stack
	if stack == "" {
		if scErr != nil {
			return usagef("no stack named: pass --stack NAME, or run where %s names one (%v)", e.f.samconfig, scErr)
		}
		stack = sc.StackName
	}
	if stack == "" {
		return usagef("%s names no stack_name: pass --stack NAME", e.f.samconfig)
	}
	region := e.f.region
	if region == "" {
		region = sc.Region
	}
	// The SDK builds its own HTTP client, which alone takes a custom CA
	// bundle (AWS_CA_BUNDLE, ca_bundle) and the other shared settings;
	// clientfix wraps it afterwards.
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(e.ctx, opts...)
	if err != nil {
		return fmt.Errorf("aws configuration: %w", err)
	}
	cfg.HTTPClient = clientfix.Wrap(cfg.HTTPClient)
	if cfg.Region == "" {
		return usagef("no AWS region: pass --region, or set it in %s or AWS_REGION", e.f.samconfig)
	}
	sqsc := sqs.NewFromConfig(cfg)
	e.sqs, e.where = sqsc, fmt.Sprintf("stack %s (%s)", stack, cfg.Region)
	e.cw = cloudwatch.NewFromConfig(cfg)
	cfn, snsc := cloudformation.NewFromConfig(cfg), sns.NewFromConfig(cfg)
	e.loadTopo = func() (*dlq.Topology, error) {
		return topologyFromStack(e.ctx, cfn, sqsc, snsc, stack, templateConsumers(e.f.template))
	}
	return nil
}

func (e *dlqEnv) connectLocal() error {
	region := e.f.region
	if region == "" {
		region = samtemplate.DefaultRegion
	}
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(e.f.endpoint),
		HTTPClient:   awsenv.HTTPClient(),
	}
	e.sqs, e.where = sqs.NewFromConfig(cfg), e.f.endpoint
	// CloudWatch is not emulated locally: one attempt, then "unknown".
	e.cw = cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 })
	e.loadTopo = func() (*dlq.Topology, error) {
		r, err := loadTemplate(e.f.template, e.f.endpoint)
		if err != nil {
			return nil, fmt.Errorf("the local queues come from the template (--template): %w", err)
		}
		return topologyFromTemplate(r, e.f.template), nil
	}
	return nil
}

// topology reads the topology once.
func (e *dlqEnv) topology() (*dlq.Topology, error) {
	if e.topo == nil && e.topoErr == nil {
		e.topo, e.topoErr = e.loadTopo()
	}
	return e.topo, e.topoErr
}

// queue resolves QUEUE, or --queue-url, to a queue and its state. A queue
// the topology declares keeps its logical id, sources and consumer.
// openQueue is the start every command on one QUEUE shares: read the
// flags and QUEUE, run the command's own flag checks, connect, and find
// the queue with its state.
func (e *dlqEnv) openQueue(fs *flag.FlagSet, args []string, checks ...func() error) (dlq.Queue, dlq.QueueState, error) {
	pos, err := parseDLQArgs(fs, args, 1)
	if err != nil {
		return dlq.Queue{}, dlq.QueueState{}, err
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return dlq.Queue{}, dlq.QueueState{}, err
		}
	}
	if err := e.connect(); err != nil {
		return dlq.Queue{}, dlq.QueueState{}, err
	}
	return e.queue(first(pos))
}

func (e *dlqEnv) queue(ref string) (dlq.Queue, dlq.QueueState, error) {
	switch {
	case e.f.queueURL != "" && ref != "":
		return dlq.Queue{}, dlq.QueueState{}, usagef("give QUEUE or --queue-url, not both")
	case e.f.queueURL != "":
		ref = e.f.queueURL
	case ref == "":
		return dlq.Queue{}, dlq.QueueState{}, usagef("QUEUE missing: a logical id (LaunchDLQ), a queue name, URL or ARN")
	}
	return e.resolve(ref)
}

// resolve finds the queue a reference names: a logical id or queue name
// of the topology, a URL, an ARN or the name of any queue of the endpoint.
func (e *dlqEnv) resolve(ref string) (dlq.Queue, dlq.QueueState, error) {
	topo, topoErr := e.topology()
	q, ok := topo.Find(ref)
	if !ok {
		switch {
		case strings.Contains(ref, "://"):
			q = dlq.Queue{URL: ref, Name: dlq.NameFromURL(ref)}
		default:
			name := ref
			if strings.HasPrefix(ref, "arn:") {
				name = dlq.NameFromARN(ref)
			}
			url, err := dlq.QueueURL(e.ctx, e.sqs, name)
			if err != nil {
				if dlq.Classify(err) == dlq.KindUnknownQueue {
					return q, dlq.QueueState{}, e.unknownQueue(ref, topoErr)
				}
				return q, dlq.QueueState{}, err
			}
			q = dlq.Queue{URL: url, Name: name}
		}
		if known, ok := topo.Find(q.Name); ok {
			q = known // the same queue, reached by another URL or its ARN
		}
	}
	st, err := dlq.Describe(e.ctx, e.sqs, q.URL)
	if err != nil {
		if dlq.Classify(err) == dlq.KindUnknownQueue {
			return q, st, fmt.Errorf("%w %s: %s has no queue %s (%w)", dlq.ErrUnknownQueue, q.Label(), e.where, q.Name, err)
		}
		return q, st, err
	}
	q.ARN, q.FIFO = st.ARN, st.FIFO
	return q, st, nil
}

func (e *dlqEnv) unknownQueue(ref string, topoErr error) error {
	var known []string
	if e.topo != nil {
		for _, q := range e.topo.DLQs() {
			known = append(known, q.LogicalID)
		}
	}
	what := fmt.Sprintf("no logical id or queue name of %s", e.topoOrigin())
	if topoErr != nil {
		what = fmt.Sprintf("no queue name known (the topology could not be read: %v)", topoErr)
	}
	msg := fmt.Sprintf("%s, and %s has no queue of that name", what, e.where)
	if len(known) > 0 {
		msg += "; its DLQs: " + strings.Join(known, ", ")
	}
	return fmt.Errorf("%w %q: %s", dlq.ErrUnknownQueue, ref, msg)
}

func (e *dlqEnv) topoOrigin() string {
	if e.topo != nil {
		return e.topo.Origin
	}
	return e.f.template
}

// hint says what to try for an error of the given exit code.
func (e *dlqEnv) hint(code int) string {
	switch code {
	case exitUnreachable:
		if e.deployed {
			return "hint: check the network and --region"
		}
		return fmt.Sprintf("hint: nothing answers at %s: start the local mode (make run, or eventchain run), or pass --endpoint-url", e.f.endpoint)
	case exitDenied:
		return "hint: the AWS credentials in use lack the permission the message names (or there are none)"
	}
	return ""
}
