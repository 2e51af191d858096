package measure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/local/localtest"
)

// runOverrides are what `eventchain run` sets unless told otherwise
// (README, "Run it locally"): the benchmarks run the local mode as a user
// does, changing only what each measurement is about.
var runOverrides = map[string]string{
	"LogLevel":              "WARN",
	"BatchingWindowSeconds": "0",
}

// startLocal starts the local mode on free loopback ports with the
// overrides of `eventchain run` and then over.
func startLocal(ctx context.Context, opts local.Options, over map[string]string) (*local.Runner, error) {
	params := maps.Clone(runOverrides)
	maps.Copy(params, over)
	opts.Overrides = params
	opts.APIAddr = "127.0.0.1:0"
	opts.CloudAddr = "127.0.0.1:0"
	// Short long polls make Close prompt; they change no figure measured
	// here (empty receives are priced by the idle model, see cost.go).
	opts.PollWaitSeconds = 1
	r, err := local.Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start the local mode: %w", err)
	}
	return r, nil
}

// pipeline is what localtest needs to settle and audit a local mode.
func pipeline(r *local.Runner) localtest.Pipeline {
	return localtest.Pipeline{APIURL: r.APIURL(), AWS: localtest.Config(r.CloudURL(), r.Template.Region), Template: r.Template}
}

// launchBody is one launch of one instance, as the benchmarks ask for.
const launchBody = `{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1}`

// bulkMax is the most launches one POST may carry (docs/architecture.md,
// "The chain").
const bulkMax = 100

// postAtOnce posts n launches in bulk requests of up to bulkMax items,
// all at the same time, and returns the request ids accepted.
func postAtOnce(ctx context.Context, client *http.Client, apiURL string, n int) ([]string, error) {
	var (
		mu   sync.Mutex
		ids  []string
		errs []error
		wg   sync.WaitGroup
	)
	for start := 0; start < n; start += bulkMax {
		items := min(bulkMax, n-start)
		wg.Go(func() {
			got, err := postBulk(ctx, client, apiURL, items)
			mu.Lock()
			defer mu.Unlock()
			ids = append(ids, got...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return ids, fmt.Errorf("post %d launches: %w (and %d more errors)", n, errs[0], len(errs)-1)
	}
	return ids, nil
}

func postBulk(ctx context.Context, client *http.Client, apiURL string, items int) ([]string, error) {
	body := `{"launches":[` + strings.TrimSuffix(strings.Repeat(launchBody+",", items), ",") + `]}`
	raw, status, err := post(ctx, client, apiURL, body)
	if err != nil {
		return nil, err
	}
	if status != http.StatusAccepted {
		return nil, fmt.Errorf("bulk POST of %d: %d %s", items, status, raw)
	}
	var answer struct {
		Requests []struct {
			RequestID string `json:"requestId"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil || len(answer.Requests) != items {
		return nil, fmt.Errorf("bulk POST of %d answered %s (%v)", items, raw, err)
	}
	ids := make([]string, len(answer.Requests))
	for i, r := range answer.Requests {
		ids[i] = r.RequestID
	}
	return ids, nil
}

// post sends one POST /launches and returns the answer's body and status.
func post(ctx context.Context, client *http.Client, apiURL, body string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"/launches", strings.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("POST /launches: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("POST /launches: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("read the answer to POST /launches: %w", err)
	}
	return raw, resp.StatusCode, nil
}

// postOne posts one launch and returns its request id.
func postOne(ctx context.Context, client *http.Client, apiURL string) (string, error) {
	raw, status, err := post(ctx, client, apiURL, launchBody)
	if err != nil {
		return "", err
	}
	var a struct {
		RequestID string `json:"requestId"`
	}
	if status != http.StatusAccepted {
		return "", fmt.Errorf("POST /launches: %d %s", status, bytes.TrimSpace(raw))
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.RequestID == "" {
		return "", fmt.Errorf("POST /launches answered %s (%v)", raw, err)
	}
	return a.RequestID, nil
}

// httpClient is a client for the local front with room for many
// connections at once, so the callers measure the API and not a
// connection pool.
func httpClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second}}
}

// outcome is where a set of requests ended, by localtest.Audit.
type outcome struct {
	failed, deadLetters, lost int
}

// settleAndAudit waits for the pipeline's queues to empty and counts
// where each request ended.
func settleAndAudit(ctx context.Context, r *local.Runner, ids []string, timeout time.Duration) (outcome, error) {
	p := pipeline(r)
	if err := localtest.Settle(ctx, p, timeout); err != nil {
		return outcome{}, fmt.Errorf("wait for the pipeline to settle: %w", err)
	}
	requests := make(map[string]int, len(ids))
	for _, id := range ids {
		requests[id] = 1
	}
	rep, err := localtest.Audit(ctx, p, requests)
	if err != nil {
		return outcome{}, fmt.Errorf("audit %d requests: %w", len(ids), err)
	}
	o := outcome{
		failed:      rep.Counts[localtest.Failed],
		deadLetters: rep.Counts[localtest.DeadLettered] + len(rep.Strays),
	}
	o.lost = len(ids) - rep.Counts[localtest.Running] - rep.Counts[localtest.Failed] - rep.Counts[localtest.DeadLettered]
	return o, nil
}

// closeInto closes what a measurement started and, when the measurement
// itself succeeded, reports a failure to close as its error: a run that
// cannot shut down cleanly has something wrong worth seeing.
func closeInto(err *error, what string, close func() error) {
	if cerr := close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("close %s: %w", what, cerr)
	}
}

// closeCloud stops a localcloud started with localcloud.Listen.
func closeCloud(srv *http.Server, cloud interface{ Close() error }) func() error {
	return func() error {
		return errors.Join(srv.Close(), cloud.Close())
	}
}
