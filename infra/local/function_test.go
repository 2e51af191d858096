package local

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestInvokeGivesLambdaContextAndDeadline(t *testing.T) {
	f := newFunction(FunctionConfig{Name: "fn", ARN: "arn:aws:lambda:us-east-1:123456789012:function:fn", Timeout: time.Second}, 1)
	if !f.tryAcquire() {
		t.Fatal("no slot")
	}
	got, reqID, err := invoke(context.Background(), f, func(ctx context.Context) (string, error) {
		lc, ok := lambdacontext.FromContext(ctx)
		if !ok {
			return "", errors.New("no lambda context")
		}
		dl, ok := ctx.Deadline()
		if !ok || time.Until(dl) > time.Second {
			return "", errors.New("deadline not set from the function timeout")
		}
		return lc.InvokedFunctionArn + " " + lc.AwsRequestID, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := f.ARN + " " + reqID; got != want {
		t.Errorf("handler saw %q, want %q", got, want)
	}
}

func TestInvokeRecoversPanic(t *testing.T) {
	f := newFunction(FunctionConfig{Name: "fn", Timeout: time.Second}, 1)
	f.tryAcquire()
	_, _, err := invoke(context.Background(), f, func(context.Context) (int, error) { panic("boom") })
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" {
		t.Fatalf("err = %v, want a PanicError with the panic value", err)
	}
	if !f.tryAcquire() {
		t.Error("the slot was not released after the panic")
	}
}

func TestTimedOutInvocationKeepsItsSlotUntilItReturns(t *testing.T) {
	f := newFunction(FunctionConfig{Name: "fn", Timeout: 20 * time.Millisecond, ReservedConcurrency: reservedPtr(1)}, 100)
	release := make(chan struct{})
	f.tryAcquire()
	_, _, err := invoke(context.Background(), f, func(context.Context) (int, error) {
		<-release // ignores its context, as a stuck handler would
		return 1, nil
	})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if f.tryAcquire() {
		t.Fatal("a second invocation got a slot while the abandoned one still runs")
	}
	close(release)
	deadline := time.Now().Add(2 * time.Second)
	for !f.tryAcquire() {
		if time.Now().After(deadline) {
			t.Fatal("slot never released after the abandoned invocation returned")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrencyNeverExceedsReserved(t *testing.T) {
	const reserved = 3
	f := newFunction(FunctionConfig{Name: "fn", Timeout: time.Second, ReservedConcurrency: reservedPtr(reserved)}, 100)
	var running, peak atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := f.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			_, _, _ = invoke(context.Background(), f, func(context.Context) (int, error) {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(5 * time.Millisecond)
				running.Add(-1)
				return 0, nil
			})
		})
	}
	wg.Wait()
	if p := peak.Load(); p > reserved || p < 2 {
		t.Errorf("peak concurrency %d, want between 2 and %d", p, reserved)
	}
	if s := f.Stats(); s.Invocations != 20 || s.PeakRunning > reserved {
		t.Errorf("stats %+v", s)
	}
}

// reservedPtr is a template's ReservedConcurrentExecutions; a negative
// value stands for "not set".
func reservedPtr(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

func TestZeroReservedConcurrencyThrottlesEverything(t *testing.T) {
	f := newFunction(FunctionConfig{Name: "fn", Timeout: time.Second, ReservedConcurrency: reservedPtr(0)}, 100)
	if f.tryAcquire() {
		t.Error("a function with reserved concurrency 0 got a slot")
	}
	unset := newFunction(FunctionConfig{Name: "fn", Timeout: time.Second}, 100)
	if !unset.tryAcquire() {
		t.Error("a function without reserved concurrency got no slot")
	}
}
