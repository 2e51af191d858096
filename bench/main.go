// Command bench measures eventchain and writes what it measured, from the
// module's root (`make bench` runs it):
//
//	go run ./bench [flags]
//
// It runs the rate-limit comparison of the pipeline with the naive design,
// the accept latency of POST /launches, the end-to-end throughput in
// memory and with a data directory, the functions' cold starts beside a
// bare handler, and prices what the end-to-end run asked of AWS (package
// bench/measure says how each is measured). It writes results.json,
// results.md and rate-limit.png to -out. -quick (or BENCH_QUICK=1) runs a
// short version of everything, into bench/quick unless -out says
// otherwise: a smoke test, not figures to quote.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/eventchain/eventchain/bench/measure"
	"github.com/eventchain/eventchain/bench/report"
)

// Parts of a run, in the order they run.
const (
	partRateLimit = "ratelimit"
	partAccept    = "accept"
	partEndToEnd  = "endtoend"
	partColdStart = "coldstart"
	partCost      = "cost"
)

var allParts = []string{partRateLimit, partAccept, partEndToEnd, partColdStart, partCost}

// config is one run of the driver.
type config struct {
	out, template, moduleDir string
	quick                    bool
	parts                    []string

	rate        float64
	concurrency int
	launches    int

	acceptRate     float64
	acceptDuration time.Duration

	endToEndLaunches int
	profileDir       string

	coldRuns      int
	coldFunctions []string // nil: every function of the template

	timeout time.Duration
	log     io.Writer
}

func main() {
	cfg := config{log: os.Stderr}
	quick := os.Getenv("BENCH_QUICK") != "" && os.Getenv("BENCH_QUICK") != "0"
	var parts, functions string
	flag.StringVar(&cfg.out, "out", "", "directory for results.json, results.md and rate-limit.png (default bench, or bench/quick with -quick)")
	flag.StringVar(&cfg.template, "template", "template.yaml", "the SAM template")
	flag.StringVar(&cfg.moduleDir, "module", ".", "the module's root, where bootstraps are built")
	flag.BoolVar(&cfg.quick, "quick", quick, "a short run of every part, for a smoke test (also BENCH_QUICK=1)")
	flag.StringVar(&parts, "parts", strings.Join(allParts, ","), "the parts to run; cost needs endtoend")
	flag.Float64Var(&cfg.rate, "rate", 10, "the rate-limit run's EC2 limit and LaunchRatePerSecond, calls per second")
	flag.IntVar(&cfg.concurrency, "concurrency", 2, "LauncherConcurrency of the rate-limit run, and the EC2 bucket's burst")
	flag.IntVar(&cfg.launches, "launches", 200, "launches of the rate-limit run (-quick: 50)")
	flag.Float64Var(&cfg.acceptRate, "accept-rate", 200, "POSTs per second of the accept-latency run")
	flag.DurationVar(&cfg.acceptDuration, "accept-duration", 20*time.Second, "how long the accept-latency run posts (-quick: 5s)")
	flag.IntVar(&cfg.endToEndLaunches, "e2e-launches", 500, "launches of each end-to-end run (-quick: 100)")
	flag.StringVar(&cfg.profileDir, "profiles", "", "directory to write each end-to-end run's CPU profile to (endtoend-<storage>.pprof, for go tool pprof)")
	flag.IntVar(&cfg.coldRuns, "cold-starts", 5, "cold starts of each bootstrap (-quick: 1)")
	flag.StringVar(&functions, "functions", "", "comma-separated functions to start cold (default: every function of the template)")
	flag.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "bound of each run")
	render := flag.Bool("render", false, "measure nothing: write results.md and the chart again from -out's results.json")
	flag.Parse()

	cfg.parts = strings.Split(parts, ",")
	if functions != "" {
		cfg.coldFunctions = strings.Split(functions, ",")
	}
	if cfg.quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		shorten := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		shorten("launches", func() { cfg.launches = 50 })
		shorten("accept-duration", func() { cfg.acceptDuration = 5 * time.Second })
		shorten("e2e-launches", func() { cfg.endToEndLaunches = 100 })
		shorten("cold-starts", func() { cfg.coldRuns = 1 })
	}
	if cfg.out == "" {
		cfg.out = "bench"
		if cfg.quick {
			cfg.out = filepath.Join("bench", "quick")
		}
	}
	if *render {
		if err := rerender(cfg.out); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run measures the parts cfg names and writes the results to cfg.out.
func run(ctx context.Context, cfg config) (*measure.Results, error) {
	for _, p := range cfg.parts {
		if !slices.Contains(allParts, p) {
			return nil, fmt.Errorf("unknown part %q: want some of %s", p, strings.Join(allParts, ","))
		}
	}
	if slices.Contains(cfg.parts, partCost) && !slices.Contains(cfg.parts, partEndToEnd) {
		return nil, fmt.Errorf("the cost part prices the end-to-end run: add %s to -parts", partEndToEnd)
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	res := &measure.Results{Quick: cfg.quick, StartedAt: time.Now().UTC(), Machine: measure.ThisMachine()}
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.log, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	var err error
	if slices.Contains(cfg.parts, partRateLimit) {
		logf("rate limit: %d launches against %g calls/s, the pipeline then the naive design", cfg.launches, cfg.rate)
		if res.RateLimit, err = measure.RateLimit(ctx, measure.RateLimitOptions{
			Template: cfg.template, Limit: cfg.rate, Concurrency: cfg.concurrency, Launches: cfg.launches,
			SampleEvery: 100 * time.Millisecond, Timeout: cfg.timeout,
		}); err != nil {
			return nil, err
		}
	}
	if slices.Contains(cfg.parts, partAccept) {
		err := eachStorage(func(storage, dataDir string) error {
			logf("accept latency: %g POST/s for %s, %s", cfg.acceptRate, cfg.acceptDuration, storage)
			a, err := measure.Accept(ctx, measure.AcceptOptions{Template: cfg.template, Rate: cfg.acceptRate, Duration: cfg.acceptDuration, DataDir: dataDir})
			if err == nil {
				res.Accept = append(res.Accept, *a)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if slices.Contains(cfg.parts, partEndToEnd) {
		err := eachStorage(func(storage, dataDir string) error {
			logf("end to end: %d launches, %s", cfg.endToEndLaunches, storage)
			o := measure.EndToEndOptions{Template: cfg.template, Launches: cfg.endToEndLaunches, Timeout: cfg.timeout, DataDir: dataDir}
			if cfg.profileDir != "" {
				o.ProfileTo = filepath.Join(cfg.profileDir, "endtoend-"+storage+".pprof")
			}
			e, err := measure.EndToEnd(ctx, o)
			if err == nil {
				res.EndToEnd = append(res.EndToEnd, e)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if slices.Contains(cfg.parts, partColdStart) {
		logf("cold starts: %d of each bootstrap (the first build compiles the AWS SDK for arm64: minutes)", cfg.coldRuns)
		dir, err := os.MkdirTemp("", "eventchain-bench-bootstraps-")
		if err != nil {
			return nil, fmt.Errorf("build directory: %w", err)
		}
		res.ColdStart, err = measure.ColdStart(ctx, measure.ColdStartOptions{
			ModuleDir: cfg.moduleDir, Template: cfg.template, Runs: cfg.coldRuns, Functions: cfg.coldFunctions, BuildDir: dir,
		})
		os.RemoveAll(dir)
		if err != nil {
			return nil, err
		}
	}
	if slices.Contains(cfg.parts, partCost) {
		// The run with a data directory is the one `eventchain run` makes;
		// the requests are the same in memory.
		e := res.EndToEnd[len(res.EndToEnd)-1]
		u := e.Usage
		if res.ColdStart != nil {
			u.AddInits(res.ColdStart)
		}
		if res.Cost, err = measure.Cost(e.Storage, u); err != nil {
			return nil, err
		}
	}
	if err := write(cfg.out, res); err != nil {
		return nil, err
	}
	logf("wrote %s", strings.Join([]string{filepath.Join(cfg.out, "results.json"), filepath.Join(cfg.out, "results.md"), filepath.Join(cfg.out, report.ChartFile)}, ", "))
	return res, nil
}

// eachStorage runs fn in memory, then with a data directory of its own
// (removed after): the two ways the local mode keeps localcloud's state.
func eachStorage(fn func(storage, dataDir string) error) error {
	if err := fn("memory", ""); err != nil {
		return err
	}
	dir, err := measure.TempDataDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	return fn("datadir", dir)
}

// write writes results.json, results.md and, with a rate-limit run, the
// chart.
func write(dir string, res *measure.Results) error {
	raw, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(report.Markdown(res)), 0o644); err != nil {
		return fmt.Errorf("write the results: %w", err)
	}
	if res.RateLimit != nil {
		if err := report.Chart(res.RateLimit, filepath.Join(dir, report.ChartFile)); err != nil {
			return err
		}
	}
	return nil
}

// rerender writes results.md and the chart from the results.json in dir,
// for a change of their form without measuring again.
func rerender(dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	var res measure.Results
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("render: %s: %w", filepath.Join(dir, "results.json"), err)
	}
	return write(dir, &res)
}
