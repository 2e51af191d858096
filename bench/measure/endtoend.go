package measure

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/eventchain/eventchain/infra/invoke"
	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/local/localtest"
	"github.com/eventchain/eventchain/infra/localcloud/stats"
	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/event"
)

// EndToEndOptions configures an end-to-end run.
type EndToEndOptions struct {
	Template string
	Launches int
	// Callers post the launches, one per POST (8 when 0).
	Callers int
	// DataDir keeps localcloud's state there; empty runs in memory.
	DataDir string
	// Timeout bounds the run from the first POST.
	Timeout time.Duration
	// ProfileTo, when set, is where the run's CPU profile is written
	// (for go tool pprof); its summary by layer is in the result anyway.
	ProfileTo string
}

// endToEndOverrides measure the pipeline's own throughput: EC2's API rate
// and an instance's boot have runs of their own.
var endToEndOverrides = map[string]string{
	"LaunchRatePerSecond": "100000",
	"LauncherConcurrency": "8",
}

// chain is the history every launch must have: each event of the chain,
// in order.
var chain = []string{event.TypeLaunchRequested, event.TypeInstanceLaunched, event.TypeInstanceRunning}

// EndToEnd posts Launches launches through the whole local pipeline —
// POST /launches → launch.requested → launcher (RunInstances) →
// instance.launched → watcher (DescribeInstances) → instance.running →
// notifier → RUNNING — with no boot delay and no EC2 rate limit, from
// Callers concurrent callers, and stops the clock when the notifier has
// closed the last one. It reports launches per second, where the CPU
// time went by layer (a profile of the process from the first POST to
// the last close), the mean time of each hop from the requests' own
// histories (and fails when a history misses a step of the chain), the
// peak resident set, the data directory's size, and what the run asked
// of AWS. The run's own reads (statuses, the table's items) come after
// the count.
func EndToEnd(ctx context.Context, o EndToEndOptions) (_ EndToEndResult, err error) {
	res := EndToEndResult{Storage: "memory", Launches: o.Launches, Callers: o.Callers}
	if res.Callers <= 0 {
		res.Callers = 8
	}
	if o.DataDir != "" {
		res.Storage = "datadir"
	}
	if o.Launches < 1 {
		return res, fmt.Errorf("end to end: want at least one launch, got %d", o.Launches)
	}
	levelName, logLevel, err := templateLogLevel(o.Template)
	if err != nil {
		return res, err
	}
	// The functions log as deployed, so that the log bytes are what
	// CloudWatch Logs would ingest.
	over := maps.Clone(endToEndOverrides)
	over["LogLevel"] = levelName
	// The heap the earlier parts of a run freed would otherwise still be
	// resident, and counted in this run's peak.
	debug.FreeOSMemory()
	obs := newObserver()
	r, err := startLocal(ctx, local.Options{
		Template:         o.Template,
		DataDir:          o.DataDir,
		ObserveBatch:     obs.batch,
		ObserveRequest:   obs.request,
		FunctionLogs:     &obs.logBytes,
		FunctionLogLevel: logLevel,
	}, over)
	if err != nil {
		return res, err
	}
	defer closeInto(&err, "the local mode", r.Close)
	cloud := r.Cloud
	before := counts{sqs: opCalls(cloud.SQS.Counters()), sns: opCalls(cloud.SNS.Counters()), dynamodb: opCalls(cloud.DynamoDB.Counters())}
	obs.start()

	peak := peakRSS()
	client := httpClient(time.Minute)
	var prof cpuProfile
	if err := prof.start(); err != nil {
		return res, err
	}
	defer prof.stop()
	start := time.Now()
	ids, err := postEach(ctx, client, r.APIURL(), o.Launches, res.Callers)
	if err != nil {
		peak()
		return res, err
	}
	waitErr := waitFor(ctx, o.Timeout, func() bool { return obs.closed() >= len(ids) })
	elapsed := time.Since(start)
	rawProfile := prof.stop()
	res.PeakRSSBytes = peak()
	after := counts{sqs: opCalls(cloud.SQS.Counters()), sns: opCalls(cloud.SNS.Counters()), dynamodb: opCalls(cloud.DynamoDB.Counters())}
	// What follows is the run's own reading, not the launches' work.
	obs.counting.Store(false)
	if waitErr != nil {
		return res, fmt.Errorf("end to end: %d of %d launches closed after %s: %w", obs.closed(), len(ids), o.Timeout, waitErr)
	}
	res.Seconds = round3(elapsed.Seconds())
	res.LaunchesPerSecond = float64(len(ids)) / elapsed.Seconds()
	if res.CPU, err = Layers(rawProfile, len(ids)); err != nil {
		return res, err
	}
	if o.ProfileTo != "" {
		if err := os.WriteFile(o.ProfileTo, rawProfile, 0o644); err != nil {
			return res, fmt.Errorf("write the CPU profile: %w", err)
		}
	}

	if res.HopMeansMs, err = hopMeans(ctx, client, r.APIURL(), ids); err != nil {
		return res, err
	}
	if res.Usage, err = usage(ctx, r, obs, before, after, len(ids)); err != nil {
		return res, err
	}
	if o.DataDir != "" {
		if res.DataDirBytes, err = dirSize(o.DataDir); err != nil {
			return res, fmt.Errorf("size of the data directory: %w", err)
		}
	}
	return res, nil
}

// templateLogLevel is the template's default LogLevel: what the deployed
// functions log at, so what CloudWatch Logs would ingest.
func templateLogLevel(path string) (string, slog.Level, error) {
	t, err := samtemplate.Load(path)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	p, ok := t.Parameter("LogLevel")
	if !ok || p.Default == nil {
		return "", 0, fmt.Errorf("%s: no LogLevel parameter with a default", path)
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(*p.Default)); err != nil {
		return "", 0, fmt.Errorf("%s: LogLevel %q: %w", path, *p.Default, err)
	}
	return *p.Default, l, nil
}

// postEach posts n launches, one per POST, from callers goroutines.
func postEach(ctx context.Context, client *http.Client, apiURL string, n, callers int) ([]string, error) {
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	var (
		mu   sync.Mutex
		ids  = make([]string, 0, n)
		errs []error
		wg   sync.WaitGroup
	)
	for range callers {
		wg.Go(func() {
			for range work {
				id, err := postOne(ctx, client, apiURL)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					ids = append(ids, id)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return ids, fmt.Errorf("post %d launches: %d failed, the first: %w", n, len(errs), errs[0])
	}
	return ids, nil
}

// counts are the calls of each operation of three services.
type counts struct{ sqs, sns, dynamodb map[string]int64 }

func opCalls(c *stats.Counters) map[string]int64 {
	ops, _ := c.Snapshot()
	out := make(map[string]int64, len(ops))
	for op, s := range ops {
		out[op] = s.Calls
	}
	return out
}

// delta is after - before, without the operations not called between.
func delta(before, after map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for op, n := range after {
		if d := n - before[op]; d > 0 {
			out[op] = d
		}
	}
	return out
}

// observer collects what the local mode reports of each invocation.
type observer struct {
	counting atomic.Bool
	logBytes countingWriter

	mu          sync.Mutex
	functions   map[string]*LambdaUsage
	apiRequests int64
	receives    int64 // receives that returned messages: one per batch
	chunks      int64
	largestB    int64
	largestE    int64
	closedIDs   map[string]bool
}

func newObserver() *observer {
	return &observer{functions: map[string]*LambdaUsage{}, closedIDs: map[string]bool{}}
}

// start begins counting: the local mode's start-up is not a launch's.
func (o *observer) start() {
	o.logBytes.n.Store(0)
	o.counting.Store(true)
}

func (o *observer) closed() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.closedIDs)
}

func (o *observer) invocation(fn string, took time.Duration) {
	u := o.functions[fn]
	if u == nil {
		u = &LambdaUsage{Function: fn}
		o.functions[fn] = u
	}
	u.Invocations++
	u.BilledMs += (took.Nanoseconds() + int64(time.Millisecond) - 1) / int64(time.Millisecond)
	// The mean is kept in MeanMs as a running sum until usage divides it.
	u.MeanMs += float64(took) / float64(time.Millisecond)
}

func (o *observer) request(out local.RequestOutcome) {
	if !o.counting.Load() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.apiRequests++
	o.invocation("api", out.Took)
}

func (o *observer) batch(out local.BatchOutcome) {
	if !o.counting.Load() {
		return
	}
	var bytes int64
	for _, rec := range out.Records {
		size := int64(len(rec.Body))
		for name, a := range rec.MessageAttributes {
			size += int64(len(name) + len(a.DataType))
			if a.StringValue != nil {
				size += int64(len(*a.StringValue))
			}
			size += int64(len(a.BinaryValue))
		}
		bytes += size
		o.mu.Lock()
		o.largestE = max(o.largestE, int64(len(rec.Body)))
		o.mu.Unlock()
	}
	failed := map[string]bool{}
	for _, id := range out.Failed {
		failed[id] = true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.invocation(out.Function, out.Took)
	o.receives++
	o.chunks += chunks(bytes)
	o.largestB = max(o.largestB, bytes)
	if out.Function != "notifier" || out.Err != nil {
		return
	}
	// The notifier closes a request with its terminal event; the clock
	// stops when it has closed every one.
	for _, rec := range out.Records {
		if failed[rec.MessageId] {
			continue
		}
		var env struct {
			Subject string `json:"subject"`
		}
		if json.Unmarshal([]byte(rec.Body), &env) == nil && env.Subject != "" {
			o.closedIDs[env.Subject] = true
		}
	}
}

// platformLogBytes is what Lambda writes to the log stream around one
// invocation: its START, END and REPORT lines.
func platformLogBytes(took time.Duration, memoryMB int) int64 {
	id := event.NewID()
	start := "START RequestId: " + id + " Version: $LATEST\n"
	end := "END RequestId: " + id + "\n"
	// The peak memory's digits barely change the line; the function's
	// whole memory is its longest value.
	report := invoke.Report{RequestID: id, Duration: took, MemorySizeMB: memoryMB, MaxMemoryUsedKiB: int64(memoryMB) << 10}.String() + "\n"
	return int64(len(start) + len(end) + len(report))
}

// countingWriter counts the bytes written to it.
type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}

// usage is what the run asked of AWS, from the counters' deltas and what
// the observer saw, with the status table's items read at the end.
func usage(ctx context.Context, r *local.Runner, obs *observer, before, after counts, launches int) (Usage, error) {
	u := Usage{Launches: launches}
	obs.mu.Lock()
	u.HTTPAPIRequests = obs.apiRequests
	u.SQSReceiveChunks = obs.chunks
	u.LargestBatchBytes, u.LargestEventBytes = obs.largestB, obs.largestE
	u.LogBytes = obs.logBytes.n.Load()
	receives := obs.receives
	for _, name := range slices.Sorted(maps.Keys(obs.functions)) {
		l := *obs.functions[name]
		l.MeanMs /= float64(l.Invocations)
		if f, ok := r.Template.Function(name); ok {
			l.MemoryMB = f.MemorySize
		}
		if fn := r.Functions[name]; fn != nil {
			l.Environments = fn.Stats().Environments
		}
		if l.MemoryMB == 0 {
			obs.mu.Unlock()
			return u, fmt.Errorf("function %q of the run is not in the template", name)
		}
		u.LogBytes += l.Invocations * platformLogBytes(time.Duration(l.MeanMs*float64(time.Millisecond)), l.MemoryMB)
		u.Lambda = append(u.Lambda, l)
	}
	obs.mu.Unlock()

	u.SQSRequests = delta(before.sqs, after.sqs)
	u.SQSEmptyReceives = u.SQSRequests["ReceiveMessage"] - receives
	u.SQSRequests["ReceiveMessage"] = receives
	u.SNSRequests = map[string]int64{}
	for op, n := range delta(before.sns, after.sns) {
		// Deliver and DeliverToDLQ count localcloud's own deliveries to
		// the subscribed queues, which are no API calls.
		if !strings.HasPrefix(op, "Deliver") {
			u.SNSRequests[op] = n
		}
	}
	u.DynamoDB = delta(before.dynamodb, after.dynamodb)
	for _, f := range r.Template.Functions {
		for _, ev := range f.SQSEvents {
			if ev.Enabled {
				u.EventSourceMappings++
			}
		}
	}
	if err := itemUnits(ctx, r, &u); err != nil {
		return u, err
	}
	return u, nil
}

// itemUnits reads the status table's items and computes what one write
// and one strongly consistent read of an item cost in request units, its
// index entries included.
func itemUnits(ctx context.Context, r *local.Runner, u *Usage) error {
	if len(r.Template.Tables) != 1 {
		return fmt.Errorf("the template has %d tables; the estimate knows the status table only", len(r.Template.Tables))
	}
	table := r.Template.Tables[0]
	client := dynamodb.NewFromConfig(localtest.Config(r.CloudURL(), r.Template.Region))
	var total, wru, rru float64
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{TableName: &table.Name})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("read the items of %s: %w", table.Name, err)
		}
		for _, item := range page.Items {
			size := itemSize(item)
			total += float64(size)
			wru += float64(units(size, dynamoWriteUnitSize))
			rru += float64(units(size, dynamoReadUnitSize))
			for _, ix := range table.Indexes {
				if entry, ok := indexEntrySize(item, table, ix); ok {
					wru += float64(units(entry, dynamoWriteUnitSize))
				}
			}
			u.Items++
		}
	}
	if u.Items == 0 {
		return fmt.Errorf("%s holds no items after the run", table.Name)
	}
	n := float64(u.Items)
	u.MeanItemBytes, u.WriteUnitsPerWrite, u.ReadUnitsPerRead = total/n, wru/n, rru/n
	return nil
}

// hopMeans reads every request once (they are all closed) and returns the
// mean time of each hop of the chain, in milliseconds.
func hopMeans(ctx context.Context, client *http.Client, apiURL string, ids []string) (map[string]float64, error) {
	type entry struct {
		Event string    `json:"event"`
		At    time.Time `json:"at"`
	}
	sums := map[string]time.Duration{}
	n := map[string]int{}
	for _, id := range ids {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/launches/"+id, nil)
		if err != nil {
			return nil, fmt.Errorf("read request %s: %w", id, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("read request %s: %w", id, err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request %s: %w", id, err)
		}
		var st struct {
			Status  string  `json:"status"`
			History []entry `json:"history"`
		}
		if err := json.Unmarshal(raw, &st); err != nil {
			return nil, fmt.Errorf("request %s answered %s: %w", id, raw, err)
		}
		if st.Status != "RUNNING" {
			return nil, fmt.Errorf("request %s is %s, want RUNNING: %s", id, st.Status, raw)
		}
		events := make([]string, len(st.History))
		for i, h := range st.History {
			events[i] = h.Event
			// launch.requested is stamped when the API accepted the
			// request, so the first hop starts there.
			if i > 0 {
				name := st.History[i-1].Event + "→" + h.Event
				sums[name] += h.At.Sub(st.History[i-1].At)
				n[name]++
			}
		}
		if !slices.Equal(events, chain) {
			return nil, fmt.Errorf("request %s: history %v, want %v", id, events, chain)
		}
	}
	out := make(map[string]float64, len(sums))
	for name, sum := range sums {
		out[name] = round3(float64(sum) / float64(n[name]) / float64(time.Millisecond))
	}
	return out, nil
}

// TempDataDir makes a data directory for a run; remove it after.
func TempDataDir() (string, error) {
	dir, err := os.MkdirTemp("", "eventchain-bench-")
	if err != nil {
		return "", fmt.Errorf("data directory: %w", err)
	}
	return dir, nil
}
