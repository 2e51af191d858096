package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Errors an invocation can end with, besides the handler's own error.
var (
	// ErrTimeout: the invocation passed its deadline and was abandoned.
	ErrTimeout = errors.New("function timed out")
	// ErrThrottled: no concurrency slot was free (synchronous invokes only).
	ErrThrottled = errors.New("function throttled: reserved concurrency reached")
)

// PanicError is a handler panic, reported as a function error as Lambda does.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("function panicked: %v", e.Value) }

// FunctionConfig is what the template says of a function.
type FunctionConfig struct {
	LogicalID string
	Name      string
	ARN       string
	Timeout   time.Duration
	MemoryMB  int
	// ReservedConcurrency is nil when the template sets none; 0 throttles
	// every invocation, as on AWS.
	ReservedConcurrency *int
}

// Function is one function of the template, hosted in-process. Its slots
// bound how many invocations run at once: an abandoned invocation keeps
// its slot until its goroutine returns, so the reserved concurrency holds
// even when handlers overrun their deadline.
//
// Like Lambda, it runs each invocation in an execution environment of its
// own: a handler built by the function's init (what its main does before
// lambda.Start), serving one invocation at a time. An invocation takes an
// idle environment, or initialises a new one when all are busy (a cold
// start), so there are never more environments than concurrent
// invocations, hence than slots. What a handler keeps, such as the
// launcher's pacer, is per environment, as deployed: C concurrent
// launchers pace at C × their own rate.
type Function struct {
	FunctionConfig

	slots    chan struct{}
	inflight sync.WaitGroup // invocation goroutines, abandoned ones included
	seq      atomic.Int64
	running  atomic.Int64
	peak     atomic.Int64
	invoked  atomic.Int64
	failures atomic.Int64

	init  func(context.Context) (lambda.Handler, error)
	envMu sync.Mutex
	idle  []lambda.Handler
	inits atomic.Int64
}

// newFunction prepares the function's concurrency slots: the reserved
// concurrency, or unreserved (a large account-level pool) when unset.
func newFunction(cfg FunctionConfig, unreserved int) *Function {
	n := unreserved
	if cfg.ReservedConcurrency != nil {
		n = max(*cfg.ReservedConcurrency, 0)
	}
	return &Function{FunctionConfig: cfg, slots: make(chan struct{}, n)}
}

// Wait waits until every invocation goroutine, abandoned ones included, has
// returned, or the timeout passes; it reports whether they all returned.
func (f *Function) Wait(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { f.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Stats is a snapshot of a function's invocation counters.
type Stats struct {
	Invocations, Failures int64
	Running, PeakRunning  int64
	// Environments counts the execution environments initialised (cold
	// starts), the ones replaced after a panic or a timeout included.
	Environments int64
}

// Stats returns the function's counters.
func (f *Function) Stats() Stats {
	return Stats{Invocations: f.invoked.Load(), Failures: f.failures.Load(), Running: f.running.Load(), PeakRunning: f.peak.Load(),
		Environments: f.inits.Load()}
}

// host sets how the function's execution environments are initialised and
// initialises the first one now, so that a configuration error stops the
// start as it would fail the first cold start.
func (f *Function) host(ctx context.Context, init func(context.Context) (lambda.Handler, error)) error {
	f.init = init
	env, err := f.initEnvironment(ctx)
	if err != nil {
		return err
	}
	f.park(env)
	return nil
}

func (f *Function) initEnvironment(ctx context.Context) (lambda.Handler, error) {
	if f.init == nil {
		return nil, fmt.Errorf("function %s hosts no handler", f.Name)
	}
	// An init is not part of the invocation that needed it: it must not
	// keep its deadline in anything it builds.
	env, err := f.init(context.WithoutCancel(ctx))
	if err != nil {
		return nil, fmt.Errorf("init %s: %w", f.Name, err)
	}
	f.inits.Add(1)
	return env, nil
}

// environment takes an idle environment, or initialises one.
func (f *Function) environment(ctx context.Context) (lambda.Handler, error) {
	f.envMu.Lock()
	if n := len(f.idle); n > 0 {
		env := f.idle[n-1]
		f.idle = f.idle[:n-1]
		f.envMu.Unlock()
		return env, nil
	}
	f.envMu.Unlock()
	return f.initEnvironment(ctx)
}

// park makes an environment available to the next invocation.
func (f *Function) park(env lambda.Handler) {
	f.envMu.Lock()
	f.idle = append(f.idle, env)
	f.envMu.Unlock()
}

// call runs one invocation in an environment of its own, through
// lambda.Handler's bytes contract; the caller holds a slot and ctx is the
// invocation's. An environment whose invocation panicked or ran past its
// deadline is dropped, as Lambda replaces it (its runtime exits after a
// panic; a timed-out environment is reset), so the next invocation there
// is a cold start.
func (f *Function) call(ctx context.Context, payload []byte) ([]byte, error) {
	env, err := f.environment(ctx)
	if err != nil {
		return nil, err
	}
	answer, err := env.Invoke(ctx, payload)
	// The answer lives in the handler's pooled buffer, which its next
	// invocation overwrites: it must be copied before the environment
	// serves again.
	answer = bytes.Clone(answer)
	if ctx.Err() == nil {
		f.park(env)
	}
	return answer, err
}

// invokeJSON sends in to the function as its JSON payload and decodes the
// answer into out, as Lambda and the service that invoked it do. An answer
// that does not decode is a function error, as on AWS (a partial batch
// response that is not JSON fails the whole batch).
func invokeJSON[In, Out any](ctx context.Context, f *Function, in In) (Out, error) {
	var out Out
	payload, err := json.Marshal(in)
	if err != nil {
		return out, fmt.Errorf("%s: encode %T payload: %w", f.Name, in, err)
	}
	answer, err := f.call(ctx, payload)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		return out, fmt.Errorf("%s: answer %.200q is not a %T: %w", f.Name, answer, out, err)
	}
	return out, nil
}

// sqsHandler is the function as its SQS event source mapping invokes it.
func (f *Function) sqsHandler() SQSHandler {
	return func(ctx context.Context, ev lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
		return invokeJSON[lambdaevents.SQSEvent, lambdaevents.SQSEventResponse](ctx, f, ev)
	}
}

// httpHandler is the function as API Gateway (payload format 2.0) invokes
// it.
func (f *Function) httpHandler() HTTPHandler {
	return func(ctx context.Context, req lambdaevents.APIGatewayV2HTTPRequest) (lambdaevents.APIGatewayV2HTTPResponse, error) {
		return invokeJSON[lambdaevents.APIGatewayV2HTTPRequest, lambdaevents.APIGatewayV2HTTPResponse](ctx, f, req)
	}
}

// acquire waits for a concurrency slot or the context's end.
func (f *Function) acquire(ctx context.Context) error {
	select {
	case f.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tryAcquire takes a slot if one is free.
func (f *Function) tryAcquire() bool {
	select {
	case f.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// invoke runs fn with a Lambda context and the function's deadline, in a
// slot the caller already holds; the slot is released — and release, if
// given, called — when fn returns, even if that is after the deadline and
// the result was discarded.
func invoke[Resp any](ctx context.Context, f *Function, fn func(context.Context) (Resp, error), release ...func()) (Resp, string, error) {
	reqID := fmt.Sprintf("%s-%08d-%d", f.Name, f.seq.Add(1), time.Now().UnixNano()%1e9)
	lc := &lambdacontext.LambdaContext{AwsRequestID: reqID, InvokedFunctionArn: f.ARN}
	ictx, cancel := context.WithTimeout(lambdacontext.NewContext(context.WithoutCancel(ctx), lc), f.Timeout)
	// Cancelled here, not by the invocation goroutine: a goroutine that
	// cancelled on its way out would make a finished invocation look timed out.
	defer cancel()

	type result struct {
		resp Resp
		err  error
	}
	done := make(chan result, 1)
	f.invoked.Add(1)
	for n := f.running.Add(1); ; {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	f.inflight.Add(1)
	go func() {
		defer f.inflight.Done()
		var r result
		func() {
			defer func() {
				if p := recover(); p != nil {
					r = result{err: &PanicError{Value: p, Stack: debug.Stack()}}
				}
			}()
			r.resp, r.err = fn(ictx)
		}()
		// The slot is free before the result is handed over, so whoever
		// reads the result can take it again at once.
		f.running.Add(-1)
		<-f.slots
		for _, rel := range release {
			rel()
		}
		done <- r
	}()

	select {
	case r := <-done:
		if r.err != nil {
			f.failures.Add(1)
		}
		return r.resp, reqID, r.err
	case <-ictx.Done():
		var zero Resp
		f.failures.Add(1)
		return zero, reqID, fmt.Errorf("%s after %s: %w", f.Name, f.Timeout, ErrTimeout)
	}
}
