package ec2

import "github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"

// fault is an injected error: the next Remaining calls of Action answer
// Code instead of doing their work.
type fault struct {
	Action    string
	Code      string
	Message   string
	Remaining int
}

// InjectFailure makes the next n calls of action ("RunInstances",
// "DescribeInstances" or "TerminateInstances") answer the error code, with
// the HTTP status AWS uses for it (InsufficientInstanceCapacity: 500,
// InvalidAMIID.NotFound: 400, …). Calls that fail validation, dry runs and
// RunInstances retries answered from a known ClientToken do not consume an
// injected failure, as none of them would reach capacity on AWS. Failures
// queue up in the order injected.
func (s *Service) InjectFailure(action, code string, n int) {
	s.InjectFailureMessage(action, code, "", n)
}

// InjectFailureMessage is InjectFailure with a chosen error message; an
// empty message picks one like AWS's.
func (s *Service) InjectFailureMessage(action, code, message string, n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{Action: action, Code: code, Message: message, Remaining: n})
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

// ClearFailures drops every injected failure and launch failure rule.
func (s *Service) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	clear(s.imageFaults)
}

// takeFault consumes the first pending fault for action, if any. The
// caller holds s.mu.
func (s *Service) takeFault(action, instanceType string) *awsproto.Error {
	for i := range s.faults {
		f := &s.faults[i]
		if f.Action != action || f.Remaining == 0 {
			continue
		}
		f.Remaining--
		msg := f.Message
		if msg == "" {
			msg = defaultMessage(f.Code, instanceType)
		}
		aerr := errorf(f.Code, "%s", msg)
		if f.Remaining == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return aerr
	}
	return nil
}
