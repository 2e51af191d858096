package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/eventchain/eventchain/infra/console"
	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/event"
)

// localDefaults are the parameter overrides `eventchain run` applies unless
// the user sets them: no batching window, which on one machine only adds
// latency. Everything else is the template's own default.
var localDefaults = map[string]string{
	"BatchingWindowSeconds": "0",
}

// functionLogLevels splits the LogLevel parameter in two: the functions
// log at INFO at least, since the readable log is made of their "record
// processed" lines, and stderr shows their JSON lines from the level the
// user asked for (WARN unless set), as quiet as before.
func functionLogLevels(params map[string]string) (stderrLevel slog.Level, err error) {
	stderrLevel = slog.LevelWarn
	if v, set := params["LogLevel"]; set {
		if err := stderrLevel.UnmarshalText([]byte(v)); err != nil {
			return 0, fmt.Errorf("LogLevel %q: want DEBUG, INFO, WARN or ERROR", v)
		}
	}
	params["LogLevel"] = min(stderrLevel, slog.LevelInfo).String()
	return stderrLevel, nil
}

// runLocal runs the whole pipeline on this machine until SIGINT, SIGTERM
// or the end of ctx.
func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	tmpl := fs.String("template", local.DefaultTemplate, "SAM template to run")
	overrides := fs.String("parameter-overrides", "", `SAM-style overrides, e.g. "LauncherConcurrency=4 LogLevel=INFO"`)
	port := fs.Int("port", defaultPort(local.DefaultAPIAddr), "port of the HTTP API on 127.0.0.1")
	cloudPort := fs.Int("cloud-port", defaultPort(local.DefaultCloudAddr), "port of localcloud (SQS, SNS, EC2, DynamoDB, STS, CloudWatch) on 127.0.0.1")
	data := dataFlag(fs, local.DefaultDataDir)
	memory := fs.Bool("memory", false, "keep no state on disk (overrides --data)")
	withParent := fs.Bool("exit-with-parent", false, "stop when the parent process dies, even by SIGKILL (Linux; make run uses it)")
	var faults faultFlags
	faults.register(fs)
	var ec2 ec2Flags
	ec2.register(fs, 2*time.Second, &faults)
	alarmScale := alarmPeriodScaleFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkAlarmPeriodScale(*alarmScale); err != nil {
		return err
	}
	if *withParent {
		if err := exitWithParent(); err != nil {
			return err
		}
	}
	if err := ec2.check(); err != nil {
		return err
	}
	params, err := samtemplate.ParseOverrides(*overrides)
	if err != nil {
		return err
	}
	for k, v := range localDefaults {
		if _, set := params[k]; !set {
			params[k] = v
		}
	}
	stderrLevel, err := functionLogLevels(params)
	if err != nil {
		return err
	}
	dataDir := *data
	if *memory {
		dataDir = ""
	}

	log := &chainLog{w: stdout}
	counters := console.NewCounters()
	opts := local.Options{
		Template:         *tmpl,
		Overrides:        params,
		APIAddr:          net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)),
		CloudAddr:        net.JoinHostPort("127.0.0.1", strconv.Itoa(*cloudPort)),
		DataDir:          dataDir,
		EC2BootDelay:     ec2.bootDelay,
		EC2RateLimit:     ec2.rate,
		EC2Burst:         ec2.burst,
		AlarmPeriodScale: *alarmScale,
		Logger:           slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		ObserveBatch:     log.batch,
		ObserveRequest:   log.request,
		ObserveRecord: func(rec local.RecordLog) {
			log.record(rec)
			counters.Record(rec.Function, rec.ReceiveCount, rec.Outcome)
		},
		FunctionLogs:     stderr,
		FunctionLogLevel: stderrLevel,
	}
	if err := checkRulesBeforeRun(*tmpl, params, stderr); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := local.Start(ctx, opts)
	if err != nil {
		return err
	}
	if err := faults.apply(r.Cloud); err != nil {
		return errors.Join(err, r.Close())
	}
	// The API's port serves the console too, under /_console/.
	consoleURL, err := mountConsole(r, *tmpl, counters, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		return errors.Join(err, r.Close())
	}
	printBanner(stdout, bannerURLs{r, consoleURL}, dataDir, params, faults.given)

	notes, err := r.TailNotifications(ctx, "NotificationsTopic", log.notification)
	if err != nil {
		fmt.Fprintf(stderr, "warning: notifications are not shown: %v\n", err)
	}
	// Alarm state changes have no recipient locally either (AlarmEmail is
	// not mailed): the log shows them.
	alarms, err := r.TailNotifications(ctx, "AlarmTopic", log.alarm)
	if err != nil {
		fmt.Fprintf(stderr, "warning: alarm notifications are not shown: %v\n", err)
	}
	<-ctx.Done()
	stop() // a second Ctrl-C now ends the process at once
	fmt.Fprintln(stdout, "stopping: waiting for running invocations (up to their function timeout; Ctrl-C again to quit now)…")
	if notes != nil {
		notes()
	}
	if alarms != nil {
		alarms()
	}
	return r.Close()
}

// runnerURLs are the endpoints the banner names.
type runnerURLs interface {
	APIURL() string
	CloudURL() string
}

// bannerURLs adds the console's URL to the runner's.
type bannerURLs struct {
	*local.Runner
	console string
}

func (b bannerURLs) ConsoleURL() string { return b.console }

func printBanner(w io.Writer, r runnerURLs, dataDir string, params map[string]string, faultFlags []string) {
	state := dataDir
	if state == "" {
		state = "memory only"
	}
	keys := slices.Sorted(maps.Keys(params))
	var ov []string
	for _, k := range keys {
		ov = append(ov, k+"="+params[k])
	}
	// Injected faults change what the chain does: whoever reads the
	// banner must see them, and where to clear them without a restart.
	faults := "none"
	if len(faultFlags) > 0 {
		faults = fmt.Sprintf("%s   (change or clear: POST %s%s)", strings.Join(faultFlags, " "), r.CloudURL(), localcloud.FaultsPath)
	}
	consoleLine := ""
	if c, ok := r.(interface{ ConsoleURL() string }); ok {
		consoleLine = fmt.Sprintf("  console     %s   (loopback only; the token in the URL allows redrive and purge)\n", c.ConsoleURL())
	}
	fmt.Fprintf(w, `eventchain is running locally.
  API         %s   (loopback only; no signature check, caller %s)
%s  localcloud  %s   (SQS, SNS, EC2, DynamoDB, CloudWatch, STS: aws --endpoint-url %s …)
  state       %s
  overrides   %s
  faults      %s

Try:
  curl -si -XPOST %s/launches -H 'content-type: application/json' \
    -d '{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1,"tags":{"team":"demo"}}'
  curl -s %s/launches/<requestId>

Ctrl-C stops.
`, r.APIURL(), local.LocalIdentity.UserARN, consoleLine, r.CloudURL(), r.CloudURL(), state, strings.Join(ov, " "), faults, r.APIURL(), r.APIURL())
}

// chainLog prints one readable line per step of the chain.
type chainLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *chainLog) line(function, what, requestID, outcome string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if requestID == "" {
		requestID = "-"
	}
	fmt.Fprintf(l.w, "%s  %-9s %-18s %-36s  %s\n", time.Now().Format("15:04:05.000"), function, what, requestID, outcome)
}

func (l *chainLog) request(o local.RequestOutcome) {
	// The launch request id: from the Location of an accepted POST, or
	// from the path of a GET.
	id := strings.TrimPrefix(o.Location, "/launches/")
	if o.Location == "" && strings.HasPrefix(o.Path, "/launches/") {
		id = strings.TrimPrefix(o.Path, "/launches/")
	}
	what := o.Method + " /launches"
	if !strings.HasPrefix(o.Path, "/launches") {
		what = o.Method + " " + o.Path
	}
	l.line("api", what, id, fmt.Sprintf("%d (%s)", o.Status, o.Took.Round(time.Millisecond)))
}

// batch reports an invocation that failed as a whole (a timeout, a
// crash): its records' own lines never came, and SQS redelivers them all.
func (l *chainLog) batch(o local.BatchOutcome) {
	if o.Err == nil {
		return
	}
	for _, rec := range o.Records {
		typ, subject := "?", ""
		if env, err := event.Decode([]byte(rec.Body)); err == nil {
			typ, subject = env.Type, env.Subject
		}
		l.line(o.Function, typ, subject, fmt.Sprintf("invocation failed: %v; redelivered after the visibility timeout (%s)", o.Err, o.Took.Round(time.Millisecond)))
	}
}

// record prints one consumer record when it is done, with its own
// duration and its true outcome.
func (l *chainLog) record(r local.RecordLog) {
	typ := r.EventType
	if typ == "" {
		typ = "?"
	}
	var outcome string
	switch r.Outcome {
	case consumer.OutcomeAcked:
		outcome = "ok"
	case consumer.OutcomeRetry:
		outcome = "retry later (receive " + r.ReceiveCount + ")"
		if r.ErrorCode != "" {
			outcome += ": " + r.ErrorCode
		}
	case consumer.OutcomeDeadLettered:
		outcome = "dead-lettered: " + r.ErrorCode
	case consumer.OutcomeSkipped:
		outcome = "not started: invocation deadline near; retried"
	default: // failed, panic
		outcome = "failed"
		if r.ErrorCode != "" {
			outcome += ": " + r.ErrorCode
		}
		outcome += " (receive " + r.ReceiveCount + "); retried until its queue's maxReceiveCount"
	}
	l.line(r.Function, typ, r.RequestID, fmt.Sprintf("%s (%s)", outcome, r.Duration.Round(time.Millisecond)))
}

func (l *chainLog) notification(body string) {
	var n struct {
		RequestID string `json:"requestId"`
		Status    string `json:"status"`
		Error     *struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		l.line("notify", "notification", "", "unreadable: "+err.Error())
		return
	}
	outcome := n.Status
	if n.Error != nil {
		outcome += " " + n.Error.Code
	}
	l.line("notify", "notification", n.RequestID, outcome)
}

// alarm prints one line per alarm state change, from the CloudWatch
// notification the alarm topic received: the new state, the alarm, the
// state it left, and for ALARM the reason.
func (l *chainLog) alarm(body string) {
	var n struct {
		AlarmName      string `json:"AlarmName"`
		NewStateValue  string `json:"NewStateValue"`
		OldStateValue  string `json:"OldStateValue"`
		NewStateReason string `json:"NewStateReason"`
	}
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		l.line("alarm", "?", "", "unreadable: "+err.Error())
		return
	}
	outcome := "was " + n.OldStateValue
	if n.NewStateValue == "ALARM" {
		outcome += ": " + n.NewStateReason
	}
	l.line("alarm", n.NewStateValue, n.AlarmName, outcome)
}
