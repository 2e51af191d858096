package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
)

// Dead-letter reasons the notifier writes.
const (
	CodeRequestNotFound = "RequestNotFound"
	CodeInvalidPayload  = "InvalidPayload"
)

// AttrStatus is the notification's status message attribute.
const AttrStatus = "status"

// Config is the notifier's configuration.
type Config struct {
	NotificationsTopicARN string // NOTIFICATIONS_TOPIC_ARN
	QueueURL              string // QUEUE_URL
	DLQURL                string // DLQ_URL
}

// LoadConfig reads the notifier's settings.
func LoadConfig(lookup awsenv.Lookup) (Config, error) {
	topic, err := awsenv.Required(lookup, "NOTIFICATIONS_TOPIC_ARN")
	if err != nil {
		return Config{}, err
	}
	cfg := Config{NotificationsTopicARN: topic}
	cfg.QueueURL, _ = lookup("QUEUE_URL")
	cfg.DLQURL, _ = lookup("DLQ_URL")
	return cfg, nil
}

// SNSAPI is the SNS call the notifier makes; *sns.Client satisfies it.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ SNSAPI = (*sns.Client)(nil)

// Notification is the document published to the notifications topic when
// a request reaches its final status.
type Notification struct {
	RequestID     string          `json:"requestId"`
	Status        status.Status   `json:"status"`
	InstanceIDs   []string        `json:"instanceIds"`
	Error         *status.Failure `json:"error,omitempty"`
	CorrelationID string          `json:"correlationId"`
	// Event is the terminal event type that set the status.
	Event string `json:"event"`
}

// NotificationType is the type attribute of a notification for s.
func NotificationType(s status.Status) string {
	return "notification." + strings.ToLower(string(s))
}

// Store is the part of the status store the notifier uses; *status.Dynamo
// satisfies it.
type Store interface {
	// RecordHop keeps each record\'s handling in the request\'s history.
	consumer.HopRecorder
	Advance(ctx context.Context, id string, t status.Transition) (status.Request, error)
	MarkNotified(ctx context.Context, id string) error
}

var _ Store = (status.Store)(nil)

// Deps are the notifier's collaborators.
type Deps struct {
	SNS    SNSAPI
	Store  Store
	Queue  consumer.Queue   // dead letters and visibility changes
	Logger *slog.Logger     // nil discards
	Clock  func() time.Time // nil means time.Now
}

// Handler is the notifier function.
type Handler struct {
	cfg    Config
	deps   Deps
	runner *consumer.Runner
}

// New returns the notifier handler.
func New(cfg Config, deps Deps) (*Handler, error) {
	switch {
	case deps.SNS == nil:
		return nil, errors.New("notifier: SNS client required")
	case deps.Store == nil:
		return nil, errors.New("notifier: status store required")
	case cfg.NotificationsTopicARN == "":
		return nil, errors.New("notifier: notifications topic required")
	}
	h := &Handler{cfg: cfg, deps: deps}
	runner, err := consumer.New(consumer.Options{
		Function: event.FunctionNotifier,
		Queue:    deps.Queue,
		QueueURL: cfg.QueueURL,
		DLQURL:   cfg.DLQURL,
		Logger:   deps.Logger,
		Clock:    deps.Clock,
		Hops:     deps.Store,
	}, h.notify)
	if err != nil {
		return nil, fmt.Errorf("notifier: %w", err)
	}
	h.runner = runner
	return h, nil
}

// NewFromEnv builds the notifier from its settings.
func NewFromEnv(ctx context.Context, lookup awsenv.Lookup, store status.Store, logs io.Writer) (*Handler, error) {
	cfg, err := LoadConfig(lookup)
	if err != nil {
		return nil, fmt.Errorf("notifier config: %w", err)
	}
	logger, err := awsenv.NewLogger(logs, lookup)
	if err != nil {
		return nil, fmt.Errorf("notifier config: %w", err)
	}
	awsCfg, err := awsenv.Load(ctx, lookup)
	if err != nil {
		return nil, fmt.Errorf("notifier: %w", err)
	}
	return New(cfg, Deps{
		SNS:    sns.NewFromConfig(awsCfg.AWS),
		Queue:  sqs.NewFromConfig(awsCfg.AWS),
		Store:  store,
		Logger: logger,
	})
}

// Handle processes a batch of terminal events.
func (h *Handler) Handle(ctx context.Context, ev lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
	return h.runner.Handle(ctx, ev)
}

// terminalFields are the fields every terminal payload shares by name.
type terminalFields struct {
	RequestID   string   `json:"requestId"`
	InstanceIDs []string `json:"instanceIds"`
	Code        string   `json:"code"`
	Message     string   `json:"message"`
}

// notify handles one terminal event.
func (h *Handler) notify(ctx context.Context, rec consumer.Record) error {
	spec, ok := event.Lookup(rec.Event.Type)
	if !ok || !spec.Terminal {
		// The runner only passes types the notifier consumes; a consumed
		// type that is not terminal is a catalog mistake, not a retry.
		return consumer.Permanent(CodeInvalidPayload, fmt.Errorf("event type %q is not terminal", rec.Event.Type))
	}
	final := status.Status(spec.FinalStatus)
	if !final.Terminal() {
		return consumer.Permanent(CodeInvalidPayload, fmt.Errorf("catalog gives %s the final status %q", spec.Type, spec.FinalStatus))
	}
	if err := rec.Event.DecodeData(spec.NewPayload()); err != nil {
		return consumer.Permanent(CodeInvalidPayload, err)
	}
	var fields terminalFields
	if err := json.Unmarshal(rec.Event.Data, &fields); err != nil {
		return consumer.Permanent(CodeInvalidPayload, fmt.Errorf("%s data: %w", spec.Type, err))
	}
	if fields.RequestID != rec.Event.Subject {
		return consumer.Permanent(CodeInvalidPayload, fmt.Errorf("%s data names request %q, subject is %q", spec.Type, fields.RequestID, rec.Event.Subject))
	}
	t := status.Transition{To: final, Event: spec.Type, At: h.runner.Now(), InstanceIDs: fields.InstanceIDs}
	if final == status.Failed {
		t.Error = &status.Failure{Code: fields.Code, Message: fields.Message}
	}
	req, err := h.deps.Store.Advance(ctx, rec.Event.Subject, t)
	switch {
	case errors.Is(err, status.ErrNotFound):
		return consumer.Permanent(CodeRequestNotFound, fmt.Errorf("close request %s: %w", rec.Event.Subject, err))
	case errors.Is(err, status.ErrNotForward):
		if req.Status != final {
			rec.Logger.WarnContext(ctx, "request already closed by an earlier terminal event; first terminal wins",
				slog.String("status", string(req.Status)), slog.String("refused_status", string(final)))
		}
	case err != nil:
		return fmt.Errorf("advance %s to %s: %w", rec.Event.Subject, final, err)
	}
	if req.Notified {
		rec.Logger.InfoContext(ctx, "already notified", slog.String("status", string(req.Status)))
		return nil
	}
	if !req.Status.Terminal() {
		// ErrNotForward promises a status at or past the target; anything
		// else is a store fault worth a retry, not a wrong notification.
		return fmt.Errorf("request %s is %s after closing it as %s", req.ID, req.Status, final)
	}
	if err := h.publish(ctx, req, rec.Event); err != nil {
		return err
	}
	if err := h.deps.Store.MarkNotified(ctx, req.ID); err != nil {
		return fmt.Errorf("mark %s notified: %w", req.ID, err)
	}
	rec.Logger.InfoContext(ctx, "request closed and notified", slog.String("status", string(req.Status)))
	return nil
}

// publish sends the notification for the request's stored (winning) status.
func (h *Handler) publish(ctx context.Context, req status.Request, env event.Envelope) error {
	n := Notification{
		RequestID:     req.ID,
		Status:        req.Status,
		InstanceIDs:   req.InstanceIDs,
		Error:         req.Error,
		CorrelationID: req.CorrelationID,
		Event:         closingEvent(req, env.Type),
	}
	if n.InstanceIDs == nil {
		n.InstanceIDs = []string{}
	}
	if n.CorrelationID == "" {
		n.CorrelationID = env.CorrelationID
	}
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode notification for %s: %w", req.ID, err)
	}
	attrs := map[string]snstypes.MessageAttributeValue{
		event.AttrType: {DataType: aws.String("String"), StringValue: aws.String(NotificationType(req.Status))},
		AttrStatus:     {DataType: aws.String("String"), StringValue: aws.String(string(req.Status))},
	}
	if n.CorrelationID != "" {
		attrs[event.AttrCorrelationID] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(n.CorrelationID)}
	}
	_, err = h.deps.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(h.cfg.NotificationsTopicARN),
		Message:           aws.String(string(body)),
		MessageAttributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("publish notification for %s: %w", req.ID, err)
	}
	return nil
}

// closingEvent is the terminal event recorded first in the history: the
// one that set the status, which may not be the one being handled.
func closingEvent(req status.Request, fallback string) string {
	for _, h := range req.History {
		if spec, ok := event.Lookup(h.Event); ok && spec.Terminal && slices.Contains(spec.Consumers, event.FunctionNotifier) {
			return h.Event
		}
	}
	return fallback
}
