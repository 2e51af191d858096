package measure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/eventchain/eventchain/infra/invoke"
	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/local/localtest"
	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/samtemplate"
)

// BarePackage is the bare aws-lambda-go handler the functions' cold
// starts are compared with, relative to the module's root.
const BarePackage = "./bench/testdata/bare"

// ColdStartOptions configures the cold-start run.
type ColdStartOptions struct {
	// ModuleDir is the module's root, where the bootstraps are built.
	ModuleDir string
	Template  string
	// Runs is how many cold starts each bootstrap gets.
	Runs int
	// Functions are the short names of the template's functions to
	// measure; nil measures all of them, an empty list none (the bare
	// handler only).
	Functions []string
	// BuildDir receives the bootstraps.
	BuildDir string
}

// coldTarget is one bootstrap to start cold.
type coldTarget struct {
	run     FunctionRun
	pkg     string
	env     map[string]string
	payload []byte
	host    string // the bootstrap built for this machine
	inits   []time.Duration
	durs    []time.Duration
	peaks   []int64
	// What the runtime's init trace reports, one per run.
	pkgInits, sdkInits []time.Duration
	lastTrace          initTrace
}

// ColdStart builds each function's bootstrap as `make build` does (static,
// stripped, -tags lambda.norpc), for arm64 and for this machine, and the
// bare handler the same way; then starts each cold under the Lambda
// Runtime Interface Emulator Runs times, the bootstraps taking turns so
// that the machine's load falls on all of them alike. Each start is a new
// RIE and a new process, with the function's environment and nothing
// else, against a localcloud holding the template's resources, and one
// event a function handles without waiting on anything: an empty batch
// for the queue consumers, a read of an unknown request for the API.
// Between starts, each bootstrap also runs once outside the RIE with the
// Go runtime's init trace on, which tells how much of its init the
// initialisation of its packages takes, and how much of that the AWS
// SDK's.
func ColdStart(ctx context.Context, o ColdStartOptions) (_ *ColdStartResult, err error) {
	if o.Runs < 1 {
		return nil, fmt.Errorf("cold starts: want at least one run, got %d", o.Runs)
	}
	cloud, srv, l, err := localcloud.Listen("127.0.0.1:0", localcloud.Options{})
	if err != nil {
		return nil, fmt.Errorf("cold starts: start localcloud: %w", err)
	}
	defer closeInto(&err, "localcloud", closeCloud(srv, cloud))
	cloudURL := "http://" + l.Addr().String()
	tmpl, err := samtemplate.Load(o.Template)
	if err != nil {
		return nil, fmt.Errorf("cold starts: %w", err)
	}
	resolved, err := tmpl.Resolve(nil, samtemplate.LocalResolver{Endpoint: cloudURL})
	if err != nil {
		return nil, fmt.Errorf("cold starts: resolve %s: %w", o.Template, err)
	}
	if err := local.Provision(ctx, localtest.Config(cloudURL, resolved.Region), resolved, nil); err != nil {
		return nil, fmt.Errorf("cold starts: %w", err)
	}

	apiEvent, err := os.ReadFile(filepath.Join(o.ModuleDir, "events", "api-get.json"))
	if err != nil {
		return nil, fmt.Errorf("cold starts: the API's event: %w", err)
	}
	bare := &coldTarget{
		run: FunctionRun{Name: "bare", MemoryMB: 128},
		pkg: BarePackage,
		// What the RIE needs and Lambda always sets; the bare handler
		// reads nothing.
		env:     map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_FUNCTION_TIMEOUT": "3", "AWS_LAMBDA_FUNCTION_NAME": "bare", "AWS_REGION": resolved.Region},
		payload: []byte(`{}`),
	}
	targets := []*coldTarget{bare}
	for _, f := range resolved.Functions {
		if o.Functions != nil && !slices.Contains(o.Functions, f.Name) {
			continue
		}
		env, _ := invoke.Environment(resolved, f, cloudURL, nil)
		t := &coldTarget{
			run:     FunctionRun{Name: f.Name, LogicalID: f.LogicalID, MemoryMB: f.MemorySize},
			pkg:     invoke.Package(f),
			env:     env,
			payload: []byte(`{"Records":[]}`),
		}
		if len(f.HTTPEvents) > 0 {
			t.payload = apiEvent
		}
		targets = append(targets, t)
	}
	for _, name := range o.Functions {
		if _, ok := resolved.Function(name); !ok {
			return nil, fmt.Errorf("cold starts: the template has no function %q", name)
		}
	}

	rie, err := build(ctx, o, targets)
	if err != nil {
		return nil, err
	}
	for range o.Runs {
		for _, t := range targets {
			if err := t.start(ctx, rie); err != nil {
				return nil, err
			}
			tr, err := traceInit(ctx, t.host, t.env)
			if err != nil {
				return nil, err
			}
			t.pkgInits, t.sdkInits, t.lastTrace = append(t.pkgInits, tr.total), append(t.sdkInits, tr.sdk), tr
		}
	}
	res := &ColdStartResult{Runs: o.Runs, HostArch: runtime.GOARCH}
	for _, t := range targets {
		t.run.InitMs = make([]float64, len(t.inits))
		for i, d := range t.inits {
			t.run.InitMs[i] = ms(d)
		}
		t.run.InitMedianMs = ms(median(t.inits))
		t.run.DurationMedianMs = ms(median(t.durs))
		slices.Sort(t.peaks)
		t.run.PeakRSSKiB = t.peaks[len(t.peaks)/2]
		t.run.PackageInitMedianMs = ms(median(t.pkgInits))
		t.run.SDKPackageInitMedianMs = ms(median(t.sdkInits))
		t.run.SlowestPackageInits = t.lastTrace.packages[:min(3, len(t.lastTrace.packages))]
		if t == bare {
			res.Bare = t.run
		} else {
			res.Functions = append(res.Functions, t.run)
		}
	}
	return res, nil
}

// build builds every target for arm64 and for this machine, and the RIE,
// at once: the go command uses every core for each, but links overlap.
func build(ctx context.Context, o ColdStartOptions, targets []*coldTarget) (rie string, err error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	record := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for _, t := range targets {
		for _, arch := range []string{"arm64", runtime.GOARCH} {
			out := filepath.Join(o.BuildDir, arch, t.run.Name, "bootstrap")
			if arch == runtime.GOARCH {
				t.host = out
			}
			wg.Go(func() {
				if err := invoke.Build(ctx, invoke.BuildOptions{Dir: o.ModuleDir, Package: t.pkg, Arch: arch, Out: out}); err != nil {
					record(fmt.Errorf("cold starts: %w", err))
					return
				}
				info, err := os.Stat(out)
				if err != nil {
					record(fmt.Errorf("cold starts: %w", err))
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if arch == "arm64" {
					t.run.SizeArm64Bytes = info.Size()
				}
				// On an arm64 machine both sizes are the same binary's.
				if arch == runtime.GOARCH {
					t.run.SizeHostBytes = info.Size()
				}
			})
		}
	}
	wg.Go(func() {
		path, err := invoke.RIE(ctx, o.ModuleDir)
		if err != nil {
			record(fmt.Errorf("cold starts: %w", err))
			return
		}
		mu.Lock()
		rie = path
		mu.Unlock()
	})
	wg.Wait()
	return rie, errors.Join(errs...)
}

// start is one cold start: a new RIE, one invocation, and the RIE gone.
func (t *coldTarget) start(ctx context.Context, rie string) error {
	s, err := invoke.Start(ctx, invoke.Config{RIE: rie, Bootstrap: t.host, Env: t.env})
	if err != nil {
		return fmt.Errorf("cold start of %s: %w", t.run.Name, err)
	}
	r, err := s.Invoke(ctx, t.payload)
	closeErr := s.Close()
	if err != nil {
		return fmt.Errorf("cold start of %s: %w", t.run.Name, err)
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("cold start of %s: %w", t.run.Name, err)
	}
	if closeErr != nil {
		return fmt.Errorf("cold start of %s: %w", t.run.Name, closeErr)
	}
	if r.Report.Init <= 0 {
		return fmt.Errorf("cold start of %s: no init measured (the runtime asked for its event before the invocation?)", t.run.Name)
	}
	t.inits = append(t.inits, r.Report.Init)
	t.durs = append(t.durs, r.Report.Duration)
	t.peaks = append(t.peaks, r.Report.MaxMemoryUsedKiB)
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
