package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/eventchain/eventchain/infra/invoke"
	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/samtemplate"
)

// invokeUsage explains `eventchain invoke` beyond its flags.
const invokeUsage = `usage: eventchain invoke [flags] <LogicalId>

Invokes one function of the template with an event, as
sam local invoke <LogicalId> -e <event> does, without Docker: it builds the
function's bootstrap as make build does (for this machine's architecture
unless --arch), runs it under the Lambda Runtime Interface Emulator (the
version go.mod pins) with the function's environment from the template, every
AWS call pointed at localcloud (--cloud: make run's by default), and prints
the function's response on stdout, its log and a REPORT line on stderr.

It exits 1 when the function returned an error, panicked, timed out or
failed to start, and says which.

flags:
`

// runInvoke is `eventchain invoke`; it returns the exit code.
func runInvoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, invokeUsage); fs.PrintDefaults() }
	eventFile := fs.String("event", "", "the event: a `file` (events/<fixture>.json), or - for stdin (default: {})")
	fs.StringVar(eventFile, "e", "", "shorthand for --event `file`")
	tmpl := fs.String("template", local.DefaultTemplate, "SAM `template`")
	overrides := fs.String("parameter-overrides", "", `SAM-style overrides, as eventchain run takes them, e.g. "LogLevel=DEBUG"`)
	envVars := fs.String("env-vars", "", "a `file` of environment variables in sam local invoke's format: {\"Parameters\": {…}, \"<LogicalId>\": {…}}")
	cloud := fs.String("cloud", "http://"+local.DefaultCloudAddr, "localcloud's `URL`: where the function's AWS calls go (eventchain run's by default)")
	arch := fs.String("arch", runtime.GOARCH, "the bootstrap's `architecture`, amd64 or arm64 (the deployed one: arm64 runs through "+invoke.QEMU+" on another machine)")
	buildDir := fs.String("build-dir", filepath.Join("bin", "lambda"), "`directory` for the bootstraps (make build's .aws-sam/build holds the deployed arm64 ones)")
	rieLogs := fs.Bool("rie-logs", false, "show the Runtime Interface Emulator's own log too")

	// Flags may come after the logical id, as sam local invoke takes them.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		fmt.Fprintf(stderr, "eventchain invoke: want one function's logical id, got %q\n", positional)
		fs.Usage()
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	inv := invocation{
		function: positional[0], eventFile: *eventFile, template: *tmpl, overrides: *overrides, envVars: *envVars,
		cloud: strings.TrimRight(*cloud, "/"), arch: *arch, buildDir: *buildDir, rieLogs: *rieLogs,
	}
	res, err := inv.run(ctx, stdin, stdout, stderr)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "eventchain invoke: %v\n", err)
		return exitFailed
	case res.Err() != nil:
		fmt.Fprintf(stderr, "eventchain invoke: %s: %v\n", inv.function, res.Err())
		return exitFailed
	}
	return 0
}

// invocation is one `eventchain invoke`.
type invocation struct {
	function, eventFile, template, overrides, envVars, cloud, arch, buildDir string
	rieLogs                                                                  bool
}

func (inv invocation) run(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) (*invoke.Result, error) {
	payload, err := inv.event(stdin)
	if err != nil {
		return nil, err
	}
	params, err := samtemplate.ParseOverrides(inv.overrides)
	if err != nil {
		return nil, err
	}
	t, err := samtemplate.Load(inv.template)
	if err != nil {
		return nil, err
	}
	// Resolved on the local endpoint, the queue URLs and ARNs are those
	// eventchain run created there.
	resolved, err := t.Resolve(params, samtemplate.LocalResolver{Endpoint: inv.cloud})
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", inv.template, err)
	}
	fn, ok := resolved.Function(inv.function)
	if !ok {
		var ids []string
		for _, f := range resolved.Functions {
			ids = append(ids, f.LogicalID)
		}
		return nil, fmt.Errorf("no function %q in %s (it has %s)", inv.function, inv.template, strings.Join(ids, ", "))
	}
	var vars invoke.EnvVars
	if inv.envVars != "" {
		f, err := os.Open(inv.envVars)
		if err != nil {
			return nil, fmt.Errorf("--env-vars: %w", err)
		}
		vars, err = invoke.ReadEnvVars(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--env-vars %s: %w", inv.envVars, err)
		}
	}
	env, ignored := invoke.Environment(resolved, fn, inv.cloud, vars)
	if len(ignored) > 0 {
		fmt.Fprintf(stderr, "warning: --env-vars sets %s, which %s does not declare in its Environment: ignored, as sam local invoke does\n", strings.Join(ignored, ", "), fn.LogicalID)
	}
	if err := invoke.CloudReachable(ctx, inv.cloud); errors.Is(err, syscall.ECONNREFUSED) {
		fmt.Fprintf(stderr, "warning: no localcloud at %s (start it with make run): the function's %s calls will fail\n",
			inv.cloud, strings.Join(invoke.Services(fn), ", "))
	} else if err != nil {
		fmt.Fprintf(stderr, "warning: localcloud at %s does not answer as it should (%v): the function's %s calls may fail\n",
			inv.cloud, err, strings.Join(invoke.Services(fn), ", "))
	}

	cpu, err := invoke.CPUEmulator(inv.arch)
	if err != nil {
		return nil, err
	}
	moduleDir, err := filepath.Abs(filepath.Dir(inv.template))
	if err != nil {
		return nil, err
	}
	bootstrap, err := filepath.Abs(filepath.Join(inv.buildDir, inv.arch, fn.Name, "bootstrap"))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "building %s (%s, linux/%s) and the Runtime Interface Emulator…\n", fn.LogicalID, invoke.Package(fn), inv.arch)
	if err := invoke.Build(ctx, invoke.BuildOptions{Dir: moduleDir, Package: invoke.Package(fn), Arch: inv.arch, Out: bootstrap}); err != nil {
		return nil, err
	}
	rie, err := invoke.RIE(ctx, moduleDir)
	if err != nil {
		return nil, err
	}

	cfg := invoke.Config{RIE: rie, Bootstrap: bootstrap, CPUEmulator: cpu, Env: env, Logs: stderr}
	if inv.rieLogs {
		cfg.RIELogs = stderr
	}
	session, err := invoke.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	res, err := session.Invoke(ctx, payload)
	if cerr := session.Close(); err == nil && cerr != nil {
		fmt.Fprintf(stderr, "warning: %v\n", cerr)
	}
	if err != nil {
		return nil, err
	}
	if cpu != "" && res.Report.MaxMemoryUsedKiB > 0 {
		fmt.Fprintf(stderr, "note: under %s, Max Memory Used counts the emulator's own memory too\n", invoke.QEMU)
	}
	if _, err := stdout.Write(append(res.Payload, '\n')); err != nil {
		return nil, err
	}
	return res, nil
}

// event reads the invocation's payload: the file, stdin for "-", or {}.
func (inv invocation) event(stdin io.Reader) ([]byte, error) {
	switch inv.eventFile {
	case "":
		return []byte("{}"), nil
	case "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read the event from stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(inv.eventFile)
	if err != nil {
		return nil, fmt.Errorf("--event: %w", err)
	}
	return b, nil
}
