package invoke_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/invoke"
)

// syncBuffer is a log the session writes from two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fnEnv is the environment of the test function: what the template would
// give a function, in small.
func fnEnv(timeout string) map[string]string {
	return map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "fn",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     timeout,
		"AWS_REGION":                      "us-east-1",
		"FN_SETTING":                      "from the template",
	}
}

func startFn(t *testing.T, env map[string]string) (*invoke.Session, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	s, err := invoke.Start(context.Background(), invoke.Config{RIE: rie, Bootstrap: fnBinary, Env: env, Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, logs
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		event       string
		failInit    bool
		want        invoke.Outcome
		wantType    string
		wantMessage string
		wantStatus  string // the REPORT's Status
	}{
		{name: "response", event: `{}`, want: invoke.Succeeded},
		{name: "error", event: `{"do":"error"}`, want: invoke.FunctionError, wantType: "errorString", wantMessage: "failed on purpose"},
		{name: "panic", event: `{"do":"panic"}`, want: invoke.Panicked, wantMessage: "assignment to entry in nil map"},
		{name: "timeout", event: `{"do":"sleep"}`, want: invoke.TimedOut, wantType: "Sandbox.Timedout", wantMessage: "Task timed out after 1.00 seconds", wantStatus: "timeout"},
		{name: "exit", event: `{"do":"exit"}`, want: invoke.Crashed, wantType: "Runtime.ExitError", wantMessage: "exit status 3", wantStatus: "error"},
		{name: "init failure", event: `{}`, failInit: true, want: invoke.InitFailed, wantType: "Runtime.ExitError", wantMessage: "exit status 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := fnEnv("1")
			if tt.failInit {
				env["FN_FAIL_INIT"] = "1"
			}
			s, logs := startFn(t, env)
			res, err := s.Invoke(context.Background(), []byte(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("payload %s\nlog:\n%s", res.Payload, logs)
			if res.Outcome != tt.want {
				t.Fatalf("outcome %v (%s: %s), want %v\nlog:\n%s", res.Outcome, res.ErrorType, res.ErrorMessage, tt.want, logs)
			}
			if (res.Err() == nil) != (tt.want == invoke.Succeeded) {
				t.Errorf("Err() = %v for %v", res.Err(), res.Outcome)
			}
			if tt.wantType != "" && res.ErrorType != tt.wantType {
				t.Errorf("error type %q, want %q", res.ErrorType, tt.wantType)
			}
			if !strings.Contains(res.ErrorMessage, tt.wantMessage) {
				t.Errorf("error message %q lacks %q", res.ErrorMessage, tt.wantMessage)
			}
			log := logs.String()
			if tt.want == invoke.InitFailed {
				if !strings.Contains(log, "fn: init failed on purpose") || !strings.Contains(log, "INIT_REPORT Init Duration: ") {
					t.Errorf("log lacks the function's own line or INIT_REPORT:\n%s", log)
				}
				return
			}
			// Exactly one REPORT, ours: the RIE's (Memory Size as Max
			// Memory Used) is kept back.
			reports := regexp.MustCompile(`(?m)^REPORT RequestId: `+res.RequestID+`\t.*$`).FindAllString(log, -1)
			if len(reports) != 1 || strings.Contains(reports[0], "Max Memory Used: 128 MB") {
				t.Fatalf("REPORT lines %q, want one with a measured Max Memory Used\nlog:\n%s", reports, log)
			}
			if !strings.Contains(log, "START RequestId: "+res.RequestID) || !strings.Contains(log, "END RequestId: "+res.RequestID) {
				t.Errorf("log lacks START or END:\n%s", log)
			}
			if strings.Index(log, "END RequestId: ") > strings.Index(log, "REPORT RequestId: ") {
				t.Errorf("REPORT before END:\n%s", log)
			}
			if tt.wantStatus != "" && !strings.Contains(reports[0], "Status: "+tt.wantStatus) {
				t.Errorf("REPORT %q lacks Status: %s", reports[0], tt.wantStatus)
			}
			rep := res.Report
			if rep.Init <= 0 || rep.Duration <= 0 || rep.MaxMemoryUsedKiB <= 0 || rep.MemorySizeMB != 128 {
				t.Errorf("report %+v: want init, duration and memory measured on a cold start", rep)
			}
			// The RIE's timer starts with the invoke request, so a cold
			// start's init counts against the timeout.
			if took := rep.Init + rep.Duration; tt.want == invoke.TimedOut && (took < 950*time.Millisecond || took > 3*time.Second) {
				t.Errorf("timed out after %v (init %v), want about the 1 s timeout", rep.Duration, rep.Init)
			}
		})
	}
}

// TestCleanEnvironment: the function sees the environment it was given
// and the runtime's, nothing of the process that started the RIE.
func TestCleanEnvironment(t *testing.T) {
	t.Setenv("INVOKE_TEST_LEAK", "must not reach the function")
	s, _ := startFn(t, fnEnv("3"))
	res, err := s.Invoke(context.Background(), []byte(`{}`))
	if err != nil || res.Outcome != invoke.Succeeded {
		t.Fatalf("%v %v %s", err, res.Outcome, res.Payload)
	}
	var out struct {
		Env          map[string]string `json:"env"`
		DeadlineInMs int64             `json:"deadlineInMs"`
	}
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatalf("%v: %s", err, res.Payload)
	}
	for k, v := range fnEnv("3") {
		if out.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, out.Env[k], v)
		}
	}
	for _, k := range []string{"INVOKE_TEST_LEAK", "PATH", "HOME", "GOFLAGS"} {
		if v, ok := out.Env[k]; ok {
			t.Errorf("the function sees %s=%q from the invoking process", k, v)
		}
	}
	if out.Env["AWS_LAMBDA_RUNTIME_API"] == "" {
		t.Error("no AWS_LAMBDA_RUNTIME_API: the runtime could not have run")
	}
	if out.DeadlineInMs <= 2000 || out.DeadlineInMs > 3000 {
		t.Errorf("deadline in %d ms, want within the 3 s timeout", out.DeadlineInMs)
	}
}

// TestWarmAndMemory: the second invocation reuses the process (no init),
// and Max Memory Used is the process's true peak.
func TestWarmAndMemory(t *testing.T) {
	s, logs := startFn(t, fnEnv("10"))
	cold, err := s.Invoke(context.Background(), []byte(`{}`))
	if err != nil || cold.Outcome != invoke.Succeeded {
		t.Fatalf("%v %v", err, cold)
	}
	warm, err := s.Invoke(context.Background(), []byte(`{"do":"alloc","mb":64}`))
	if err != nil || warm.Outcome != invoke.Succeeded {
		t.Fatalf("%v %v", err, warm)
	}
	if cold.Report.Init <= 0 || warm.Report.Init != 0 {
		t.Errorf("init %v then %v, want a cold start then none", cold.Report.Init, warm.Report.Init)
	}
	if strings.Contains(warm.Report.String(), "Init Duration") {
		t.Errorf("warm REPORT %q has an Init Duration", warm.Report.String())
	}
	if cold.Report.MaxMemoryUsedMB() >= 64 {
		t.Errorf("cold start used %d MB before allocating anything", cold.Report.MaxMemoryUsedMB())
	}
	if got := warm.Report.MaxMemoryUsedMB(); got < 64 || got > 64+cold.Report.MaxMemoryUsedMB()+16 {
		t.Errorf("Max Memory Used %d MB after touching 64 MB (%d MB before)", got, cold.Report.MaxMemoryUsedMB())
	}
	if !strings.Contains(logs.String(), "touched 64 MB") {
		t.Errorf("the function's stdout is not in the log:\n%s", logs)
	}
	if warm.Report.Billed() != int64((warm.Report.Duration+time.Millisecond-1)/time.Millisecond) {
		t.Errorf("warm billed %d ms for %v", warm.Report.Billed(), warm.Report.Duration)
	}
}
