package invoke_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/invoke"
	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/localcloud"
	lcec2 "github.com/eventchain/eventchain/infra/localcloud/ec2"
	"github.com/eventchain/eventchain/infra/localcloud/localcloudtest"
	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
)

// The fixtures' story (cmd/eventchain/event_fixtures.go).
const (
	runningRequest     = "3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c"
	runningCorrelation = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
	failedRequest      = "c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f"
	failedCorrelation  = "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"
	// fixtureCaller is the IAM caller of the API fixtures.
	fixtureCaller = "arn:aws:sts::123456789012:assumed-role/eventchain-client/dev"
	// launchedAt is the instance.launched fixtures' launch time.
	launchedAt = "2026-01-15T10:00:00Z"
)

var runningInstances = []string{"i-0a1b2c3d4e5f60718", "i-0f1e2d3c4b5a69788"}

// fixtureCase is one invocation of a fixture of events/ under the RIE,
// against a localcloud holding the template's topology and the state
// setup creates.
type fixtureCase struct {
	name     string
	file     string
	function string // logical id
	// overrides are parameter overrides of the template.
	overrides map[string]string
	setup     func(t *testing.T, c *cloud)
	check     func(t *testing.T, c *cloud, res *invoke.Result)
}

var fixtureCases = []fixtureCase{
	{name: "valid POST is accepted", file: "api-post.json", function: "ApiFunction",
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			resp, body := apiAnswer(t, res, 202)
			id, _ := body["requestId"].(string)
			if !event.ValidID(id) || body["status"] != "ACCEPTED" || resp.Headers["Location"] != "/launches/"+id {
				t.Fatalf("answer %+v, want a request id, ACCEPTED and its Location", resp)
			}
			msgs := c.messages(t, "LaunchQueue")
			if len(msgs) != 1 {
				t.Fatalf("launch queue holds %d messages, want the one launch.requested", len(msgs))
			}
			env := envelopeOf(t, msgs[0], event.TypeLaunchRequested)
			if env.Subject != id || env.CorrelationID != runningCorrelation {
				t.Errorf("published %s for %s (correlation %s), want %s (%s)", env.Type, env.Subject, env.CorrelationID, id, runningCorrelation)
			}
			if r := c.request(t, id); r.Status != status.Accepted || r.Caller != fixtureCaller {
				t.Errorf("recorded %s for %q, want ACCEPTED for the caller", r.Status, r.Caller)
			}
		}},
	{name: "bulk POST is accepted", file: "api-post-bulk.json", function: "ApiFunction",
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			_, body := apiAnswer(t, res, 202)
			if items, _ := body["requests"].([]any); len(items) != 3 {
				t.Errorf("answer %v, want 3 requests", body)
			}
			if n := len(c.messages(t, "LaunchQueue")); n != 3 {
				t.Errorf("launch queue holds %d messages, want 3", n)
			}
		}},
	{name: "bad body is refused", file: "api-post-bad-body.json", function: "ApiFunction",
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			_, body := apiAnswer(t, res, 400)
			if e, _ := body["error"].(map[string]any); e["code"] != "InvalidValue" || e["field"] != "count" {
				t.Errorf("error %v, want InvalidValue on count", body["error"])
			}
			if n := len(c.messages(t, "LaunchQueue")); n != 0 {
				t.Errorf("launch queue holds %d messages, want none", n)
			}
		}},
	{name: "GET of an unknown request", file: "api-get.json", function: "ApiFunction",
		check: func(t *testing.T, c *cloud, res *invoke.Result) { apiAnswer(t, res, 404) }},
	{name: "GET of a recorded request", file: "api-get.json", function: "ApiFunction",
		setup: func(t *testing.T, c *cloud) {
			c.record(t, runningRequest, runningCorrelation, status.Launching, runningInstances...)
		},
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			_, body := apiAnswer(t, res, 200)
			if body["requestId"] != runningRequest || body["status"] != "LAUNCHING" {
				t.Errorf("answer %v, want the request LAUNCHING", body)
			}
		}},
	{name: "unknown route is the API's 404", file: "api-unknown-route.json", function: "ApiFunction",
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			_, body := apiAnswer(t, res, 404)
			if e, _ := body["error"].(map[string]any); e["code"] != "NotFound" {
				t.Errorf("error %v, want NotFound", body["error"])
			}
		}},
	{name: "two launches", file: "launcher-launch-requested.json", function: "LauncherFunction",
		setup: func(t *testing.T, c *cloud) {
			c.record(t, runningRequest, runningCorrelation, status.Accepted)
			c.record(t, failedRequest, failedCorrelation, status.Accepted)
		},
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			noBatchFailures(t, res)
			launched := map[string]bool{}
			for _, m := range c.messages(t, "WatchQueue") {
				launched[envelopeOf(t, m, event.TypeInstanceLaunched).Subject] = true
			}
			for id, count := range map[string]int{runningRequest: 2, failedRequest: 1} {
				if !launched[id] {
					t.Errorf("no instance.launched for %s", id)
				}
				if n := len(c.instances(t, id)); n != count {
					t.Errorf("%s has %d instances, want %d", id, n, count)
				}
				if r := c.request(t, id); r.Status != status.Launching {
					t.Errorf("%s is %s, want LAUNCHING", id, r.Status)
				}
			}
		}},
	{name: "malformed record is dead-lettered", file: "malformed-record.json", function: "LauncherFunction",
		setup: func(t *testing.T, c *cloud) { c.record(t, runningRequest, runningCorrelation, status.Accepted) },
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			noBatchFailures(t, res)
			dead := c.messages(t, "LaunchDLQ")
			if len(dead) != 1 {
				t.Fatalf("LaunchDLQ holds %d messages, want the malformed one", len(dead))
			}
			if code, fn := attr(dead[0], event.AttrErrorCode), attr(dead[0], event.AttrErrorFunction); code != "MalformedEvent" || fn != "launcher" {
				t.Errorf("dead letter's reason %s by %s, want MalformedEvent by launcher", code, fn)
			}
			if body := aws.ToString(dead[0].Body); body != `{"specversion":"1.0","id":"not-an-envelope","type":"launch.requested"` {
				t.Errorf("dead letter's body %q is not the record's", body)
			}
			if n := len(c.instances(t, runningRequest)); n != 2 {
				t.Errorf("the valid record launched %d instances, want 2", n)
			}
		}},
	// Instances the fixtures name but EC2 does not know (not imported) are
	// taken for instances not yet visible (EC2's eventual consistency):
	// the watcher waits as for pending ones while its budget lasts, and
	// gives up once it is spent (the fixtures were launched on
	// 2026-01-15).
	{name: "instances not yet visible, budget left: retried later", file: "watcher-pending.json", function: "WatcherFunction",
		overrides: map[string]string{"WatchTimeoutSeconds": strconv.Itoa(int(time.Since(mustTime(launchedAt)).Seconds()) + 86400)},
		setup: func(t *testing.T, c *cloud) {
			c.record(t, runningRequest, runningCorrelation, status.Launching, runningInstances...)
		},
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			failed := batchFailures(t, res)
			if want := c.fixture.Records[0].MessageId; !slices.Equal(failed, []string{want}) {
				t.Errorf("batch item failures %v, want the record %s, to come back later", failed, want)
			}
			if !slices.ContainsFunc(strings.Split(c.log, "\n"), func(line string) bool {
				return strings.Contains(line, `"outcome":"retry"`) && strings.Contains(line, `"error_code":"InvalidInstanceID.NotFound"`)
			}) {
				t.Error("the watcher did not log the record as retried for instances EC2 does not know yet")
			}
			if n := len(c.messages(t, "NotifyQueue")); n != 0 {
				t.Errorf("notify queue holds %d messages: the watcher gave up", n)
			}
		}},
	{name: "instances pending, budget left: retried later", file: "watcher-pending.json", function: "WatcherFunction",
		overrides: map[string]string{"WatchTimeoutSeconds": strconv.Itoa(int(time.Since(mustTime(launchedAt)).Seconds()) + 86400)},
		setup: func(t *testing.T, c *cloud) {
			c.record(t, runningRequest, runningCorrelation, status.Launching, runningInstances...)
			c.launch(t, time.Now())
		},
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			failed := batchFailures(t, res)
			if want := c.fixture.Records[0].MessageId; !slices.Equal(failed, []string{want}) {
				t.Errorf("batch item failures %v, want the record %s, to come back later", failed, want)
			}
			if !slices.ContainsFunc(strings.Split(c.log, "\n"), func(line string) bool {
				return strings.Contains(line, `"outcome":"retry"`) && strings.Contains(line, `"error_code":"InstancesPending"`)
			}) {
				t.Error("the watcher did not log the record as retried for pending instances")
			}
			if n := len(c.messages(t, "NotifyQueue")); n != 0 {
				t.Errorf("notify queue holds %d messages: the watcher did not wait", n)
			}
		}},
	{name: "instances running: instance.running", file: "watcher-running.json", function: "WatcherFunction",
		setup: func(t *testing.T, c *cloud) {
			c.record(t, runningRequest, runningCorrelation, status.Launching, runningInstances...)
			c.launch(t, mustTime(launchedAt))
		},
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			noBatchFailures(t, res)
			msgs := c.messages(t, "NotifyQueue")
			if len(msgs) != 1 {
				t.Fatalf("notify queue holds %d messages, want one instance.running", len(msgs))
			}
			var running event.InstanceRunning
			if err := envelopeOf(t, msgs[0], event.TypeInstanceRunning).DecodeData(&running); err != nil {
				t.Fatal(err)
			}
			if running.RequestID != runningRequest || !slices.Equal(running.InstanceIDs, runningInstances) {
				t.Errorf("instance.running %+v, want the request's instances", running)
			}
		}},
	{name: "budget spent: launch.failed WatchTimeout", file: "watcher-running.json", function: "WatcherFunction",
		setup: func(t *testing.T, c *cloud) {
			c.record(t, runningRequest, runningCorrelation, status.Launching, runningInstances...)
		},
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			noBatchFailures(t, res)
			msgs := c.messages(t, "NotifyQueue")
			if len(msgs) != 1 {
				t.Fatalf("notify queue holds %d messages, want one launch.failed", len(msgs))
			}
			var failed event.LaunchFailed
			if err := envelopeOf(t, msgs[0], event.TypeLaunchFailed).DecodeData(&failed); err != nil {
				t.Fatal(err)
			}
			if failed.Code != "WatchTimeout" || !slices.Equal(failed.InstanceIDs, runningInstances) {
				t.Errorf("launch.failed %+v, want WatchTimeout with the instances", failed)
			}
		}},
	{name: "request already closed: nothing to watch", file: "watcher-running.json", function: "WatcherFunction",
		setup: func(t *testing.T, c *cloud) {
			c.record(t, runningRequest, runningCorrelation, status.Running, runningInstances...)
		},
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			noBatchFailures(t, res)
			if n := len(c.messages(t, "NotifyQueue")); n != 0 {
				t.Errorf("notify queue holds %d messages, want none", n)
			}
		}},
	{name: "instance.running closes the request", file: "notifier-instance-running.json", function: "NotifierFunction",
		setup: func(t *testing.T, c *cloud) {
			c.record(t, runningRequest, runningCorrelation, status.Launching, runningInstances...)
		},
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			noBatchFailures(t, res)
			if r := c.request(t, runningRequest); r.Status != status.Running || !slices.Equal(r.InstanceIDs, runningInstances) {
				t.Errorf("request %s with %v, want RUNNING with its instances", r.Status, r.InstanceIDs)
			}
			notes := c.messages(t, notificationsQueue)
			if len(notes) != 1 || attr(notes[0], event.AttrType) != "notification.running" {
				t.Errorf("notifications %v, want one notification.running", notes)
			}
		}},
	{name: "instance.running of an unknown request is dead-lettered", file: "notifier-instance-running.json", function: "NotifierFunction",
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			noBatchFailures(t, res)
			dead := c.messages(t, "NotifyDLQ")
			if len(dead) != 1 || attr(dead[0], event.AttrErrorCode) != "RequestNotFound" {
				t.Errorf("NotifyDLQ holds %v, want the record with RequestNotFound", dead)
			}
		}},
	{name: "launch.failed fails the request", file: "notifier-launch-failed.json", function: "NotifierFunction",
		setup: func(t *testing.T, c *cloud) { c.record(t, failedRequest, failedCorrelation, status.Accepted) },
		check: func(t *testing.T, c *cloud, res *invoke.Result) {
			noBatchFailures(t, res)
			r := c.request(t, failedRequest)
			if r.Status != status.Failed || r.Error == nil || r.Error.Code != "InvalidAMIID.NotFound" {
				t.Errorf("request %s (%+v), want FAILED with InvalidAMIID.NotFound", r.Status, r.Error)
			}
			notes := c.messages(t, notificationsQueue)
			if len(notes) != 1 || attr(notes[0], event.AttrType) != "notification.failed" {
				t.Errorf("notifications %v, want one notification.failed", notes)
			}
		}},
}

// TestInvokeFixtures invokes every fixture of events/ with its function's
// bootstrap under the RIE, as `eventchain invoke` does, and checks what the
// function answered and did to localcloud.
func TestInvokeFixtures(t *testing.T) {
	for _, tc := range fixtureCases {
		t.Run(tc.file+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			c := newCloud(t, tc.file, tc.overrides)
			if tc.setup != nil {
				tc.setup(t, c)
			}
			fn, ok := c.tmpl.Function(tc.function)
			if !ok {
				t.Fatalf("no function %s in the template", tc.function)
			}
			env, _ := invoke.Environment(c.tmpl, fn, c.url, nil)
			logs := &syncBuffer{}
			s, err := invoke.Start(context.Background(), invoke.Config{RIE: rie, Bootstrap: bootstraps[fn.Name], Env: env, Logs: logs})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := s.Close(); err != nil {
					t.Error(err)
				}
			}()
			res, err := s.Invoke(context.Background(), c.payload)
			if err != nil {
				t.Fatal(err)
			}
			c.log = logs.String()
			t.Logf("response %s\nlog:\n%s", res.Payload, c.log)
			if res.Outcome != invoke.Succeeded {
				t.Fatalf("%s: %v", tc.function, res.Err())
			}
			tc.check(t, c, res)
		})
	}
}

// TestEveryFixtureInvoked: a fixture added to events/ needs an expected
// outcome here.
func TestEveryFixtureInvoked(t *testing.T) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in events/: %v", err)
	}
	for _, f := range files {
		if !slices.ContainsFunc(fixtureCases, func(c fixtureCase) bool { return c.file == filepath.Base(f) }) {
			t.Errorf("%s is invoked by no case of TestInvokeFixtures", filepath.Base(f))
		}
	}
}

// TestFixtureDigests: every SQS fixture record's md5OfBody and
// md5OfMessageAttributes are what SQS (here localcloud's, an independent
// implementation) answers for its body and attributes.
func TestFixtureDigests(t *testing.T) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil {
		t.Fatal(err)
	}
	c := newCloud(t, "launcher-launch-requested.json", nil)
	q, _ := c.tmpl.Queue("LaunchQueue")
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev lambdaevents.SQSEvent
		if json.Unmarshal(b, &ev) != nil || len(ev.Records) == 0 {
			continue // an HTTP API request
		}
		for _, r := range ev.Records {
			attrs := map[string]sqstypes.MessageAttributeValue{}
			for k, v := range r.MessageAttributes {
				attrs[k] = sqstypes.MessageAttributeValue{DataType: aws.String(v.DataType), StringValue: v.StringValue}
			}
			out, err := c.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(r.Body), MessageAttributes: attrs})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.MD5OfMessageBody) != r.Md5OfBody || aws.ToString(out.MD5OfMessageAttributes) != r.Md5OfMessageAttributes {
				t.Errorf("%s record %s: digests %s %s, SQS answers %s %s", filepath.Base(f), r.MessageId,
					r.Md5OfBody, r.Md5OfMessageAttributes, aws.ToString(out.MD5OfMessageBody), aws.ToString(out.MD5OfMessageAttributes))
			}
			checked++
		}
	}
	if checked < 6 {
		t.Errorf("checked %d records, want every SQS fixture's", checked)
	}
}

// notificationsQueue is a queue of the test's own, subscribed to the
// notifications topic (which has no subscriber in the template).
const notificationsQueue = "test-notifications"

// cloud is a localcloud with the template's topology, for one case.
type cloud struct {
	url     string
	cfg     aws.Config
	tmpl    *samtemplate.Resolved
	store   status.Store
	sqs     *sqs.Client
	payload []byte
	fixture lambdaevents.SQSEvent // when the fixture is an SQS batch
	log     string                // the function's, once invoked
	lc      *localcloud.Cloud
}

// launch makes the fixtures' instances known to localcloud's EC2, launched
// at the given time (its ids are the recorded events', which RunInstances
// would never pick).
func (c *cloud) launch(t *testing.T, at time.Time) {
	t.Helper()
	var specs []lcec2.InstanceSpec
	for _, id := range runningInstances {
		specs = append(specs, lcec2.InstanceSpec{ID: id, ImageID: "ami-0abcdef1234567890", InstanceType: "t3.micro",
			Tags: map[string]string{"eventchain:request-id": runningRequest}, LaunchTime: at})
	}
	if err := c.lc.EC2.ImportInstances(specs); err != nil {
		t.Fatal(err)
	}
}

func newCloud(t *testing.T, file string, overrides map[string]string) *cloud {
	t.Helper()
	ctx := context.Background()
	// An hour's boot: an instance imported as launched now stays pending,
	// one imported with the fixtures' launch time is running.
	lc, cfg := localcloudtest.StartCloud(t, localcloud.Options{EC2BootDelay: time.Hour})
	c := &cloud{url: aws.ToString(cfg.BaseEndpoint), cfg: cfg, sqs: sqs.NewFromConfig(cfg), lc: lc}
	tmpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.tmpl, err = tmpl.Resolve(overrides, samtemplate.LocalResolver{Endpoint: c.url}); err != nil {
		t.Fatal(err)
	}
	if err := local.Provision(ctx, cfg, c.tmpl, nil); err != nil {
		t.Fatal(err)
	}
	c.store = status.NewDynamo(dynamodb.NewFromConfig(cfg), c.tmpl.Functions[0].Environment[status.TableEnv])

	q, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(notificationsQueue)})
	if err != nil {
		t.Fatal(err)
	}
	topic, _ := c.tmpl.Topic("NotificationsTopic")
	snsc := sns.NewFromConfig(cfg)
	sub, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic.ARN), Protocol: aws.String("sqs"),
		Endpoint: aws.String(c.queueARN(t, aws.ToString(q.QueueUrl))), ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsc.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn,
		AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")}); err != nil {
		t.Fatal(err)
	}

	if c.payload, err = os.ReadFile(filepath.Join("../../events", file)); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(c.payload, &c.fixture) // an API request has no Records
	return c
}

func (c *cloud) queueARN(t *testing.T, url string) string {
	t.Helper()
	out, err := c.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}

// record creates a request as the API would have, moved on to st.
func (c *cloud) record(t *testing.T, id, correlation string, st status.Status, instances ...string) {
	t.Helper()
	ctx := context.Background()
	at := mustTime(launchedAt).Add(-time.Minute)
	if err := c.store.Create(ctx, status.Request{ID: id, CorrelationID: correlation, Caller: fixtureCaller,
		CreatedAt: at, UpdatedAt: at, Event: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	steps := []status.Transition{
		{To: status.Accepted, Event: event.TypeLaunchRequested, At: at},
		{To: status.Launching, Event: event.TypeInstanceLaunched, At: at.Add(time.Second), InstanceIDs: instances},
		{To: status.Running, Event: event.TypeInstanceRunning, At: at.Add(time.Minute), InstanceIDs: instances},
	}
	for _, s := range steps {
		if _, err := c.store.Advance(ctx, id, s); err != nil {
			t.Fatal(err)
		}
		if s.To == st {
			return
		}
	}
	t.Fatalf("record %s: no way to %s", id, st)
}

func (c *cloud) request(t *testing.T, id string) status.Request {
	t.Helper()
	r, err := c.store.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("request %s: %v", id, err)
	}
	return r
}

// messages receives every message of a queue (a logical id of the
// template, or a name).
func (c *cloud) messages(t *testing.T, queue string) []sqstypes.Message {
	t.Helper()
	url := c.url + "/" + localcloud.DefaultAccountID + "/" + queue
	if q, ok := c.tmpl.Queue(queue); ok {
		url = q.URL
	}
	var out []sqstypes.Message
	for {
		page, err := c.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 60,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			t.Fatalf("receive from %s: %v", queue, err)
		}
		if len(page.Messages) == 0 {
			return out
		}
		out = append(out, page.Messages...)
	}
}

// instances lists the instances EC2 launched for a request.
func (c *cloud) instances(t *testing.T, requestID string) []ec2types.Instance {
	t.Helper()
	out, err := ec2.NewFromConfig(c.cfg).DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:eventchain:request-id"), Values: []string{requestID}}}})
	if err != nil {
		t.Fatal(err)
	}
	var all []ec2types.Instance
	for _, r := range out.Reservations {
		all = append(all, r.Instances...)
	}
	return all
}

func attr(m sqstypes.Message, name string) string {
	return aws.ToString(m.MessageAttributes[name].StringValue)
}

// envelopeOf decodes a message's envelope, which must be of type typ.
func envelopeOf(t *testing.T, m sqstypes.Message, typ string) event.Envelope {
	t.Helper()
	env, err := event.Decode([]byte(aws.ToString(m.Body)))
	if err != nil {
		t.Fatal(err)
	}
	if env.Type != typ || attr(m, event.AttrType) != typ {
		t.Fatalf("message of type %s (attribute %s), want %s", env.Type, attr(m, event.AttrType), typ)
	}
	return env
}

// apiAnswer decodes the API function's response, which must have status.
func apiAnswer(t *testing.T, res *invoke.Result, status int) (lambdaevents.APIGatewayV2HTTPResponse, map[string]any) {
	t.Helper()
	var resp lambdaevents.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatalf("response %s: %v", res.Payload, err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("response body %q: %v", resp.Body, err)
	}
	if resp.StatusCode != status {
		t.Fatalf("status %d (%s), want %d", resp.StatusCode, resp.Body, status)
	}
	return resp, body
}

// batchFailures decodes a consumer's batch response and returns the ids of
// its batch item failures.
func batchFailures(t *testing.T, res *invoke.Result) []string {
	t.Helper()
	var resp lambdaevents.SQSEventResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatalf("response %s: %v", res.Payload, err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// noBatchFailures checks that a consumer acknowledged its whole batch.
func noBatchFailures(t *testing.T, res *invoke.Result) {
	t.Helper()
	if failed := batchFailures(t, res); len(failed) > 0 {
		t.Errorf("batch item failures %v, want none", failed)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
