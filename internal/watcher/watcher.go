package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/publish"
	"github.com/eventchain/eventchain/internal/status"
)

// Source is the CloudEvents source of the events the watcher publishes.
const Source = "eventchain/watcher"

// Codes the watcher writes.
const (
	// CodeWatchTimeout: the instances were not running within the budget.
	CodeWatchTimeout = "WatchTimeout"
	// CodeInstanceTerminated: an instance died without a StateReason.
	CodeInstanceTerminated = "InstanceTerminated"
	// CodeInvalidPayload: an instance.launched record that names no
	// instances or another request (dead-lettered).
	CodeInvalidPayload = "InvalidPayload"
)

// EC2API is the part of EC2 the watcher uses; *ec2.Client satisfies it.
type EC2API interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, optFns ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
}

var _ EC2API = (*ec2.Client)(nil)

// Publisher publishes events to the events topic.
type Publisher interface {
	Publish(ctx context.Context, evs ...event.Envelope) error
}

// Deps are the watcher's collaborators.
type Deps struct {
	EC2       EC2API
	Publisher Publisher
	Queue     consumer.Queue   // dead letters and visibility changes
	Logger    *slog.Logger     // nil discards
	Clock     func() time.Time // nil means time.Now
}

// Handler is the watcher function.
type Handler struct {
	cfg    Config
	deps   Deps
	runner *consumer.Runner
}

// New returns the watcher handler.
func New(cfg Config, deps Deps) (*Handler, error) {
	switch {
	case deps.EC2 == nil:
		return nil, errors.New("watcher: EC2 client required")
	case deps.Publisher == nil:
		return nil, errors.New("watcher: publisher required")
	case cfg.Timeout <= 0 || cfg.BackoffBase <= 0 || cfg.BackoffMax < cfg.BackoffBase:
		return nil, fmt.Errorf("watcher: timeout %v, backoff %v..%v: want positive, base ≤ max", cfg.Timeout, cfg.BackoffBase, cfg.BackoffMax)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	h := &Handler{cfg: cfg, deps: deps}
	runner, err := consumer.New(consumer.Options{
		Function: event.FunctionWatcher,
		Queue:    deps.Queue,
		QueueURL: cfg.QueueURL,
		DLQURL:   cfg.DLQURL,
		Logger:   deps.Logger,
	}, h.watch)
	if err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	h.runner = runner
	return h, nil
}

// NewFromEnv builds the watcher from its settings. The store is not used
// (see the package documentation).
func NewFromEnv(ctx context.Context, lookup awsenv.Lookup, _ status.Store) (*Handler, error) {
	cfg, err := LoadConfig(lookup)
	if err != nil {
		return nil, fmt.Errorf("watcher config: %w", err)
	}
	awsCfg, err := awsenv.Load(ctx, lookup)
	if err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	ec2Client := ec2.NewFromConfig(awsCfg.AWS, func(o *ec2.Options) {
		o.BaseEndpoint = awsCfg.BaseEndpoint()
		o.Retryer = retry.AddWithMaxBackoffDelay(retry.AddWithMaxAttempts(retry.NewStandard(), 3), 2*time.Second)
	})
	snsClient := sns.NewFromConfig(awsCfg.AWS, func(o *sns.Options) { o.BaseEndpoint = awsCfg.BaseEndpoint() })
	sqsClient := sqs.NewFromConfig(awsCfg.AWS, func(o *sqs.Options) { o.BaseEndpoint = awsCfg.BaseEndpoint() })
	return New(cfg, Deps{
		EC2:       ec2Client,
		Publisher: publish.NewSNS(snsClient, cfg.EventsTopicARN),
		Queue:     sqsClient,
		Logger:    consumer.NewLogger(os.Stderr, lookup),
	})
}

// Handle processes a batch of instance.launched records.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return h.runner.Handle(ctx, ev)
}

// failedStates are states from which an instance will not reach running.
var failedStates = []ec2types.InstanceStateName{
	ec2types.InstanceStateNameShuttingDown, ec2types.InstanceStateNameTerminated,
	ec2types.InstanceStateNameStopping, ec2types.InstanceStateNameStopped,
}

// watch handles one instance.launched record.
func (h *Handler) watch(ctx context.Context, rec consumer.Record) error {
	var launched event.InstanceLaunched
	if err := rec.Event.DecodeData(&launched); err != nil {
		return consumer.Permanent(CodeInvalidPayload, err)
	}
	if launched.RequestID != rec.Event.Subject || len(launched.InstanceIDs) == 0 {
		return consumer.Permanent(CodeInvalidPayload, fmt.Errorf(
			"instance.launched data (requestId %q, %d instances) does not describe subject %q",
			launched.RequestID, len(launched.InstanceIDs), rec.Event.Subject))
	}
	ids := launched.InstanceIDs
	start := launched.LaunchedAt
	if start.IsZero() {
		start = rec.FirstReceived()
	}
	if start.IsZero() {
		start = rec.Event.Time
	}
	deadline := start.Add(h.cfg.Timeout)
	now := h.deps.Clock()

	out, err := h.deps.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		if !waitable(err) {
			return fmt.Errorf("describe instances of %s: %w", launched.RequestID, err)
		}
		if !now.Before(deadline) {
			return h.timeout(ctx, rec, launched)
		}
		return consumer.Transient(fmt.Errorf("describe instances of %s: %w", launched.RequestID, err), h.delay(rec, now, deadline))
	}

	states := map[string]ec2types.Instance{}
	for _, r := range out.Reservations {
		for _, inst := range r.Instances {
			states[aws.ToString(inst.InstanceId)] = inst
		}
	}
	running := 0
	for _, id := range ids {
		inst, ok := states[id]
		if !ok || inst.State == nil {
			continue
		}
		if slices.Contains(failedStates, inst.State.Name) {
			return h.died(ctx, rec, launched, inst)
		}
		if inst.State.Name == ec2types.InstanceStateNameRunning {
			running++
		}
	}
	if running == len(ids) {
		return h.publish(ctx, rec, event.TypeInstanceRunning, event.InstanceRunning{RequestID: launched.RequestID, InstanceIDs: ids})
	}
	if !now.Before(deadline) {
		return h.timeout(ctx, rec, launched)
	}
	rec.Logger.InfoContext(ctx, "instances not running yet", slog.Int("running", running), slog.Int("instances", len(ids)))
	return consumer.Transient(fmt.Errorf("%d of %d instances of %s running", running, len(ids), launched.RequestID), h.delay(rec, now, deadline))
}

// delay is the backoff for this receive, but no later than just after the
// deadline, so the timeout is noticed on time.
func (h *Handler) delay(rec consumer.Record, now, deadline time.Time) time.Duration {
	d := Backoff(rec.ReceiveCount(), h.cfg.BackoffBase, h.cfg.BackoffMax)
	if left := deadline.Sub(now) + time.Second; left < d {
		d = left
	}
	return max(d, time.Second)
}

// died ends a request one of whose instances will never run.
func (h *Handler) died(ctx context.Context, rec consumer.Record, launched event.InstanceLaunched, inst ec2types.Instance) error {
	code, message := CodeInstanceTerminated, fmt.Sprintf("instance %s is %s", aws.ToString(inst.InstanceId), inst.State.Name)
	if r := inst.StateReason; r != nil && aws.ToString(r.Code) != "" {
		code, message = aws.ToString(r.Code), aws.ToString(r.Message)
	}
	if err := h.terminate(ctx, launched); err != nil {
		return err
	}
	rec.Logger.WarnContext(ctx, "instance died during launch", slog.String("instance_id", aws.ToString(inst.InstanceId)),
		slog.String("state", string(inst.State.Name)), slog.String("error_code", code))
	return h.publish(ctx, rec, event.TypeLaunchFailed, event.LaunchFailed{
		RequestID: launched.RequestID, Code: code, Message: message, InstanceIDs: launched.InstanceIDs,
	})
}

// timeout ends a request whose instances did not run within the budget.
func (h *Handler) timeout(ctx context.Context, rec consumer.Record, launched event.InstanceLaunched) error {
	if err := h.terminate(ctx, launched); err != nil {
		return err
	}
	rec.Logger.WarnContext(ctx, "watch budget exhausted; instances terminated", slog.Duration("budget", h.cfg.Timeout))
	return h.publish(ctx, rec, event.TypeLaunchFailed, event.LaunchFailed{
		RequestID:   launched.RequestID,
		Code:        CodeWatchTimeout,
		Message:     fmt.Sprintf("instances not running %s after launch; terminated", h.cfg.Timeout),
		InstanceIDs: launched.InstanceIDs,
	})
}

// terminate stops every instance of the request, so a failed request
// leaves nothing running (and billing). Terminating is idempotent; ids EC2
// does not know have nothing to terminate.
func (h *Handler) terminate(ctx context.Context, launched event.InstanceLaunched) error {
	_, err := h.deps.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: launched.InstanceIDs})
	if err != nil && errorCode(err) != "InvalidInstanceID.NotFound" {
		err = fmt.Errorf("terminate instances of %s: %w", launched.RequestID, err)
		if waitable(err) {
			return consumer.Transient(err, 0)
		}
		return err
	}
	return nil
}

func (h *Handler) publish(ctx context.Context, rec consumer.Record, eventType string, payload any) error {
	next, err := event.Next(rec.Event, eventType, Source, payload)
	if err != nil {
		return fmt.Errorf("build %s for %s: %w", eventType, rec.Event.Subject, err)
	}
	if err := h.deps.Publisher.Publish(ctx, next); err != nil {
		return fmt.Errorf("publish %s for %s: %w", eventType, rec.Event.Subject, err)
	}
	return nil
}

// waitCodes are EC2 errors that waiting cures.
var waitCodes = []string{
	"InvalidInstanceID.NotFound", "RequestLimitExceeded", "Throttling", "Unavailable", "ServiceUnavailable", "InternalError",
}

// waitable reports whether err is transient for the watcher: eventual
// consistency, throttling, service errors, timeouts.
func waitable(err error) bool {
	if slices.Contains(waitCodes, errorCode(err)) {
		return true
	}
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout())
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
