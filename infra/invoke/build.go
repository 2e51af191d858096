package invoke

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// RIEPackage is the main package of the Lambda Runtime Interface Emulator,
// a tool of go.mod (go get -tool): one version for every machine.
const RIEPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// RIE returns the path of the RIE binary of the module in dir. `go tool
// -n` builds it once into the Go build cache and then only prints where
// it is, so no invocation pays for `go run`.
func RIE(ctx context.Context, dir string) (string, error) {
	out, err := goCommand(ctx, dir, nil, "tool", "-n", RIEPackage)
	if err != nil {
		return "", fmt.Errorf("build the Lambda Runtime Interface Emulator (%s, a tool of go.mod): %w", RIEPackage, err)
	}
	path := strings.TrimSpace(out)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("the Lambda Runtime Interface Emulator: go tool -n printed %q: %w", path, err)
	}
	return path, nil
}

// BuildOptions says which bootstrap to build.
type BuildOptions struct {
	// Dir is the module's root; Package the function's main package in it
	// ("./functions/api").
	Dir, Package string
	// Arch is the GOARCH ("amd64", "arm64"); empty means this machine's.
	Arch string
	// Out is the bootstrap's path.
	Out string
}

// Build builds a bootstrap exactly as the Makefile's build targets do
// (static, -tags lambda.norpc, -trimpath, stripped), for Arch.
func Build(ctx context.Context, o BuildOptions) error {
	arch := o.Arch
	if arch == "" {
		arch = runtime.GOARCH
	}
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return fmt.Errorf("build %s: %w", o.Package, err)
	}
	env := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + arch}
	if _, err := goCommand(ctx, o.Dir, env, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", o.Out, o.Package); err != nil {
		return fmt.Errorf("build %s for linux/%s: %w", o.Package, arch, err)
	}
	return nil
}

// goCommand runs the go command in dir with env added to this process's
// environment (GOCACHE, GOPATH, GOFLAGS stay as the user set them).
func goCommand(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, msg)
		}
		return "", fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return stdout.String(), nil
}

// QEMU is the user-mode emulator that runs an arm64 bootstrap on another
// architecture.
const QEMU = "qemu-aarch64-static"

// ErrNoQEMU means an arm64 bootstrap cannot run here.
var ErrNoQEMU = errors.New("running an arm64 bootstrap on this machine needs " + QEMU + ", which is not installed: apt-get install qemu-user-static")

// CPUEmulator returns the command that runs a bootstrap of arch on this
// machine: none for its own architecture, qemu-aarch64-static for arm64
// elsewhere.
func CPUEmulator(arch string) (string, error) {
	if arch == "" || arch == runtime.GOARCH {
		return "", nil
	}
	if arch != "arm64" {
		return "", fmt.Errorf("architecture %q: Lambda runs x86_64 (amd64) and arm64", arch)
	}
	path, err := exec.LookPath(QEMU)
	if err != nil {
		return "", ErrNoQEMU
	}
	return path, nil
}
