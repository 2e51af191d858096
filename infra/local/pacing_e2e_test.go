package local

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEndToEndLauncherPacesAtTheWholeRate: with LaunchRatePerSecond R and
// LauncherConcurrency C, each of the launcher's C execution environments
// paces itself at R / C, so RunInstances reaches EC2 at R calls per second
// in all, as deployed. One pacer shared by every invocation would let
// R / C through. The rate is read at the emulator, from its count of
// RunInstances calls, between the first call and the last: after the
// first C calls (one token each environment starts with) the rest come at
// R per second at most, so the measured rate cannot exceed R; a loaded
// machine can only slow it, and the bounds leave it half.
func TestEndToEndLauncherPacesAtTheWholeRate(t *testing.T) {
	const (
		rate        = 8 // R
		concurrency = 4 // C: a shared pacer would allow 2 calls/s
		launches    = 40
	)
	p := startPipeline(t, map[string]string{
		"LaunchRatePerSecond": fmt.Sprint(rate),
		"LauncherConcurrency": fmt.Sprint(concurrency),
		// One record per invocation, so that every environment has work.
		"BatchSize": "1",
	})
	calls := &p.Cloud.EC2.Counters().Op("RunInstances").Calls
	before := calls.Load()

	// The clock runs before the POST: the launcher may call EC2 while
	// the API is still answering.
	type span struct{ first, last time.Time }
	measured := make(chan span, 1)
	go func() {
		var s span
		deadline := time.Now().Add(2 * time.Minute)
		for {
			n, now := calls.Load()-before, time.Now()
			if n >= 1 && s.first.IsZero() {
				s.first = now
			}
			if n >= launches || now.After(deadline) {
				s.last = now
				measured <- s
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	items := make([]string, launches)
	for i := range items {
		items[i] = `{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1}`
	}
	if resp, body := p.post(`{"launches":[`+strings.Join(items, ",")+`]}`, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("bulk POST: %d %s", resp.StatusCode, body)
	}
	s := <-measured
	if n := calls.Load() - before; n < launches {
		t.Fatalf("%d of %d RunInstances calls after 2 minutes", n, launches)
	}
	first, last := s.first, s.last
	got := float64(launches-concurrency) / last.Sub(first).Seconds()
	t.Logf("%d RunInstances calls in %s: %.1f calls/s after the first %d (R = %d, C = %d)",
		launches, last.Sub(first).Round(time.Millisecond), got, concurrency, rate, concurrency)
	if got < rate/2.0 || got > rate*1.25 {
		t.Errorf("RunInstances at %.1f calls/s, want about R = %d (R / C = %d would be one pacer shared by all environments)",
			got, rate, rate/concurrency)
	}
	if n := p.Functions["launcher"].Stats().Environments; n != concurrency {
		t.Errorf("launcher ran in %d execution environments, want its reserved concurrency %d", n, concurrency)
	}
}
