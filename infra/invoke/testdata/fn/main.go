// Command fn is a Lambda function for the tests of package invoke: each
// event's "do" says how its invocation ends, so that every outcome the
// package reports is produced by a real runtime (aws-lambda-go) under the
// real Runtime Interface Emulator.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Do string `json:"do"`
	// MB is how much memory "alloc" touches.
	MB int `json:"mb"`
}

func main() {
	if os.Getenv("FN_FAIL_INIT") != "" {
		fmt.Fprintln(os.Stderr, "fn: init failed on purpose (FN_FAIL_INIT)")
		os.Exit(1)
	}
	lambda.Start(handle)
}

func handle(ctx context.Context, req request) (map[string]any, error) {
	switch req.Do {
	case "error":
		return nil, errors.New("failed on purpose")
	case "panic":
		var m map[string]int
		m["boom"]++ // a runtime panic: assignment to entry in nil map
	case "sleep":
		// Past the deadline: the RIE, not the handler, ends it.
		time.Sleep(time.Hour)
	case "exit":
		os.Exit(3)
	case "alloc":
		b := make([]byte, req.MB<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // touched, so resident
		}
		fmt.Println("touched", len(b)>>20, "MB")
		return map[string]any{"touched": len(b) >> 20}, nil
	}
	deadline, _ := ctx.Deadline()
	fmt.Println("environment seen by fn")
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return map[string]any{"env": env, "deadlineInMs": time.Until(deadline).Milliseconds()}, nil
}
