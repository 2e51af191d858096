package ec2

import (
	"context"

	"github.com/eventchain/eventchain/infra/localcloud/faults"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// InjectFailure makes the next n calls of action ("RunInstances",
// "DescribeInstances" or "TerminateInstances") answer the error code, with
// the HTTP status AWS uses for it (InsufficientInstanceCapacity: 500,
// InvalidAMIID.NotFound: 400, …). It is the fault ec2:ACTION:CODE:N of
// the emulator's fault injection, kept under its older name. Calls that
// fail validation, dry runs and RunInstances retries answered from a known
// ClientToken do not consume an injected failure, as none of them would
// reach capacity on AWS. Failures queue up in the order injected.
func (s *Service) InjectFailure(action, code string, n int) {
	s.InjectFailureMessage(action, code, "", n)
}

// InjectFailureMessage is InjectFailure with a chosen error message; an
// empty message picks one like AWS's. n may be faults.UntilCleared.
func (s *Service) InjectFailureMessage(action, code, message string, n int) {
	if n <= 0 && n != faults.UntilCleared {
		return
	}
	s.wire.InjectFault(faults.Fault{Operation: action, Code: code, Message: message, Count: n})
}

// FailLaunches makes every instance launched from imageID from now on die at
// the end of its boot: it goes pending → shutting-down → terminated with
// reason as its StateReason (e.g. Server.InternalError,
// Client.VolumeLimitExceeded) instead of running.
func (s *Service) FailLaunches(imageID string, reason StateReason) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.imageFaults[imageID] = reason
}

// ValidImageID reports whether RunInstances accepts id as an image id:
// ami- and 8 or 17 lowercase hex digits.
func ValidImageID(id string) bool { return imageIDPattern.MatchString(id) }

// ClearFailures drops every injected failure and launch failure rule.
func (s *Service) ClearFailures() {
	s.wire.ClearFaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.imageFaults)
}

// takeFault consumes the pending injected fault of the operation serving
// ctx, if any, in EC2's words when it was given no message.
func takeFault(ctx context.Context, instanceType string) *awsproto.Error {
	e := awsproto.InjectedFault(ctx)
	if e != nil && e.Message == "" {
		e.Message = defaultMessage(e.Code, instanceType)
	}
	return e
}
