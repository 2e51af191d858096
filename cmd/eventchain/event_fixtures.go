package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/eventchain/eventchain/infra/local"
)

// fixtureRecipe is how one fixture of events/ is made: the `eventchain
// event` arguments that print it, and what it stands for.
type fixtureRecipe struct {
	file    string
	meaning string
	args    []string
}

// The fixtures of events/ tell one story: request 3f1c2a9e… (correlation
// 7a8b9c0d…) launches and runs, request c4d5e6f7… (correlation 0e1f2a3b…)
// fails on its image. Ids the handler tests check, and the causation ids
// linking each event to the one before it, are given; the rest derive
// from each recipe's seed.
const (
	runningRequest     = "3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c"
	runningCorrelation = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
	failedRequest      = "c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f"
	failedCorrelation  = "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"

	runningRequested = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a" // launch.requested
	runningLaunched  = "b1a2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d" // instance.launched
	runningRunning   = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b" // instance.running
	failedRequested  = "5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b" // launch.requested
	failedFailed     = "f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f" // launch.failed

	runningInstances = `["i-0a1b2c3d4e5f60718","i-0f1e2d3c4b5a69788"]`
)

var (
	launchBody = `{
  "imageId": "ami-0123456789abcdef0",
  "instanceType": "t3.micro",
  "count": 2,
  "tags": {
    "team": "platform",
    "env": "dev"
  },
  "subnetId": "subnet-0a1b2c3d4e5f60718",
  "keyName": "deploy-key",
  "securityGroupIds": [
    "sg-0123456789abcdef0"
  ],
  "userData": "IyEvYmluL3NoCmVjaG8gaGVsbG8K"
}`
	// runningLaunch is the launch.requested the API publishes for
	// launchBody.
	runningLaunch = []string{"--type", "launch.requested", "--id", runningRequested, "--correlation-id", runningCorrelation,
		"--data", `{"requestId":"` + runningRequest + `","imageId":"ami-0123456789abcdef0","instanceType":"t3.micro","count":2,"tags":{"team":"platform","env":"dev"},"subnetId":"subnet-0a1b2c3d4e5f60718","keyName":"deploy-key","securityGroupIds":["sg-0123456789abcdef0"],"userData":"IyEvYmluL3NoCmVjaG8gaGVsbG8K"}`}
	failedLaunch = []string{"--type", "launch.requested", "--id", failedRequested, "--correlation-id", failedCorrelation,
		"--data", `{"requestId":"` + failedRequest + `","imageId":"ami-0fedcba9876543210","instanceType":"t4g.small","count":1}`}
	// launched is the launcher's instance.launched for the running
	// request, received at 10:00:01.
	launched = []string{"--time", "2026-01-15T10:00:01Z", "--type", "instance.launched", "--id", runningLaunched,
		"--correlation-id", runningCorrelation, "--causation-id", runningRequested,
		"--data", `{"requestId":"` + runningRequest + `","instanceIds":` + runningInstances + `,"launchedAt":"2026-01-15T10:00:00Z"}`}
	apiPost = []string{"api", "--method", "POST", "--path", "/launches", "--header", "content-type: application/json"}
)

// fixtureRecipes make every fixture of events/ (make events); a test fails
// when a file differs from its recipe's output.
var fixtureRecipes = []fixtureRecipe{
	{"api-post.json", "POST /launches of one launch, with an Idempotency-Key and a correlation id: accepted",
		concat(apiPost, "--seed", "1", "--header", "idempotency-key: 8c6f0b7e-deploy-web-2026-01-15",
			"--header", "x-correlation-id: "+runningCorrelation, "--body", launchBody)},
	{"api-post-bulk.json", "POST /launches of three launches at once: accepted, one request id each",
		concat(apiPost, "--seed", "2", "--header", "idempotency-key: bulk-2026-01-15-001", "--body",
			`{"launches": [{"imageId": "ami-0123456789abcdef0", "instanceType": "t3.micro", "count": 1, "tags": {"team": "platform"}}, {"imageId": "ami-0fedcba9876543210", "instanceType": "t4g.small", "count": 3}, {"imageId": "ami-12345678", "instanceType": "t3.small", "count": 1, "subnetId": "subnet-1a2b3c4d"}]}`)},
	{"api-post-bad-body.json", "POST /launches asking for 0 instances: refused, 400 on count",
		concat(apiPost, "--seed", "3", "--body", `{"imageId": "ami-0123456789abcdef0", "instanceType": "t3.micro", "count": 0}`)},
	{"api-get.json", "GET /launches/{requestId} of the running request",
		[]string{"api", "--seed", "4", "--method", "GET", "--path", "/launches/" + runningRequest}},
	{"api-unknown-route.json", "GET of a path no route declares, through the $default route: the API's own 404",
		[]string{"api", "--seed", "5", "--method", "GET", "--path", "/instances"}},
	{"launcher-launch-requested.json", "a batch of two launch.requested: the running request's and the failing one's",
		concat([]string{"sqs", "--seed", "6"}, concat(runningLaunch, failedLaunch...)...)},
	{"malformed-record.json", "a valid launch.requested followed by a truncated envelope: the second is dead-lettered as MalformedEvent",
		concat([]string{"sqs", "--seed", "7"}, concat(runningLaunch,
			"--raw", `{"specversion":"1.0","id":"not-an-envelope","type":"launch.requested"`, "--attr", "type=launch.requested")...)},
	{"watcher-running.json", "instance.launched of the running request on its first receive",
		concat([]string{"sqs", "--seed", "8"}, launched...)},
	{"watcher-pending.json", "instance.launched of the running request on its third receive, its instances still pending (handler tests)",
		concat([]string{"sqs", "--seed", "9"}, concat(launched, "--receive-count", "3")...)},
	{"notifier-instance-running.json", "instance.running of the running request, 40 s after the launch",
		[]string{"sqs", "--seed", "10", "--time", "2026-01-15T10:00:41Z", "--type", "instance.running", "--id", runningRunning,
			"--correlation-id", runningCorrelation, "--causation-id", runningLaunched,
			"--data", `{"requestId":"` + runningRequest + `","instanceIds":` + runningInstances + `}`}},
	{"notifier-launch-failed.json", "launch.failed of the failing request: its image does not exist",
		[]string{"sqs", "--seed", "11", "--time", "2026-01-15T10:00:02Z", "--type", "launch.failed", "--id", failedFailed,
			"--correlation-id", failedCorrelation, "--causation-id", failedRequested,
			"--data", `{"requestId":"` + failedRequest + `","code":"InvalidAMIID.NotFound","message":"The image id '[ami-0fedcba9876543210]' does not exist"}`}},
}

func concat(a []string, b ...string) []string { return append(slices.Clone(a), b...) }

// build prints the recipe's fixture, reading the template at tmpl.
func (r fixtureRecipe) build(tmpl string, stderr io.Writer) ([]byte, error) {
	var out bytes.Buffer
	args := concat(r.args[:1], append([]string{"--template", tmpl}, r.args[1:]...)...)
	if err := runEvent(args, &out, stderr); err != nil {
		return nil, fmt.Errorf("%s: %w", r.file, err)
	}
	return out.Bytes(), nil
}

// command is the recipe as a shell command line.
func (r fixtureRecipe) command() string {
	var b strings.Builder
	b.WriteString("eventchain event")
	for _, a := range r.args {
		b.WriteByte(' ')
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runEventFixtures is `eventchain event fixtures`.
func runEventFixtures(args []string, stdout, stderr io.Writer) error {
	fs := eventFlagSet("fixtures", "Writes every fixture of events/ from its command (make events).", stderr)
	dir := fs.String("dir", "events", "`directory` of the fixtures")
	tmpl := fs.String("template", local.DefaultTemplate, "SAM `template` naming the queues, routes and region")
	check := fs.Bool("check", false, "write nothing; fail when a fixture differs from its command's output or has no command")
	list := fs.Bool("list", false, "print each fixture's command and what the fixture stands for")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *list {
		for _, r := range fixtureRecipes {
			fmt.Fprintf(stdout, "# %s: %s\n%s > %s\n\n", r.file, r.meaning, r.command(), filepath.Join(*dir, r.file))
		}
		return nil
	}
	stale, err := staleFixtures(*dir, *tmpl, stderr)
	if err != nil {
		return err
	}
	if *check {
		if len(stale) > 0 {
			return fmt.Errorf("fixtures differ from their commands (run make events): %s", strings.Join(stale, "; "))
		}
		fmt.Fprintf(stdout, "%d fixtures in %s match their commands\n", len(fixtureRecipes), *dir)
		return nil
	}
	for _, r := range fixtureRecipes {
		b, err := r.build(*tmpl, stderr)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*dir, r.file), b, 0o644); err != nil {
			return fmt.Errorf("write fixture: %w", err)
		}
	}
	fmt.Fprintf(stdout, "wrote %d fixtures to %s\n", len(fixtureRecipes), *dir)
	return nil
}

// staleFixtures lists what is wrong with dir: fixtures whose bytes differ
// from their recipe's output, are missing, or have no recipe (nobody
// writes a fixture by hand).
func staleFixtures(dir, tmpl string, stderr io.Writer) ([]string, error) {
	var stale []string
	known := map[string]bool{}
	for _, r := range fixtureRecipes {
		known[r.file] = true
		want, err := r.build(tmpl, stderr)
		if err != nil {
			return nil, err
		}
		got, err := os.ReadFile(filepath.Join(dir, r.file))
		switch {
		case errors.Is(err, os.ErrNotExist):
			stale = append(stale, r.file+" is missing")
		case err != nil:
			return nil, fmt.Errorf("read fixture: %w", err)
		case !bytes.Equal(got, want):
			stale = append(stale, r.file+" differs")
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if !known[filepath.Base(f)] {
			stale = append(stale, filepath.Base(f)+" has no command in cmd/eventchain/event_fixtures.go")
		}
	}
	return stale, nil
}
