package measure

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PackageInit is the time one Go package's initialisation took.
type PackageInit struct {
	Package string  `json:"package"`
	Ms      float64 `json:"ms"`
}

// initTrace is what GODEBUG=inittrace=1 reports of one start of a binary.
type initTrace struct {
	total, sdk time.Duration
	packages   []PackageInit // largest first
}

// sdkPackage tells whether a package belongs to the AWS SDK for Go or
// smithy-go, the code a function links to talk to AWS.
func sdkPackage(pkg string) bool {
	return strings.HasPrefix(pkg, "github.com/aws/aws-sdk-go-v2") || strings.HasPrefix(pkg, "github.com/aws/smithy-go")
}

// traceInit starts bin with env and GODEBUG=inittrace=1 and sums the
// package initialisations the runtime reports, which all run before
// main. Outside Lambda (no AWS_LAMBDA_RUNTIME_API) the bootstrap exits
// once main starts the runtime client; its exit status is not the
// measurement, so it is ignored.
func traceInit(ctx context.Context, bin string, env map[string]string) (initTrace, error) {
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{"GODEBUG=inittrace=1"}
	for k, v := range env {
		if k != "AWS_LAMBDA_RUNTIME_API" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	_ = cmd.Run()
	t, err := parseInitTrace(stderr.Bytes())
	if err != nil {
		return t, fmt.Errorf("init trace of %s: %w", bin, err)
	}
	return t, nil
}

// parseInitTrace reads the runtime's lines
//
//	init <package> @<start> ms, <clock> ms clock, <bytes> bytes, <allocs> allocs
func parseInitTrace(out []byte) (initTrace, error) {
	var t initTrace
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 7 || f[0] != "init" || !strings.HasPrefix(f[2], "@") || f[6] != "clock," {
			continue
		}
		v, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return t, fmt.Errorf("line %q: %w", sc.Text(), err)
		}
		d := time.Duration(v * float64(time.Millisecond))
		t.total += d
		if sdkPackage(f[1]) {
			t.sdk += d
		}
		t.packages = append(t.packages, PackageInit{Package: f[1], Ms: v})
	}
	if len(t.packages) == 0 {
		return t, fmt.Errorf("no package initialisation reported")
	}
	slices.SortStableFunc(t.packages, func(a, b PackageInit) int {
		switch {
		case a.Ms > b.Ms:
			return -1
		case a.Ms < b.Ms:
			return 1
		}
		return 0
	})
	return t, nil
}
