package watcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
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
	// CodeInstancesPending: a retry while instances are still starting,
	// as the request's hops show it.
	CodeInstancesPending = "InstancesPending"
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

// Store is the part of the status store the watcher uses: it only reads a
// request, to leave alone one that is already closed, and records its
// hops. *status.Dynamo satisfies it.
type Store interface {
	// RecordHop keeps each record\'s handling in the request\'s history.
	consumer.HopRecorder
	Get(ctx context.Context, id string) (status.Request, error)
}

var _ Store = (status.Store)(nil)

// Deps are the watcher's collaborators.
type Deps struct {
	EC2       EC2API
	Publisher Publisher
	Store     Store
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
	case deps.Store == nil:
		return nil, errors.New("watcher: status store required")
	case cfg.Timeout <= 0 || cfg.BackoffBase <= 0 || cfg.BackoffMax < cfg.BackoffBase:
		return nil, fmt.Errorf("watcher: timeout %v, backoff %v..%v: want positive, base ≤ max", cfg.Timeout, cfg.BackoffBase, cfg.BackoffMax)
	}
	h := &Handler{cfg: cfg, deps: deps}
	runner, err := consumer.New(consumer.Options{
		Function: event.FunctionWatcher,
		Queue:    deps.Queue,
		QueueURL: cfg.QueueURL,
		DLQURL:   cfg.DLQURL,
		Logger:   deps.Logger,
		Clock:    deps.Clock,
		Hops:     deps.Store,
		Backoff:  cfg.Retry,
	}, h.watch)
	if err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	h.runner = runner
	return h, nil
}

// NewFromEnv builds the watcher from its settings and the status store
// (read only: see the package documentation).
func NewFromEnv(ctx context.Context, lookup awsenv.Lookup, store status.Store, logs io.Writer) (*Handler, error) {
	cfg, err := LoadConfig(lookup)
	if err != nil {
		return nil, fmt.Errorf("watcher config: %w", err)
	}
	logger, err := awsenv.NewLogger(logs, lookup)
	if err != nil {
		return nil, fmt.Errorf("watcher config: %w", err)
	}
	awsCfg, err := awsenv.Load(ctx, lookup)
	if err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	return New(cfg, Deps{
		EC2: ec2.NewFromConfig(awsCfg.AWS, func(o *ec2.Options) {
			o.Retryer = retry.AddWithMaxBackoffDelay(retry.AddWithMaxAttempts(retry.NewStandard(), 3), 2*time.Second)
		}),
		Publisher: publish.NewSNS(sns.NewFromConfig(awsCfg.AWS), cfg.EventsTopicARN),
		Store:     store,
		Queue:     sqs.NewFromConfig(awsCfg.AWS),
		Logger:    logger,
	})
}

// Handle processes a batch of instance.launched records.
func (h *Handler) Handle(ctx context.Context, ev lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
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
	// A late or redriven duplicate of instance.launched must not act on a
	// request that is already closed: its instances may have been stopped
	// or terminated on purpose since, and terminating them now (or failing
	// the request) would undo a finished outcome.
	req, err := h.deps.Store.Get(ctx, launched.RequestID)
	switch {
	case err == nil && req.Status.Terminal():
		rec.Logger.InfoContext(ctx, "request already closed; nothing to watch", slog.String("status", string(req.Status)))
		return nil
	case errors.Is(err, status.ErrNotFound):
		// The launcher launched instances for a request the store does not
		// know; watch them all the same so the chain reaches a terminal
		// event (the notifier dead-letters it visibly).
		rec.Logger.WarnContext(ctx, "watching instances of a request the status store does not know")
	case err != nil:
		return fmt.Errorf("get request %s: %w", launched.RequestID, err)
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
	now := h.runner.Now()
	// out of the receive budget: the queue would dead-letter the record
	// after the next receive, so stop waiting now and leave one receive
	// for the timeout path to be retried if it fails.
	spent := h.cfg.MaxReceiveCount > 0 && rec.ReceiveCount() >= h.cfg.MaxReceiveCount-1
	expired := !now.Before(deadline) || spent

	out, err := h.deps.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		err = fmt.Errorf("describe instances of %s: %w", launched.RequestID, err)
		switch {
		case expired:
			return h.timeout(ctx, rec, launched, spent)
		case errorCode(err) == notYetVisible:
			return consumer.Transient(err, h.delay(rec, now, deadline))
		case retryable(err):
			return consumer.Transient(err, 0)
		}
		return err
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
	if expired {
		return h.timeout(ctx, rec, launched, spent)
	}
	rec.Logger.InfoContext(ctx, "instances not running yet", slog.Int("running", running), slog.Int("instances", len(ids)))
	return consumer.TransientCode(CodeInstancesPending, fmt.Errorf("%d of %d instances of %s running", running, len(ids), launched.RequestID), h.delay(rec, now, deadline))
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

// timeout ends a request whose instances did not run within the budget:
// the wait budget (WATCH_TIMEOUT_SECONDS) or, when spent is set, the
// queue's receive budget.
func (h *Handler) timeout(ctx context.Context, rec consumer.Record, launched event.InstanceLaunched, spent bool) error {
	if err := h.terminate(ctx, launched); err != nil {
		return err
	}
	message := fmt.Sprintf("instances not running %s after launch; terminated", h.cfg.Timeout)
	if spent {
		message = fmt.Sprintf("instances not running after %d of the watch queue's %d receives; terminated",
			rec.ReceiveCount(), h.cfg.MaxReceiveCount)
	}
	rec.Logger.WarnContext(ctx, "watch budget exhausted; instances terminated", slog.Duration("budget", h.cfg.Timeout),
		slog.Int("receive_count", rec.ReceiveCount()), slog.Bool("receive_budget_spent", spent))
	return h.publish(ctx, rec, event.TypeLaunchFailed, event.LaunchFailed{
		RequestID:   launched.RequestID,
		Code:        CodeWatchTimeout,
		Message:     message,
		InstanceIDs: launched.InstanceIDs,
	})
}

// terminate stops every instance of the request, so a failed request
// leaves nothing running (and billing). Terminating is idempotent.
//
// EC2 refuses the whole call with InvalidInstanceID.NotFound when any id
// is unknown (never created, or not yet visible), terminating none of the
// others; terminate then looks the ids up with a filter (which, unlike
// InstanceIds, ignores unknown ids) and terminates those EC2 knows.
func (h *Handler) terminate(ctx context.Context, launched event.InstanceLaunched) error {
	ids := launched.InstanceIDs
	_, err := h.deps.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
	if err != nil && errorCode(err) == "InvalidInstanceID.NotFound" {
		ids, err = h.known(ctx, ids)
		if err == nil && len(ids) > 0 {
			_, err = h.deps.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
		}
	}
	if err != nil {
		err = fmt.Errorf("terminate instances %v of %s: %w", ids, launched.RequestID, err)
		if retryable(err) {
			return consumer.Transient(err, 0)
		}
		return err
	}
	return nil
}

// known returns the ids EC2 knows that are not yet terminated.
func (h *Handler) known(ctx context.Context, ids []string) ([]string, error) {
	var found []string
	in := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: ids}}}
	for {
		out, err := h.deps.EC2.DescribeInstances(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("look up instances: %w", err)
		}
		for _, r := range out.Reservations {
			for _, inst := range r.Instances {
				if inst.State != nil && inst.State.Name == ec2types.InstanceStateNameTerminated {
					continue
				}
				if id := aws.ToString(inst.InstanceId); slices.Contains(ids, id) && !slices.Contains(found, id) {
					found = append(found, id)
				}
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return found, nil
		}
		in.NextToken = out.NextToken
	}
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

// notYetVisible is EC2's answer, right after RunInstances, for instances
// it does not show yet (eventual consistency): part of the wait for the
// instances, like pending, rather than an error.
const notYetVisible = "InvalidInstanceID.NotFound"

// retryCodes are EC2 errors that retrying cures.
var retryCodes = []string{
	notYetVisible, "RequestLimitExceeded", "Throttling", "Unavailable", "ServiceUnavailable", "InternalError",
}

// retryable reports whether err is transient for the watcher: eventual
// consistency, throttling, service errors, timeouts.
func retryable(err error) bool {
	if slices.Contains(retryCodes, errorCode(err)) {
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
