package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/local/localtest"
	"github.com/eventchain/eventchain/infra/samtemplate"
)

// mainEnv makes the test binary behave as the eventchain command, so that a
// test can run it as a separate process and kill it.
const mainEnv = "EVENTCHAIN_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// process is `eventchain run` in a child process.
type process struct {
	cmd      *exec.Cmd
	mu       sync.Mutex
	out      strings.Builder
	api      string
	cloud    string
	ready    chan struct{}
	finished chan struct{}
}

func startRun(t *testing.T, args ...string) *process {
	t.Helper()
	p := &process{ready: make(chan struct{}), finished: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], append([]string{"run"}, args...)...)
	p.cmd.Env = append(os.Environ(), mainEnv+"=1")
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.finished })
	api := regexp.MustCompile(`^\s+API\s+(http://\S+)`)
	cloud := regexp.MustCompile(`^\s+localcloud\s+(http://\S+)`)
	go func() {
		defer close(p.finished)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.out.WriteString(line + "\n")
			if m := api.FindStringSubmatch(line); m != nil {
				p.api = m[1]
			}
			if m := cloud.FindStringSubmatch(line); m != nil {
				p.cloud = m[1]
				close(p.ready)
			}
			p.mu.Unlock()
		}
		_ = p.cmd.Wait()
	}()
	select {
	case <-p.ready:
	case <-p.finished:
		t.Fatalf("eventchain run exited early:\n%s", p.output())
	case <-time.After(60 * time.Second):
		t.Fatalf("eventchain run not ready after 60s:\n%s", p.output())
	}
	return p
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// crashOverrides make the messages in flight at a kill come back in
// seconds (visibility ≥ 6 × timeout, as the template requires).
var crashOverrides = map[string]string{
	"QueueVisibilityTimeout": "6", "LauncherTimeout": "1", "FunctionTimeout": "1",
	"WatchBackoffBaseSeconds": "1", "WatchBackoffMaxSeconds": "2", "WatchTimeoutSeconds": "40", "LaunchRatePerSecond": "100",
}

// TestRunLosesNothingWhenKilled kills the local mode with SIGKILL at
// random moments, several times in a row, while launch requests keep
// arriving, and starts it again on the same data directory each time:
// requests are accepted, launched, booting and being notified at each
// kill. Every request accepted before a kill completes exactly once:
// RUNNING with exactly the instances it asked for, counted at EC2 (the
// ClientToken absorbs a launch that is redone), and nothing in a
// dead-letter queue. The seed the kill moments were drawn with is logged.
func TestRunLosesNothingWhenKilled(t *testing.T) {
	const kills = 3
	seed := time.Now().UnixNano()
	t.Logf("kill moments drawn with seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))

	var ov []string
	for k, v := range crashOverrides {
		ov = append(ov, k+"="+v)
	}
	args := []string{"--template", "../../template.yaml", "--port", "0", "--cloud-port", "0", "--data", t.TempDir(),
		"--ec2-boot-delay", "2s", "--parameter-overrides", strings.Join(ov, " ")}
	accepted := map[string]int{}
	running := regexp.MustCompile(`notification\s+(\S+)\s+RUNNING`)
	done := map[string]bool{}
	for kill := range kills {
		run := startRun(t, args...)
		stop := make(chan struct{})
		var mu sync.Mutex
		var posting sync.WaitGroup
		// The kill's moment is drawn from this round's first acceptance,
		// so that every kill finds a request under way (a launch runs
		// for at least the 2 s boot delay).
		firstAccepted := make(chan struct{})
		var once sync.Once
		// A few callers at once, so requests are at every step of the
		// chain when the kill comes.
		for caller := range 4 {
			posting.Go(func() {
				for i := caller; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					count := 1 + i%3
					body := fmt.Sprintf(`{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":%d}`, count)
					resp, err := http.Post(run.api+"/launches", "application/json", strings.NewReader(body))
					if err != nil {
						return // killed
					}
					var a struct{ RequestID string }
					err = json.NewDecoder(resp.Body).Decode(&a)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusAccepted {
						// An answer cut off by the kill was never an
						// acceptance; any other answer is a failure.
						if err == nil {
							t.Errorf("POST answered %d", resp.StatusCode)
						}
						return
					}
					mu.Lock()
					accepted[a.RequestID] = count
					mu.Unlock()
					once.Do(func() { close(firstAccepted) })
				}
			})
		}
		select {
		case <-firstAccepted:
		case <-time.After(30 * time.Second):
			t.Fatalf("no request accepted in 30 s:\n%s", run.output())
		}
		time.Sleep(time.Duration(rng.Int64N(int64(1500 * time.Millisecond))))
		if err := run.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-run.finished
		close(stop)
		posting.Wait()
		for _, m := range running.FindAllStringSubmatch(run.output(), -1) {
			done[m[1]] = true
		}
		unfinished := 0
		for id := range accepted {
			if !done[id] {
				unfinished++
			}
		}
		t.Logf("kill %d: %d requests accepted so far, %d of them not yet RUNNING", kill+1, len(accepted), unfinished)
		if unfinished == 0 {
			t.Errorf("kill %d interrupted no request: the test proves nothing", kill+1)
		}
	}

	final := startRun(t, args...)
	tmpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := tmpl.Resolve(crashOverrides, samtemplate.LocalResolver{Endpoint: final.cloud})
	if err != nil {
		t.Fatal(err)
	}
	report := localtest.Check(t, localtest.Pipeline{APIURL: final.api, AWS: localtest.Config(final.cloud, resolved.Region), Template: resolved},
		accepted, 90*time.Second)
	if report.Counts[localtest.Running] != len(accepted) {
		t.Errorf("%d of %d requests accepted before a kill RUNNING with exactly their instances", report.Counts[localtest.Running], len(accepted))
	}
	if len(report.Strays) > 0 {
		t.Errorf("dead letters after the kills: %v", report.Strays)
	}
	if t.Failed() {
		t.Logf("last run's output:\n%s", final.output())
	}
}

type launchState struct {
	Status      string   `json:"status"`
	InstanceIDs []string `json:"instanceIds"`
}

func follow(t *testing.T, api, id string, timeout time.Duration) launchState {
	t.Helper()
	var st launchState
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(api + "/launches/" + id)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatalf("GET %s: %d %s", id, resp.StatusCode, body)
		}
		if st.Status == "RUNNING" || st.Status == "FAILED" {
			return st
		}
	}
	return st
}
