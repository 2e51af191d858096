package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eventchain/eventchain/internal/awsenv"
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

// TestRunLosesNothingWhenKilled kills the local mode with SIGKILL in the
// middle of the chain — launch requests accepted, some launched, instances
// still booting — and starts it again on the same data directory: every
// accepted request reaches RUNNING, with exactly the instances it asked
// for (the ClientToken absorbs a launch that is redone).
func TestRunLosesNothingWhenKilled(t *testing.T) {
	data := t.TempDir()
	args := []string{"--template", "../../template.yaml", "--port", "0", "--cloud-port", "0", "--data", data,
		"--ec2-boot-delay", "2s",
		// Short timeouts so that messages in flight at the kill come back
		// in seconds (visibility ≥ 6 × timeout, as the template requires).
		"--parameter-overrides", "QueueVisibilityTimeout=6 LauncherTimeout=1 FunctionTimeout=1 " +
			"WatchBackoffBaseSeconds=1 WatchBackoffMaxSeconds=2 WatchTimeoutSeconds=40 LaunchRatePerSecond=100"}
	first := startRun(t, args...)

	counts := map[string]int{}
	for i, count := range []int{1, 2, 3, 1, 2} {
		body := fmt.Sprintf(`{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":%d,"tags":{"n":"%d"}}`, count, i)
		resp, err := http.Post(first.api+"/launches", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var a struct{ RequestID string }
		_ = json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %d answered %d", i, resp.StatusCode)
		}
		counts[a.RequestID] = count
	}
	// Wait until the chain is under way (something launched), then kill.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(first.output(), "launch.requested") {
		if time.Now().After(deadline) {
			t.Fatalf("nothing launched:\n%s", first.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.finished

	second := startRun(t, args...)
	for id, count := range counts {
		st := follow(t, second.api, id, 60*time.Second)
		if st.Status != "RUNNING" || len(st.InstanceIDs) != count {
			t.Errorf("%s after the crash: %s with %d instances, want RUNNING with %d\n%s", id, st.Status, len(st.InstanceIDs), count, second.output())
		}
		if n := taggedInstances(t, second.cloud, id); n != count {
			t.Errorf("%s: %d instances in EC2 carry its request id, want %d", id, n, count)
		}
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

func taggedInstances(t *testing.T, cloud, requestID string) int {
	t.Helper()
	client := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(cloud),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), HTTPClient: awsenv.HTTPClient()})
	out, err := client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:eventchain:request-id"), Values: []string{requestID}}}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range out.Reservations {
		n += len(r.Instances)
	}
	return n
}
