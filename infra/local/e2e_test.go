package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/notifier"
	"github.com/eventchain/eventchain/internal/status"
)

// e2eOverrides make redelivery take seconds: a one-second visibility
// timeout (below the template's 6 × timeout invariant, which only matters
// for handlers that run long), no batching window, a fast watcher with a
// budget its receive count covers, and no pacing worth the name.
var e2eOverrides = map[string]string{
	"QueueVisibilityTimeout":  "1",
	"BatchingWindowSeconds":   "0",
	"WatchBackoffBaseSeconds": "1",
	"WatchBackoffMaxSeconds":  "1",
	"WatchTimeoutSeconds":     "20",
	"LaunchRatePerSecond":     "1000",
	"LogLevel":                "ERROR",
}

// e2eEnvironment shortens the retry schedule of transient errors: its
// delays round up to SQS's whole seconds, so the first ones take 1 s.
var e2eEnvironment = map[string]string{consumer.BackoffBaseEnv: "0.25"}

// pipeline is the local mode started for one test, on free ports.
type pipeline struct {
	*Runner
	t       *testing.T
	mu      sync.Mutex
	batches []BatchOutcome
	records []RecordLog
}

func startPipeline(t *testing.T, overrides map[string]string) *pipeline {
	t.Helper()
	return startPipelineWith(t, overrides, 0, nil)
}

// startPipelineWith is startPipeline with an EC2 boot delay and a wrapper
// around the functions' handlers, for faults that no setting can cause.
func startPipelineWith(t *testing.T, overrides map[string]string, bootDelay time.Duration, wrap func(function string, h lambda.Handler) lambda.Handler) *pipeline {
	t.Helper()
	p := &pipeline{t: t}
	params := map[string]string{}
	for k, v := range e2eOverrides {
		params[k] = v
	}
	for k, v := range overrides {
		params[k] = v
	}
	r, err := Start(context.Background(), Options{
		Template:        "../../template.yaml",
		Overrides:       params,
		APIAddr:         "127.0.0.1:0",
		CloudAddr:       "127.0.0.1:0",
		DataDir:         t.TempDir(),
		PollWaitSeconds: 1,
		Environment:     e2eEnvironment,
		EC2BootDelay:    bootDelay,
		WrapHandler:     wrap,
		ObserveBatch: func(o BatchOutcome) {
			p.mu.Lock()
			p.batches = append(p.batches, o)
			p.mu.Unlock()
		},
		ObserveRecord: func(l RecordLog) {
			p.mu.Lock()
			p.records = append(p.records, l)
			p.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	p.Runner = r
	return p
}

func (p *pipeline) cfg() aws.Config { return p.awsConfig() }

func (p *pipeline) queueURL(logicalID string) string {
	q, ok := p.Template.Queue(logicalID)
	if !ok {
		p.t.Fatalf("template has no queue %s", logicalID)
	}
	return q.URL
}

func (p *pipeline) topicARN(logicalID string) string {
	tp, ok := p.Template.Topic(logicalID)
	if !ok {
		p.t.Fatalf("template has no topic %s", logicalID)
	}
	return tp.ARN
}

// deliveries counts the invocations that carried a message id.
func (p *pipeline) deliveries(messageID string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, b := range p.batches {
		for _, r := range b.Records {
			if r.MessageId == messageID {
				n++
			}
		}
	}
	return n
}

// subscribeTestQueue subscribes a fresh queue to a topic with raw delivery.
func (p *pipeline) subscribeTestQueue(topicLogicalID, name string) string {
	p.t.Helper()
	ctx := context.Background()
	sqsc, snsc := sqs.NewFromConfig(p.cfg()), sns.NewFromConfig(p.cfg())
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		p.t.Fatal(err)
	}
	arn := fmt.Sprintf("arn:aws:sqs:%s:%s:%s", p.Template.Region, p.Template.AccountID, name)
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(p.topicARN(topicLogicalID)), Protocol: aws.String("sqs"), Endpoint: aws.String(arn),
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		p.t.Fatal(err)
	}
	return aws.ToString(q.QueueUrl)
}

// receiveAll drains up to want messages from a queue within the timeout.
func (p *pipeline) receiveAll(url string, want int, timeout time.Duration) []sqstypes.Message {
	p.t.Helper()
	sqsc := sqs.NewFromConfig(p.cfg())
	var out []sqstypes.Message
	deadline := time.Now().Add(timeout)
	for len(out) < want && time.Now().Before(deadline) {
		res, err := sqsc.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			p.t.Fatal(err)
		}
		out = append(out, res.Messages...)
	}
	return out
}

type launchStatus struct {
	RequestID   string   `json:"requestId"`
	Status      string   `json:"status"`
	InstanceIDs []string `json:"instanceIds"`
	Error       *struct {
		Code, Message string
	} `json:"error"`
	History []struct {
		Event string `json:"event"`
	} `json:"history"`
}

func (p *pipeline) post(body string, headers map[string]string) (*http.Response, []byte) {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.APIURL()+"/launches", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// follow GETs a Location until the request reaches a final status.
func (p *pipeline) follow(location string, timeout time.Duration) launchStatus {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var st launchStatus
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.APIURL() + location)
		if err != nil {
			p.t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			p.t.Fatalf("GET %s: %d %s", location, resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, &st); err != nil {
			p.t.Fatal(err)
		}
		if st.Status == "RUNNING" || st.Status == "FAILED" {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("%s still %s after %s", location, st.Status, timeout)
	return st
}

func (p *pipeline) instancesTagged(requestID string) []ec2types.Instance {
	p.t.Helper()
	out, err := ec2.NewFromConfig(p.cfg()).DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:eventchain:request-id"), Values: []string{requestID}}},
	})
	if err != nil {
		p.t.Fatal(err)
	}
	var insts []ec2types.Instance
	for _, r := range out.Reservations {
		insts = append(insts, r.Instances...)
	}
	return insts
}

func TestEndToEndLaunchesReachRunningAndNotify(t *testing.T) {
	p := startPipeline(t, nil)
	notifications := p.subscribeTestQueue("NotificationsTopic", "e2e-notifications")

	resp, body := p.post(`{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":2,"tags":{"team":"e2e"}}`, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("single POST: %d %s", resp.StatusCode, body)
	}
	var single struct{ RequestID string }
	if err := json.Unmarshal(body, &single); err != nil {
		t.Fatal(err)
	}
	singleLocation := resp.Header.Get("Location")
	if singleLocation != "/launches/"+single.RequestID {
		t.Fatalf("Location %q, want /launches/%s", singleLocation, single.RequestID)
	}
	resp, body = p.post(`{"launches":[
		{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1},
		{"imageId":"ami-12345678","instanceType":"t4g.small","count":1},
		{"imageId":"ami-0abcdef1234567890","instanceType":"t3.small","count":3}]}`, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("bulk POST: %d %s", resp.StatusCode, body)
	}
	var bulk struct {
		Requests []struct{ RequestID, Location string }
	}
	if err := json.Unmarshal(body, &bulk); err != nil || len(bulk.Requests) != 3 {
		t.Fatalf("bulk answer %s (%v)", body, err)
	}

	want := map[string]int{single.RequestID: 2}
	locations := map[string]string{single.RequestID: singleLocation}
	for i, r := range bulk.Requests {
		want[r.RequestID] = []int{1, 1, 3}[i]
		locations[r.RequestID] = r.Location
	}
	for id, count := range want {
		st := p.follow(locations[id], 30*time.Second)
		if st.Status != "RUNNING" || len(st.InstanceIDs) != count {
			t.Errorf("%s: %s with %d instances, want RUNNING with %d", id, st.Status, len(st.InstanceIDs), count)
		}
		var events []string
		for _, h := range st.History {
			events = append(events, h.Event)
		}
		if !slices.Contains(events, event.TypeInstanceRunning) {
			t.Errorf("%s history %v lacks %s", id, events, event.TypeInstanceRunning)
		}
		tagged := p.instancesTagged(id)
		if len(tagged) != count {
			t.Errorf("%s: %d instances tagged with its request id in EC2, want %d", id, len(tagged), count)
		}
		for _, inst := range tagged {
			if !slices.Contains(st.InstanceIDs, aws.ToString(inst.InstanceId)) || inst.State.Name != ec2types.InstanceStateNameRunning {
				t.Errorf("%s: EC2 instance %s (%s) not the status's %v", id, aws.ToString(inst.InstanceId), inst.State.Name, st.InstanceIDs)
			}
		}
	}

	got := map[string]notifier.Notification{}
	for _, m := range p.receiveAll(notifications, len(want), 10*time.Second) {
		var n notifier.Notification
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
			t.Fatalf("notification %q: %v", aws.ToString(m.Body), err)
		}
		got[n.RequestID] = n
	}
	for id, count := range want {
		if n, ok := got[id]; !ok || n.Status != "RUNNING" || len(n.InstanceIDs) != count {
			t.Errorf("notification for %s: %+v (present %v)", id, n, ok)
		}
	}
	launcher, _ := p.Template.Function("launcher")
	if peak, reserved := p.Functions["launcher"].Stats().PeakRunning, *launcher.ReservedConcurrentExecutions; peak > int64(reserved) {
		t.Errorf("launcher ran %d invocations at once, above its reserved concurrency %d", peak, reserved)
	}

	// The status table is DynamoDB in localcloud: the aws CLI sees it.
	scan := exec.Command("aws", "--endpoint-url", p.CloudURL(), "--output", "json", "dynamodb", "scan",
		"--table-name", p.Template.Tables[0].Name, "--projection-expression", "id, #s", "--expression-attribute-names", `{"#s":"status"}`)
	scan.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION="+p.Template.Region)
	out, err := scan.Output()
	if err != nil {
		t.Fatalf("aws dynamodb scan: %v", err)
	}
	var table struct {
		Items []struct{ ID, Status struct{ S string } }
	}
	if err := json.Unmarshal(out, &table); err != nil {
		t.Fatalf("aws dynamodb scan: %v: %s", err, out)
	}
	scanned := map[string]string{}
	for _, it := range table.Items {
		scanned[it.ID.S] = it.Status.S
	}
	for id := range want {
		if scanned[id] != "RUNNING" {
			t.Errorf("aws dynamodb scan shows %s as %q, want RUNNING", id, scanned[id])
		}
	}
}

func TestEndToEndUndecodableEventGoesToDLQWithReason(t *testing.T) {
	p := startPipeline(t, nil)
	cmd := exec.Command("aws", "sns", "publish", "--endpoint-url", p.CloudURL(), "--output", "json",
		"--topic-arn", p.topicARN("EventsTopic"),
		"--message", `{"specversion":"1.0","id":"x","type":"launch.requested"`, // cut short
		"--message-attributes", `{"type":{"DataType":"String","StringValue":"launch.requested"}}`)
	// Only the test's own AWS settings: none of the caller's profile or
	// endpoint variables.
	home := t.TempDir()
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") }),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws sns publish: %v\n%s", err, out)
	}
	msgs := p.receiveAll(p.queueURL("LaunchDLQ"), 1, 15*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d messages in the launch DLQ, want 1", len(msgs))
	}
	m := msgs[0]
	attr := func(name string) string {
		if a, ok := m.MessageAttributes[name]; ok {
			return aws.ToString(a.StringValue)
		}
		return ""
	}
	if attr(event.AttrErrorCode) == "" || attr(event.AttrErrorMessage) == "" || attr(event.AttrErrorFunction) != "launcher" {
		t.Errorf("DLQ message lacks its reason: code %q message %q function %q", attr(event.AttrErrorCode), attr(event.AttrErrorMessage), attr(event.AttrErrorFunction))
	}
	// Nothing was left behind for a retry: past the visibility timeout the
	// launch queue is empty and the DLQ holds that one message.
	time.Sleep(1500 * time.Millisecond)
	if v, f := p.depth("LaunchQueue"); v != 0 || f != 0 {
		t.Errorf("launch queue holds %d visible, %d in flight after the dead letter", v, f)
	}
	// It went to the DLQ after one receive, not after maxReceiveCount
	// (counted now: a batch is recorded once its successes are deleted).
	var deliveries int
	p.mu.Lock()
	for _, b := range p.batches {
		for _, r := range b.Records {
			if r.Body == aws.ToString(m.Body) {
				deliveries++
			}
		}
	}
	p.mu.Unlock()
	if deliveries != 1 {
		t.Errorf("the undecodable event reached the launcher %d times, want 1", deliveries)
	}
	if more := p.receiveAll(p.queueURL("LaunchDLQ"), 1, time.Second); len(more) != 0 {
		t.Errorf("the launch DLQ holds %d more messages", len(more))
	}
}

func TestEndToEndPersistentFailureReachesDLQAfterMaxReceiveCount(t *testing.T) {
	p := startPipeline(t, map[string]string{"LaunchMaxReceiveCount": "5"})
	p.Cloud.EC2.InjectFailure("RunInstances", "InsufficientInstanceCapacity", 1000)

	resp, body := p.post(`{"imageId":"ami-0abcdef1234567890","instanceType":"t3.micro","count":1}`, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST: %d %s", resp.StatusCode, body)
	}
	var accepted struct{ RequestID string }
	_ = json.Unmarshal(body, &accepted)

	msgs := p.receiveAll(p.queueURL("LaunchDLQ"), 1, 30*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d messages in the launch DLQ, want 1", len(msgs))
	}
	env, err := event.Decode([]byte(aws.ToString(msgs[0].Body)))
	if err != nil || env.Subject != accepted.RequestID {
		t.Fatalf("DLQ holds %q (%v), want the launch.requested of %s", aws.ToString(msgs[0].Body), err, accepted.RequestID)
	}
	// Let the last invocation finish and its batch be recorded before
	// counting; once in the DLQ the record cannot be handed out again.
	id := aws.ToString(msgs[0].MessageId)
	for deadline := time.Now().Add(10 * time.Second); (p.Functions["launcher"].Stats().Running > 0 || p.deliveries(id) < 5) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := p.deliveries(id); n != 5 {
		t.Errorf("the record was handed to the launcher %d times before the DLQ, want exactly maxReceiveCount = 5", n)
	}
	if got := p.instancesTagged(accepted.RequestID); len(got) != 0 {
		t.Errorf("%d instances launched despite the capacity error", len(got))
	}
}

func TestEndToEndDuplicateDeliveryLaunchesOnce(t *testing.T) {
	p := startPipeline(t, nil)
	reqID := event.NewID()
	env, err := event.New(event.TypeLaunchRequested, event.Meta{Source: "e2e", Subject: reqID, CorrelationID: event.NewID()},
		event.LaunchRequested{RequestID: reqID, ImageID: "ami-0abcdef1234567890", InstanceType: "t3.micro", Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(env)
	// Recorded as the API would, so the rest of the chain closes it.
	if err := p.Store.Create(context.Background(), status.Request{ID: reqID, Status: status.Pending, CorrelationID: env.CorrelationID, Caller: LocalIdentity.UserARN}); err != nil {
		t.Fatal(err)
	}
	snsc := sns.NewFromConfig(p.cfg())
	for range 3 {
		if _, err := snsc.Publish(context.Background(), &sns.PublishInput{
			TopicArn: aws.String(p.topicARN("EventsTopic")),
			Message:  aws.String(string(body)),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{
				event.AttrType:          {DataType: aws.String("String"), StringValue: aws.String(env.Type)},
				event.AttrCorrelationID: {DataType: aws.String("String"), StringValue: aws.String(env.CorrelationID)},
			},
		}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		p.mu.Lock()
		handled := 0
		for _, b := range p.batches {
			for _, r := range b.Records {
				if b.Function == "launcher" && r.Body == string(body) && b.Err == nil && !slices.Contains(b.Failed, r.MessageId) {
					handled++
				}
			}
		}
		p.mu.Unlock()
		if handled == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the launcher handled %d of the 3 deliveries", handled)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := p.instancesTagged(reqID); len(got) != 2 {
		t.Errorf("%d instances for one request delivered three times, want 2", len(got))
	}
	if st := p.follow("/launches/"+reqID, 15*time.Second); st.Status != "RUNNING" || len(st.InstanceIDs) != 2 {
		t.Errorf("request %s ended %s with %v", reqID, st.Status, st.InstanceIDs)
	}
}

func TestEndToEndUnknownTypeLandsInUnrouted(t *testing.T) {
	p := startPipeline(t, nil)
	snsc := sns.NewFromConfig(p.cfg())
	for _, attrs := range []map[string]snstypes.MessageAttributeValue{
		{event.AttrType: {DataType: aws.String("String"), StringValue: aws.String("launch.cancelled")}},
		{"other": {DataType: aws.String("String"), StringValue: aws.String("no type at all")}},
	} {
		if _, err := snsc.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(p.topicARN("EventsTopic")), Message: aws.String(`{"hello":"world"}`), MessageAttributes: attrs}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := p.receiveAll(p.queueURL("UnroutedQueue"), 2, 10*time.Second)
	if len(msgs) != 2 {
		t.Fatalf("%d messages in the unrouted queue, want 2", len(msgs))
	}
	// No consumer saw them, and nothing was dead-lettered on the way.
	p.mu.Lock()
	for _, b := range p.batches {
		for _, r := range b.Records {
			if r.Body == `{"hello":"world"}` {
				t.Errorf("%s was handed an event no consumer knows", b.Function)
			}
		}
	}
	p.mu.Unlock()
	for _, q := range []string{"LaunchQueue", "WatchQueue", "NotifyQueue", "LaunchDLQ", "WatchDLQ", "NotifyDLQ",
		"LaunchSubscriptionDLQ", "WatchSubscriptionDLQ", "NotifySubscriptionDLQ", "UnroutedSubscriptionDLQ"} {
		if v, f := p.depth(q); v != 0 || f != 0 {
			t.Errorf("%s holds %d visible, %d in flight: want nothing", q, v, f)
		}
	}
}

// depth reads the visible and in-flight message counts of a template queue.
func (p *pipeline) depth(logicalID string) (visible, inflight int) {
	p.t.Helper()
	return depth(p.t, sqs.NewFromConfig(p.cfg()), p.queueURL(logicalID))
}
