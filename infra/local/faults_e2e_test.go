package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/local/localtest"
	"github.com/eventchain/eventchain/infra/localcloud/faults"
	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/launcher"
	"github.com/eventchain/eventchain/internal/status"
)

// The fault scenarios of the local mode (docs/architecture.md, "Tests"):
// each injects one kind of fault into the running pipeline, then counts
// where every accepted request ended (localtest.Check): RUNNING with
// exactly its instances, FAILED with a reason, or in a dead-letter queue
// with a reason, and never in none or two.

// check settles the pipeline and counts every request's terminal state.
func (p *pipeline) check(requests map[string]int, timeout time.Duration) localtest.Report {
	p.t.Helper()
	return localtest.Check(p.t, localtest.Pipeline{APIURL: p.APIURL(), AWS: p.cfg(), Template: p.Template}, requests, timeout)
}

// accept POSTs one launch per entry of counts, asking for that many
// instances and tagged for the fault tag when one is given, in bulk
// requests, and returns the accepted request ids with their counts.
func (p *pipeline) accept(tag string, counts ...int) map[string]int {
	p.t.Helper()
	out := map[string]int{}
	for start := 0; start < len(counts); start += 100 {
		chunk := counts[start:min(start+100, len(counts))]
		items := make([]string, len(chunk))
		for i, n := range chunk {
			tags := ""
			if tag != "" {
				tags = fmt.Sprintf(`,"tags":{%q:%q}`, faultTag, tag)
			}
			items[i] = fmt.Sprintf(`{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":%d%s}`, n, tags)
		}
		resp, body := p.post(`{"launches":[`+strings.Join(items, ",")+`]}`, nil)
		if resp.StatusCode != http.StatusAccepted {
			p.t.Fatalf("bulk POST: %d %s", resp.StatusCode, body)
		}
		var bulk struct{ Requests []struct{ RequestID string } }
		if err := json.Unmarshal(body, &bulk); err != nil || len(bulk.Requests) != len(chunk) {
			p.t.Fatalf("bulk answer %s (%v)", body, err)
		}
		for i, r := range bulk.Requests {
			out[r.RequestID] = chunk[i]
		}
	}
	return out
}

// recordedLaunch records a new request as the API does before it
// publishes, so that the rest of the chain can close it, and returns its
// launch.requested envelope, for tests that deliver it themselves.
func (p *pipeline) recordedLaunch(count int) event.Envelope {
	p.t.Helper()
	id := event.NewID()
	env, err := event.New(event.TypeLaunchRequested, event.Meta{Source: "faults-e2e", Subject: id, CorrelationID: event.NewID()},
		event.LaunchRequested{RequestID: id, ImageID: "ami-0abcdef1234567890", InstanceType: "t3.micro", Count: count})
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.Store.Create(context.Background(), status.Request{ID: id, Status: status.Pending, CorrelationID: env.CorrelationID, Caller: LocalIdentity.UserARN}); err != nil {
		p.t.Fatal(err)
	}
	return env
}

func mergeRequests(sets ...map[string]int) map[string]int {
	out := map[string]int{}
	for _, s := range sets {
		for id, n := range s {
			out[id] = n
		}
	}
	return out
}

// faultTag is the tag a test puts on a launch to choose it for a fault;
// it travels in the launch.requested data, where a handler wrapper reads
// it.
const faultTag = "fault"

// invokeFunc is a lambda.Handler made of a function.
type invokeFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f invokeFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// firstDelivery is a record of an SQS event on its first receive.
type firstDelivery struct {
	requestID string
	// tag is the launch's fault tag, for a launch.requested.
	tag string
}

// firstDeliveries reads the records of an SQS event payload that SQS
// hands out for the first time.
func firstDeliveries(payload []byte) []firstDelivery {
	var ev lambdaevents.SQSEvent
	if json.Unmarshal(payload, &ev) != nil {
		return nil
	}
	var out []firstDelivery
	for _, r := range ev.Records {
		if r.Attributes["ApproximateReceiveCount"] != "1" {
			continue
		}
		env, err := event.Decode([]byte(r.Body))
		if err != nil {
			continue
		}
		d := firstDelivery{requestID: env.Subject}
		var data event.LaunchRequested
		if env.Type == event.TypeLaunchRequested && json.Unmarshal(env.Data, &data) == nil {
			d.tag = data.Tags[faultTag]
		}
		out = append(out, d)
	}
	return out
}

// faultLedger remembers which requests a wrapper chose and which it hit.
type faultLedger struct {
	mu     sync.Mutex
	tagged map[string]string // request id → fault tag, as the launcher saw it
	struck map[string]map[string]bool
}

func newFaultLedger() *faultLedger {
	return &faultLedger{tagged: map[string]string{}, struck: map[string]map[string]bool{}}
}

// hit reports whether a first delivery of payload belongs to a request
// chosen for the fault tag, and notes the requests it hits. A
// launch.requested is chosen by its own tag, a later event by the tag its
// request's launch carried (the launcher sees each request first).
func (l *faultLedger) hit(payload []byte, tag string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	hit := false
	for _, d := range firstDeliveries(payload) {
		if d.tag != "" {
			l.tagged[d.requestID] = d.tag
		}
		if l.tagged[d.requestID] != tag {
			continue
		}
		hit = true
		if l.struck[tag] == nil {
			l.struck[tag] = map[string]bool{}
		}
		l.struck[tag][d.requestID] = true
	}
	return hit
}

// hits returns the requests a fault hit.
func (l *faultLedger) hits(tag string) map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]bool{}
	for id := range l.struck[tag] {
		out[id] = true
	}
	return out
}

// expectHit fails the test unless the fault hit exactly the chosen
// requests: a fault that never fired proves nothing.
func expectHit(t *testing.T, l *faultLedger, tag string, chosen map[string]int) {
	t.Helper()
	hit := l.hits(tag)
	for id := range chosen {
		if !hit[id] {
			t.Errorf("fault %s never hit request %s", tag, id)
		}
	}
	for id := range hit {
		if _, ok := chosen[id]; !ok {
			t.Errorf("fault %s hit request %s, which was not chosen", tag, id)
		}
	}
}

// expectRelaunched fails the test unless EC2 saw RunInstances again for
// each request whose launch was done and its answer lost: a redelivery
// that came after its request was RUNNING would be skipped by the
// launcher, and the ClientToken the test is about never used.
func expectRelaunched(t *testing.T, calls int64, requests, relaunched map[string]int) {
	t.Helper()
	if want := int64(len(requests) + len(relaunched)); calls < want {
		t.Errorf("%d RunInstances calls for %d requests, %d of them redelivered after launching: want at least %d", calls, len(requests), len(relaunched), want)
	}
}

// TestFaultLauncherPanicsOnFirstDelivery crashes the launcher on the
// first delivery of chosen records: before the handler runs (nothing
// done), or after it (instances launched, instance.launched published,
// and the answer lost). The runner counts a panic as a function error, so
// every record of the batch, chosen or not, comes back after the
// visibility timeout (1 s), while the instances still boot (3 s), so the
// request is LAUNCHING and the launcher calls RunInstances again: the
// second delivery must not launch a second set.
func TestFaultLauncherPanicsOnFirstDelivery(t *testing.T) {
	ledger := newFaultLedger()
	p := startPipelineWith(t, nil, 3*time.Second, func(function string, h lambda.Handler) lambda.Handler {
		if function != event.FunctionLauncher {
			return h
		}
		return invokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			if ledger.hit(payload, "panic-before") {
				panic("injected: the launcher crashes before handling its batch")
			}
			after := ledger.hit(payload, "panic-after")
			answer, err := h.Invoke(ctx, payload)
			if after {
				panic("injected: the launcher crashes after handling its batch, its answer lost")
			}
			return answer, err
		})
	})

	runInstances := &p.Cloud.EC2.Counters().Op("RunInstances").Calls
	before := p.accept("panic-before", 1, 2, 3)
	after := p.accept("panic-after", 2, 1, 3)
	plain := p.accept("", 1, 1, 2, 2)
	requests := mergeRequests(before, after, plain)
	report := p.check(requests, 60*time.Second)
	expectRelaunched(t, runInstances.Load(), requests, after)

	expectHit(t, ledger, "panic-before", before)
	expectHit(t, ledger, "panic-after", after)
	var panics int
	p.mu.Lock()
	for _, b := range p.batches {
		var pe *PanicError
		if b.Function == event.FunctionLauncher && errors.As(b.Err, &pe) {
			panics++
		}
	}
	p.mu.Unlock()
	if panics == 0 {
		t.Error("no launcher invocation ended in a panic")
	}
	if report.Counts[localtest.Running] != len(requests) {
		t.Errorf("%d of %d requests RUNNING with exactly their instances", report.Counts[localtest.Running], len(requests))
	}
	if len(report.Strays) > 0 {
		t.Errorf("dead letters of no request: %v", report.Strays)
	}
}

// TestFaultHandlersRunPastTheirTimeout makes the launcher and the notifier
// overrun their timeout on the first delivery of chosen records, after
// doing their work: the runner abandons the invocation at its deadline
// and discards its answer, as Lambda does, so the batch comes back and is
// handled a second time by a fresh execution environment. The instances
// boot for 5 s, longer than the launcher's record takes to come back, so
// that second launch finds its request LAUNCHING. The requests still end
// RUNNING with one set of instances.
func TestFaultHandlersRunPastTheirTimeout(t *testing.T) {
	ledger := newFaultLedger()
	overrun := func(tag string) func(string, lambda.Handler) lambda.Handler {
		return func(_ string, h lambda.Handler) lambda.Handler {
			return invokeFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
				stuck := ledger.hit(payload, tag)
				answer, err := h.Invoke(ctx, payload)
				if stuck {
					// Stuck past the deadline in something that ignores
					// the context, as a handler blocked on a call without
					// a timeout is.
					deadline, _ := ctx.Deadline()
					time.Sleep(time.Until(deadline) + 500*time.Millisecond)
				}
				return answer, err
			})
		}
	}
	wrappers := map[string]func(string, lambda.Handler) lambda.Handler{
		event.FunctionLauncher: overrun("overrun-launcher"),
		event.FunctionNotifier: overrun("overrun-notifier"),
	}
	// Timeouts of 2 s, so an overrun takes seconds, under a visibility
	// timeout just above them: the template's 6 × timeout would only make
	// the redelivery slower.
	p := startPipelineWith(t, map[string]string{"LauncherTimeout": "2", "FunctionTimeout": "2", "QueueVisibilityTimeout": "3"}, 5*time.Second,
		func(function string, h lambda.Handler) lambda.Handler {
			if w, ok := wrappers[function]; ok {
				return w(function, h)
			}
			return h
		})

	runInstances := &p.Cloud.EC2.Counters().Op("RunInstances").Calls
	launcherOverruns := p.accept("overrun-launcher", 1, 3)
	notifierOverruns := p.accept("overrun-notifier", 2, 1)
	plain := p.accept("", 1, 2, 3)
	requests := mergeRequests(launcherOverruns, notifierOverruns, plain)
	report := p.check(requests, 60*time.Second)
	expectRelaunched(t, runInstances.Load(), requests, launcherOverruns)

	expectHit(t, ledger, "overrun-launcher", launcherOverruns)
	expectHit(t, ledger, "overrun-notifier", notifierOverruns)
	timedOut := map[string]int{}
	p.mu.Lock()
	for _, b := range p.batches {
		if errors.Is(b.Err, ErrTimeout) {
			timedOut[b.Function]++
		}
	}
	p.mu.Unlock()
	for _, fn := range []string{event.FunctionLauncher, event.FunctionNotifier} {
		if timedOut[fn] == 0 {
			t.Errorf("no %s invocation was abandoned at its deadline", fn)
		}
	}
	if report.Counts[localtest.Running] != len(requests) {
		t.Errorf("%d of %d requests RUNNING with exactly their instances", report.Counts[localtest.Running], len(requests))
	}
	if len(report.Strays) > 0 {
		t.Errorf("dead letters of no request: %v", report.Strays)
	}
}

// TestFaultEC2ThrottleStormThenNoCapacity: EC2 throttles the chain's
// calls (RequestLimitExceeded on RunInstances and DescribeInstances) in a
// storm, then has no capacity (InsufficientInstanceCapacity on
// RunInstances) for a while, both far shorter than the launch queue's
// receive budget. The storm begins while earlier requests' instances boot
// (2 s), so the watcher meets it too, and launches are accepted during
// each phase and after. Nothing may reach a dead-letter queue for a
// transient error, every request must run, and each retry must come back
// when the retry schedule says: its delay within the schedule's bounds
// for its receive, and the next attempt within that delay (not the
// queues' 390 s visibility timeout, kept here as the template has it).
func TestFaultEC2ThrottleStormThenNoCapacity(t *testing.T) {
	const (
		storm       = 2 * time.Second
		shortage    = 3 * time.Second
		maxReceives = 8
		// How late a retry may start after its delay: the poller's
		// receive and a loaded machine. A retry that waited the
		// visibility timeout would be minutes late.
		lateness = 2 * time.Second
	)
	schedule, err := consumer.LoadBackoff(func(k string) (string, bool) { v, ok := e2eEnvironment[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if budget := schedule.MinElapsed(maxReceives); storm+shortage > budget/2 {
		t.Fatalf("the faults last %s, not well within the receive budget %s: the test would not be about transient errors", storm+shortage, budget)
	}
	p := startPipelineWith(t, map[string]string{"QueueVisibilityTimeout": "390", "LaunchMaxReceiveCount": fmt.Sprint(maxReceives)}, 2*time.Second, nil)
	inject := func(fs ...faults.Fault) {
		t.Helper()
		if err := p.Cloud.InjectFaults(faults.Set{Faults: fs}); err != nil {
			t.Fatal(err)
		}
	}

	booting := p.accept("", 1, 2, 3)
	for id := range booting {
		for deadline := time.Now().Add(10 * time.Second); p.get("/launches/"+id).Status != string(status.Launching); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s not LAUNCHING after 10 s: the storm would not meet the watcher", id)
			}
		}
	}
	describeErrors := &p.Cloud.EC2.Counters().Op("DescribeInstances").Errors
	describeErrorsBefore := describeErrors.Load()
	start := time.Now()
	inject(faults.Fault{Service: "ec2", Operation: "RunInstances", Code: "RequestLimitExceeded", Count: faults.UntilCleared},
		faults.Fault{Service: "ec2", Operation: "DescribeInstances", Code: "RequestLimitExceeded", Count: faults.UntilCleared})
	inStorm := p.accept("", 1, 2, 3, 1, 2, 3, 1, 2)
	time.Sleep(time.Until(start.Add(storm)))
	p.Cloud.ClearFaults()
	inject(faults.Fault{Service: "ec2", Operation: "RunInstances", Code: "InsufficientInstanceCapacity", Count: faults.UntilCleared})
	inShortage := p.accept("", 3, 2, 1, 1)
	time.Sleep(time.Until(start.Add(storm + shortage)))
	p.Cloud.ClearFaults()
	afterwards := p.accept("", 1, 2)
	requests := mergeRequests(booting, inStorm, inShortage, afterwards)
	report := p.check(requests, 90*time.Second)

	if report.Counts[localtest.Running] != len(requests) {
		t.Errorf("%d of %d requests RUNNING with exactly their instances", report.Counts[localtest.Running], len(requests))
	}
	if len(report.Strays) > 0 {
		t.Errorf("dead letters for transient errors: %v", report.Strays)
	}

	retried := map[string]int{} // code → retries
	var slowest, latest time.Duration
	for id := range requests {
		st := p.get("/launches/" + id)
		hops := st.Hops
		for i, h := range hops {
			if h.Outcome != status.OutcomeRetry {
				continue
			}
			retried[h.Function+" "+h.Code]++
			if h.Code == "RequestLimitExceeded" || h.Code == "InsufficientInstanceCapacity" {
				shortest, longest := schedule.Bounds(h.ReceiveCount)
				lo := time.Duration(math.Ceil(shortest.Seconds())) * time.Second
				hi := time.Duration(math.Ceil(longest.Seconds())) * time.Second
				if h.RetryIn < lo || h.RetryIn > hi {
					t.Errorf("%s: %s retry after receive %d (%s) back in %s, the schedule says %s..%s", id, h.Function, h.ReceiveCount, h.Code, h.RetryIn, lo, hi)
				}
			}
			next := slices.IndexFunc(hops[i+1:], func(n status.Hop) bool {
				return n.Function == h.Function && n.EventID == h.EventID && n.ReceiveCount == h.ReceiveCount+1
			})
			if next < 0 {
				t.Errorf("%s: %s retried after receive %d and never received again: %+v", id, h.Function, h.ReceiveCount, hops)
				continue
			}
			n := hops[i+1+next]
			due := h.At.Add(h.RetryIn)
			began := n.At.Add(-n.Duration)
			late := began.Sub(due)
			latest = max(latest, late)
			if late > lateness || late < -500*time.Millisecond {
				t.Errorf("%s: %s receive %d began %s after its retry was due (delay %s after receive %d, %s)", id, h.Function, n.ReceiveCount, late, h.RetryIn, h.ReceiveCount, h.Code)
			}
		}
		if len(hops) > 0 {
			if took := hops[len(hops)-1].At.Sub(hops[0].At.Add(-hops[0].Duration)); took > slowest {
				slowest = took
			}
		}
	}
	t.Logf("retries by function and code: %v; latest retry %s after its due time; slowest request %s from first receive to its last hop",
		retried, latest.Round(time.Millisecond), slowest.Round(time.Millisecond))
	for _, want := range []string{"launcher RequestLimitExceeded", "launcher InsufficientInstanceCapacity"} {
		if retried[want] == 0 {
			t.Errorf("no %s retry: the fault never reached the chain", want)
		}
	}
	// The watcher's EC2 client retries a throttled call itself, so the
	// storm shows at EC2 rather than in its hops.
	if n := describeErrors.Load() - describeErrorsBefore; n == 0 {
		t.Error("no DescribeInstances call was throttled: the storm never met the watcher")
	} else {
		t.Logf("%d DescribeInstances calls throttled", n)
	}
}

// TestFaultDuplicateDeliveriesLaunchOnce delivers every launch.requested
// three times at once (three identical entries of one PublishBatch), to a
// launcher with three environments taking one record each, so the copies
// race each other to RunInstances: each request launches one set of
// instances.
func TestFaultDuplicateDeliveriesLaunchOnce(t *testing.T) {
	p := startPipeline(t, map[string]string{"BatchSize": "1", "LauncherConcurrency": "3"})
	snsc := sns.NewFromConfig(p.cfg())
	requests := map[string]int{}
	bodies := map[string]string{} // body → request id
	for i := range 6 {
		env := p.recordedLaunch(1 + i%3)
		requests[env.Subject] = 1 + i%3
		body, _ := json.Marshal(env)
		bodies[string(body)] = env.Subject
		attrs := map[string]snstypes.MessageAttributeValue{
			event.AttrType:          {DataType: aws.String("String"), StringValue: aws.String(env.Type)},
			event.AttrCorrelationID: {DataType: aws.String("String"), StringValue: aws.String(env.CorrelationID)},
		}
		var entries []snstypes.PublishBatchRequestEntry
		for copy := range 3 {
			entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint("copy", copy)),
				Message: aws.String(string(body)), MessageAttributes: attrs})
		}
		out, err := snsc.PublishBatch(context.Background(), &sns.PublishBatchInput{TopicArn: aws.String(p.topicARN("EventsTopic")), PublishBatchRequestEntries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("publish three copies: %v %+v", err, out)
		}
	}
	report := p.check(requests, 60*time.Second)

	handled := map[string]int{}
	p.mu.Lock()
	for _, b := range p.batches {
		for _, r := range b.Records {
			if id, ok := bodies[r.Body]; ok && b.Function == event.FunctionLauncher && b.Err == nil && !slices.Contains(b.Failed, r.MessageId) {
				handled[id]++
			}
		}
	}
	p.mu.Unlock()
	for id := range requests {
		if handled[id] != 3 {
			t.Errorf("the launcher handled %d copies of %s's launch.requested, want all 3", handled[id], id)
		}
	}
	if peak := p.Functions["launcher"].Stats().PeakRunning; peak < 2 {
		t.Errorf("the launcher never ran two invocations at once (peak %d): the copies did not race", peak)
	}
	if report.Counts[localtest.Running] != len(requests) {
		t.Errorf("%d of %d requests RUNNING with exactly their instances", report.Counts[localtest.Running], len(requests))
	}
}

// snsMaxMessageBytes is SNS's limit on a message, attributes included.
const snsMaxMessageBytes = 256 * 1024

// poison is a record no consumer can handle, and where it must end.
type poison struct {
	name  string
	queue string // the queue it ends in (logical id)
	code  string // its reason
	// function that dead-lettered it; "" for the unrouted queue.
	function string
}

// poisonEnvelope is an envelope as JSON, with whatever data it is given.
func poisonEnvelope(eventType, subject, data string) string {
	b, _ := json.Marshal(map[string]any{"specversion": "1.0", "id": event.NewID(), "type": eventType, "source": "faults-e2e",
		"time": time.Now().UTC(), "subject": subject, "correlationid": event.NewID(), "data": json.RawMessage(data)})
	return string(b)
}

func launchData(id, extra string) string {
	return fmt.Sprintf(`{"requestId":%q,"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1%s}`, id, extra)
}

func snsAttrs(eventType string) map[string]snstypes.MessageAttributeValue {
	return map[string]snstypes.MessageAttributeValue{event.AttrType: {DataType: aws.String("String"), StringValue: aws.String(eventType)}}
}

func sqsAttrs(eventType string) map[string]sqstypes.MessageAttributeValue {
	return map[string]sqstypes.MessageAttributeValue{event.AttrType: {DataType: aws.String("String"), StringValue: aws.String(eventType)}}
}

// validLaunches records n requests and returns their launch.requested as
// PublishBatch entries, with the requests and their bodies.
func (p *pipeline) validLaunches(n int, requests map[string]int, bodies map[string]bool) []snstypes.PublishBatchRequestEntry {
	var out []snstypes.PublishBatchRequestEntry
	for range n {
		env := p.recordedLaunch(1)
		body, _ := json.Marshal(env)
		requests[env.Subject] = 1
		bodies[string(body)] = true
		out = append(out, snstypes.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint("valid", len(out))), Message: aws.String(string(body)), MessageAttributes: snsAttrs(env.Type)})
	}
	return out
}

func (p *pipeline) publishBatch(entries []snstypes.PublishBatchRequestEntry) {
	p.t.Helper()
	out, err := sns.NewFromConfig(p.cfg()).PublishBatch(context.Background(), &sns.PublishBatchInput{TopicArn: aws.String(p.topicARN("EventsTopic")), PublishBatchRequestEntries: entries})
	if err != nil || len(out.Failed) > 0 {
		p.t.Fatalf("publish: %v %+v", err, out)
	}
}

// expectPoisonEnded checks that the messages of the dead-letter and
// unrouted queues that belong to no accepted request are exactly the
// poison records, each once, where and why it should be, and that each
// reached its consumer once: a poison record is dead-lettered on its
// first delivery, not retried.
func (p *pipeline) expectPoisonEnded(report localtest.Report, poisons map[string]poison) {
	t := p.t
	t.Helper()
	found := map[string]int{}
	for _, l := range report.Strays {
		pz, ok := poisons[l.Body]
		if !ok {
			t.Errorf("unexpected message: %s", l)
			continue
		}
		found[l.Body]++
		if l.Queue != pz.queue || l.Reason.Code != pz.code || l.Reason.Function != pz.function {
			t.Errorf("%s ended in %s with %s by %q, want %s with %s by %q (%s)", pz.name, l.Queue, l.Reason.Code, l.Reason.Function,
				pz.queue, pz.code, pz.function, l.Reason.Message)
		}
	}
	delivered := map[string]int{}
	p.mu.Lock()
	for _, b := range p.batches {
		for _, r := range b.Records {
			if _, ok := poisons[r.Body]; ok {
				delivered[r.Body]++
			}
		}
	}
	p.mu.Unlock()
	for body, pz := range poisons {
		if found[body] != 1 {
			t.Errorf("%s: found %d times in the dead-letter and unrouted queues, want once", pz.name, found[body])
		}
		if pz.function != "" && delivered[body] != 1 {
			t.Errorf("%s reached the %s %d times, want once", pz.name, pz.function, delivered[body])
		}
	}
}

// TestFaultPoisonRecordsEndInDLQWhileTheirBatchFlows sends records no
// consumer can handle — not JSON, an envelope missing its subject, a type
// attribute that contradicts the envelope, data of the wrong JSON type,
// data missing fields, an event the consumer does not take, an event
// type no consumer knows — in the same batches as valid launches. Each
// poison record ends, once, in its consumer's DLQ with its reason (or in
// the unrouted queue), after one delivery, and the valid records of its
// batch are acknowledged and run.
func TestFaultPoisonRecordsEndInDLQWhileTheirBatchFlows(t *testing.T) {
	// A visibility timeout longer than a batch takes on a loaded machine:
	// a record seen again before its batch is done would be dead-lettered
	// twice, and "once" would not be this test's to check. Nothing here
	// waits for it unless a record fails.
	p := startPipeline(t, map[string]string{"QueueVisibilityTimeout": "10"})
	ctx := context.Background()
	sqsc := sqs.NewFromConfig(p.cfg())

	poisons := map[string]poison{} // body → what must become of it
	requests := map[string]int{}
	valid := map[string]bool{} // bodies
	var entries []sqstypes.SendMessageBatchRequestEntry
	add := func(body string, ma map[string]sqstypes.MessageAttributeValue) {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", len(entries))), MessageBody: aws.String(body), MessageAttributes: ma})
	}
	addPoison := func(pz poison, body string, ma map[string]sqstypes.MessageAttributeValue) {
		poisons[body] = pz
		add(body, ma)
	}
	addValid := func() {
		env := p.recordedLaunch(1)
		body, _ := json.Marshal(env)
		requests[env.Subject] = 1
		valid[string(body)] = true
		add(string(body), sqsAttrs(env.Type))
	}

	// One batch for the launch queue, poison between valid records.
	addValid()
	addPoison(poison{"not JSON", "LaunchDLQ", consumer.CodeMalformed, event.FunctionLauncher},
		`{"specversion":"1.0","id":"`+event.NewID()+`","type":"launch.requested"`, sqsAttrs(event.TypeLaunchRequested))
	addPoison(poison{"no subject", "LaunchDLQ", consumer.CodeMalformed, event.FunctionLauncher},
		poisonEnvelope(event.TypeLaunchRequested, "", launchData(event.NewID(), "")), sqsAttrs(event.TypeLaunchRequested))
	addValid()
	id := event.NewID()
	addPoison(poison{"type attribute contradicts the envelope", "LaunchDLQ", consumer.CodeTypeMismatch, event.FunctionLauncher},
		poisonEnvelope(event.TypeLaunchRequested, id, launchData(id, "")), sqsAttrs(event.TypeInstanceRunning))
	id = event.NewID()
	addPoison(poison{"count of the wrong JSON type", "LaunchDLQ", launcher.CodeInvalidPayload, event.FunctionLauncher},
		poisonEnvelope(event.TypeLaunchRequested, id, fmt.Sprintf(`{"requestId":%q,"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":"two"}`, id)), sqsAttrs(event.TypeLaunchRequested))
	addValid()
	id = event.NewID()
	addPoison(poison{"no image or instance type", "LaunchDLQ", launcher.CodeInvalidPayload, event.FunctionLauncher},
		poisonEnvelope(event.TypeLaunchRequested, id, fmt.Sprintf(`{"requestId":%q,"count":1}`, id)), sqsAttrs(event.TypeLaunchRequested))
	id = event.NewID()
	addPoison(poison{"an event the launcher does not take", "LaunchDLQ", consumer.CodeUnexpectedType, event.FunctionLauncher},
		poisonEnvelope(event.TypeInstanceRunning, id, fmt.Sprintf(`{"requestId":%q,"instanceIds":["i-0123456789abcdef0"]}`, id)), sqsAttrs(event.TypeInstanceRunning))
	addValid()
	if len(entries) > 10 {
		t.Fatalf("%d entries: SendMessageBatch takes 10", len(entries))
	}
	out, err := sqsc.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(p.queueURL("LaunchQueue")), Entries: entries})
	if err != nil || len(out.Failed) > 0 {
		t.Fatalf("send the launch batch: %v %+v", err, out)
	}
	// Not JSON on the other consumed queues, among the valid records
	// the chain sends there.
	for _, q := range []struct{ queue, dlq, function string }{
		{"WatchQueue", "WatchDLQ", event.FunctionWatcher}, {"NotifyQueue", "NotifyDLQ", event.FunctionNotifier},
	} {
		body := "not json for the " + q.function + " " + event.NewID()
		poisons[body] = poison{"not JSON", q.dlq, consumer.CodeMalformed, q.function}
		if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(p.queueURL(q.queue)), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	// Through the topic, with valid launches: an event type nobody
	// consumes.
	published := p.validLaunches(3, requests, valid)
	id = event.NewID()
	unknown := poisonEnvelope("launch.cancelled", id, fmt.Sprintf(`{"requestId":%q}`, id))
	poisons[unknown] = poison{"an event type no consumer knows", "UnroutedQueue", localtest.CodeUnrouted, ""}
	p.publishBatch(append(published, snstypes.PublishBatchRequestEntry{Id: aws.String("unknown"), Message: aws.String(unknown), MessageAttributes: snsAttrs("launch.cancelled")}))

	report := p.check(requests, 60*time.Second)
	if report.Counts[localtest.Running] != len(requests) {
		t.Errorf("%d of %d valid requests RUNNING with exactly their instances", report.Counts[localtest.Running], len(requests))
	}
	p.expectPoisonEnded(report, poisons)

	mixed := 0
	p.mu.Lock()
	for _, b := range p.batches {
		var poisoned, fine int
		for _, r := range b.Records {
			if _, ok := poisons[r.Body]; ok {
				poisoned++
			}
			if valid[r.Body] {
				fine++
			}
		}
		if poisoned == 0 {
			continue
		}
		if b.Err != nil || len(b.Failed) > 0 {
			t.Errorf("%s batch with %d poison records: error %v, %d records left for redelivery", b.Function, poisoned, b.Err, len(b.Failed))
		}
		if fine > 0 {
			mixed++
		}
	}
	p.mu.Unlock()
	if mixed == 0 {
		t.Error("no batch held poison and valid records together: the test proves nothing about the rest of a batch")
	}
}

// TestFaultPoisonAtSNSSizeLimitDeadLetteredWithItsReason publishes a
// launch.requested of exactly SNS's size limit whose data has a field the
// schema does not (InvalidPayload), between valid launches. It must end
// in the launch DLQ with its reason after one delivery, like any poison
// record: its dead letter carries the body SQS received plus the three
// error attributes, so a DLQ that allows only 256 KiB refuses it, the
// consumer leaves it to the redrive policy, and the reason is lost after
// a whole receive budget of failures.
func TestFaultPoisonAtSNSSizeLimitDeadLetteredWithItsReason(t *testing.T) {
	// A failure to dead-letter it shows as redeliveries, each after the
	// visibility timeout: short, but longer than a batch takes.
	p := startPipeline(t, map[string]string{"LaunchMaxReceiveCount": "5", "QueueVisibilityTimeout": "3"})
	snsc := sns.NewFromConfig(p.cfg())
	requests, valid := map[string]int{}, map[string]bool{}
	p.publishBatch(p.validLaunches(3, requests, valid))

	id := event.NewID()
	// SNS counts the message and each attribute's name, type and value.
	limit := snsMaxMessageBytes - len(event.AttrType) - len("String") - len(event.TypeLaunchRequested)
	base := poisonEnvelope(event.TypeLaunchRequested, id, launchData(id, `,"padding":""`))
	huge := strings.Replace(base, `"padding":""`, `"padding":"`+strings.Repeat("x", limit-len(base))+`"`, 1)
	topic := aws.String(p.topicARN("EventsTopic"))
	if _, err := snsc.Publish(context.Background(), &sns.PublishInput{TopicArn: topic, Message: aws.String(huge + " "), MessageAttributes: snsAttrs(event.TypeLaunchRequested)}); err == nil {
		t.Fatal("SNS took a message one byte over its limit: the next one is not at the limit")
	}
	if _, err := snsc.Publish(context.Background(), &sns.PublishInput{TopicArn: topic, Message: aws.String(huge), MessageAttributes: snsAttrs(event.TypeLaunchRequested)}); err != nil {
		t.Fatalf("publish at the size limit: %v", err)
	}
	p.publishBatch(p.validLaunches(3, requests, valid))

	report := p.check(requests, 60*time.Second)
	if report.Counts[localtest.Running] != len(requests) {
		t.Errorf("%d of %d valid requests RUNNING with exactly their instances", report.Counts[localtest.Running], len(requests))
	}
	p.expectPoisonEnded(report, map[string]poison{
		huge: {"a launch.requested at SNS's size limit", "LaunchDLQ", launcher.CodeInvalidPayload, event.FunctionLauncher},
	})
}
