package consumer

import (
	"errors"
	"time"
)

// TransientError marks a failure that may succeed later (throttling, missing
// capacity, eventual consistency). The runner reports the record as a batch
// item failure after setting its visibility timeout, so SQS brings it back
// after that delay rather than after the queue's whole visibility timeout.
type TransientError struct {
	Err error
	// Delay zero (the rule for errors) takes the runner's retry schedule
	// (Options.Backoff) at the record's receive count. A positive Delay is
	// a wait whose length the handler knows better than any error
	// schedule, such as the watcher's wait for instances still booting.
	Delay time.Duration
	// Code names the reason in the request's hops ("InstancesPending");
	// empty takes the AWS error code of Err, if any.
	Code string
}

// Transient wraps err as a TransientError; delay zero backs off on the
// runner's retry schedule (see TransientError.Delay).
func Transient(err error, delay time.Duration) error {
	if err == nil {
		err = errors.New("transient failure")
	}
	return &TransientError{Err: err, Delay: delay}
}

// TransientCode is Transient with a reason code for the request's hops.
func TransientCode(code string, err error, delay time.Duration) error {
	t := Transient(err, delay).(*TransientError)
	t.Code = code
	return t
}

func (e *TransientError) Error() string { return "transient: " + e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *TransientError) Unwrap() error { return e.Err }

// PermanentError marks a record that can never be processed (a payload that
// contradicts its envelope, a request the status store does not know). The
// runner sends it to the dead-letter queue with Code and the error message
// as reason attributes, and acknowledges it.
//
// Failures that the pipeline itself reports (an EC2 parameter EC2 refuses
// becomes launch.failed) are not PermanentErrors: the handler publishes the
// failure event and returns nil.
type PermanentError struct {
	Code string
	Err  error
}

// Permanent wraps err as a PermanentError with a short reason code such as
// "RequestNotFound".
func Permanent(code string, err error) error {
	if err == nil {
		err = errors.New(code)
	}
	return &PermanentError{Code: code, Err: err}
}

func (e *PermanentError) Error() string { return "permanent (" + e.Code + "): " + e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Reason codes the runner itself writes in the error.code attribute of a
// dead-lettered record.
const (
	// CodeMalformed: the body is not a valid envelope (event.ErrMalformed).
	CodeMalformed = "MalformedEvent"
	// CodeTypeMismatch: the `type` message attribute contradicts the envelope.
	CodeTypeMismatch = "TypeMismatch"
	// CodeUnexpectedType: the event type is not one this function consumes.
	CodeUnexpectedType = "UnexpectedEventType"
)

// Outcomes logged per record.
const (
	OutcomeAcked        = "acked"
	OutcomeRetry        = "retry"
	OutcomeDeadLettered = "dead_lettered"
	OutcomeFailed       = "failed"
	OutcomePanic        = "panic"
	OutcomeSkipped      = "skipped"
)
