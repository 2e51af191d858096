package launcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/publish"
	"github.com/eventchain/eventchain/internal/status"
)

// Source is the CloudEvents source of the events the launcher publishes.
const Source = "eventchain/launcher"

// Codes the launcher writes.
const (
	// CodeInvalidPayload is the dead-letter reason of a launch.requested
	// whose data does not describe a launch (wrong schema, request id not
	// the subject).
	CodeInvalidPayload = "InvalidPayload"
	// CodeRetriesExhausted is the launch.failed code of a launch still
	// failing (transiently or unclassified) on the launch queue's last
	// receive; the message carries the last error.
	CodeRetriesExhausted = "RetriesExhausted"
)

// sdkMaxAttempts is 1: the SDK does not retry RunInstances. A retry inside
// the SDK would bypass the pacer (one token, several calls); the retry is
// SQS's redelivery instead, after the consumer's backoff, and every
// redelivery waits for a token again.
const sdkMaxAttempts = 1

// Store is the part of the status store the launcher uses; *status.Dynamo
// satisfies it.
type Store interface {
	// RecordHop keeps each record\'s handling in the request\'s history.
	consumer.HopRecorder
	Get(ctx context.Context, id string) (status.Request, error)
	Advance(ctx context.Context, id string, t status.Transition) (status.Request, error)
}

var _ Store = (status.Store)(nil)

// Publisher publishes events to the events topic.
type Publisher interface {
	Publish(ctx context.Context, evs ...event.Envelope) error
}

// Deps are the launcher's collaborators.
type Deps struct {
	EC2       RunInstancesAPI
	Publisher Publisher
	Queue     consumer.Queue // dead letters and visibility changes
	Store     Store
	Logger    *slog.Logger     // nil discards
	Clock     func() time.Time // nil means time.Now
}

// Handler is the launcher function.
type Handler struct {
	cfg    Config
	deps   Deps
	pacer  *pacer
	runner *consumer.Runner
}

// New returns the launcher handler.
func New(cfg Config, deps Deps) (*Handler, error) {
	switch {
	case deps.EC2 == nil:
		return nil, errors.New("launcher: EC2 client required")
	case deps.Publisher == nil:
		return nil, errors.New("launcher: publisher required")
	case deps.Store == nil:
		return nil, errors.New("launcher: status store required")
	case cfg.RatePerSecond <= 0 || cfg.Concurrency < 1:
		return nil, fmt.Errorf("launcher: rate %v / concurrency %d: want positive values", cfg.RatePerSecond, cfg.Concurrency)
	}
	h := &Handler{cfg: cfg, deps: deps, pacer: newPacer(cfg.PerInstanceRate(), nil)}
	runner, err := consumer.New(consumer.Options{
		Function: event.FunctionLauncher,
		Queue:    deps.Queue,
		QueueURL: cfg.QueueURL,
		DLQURL:   cfg.DLQURL,
		Logger:   deps.Logger,
		Clock:    deps.Clock,
		Hops:     deps.Store,
		Backoff:  cfg.Backoff,
	}, h.launch)
	if err != nil {
		return nil, fmt.Errorf("launcher: %w", err)
	}
	h.runner = runner
	return h, nil
}

// NewFromEnv builds the launcher from its settings, with the EC2 client
// making one attempt per call (SQS redelivery is the retry; see
// sdkMaxAttempts) and a JSON logger on stderr.
func NewFromEnv(ctx context.Context, lookup awsenv.Lookup, store status.Store, logs io.Writer) (*Handler, error) {
	cfg, err := LoadConfig(lookup)
	if err != nil {
		return nil, fmt.Errorf("launcher config: %w", err)
	}
	logger, err := awsenv.NewLogger(logs, lookup)
	if err != nil {
		return nil, fmt.Errorf("launcher config: %w", err)
	}
	awsCfg, err := awsenv.Load(ctx, lookup)
	if err != nil {
		return nil, fmt.Errorf("launcher: %w", err)
	}
	return New(cfg, Deps{
		EC2: ec2.NewFromConfig(awsCfg.AWS, func(o *ec2.Options) {
			o.Retryer = retry.AddWithMaxAttempts(retry.NewStandard(), sdkMaxAttempts)
		}),
		Publisher: publish.NewSNS(sns.NewFromConfig(awsCfg.AWS), cfg.EventsTopicARN),
		Queue:     sqs.NewFromConfig(awsCfg.AWS),
		Store:     store,
		Logger:    logger,
	})
}

// Handle processes a batch of launch.requested records.
func (h *Handler) Handle(ctx context.Context, ev lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
	return h.runner.Handle(ctx, ev)
}

// launch handles one launch.requested record.
func (h *Handler) launch(ctx context.Context, rec consumer.Record) error {
	var req event.LaunchRequested
	if err := rec.Event.DecodeData(&req); err != nil {
		return consumer.Permanent(CodeInvalidPayload, err)
	}
	if req.RequestID != rec.Event.Subject || req.Count < 1 || req.ImageID == "" || req.InstanceType == "" {
		return consumer.Permanent(CodeInvalidPayload, fmt.Errorf(
			"launch.requested data (requestId %q, count %d, imageId %q, instanceType %q) does not describe a launch of subject %q",
			req.RequestID, req.Count, req.ImageID, req.InstanceType, rec.Event.Subject))
	}
	// A redriven or late launch.requested of a closed request must not
	// launch: for a FAILED request nothing would ever watch or terminate
	// the new instances. Checked before pacing, so it costs no token.
	stored, err := h.deps.Store.Get(ctx, req.RequestID)
	switch {
	case err == nil && stored.Status.Terminal():
		rec.Logger.InfoContext(ctx, "request already closed; not launching", slog.String("status", string(stored.Status)))
		return nil
	case errors.Is(err, status.ErrNotFound):
		// Launch all the same (the chain reaches a terminal event and the
		// notifier dead-letters it visibly), as Advance below does.
		rec.Logger.WarnContext(ctx, "launching for a request the status store does not know")
	case err != nil:
		return fmt.Errorf("get request %s: %w", req.RequestID, err)
	}
	if err := h.pacer.Wait(ctx); err != nil {
		return h.retry(ctx, rec, req, "", consumer.Transient(fmt.Errorf("pace launch of %s: %w", req.RequestID, err), 0))
	}
	out, err := h.deps.EC2.RunInstances(ctx, RunInstancesInput(req, rec.Event.CorrelationID))
	if err != nil {
		return h.runFailed(ctx, rec, req, err)
	}
	ids := make([]string, 0, len(out.Instances))
	launchedAt := time.Time{}
	for _, inst := range out.Instances {
		ids = append(ids, aws.ToString(inst.InstanceId))
		// EC2 answers a repeated ClientToken with the same instances, so
		// their launch time keeps the watch budget stable across retries.
		if t := aws.ToTime(inst.LaunchTime); !t.IsZero() && (launchedAt.IsZero() || t.Before(launchedAt)) {
			launchedAt = t
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("run instances for %s: EC2 answered no instances", req.RequestID)
	}
	if launchedAt.IsZero() {
		launchedAt = h.runner.Now()
	}
	_, err = h.deps.Store.Advance(ctx, req.RequestID, status.Transition{
		To: status.Launching, Event: event.TypeInstanceLaunched, At: h.runner.Now(), InstanceIDs: ids,
	})
	switch {
	case errors.Is(err, status.ErrNotForward):
		rec.Logger.InfoContext(ctx, "request already at or past LAUNCHING", slog.Any("instance_ids", ids))
	case errors.Is(err, status.ErrNotFound):
		// The instances exist now: keep the chain going so the watcher
		// reaches a terminal event; the notifier dead-letters it visibly.
		rec.Logger.WarnContext(ctx, "launched instances for a request the status store does not know", slog.Any("instance_ids", ids))
	case err != nil:
		return fmt.Errorf("advance %s to LAUNCHING: %w", req.RequestID, err)
	}
	next, err := event.Next(rec.Event, event.TypeInstanceLaunched, Source, event.InstanceLaunched{
		RequestID: req.RequestID, InstanceIDs: ids, LaunchedAt: launchedAt.UTC(),
	})
	if err != nil {
		return fmt.Errorf("build instance.launched for %s: %w", req.RequestID, err)
	}
	if err := h.deps.Publisher.Publish(ctx, next); err != nil {
		return fmt.Errorf("publish instance.launched for %s: %w", req.RequestID, err)
	}
	rec.Logger.InfoContext(ctx, "instances launched", slog.Any("instance_ids", ids))
	return nil
}

// runFailed maps a RunInstances error to the record's outcome.
func (h *Handler) runFailed(ctx context.Context, rec consumer.Record, req event.LaunchRequested, err error) error {
	class, code, message := Classify(err)
	if throttled(code) {
		h.pacer.Throttled()
	}
	wrapped := fmt.Errorf("run instances for %s: %w", req.RequestID, err)
	switch class {
	case Transient:
		return h.retry(ctx, rec, req, code, consumer.Transient(wrapped, 0))
	case Permanent:
		if perr := h.fail(ctx, rec, req, code, message); perr != nil {
			return fmt.Errorf("%w (after %v)", perr, wrapped)
		}
		rec.Logger.WarnContext(ctx, "launch refused by EC2", slog.String("error_code", code), slog.String("error", message))
		return nil
	}
	return h.retry(ctx, rec, req, code, wrapped)
}

// retry returns err for SQS to redeliver the record, except on the launch
// queue's last receive: there the request is ended with launch.failed
// (RetriesExhausted, the last error in the message), so it does not stay
// ACCEPTED while its record sits in the DLQ. The record is still returned
// as a failure, so the redrive policy dead-letters it and the DLQ alarm
// tells an operator that launches keep failing. Redriving it later does
// nothing: the request is FAILED.
func (h *Handler) retry(ctx context.Context, rec consumer.Record, req event.LaunchRequested, code string, err error) error {
	if h.cfg.MaxReceiveCount == 0 || rec.ReceiveCount() < h.cfg.MaxReceiveCount {
		return err
	}
	message := fmt.Sprintf("launch still failing after %d receives; last error: %v", rec.ReceiveCount(), err)
	if code != "" {
		message = fmt.Sprintf("launch still failing after %d receives; last error %s: %v", rec.ReceiveCount(), code, err)
	}
	if perr := h.fail(ctx, rec, req, CodeRetriesExhausted, message); perr != nil {
		return fmt.Errorf("%w (after %w)", perr, err)
	}
	rec.Logger.ErrorContext(ctx, "launch retries exhausted; request failed", slog.String("error_code", code),
		slog.Int("receive_count", rec.ReceiveCount()), slog.String("error", err.Error()))
	return err
}

// fail publishes launch.failed for the request.
func (h *Handler) fail(ctx context.Context, rec consumer.Record, req event.LaunchRequested, code, message string) error {
	failed, err := event.Next(rec.Event, event.TypeLaunchFailed, Source, event.LaunchFailed{
		RequestID: req.RequestID, Code: code, Message: message,
	})
	if err != nil {
		return fmt.Errorf("build launch.failed for %s: %w", req.RequestID, err)
	}
	if err := h.deps.Publisher.Publish(ctx, failed); err != nil {
		return fmt.Errorf("publish launch.failed for %s: %w", req.RequestID, err)
	}
	return nil
}
