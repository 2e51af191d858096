package local

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/faults"
	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
)

// tracedLaunch is what GET /launches/{id} answers, as far as these tests
// read it.
type tracedLaunch struct {
	Status string       `json:"status"`
	Hops   []status.Hop `json:"hops"`
}

func (p *pipeline) get(location string) tracedLaunch {
	p.t.Helper()
	resp, err := http.Get(p.APIURL() + location)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("GET %s: %d %s", location, resp.StatusCode, b)
	}
	var st tracedLaunch
	if err := json.Unmarshal(b, &st); err != nil {
		p.t.Fatalf("GET %s: %v: %s", location, err, b)
	}
	return st
}

func launcherRetries(hops []status.Hop) []status.Hop {
	var out []status.Hop
	for _, h := range hops {
		if h.Function == event.FunctionLauncher && h.Outcome == status.OutcomeRetry {
			out = append(out, h)
		}
	}
	return out
}

// TestEndToEndTransientFailuresRetryInSeconds injects the README's example,
// three InsufficientInstanceCapacity answers to RunInstances (as
// `eventchain run --ec2-fail RunInstances:InsufficientInstanceCapacity:3`
// does), with the template's own 390 s visibility timeout on the launch
// queue. Each failure backs off on the retry schedule (its base shortened
// by e2eEnvironment), so the request runs within seconds, where waiting
// out the visibility timeout would take about 20 minutes. While the
// request is still ACCEPTED, GET /launches/{id} already shows the attempts
// with their error.
func TestEndToEndTransientFailuresRetryInSeconds(t *testing.T) {
	// INFO: the per-record lines the readable log is made from.
	p := startPipeline(t, map[string]string{"QueueVisibilityTimeout": "390", "LogLevel": "INFO"})
	if err := p.Cloud.InjectFaults(faults.Set{Faults: []faults.Fault{
		{Service: "ec2", Operation: "RunInstances", Code: "InsufficientInstanceCapacity", Count: 3},
	}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, body := p.post(`{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1}`, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST: %d %s", resp.StatusCode, body)
	}
	location := resp.Header.Get("Location")

	// One visibility timeout is 390 s: a bound of a minute tells the
	// backoff from the queue's timeout with room for a loaded machine.
	const bound = time.Minute
	var st tracedLaunch
	seenWhileAccepted := 0
	for st = p.get(location); st.Status != "RUNNING" && st.Status != "FAILED"; st = p.get(location) {
		if st.Status == "ACCEPTED" {
			seenWhileAccepted = max(seenWhileAccepted, len(launcherRetries(st.Hops)))
		}
		if time.Since(start) > bound {
			t.Fatalf("%s still %s after %s with hops %+v: the retries wait the queue's visibility timeout", location, st.Status, bound, st.Hops)
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(start)
	if st.Status != "RUNNING" {
		t.Fatalf("request ended %s, want RUNNING after three transient failures; hops %+v", st.Status, st.Hops)
	}
	t.Logf("RUNNING after three transient failures in %s", took.Round(time.Millisecond))
	if seenWhileAccepted == 0 {
		t.Error("while ACCEPTED, GET showed no attempt of the launcher: a person following the request sees nothing happen")
	}

	schedule, err := consumer.LoadBackoff(func(k string) (string, bool) { v, ok := e2eEnvironment[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	retries := launcherRetries(st.Hops)
	if len(retries) != 3 {
		t.Fatalf("%d launcher retries in the hops, want 3: %+v", len(retries), st.Hops)
	}
	for i, h := range retries {
		shortest, longest := schedule.Bounds(i + 1)
		lo := time.Duration(math.Ceil(shortest.Seconds())) * time.Second
		hi := time.Duration(math.Ceil(longest.Seconds())) * time.Second
		if h.ReceiveCount != i+1 || h.Code != "InsufficientInstanceCapacity" || !strings.Contains(h.Reason, "InsufficientInstanceCapacity") ||
			h.RetryIn < lo || h.RetryIn > hi {
			t.Errorf("retry %d: receive %d, code %q, reason %q, back in %v; want receive %d, InsufficientInstanceCapacity, back in %v..%v",
				i+1, h.ReceiveCount, h.Code, h.Reason, h.RetryIn, i+1, lo, hi)
		}
	}
	var launched bool
	for _, h := range st.Hops {
		launched = launched || (h.Function == event.FunctionLauncher && h.Outcome == status.OutcomeOK && h.ReceiveCount == 4)
	}
	if !launched {
		t.Errorf("no successful launcher hop on receive 4: %+v", st.Hops)
	}

	// The readable log of `eventchain run` is made from the functions' own
	// per-record lines: each retry is there with its receive and code.
	p.mu.Lock()
	defer p.mu.Unlock()
	var logged []string
	for _, l := range p.records {
		if l.Function == event.FunctionLauncher && l.Outcome == consumer.OutcomeRetry && l.ErrorCode == "InsufficientInstanceCapacity" {
			logged = append(logged, l.ReceiveCount)
		}
	}
	if strings.Join(logged, ",") != "1,2,3" {
		t.Errorf("launcher retry lines on receives %v, want 1,2,3", logged)
	}
}
