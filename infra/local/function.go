package local

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

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
type Function struct {
	FunctionConfig

	slots    chan struct{}
	inflight sync.WaitGroup // invocation goroutines, abandoned ones included
	seq      atomic.Int64
	running  atomic.Int64
	peak     atomic.Int64
	invoked  atomic.Int64
	failures atomic.Int64
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
}

// Stats returns the function's counters.
func (f *Function) Stats() Stats {
	return Stats{Invocations: f.invoked.Load(), Failures: f.failures.Load(), Running: f.running.Load(), PeakRunning: f.peak.Load()}
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
		defer func() {
			for _, r := range release {
				r()
			}
		}()
		defer func() { <-f.slots }()
		defer f.running.Add(-1)
		var r result
		defer func() {
			if p := recover(); p != nil {
				r = result{err: &PanicError{Value: p, Stack: debug.Stack()}}
			}
			done <- r
		}()
		r.resp, r.err = fn(ictx)
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
