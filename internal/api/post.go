package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/publish"
	"github.com/eventchain/eventchain/internal/status"
)

// Request limits.
const (
	// MaxBodyBytes bounds the (decoded) request body.
	MaxBodyBytes = 64 * 1024
	// MaxIdempotencyKeyLen bounds the Idempotency-Key header.
	MaxIdempotencyKeyLen = 255
	// AnonymousCaller scopes Idempotency-Keys of requests that carry no
	// IAM identity (only possible without the IAM authorizer).
	AnonymousCaller = "anonymous"
)

// Headers the API reads or sets.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderCorrelationID  = "X-Correlation-Id"
)

// acceptedItem is one request in a bulk answer.
type acceptedItem struct {
	RequestID string        `json:"requestId"`
	Status    status.Status `json:"status"`
	Location  string        `json:"location"`
}

func location(id string) string { return launchesPath + "/" + id }

// post accepts one or many launches: validate, claim the Idempotency-Key,
// record PENDING, publish launch.requested, mark ACCEPTED, answer 202.
func (h *Handler) post(ctx context.Context, log *slog.Logger, req lambdaevents.APIGatewayV2HTTPRequest) lambdaevents.APIGatewayV2HTTPResponse {
	refuse := func(e *apiError) lambdaevents.APIGatewayV2HTTPResponse {
		// The code only: fields and messages can quote what the caller sent.
		log.Info("launch request refused", slog.Int("status", e.Status), slog.String("code", e.Code))
		return errorResponse(e)
	}
	body, aerr := readBody(req)
	if aerr != nil {
		return refuse(aerr)
	}
	key, hasKey, aerr := idempotencyKey(req)
	if aerr != nil {
		return refuse(aerr)
	}
	lr, aerr := h.validate.parse(body)
	if aerr != nil {
		return refuse(aerr)
	}
	corr := correlationID(req)
	scope := callerScope(req)
	now := h.now()
	ids := make([]string, len(lr.Launches))
	for i := range ids {
		ids[i] = event.NewID()
	}

	replay := false
	if hasKey {
		claim := status.Claim{
			Scope: scope, Key: key, BodyHash: hashOf(lr),
			RequestIDs: ids, CreatedAt: now, ExpiresAt: now.Add(h.claimTTL),
		}
		existing, won, err := h.store.ClaimKey(ctx, claim)
		if err != nil {
			log.Error("claim idempotency key", slog.String("error", err.Error()))
			return storeFailure()
		}
		if !won {
			if existing.BodyHash != claim.BodyHash || len(existing.RequestIDs) != len(ids) {
				return refuse(&apiError{
					Status: http.StatusUnprocessableEntity, Code: CodeIdempotencyKeyReused,
					Message: "this Idempotency-Key was used with a different request body",
				})
			}
			ids, replay = existing.RequestIDs, true
		}
	}

	recs, err := h.record(ctx, lr, ids, corr, scope, now, replay)
	if err != nil {
		log.Error("record launch requests", slog.String("error", err.Error()))
		return storeFailure()
	}
	corr = recs[0].CorrelationID // a replay answers with the first attempt's
	states, eventIDs, failed, err := h.publishPending(ctx, log, recs, now)
	if err != nil {
		log.Error("republish stored launch requests", slog.String("error", err.Error()))
		return errorResponse(&apiError{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"})
	}
	if failed > 0 && !hasKey {
		// Nothing will ever republish these: without a key the client's
		// retry is a new POST with new ids. Close them as FAILED rather
		// than leave them PENDING forever.
		h.failUnpublished(ctx, log, recs, states, eventIDs, now)
	}

	var resp lambdaevents.APIGatewayV2HTTPResponse
	switch {
	case failed > 0:
		e := &apiError{
			Status: http.StatusServiceUnavailable, Code: CodePublishFailed,
			Message: fmt.Sprintf("%d of %d launch requests could not be published and stay PENDING; retry with the same Idempotency-Key to publish them", failed, len(recs)),
		}
		if !hasKey {
			e.Message = fmt.Sprintf("%d of %d launch requests could not be published and are FAILED; retry with a new POST (send an Idempotency-Key to keep the same request ids)", failed, len(recs))
		}
		out := map[string]any{"error": e}
		if lr.Bulk {
			out["requests"] = items(ids, states)
		} else {
			out["requestId"], out["status"] = ids[0], states[0]
		}
		resp = jsonResponse(http.StatusServiceUnavailable, out)
		resp.Headers["Retry-After"] = retryAfter()
	case lr.Bulk:
		resp = jsonResponse(http.StatusAccepted, map[string]any{"requests": items(ids, states)})
	default:
		resp = jsonResponse(http.StatusAccepted, map[string]any{"requestId": ids[0], "status": states[0]})
		resp.Headers["Location"] = location(ids[0])
	}
	resp.Headers[HeaderCorrelationID] = corr
	for i, id := range ids {
		log.Info("launch request", slog.String("request_id", id), slog.String("correlation_id", corr),
			slog.String("event_id", eventIDs[i]), slog.String("event_type", event.TypeLaunchRequested),
			slog.String("status", string(states[i])), slog.Bool("replay", replay))
	}
	return resp
}

// failUnpublished moves the requests left PENDING by a failed publish to
// FAILED (code PublishFailed) and updates their answered status. A store
// error leaves that request PENDING and is logged.
func (h *Handler) failUnpublished(ctx context.Context, log *slog.Logger, recs []status.Request, states []status.Status, eventIDs []string, now time.Time) {
	for i, r := range recs {
		if states[i] != status.Pending {
			continue
		}
		_, err := h.store.Advance(ctx, r.ID, status.Transition{
			To: status.Failed, Event: event.TypeLaunchFailed, At: now,
			Error: &status.Failure{Code: CodePublishFailed, Message: "launch.requested could not be published; the request was not started"},
		})
		switch {
		case err == nil:
			states[i] = status.Failed
		case errors.Is(err, status.ErrNotForward):
			// Published after all and moved on by the launcher: keep
			// what the store says.
			if cur, gerr := h.store.Get(ctx, r.ID); gerr == nil {
				states[i] = cur.Status
			}
		default:
			log.Error("mark unpublished request failed", slog.String("request_id", r.ID),
				slog.String("correlation_id", r.CorrelationID), slog.String("event_id", eventIDs[i]),
				slog.String("error", err.Error()))
		}
	}
}

func items(ids []string, states []status.Status) []acceptedItem {
	out := make([]acceptedItem, len(ids))
	for i, id := range ids {
		out[i] = acceptedItem{RequestID: id, Status: states[i], Location: location(id)}
	}
	return out
}

// record makes sure the requests ids name are stored and returns them as
// stored. A first attempt creates them; a replay reads them back. If a
// claim's requests are missing (its winner is still on its way, or died
// between claiming and recording) they are recorded from this body, which
// hashes the same; whichever Create wins, both read the same records.
func (h *Handler) record(ctx context.Context, lr launchRequest, ids []string, corr, scope string, now time.Time, replay bool) ([]status.Request, error) {
	if !replay {
		recs, err := h.newRequests(lr, ids, corr, scope, now)
		if err != nil {
			return nil, err
		}
		err = h.store.Create(ctx, recs...)
		if err == nil {
			return recs, nil
		}
		if !errors.Is(err, status.ErrExists) {
			return nil, fmt.Errorf("create %d requests: %w", len(recs), err)
		}
		// Fresh random ids exist only if a concurrent replay recorded them.
	}
	recs, missing, err := h.load(ctx, ids)
	if err != nil || missing == 0 {
		return recs, err
	}
	if missing != len(ids) {
		return nil, fmt.Errorf("%d of the %d requests of a claim are missing", missing, len(ids))
	}
	recs, err = h.newRequests(lr, ids, corr, scope, now)
	if err != nil {
		return nil, err
	}
	if err := h.store.Create(ctx, recs...); err == nil {
		return recs, nil
	} else if !errors.Is(err, status.ErrExists) {
		return nil, fmt.Errorf("create %d claimed requests: %w", len(recs), err)
	}
	recs, missing, err = h.load(ctx, ids)
	if err == nil && missing > 0 {
		err = fmt.Errorf("%d claimed requests still missing after a conflicting create", missing)
	}
	return recs, err
}

// load reads the requests; missing counts those not found.
func (h *Handler) load(ctx context.Context, ids []string) ([]status.Request, int, error) {
	recs := make([]status.Request, len(ids))
	missing := 0
	for i, id := range ids {
		r, err := h.store.Get(ctx, id)
		switch {
		case errors.Is(err, status.ErrNotFound):
			missing++
		case err != nil:
			return nil, 0, fmt.Errorf("get request %s: %w", id, err)
		}
		recs[i] = r
	}
	return recs, missing, nil
}

// newRequests builds the PENDING records, each holding the launch.requested
// envelope it will be published as (and republished as, byte for byte).
func (h *Handler) newRequests(lr launchRequest, ids []string, corr, scope string, now time.Time) ([]status.Request, error) {
	recs := make([]status.Request, len(ids))
	for i, l := range lr.Launches {
		l.RequestID = ids[i]
		ev, err := event.New(event.TypeLaunchRequested, event.Meta{
			Source: Source, Subject: ids[i], CorrelationID: corr, Time: now,
		}, l)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("encode launch.requested for %s: %w", ids[i], err)
		}
		recs[i] = status.Request{
			ID: ids[i], Status: status.Pending, CorrelationID: corr, Caller: scope,
			InstanceIDs: []string{}, History: []status.HistoryEntry{},
			Event: b, CreatedAt: now, UpdatedAt: now,
		}
	}
	return recs, nil
}

// publishPending publishes the stored envelopes of the PENDING requests
// and marks the published ones ACCEPTED. It returns each request's status
// for the answer (ACCEPTED once published; a request that was not PENDING,
// as on an Idempotency-Key replay, answers its stored status: ACCEPTED,
// LAUNCHING, RUNNING or FAILED), each request's launch.requested event id,
// and how many stay PENDING.
func (h *Handler) publishPending(ctx context.Context, log *slog.Logger, recs []status.Request, now time.Time) ([]status.Status, []string, int, error) {
	states := make([]status.Status, len(recs))
	eventIDs := make([]string, len(recs))
	var evs []event.Envelope
	var at []int // evs[k] belongs to recs[at[k]]
	for i, r := range recs {
		ev, err := event.Decode(r.Event)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("stored event of %s: %w", r.ID, err)
		}
		eventIDs[i] = ev.ID
		if r.Status != status.Pending {
			states[i] = r.Status
			continue
		}
		evs = append(evs, ev)
		at = append(at, i)
	}
	if len(evs) == 0 {
		return states, eventIDs, 0, nil
	}
	failedAt := map[int]bool{}
	if err := h.pub.Publish(ctx, evs...); err != nil {
		var be *publish.BatchError
		if errors.As(err, &be) {
			for _, f := range be.Failures {
				failedAt[f.Index] = true
				log.Warn("publish launch.requested", slog.String("request_id", recs[at[f.Index]].ID),
					slog.String("correlation_id", recs[at[f.Index]].CorrelationID),
					slog.String("event_id", f.EnvelopeID), slog.String("event_type", event.TypeLaunchRequested),
					slog.String("code", f.Code), slog.String("error", f.Message))
			}
		} else {
			for k, ev := range evs {
				failedAt[k] = true
				log.Warn("publish launch.requested", slog.String("request_id", recs[at[k]].ID),
					slog.String("correlation_id", recs[at[k]].CorrelationID),
					slog.String("event_id", ev.ID), slog.String("event_type", event.TypeLaunchRequested),
					slog.String("error", err.Error()))
			}
		}
	}
	failed := 0
	for k, ev := range evs {
		i := at[k]
		if failedAt[k] {
			states[i] = status.Pending
			failed++
			continue
		}
		states[i] = status.Accepted
		_, err := h.store.Advance(ctx, recs[i].ID, status.Transition{To: status.Accepted, Event: event.TypeLaunchRequested, At: now})
		if err != nil && !errors.Is(err, status.ErrNotForward) {
			// Published all the same: the launcher moves it on, and a
			// retry with the key would only republish the same event.
			log.Error("mark request accepted", slog.String("request_id", recs[i].ID),
				slog.String("correlation_id", recs[i].CorrelationID), slog.String("event_id", ev.ID),
				slog.String("error", err.Error()))
		}
	}
	return states, eventIDs, failed, nil
}

// readBody checks the content type and size and returns the decoded body.
func readBody(req lambdaevents.APIGatewayV2HTTPRequest) ([]byte, *apiError) {
	ct, _ := header(req, "Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return nil, &apiError{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
			Message: "Content-Type must be application/json"}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, &apiError{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
			Message: "the body must be UTF-8 (charset=utf-8)"}
	}
	tooLarge := &apiError{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge,
		Message: fmt.Sprintf("the body must be at most %d bytes", MaxBodyBytes)}
	if !req.IsBase64Encoded {
		if len(req.Body) > MaxBodyBytes {
			return nil, tooLarge
		}
		return []byte(req.Body), nil
	}
	// API Gateway base64-encodes bodies it deems binary; bound the
	// encoded size before decoding anything.
	if len(req.Body) > base64.StdEncoding.EncodedLen(MaxBodyBytes) {
		return nil, tooLarge
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, badJSON("", "the body is marked base64-encoded but is not valid base64")
	}
	if len(b) > MaxBodyBytes {
		return nil, tooLarge
	}
	return b, nil
}

// idempotencyKey returns the Idempotency-Key header, if any: 1 to 255
// printable ASCII characters.
func idempotencyKey(req lambdaevents.APIGatewayV2HTTPRequest) (string, bool, *apiError) {
	k, ok := header(req, HeaderIdempotencyKey)
	if !ok {
		return "", false, nil
	}
	bad := &apiError{Status: http.StatusBadRequest, Code: CodeInvalidHeader, Field: HeaderIdempotencyKey,
		Message: fmt.Sprintf("%s must be 1 to %d printable ASCII characters", HeaderIdempotencyKey, MaxIdempotencyKeyLen)}
	if len(k) < 1 || len(k) > MaxIdempotencyKeyLen {
		return "", false, bad
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return "", false, bad
		}
	}
	return k, true, nil
}

// correlationID continues the caller's correlation id when it is a
// well-formed id, and starts a new one otherwise.
func correlationID(req lambdaevents.APIGatewayV2HTTPRequest) string {
	if v, ok := header(req, HeaderCorrelationID); ok {
		if v = strings.ToLower(strings.TrimSpace(v)); event.ValidID(v) {
			return v
		}
	}
	return event.NewID()
}

// callerScope is the IAM identity an Idempotency-Key (and read access to
// a request) is scoped to.
func callerScope(req lambdaevents.APIGatewayV2HTTPRequest) string {
	if a := req.RequestContext.Authorizer; a != nil && a.IAM != nil {
		if a.IAM.UserARN != "" {
			return a.IAM.UserARN
		}
		if a.IAM.AccountID != "" || a.IAM.CallerID != "" {
			return a.IAM.AccountID + ":" + a.IAM.CallerID
		}
	}
	return AnonymousCaller
}

// hashOf is the body hash an Idempotency-Key claim binds.
func hashOf(lr launchRequest) string {
	sum := sha256.Sum256(lr.canonical())
	return hex.EncodeToString(sum[:])
}
