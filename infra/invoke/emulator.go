package invoke

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/eventchain/eventchain/internal/event"
)

// Config is one function to run under the RIE.
type Config struct {
	// RIE is the aws-lambda-rie binary (see RIE), Bootstrap the function's.
	RIE, Bootstrap string
	// CPUEmulator, when set, runs the bootstrap (qemu-aarch64-static for an
	// arm64 bootstrap elsewhere; see CPUEmulator).
	CPUEmulator string
	// Env is the function's whole environment. The RIE starts with it and
	// nothing else, because it passes its own environment on to the
	// function. AWS_LAMBDA_FUNCTION_TIMEOUT and
	// AWS_LAMBDA_FUNCTION_MEMORY_SIZE are the function's timeout and
	// memory, as the RIE reads them.
	Env map[string]string
	// Logs receives the function's output (its stdout and stderr, as
	// Lambda sends both to CloudWatch Logs), the START and END lines and
	// the REPORT line; nil discards them.
	Logs io.Writer
	// RIELogs receives the RIE's own log (warnings and errors); nil
	// keeps only what explains a failure.
	RIELogs io.Writer
}

// invokePath is the RIE's endpoint for an invocation.
const invokePath = "/2015-03-31/functions/function/invocations"

// Session is a running RIE with one function. Its first invocation is a
// cold start; the next ones reuse the execution environment, until an
// invocation ends the process (a panic, a timeout, a crash).
type Session struct {
	cfg        Config
	cmd        *exec.Cmd
	exited     chan struct{} // closed when the RIE has exited
	waitErr    error
	outDone    chan struct{} // closed when the RIE's stdout reached EOF
	invokeURL  string
	obs        *observer
	obsSrv     *http.Server
	client     *http.Client
	memorySize int

	warm bool // a runtime process has initialized and still lives

	mu       sync.Mutex
	pid      int   // the bootstrap's process (the emulator's, under qemu)
	peak     int64 // KiB, highest VmHWM read in the current invocation
	reported map[string]chan struct{}
	ended    map[string]bool
	tail     []string // the RIE's last log lines

	logsMu sync.Mutex
}

// Start starts the RIE for cfg, ready for Invoke.
func Start(ctx context.Context, cfg Config) (*Session, error) {
	if err := checkPlatform(); err != nil {
		return nil, err
	}
	if cfg.Logs == nil {
		cfg.Logs = io.Discard
	}
	memory, err := strconv.Atoi(cfg.Env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
	if err != nil {
		return nil, fmt.Errorf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE %q: want the function's memory in MB", cfg.Env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
	}
	// Without it the RIE would give the function 300 s, whatever the
	// template says.
	if timeout, err := strconv.Atoi(cfg.Env["AWS_LAMBDA_FUNCTION_TIMEOUT"]); err != nil || timeout <= 0 {
		return nil, fmt.Errorf("AWS_LAMBDA_FUNCTION_TIMEOUT %q: want the function's timeout in seconds", cfg.Env["AWS_LAMBDA_FUNCTION_TIMEOUT"])
	}
	envPath, err := exec.LookPath("env")
	if err != nil {
		return nil, fmt.Errorf("the RIE sets the bootstrap's AWS_LAMBDA_RUNTIME_API itself; pointing it at the observer takes env(1): %w", err)
	}
	bootstrap, err := filepath.Abs(cfg.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}

	// Port collisions with other programs are possible between choosing
	// a free port and the RIE binding it: a few attempts settle it.
	var lastErr error
	for range 3 {
		e := &Session{cfg: cfg, memorySize: memory,
			reported: map[string]chan struct{}{}, ended: map[string]bool{}}
		if lastErr = e.start(ctx, envPath, bootstrap); lastErr == nil {
			return e, nil
		}
		if !strings.Contains(lastErr.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func (e *Session) start(ctx context.Context, envPath, bootstrap string) (err error) {
	invokeAddr, err := freeAddr()
	if err != nil {
		return err
	}
	apiAddr, err := freeAddr()
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("runtime API observer: %w", err)
	}
	e.obs = newObserver(apiAddr, e.sample)
	e.obsSrv = &http.Server{Handler: e.obs, ReadHeaderTimeout: 10 * time.Second}
	go e.obsSrv.Serve(l) //nolint:errcheck // ends with Close
	defer func() {
		if err != nil {
			e.obsSrv.Close()
		}
	}()

	args := []string{
		"--log-level", "warn",
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", apiAddr,
		// The RIE's own AWS_LAMBDA_RUNTIME_API wins over the function's
		// environment; env(1) replaces it, then execs the bootstrap in
		// place (same process).
		envPath, "AWS_LAMBDA_RUNTIME_API=" + l.Addr().String(),
	}
	if e.cfg.CPUEmulator != "" {
		args = append(args, e.cfg.CPUEmulator)
	}
	args = append(args, bootstrap)
	e.cmd = exec.Command(e.cfg.RIE, args...)
	e.cmd.Dir = filepath.Dir(bootstrap) // the task root, as /var/task in Lambda
	for _, k := range slices.Sorted(maps.Keys(e.cfg.Env)) {
		e.cmd.Env = append(e.cmd.Env, k+"="+e.cfg.Env[k])
	}
	if e.cmd.Env == nil {
		e.cmd.Env = []string{} // nil would mean this process's environment
	}
	e.cmd.SysProcAttr = sysProcAttr()
	// The bootstrap writes to the RIE's stdout directly (same file): a
	// pipe of our own, read until every writer has closed it.
	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("RIE stdout: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return fmt.Errorf("RIE stderr: %w", err)
	}
	e.cmd.Stdout, e.cmd.Stderr = outW, errW
	startErr := e.cmd.Start()
	outW.Close()
	errW.Close()
	if startErr != nil {
		outR.Close()
		errR.Close()
		return fmt.Errorf("start the Lambda Runtime Interface Emulator: %w", startErr)
	}
	e.exited, e.outDone = make(chan struct{}), make(chan struct{})
	go func() { e.waitErr = e.cmd.Wait(); close(e.exited) }()
	go e.readOutput(outR)
	go e.readRIELog(errR)

	e.invokeURL = "http://" + invokeAddr + invokePath
	e.client = &http.Client{}
	if err := e.awaitListening(ctx, invokeAddr); err != nil {
		e.stop()
		return err
	}
	return nil
}

// freeAddr picks a free loopback port for the RIE to listen on.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (e *Session) awaitListening(ctx context.Context, addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-e.exited:
			return fmt.Errorf("the Lambda Runtime Interface Emulator exited at start (%v): %s", e.waitErr, e.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Lambda Runtime Interface Emulator does not listen on %s after 10s: %s", addr, e.logTail())
		}
	}
}

// readOutput passes the function's output and the RIE's START and END
// lines on, and keeps the RIE's REPORT line back: its figures are not
// measurements (see the package documentation); Invoke writes the true
// one in its place.
func (e *Session) readOutput(r io.ReadCloser) {
	defer close(e.outDone)
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			e.outputLine(line)
		}
		if err != nil {
			return
		}
	}
}

func (e *Session) outputLine(line string) {
	if rest, ok := strings.CutPrefix(line, "REPORT RequestId: "); ok {
		id, _, _ := strings.Cut(rest, "\t")
		e.mu.Lock()
		if ch, ok := e.reported[strings.TrimSpace(id)]; ok {
			close(ch)
			delete(e.reported, strings.TrimSpace(id))
		}
		e.mu.Unlock()
		return
	}
	if rest, ok := strings.CutPrefix(line, "END RequestId: "); ok {
		e.mu.Lock()
		e.ended[strings.TrimSpace(rest)] = true
		e.mu.Unlock()
	}
	e.logsMu.Lock()
	defer e.logsMu.Unlock()
	io.WriteString(e.cfg.Logs, line) //nolint:errcheck // a lost log line must not stop the function
}

func (e *Session) readRIELog(r io.ReadCloser) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		e.mu.Lock()
		e.tail = append(e.tail, line)
		if len(e.tail) > 20 {
			e.tail = e.tail[1:]
		}
		e.mu.Unlock()
		if e.cfg.RIELogs != nil {
			fmt.Fprintln(e.cfg.RIELogs, line)
		}
	}
}

// logTail is the RIE's last log lines, for an error message.
func (e *Session) logTail() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.tail) == 0 {
		return "it logged nothing"
	}
	return "its log ends:\n  " + strings.Join(e.tail, "\n  ")
}

// exitReason is why the RIE says the runtime exited ("exit status 2",
// "signal: killed"), or "". The RIE logs it on its stderr, which may reach
// us a moment after its answer.
func (e *Session) exitReason() string {
	for range 50 {
		e.mu.Lock()
		for _, line := range slices.Backward(e.tail) {
			if _, after, ok := strings.Cut(line, "Runtime exited with error: "); ok {
				reason, _, _ := strings.Cut(after, " InvokeID=")
				e.mu.Unlock()
				return strings.TrimSpace(reason)
			}
		}
		e.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	return ""
}

// sample reads the bootstrap's peak memory, finding its process (the
// RIE's child) when it is not known or has gone.
func (e *Session) sample() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cmd == nil || e.cmd.Process == nil {
		return
	}
	kb, err := peakRSS(e.pid)
	if e.pid == 0 || err != nil {
		e.pid = 0
		for _, c := range children(e.cmd.Process.Pid) {
			if kb, err = peakRSS(c); err == nil {
				e.pid = c
				break
			}
		}
	}
	if err == nil && e.pid != 0 {
		e.peak = max(e.peak, kb)
	}
}

// sampleEvery samples the memory until the returned function is called:
// a process that dies mid-invocation is read while it lived.
func (e *Session) sampleEvery(d time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			e.sample()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// Result is one invocation.
type Result struct {
	RequestID string
	Outcome   Outcome
	// Payload is what the invoker receives: the function's response, or
	// the error document (errorType, errorMessage) Lambda answers with.
	Payload []byte
	// ErrorType and ErrorMessage describe a failed invocation.
	ErrorType, ErrorMessage string
	Report                  Report
}

// Err is nil for a successful invocation, and otherwise says which way
// the function failed.
func (r *Result) Err() error {
	switch r.Outcome {
	case Succeeded:
		return nil
	case FunctionError:
		return fmt.Errorf("the function returned an error: %s: %s", r.ErrorType, r.ErrorMessage)
	case Panicked:
		return fmt.Errorf("the function panicked: %s (the stack trace is in its log)", r.ErrorMessage)
	case TimedOut:
		return fmt.Errorf("the function timed out: %s", r.ErrorMessage)
	case InitFailed:
		return fmt.Errorf("the function failed at init (%s): %s; its log says why", r.ErrorType, r.ErrorMessage)
	}
	return fmt.Errorf("the function's process exited during the invocation (%s): %s", r.ErrorType, r.ErrorMessage)
}

// Invoke sends one event and waits for the function's answer. An error is
// the emulator's failure; the function's own is in Result.Outcome.
func (e *Session) Invoke(ctx context.Context, payload []byte) (*Result, error) {
	select {
	case <-e.exited:
		return nil, fmt.Errorf("the Lambda Runtime Interface Emulator has exited (%v): %s", e.waitErr, e.logTail())
	default:
	}
	id := event.NewID()
	reported := make(chan struct{})
	e.mu.Lock()
	e.reported[id] = reported
	e.peak = 0
	e.mu.Unlock()
	cold := !e.warm

	stop := e.sampleEvery(5 * time.Millisecond)
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.invokeURL, bytes.NewReader(payload))
	if err != nil {
		stop()
		return nil, fmt.Errorf("invoke: %w", err)
	}
	req.Header.Set("X-Amzn-RequestId", id)
	resp, err := e.client.Do(req)
	if err != nil {
		stop()
		return nil, fmt.Errorf("invoke through the Lambda Runtime Interface Emulator: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	resp.Body.Close()
	answered := time.Now()
	stop()
	if err != nil {
		return nil, fmt.Errorf("read the invocation's answer: %w", err)
	}

	r := &Result{RequestID: id, Payload: body}
	rep := Report{RequestID: id, MemorySizeMB: e.memorySize}
	served, res := e.obs.invocation(id)
	firstNext, initErr := e.obs.initialized()
	switch {
	case res != nil && res.err == nil:
		r.Outcome = Succeeded
	case res != nil:
		r.Outcome, r.ErrorType, r.ErrorMessage = FunctionError, res.err.Type, res.err.Message
		if len(res.err.Stack) > 0 {
			r.Outcome = Panicked
		}
	case served.IsZero() && (cold || initErr != nil):
		r.Outcome, r.ErrorType = InitFailed, "Runtime.ExitError"
		r.ErrorMessage = "the runtime exited before it asked for its first event"
		if reason := e.exitReason(); reason != "" {
			r.ErrorMessage = "the runtime exited with " + reason + " before it asked for its first event"
		}
		if initErr != nil {
			r.ErrorType, r.ErrorMessage = initErr.Type, initErr.Message
		}
	case bytes.HasPrefix(body, []byte("Task timed out after")):
		r.Outcome, r.ErrorType, r.ErrorMessage = TimedOut, "Sandbox.Timedout", string(body)
		rep.Status = "timeout"
	default:
		r.Outcome, r.ErrorType = Crashed, "Runtime.ExitError"
		r.ErrorMessage = "the runtime exited without answering"
		if doc := decodeRuntimeError(body, ""); doc.Type != "" {
			// The RIE's own error document, as Lambda answers a crash.
			r.ErrorType, r.ErrorMessage = doc.Type, doc.Message
		} else if reason := e.exitReason(); reason != "" {
			r.ErrorMessage = "the runtime exited with " + reason + " without answering"
		}
		rep.Status = "error"
		rep.ErrorType = r.ErrorType
	}
	if r.Outcome != Succeeded && r.Outcome != FunctionError && len(body) == 0 {
		// Lambda answers a failed invocation with the error document.
		r.Payload = fmt.Appendf(nil, `{"errorType":%q,"errorMessage":%q}`, r.ErrorType, r.ErrorMessage)
	}

	if cold && !firstNext.IsZero() && firstNext.After(start) {
		rep.Init = firstNext.Sub(start)
	}
	switch {
	case res != nil && !served.IsZero():
		rep.Duration = res.at.Sub(served)
	case !served.IsZero():
		rep.Duration = answered.Sub(served)
	}
	e.mu.Lock()
	rep.MaxMemoryUsedKiB = e.peak
	e.mu.Unlock()
	r.Report = rep
	// The runtime survives an answer or an error; after a panic, a crash
	// or a timeout the RIE starts a new one, which inits again.
	e.warm = r.Outcome == Succeeded || r.Outcome == FunctionError

	e.writeReport(r, reported, start, answered)
	return r, nil
}

// writeReport writes the REPORT line after the RIE's END line and the
// function's last output, which the RIE's own REPORT line follows.
func (e *Session) writeReport(r *Result, reported chan struct{}, start, answered time.Time) {
	// The RIE writes its END and REPORT lines before its answer, so they
	// are already in the pipe when it prints them at all (not after a
	// panic or a crash): the wait is only for our reader to catch up.
	select {
	case <-reported:
	case <-time.After(250 * time.Millisecond):
	}
	e.mu.Lock()
	delete(e.reported, r.RequestID)
	ended := e.ended[r.RequestID]
	delete(e.ended, r.RequestID)
	e.mu.Unlock()

	e.logsMu.Lock()
	defer e.logsMu.Unlock()
	if r.Outcome == InitFailed {
		fmt.Fprintln(e.cfg.Logs, initReport(answered.Sub(start), r.ErrorType))
		return
	}
	if !ended {
		fmt.Fprintf(e.cfg.Logs, "END RequestId: %s\n", r.RequestID)
	}
	fmt.Fprintln(e.cfg.Logs, r.Report.String())
}

// Close stops the bootstrap and the RIE.
func (e *Session) Close() error {
	e.stop()
	select {
	case <-e.outDone:
	case <-time.After(2 * time.Second):
		return errors.New("the function's output did not end 2s after the RIE stopped: a process of the function still holds it")
	}
	return nil
}

// stop kills the runtime process (in a process group of its own, which
// the RIE gives it) and the RIE.
func (e *Session) stop() {
	if e.obsSrv != nil {
		defer e.obsSrv.Close()
	}
	select {
	case <-e.exited:
		return
	default:
	}
	e.mu.Lock()
	pid := e.pid
	e.mu.Unlock()
	if pid != 0 && slices.Contains(children(e.cmd.Process.Pid), pid) {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(2 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.exited
	}
}
