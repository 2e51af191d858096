package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/local/localtest"
)

// loadEnv sets how many launches TestLoad sends: `make load` sets it to
// 10,000, `make load-ci` to 1,000.
const loadEnv = "LOAD_N"

// loadBudget bounds a load run: a fixed allowance for the start and the
// audit, plus a time per launch about twice what two cores shared with
// other work took (25 to 45 ms; five times that under the race
// detector). A run past it is a slowdown worth failing on, not noise.
func loadBudget(n int) time.Duration {
	perLaunch := 60 * time.Millisecond
	if raceDetector {
		perLaunch *= 5
	}
	return 2*time.Minute + time.Duration(n)*perLaunch
}

// TestLoad sends LOAD_N launches through the local mode in process, on a data directory as `eventchain run` keeps by
// default, posted by 8 callers at once, one launch per POST. It counts
// where each ended (localtest.Audit): none lost, none launched twice, all
// RUNNING, nothing dead-lettered, within loadBudget. It reports the
// duration, launches per second and the peak RSS of the process, which
// holds the pipeline, localcloud and the callers.
func TestLoad(t *testing.T) {
	v, ok := os.LookupEnv(loadEnv)
	if !ok {
		// Minutes of load have no place in every `make test`.
		t.Skipf("%s is not set: make load runs 10,000 launches, make load-ci 1,000", loadEnv)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive count", loadEnv, v)
	}
	budget := loadBudget(n)
	r, err := Start(context.Background(), Options{
		Template:  "../../template.yaml",
		APIAddr:   "127.0.0.1:0",
		CloudAddr: "127.0.0.1:0",
		DataDir:   t.TempDir(),
		Overrides: map[string]string{
			"BatchingWindowSeconds": "0",
			// The pipeline's throughput is measured, not EC2's API rate
			// or an instance's boot, which have their own tests.
			"LaunchRatePerSecond":     "100000",
			"LauncherConcurrency":     "8",
			"WatchBackoffBaseSeconds": "1",
			"WatchBackoffMaxSeconds":  "1",
			"LogLevel":                "ERROR",
		},
		PollWaitSeconds: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})

	start := time.Now()
	work := make(chan int)
	var (
		mu       sync.Mutex
		accepted = make(map[string]int, n)
		callers  sync.WaitGroup
	)
	for range 8 {
		callers.Go(func() {
			for i := range work {
				count := 1 + i%3
				body := fmt.Sprintf(`{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":%d}`, count)
				resp, err := http.Post(r.APIURL()+"/launches", "application/json", bytes.NewBufferString(body))
				if err != nil {
					t.Errorf("POST: %v", err)
					continue
				}
				var a struct{ RequestID string }
				err = json.NewDecoder(resp.Body).Decode(&a)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted || err != nil {
					t.Errorf("POST: %d %v", resp.StatusCode, err)
					continue
				}
				mu.Lock()
				accepted[a.RequestID] = count
				mu.Unlock()
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	callers.Wait()
	posted := time.Since(start)

	pipeline := localtest.Pipeline{APIURL: r.APIURL(), AWS: r.awsConfig(), Template: r.Template}
	ctx := context.Background()
	if err := localtest.Settle(ctx, pipeline, budget-time.Since(start)); err != nil {
		t.Fatalf("%d launches not done within %s: %v", n, budget, err)
	}
	took := time.Since(start)
	report, err := localtest.Audit(ctx, pipeline, accepted)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	for i, v := range report.Unsettled {
		if i == 20 {
			t.Errorf("… and %d more", len(report.Unsettled)-20)
			break
		}
		t.Errorf("not in exactly one terminal state: %s", v)
	}
	launchedTwice := 0
	for _, v := range report.Verdicts {
		if len(v.Instances) > v.Count {
			launchedTwice++
		}
	}
	lost := n - report.Counts[localtest.Running] - report.Counts[localtest.Failed] - report.Counts[localtest.DeadLettered]
	if report.Counts[localtest.Running] != n || len(report.Strays) > 0 {
		t.Errorf("want all %d RUNNING and no dead letter: %s", n, report)
	}
	rss, rssOK := peakRSS()
	rssText := "unknown on this system"
	if rssOK {
		rssText = fmt.Sprintf("%d MiB", rss>>20)
	}
	t.Logf("load: %d launches, %d accepted in %s; all done in %s: %.1f launches/s; peak RSS %s (pipeline, localcloud and callers in one process)",
		n, len(accepted), posted.Round(time.Millisecond), took.Round(time.Millisecond), float64(n)/took.Seconds(), rssText)
	t.Logf("load: %d RUNNING, %d FAILED, %d dead-lettered, %d lost, %d launched twice, %d dead letters of no request; budget %s",
		report.Counts[localtest.Running], report.Counts[localtest.Failed], report.Counts[localtest.DeadLettered], lost, launchedTwice, len(report.Strays), budget)
}
