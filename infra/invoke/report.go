package invoke

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Outcome is how an invocation ended.
type Outcome int

const (
	// Succeeded: the function returned a response.
	Succeeded Outcome = iota
	// FunctionError: the handler returned an error.
	FunctionError
	// Panicked: the handler panicked (aws-lambda-go reports it with a
	// stack trace, then the process exits).
	Panicked
	// TimedOut: the function ran past its timeout.
	TimedOut
	// Crashed: the process exited during the invocation without answering.
	Crashed
	// InitFailed: the process exited (or posted an init error) before it
	// asked for its first event.
	InitFailed
)

func (o Outcome) String() string {
	return [...]string{"succeeded", "function error", "panicked", "timed out", "crashed", "init failed"}[o]
}

// Report holds the figures of Lambda's REPORT line, measured on the
// bootstrap (see the package documentation).
type Report struct {
	RequestID string
	// Init is the cold start's init duration; zero on a warm invocation.
	Init     time.Duration
	Duration time.Duration
	// MemorySizeMB is the function's configured memory.
	MemorySizeMB int
	// MaxMemoryUsedKiB is the bootstrap's peak resident set; 0 if it could
	// not be read (the process was gone before any sample).
	MaxMemoryUsedKiB int64
	// Status and ErrorType are Lambda's suffix for an invocation that did
	// not end with the runtime's answer ("timeout"; "error" with
	// Runtime.ExitError); empty otherwise.
	Status, ErrorType string
}

// Billed is the billed duration in whole milliseconds: provided.al2023
// (an OS-only runtime) bills the init of a cold start with the
// invocation, rounded up to the millisecond.
func (r Report) Billed() int64 {
	return int64(math.Ceil(float64(r.Init+r.Duration) / float64(time.Millisecond)))
}

// MaxMemoryUsedMB is the peak in MB as Lambda prints it (rounded up).
func (r Report) MaxMemoryUsedMB() int64 { return (r.MaxMemoryUsedKiB + 1023) / 1024 }

// String is the REPORT line as `sam local invoke` prints it (Init
// Duration first, only on a cold start), with Lambda's status suffix.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "REPORT RequestId: %s\t", r.RequestID)
	if r.Init > 0 {
		fmt.Fprintf(&b, "Init Duration: %.2f ms\t", ms(r.Init))
	}
	fmt.Fprintf(&b, "Duration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\t", ms(r.Duration), r.Billed(), r.MemorySizeMB)
	if r.MaxMemoryUsedKiB > 0 {
		fmt.Fprintf(&b, "Max Memory Used: %d MB\t", r.MaxMemoryUsedMB())
	} else {
		b.WriteString("Max Memory Used: unknown (the process ended before it could be read)\t")
	}
	if r.Status != "" {
		fmt.Fprintf(&b, "Status: %s\t", r.Status)
	}
	if r.ErrorType != "" {
		fmt.Fprintf(&b, "Error Type: %s\t", r.ErrorType)
	}
	return b.String()
}

// initReport is Lambda's INIT_REPORT line of a failed init.
func initReport(d time.Duration, errorType string) string {
	return fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\tError Type: %s", ms(d), errorType)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
