package launcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"golang.org/x/time/rate"

	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/publish"
	"github.com/eventchain/eventchain/internal/status"
)

// Source is the CloudEvents source of the events the launcher publishes.
const Source = "eventchain/launcher"

// CodeInvalidPayload is the dead-letter reason of a launch.requested whose
// data does not describe a launch (wrong schema, request id not the subject).
const CodeInvalidPayload = "InvalidPayload"

// SDK retry bounds: a throttled call is retried a little inside the
// invocation, then handed back to SQS rather than slept on.
const (
	sdkMaxAttempts = 3
	sdkMaxBackoff  = 2 * time.Second
)

// Publisher publishes events to the events topic.
type Publisher interface {
	Publish(ctx context.Context, evs ...event.Envelope) error
}

// Deps are the launcher's collaborators.
type Deps struct {
	EC2       RunInstancesAPI
	Publisher Publisher
	Queue     consumer.Queue // dead letters and visibility changes
	Store     status.Store
	Logger    *slog.Logger     // nil discards
	Clock     func() time.Time // nil means time.Now
}

// Handler is the launcher function.
type Handler struct {
	cfg    Config
	deps   Deps
	pacer  *rate.Limiter
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
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	h := &Handler{cfg: cfg, deps: deps, pacer: rate.NewLimiter(cfg.PerInstanceRate(), 1)}
	runner, err := consumer.New(consumer.Options{
		Function: event.FunctionLauncher,
		Queue:    deps.Queue,
		QueueURL: cfg.QueueURL,
		DLQURL:   cfg.DLQURL,
		Logger:   deps.Logger,
	}, h.launch)
	if err != nil {
		return nil, fmt.Errorf("launcher: %w", err)
	}
	h.runner = runner
	return h, nil
}

// NewFromEnv builds the launcher from its settings: SDK clients with
// BaseEndpoint from awsenv, the EC2 client with bounded retries, and a
// JSON logger on stderr.
func NewFromEnv(ctx context.Context, lookup awsenv.Lookup, store status.Store) (*Handler, error) {
	cfg, err := LoadConfig(lookup)
	if err != nil {
		return nil, fmt.Errorf("launcher config: %w", err)
	}
	awsCfg, err := awsenv.Load(ctx, lookup)
	if err != nil {
		return nil, fmt.Errorf("launcher: %w", err)
	}
	ec2Client := ec2.NewFromConfig(awsCfg.AWS, func(o *ec2.Options) {
		o.BaseEndpoint = awsCfg.BaseEndpoint()
		o.Retryer = retry.AddWithMaxBackoffDelay(retry.AddWithMaxAttempts(retry.NewStandard(), sdkMaxAttempts), sdkMaxBackoff)
	})
	snsClient := sns.NewFromConfig(awsCfg.AWS, func(o *sns.Options) { o.BaseEndpoint = awsCfg.BaseEndpoint() })
	sqsClient := sqs.NewFromConfig(awsCfg.AWS, func(o *sqs.Options) { o.BaseEndpoint = awsCfg.BaseEndpoint() })
	return New(cfg, Deps{
		EC2:       ec2Client,
		Publisher: publish.NewSNS(snsClient, cfg.EventsTopicARN),
		Queue:     sqsClient,
		Store:     store,
		Logger:    consumer.NewLogger(os.Stderr, lookup),
	})
}

// Handle processes a batch of launch.requested records.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
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
	if err := h.pacer.Wait(ctx); err != nil {
		return consumer.Transient(fmt.Errorf("pace launch of %s: %w", req.RequestID, err), 0)
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
		launchedAt = h.deps.Clock()
	}
	_, err = h.deps.Store.Advance(ctx, req.RequestID, status.Transition{
		To: status.Launching, Event: event.TypeInstanceLaunched, At: h.deps.Clock(), InstanceIDs: ids,
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
	err = fmt.Errorf("run instances for %s: %w", req.RequestID, err)
	switch class {
	case Transient:
		return consumer.Transient(err, 0)
	case Permanent:
		failed, ferr := event.Next(rec.Event, event.TypeLaunchFailed, Source, event.LaunchFailed{
			RequestID: req.RequestID, Code: code, Message: message,
		})
		if ferr != nil {
			return fmt.Errorf("build launch.failed for %s: %w", req.RequestID, ferr)
		}
		if perr := h.deps.Publisher.Publish(ctx, failed); perr != nil {
			return fmt.Errorf("publish launch.failed for %s (after %v): %w", req.RequestID, err, perr)
		}
		rec.Logger.WarnContext(ctx, "launch refused by EC2", slog.String("error_code", code), slog.String("error", message))
		return nil
	}
	return err
}
