package awsproto

import (
	"context"
	"slices"

	"github.com/eventchain/eventchain/infra/localcloud/faults"
)

// InjectFault makes the next f.Count calls of f.Operation (every call,
// for faults.UntilCleared) answer f.Code, before the operation runs: an
// AWS error in the request's protocol, with the status FaultStatus gives
// the code. f.Service is taken to be this service. Whether the operation
// exists is the caller's to check (HasOp). A fault with a zero Count does
// nothing.
func (s *Service) InjectFault(f faults.Fault) {
	f.Service = s.Name
	s.faults.Add(f)
}

// Faults returns the service's pending faults, with their counts left.
func (s *Service) Faults() []faults.Fault { return s.faults.List() }

// ClearFaults drops every pending fault.
func (s *Service) ClearFaults() { s.faults.Clear() }

// HasOp reports whether the service declares the operation.
func (s *Service) HasOp(name string) bool {
	return slices.ContainsFunc(s.Ops, func(op Operation) bool { return op.Name == name })
}

// OpNames lists the operations the service declares.
func (s *Service) OpNames() []string {
	names := make([]string, len(s.Ops))
	for i, op := range s.Ops {
		names[i] = op.Name
	}
	return names
}

// takeFault consumes the first pending fault of op, if any. The error's
// message is empty when the fault chose none.
func (s *Service) takeFault(op string) *Error {
	f, ok := s.faults.Take(func(f faults.Fault) bool { return f.Operation == op })
	if !ok {
		return nil
	}
	status := faults.Status(f.Code)
	if s.FaultStatus != nil {
		status = s.FaultStatus(f.Code)
	}
	return &Error{Status: status, Code: f.Code, Message: f.Message}
}

// injectFault answers the operation's injected fault, if one is pending:
// it runs in dispatch, once the request has decoded, so that a malformed
// request, which AWS would refuse before its capacity matters, does not
// use one up.
func (s *Service) injectFault(op string) *Error {
	e := s.takeFault(op)
	if e != nil && e.Message == "" {
		e.Message = faults.DefaultMessage(e.Code)
	}
	return e
}

type faultKey struct{}

// faultTaker lets an operation declared with OwnFaults consume its
// fault where it chooses.
type faultTaker struct {
	svc *Service
	op  string
}

// InjectedFault consumes the pending injected fault of the operation
// serving ctx, if there is one, for operations declared with OwnFaults,
// which call it at the point where the call would reach the service's
// capacity. The error's Message is empty when the fault chose none: the
// operation fills one in. Outside such operations it returns nil.
func InjectedFault(ctx context.Context) *Error {
	t, ok := ctx.Value(faultKey{}).(faultTaker)
	if !ok {
		return nil
	}
	return t.svc.takeFault(t.op)
}
