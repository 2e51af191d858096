package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/eventchain/eventchain/bench/measure"
)

// ChartFile is the chart's file name, next to the Markdown that shows it.
const ChartFile = "rate-limit.png"

// Markdown is results.md: every figure of the run in tables, each goal
// beside the figure it is about.
func Markdown(r *measure.Results) string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# eventchain benchmark results\n\n")
	if r.Quick {
		b.WriteString("**Quick run (`BENCH_QUICK=1`): a smoke test of the driver, not figures to quote.**\n\n")
	}
	fmt.Fprintf(&b, "Written by `make bench` (`go run ./bench`) on %s: %s/%s, %d CPUs, %s, load average %.2f at the start.\n",
		r.StartedAt.UTC().Format("2006-01-02 15:04 MST"), m.GOOS, m.GOARCH, m.CPUs, m.GoVersion, m.LoadAverage)
	b.WriteString("Everything runs in one process on this machine (local mode, localcloud, callers), so a busy machine lowers the rates and raises the latencies. The raw figures are in `results.json`.\n")
	summary(&b, r)
	if r.RateLimit != nil {
		rateLimit(&b, r.RateLimit)
	}
	if len(r.Accept) > 0 {
		accept(&b, r.Accept)
	}
	if len(r.EndToEnd) > 0 {
		endToEnd(&b, r.EndToEnd)
	}
	if r.ColdStart != nil {
		coldStart(&b, r.ColdStart)
	}
	if r.Cost != nil {
		cost(&b, r.Cost)
	}
	return b.String()
}

// Summary is the table of the headline figures, each beside its goal:
// the first table of results.md, and the one the README shows.
func Summary(r *measure.Results) string {
	var b strings.Builder
	b.WriteString("| | measured | goal |\n|---|---|---|\n")
	row := func(name, v, goal string) { fmt.Fprintf(&b, "| %s | %s | %s |\n", name, v, goal) }
	if rl := r.RateLimit; rl != nil {
		p, n := rl.Pipeline, rl.Naive
		row(fmt.Sprintf("`RunInstances` rate / limit (%d launches at once, limit %g/s), pipeline (naive)", rl.Launches, rl.LimitPerSecond),
			fmt.Sprintf("%.2f (%.2f)", p.Utilisation, n.Utilisation), met(rl.UtilisationGoal))
		row("`RequestLimitExceeded` answers, pipeline (naive)",
			fmt.Sprintf("%.1f %% (%.1f %%) of calls", 100*p.ThrottledShare, 100*n.ThrottledShare), met(rl.ThrottledGoal))
		row("requests failed, dead-lettered, lost: pipeline (naive)",
			fmt.Sprintf("%d, %d, %d (%d failed, nothing kept)", p.FailedRequests, p.DeadLetters, p.Lost, n.FailedRequests), met(rl.FailuresGoal))
	}
	for _, a := range r.Accept {
		row(fmt.Sprintf("`POST /launches` → 202 at %g/s for %g s (%s): p50, p99, max; errors", a.RatePerSecond, a.Seconds, a.Storage),
			fmt.Sprintf("%.1f ms, %.1f ms, %.1f ms; %d of %d", a.P50Ms, a.P99Ms, a.MaxMs, a.Errors, a.Sent), met(a.LatencyGoal)+"; "+met(a.ErrorsGoal))
	}
	for _, e := range r.EndToEnd {
		row(fmt.Sprintf("end to end, POST → RUNNING (%s, %d launches)", e.Storage, e.Launches),
			fmt.Sprintf("%.1f launches/s, peak RSS %s", e.LaunchesPerSecond, mib(e.PeakRSSBytes)), "")
	}
	if c := r.ColdStart; c != nil {
		var inits, sizes []string
		for _, f := range c.Functions {
			inits = append(inits, fmt.Sprintf("%s %.0f ms", f.Name, f.InitMedianMs))
			sizes = append(sizes, fmt.Sprintf("%s %s", f.Name, mib(f.SizeArm64Bytes)))
		}
		row(fmt.Sprintf("cold start, init (median of %d), bare handler %.0f ms", c.Runs, c.Bare.InitMedianMs), strings.Join(inits, ", "), "")
		row(fmt.Sprintf("bootstrap size, arm64 stripped (bare handler %s)", mib(c.Bare.SizeArm64Bytes)), strings.Join(sizes, ", "), "")
	}
	if c := r.Cost; c != nil {
		row("AWS cost per million launches, and idle", fmt.Sprintf("$%.2f, and $%.2f a month idle", c.USDPerMillionLaunches, c.IdleUSDPerMonth), "")
	}
	return b.String()
}

func summary(b *strings.Builder, r *measure.Results) {
	b.WriteString("\n## Summary\n\n")
	b.WriteString(Summary(r))
}

func met(g measure.Goal) string {
	if g.Met {
		return g.Want + " ✔"
	}
	return g.Want + " ✘"
}

func rateLimit(b *strings.Builder, r *measure.RateLimitResult) {
	p, n := r.Pipeline, r.Naive
	fmt.Fprintf(b, "\n## Rate limit: the pipeline against the naive design\n\n")
	fmt.Fprintf(b, "localcloud's EC2 answers `RequestLimitExceeded` beyond a token bucket of %g calls/s with a burst of %d; %d launches are posted at once. "+
		"The pipeline runs with `LaunchRatePerSecond=%g` and `LauncherConcurrency=%d`; the naive design is a goroutine per request calling `RunInstances` "+
		"through one SDK client with the standard retryer and no pacer, against a fresh localcloud with the same limit. "+
		"Both are read at the emulator, from its call counters, and drawn as the calls of the last second every %g ms.\n\n",
		r.LimitPerSecond, r.Burst, r.Launches, r.LimitPerSecond, r.LauncherConcurrency, r.SampleEveryMs)
	b.WriteString("| | pipeline | naive | goal (pipeline) |\n|---|---:|---:|---|\n")
	row := func(name, pv, nv, goal string) { fmt.Fprintf(b, "| %s | %s | %s | %s |\n", name, pv, nv, goal) }
	row("`RunInstances` calls", fmt.Sprint(p.Calls), fmt.Sprint(n.Calls), "")
	row("launched", fmt.Sprint(p.Succeeded), fmt.Sprint(n.Succeeded), "")
	row("`RequestLimitExceeded` answers", fmt.Sprintf("%d (%.1f %%)", p.Throttled, 100*p.ThrottledShare), fmt.Sprintf("%d (%.1f %%)", n.Throttled, 100*n.ThrottledShare), met(r.ThrottledGoal))
	row("calls per second after the first burst, throttled ones included", fmt.Sprintf("%.2f", p.AttemptedPerSecond), fmt.Sprintf("%.2f", n.AttemptedPerSecond), "")
	row("launches per second after the first burst", fmt.Sprintf("%.2f", p.AchievedPerSecond), fmt.Sprintf("%.2f", n.AchievedPerSecond), "")
	row("utilisation (launches per second / limit)", fmt.Sprintf("%.2f", p.Utilisation), fmt.Sprintf("%.2f", n.Utilisation), met(r.UtilisationGoal))
	row("first call → last launch", fmt.Sprintf("%.1f s", p.Seconds), fmt.Sprintf("%.1f s", n.Seconds), "")
	row("failed requests", fmt.Sprint(p.FailedRequests), fmt.Sprint(n.FailedRequests), "")
	row("dead letters", fmt.Sprint(p.DeadLetters), "none kept: a failure is only logged", "")
	row("lost", fmt.Sprint(p.Lost), fmt.Sprint(n.Lost), met(r.FailuresGoal))
	row("other EC2 calls (`DescribeInstances`, a bucket of their own), throttled", fmt.Sprintf("%d, %d", p.OtherEC2Calls, p.OtherEC2Throttled), fmt.Sprintf("%d, %d", n.OtherEC2Calls, n.OtherEC2Throttled), "")
	fmt.Fprintf(b, "\n![RunInstances calls per second against the limit, both designs](%s)\n", ChartFile)
}

func accept(b *strings.Builder, runs []measure.AcceptResult) {
	fmt.Fprintf(b, "\n## Accept latency\n\n")
	fmt.Fprintf(b, "`POST /launches` (one launch) at a fixed rate, open loop (each POST leaves on schedule, whatever the earlier ones are doing), against the local mode's API, in memory and with a data directory (as `eventchain run` keeps one, where each of the API's three writes waits for a log sync); "+
		"the pipeline carries the launches on meanwhile, at the template's `LaunchRatePerSecond`. An error is any answer but 202, or none within 10 s.\n\n")
	b.WriteString("| storage | rate | for | sent | accepted (202) | errors | p50 | p99 | max | goals |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, a := range runs {
		fmt.Fprintf(b, "| %s | %g/s (achieved %.1f/s) | %g s | %d | %d | %d | %.2f ms | %.2f ms | %.2f ms | %s; %s |\n",
			a.Storage, a.RatePerSecond, a.AchievedPerSecond, a.Seconds, a.Sent, a.Accepted, a.Errors, a.P50Ms, a.P99Ms, a.MaxMs, met(a.LatencyGoal), met(a.ErrorsGoal))
	}
	for _, a := range runs {
		if len(a.ErrorKinds) == 0 {
			continue
		}
		fmt.Fprintf(b, "\nErrors (%s):", a.Storage)
		for i, k := range slices.Sorted(maps.Keys(a.ErrorKinds)) {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(b, " %d %s", a.ErrorKinds[k], k)
		}
		b.WriteString(".\n")
	}
}

func endToEnd(b *strings.Builder, runs []measure.EndToEndResult) {
	fmt.Fprintf(b, "\n## End-to-end throughput\n\n")
	fmt.Fprintf(b, "Launches from `POST` to `RUNNING` through the whole local pipeline (launcher, watcher, notifier, status table), one launch per POST from %d callers, no boot delay, no EC2 limit, `LauncherConcurrency=8`. Peak RSS is this process's (pipeline, localcloud and callers) during the run.\n\n", runs[0].Callers)
	hops := map[string]bool{}
	for _, r := range runs {
		for h := range r.HopMeansMs {
			hops[h] = true
		}
	}
	names := slices.Sorted(maps.Keys(hops))
	b.WriteString("| storage | launches | took | launches/s | peak RSS | data directory |")
	for _, h := range names {
		fmt.Fprintf(b, " %s (mean) |", h)
	}
	b.WriteString("\n|---|---:|---:|---:|---:|---:|" + strings.Repeat("---:|", len(names)) + "\n")
	for _, r := range runs {
		dir := "-"
		if r.Storage == "datadir" {
			dir = mib(r.DataDirBytes)
		}
		fmt.Fprintf(b, "| %s | %d | %.1f s | %.1f | %s | %s |", r.Storage, r.Launches, r.Seconds, r.LaunchesPerSecond, mib(r.PeakRSSBytes), dir)
		for _, h := range names {
			fmt.Fprintf(b, " %.1f ms |", r.HopMeansMs[h])
		}
		b.WriteString("\n")
	}
	cpuLayers(b, runs)
}

// cpuLayers is where each run's CPU time went, by layer of the process.
func cpuLayers(b *strings.Builder, runs []measure.EndToEndResult) {
	layers := map[string]bool{}
	for _, r := range runs {
		for _, c := range r.CPU {
			layers[c.Layer] = true
		}
	}
	if len(layers) == 0 {
		return
	}
	b.WriteString("\nWhere the CPU time went, from a profile of the process during each run (`go run ./bench -parts endtoend -profiles DIR` keeps the profiles for `go tool pprof`). A sample counts for the innermost layer on its stack, so an allocation or a JSON encoding counts for whoever asked for it; CPU milliseconds per launch, both cores together:\n\n")
	b.WriteString("| layer |")
	for _, r := range runs {
		fmt.Fprintf(b, " %s |", r.Storage)
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(runs)) + "\n")
	// The first run's order (largest first), then layers only later runs have.
	var order []string
	for _, r := range runs {
		for _, c := range r.CPU {
			if layers[c.Layer] {
				order = append(order, c.Layer)
				layers[c.Layer] = false
			}
		}
	}
	totals := make([]float64, len(runs))
	for _, layer := range order {
		fmt.Fprintf(b, "| %s |", layer)
		for i, r := range runs {
			cell := "-"
			for _, c := range r.CPU {
				if c.Layer == layer {
					cell = fmt.Sprintf("%.2f ms (%.0f %%)", c.MsPerLaunch, c.Percent)
					totals[i] += c.MsPerLaunch
				}
			}
			fmt.Fprintf(b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	b.WriteString("| **all** |")
	for _, t := range totals {
		fmt.Fprintf(b, " **%.2f ms** |", t)
	}
	b.WriteString("\n")
}

func coldStart(b *strings.Builder, c *measure.ColdStartResult) {
	fmt.Fprintf(b, "\n## Cold starts\n\n")
	fmt.Fprintf(b, "Each bootstrap built as `make build` builds it (static, `-s -w`, `-trimpath`, `-tags lambda.norpc`), started cold %d times under the Lambda Runtime Interface Emulator with its own environment only, the bootstraps taking turns. "+
		"Init runs from the process's start to its first request for an event; the bare handler (`bench/testdata/bare`, aws-lambda-go and nothing else) is the floor. Init is measured on this machine's build (%s).\n\n", c.Runs, c.HostArch)
	b.WriteString("| function | memory | size arm64 | size " + c.HostArch + " | init (median) | init over bare | package init (AWS SDK's) | first invocation (median) | peak RSS (median) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, f := range append([]measure.FunctionRun{c.Bare}, c.Functions...) {
		over := "-"
		if f.Name != c.Bare.Name {
			over = fmt.Sprintf("%+.1f ms", f.InitMedianMs-c.Bare.InitMedianMs)
		}
		fmt.Fprintf(b, "| %s | %d MB | %s | %s | %.1f ms | %s | %.1f ms (%.1f ms) | %.1f ms | %.1f MiB |\n",
			f.Name, f.MemoryMB, mib(f.SizeArm64Bytes), mib(f.SizeHostBytes), f.InitMedianMs, over,
			f.PackageInitMedianMs, f.SDKPackageInitMedianMs, f.DurationMedianMs, float64(f.PeakRSSKiB)/1024)
	}
	b.WriteString("\nPackage init is the Go runtime's own account of initialising the bootstrap's packages (`GODEBUG=inittrace=1`, the bootstrap started outside the RIE between the cold starts, median), all of it before `main`. The slowest packages:\n\n")
	for _, f := range append([]measure.FunctionRun{c.Bare}, c.Functions...) {
		var top []string
		for _, p := range f.SlowestPackageInits {
			top = append(top, fmt.Sprintf("`%s` %.2f ms", p.Package, p.Ms))
		}
		fmt.Fprintf(b, "- %s: %s\n", f.Name, strings.Join(top, ", "))
	}
}

func cost(b *strings.Builder, c *measure.CostResult) {
	fmt.Fprintf(b, "\n## Cost per million launches on AWS\n\n")
	fmt.Fprintf(b, "Priced from the requests the %s end-to-end run made (counted at localcloud and at the functions), at %s.\n\n", c.FromRun, c.Prices)
	b.WriteString("| service | what | per launch | unit price | per million launches |\n|---|---|---:|---:|---:|\n")
	for _, l := range c.Lines {
		fmt.Fprintf(b, "| %s | %s | %s | %s | $%.2f |\n", l.Service, l.Item, quantity(l.PerLaunch, l.Unit), l.Price, l.USDPerMillionLaunches)
	}
	fmt.Fprintf(b, "| **total** | | | | **$%.2f** |\n", c.USDPerMillionLaunches)
	fmt.Fprintf(b, "\nIdle, whatever the traffic: %d event source mappings × %d pollers × %d empty receives a minute = %s SQS requests a month, $%.2f a month.\n",
		c.EventSourceMappings, c.IdlePollersPerMapping, c.IdleReceivesPerPollerMinute, thousands(c.IdleReceivesPerMonth), c.IdleUSDPerMonth)
	b.WriteString("\nAssumptions:\n\n")
	for _, a := range c.Assumptions {
		fmt.Fprintf(b, "- %s\n", a)
	}
	b.WriteString("\nNot counted: " + strings.Join(c.NotCounted, "; ") + ".\n")
}

// quantity is an amount of a unit for people: bytes rather than
// fractions of a GB, plurals where they belong.
func quantity(v float64, unit string) string {
	if unit == "GB" {
		return fmt.Sprintf("%.0f bytes", v*(1<<30))
	}
	if v != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}

// thousands writes a whole number with thousands separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
