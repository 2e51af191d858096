package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

// BenchmarkEndToEnd measures launches per second through the whole local
// pipeline: POST /launches → launch.requested → launcher (RunInstances) →
// instance.launched → watcher (DescribeInstances) → instance.running →
// notifier → RUNNING, with no boot delay and no EC2 rate limit. Each
// iteration is one launch request; they are posted by 8 concurrent callers
// and the clock stops when the last one reads RUNNING. Besides launches/s it
// reports the mean time each hop took, from the requests' own history, and
// fails if a history misses a step of the chain.
func BenchmarkEndToEnd(b *testing.B) {
	for _, tc := range []struct {
		name    string
		dataDir bool
	}{{"memory", false}, {"datadir", true}} {
		b.Run(tc.name, func(b *testing.B) {
			opts := Options{
				Template:  "../../template.yaml",
				APIAddr:   "127.0.0.1:0",
				CloudAddr: "127.0.0.1:0",
				Overrides: map[string]string{
					"BatchingWindowSeconds": "0",
					"LaunchRatePerSecond":   "100000",
					"LauncherConcurrency":   "8",
					"LogLevel":              "ERROR",
				},
				PollWaitSeconds: 1,
			}
			if tc.dataDir {
				opts.DataDir = b.TempDir()
			}
			r, err := Start(context.Background(), opts)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			body := []byte(`{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1}`)

			ids := make(chan string, b.N)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			work := make(chan struct{}, b.N)
			for range b.N {
				work <- struct{}{}
			}
			close(work)
			for range 8 {
				wg.Go(func() {
					for range work {
						resp, err := http.Post(r.APIURL()+"/launches", "application/json", bytes.NewReader(body))
						if err != nil {
							b.Error(err)
							return
						}
						var a struct{ RequestID string }
						err = json.NewDecoder(resp.Body).Decode(&a)
						resp.Body.Close()
						if resp.StatusCode != http.StatusAccepted || err != nil {
							b.Errorf("POST: %d %v", resp.StatusCode, err)
							return
						}
						ids <- a.RequestID
					}
				})
			}
			wg.Wait()
			close(ids)
			var all []string
			for id := range ids {
				all = append(all, id)
			}
			hops := waitAllRunning(b, r.APIURL(), all, 5*time.Minute)
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "launches/s")
			for _, h := range hops {
				b.ReportMetric(h.mean.Seconds()*1000, h.name+"-ms")
			}
		})
	}
}

type hop struct {
	name string
	mean time.Duration
}

// waitAllRunning polls until every request is RUNNING and returns the mean
// duration of each hop of the chain, read from the requests' histories.
func waitAllRunning(b *testing.B, apiURL string, ids []string, timeout time.Duration) []hop {
	b.Helper()
	type historyEntry struct {
		Event string    `json:"event"`
		At    time.Time `json:"at"`
	}
	chain := []string{"launch.requested", "instance.launched", "instance.running"}
	sums := map[string]time.Duration{}
	counts := map[string]int{}
	deadline := time.Now().Add(timeout)
	pending := ids
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d requests not RUNNING after %s", len(pending), len(ids), timeout)
		}
		var still []string
		for _, id := range pending {
			resp, err := http.Get(apiURL + "/launches/" + id)
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var st struct {
				Status  string
				History []historyEntry
			}
			if err := json.Unmarshal(raw, &st); err != nil {
				b.Fatal(err)
			}
			switch st.Status {
			case "RUNNING":
				// launch.requested is stamped when the API accepted the
				// request, so the first hop starts there.
				var events []string
				for i, h := range st.History {
					events = append(events, h.Event)
					if i > 0 {
						name := fmt.Sprintf("%s→%s", st.History[i-1].Event, h.Event)
						sums[name] += h.At.Sub(st.History[i-1].At)
						counts[name]++
					}
				}
				if !slices.Equal(events, chain) {
					b.Fatalf("request %s: history %v, want %v", id, events, chain)
				}
			case "FAILED":
				b.Fatalf("request %s failed: %s", id, raw)
			default:
				still = append(still, id)
			}
		}
		pending = still
		if len(pending) > 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	var out []hop
	for name, sum := range sums {
		out = append(out, hop{name: name, mean: sum / time.Duration(counts[name])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
