package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/publish"
	"github.com/eventchain/eventchain/internal/status"
)

// Source is the CloudEvents source of the events the API publishes.
const Source = "eventchain/" + event.FunctionAPI

// Publisher sends envelopes to the events topic. It must be safe for
// concurrent use. When several envelopes are given and only some are
// published, it returns a *publish.BatchError naming the others; any other
// error means none can be assumed published.
type Publisher interface {
	Publish(ctx context.Context, evs ...event.Envelope) error
}

// Deps are the handler's collaborators.
type Deps struct {
	Publisher Publisher
	Store     status.Store
	// Logger defaults to discarding; Clock to time.Now.
	Logger *slog.Logger
	Clock  func() time.Time
}

// Handler answers the HTTP API's requests. It is safe for concurrent use.
type Handler struct {
	cfg      Config
	pub      Publisher
	store    status.Store
	log      *slog.Logger
	now      func() time.Time
	validate validator
	claimTTL time.Duration
}

// New returns a handler; Publisher and Store are required.
func New(cfg Config, deps Deps) (*Handler, error) {
	if deps.Publisher == nil || deps.Store == nil {
		return nil, errors.New("api: Publisher and Store are required")
	}
	if cfg.MaxInstancesPerRequest < 1 || len(cfg.AllowedInstanceTypes) == 0 {
		return nil, errors.New("api: config needs MaxInstancesPerRequest ≥ 1 and allowed instance types (use LoadConfig)")
	}
	h := &Handler{
		cfg: cfg, pub: deps.Publisher, store: deps.Store, log: deps.Logger, now: deps.Clock,
		validate: newValidator(cfg),
		claimTTL: time.Duration(cfg.IdempotencyTTLHours) * time.Hour,
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.claimTTL <= 0 {
		h.claimTTL = DefaultIdempotencyTTLHours * time.Hour
	}
	return h, nil
}

// NewFromEnv builds the handler from lookup: the configuration, an SNS
// client (pointed at AWS_ENDPOINT_URL when set, through awsenv), and
// a JSON logger on stderr at LOG_LEVEL.
func NewFromEnv(ctx context.Context, lookup awsenv.Lookup, store status.Store, logs io.Writer) (*Handler, error) {
	cfg, err := LoadConfig(lookup)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsenv.Load(ctx, lookup)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	client := sns.NewFromConfig(awsCfg.AWS)
	logger, err := awsenv.NewLogger(logs, lookup)
	if err != nil {
		return nil, fmt.Errorf("api config: %w", err)
	}
	return New(cfg, Deps{
		Publisher: publish.NewSNS(client, cfg.EventsTopicARN),
		Store:     store,
		Logger:    logger,
	})
}

// Handle answers one HTTP API request (payload format 2.0). Every outcome,
// failures included, is an HTTP response: a returned error would make API
// Gateway answer its own opaque 500.
func (h *Handler) Handle(ctx context.Context, req lambdaevents.APIGatewayV2HTTPRequest) (lambdaevents.APIGatewayV2HTTPResponse, error) {
	log := h.log.With(slog.String("function", event.FunctionAPI))
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With(slog.String("aws_request_id", lc.AwsRequestID))
	}
	return h.dispatch(ctx, log, req), nil
}

// header returns a request header. API Gateway lower-cases header names in
// payload format 2.0; other fronts may not, so the match ignores case.
func header(req lambdaevents.APIGatewayV2HTTPRequest, name string) (string, bool) {
	if v, ok := req.Headers[strings.ToLower(name)]; ok {
		return v, true
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

func jsonResponse(status int, body any) lambdaevents.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"InternalError","message":"encode response"}}`)
	}
	return lambdaevents.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}
}

func errorResponse(e *apiError) lambdaevents.APIGatewayV2HTTPResponse {
	return jsonResponse(e.Status, map[string]any{"error": e})
}

// retryAfter spreads retries of failed publishes over 1 to 5 seconds, so
// clients that failed together do not all come back in the same second.
func retryAfter() string { return strconv.Itoa(1 + rand.IntN(5)) }

// unavailable answers a transient failure of a dependency.
func unavailable(code, msg string) lambdaevents.APIGatewayV2HTTPResponse {
	resp := errorResponse(&apiError{Status: http.StatusServiceUnavailable, Code: code, Message: msg})
	resp.Headers["Retry-After"] = retryAfter()
	return resp
}

// storeFailure answers a status store error. The store's errors do not
// tell a throttled or unreachable table from anything else, and retrying
// is safe (nothing was published), so the caller is asked to retry.
func storeFailure() lambdaevents.APIGatewayV2HTTPResponse {
	return unavailable(CodeUnavailable, "the status store is unavailable; retry")
}
