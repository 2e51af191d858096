package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
)

// statusBody is the answer to GET /launches/{requestId}: the request, its
// status changes (history) and every function's handling of its events
// (hops: retries and their reasons, durations, time queued).
type statusBody struct {
	requestSummary
	History []status.HistoryEntry `json:"history"`
	Hops    []status.Hop          `json:"hops"`
}

// requestSummary is a request as GET /launches lists it.
type requestSummary struct {
	RequestID   string          `json:"requestId"`
	Status      status.Status   `json:"status"`
	InstanceIDs []string        `json:"instanceIds"`
	Error       *status.Failure `json:"error,omitempty"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

func summary(r status.Request) requestSummary {
	s := requestSummary{
		RequestID: r.ID, Status: r.Status, InstanceIDs: r.InstanceIDs, Error: r.Error,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if s.InstanceIDs == nil {
		s.InstanceIDs = []string{}
	}
	return s
}

// retryAfterWhilePending tells a caller polling a request that is not
// terminal when to look again: soon while it waits for the launcher, at the
// watcher's first backoff once instances are pending.
func retryAfterWhilePending(st status.Status) string {
	switch {
	case st.Terminal():
		return ""
	case st == status.Launching:
		return "5"
	}
	return "2"
}

// get answers a request's status. A malformed id cannot exist, so it is
// answered 404 without reading the store; so is a request recorded for
// another caller, which must not learn that it exists.
func (h *Handler) get(ctx context.Context, log *slog.Logger, req lambdaevents.APIGatewayV2HTTPRequest) lambdaevents.APIGatewayV2HTTPResponse {
	id := req.PathParameters["requestId"]
	if !event.ValidID(id) {
		return notFound("no such launch request")
	}
	r, err := h.store.Get(ctx, id)
	switch {
	case errors.Is(err, status.ErrNotFound):
		return notFound("no such launch request")
	case err != nil:
		log.Error("get launch request", slog.String("request_id", id), slog.String("error", err.Error()))
		return storeFailure()
	}
	if r.Caller != "" && r.Caller != callerScope(req) {
		return notFound("no such launch request")
	}
	body := statusBody{requestSummary: summary(r), History: r.History, Hops: r.Hops}
	if body.History == nil {
		body.History = []status.HistoryEntry{}
	}
	if body.Hops == nil {
		body.Hops = []status.Hop{}
	}
	resp := jsonResponse(http.StatusOK, body)
	resp.Headers["Cache-Control"] = "no-store"
	if after := retryAfterWhilePending(r.Status); after != "" {
		resp.Headers["Retry-After"] = after
	}
	if r.CorrelationID != "" {
		resp.Headers[HeaderCorrelationID] = r.CorrelationID
	}
	log.Debug("launch request read", slog.String("request_id", id), slog.String("correlation_id", r.CorrelationID))
	return resp
}

// listBody is the answer to GET /launches.
type listBody struct {
	Launches []requestSummary `json:"launches"`
	// Next, when present, is the next query's "next" parameter.
	Next string `json:"next,omitempty"`
}

// list answers the caller's requests, newest first:
// GET /launches?status=RUNNING&limit=20&next=<token>. A caller sees only
// its own requests, as GET by id shows only its own.
func (h *Handler) list(ctx context.Context, log *slog.Logger, req lambdaevents.APIGatewayV2HTTPRequest) lambdaevents.APIGatewayV2HTTPResponse {
	q, apiErr := listQuery(req.QueryStringParameters)
	if apiErr != nil {
		return errorResponse(apiErr)
	}
	q.Caller = callerScope(req)
	page, err := h.store.List(ctx, q)
	switch {
	case errors.Is(err, status.ErrInvalid):
		// The parameters were checked above; only a token can get here.
		return errorResponse(invalid(CodeInvalidValue, "next", "next is not a token this API returned"))
	case err != nil:
		log.Error("list launch requests", slog.String("error", err.Error()))
		return storeFailure()
	}
	body := listBody{Launches: make([]requestSummary, len(page.Requests)), Next: page.Next}
	for i, r := range page.Requests {
		body.Launches[i] = summary(r)
	}
	resp := jsonResponse(http.StatusOK, body)
	resp.Headers["Cache-Control"] = "no-store"
	return resp
}

// listQuery reads GET /launches' parameters; each error names its
// parameter.
func listQuery(params map[string]string) (status.ListQuery, *apiError) {
	var q status.ListQuery
	for _, name := range slices.Sorted(maps.Keys(params)) {
		v := params[name]
		switch name {
		case "status":
			q.Status = status.Status(v)
			if !q.Status.Valid() {
				return q, invalid(CodeInvalidValue, name, fmt.Sprintf("status must be one of %s, %s, %s, %s or %s",
					status.Pending, status.Accepted, status.Launching, status.Running, status.Failed))
			}
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > status.MaxListLimit {
				return q, invalid(CodeInvalidValue, name, fmt.Sprintf("limit must be a whole number from 1 to %d", status.MaxListLimit))
			}
			q.Limit = n
		case "next":
			if v == "" {
				return q, invalid(CodeInvalidValue, name, "next must be the token a previous page returned")
			}
			q.Next = v
		default:
			return q, invalid(CodeUnknownField, name, fmt.Sprintf("unknown query parameter %q; use status, limit or next", name))
		}
	}
	return q, nil
}
