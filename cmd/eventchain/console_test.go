package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/chromedp/chromedp"

	"github.com/eventchain/eventchain/infra/console"
	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/localcloud/faults"
	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/consumer"
)

// chromium finds a Chromium to drive. Without one the browser test is
// skipped, except in CI (CI=true), where it must run: .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium on PATH (chromium, chromium-browser, google-chrome): CI must run the console's browser test; apt-get install -y chromium")
	}
	t.Skip("skipped: no Chromium on PATH (chromium, chromium-browser, google-chrome); apt-get install -y chromium runs it")
	return ""
}

// consoleScreenshots, when set, is where the browser test writes the
// README's screenshots (CONSOLE_SCREENSHOTS=docs).
var consoleScreenshots = os.Getenv("CONSOLE_SCREENSHOTS")

// TestConsoleInBrowser drives the console of a real local mode in
// headless Chromium: the chain lists every subscription of the template;
// launches reach RUNNING on the requests page and a request's page shows
// its timeline with its retry; a malformed record appears in its DLQ with
// its reason and turns the DLQ's alarm red; a launch whose SNS delivery
// failed is redriven from the page and completes; redrive all and purge
// work after their confirmation.
func TestConsoleInBrowser(t *testing.T) {
	chrome := chromium(t)
	start := time.Now()
	counters := console.NewCounters()
	r, err := local.Start(context.Background(), local.Options{
		Template:  testTemplate,
		APIAddr:   "127.0.0.1:0",
		CloudAddr: "127.0.0.1:0",
		Overrides: map[string]string{"QueueVisibilityTimeout": "1", "BatchingWindowSeconds": "0", "WatchBackoffBaseSeconds": "1",
			"WatchBackoffMaxSeconds": "1", "LaunchRatePerSecond": "1000", "LogLevel": "INFO"},
		Environment:      map[string]string{consumer.BackoffBaseEnv: "0.5"},
		PollWaitSeconds:  1,
		EC2BootDelay:     200 * time.Millisecond,
		AlarmPeriodScale: 0.005, // the DLQ alarms' 60 s periods last 300 ms
		ObserveRecord:    func(rec local.RecordLog) { counters.Record(rec.Function, rec.ReceiveCount, rec.Outcome) },
	})
	if err != nil {
		t.Fatal(err)
	}
	consoleURL, err := mountConsole(r, testTemplate, counters, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.Flag("headless", true), chromedp.WindowSize(1400, 1000))...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	b := &browser{t: t, ctx: ctx}

	// The chain: every subscription the template declares.
	b.run(chromedp.Navigate(consoleURL))
	b.until(`document.querySelectorAll("[data-subscription]").length > 0 && !!document.querySelector("[data-dlq='LaunchDLQ'][data-alarm]")`, 15*time.Second)
	for _, s := range r.Template.Subscriptions {
		b.until(fmt.Sprintf(`!!document.querySelector('[data-subscription=%q]')`, s.LogicalID), time.Second)
	}

	// Launches reach RUNNING on the requests page; the first is throttled
	// once, so its timeline shows a retry with its reason.
	if err := r.Cloud.InjectFaults(faults.Set{Faults: []faults.Fault{mustFault(t, "ec2:RunInstances:RequestLimitExceeded:1")}}); err != nil {
		t.Fatal(err)
	}
	ids := []string{postLaunch(t, r.APIURL(), `{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1,"tags":{"team":"demo"}}`)}
	b.run(chromedp.Navigate(consoleURL[:strings.Index(consoleURL, "#")] + "#/requests"))
	b.until(fmt.Sprintf(`document.querySelector('[data-request=%q]')?.dataset.status === "LAUNCHING"`, ids[0]), 10*time.Second)
	for i := range 2 {
		ids = append(ids, postLaunch(t, r.APIURL(), fmt.Sprintf(`{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":%d}`, 1+i)))
	}
	for _, id := range ids {
		b.until(fmt.Sprintf(`document.querySelector('[data-request=%q]')?.dataset.status === "RUNNING"`, id), 30*time.Second)
	}
	b.run(chromedp.Navigate(consoleURL[:strings.Index(consoleURL, "#")] + "#/requests/" + ids[0]))
	b.until(`document.querySelector("[data-request-page]")?.dataset.status === "RUNNING"`, 10*time.Second)
	timeline := b.text("#timeline")
	for _, want := range []string{"launcher", "retry (receive 1): RequestLimitExceeded", "→ RUNNING", "notifier"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("timeline of %s lacks %q:\n%s", ids[0], want, timeline)
		}
	}
	if now := b.text("#now"); !strings.Contains(now, "done: RUNNING") {
		t.Errorf("now: %q", now)
	}
	b.screenshot("console-request.png")

	// Poison: a record that is no event, straight into the launch queue.
	// The launcher dead-letters it with its reason; the alarm on the DLQ's
	// depth goes to ALARM.
	sqsc := sqs.NewFromConfig(aws.Config{Region: r.Template.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(r.CloudURL()), HTTPClient: awsenv.HTTPClient()})
	launchQueue, _ := r.Template.Queue("LaunchQueue")
	if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(launchQueue.URL), MessageBody: aws.String("not an event"),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{"type": {DataType: aws.String("String"), StringValue: aws.String("launch.requested")}}}); err != nil {
		t.Fatal(err)
	}
	// And a launch whose delivery to the launch queue fails: SNS puts it
	// in the subscription's DLQ, and the request waits ACCEPTED.
	if err := r.Cloud.InjectFaults(faults.Set{Deliveries: []faults.Delivery{mustDelivery(t, launchQueue.Name+":1")}}); err != nil {
		t.Fatal(err)
	}
	stuck := postLaunch(t, r.APIURL(), `{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1}`)

	b.run(chromedp.Navigate(consoleURL[:strings.Index(consoleURL, "#")] + "#/chain"))
	b.until(`document.querySelector("[data-dlq='LaunchDLQ']")?.dataset.alarm === "ALARM"`, 20*time.Second)
	b.until(`document.querySelector("[data-dlq='LaunchSubscriptionDLQ'] [data-depth]")?.textContent === "1 message"`, 10*time.Second)
	b.until(`document.querySelector("[data-function='launcher']")?.textContent.includes("dead-lettered 1")`, 10*time.Second)
	b.screenshot("console-chain.png")

	b.run(chromedp.Navigate(consoleURL[:strings.Index(consoleURL, "#")] + "#/dlq"))
	b.until(`!!document.querySelector("[data-show='LaunchDLQ']")`, 5*time.Second)
	b.eval(`document.querySelector("[data-show='LaunchDLQ']").click()`)
	b.until(`!!document.querySelector("[data-messages='LaunchDLQ'] [data-reason='MalformedEvent']")`, 10*time.Second)
	if row := b.text("[data-messages='LaunchDLQ'] [data-reason='MalformedEvent']"); !strings.Contains(row, "MalformedEvent (launcher)") || !strings.Contains(row, "launch.requested") {
		t.Errorf("dead letter row: %q", row)
	}
	if sec := b.text("[data-dlq-section='LaunchDLQ']"); !strings.Contains(sec, "alarm ALARM") {
		t.Errorf("LaunchDLQ section does not say its alarm is in ALARM: %q", sec)
	}

	// Redrive the stuck launch from its subscription's DLQ, selected.
	b.eval(`document.querySelector("[data-show='LaunchSubscriptionDLQ']").click()`)
	b.until(fmt.Sprintf(`!!document.querySelector('[data-messages=LaunchSubscriptionDLQ] a[href$=%q]')`, stuck), 10*time.Second)
	if row := b.text("[data-messages='LaunchSubscriptionDLQ'] [data-reason]"); !strings.Contains(row, "DeliveryFailed") {
		t.Errorf("subscription dead letter row: %q", row)
	}
	b.eval(`document.querySelector("[data-messages='LaunchSubscriptionDLQ'] input[type=checkbox]").click()`)
	b.until(`!document.querySelector("[data-messages='LaunchSubscriptionDLQ'] [data-action='redrive-selected']").disabled`, 5*time.Second)
	b.eval(`document.querySelector("[data-messages='LaunchSubscriptionDLQ'] [data-action='redrive-selected']").click()`)
	b.confirm("")
	b.until(`document.querySelector("[data-messages='LaunchSubscriptionDLQ'] .result")?.textContent.startsWith("moved 1 of 1 messages from LaunchSubscriptionDLQ to LaunchQueue (message-by-message)")`, 15*time.Second)
	b.run(chromedp.Navigate(consoleURL[:strings.Index(consoleURL, "#")] + "#/requests/" + stuck))
	b.until(`document.querySelector("[data-request-page]")?.dataset.status === "RUNNING"`, 20*time.Second)

	// Redrive all of LaunchDLQ: a move task; the record is still no event,
	// so the launcher dead-letters it again. Then purge it.
	b.run(chromedp.Navigate(consoleURL[:strings.Index(consoleURL, "#")] + "#/dlq"))
	b.until(`!!document.querySelector("[data-messages='LaunchDLQ'] [data-action='redrive-all']:not([disabled])")`, 10*time.Second)
	b.eval(`document.querySelector("[data-messages='LaunchDLQ'] [data-action='redrive-all']").click()`)
	b.confirm("")
	b.until(`document.querySelector("[data-messages='LaunchDLQ'] .result")?.textContent.startsWith("moved 1 of 1 messages from LaunchDLQ to LaunchQueue (move-task)")`, 15*time.Second)
	b.until(`!!document.querySelector("[data-messages='LaunchDLQ'] [data-reason='MalformedEvent']")`, 15*time.Second)
	b.eval(`document.querySelector("[data-messages='LaunchDLQ'] [data-action='purge']").click()`)
	b.confirm("LaunchDLQ")
	b.until(`document.querySelector("[data-messages='LaunchDLQ'] .result")?.textContent === "purged LaunchDLQ: removed 1 messages."`, 15*time.Second)
	b.until(`document.querySelector("[data-dlq-section='LaunchDLQ'] h3")?.textContent === "LaunchDLQ: 0 messages"`, 10*time.Second)

	// EC2: every instance with its request.
	b.run(chromedp.Navigate(consoleURL[:strings.Index(consoleURL, "#")] + "#/ec2"))
	b.until(fmt.Sprintf(`!!document.querySelector('#instances a[href$=%q]')`, stuck), 10*time.Second)
	if rows := b.text("#instances"); !strings.Contains(rows, "running") || !strings.Contains(rows, "t3.micro") {
		t.Errorf("instances: %q", rows)
	}
	t.Logf("browser test took %s", time.Since(start).Round(time.Millisecond))
}

type browser struct {
	t   *testing.T
	ctx context.Context
}

func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) eval(js string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](js)); err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
}

// until waits for a JavaScript condition on the page.
func (b *browser) until(js string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("!!("+js+")"))
		if err != nil {
			b.t.Fatalf("%s: %v", js, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
			b.t.Fatalf("not within %s: %s\npage:\n%s", timeout, js, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *browser) text(selector string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q)?.innerText ?? ""`, selector)))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// confirm answers the page's confirmation dialog, typing what it asks
// for, if anything.
func (b *browser) confirm(typed string) {
	b.t.Helper()
	b.until(`document.getElementById("confirm").open`, 5*time.Second)
	if typed != "" {
		b.eval(fmt.Sprintf(`document.getElementById("confirm-input").value = %q`, typed))
	}
	b.eval(`document.getElementById("confirm-ok").click()`)
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	dir := consoleScreenshots
	if dir == "" {
		dir = b.t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func postLaunch(t *testing.T, api, body string) string {
	t.Helper()
	resp, err := http.Post(api+"/launches", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ RequestID string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /launches: %d %v", resp.StatusCode, err)
	}
	return out.RequestID
}

func mustFault(t *testing.T, spec string) faults.Fault {
	t.Helper()
	f, err := faults.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustDelivery(t *testing.T, spec string) faults.Delivery {
	t.Helper()
	d, err := faults.ParseDelivery(spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
