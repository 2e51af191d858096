package api

import "net/http"

// Error codes in {"error": {"code": …}} bodies.
const (
	CodeMalformedJSON        = "MalformedJSON"
	CodeUnknownField         = "UnknownField"
	CodeWrongType            = "WrongType"
	CodeMissingField         = "MissingField"
	CodeInvalidValue         = "InvalidValue"
	CodeNotAllowed           = "NotAllowed"
	CodeBodyTooLarge         = "BodyTooLarge"
	CodeUnsupportedMediaType = "UnsupportedMediaType"
	CodeInvalidHeader        = "InvalidHeader"
	CodeIdempotencyKeyReused = "IdempotencyKeyReused"
	CodeNotFound             = "NotFound"
	CodeMethodNotAllowed     = "MethodNotAllowed"
	CodePublishFailed        = "PublishFailed"
	CodeUnavailable          = "Unavailable"
	CodeInternal             = "InternalError"
)

// apiError is an error answered to the caller. Details lists every bad
// item of a rejected bulk request; the top-level fields repeat the first.
type apiError struct {
	Status  int          `json:"-"`
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Field   string       `json:"field,omitempty"`
	Details []fieldError `json:"details,omitempty"`
}

// fieldError is one entry of apiError.Details.
type fieldError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func invalid(code, field, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Field: field, Message: msg}
}

func badJSON(field, msg string) *apiError { return invalid(CodeMalformedJSON, field, msg) }
