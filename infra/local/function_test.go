package local

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
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

// hostCounting hosts handler in f and counts the environments its init
// builds; each environment is told its number.
func hostCounting(t *testing.T, f *Function, handler func(env int64) any) *atomic.Int64 {
	t.Helper()
	var inits atomic.Int64
	if err := f.host(context.Background(), func(context.Context) (lambda.Handler, error) {
		return lambda.NewHandler(handler(inits.Add(1))), nil
	}); err != nil {
		t.Fatal(err)
	}
	return &inits
}

// TestEachConcurrentInvocationHasItsOwnEnvironment: C invocations at once
// run in C environments, each built by the function's init, as Lambda
// runs one invocation per execution environment; later invocations reuse
// them rather than building more.
func TestEachConcurrentInvocationHasItsOwnEnvironment(t *testing.T) {
	const reserved = 4
	f := newFunction(FunctionConfig{Name: "fn", Timeout: 5 * time.Second, ReservedConcurrency: reservedPtr(reserved)}, 100)
	release := make(chan struct{})
	var arrived sync.WaitGroup
	inits := hostCounting(t, f, func(env int64) any {
		return func(ctx context.Context, in string) (int64, error) {
			if in == "hold" {
				arrived.Done()
				<-release
			}
			return env, nil
		}
	})
	invokeAll := func(n int, in string) []int64 {
		envs := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			if err := f.acquire(context.Background()); err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				env, _, err := invoke(context.Background(), f, func(ctx context.Context) (int64, error) {
					return invokeJSON[string, int64](ctx, f, in)
				})
				if err != nil {
					t.Error(err)
				}
				envs[i] = env
			})
		}
		if in == "hold" {
			arrived.Wait()
			close(release)
		}
		wg.Wait()
		return envs
	}
	arrived.Add(reserved)
	held := invokeAll(reserved, "hold")
	seen := map[int64]bool{}
	for _, env := range held {
		seen[env] = true
	}
	if len(seen) != reserved || inits.Load() != reserved {
		t.Errorf("%d invocations at once ran in environments %v (%d built), want %d distinct", reserved, held, inits.Load(), reserved)
	}
	invokeAll(2*reserved, "quick")
	if n := inits.Load(); n != reserved {
		t.Errorf("%d environments after more invocations, want the %d there were reused", n, reserved)
	}
	if s := f.Stats(); s.Environments != reserved {
		t.Errorf("Stats().Environments = %d, want %d", s.Environments, reserved)
	}
}

// TestPanicOrTimeoutReplacesTheEnvironment: Lambda's runtime exits after a
// panic and resets a timed-out environment, so the next invocation runs
// in a fresh one.
func TestPanicOrTimeoutReplacesTheEnvironment(t *testing.T) {
	f := newFunction(FunctionConfig{Name: "fn", Timeout: 50 * time.Millisecond, ReservedConcurrency: reservedPtr(1)}, 100)
	inits := hostCounting(t, f, func(env int64) any {
		return func(ctx context.Context, in string) (int64, error) {
			switch in {
			case "panic":
				panic("boom")
			case "overrun":
				time.Sleep(100 * time.Millisecond)
			}
			return env, nil
		}
	})
	run := func(in string) (int64, error) {
		t.Helper()
		if err := f.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		env, _, err := invoke(context.Background(), f, func(ctx context.Context) (int64, error) {
			return invokeJSON[string, int64](ctx, f, in)
		})
		return env, err
	}
	if env, err := run("ok"); err != nil || env != 1 {
		t.Fatalf("first invocation: environment %d, %v; want the one built at start", env, err)
	}
	if _, err := run("panic"); err == nil {
		t.Fatal("a panic was not a function error")
	}
	if env, err := run("ok"); err != nil || env != 2 {
		t.Errorf("after a panic: environment %d, %v; want a fresh one, 2", env, err)
	}
	if _, err := run("overrun"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("overrun: %v, want ErrTimeout", err)
	}
	if !f.Wait(time.Second) {
		t.Fatal("the abandoned invocation never returned")
	}
	if env, err := run("ok"); err != nil || env != 3 {
		t.Errorf("after a timeout: environment %d, %v; want a fresh one, 3", env, err)
	}
	if inits.Load() != 3 {
		t.Errorf("%d environments built, want 3", inits.Load())
	}
}

// TestInitFailureIsAnInvocationError: an environment that fails to start
// fails the invocation that needed it, not the runner.
func TestInitFailureIsAnInvocationError(t *testing.T) {
	f := newFunction(FunctionConfig{Name: "fn", Timeout: time.Second}, 10)
	var calls atomic.Int64
	arrived, release := make(chan struct{}), make(chan struct{})
	err := f.host(context.Background(), func(context.Context) (lambda.Handler, error) {
		if calls.Add(1) > 1 {
			return nil, errors.New("no config")
		}
		return lambda.NewHandler(func(context.Context, string) (string, error) {
			close(arrived)
			<-release
			return "ok", nil
		}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() {
		_, err := invokeJSON[string, string](context.Background(), f, "x")
		first <- err
	}()
	<-arrived // the one environment is busy: the next invocation needs a new one
	if _, err := invokeJSON[string, string](context.Background(), f, "x"); err == nil || !strings.Contains(err.Error(), "init fn: no config") {
		t.Errorf("second invocation: %v, want the failed init", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("first invocation: %v", err)
	}
}

// TestSQSHandlerGoesThroughJSON: the handler receives the batch as Lambda
// delivers it, JSON decoded into its own types, and its answer is read as
// the event source mapping reads it: one that is not a partial batch
// response fails the batch, as a serialization mistake would on AWS.
func TestSQSHandlerGoesThroughJSON(t *testing.T) {
	ev := lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{{
		MessageId: "m1", Body: `{"hello":"world"}`, Attributes: map[string]string{"ApproximateReceiveCount": "2"},
		MessageAttributes: map[string]lambdaevents.SQSMessageAttribute{
			"type": {DataType: "String", StringValue: aws.String("launch.requested")},
			"blob": {DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
		},
	}}}
	t.Run("round trip", func(t *testing.T) {
		f := newFunction(FunctionConfig{Name: "fn", Timeout: time.Second}, 1)
		var got lambdaevents.SQSEvent
		hostCounting(t, f, func(int64) any {
			return func(_ context.Context, in lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error) {
				got = in
				return lambdaevents.SQSEventResponse{BatchItemFailures: []lambdaevents.SQSBatchItemFailure{{ItemIdentifier: "m1"}}}, nil
			}
		})
		resp, err := f.sqsHandler()(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("handler received %+v, want %+v", got, ev)
		}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m1" {
			t.Errorf("answer %+v, want the handler's batch item failure", resp)
		}
	})
	t.Run("answer of the wrong shape", func(t *testing.T) {
		f := newFunction(FunctionConfig{Name: "fn", Timeout: time.Second}, 1)
		hostCounting(t, f, func(int64) any {
			return func(context.Context, lambdaevents.SQSEvent) ([]string, error) { return []string{"m1"}, nil }
		})
		if _, err := f.sqsHandler()(context.Background(), ev); err == nil || !strings.Contains(err.Error(), "SQSEventResponse") {
			t.Errorf("err = %v, want the answer refused as no SQSEventResponse", err)
		}
	})
	t.Run("answer that is not JSON", func(t *testing.T) {
		f := newFunction(FunctionConfig{Name: "fn", Timeout: time.Second}, 1)
		hostCounting(t, f, func(int64) any {
			return func(context.Context, lambdaevents.SQSEvent) (chan int, error) { return make(chan int), nil }
		})
		if _, err := f.sqsHandler()(context.Background(), ev); err == nil {
			t.Error("an answer JSON cannot encode was taken as a success")
		}
	})
}
