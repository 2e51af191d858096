package awsproto

import (
	"context"
	"fmt"
	"net/http"

	"github.com/eventchain/eventchain/infra/localcloud/faults"
	"github.com/eventchain/eventchain/infra/localcloud/stats"
)

// Protocol is one wire protocol a service speaks: JSON10, CBOR, Query or
// EC2Query.
type Protocol interface {
	kind() kind
	// decode reads the input of an operation.
	decode(req *request, in any) *Error
	writeResult(w http.ResponseWriter, req *request, out any)
	writeError(w http.ResponseWriter, req *request, e *Error)
}

// kind groups protocols by how a request says which operation it is.
type kind int

const (
	kindJSON  kind = iota // X-Amz-Target: <prefix>.<Op>
	kindCBOR              // POST /service/<name>/operation/<Op>
	kindQuery             // Action=<Op>&Version=<date>
)

// request is one request as the router read it.
type request struct {
	id   string
	op   string
	body []byte
	form Form // query protocols only
	http *http.Request
}

// Operation is one entry of a service's operation table; build it with Op.
type Operation struct {
	Name      string
	newInput  func() any
	call      func(ctx context.Context, in any) (any, *Error)
	ownFaults bool
}

// OwnFaults returns the operation declared to consume its injected faults
// itself, through InjectedFault, instead of before it runs: for an
// operation some of whose calls never reach what a fault stands for (EC2's
// dry runs and idempotent retries).
func (o Operation) OwnFaults() Operation {
	o.ownFaults = true
	return o
}

// Op declares the operation name, served by h. In is what JSON and CBOR
// decode into by its json tags; a query service's In also implements
// QueryInput. Out is encoded by its json tags (JSON, CBOR) or xml tags
// (query); a nil *Out answers an empty result.
func Op[In, Out any](name string, h func(ctx context.Context, in *In) (*Out, *Error)) Operation {
	return Operation{
		Name:     name,
		newInput: func() any { return new(In) },
		call: func(ctx context.Context, in any) (any, *Error) {
			out, err := h(ctx, in.(*In))
			if err != nil {
				return nil, err
			}
			if out == nil {
				return nil, nil
			}
			return out, nil
		},
	}
}

// QueryInput is an operation input that reads itself from a query form.
type QueryInput interface {
	FromQuery(f Form) *Error
}

// Service declares one emulated service: the protocols it speaks and its
// operation table.
type Service struct {
	// Name is the service's signing name (sqs, sns, ec2, sts): requests
	// signed for it go to it.
	Name      string
	Protocols []Protocol
	// MaxBody bounds a request body; 0 means the protocol's limit.
	MaxBody  int64
	Ops      []Operation
	Counters *stats.Counters
	// Admit, when set, runs before every operation, known or not, and
	// answers its error instead of the operation (EC2's rate limit).
	Admit func(op string) *Error
	// FaultStatus, when set, gives the HTTP status of an injected error
	// code, for a service whose statuses differ from the common ones
	// (faults.Status).
	FaultStatus func(code string) int

	ops    map[string]*Operation
	faults faults.Pending[faults.Fault]
}

// unsupported counts the calls of operations a service does not have.
const unsupported = "Unsupported"

func (s *Service) init() {
	s.ops = make(map[string]*Operation, len(s.Ops))
	query := false
	for _, p := range s.Protocols {
		query = query || p.kind() == kindQuery
	}
	for i := range s.Ops {
		op := &s.Ops[i]
		if _, dup := s.ops[op.Name]; dup {
			panic(fmt.Sprintf("awsproto: %s declares %s twice", s.Name, op.Name))
		}
		if _, ok := op.newInput().(QueryInput); query && !ok {
			panic(fmt.Sprintf("awsproto: %s speaks query but the input of %s has no FromQuery", s.Name, op.Name))
		}
		s.ops[op.Name] = op
	}
	if s.Counters == nil {
		s.Counters = new(stats.Counters)
	}
}

// serve runs one request the router gave this service in protocol p.
func (s *Service) serve(w http.ResponseWriter, p Protocol, req *request) {
	op := s.ops[req.op]
	name := req.op
	if op == nil {
		name = unsupported
	}
	counter := s.Counters.Op(name)
	counter.Calls.Add(1)
	fail := func(e *Error) {
		counter.Errors.Add(1)
		p.writeError(w, req, e)
	}
	if s.Admit != nil {
		if e := s.Admit(name); e != nil {
			fail(e)
			return
		}
	}
	if op == nil {
		fail(unknownOperation(p, s.Name, req.op))
		return
	}
	if s.MaxBody > 0 && int64(len(req.body)) > s.MaxBody {
		fail(malformed(p, fmt.Errorf("the body is larger than %d bytes", s.MaxBody)))
		return
	}
	in := op.newInput()
	if e := p.decode(req, in); e != nil {
		fail(e)
		return
	}
	ctx := withRequestID(req.http.Context(), req.id)
	if op.ownFaults {
		ctx = context.WithValue(ctx, faultKey{}, faultTaker{s, op.Name})
	} else if e := s.injectFault(op.Name); e != nil {
		fail(e)
		return
	}
	out, e := op.call(ctx, in)
	if e != nil {
		fail(e)
		return
	}
	p.writeResult(w, req, out)
}

type requestIDKey struct{}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id of the request an operation serves, which the
// answer carries too.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
