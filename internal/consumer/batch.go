package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
)

// Record is one SQS record whose envelope decoded and whose type the
// function consumes.
type Record struct {
	Event   event.Envelope
	Message lambdaevents.SQSMessage
	// Logger carries the record's request_id, correlation_id, event_id,
	// event_type, function and aws_request_id fields.
	Logger *slog.Logger
}

// ReceiveCount returns SQS's ApproximateReceiveCount (1 on the first
// delivery; 1 when the attribute is absent or unreadable).
func (r Record) ReceiveCount() int {
	n, err := strconv.Atoi(r.Message.Attributes["ApproximateReceiveCount"])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// FirstReceived returns SQS's ApproximateFirstReceiveTimestamp, or the zero
// time when the attribute is absent or unreadable.
func (r Record) FirstReceived() time.Time {
	ms, err := strconv.ParseInt(r.Message.Attributes["ApproximateFirstReceiveTimestamp"], 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// HandlerFunc handles one record. It returns nil when the record is done,
// a *TransientError to retry it later, a *PermanentError to dead-letter it,
// and any other error to let SQS redeliver it (and eventually dead-letter
// it through the queue's redrive policy).
type HandlerFunc func(ctx context.Context, r Record) error

// Options configures a Runner.
type Options struct {
	// Function is the logical function name (event.FunctionLauncher, …): it
	// selects the event types accepted (event.ConsumedBy) and is written to
	// the logs and to the error.function attribute of dead letters.
	Function string
	// Queue is the SQS client for dead letters and visibility changes.
	Queue Queue
	// QueueURL is the function's own queue (ChangeMessageVisibility).
	QueueURL string
	// DLQURL is the dead-letter queue of that queue. Without it (or
	// without Queue) a record that should be dead-lettered is reported as
	// a batch item failure instead, so SQS's redrive policy moves it.
	DLQURL string
	// Logger receives one line per record; nil discards.
	Logger *slog.Logger
	// Clock is what Runner.Now reads; nil means time.Now.
	Clock func() time.Time
	// Parallelism bounds how many records are handled at once; 0 or 1
	// handles them in order (see the package documentation).
	Parallelism int
	// Hops, when set, records each handled record's outcome in its
	// request's history (the status store), so that a person following
	// one request sees every retry and its reason without reading logs.
	Hops HopRecorder
	// Backoff is the retry schedule of transient failures that name no
	// delay of their own; the zero value is DefaultBackoff.
	Backoff Backoff
}

// HopRecorder records one handling of a request's event; status.Store is
// one.
type HopRecorder interface {
	RecordHop(ctx context.Context, requestID string, h status.Hop) error
}

// Runner runs SQS batches through a HandlerFunc. It is safe for
// concurrent use.
type Runner struct {
	opts     Options
	consumes []string
	handler  HandlerFunc
}

// New returns a Runner for the function named in opts.
func New(opts Options, h HandlerFunc) (*Runner, error) {
	if h == nil {
		return nil, errors.New("consumer: nil handler")
	}
	consumes := event.ConsumedBy(opts.Function)
	if len(consumes) == 0 {
		return nil, fmt.Errorf("consumer: function %q consumes no catalogued event type", opts.Function)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Parallelism < 1 {
		opts.Parallelism = 1
	}
	if opts.Backoff == (Backoff{}) {
		opts.Backoff = DefaultBackoff
	}
	if err := opts.Backoff.validate(); err != nil {
		return nil, fmt.Errorf("consumer: %w", err)
	}
	return &Runner{opts: opts, consumes: consumes, handler: h}, nil
}

// Now is the time handlers record (a transition's time, a watch budget's
// start), from Options.Clock so tests can fix it. Durations in the
// runner's own log lines use the real clock.
func (r *Runner) Now() time.Time { return r.opts.Clock() }

// Reserve bounds the time kept back before the invocation's deadline:
// records are processed under a context that ends Reserve (or a tenth of
// the time left, whichever is smaller) before the deadline.
const Reserve = 2 * time.Second

// Handle processes a batch and reports the records to redeliver. It never
// returns an error: that would make Lambda redeliver the whole batch,
// including the records already done.
//
// Records are processed under a context that ends before the invocation's
// deadline (see Reserve), so the partial batch response is returned in
// time: at the deadline Lambda discards the answer and redelivers the
// whole batch, records already done included. A record not started by
// then is reported as a batch item failure, and one in progress sees its
// context cancelled.
func (r *Runner) Handle(ctx context.Context, ev lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
	if deadline, ok := ctx.Deadline(); ok {
		reserve := min(Reserve, time.Until(deadline)/10)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-reserve))
		defer cancel()
	}
	failed := make([]bool, len(ev.Records))
	if r.opts.Parallelism <= 1 || len(ev.Records) <= 1 {
		for i, msg := range ev.Records {
			failed[i] = !r.process(ctx, msg)
		}
	} else {
		var wg sync.WaitGroup
		sem := make(chan struct{}, r.opts.Parallelism)
		for i, msg := range ev.Records {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				failed[i] = !r.process(ctx, msg)
			}()
		}
		wg.Wait()
	}
	var resp lambdaevents.SQSEventResponse
	for i, f := range failed {
		if f {
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				lambdaevents.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
		}
	}
	return resp, nil
}

// process handles one record and reports whether it is acknowledged.
func (r *Runner) process(ctx context.Context, msg lambdaevents.SQSMessage) bool {
	start := time.Now()
	logger := r.opts.Logger.With(
		slog.String("function", r.opts.Function),
		slog.String("aws_request_id", awsRequestID(ctx)),
		slog.String("message_id", msg.MessageId),
		slog.String("receive_count", msg.Attributes["ApproximateReceiveCount"]),
	)
	if err := ctx.Err(); err != nil {
		// Out of time: do not start work the deadline will cut short.
		logOutcome(ctx, logger, OutcomeSkipped, start, err)
		return false
	}
	env, dl, err := r.decode(msg)
	if err != nil {
		return r.deadLetter(ctx, logger, msg, dl, start, err)
	}
	logger = logger.With(
		slog.String("request_id", env.Subject),
		slog.String("correlation_id", env.CorrelationID),
		slog.String("event_id", env.ID),
		slog.String("event_type", env.Type),
	)
	rec := Record{Event: env, Message: msg, Logger: logger}
	err = r.call(ctx, rec)
	var (
		transient *TransientError
		permanent *PermanentError
		panicked  *panicError
	)
	switch {
	case err == nil:
		logOutcome(ctx, logger, OutcomeAcked, start, nil)
		r.recordHop(ctx, rec, status.OutcomeOK, "", nil, start, 0)
		return true
	case errors.As(err, &panicked):
		logger.ErrorContext(ctx, "record handler panicked", slog.String("stack", panicked.stack))
		logOutcome(ctx, logger.With(slog.String("error_code", "Panic")), OutcomePanic, start, err)
		r.recordHop(ctx, rec, status.OutcomeFailed, "Panic", err, start, 0)
		return false
	// Transient before permanent: if a handler wraps one in the other,
	// retrying is the choice that cannot lose the record.
	case errors.As(err, &transient):
		wait := transient.Delay
		if wait <= 0 {
			wait = r.opts.Backoff.Delay(rec.ReceiveCount())
		}
		retryIn := r.delay(ctx, logger, msg, wait)
		code := transient.Code
		if code == "" {
			code = awsCode(err)
		}
		logOutcome(ctx, logger.With(slog.String("error_code", code)), OutcomeRetry, start, err)
		r.recordHop(ctx, rec, status.OutcomeRetry, code, transient.Err, start, retryIn)
		return false
	case errors.As(err, &permanent):
		acked := r.deadLetter(ctx, logger, msg, DeadLetter{
			Code:      permanent.Code,
			Message:   permanent.Err.Error(),
			Function:  r.opts.Function,
			EventType: env.Type,
		}, start, err)
		outcome := status.OutcomeDeadLettered
		if !acked {
			outcome = status.OutcomeFailed
		}
		r.recordHop(ctx, rec, outcome, permanent.Code, permanent.Err, start, 0)
		return acked
	default:
		code := awsCode(err)
		logOutcome(ctx, logger.With(slog.String("error_code", code)), OutcomeFailed, start, err)
		r.recordHop(ctx, rec, status.OutcomeFailed, code, err, start, 0)
		return false
	}
}

// hopTimeout bounds recording a hop, which runs even when the record's
// own context has ended (its outcome is decided by then).
const hopTimeout = 2 * time.Second

// recordHop adds the record's handling to its request's hops. The hop is
// for people: a failure to record it is logged, and never changes what
// happens to the record.
func (r *Runner) recordHop(ctx context.Context, rec Record, outcome status.Outcome, code string, cause error, start time.Time, retryIn time.Duration) {
	if r.opts.Hops == nil || rec.Event.Subject == "" {
		return
	}
	h := status.Hop{
		Function: r.opts.Function, Event: rec.Event.Type, EventID: rec.Event.ID,
		ReceiveCount: rec.ReceiveCount(), Outcome: outcome, Code: code,
		Duration: time.Since(start), At: r.Now(), QueuedAt: rec.FirstReceived(),
	}
	if cause != nil {
		h.Reason = cause.Error()
	}
	h.RetryIn = retryIn
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hopTimeout)
	defer cancel()
	if err := r.opts.Hops.RecordHop(ctx, rec.Event.Subject, h); err != nil {
		rec.Logger.WarnContext(ctx, "record hop in request history failed", slog.Any("error", err))
	}
}

// awsCode is the AWS error code in err's chain, or "".
func awsCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// decode checks a record; on failure it returns the dead letter to send.
func (r *Runner) decode(msg lambdaevents.SQSMessage) (event.Envelope, DeadLetter, error) {
	dl := DeadLetter{Function: r.opts.Function}
	env, err := event.Decode([]byte(msg.Body))
	if err != nil {
		dl.Code, dl.Message = CodeMalformed, err.Error()
		return event.Envelope{}, dl, err
	}
	dl.EventType = env.Type
	// A record without a type attribute did not come through a filter
	// policy (e.g. sent by hand to the queue); the envelope alone decides.
	if a, ok := msg.MessageAttributes[event.AttrType]; ok && (a.StringValue == nil || *a.StringValue != env.Type) {
		got := "<none>"
		if a.StringValue != nil {
			got = *a.StringValue
		}
		err := fmt.Errorf("type attribute %q does not match envelope type %q", got, env.Type)
		dl.Code, dl.Message = CodeTypeMismatch, err.Error()
		return event.Envelope{}, dl, err
	}
	if !slices.Contains(r.consumes, env.Type) {
		err := fmt.Errorf("event type %q is not consumed by %s (consumes %v)", env.Type, r.opts.Function, r.consumes)
		dl.Code, dl.Message = CodeUnexpectedType, err.Error()
		return event.Envelope{}, dl, err
	}
	return env, dl, nil
}

// deadLetter sends msg to the DLQ and reports whether it is acknowledged:
// only when the send succeeded, so a record is never dropped.
func (r *Runner) deadLetter(ctx context.Context, logger *slog.Logger, msg lambdaevents.SQSMessage, dl DeadLetter, start time.Time, cause error) bool {
	logger = logger.With(slog.String("error_code", dl.Code))
	if err := SendDeadLetter(ctx, r.opts.Queue, r.opts.DLQURL, msg, dl); err != nil {
		logOutcome(ctx, logger, OutcomeFailed, start, fmt.Errorf("%v; %w", cause, err))
		return false
	}
	logOutcome(ctx, logger, OutcomeDeadLettered, start, cause)
	return true
}

// maxVisibility is SQS's limit on a message's visibility timeout.
const maxVisibility = 12 * time.Hour

// visibilityCallTimeout bounds the ChangeMessageVisibility of a retry,
// which runs even when the record's own context has ended: a launch cut
// short by its deadline is a transient failure like any other, and
// without the call it would wait the queue's whole visibility timeout.
const visibilityCallTimeout = time.Second

// delay sets the record's visibility timeout so it comes back after d,
// rounded up to whole seconds (SQS's unit), and returns the delay set.
// A failure only loses the delay (the queue's own timeout applies, and 0
// is returned), so it is logged, not returned.
func (r *Runner) delay(ctx context.Context, logger *slog.Logger, msg lambdaevents.SQSMessage, d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	if r.opts.Queue == nil || r.opts.QueueURL == "" {
		logger.WarnContext(ctx, "retry delay requested but no queue URL configured", slog.Duration("delay", d))
		return 0
	}
	secs := int32(math.Ceil(min(d, maxVisibility).Seconds()))
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), visibilityCallTimeout)
	defer cancel()
	_, err := r.opts.Queue.ChangeMessageVisibility(callCtx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(r.opts.QueueURL),
		ReceiptHandle:     aws.String(msg.ReceiptHandle),
		VisibilityTimeout: secs,
	})
	if err != nil {
		logger.WarnContext(ctx, "change message visibility failed", slog.Int("visibility_seconds", int(secs)), slog.Any("error", err))
		return 0
	}
	logger.DebugContext(ctx, "retry delayed", slog.Int("visibility_seconds", int(secs)))
	return time.Duration(secs) * time.Second
}

// panicError is a recovered handler panic.
type panicError struct {
	value any
	stack string
}

func (p *panicError) Error() string { return fmt.Sprintf("handler panic: %v", p.value) }

// call runs the handler, turning a panic into that record's error so it
// never takes the batch down.
func (r *Runner) call(ctx context.Context, rec Record) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: string(debug.Stack())}
		}
	}()
	return r.handler(ctx, rec)
}

func logOutcome(ctx context.Context, logger *slog.Logger, outcome string, start time.Time, err error) {
	attrs := []slog.Attr{
		slog.String("outcome", outcome),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()),
	}
	// A retry is routine (instances still pending, a throttle): INFO, so
	// that WARN and above are what a person must look at.
	level := slog.LevelInfo
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		switch outcome {
		case OutcomeFailed, OutcomePanic, OutcomeDeadLettered:
			level = slog.LevelError
		case OutcomeSkipped:
			level = slog.LevelWarn
		}
	}
	logger.LogAttrs(ctx, level, "record processed", attrs...)
}

func awsRequestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}
