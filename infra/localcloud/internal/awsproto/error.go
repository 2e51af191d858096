package awsproto

import (
	"fmt"
	"net/http"
)

// Error is an error answered to the client, in whatever protocol the
// request came in.
type Error struct {
	Status int
	// Code is the error's name: the modelled shape of JSON and CBOR
	// services (their __type), the query Code otherwise.
	Code string
	// QueryCode is the legacy query code an awsQueryCompatible service
	// also sends (x-amzn-query-error); empty means Code.
	QueryCode string
	Message   string
	// Fields are further members of a JSON error document, for errors
	// whose model carries more than a message (DynamoDB's Item and
	// CancellationReasons); the other protocols leave them out.
	Fields map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Sender reports whether the client is at fault (a 4xx status).
func (e *Error) Sender() bool { return e.Status < http.StatusInternalServerError }

// Query is the code the query protocol and x-amzn-query-error carry.
func (e *Error) Query() string {
	if e.QueryCode != "" {
		return e.QueryCode
	}
	return e.Code
}

func (e *Error) fault() string {
	if e.Sender() {
		return "Sender"
	}
	return "Receiver"
}

// Errorf returns an Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// The errors the layer answers itself, before a service sees a request.

func unknownOperation(p Protocol, service, op string) *Error {
	if p.kind() == kindQuery {
		if op == "" {
			return Errorf(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter Action.")
		}
		return Errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for localcloud's %s.", op, service)
	}
	return &Error{Status: http.StatusBadRequest, Code: "UnknownOperationException", QueryCode: "InvalidAction",
		Message: fmt.Sprintf("localcloud's %s has no operation %q.", service, op)}
}

func malformed(p Protocol, err error) *Error {
	if p.kind() == kindQuery {
		return Errorf(http.StatusBadRequest, "MalformedQueryString", "The request could not be parsed: %v", err)
	}
	return Errorf(http.StatusBadRequest, "SerializationException", "cannot read request: %v", err)
}

func busy() *Error {
	return Errorf(http.StatusServiceUnavailable, "ServiceUnavailable", "localcloud holds too many large request bodies at once; retry later.")
}

// Internal wraps an unexpected failure of the emulator itself.
func Internal(err error) *Error {
	return Errorf(http.StatusInternalServerError, "InternalError", "localcloud: %v", err)
}
