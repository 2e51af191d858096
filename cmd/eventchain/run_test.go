package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/local"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRunServesTheChainAndStopsCleanly runs `eventchain run` as a user
// would (on free ports), follows a launch to RUNNING with the curl the
// banner suggests, checks the readable log shows every step, and stops it.
func TestRunServesTheChainAndStopsCleanly(t *testing.T) {
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runLocal(ctx, []string{"--template", "../../template.yaml", "--port", "0", "--cloud-port", "0",
			"--data", t.TempDir(), "--ec2-boot-delay", "200ms",
			// Faults the chain never meets, to see them in the banner.
			"--fail", "sqs:ListQueueTags:InternalError:*", "--fail-delivery", "never-subscribed:1",
			"--ec2-fail-image", "ami-0bad0bad:Server.InternalError"}, &stdout, &stderr)
	}()

	apiURL := waitFor(t, &stdout, regexp.MustCompile(`API\s+(http://127\.0\.0\.1:\d+)`), done)
	waitFor(t, &stdout, regexp.MustCompile(`faults\s+--fail sqs:ListQueueTags:InternalError:\* --fail-delivery never-subscribed:1 --ec2-fail-image ami-0bad0bad:Server\.InternalError   \(change or clear: POST http://127\.0\.0\.1:\d+/_localcloud/faults\)`), done)
	resp, err := http.Post(apiURL+"/launches", "application/json",
		strings.NewReader(`{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1,"tags":{"team":"demo"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var accepted struct{ RequestID string }
	_ = json.NewDecoder(resp.Body).Decode(&accepted)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST answered %d", resp.StatusCode)
	}
	location := resp.Header.Get("Location")

	if st := follow(t, apiURL, strings.TrimPrefix(location, "/launches/"), 30*time.Second); st.Status != "RUNNING" {
		t.Fatalf("%s is %s after 30s, want RUNNING\nlog:\n%s", location, st.Status, stdout.String())
	}
	waitFor(t, &stdout, regexp.MustCompile(`notification\s+`+accepted.RequestID+`\s+RUNNING`), done)

	// Each step has its line; the notifier's comes once its batch is
	// deleted, which can be after the notification was read.
	for _, step := range []string{"api       POST /launches", "launcher  launch.requested", "watcher   instance.launched", "notifier  instance.running"} {
		line := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3}  ` + regexp.QuoteMeta(step) + `\s+` + accepted.RequestID + `  (ok|202) `)
		waitFor(t, &stdout, line, done)
	}
	if strings.Contains(stderr.String(), "invariants") {
		t.Errorf("run's own defaults break the template's invariants:\n%s", stderr.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run ended with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop within 30s of being cancelled")
	}
}

func TestBannerListsFaults(t *testing.T) {
	tests := []struct {
		name  string
		flags []string
		want  string
	}{
		{"none", nil, "  faults      none\n"},
		{"given", []string{"--fail sqs:SendMessage:ServiceUnavailable:3", "--ec2-fail RunInstances:InsufficientInstanceCapacity:1", "--fail-delivery jobs:*"},
			"  faults      --fail sqs:SendMessage:ServiceUnavailable:3 --ec2-fail RunInstances:InsufficientInstanceCapacity:1 --fail-delivery jobs:*   (change or clear: POST /_localcloud/faults)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			printBanner(&out, &local.Runner{}, "", map[string]string{}, tc.flags)
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("banner:\n%s\nwant the line %q", out.String(), tc.want)
			}
		})
	}
}

// waitFor waits until the output matches re and returns its first group.
func waitFor(t *testing.T, out *syncBuffer, re *regexp.Regexp, done <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				if len(m) > 1 {
					return m[1]
				}
				return m[0]
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run stopped early: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no output matching %s:\n%s", re, out.String())
	return ""
}

func TestFunctionLogLevels(t *testing.T) {
	tests := []struct {
		name       string
		set        string // "" leaves LogLevel unset
		wantStderr slog.Level
		wantFns    string
		wantErr    bool
	}{
		{name: "unset: quiet stderr, functions at INFO", wantStderr: slog.LevelWarn, wantFns: "INFO"},
		{name: "DEBUG reaches both", set: "DEBUG", wantStderr: slog.LevelDebug, wantFns: "DEBUG"},
		{name: "ERROR keeps functions at INFO", set: "error", wantStderr: slog.LevelError, wantFns: "INFO"},
		{name: "not a level", set: "chatty", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := map[string]string{}
			if tt.set != "" {
				params["LogLevel"] = tt.set
			}
			got, err := functionLogLevels(params)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && (got != tt.wantStderr || params["LogLevel"] != tt.wantFns) {
				t.Errorf("stderr %s, functions %s; want %s, %s", got, params["LogLevel"], tt.wantStderr, tt.wantFns)
			}
		})
	}
}
