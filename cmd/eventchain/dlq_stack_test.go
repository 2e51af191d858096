package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"text/template"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/dlq"
	"github.com/eventchain/eventchain/internal/event"
)

// fakeStack is a deployed eventchain stack without AWS: a CloudFormation
// endpoint answering ListStackResources from the fixtures under testdata
// (the documented XML answer, in two pages), and localcloud holding the
// stack's queues and subscriptions under their CloudFormation names
// (queue URLs on sqs.us-east-1.amazonaws.com, which localcloud resolves by
// account and name), wired as template.yaml wires them.
type fakeStack struct {
	cfn       *httptest.Server
	cloudURL  string
	sqs       *sqs.Client
	calls     atomic.Int32
	resources map[string]string // logical id → physical id
}

func startFakeStack(t *testing.T) *fakeStack {
	t.Helper()
	ctx := context.Background()
	cloud, srv, l, err := localcloud.Listen("127.0.0.1:0", localcloud.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Close, not Shutdown: a connection opened and not used yet counts
		// as busy for five seconds in net/http.
		_ = srv.Close()
		_ = cloud.Close()
	})
	s := &fakeStack{cloudURL: "http://" + l.Addr().String(), resources: map[string]string{}}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.cloudURL), HTTPClient: awsenv.HTTPClient()}
	s.sqs = sqs.NewFromConfig(cfg)
	snsc := sns.NewFromConfig(cfg)

	var pages []*template.Template
	for _, name := range []string{"list-stack-resources-1.xml", "list-stack-resources-2.xml"} {
		pages = append(pages, template.Must(template.ParseFiles(filepath.Join("testdata", name))))
	}
	// The physical ids of the fixture, subscriptions aside (localcloud
	// makes their ARNs).
	var raw bytes.Buffer
	for _, p := range pages {
		if err := p.Execute(&raw, map[string]string{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range regexpAll(`<LogicalResourceId>(\w+)</LogicalResourceId>\s*<PhysicalResourceId>([^<]*)</PhysicalResourceId>`, raw.String()) {
		s.resources[m[1]] = m[2]
	}
	tmpl, err := loadTemplate(testTemplate, "")
	if err != nil {
		t.Fatal(err)
	}
	arn := func(logicalID string) string {
		return "arn:aws:sqs:us-east-1:123456789012:" + dlq.NameFromURL(s.resources[logicalID])
	}
	for _, q := range tmpl.Queues {
		if _, err := s.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(dlq.NameFromURL(s.resources[q.LogicalID]))}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range tmpl.Queues {
		if rp := q.RedrivePolicy; rp != nil {
			policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, arn(rp.DeadLetterQueue), rp.MaxReceiveCount)
			if _, err := s.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(s.resources[q.LogicalID]),
				Attributes: map[string]string{"RedrivePolicy": policy}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(dlq.NameFromARN(s.resources["EventsTopic"]))})
	if err != nil || aws.ToString(topic.TopicArn) != s.resources["EventsTopic"] {
		t.Fatalf("topic %v: %v", topic, err)
	}
	subs := map[string]string{}
	for _, sub := range tmpl.Subscriptions {
		out, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn(sub.EndpointQueue)),
			ReturnSubscriptionArn: true, Attributes: map[string]string{"RawMessageDelivery": "true",
				"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q}`, arn(sub.DeadLetterQueue))}})
		if err != nil {
			t.Fatal(err)
		}
		subs[sub.LogicalID] = aws.ToString(out.SubscriptionArn)
		s.resources[sub.LogicalID] = subs[sub.LogicalID]
	}

	s.cfn = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "ListStackResources" || r.Form.Get("Version") != "2010-05-15" {
			http.Error(w, "not a CloudFormation ListStackResources call", http.StatusBadRequest)
			return
		}
		s.calls.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		if r.Form.Get("StackName") != "eventchain" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code>`+
				`<Message>Stack with id %s does not exist</Message></Error><RequestId>5b1c0e2a-7f43-4d8e-9a61-0c2d3e4f5a6b</RequestId></ErrorResponse>`, xmlEscape(r.Form.Get("StackName")))
			return
		}
		page := pages[0]
		if r.Form.Get("NextToken") != "" {
			page = pages[1]
		}
		_ = page.Execute(w, subs)
	}))
	t.Cleanup(s.cfn.Close)
	return s
}

func regexpAll(re, s string) [][]string { return regexp.MustCompile(re).FindAllStringSubmatch(s, -1) }

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// useStack points the SDK's default configuration at the fake stack, as
// AWS_ENDPOINT_URL_<SERVICE> does, with credentials from the environment
// and no shared files.
func (s *fakeStack) useStack(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_CLOUDFORMATION": s.cfn.URL,
		"AWS_ENDPOINT_URL_SQS":            s.cloudURL,
		"AWS_ENDPOINT_URL_SNS":            s.cloudURL,
		"AWS_ENDPOINT_URL_CLOUDWATCH":     s.cfn.URL, // answers 400: CloudWatch "unreachable"
		"AWS_ACCESS_KEY_ID":               "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":           "secret",
		"AWS_CONFIG_FILE":                 filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":     filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":       "true",
		"AWS_ENDPOINT_URL":                "",
		"AWS_PROFILE":                     "",
		"AWS_REGION":                      "",
		"AWS_DEFAULT_REGION":              "",
	} {
		t.Setenv(k, v)
	}
}

// TestDLQStackDiscovery reads the topology of a deployed stack from its
// resources (ListStackResources, both pages), the queues' redrive
// policies and the subscriptions' attributes, not from the template.
func TestDLQStackDiscovery(t *testing.T) {
	s := startFakeStack(t)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient: awsenv.HTTPClient()}
	cfn := cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) { o.BaseEndpoint = aws.String(s.cfn.URL) })
	snsc := sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(s.cloudURL) })
	topo, err := topologyFromStack(context.Background(), cfn, s.sqs, snsc, "eventchain", map[string]string{"LaunchQueue": event.FunctionLauncher})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.calls.Load(); n != 2 {
		t.Errorf("%d ListStackResources calls, want the two pages", n)
	}
	var dlqs []string
	for _, q := range topo.DLQs() {
		dlqs = append(dlqs, q.LogicalID)
		if q.URL != s.resources[q.LogicalID] || !strings.HasPrefix(q.ARN, "arn:aws:sqs:us-east-1:123456789012:eventchain-"+q.LogicalID+"-") {
			t.Errorf("%s: URL %s, ARN %s; want the stack's", q.LogicalID, q.URL, q.ARN)
		}
	}
	slices.Sort(dlqs)
	want := []string{"LaunchDLQ", "LaunchSubscriptionDLQ", "NotifyDLQ", "NotifySubscriptionDLQ", "UnroutedDLQ", "UnroutedSubscriptionDLQ", "WatchDLQ", "WatchSubscriptionDLQ"}
	if !slices.Equal(dlqs, want) {
		t.Errorf("DLQs %v, want %v", dlqs, want)
	}
	tests := []struct{ dlq, want string }{
		{"LaunchDLQ", "queue LaunchQueue"},
		{"UnroutedDLQ", "queue UnroutedQueue"},
		{"WatchSubscriptionDLQ", "subscription WatchSubscription (EventsTopic → WatchQueue)"},
		{"UnroutedSubscriptionDLQ", "subscription UnroutedSubscription (EventsTopic → UnroutedQueue)"},
	}
	for _, tc := range tests {
		src := topo.Sources(tc.dlq)
		if len(src) != 1 || src[0].Describe() != tc.want {
			t.Errorf("sources of %s: %v, want %s", tc.dlq, src, tc.want)
		}
	}
	if q, _ := topo.ByLogicalID("LaunchQueue"); q.Consumer != event.FunctionLauncher || q.MaxReceiveCount != 18 {
		t.Errorf("LaunchQueue %+v: want its consumer and maxReceiveCount", q)
	}
	if len(topo.Alarms) != 4 {
		t.Errorf("alarms %v, want the stack's 4", topo.Alarms)
	}
}

// TestDLQOnStack runs the commands against the "deployed" stack, named
// by samconfig.toml, as a user would with AWS credentials.
func TestDLQOnStack(t *testing.T) {
	s := startFakeStack(t)
	s.useStack(t)
	sendAll(t, s.sqs, deadLetters(t, s.resources["LaunchDLQ"], event.TypeLaunchRequested, "InvalidPayload", 30))
	stackArgs := []string{"--aws", "--samconfig", "../../samconfig.toml", "--template", testTemplate}

	code, stdout, stderr := runDLQCommand(context.Background(), "", append([]string{"list", "--json"}, stackArgs...)...)
	if code != 0 {
		t.Fatalf("list: exit %d %s", code, stderr)
	}
	var rows []listRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 || rows[0].URL != s.resources[rows[0].LogicalID] {
		t.Errorf("list rows %+v", rows)
	}
	for _, r := range rows {
		if r.LogicalID == "LaunchDLQ" && (r.Visible != 30 || r.AlarmState != dlq.Unknown) {
			t.Errorf("LaunchDLQ row %+v", r)
		}
	}

	code, stdout, stderr = runDLQCommand(context.Background(), "", append([]string{"redrive", "LaunchDLQ"}, stackArgs...)...)
	if code != 0 || !strings.Contains(flat(stdout), "moved 30 messages from LaunchDLQ to LaunchQueue") || !strings.Contains(flat(stdout), "then launcher:") {
		t.Fatalf("redrive on the stack: exit %d\n%s%s", code, stdout, stderr)
	}
	if v, _ := depth(t, s.sqs, s.resources["LaunchQueue"]); v != 30 {
		t.Errorf("the stack's LaunchQueue holds %d, want 30", v)
	}

	code, _, stderr = runDLQCommand(context.Background(), "", "list", "--stack", "nope", "--region", "us-east-1")
	if code != exitUnknownQueue || !strings.Contains(stderr, "Stack with id nope does not exist") {
		t.Errorf("unknown stack: exit %d, %s", code, stderr)
	}
}

func TestReadSamconfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, toml string
		want       samconfig
	}{
		{"the project's", "", samconfig{StackName: "eventchain", Region: "us-east-1"}},
		{"deploy wins over global", "version = 0.1\n[default.global.parameters]\nstack_name = \"a\"\nregion = \"eu-west-1\"\n[default.deploy.parameters]\nstack_name = \"b\"\n",
			samconfig{StackName: "b", Region: "eu-west-1"}},
		{"no default environment", "version = 0.1\n[prod.global.parameters]\nstack_name = \"p\"\n", samconfig{}},
	}
	for _, tc := range tests {
		path := "../../samconfig.toml"
		if tc.toml != "" {
			path = filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".toml")
			if err := os.WriteFile(path, []byte(tc.toml), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		got, err := readSamconfig(path)
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}
