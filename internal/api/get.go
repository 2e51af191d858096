package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
)

// statusBody is the answer to GET /launches/{requestId}.
type statusBody struct {
	RequestID   string                `json:"requestId"`
	Status      status.Status         `json:"status"`
	InstanceIDs []string              `json:"instanceIds"`
	Error       *status.Failure       `json:"error,omitempty"`
	History     []status.HistoryEntry `json:"history"`
	CreatedAt   time.Time             `json:"createdAt"`
	UpdatedAt   time.Time             `json:"updatedAt"`
}

// get answers a request's status. A malformed id cannot exist, so it is
// answered 404 without reading the store; so is a request recorded for
// another caller, which must not learn that it exists.
func (h *Handler) get(ctx context.Context, log *slog.Logger, req events.APIGatewayV2HTTPRequest, id string) events.APIGatewayV2HTTPResponse {
	notFound := errorResponse(&apiError{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such launch request"})
	if !event.ValidID(id) {
		return notFound
	}
	r, err := h.store.Get(ctx, id)
	switch {
	case errors.Is(err, status.ErrNotFound):
		return notFound
	case err != nil:
		log.Error("get launch request", slog.String("request_id", id), slog.String("error", err.Error()))
		return storeFailure()
	}
	if r.Caller != "" && r.Caller != callerScope(req) {
		return notFound
	}
	body := statusBody{
		RequestID: r.ID, Status: r.Status, InstanceIDs: r.InstanceIDs, Error: r.Error,
		History: r.History, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if body.InstanceIDs == nil {
		body.InstanceIDs = []string{}
	}
	if body.History == nil {
		body.History = []status.HistoryEntry{}
	}
	resp := jsonResponse(http.StatusOK, body)
	resp.Headers["Cache-Control"] = "no-store"
	if r.CorrelationID != "" {
		resp.Headers[HeaderCorrelationID] = r.CorrelationID
	}
	log.Debug("launch request read", slog.String("request_id", id), slog.String("correlation_id", r.CorrelationID))
	return resp
}
