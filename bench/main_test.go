package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRunWritesEveryFigure runs every part of the driver at tiny sizes,
// on the real local mode, localcloud and RIE, and checks that
// results.json carries every figure, that results.md has every section
// and that the chart is a PNG. It holds no figure to a goal: at these
// sizes, under the race detector, on a shared machine, the figures say
// nothing; that they are there and computed is what is tested.
//
// The cold starts are the bare handler's only: the functions' bootstraps
// for arm64 compile the AWS SDK for another architecture, minutes on a
// cold build cache (make bench starts them all).
func TestRunWritesEveryFigure(t *testing.T) {
	out := t.TempDir()
	cfg := config{
		out: out, template: "../template.yaml", moduleDir: "..", quick: true, parts: allParts,
		rate: 20, concurrency: 2, launches: 6,
		acceptRate: 10, acceptDuration: 500 * time.Millisecond,
		endToEndLaunches: 4,
		coldRuns:         1, coldFunctions: []string{},
		timeout: 2 * time.Minute,
		log:     testLog{t},
	}
	if _, err := run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	// Counts and rates a run cannot do without: each must be above zero.
	positive := []string{
		"machine.cpus",
		"rateLimit.limitPerSecond", "rateLimit.burst", "rateLimit.launches", "rateLimit.sampleEveryMs",
		"coldStart.runs", "coldStart.bare.memoryMB", "coldStart.bare.sizeArm64Bytes", "coldStart.bare.sizeHostBytes",
		"coldStart.bare.initMedianMs", "coldStart.bare.initMs.0", "coldStart.bare.durationMedianMs", "coldStart.bare.peakRSSKiB",
		"coldStart.bare.packageInitMedianMs", "coldStart.bare.slowestPackageInits.0.ms",
		"cost.usdPerMillionLaunches", "cost.idleUSDPerMonth", "cost.idleReceivesPerMonth", "cost.eventSourceMappings",
		"cost.idlePollersPerMapping", "cost.idleReceivesPerPollerMinute",
	}
	for _, design := range []string{"pipeline", "naive"} {
		for _, f := range []string{"launches", "calls", "succeeded", "achievedPerSecond", "attemptedPerSecond", "utilisation", "seconds",
			"series.1.at", "series.0.callsPerSecond"} {
			positive = append(positive, "rateLimit."+design+"."+f)
		}
	}
	for i := range 2 {
		a := "accept." + strconv.Itoa(i) + "."
		for _, f := range []string{"ratePerSecond", "seconds", "sent", "p50Ms", "p99Ms", "maxMs", "achievedPerSecond"} {
			positive = append(positive, a+f)
		}
		e := "endToEnd." + strconv.Itoa(i) + "."
		for _, f := range []string{"launches", "callers", "seconds", "launchesPerSecond", "peakRSSBytes",
			"usage.launches", "usage.httpApiRequests", "usage.snsRequests.Publish", "usage.sqsRequests.ReceiveMessage",
			"usage.sqsRequests.DeleteMessageBatch", "usage.sqsReceiveChunks", "usage.largestBatchBytes", "usage.largestEventBytes",
			"usage.lambda.0.memoryMB", "usage.lambda.0.invocations", "usage.lambda.0.billedMs", "usage.lambda.0.meanMs", "usage.lambda.0.environments",
			"usage.dynamodb.PutItem", "usage.dynamodb.UpdateItem", "usage.dynamodb.GetItem",
			"usage.items", "usage.meanItemBytes", "usage.writeUnitsPerWrite", "usage.readUnitsPerRead",
			"usage.logBytes", "usage.eventSourceMappings",
			"hopMeansMs.launch\\.requested→instance\\.launched", "hopMeansMs.instance\\.launched→instance\\.running",
			"cpu.0.percent", "cpu.0.msPerLaunch"} {
			positive = append(positive, e+f)
		}
	}
	positive = append(positive, "endToEnd.1.dataDirBytes")
	for i := range 8 {
		positive = append(positive, "cost.lines."+strconv.Itoa(i)+".usdPerMillionLaunches", "cost.lines."+strconv.Itoa(i)+".perLaunch")
	}
	for _, path := range positive {
		if v, ok := number(t, doc, path); ok && v <= 0 {
			t.Errorf("%s = %v, want above zero", path, v)
		}
	}
	// Figures that may well be zero in a good run, but must be there.
	for _, path := range []string{
		"machine.loadAverage",
		"rateLimit.pipeline.throttled", "rateLimit.pipeline.throttledShare", "rateLimit.pipeline.failedRequests",
		"rateLimit.pipeline.deadLetters", "rateLimit.pipeline.lost", "rateLimit.pipeline.otherEC2Calls", "rateLimit.pipeline.otherEC2Throttled",
		"rateLimit.naive.throttled", "rateLimit.naive.throttledShare", "rateLimit.naive.failedRequests", "rateLimit.naive.lost",
		"rateLimit.pipeline.series.0.succeededPerSecond", "rateLimit.pipeline.series.0.throttledPerSecond",
		"accept.0.accepted", "accept.0.errors", "accept.1.accepted", "accept.1.errors", "endToEnd.0.dataDirBytes", "endToEnd.0.usage.sqsEmptyReceives",
		"endToEnd.0.usage.lambda.0.initBilledMs", "coldStart.bare.sdkPackageInitMedianMs",
	} {
		number(t, doc, path)
	}
	for _, path := range []string{"rateLimit.utilisationGoal", "rateLimit.throttledGoal", "rateLimit.failuresGoal",
		"accept.0.latencyGoal", "accept.0.errorsGoal", "accept.1.latencyGoal", "accept.1.errorsGoal"} {
		if s, ok := lookup(doc, path+".want").(string); !ok || s == "" {
			t.Errorf("%s.want = %v, want the goal in words", path, lookup(doc, path+".want"))
		}
		if _, ok := lookup(doc, path+".met").(bool); !ok {
			t.Errorf("%s.met = %v, want whether it was met", path, lookup(doc, path+".met"))
		}
	}
	for _, path := range []string{"accept.0.storage", "accept.1.storage", "endToEnd.0.cpu.0.layer", "coldStart.hostArch", "coldStart.bare.slowestPackageInits.0.package", "cost.prices", "cost.fromRun", "cost.assumptions.0", "cost.notCounted.0", "cost.lines.0.price"} {
		if s, ok := lookup(doc, path).(string); !ok || s == "" {
			t.Errorf("%s = %v, want text", path, lookup(doc, path))
		}
	}
	if fns, ok := lookup(doc, "coldStart.functions").([]any); ok && len(fns) > 0 {
		t.Errorf("coldStart.functions = %v, want none (the test asked for the bare handler only)", fns)
	}
	// Every function of the chain ran and was priced.
	for i, fn := range []string{"api", "launcher", "notifier", "watcher"} {
		if got := lookup(doc, "endToEnd.1.usage.lambda."+strconv.Itoa(i)+".function"); got != fn {
			t.Errorf("endToEnd.1.usage.lambda.%d.function = %v, want %s", i, got, fn)
		}
	}

	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"## Rate limit", "## Accept latency", "## End-to-end throughput", "Where the CPU time went", "## Cold starts", "## Cost per million launches", "(rate-limit.png)"} {
		if !bytes.Contains(md, []byte(section)) {
			t.Errorf("results.md lacks %q", section)
		}
	}
	png, err := os.ReadFile(filepath.Join(out, "rate-limit.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("rate-limit.png is not a PNG: % x…", png[:min(len(png), 8)])
	}
}

// number reports the number at path, failing the test when there is
// none.
func number(t *testing.T, doc any, path string) (float64, bool) {
	t.Helper()
	v, ok := lookup(doc, path).(float64)
	if !ok {
		t.Errorf("results.json has no number at %s (found %v)", path, lookup(doc, path))
	}
	return v, ok
}

// lookup follows a dotted path of object keys and array indexes ("\." is
// a dot within a key).
func lookup(doc any, path string) any {
	v := doc
	for _, part := range splitPath(path) {
		switch node := v.(type) {
		case map[string]any:
			v = node[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(node) {
				return nil
			}
			v = node[i]
		default:
			return nil
		}
	}
	return v
}

func splitPath(path string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '\\' && i+1 < len(path) && path[i+1] == '.':
			cur.WriteByte('.')
			i++
		case path[i] == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(path[i])
		}
	}
	return append(parts, cur.String())
}

// testLog sends the driver's progress lines to the test's log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
