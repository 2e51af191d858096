package launcher_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/localcloudtest"
	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/consumer/consumertest"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/launcher"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
)

const fixture = "../../events/launcher-launch-requested.json"

// fakeEC2 launches instances like EC2 does for a ClientToken: the same
// token always answers the same instances.
type fakeEC2 struct {
	mu       sync.Mutex
	err      error
	script   []error // answered first, one per call, before err
	inputs   []*ec2.RunInstancesInput
	at       []time.Time // when each call came
	launched map[string][]ec2types.Instance
}

func (f *fakeEC2) RunInstances(_ context.Context, in *ec2.RunInstancesInput, _ ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inputs = append(f.inputs, in)
	f.at = append(f.at, time.Now())
	if len(f.script) > 0 {
		err := f.script[0]
		f.script = f.script[1:]
		if err != nil {
			return nil, err
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	if f.launched == nil {
		f.launched = map[string][]ec2types.Instance{}
	}
	token := aws.ToString(in.ClientToken)
	if _, ok := f.launched[token]; !ok {
		for i := range aws.ToInt32(in.MinCount) {
			f.launched[token] = append(f.launched[token], ec2types.Instance{
				InstanceId: aws.String(fmt.Sprintf("i-%08x%09d", len(f.launched), i)),
				LaunchTime: aws.Time(time.Date(2026, 1, 15, 10, 0, int(i), 0, time.UTC)),
				State:      &ec2types.InstanceState{Name: ec2types.InstanceStateNamePending},
			})
		}
	}
	return &ec2.RunInstancesOutput{Instances: f.launched[token]}, nil
}

type fakePublisher struct {
	mu  sync.Mutex
	err error
	evs []event.Envelope
}

func (p *fakePublisher) Publish(_ context.Context, evs ...event.Envelope) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.evs = append(p.evs, evs...)
	return nil
}

func (p *fakePublisher) published() []event.Envelope {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.evs)
}

type env struct {
	ec2   *fakeEC2
	pub   *fakePublisher
	queue *consumertest.Queue
	store *status.Dynamo
	h     *launcher.Handler
}

// setup builds a launcher over fakes and a real embedded status store in
// which the fixture's requests are ACCEPTED.
func setup(t *testing.T, ev lambdaevents.SQSEvent, cfg launcher.Config) *env {
	t.Helper()
	store := statustest.NewDynamo(t, localcloudtest.Start(t, localcloud.Options{}))
	ctx := context.Background()
	for _, rec := range ev.Records {
		e, err := event.Decode([]byte(rec.Body))
		if err != nil {
			continue // malformed fixtures hold undecodable records
		}
		if err := store.Create(ctx, status.Request{ID: e.Subject, CorrelationID: e.CorrelationID}); err != nil && !errors.Is(err, status.ErrExists) {
			t.Fatal(err)
		}
		if _, err := store.Advance(ctx, e.Subject, status.Transition{To: status.Accepted, Event: event.TypeLaunchRequested}); err != nil && !errors.Is(err, status.ErrNotForward) {
			t.Fatal(err)
		}
	}
	if cfg.RatePerSecond == 0 {
		cfg = launcher.Config{EventsTopicARN: "arn:aws:sns:us-east-1:123456789012:events", RatePerSecond: 1000, Concurrency: 2,
			QueueURL: "http://q/launch", DLQURL: "http://q/launch-dlq", MaxReceiveCount: 5}
	}
	e := &env{ec2: &fakeEC2{}, pub: &fakePublisher{}, queue: &consumertest.Queue{}, store: store}
	var err error
	e.h, err = launcher.New(cfg, launcher.Deps{EC2: e.ec2, Publisher: e.pub, Queue: e.queue, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// close moves a request on to a terminal status.
func (e *env) close(t *testing.T, id string, to status.Status) {
	t.Helper()
	for _, st := range []status.Status{status.Launching, to} {
		if _, err := e.store.Advance(context.Background(), id, status.Transition{To: st, Event: "test"}); err != nil {
			t.Fatal(err)
		}
	}
}

func tagMap(tags []ec2types.Tag) map[string]string {
	m := map[string]string{}
	for _, tg := range tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func TestHandleLaunchesFixtureBatch(t *testing.T) {
	ev := consumertest.LoadEvent(t, fixture)
	e := setup(t, ev, launcher.Config{})
	resp, err := e.h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v err %v: want both records acknowledged", resp, err)
	}
	if len(e.ec2.inputs) != 2 {
		t.Fatalf("RunInstances calls = %d, want 2", len(e.ec2.inputs))
	}
	in := e.ec2.inputs[0]
	const reqID, corrID = "3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c", "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
	if aws.ToString(in.ClientToken) != reqID || aws.ToString(in.ImageId) != "ami-0123456789abcdef0" ||
		in.InstanceType != "t3.micro" || aws.ToInt32(in.MinCount) != 2 || aws.ToInt32(in.MaxCount) != 2 ||
		aws.ToString(in.SubnetId) != "subnet-0a1b2c3d4e5f60718" || aws.ToString(in.KeyName) != "deploy-key" ||
		!slices.Equal(in.SecurityGroupIds, []string{"sg-0123456789abcdef0"}) || aws.ToString(in.UserData) != "IyEvYmluL3NoCmVjaG8gaGVsbG8K" {
		t.Errorf("RunInstances input does not carry the request: %+v", in)
	}
	if len(in.TagSpecifications) != 2 || in.TagSpecifications[0].ResourceType != ec2types.ResourceTypeInstance ||
		in.TagSpecifications[1].ResourceType != ec2types.ResourceTypeVolume {
		t.Fatalf("tag specifications = %+v, want instance and volume", in.TagSpecifications)
	}
	var keys []string
	for _, tg := range in.TagSpecifications[0].Tags {
		keys = append(keys, aws.ToString(tg.Key))
	}
	if want := []string{launcher.TagRequestID, launcher.TagCorrelationID, "env", "team"}; !slices.Equal(keys, want) {
		t.Errorf("tag keys = %v, want %v (ids first, caller tags sorted)", keys, want)
	}
	if m := tagMap(in.TagSpecifications[1].Tags); m[launcher.TagRequestID] != reqID || m[launcher.TagCorrelationID] != corrID {
		t.Errorf("volume tags = %v", m)
	}
	second := e.ec2.inputs[1]
	if second.SubnetId != nil || second.KeyName != nil || second.SecurityGroupIds != nil || second.UserData != nil {
		t.Errorf("optional fields set although the request has none: %+v", second)
	}

	req, err := e.store.Get(context.Background(), reqID)
	if err != nil {
		t.Fatal(err)
	}
	if req.Status != status.Launching || len(req.InstanceIDs) != 2 {
		t.Errorf("request = %s with %v, want LAUNCHING with 2 instances", req.Status, req.InstanceIDs)
	}
	pub := e.pub.published()
	if len(pub) != 2 {
		t.Fatalf("published %d events, want 2", len(pub))
	}
	var data event.InstanceLaunched
	if err := pub[0].DecodeData(&data); err != nil {
		t.Fatal(err)
	}
	if pub[0].Type != event.TypeInstanceLaunched || pub[0].Subject != reqID || pub[0].CorrelationID != corrID ||
		pub[0].CausationID != "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a" || pub[0].Source != launcher.Source {
		t.Errorf("instance.launched envelope = %+v", pub[0])
	}
	if !slices.Equal(data.InstanceIDs, req.InstanceIDs) || !data.LaunchedAt.Equal(time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("instance.launched data = %+v, want the instances and their earliest launch time", data)
	}
}

func TestHandleRedeliveryIsIdempotent(t *testing.T) {
	ev := consumertest.LoadEvent(t, fixture)
	ev.Records = ev.Records[:1]
	e := setup(t, ev, launcher.Config{})
	for i := range 2 {
		resp, _ := e.h.Handle(context.Background(), ev)
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("delivery %d failed: %+v", i+1, resp)
		}
	}
	if len(e.ec2.inputs) != 2 || aws.ToString(e.ec2.inputs[0].ClientToken) != aws.ToString(e.ec2.inputs[1].ClientToken) {
		t.Fatalf("want two RunInstances calls with one ClientToken")
	}
	if a, b := mustJSON(t, e.ec2.inputs[0]), mustJSON(t, e.ec2.inputs[1]); a != b {
		t.Errorf("RunInstances input differs between deliveries (IdempotentParameterMismatch):\n%+v\n%+v", e.ec2.inputs[0], e.ec2.inputs[1])
	}
	pub := e.pub.published()
	if len(pub) != 2 {
		t.Fatalf("published %d, want instance.launched per delivery", len(pub))
	}
	var a, b event.InstanceLaunched
	_ = pub[0].DecodeData(&a)
	_ = pub[1].DecodeData(&b)
	if !slices.Equal(a.InstanceIDs, b.InstanceIDs) || !a.LaunchedAt.Equal(b.LaunchedAt) {
		t.Errorf("deliveries disagree: %+v vs %+v", a, b)
	}
	req, _ := e.store.Get(context.Background(), a.RequestID)
	if req.Status != status.Launching || len(req.History) != 2 {
		t.Errorf("request %s history %v, want LAUNCHING recorded once", req.Status, req.History)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunInstancesInputIsDeterministic(t *testing.T) {
	req := event.LaunchRequested{RequestID: "r-1", ImageID: "ami-12345678", InstanceType: "t3.micro", Count: 3, Tags: map[string]string{}}
	for i := range 30 {
		req.Tags[fmt.Sprintf("key-%02d", 29-i)] = fmt.Sprint(i)
	}
	first := mustJSON(t, launcher.RunInstancesInput(req, "c-1"))
	for range 20 {
		if got := mustJSON(t, launcher.RunInstancesInput(req, "c-1")); got != first {
			t.Fatalf("RunInstancesInput differs between calls:\n%s\n%s", first, got)
		}
	}
}

func apiErr(code string) error {
	return fmt.Errorf("operation error EC2: RunInstances: %w", &smithy.GenericAPIError{Code: code, Message: "msg for " + code})
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		want     launcher.Class
		wantCode string
	}{
		{"throttled", apiErr("RequestLimitExceeded"), launcher.Transient, "RequestLimitExceeded"},
		{"no instance capacity", apiErr("InsufficientInstanceCapacity"), launcher.Transient, "InsufficientInstanceCapacity"},
		{"no capacity", apiErr("InsufficientCapacity"), launcher.Transient, "InsufficientCapacity"},
		{"unavailable", apiErr("Unavailable"), launcher.Transient, "Unavailable"},
		{"internal error", apiErr("InternalError"), launcher.Transient, "InternalError"},
		{"deadline", fmt.Errorf("run: %w", context.DeadlineExceeded), launcher.Transient, "Timeout"},
		{"network timeout", fmt.Errorf("send: %w", timeoutErr{}), launcher.Transient, "Timeout"},
		{"idempotent mismatch", apiErr("IdempotentParameterMismatch"), launcher.Permanent, "IdempotentParameterMismatch"},
		{"invalid parameter value", apiErr("InvalidParameterValue"), launcher.Permanent, "InvalidParameterValue"},
		{"unknown AMI", apiErr("InvalidAMIID.NotFound"), launcher.Permanent, "InvalidAMIID.NotFound"},
		{"malformed AMI", apiErr("InvalidAMIID.Malformed"), launcher.Permanent, "InvalidAMIID.Malformed"},
		{"unknown subnet", apiErr("InvalidSubnetID.NotFound"), launcher.Permanent, "InvalidSubnetID.NotFound"},
		{"unknown key pair", apiErr("InvalidKeyPair.NotFound"), launcher.Permanent, "InvalidKeyPair.NotFound"},
		{"unknown group", apiErr("InvalidGroup.NotFound"), launcher.Permanent, "InvalidGroup.NotFound"},
		{"malformed group id", apiErr("InvalidGroupId.Malformed"), launcher.Permanent, "InvalidGroupId.Malformed"},
		{"unsupported", apiErr("Unsupported"), launcher.Permanent, "Unsupported"},
		{"bad combination", apiErr("InvalidParameterCombination"), launcher.Permanent, "InvalidParameterCombination"},
		{"unauthorized", apiErr("UnauthorizedOperation"), launcher.Permanent, "UnauthorizedOperation"},
		{"no free address in subnet", apiErr("InsufficientFreeAddressesInSubnet"), launcher.Transient, "InsufficientFreeAddressesInSubnet"},
		{"unknown security group id", apiErr("InvalidSecurityGroupID.NotFound"), launcher.Permanent, "InvalidSecurityGroupID.NotFound"},
		{"malformed subnet id, lower-case d", apiErr("InvalidSubnetId.Malformed"), launcher.Permanent, "InvalidSubnetId.Malformed"},
		{"bad block device mapping", apiErr("InvalidBlockDeviceMapping"), launcher.Permanent, "InvalidBlockDeviceMapping"},
		{"vCPU quota needs a person", apiErr("VcpuLimitExceeded"), launcher.Permanent, "VcpuLimitExceeded"},
		{"instance quota needs a person", apiErr("InstanceLimitExceeded"), launcher.Permanent, "InstanceLimitExceeded"},
		{"unknown code", apiErr("SomethingNew"), launcher.Unclassified, "SomethingNew"},
		{"plain error", errors.New("connection refused"), launcher.Unclassified, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			class, code, _ := launcher.Classify(tt.err)
			if class != tt.want || code != tt.wantCode {
				t.Errorf("Classify = %s/%q, want %s/%q", class, code, tt.want, tt.wantCode)
			}
		})
	}
}

func TestHandleRunInstancesErrors(t *testing.T) {
	tests := []struct {
		name           string
		ec2Err         error
		pubErr         error
		receive        string // ApproximateReceiveCount; the queue allows 5
		wantFailed     bool
		wantVisibility int    // ChangeMessageVisibility after this receive of the schedule; 0 = none
		wantCode       string // launch.failed code; "" = nothing published
		wantMessage    string // substring of the launch.failed message
	}{
		{name: "throttling retries after a short backoff", ec2Err: apiErr("RequestLimitExceeded"), receive: "1", wantFailed: true, wantVisibility: 1},
		{name: "throttling backoff doubles per receive", ec2Err: apiErr("RequestLimitExceeded"), receive: "3", wantFailed: true, wantVisibility: 3},
		{name: "service error retries after a short backoff", ec2Err: apiErr("InternalError"), receive: "2", wantFailed: true, wantVisibility: 2},
		{name: "timeout retries after a short backoff", ec2Err: fmt.Errorf("send: %w", timeoutErr{}), receive: "1", wantFailed: true, wantVisibility: 1},
		// Missing capacity backs off on the same schedule, not after the
		// queue's whole visibility timeout (390 s).
		{name: "capacity retries after a short backoff", ec2Err: apiErr("InsufficientInstanceCapacity"), receive: "1", wantFailed: true, wantVisibility: 1},
		{name: "capacity backoff doubles per receive", ec2Err: apiErr("InsufficientInstanceCapacity"), receive: "4", wantFailed: true, wantVisibility: 4},
		{name: "invalid AMI fails the request", ec2Err: apiErr("InvalidAMIID.NotFound"), receive: "1",
			wantCode: "InvalidAMIID.NotFound", wantMessage: "msg for InvalidAMIID.NotFound"},
		{name: "idempotency mismatch fails the request", ec2Err: apiErr("IdempotentParameterMismatch"), receive: "1",
			wantCode: "IdempotentParameterMismatch", wantMessage: "msg for IdempotentParameterMismatch"},
		{name: "unclassified retries", ec2Err: apiErr("SomethingNew"), receive: "4", wantFailed: true},
		{name: "launch.failed publish error retries", ec2Err: apiErr("InvalidParameterValue"), receive: "1", pubErr: errors.New("sns down"), wantFailed: true},
		{name: "capacity on the last receive fails the request", ec2Err: apiErr("InsufficientInstanceCapacity"), receive: "5",
			wantFailed: true, wantVisibility: 5, wantCode: launcher.CodeRetriesExhausted, wantMessage: "last error InsufficientInstanceCapacity"},
		{name: "throttling on the last receive fails the request", ec2Err: apiErr("RequestLimitExceeded"), receive: "5",
			wantFailed: true, wantVisibility: 5, wantCode: launcher.CodeRetriesExhausted, wantMessage: "msg for RequestLimitExceeded"},
		{name: "unclassified past the last receive fails the request", ec2Err: apiErr("SomethingNew"), receive: "6",
			wantFailed: true, wantCode: launcher.CodeRetriesExhausted, wantMessage: "last error SomethingNew"},
		{name: "plain error on the last receive fails the request", ec2Err: errors.New("connection refused"), receive: "5",
			wantFailed: true, wantCode: launcher.CodeRetriesExhausted, wantMessage: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := consumertest.LoadEvent(t, fixture)
			ev.Records = ev.Records[:1]
			ev.Records[0].Attributes["ApproximateReceiveCount"] = tt.receive
			e := setup(t, ev, launcher.Config{})
			e.ec2.err = tt.ec2Err
			e.pub.err = tt.pubErr
			resp, _ := e.h.Handle(context.Background(), ev)
			if got := len(resp.BatchItemFailures) == 1; got != tt.wantFailed {
				t.Errorf("batch item failure = %v, want %v", got, tt.wantFailed)
			}
			vis := e.queue.VisibilityChanges()
			switch {
			case tt.wantVisibility == 0 && len(vis) != 0:
				t.Errorf("visibility changed to %d s, want the queue's timeout", vis[0].VisibilityTimeout)
			case tt.wantVisibility != 0:
				shortest, longest := consumer.DefaultBackoff.Bounds(tt.wantVisibility)
				lo, hi := int32(math.Ceil(shortest.Seconds())), int32(math.Ceil(longest.Seconds()))
				if len(vis) != 1 || vis[0].VisibilityTimeout < lo || vis[0].VisibilityTimeout > hi {
					t.Errorf("visibility changes %+v, want one to %d..%d s (receive %d of the schedule)", vis, lo, hi, tt.wantVisibility)
				}
			}
			pub := e.pub.published()
			if tt.wantCode == "" {
				if len(pub) != 0 {
					t.Errorf("published %v, want nothing", pub)
				}
			} else {
				if len(pub) != 1 || pub[0].Type != event.TypeLaunchFailed {
					t.Fatalf("published %+v, want one launch.failed", pub)
				}
				var f event.LaunchFailed
				if err := pub[0].DecodeData(&f); err != nil {
					t.Fatal(err)
				}
				if f.Code != tt.wantCode || !strings.Contains(f.Message, tt.wantMessage) || f.RequestID != pub[0].Subject {
					t.Errorf("launch.failed = %+v, want code %s and a message with %q", f, tt.wantCode, tt.wantMessage)
				}
			}
			if len(e.queue.SentMessages()) != 0 {
				t.Errorf("EC2 errors must not dead-letter the record")
			}
			req, _ := e.store.Get(context.Background(), "3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c")
			if req.Status != status.Accepted {
				t.Errorf("status = %s, want ACCEPTED untouched (the notifier records failures)", req.Status)
			}
		})
	}
}

// TestHandleClosedRequestIsNotLaunched redelivers launch.requested for
// requests that already finished: no RunInstances, nothing published.
func TestHandleClosedRequestIsNotLaunched(t *testing.T) {
	for _, st := range []status.Status{status.Failed, status.Running} {
		t.Run(string(st), func(t *testing.T) {
			ev := consumertest.LoadEvent(t, fixture)
			ev.Records = ev.Records[:1]
			e := setup(t, ev, launcher.Config{})
			e.close(t, "3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c", st)
			resp, _ := e.h.Handle(context.Background(), ev)
			if len(resp.BatchItemFailures) != 0 || len(e.queue.SentMessages()) != 0 {
				t.Errorf("failures %+v, dead letters %d: want the record acknowledged", resp, len(e.queue.SentMessages()))
			}
			if len(e.ec2.inputs) != 0 || len(e.pub.published()) != 0 {
				t.Errorf("RunInstances calls %d, published %d: want nothing for a %s request", len(e.ec2.inputs), len(e.pub.published()), st)
			}
		})
	}
}

// failingGetStore fails Get, to show the launcher does not launch blind.
type failingGetStore struct{ launcher.Store }

func (failingGetStore) Get(context.Context, string) (status.Request, error) {
	return status.Request{}, errors.New("dynamo down")
}

func TestHandleStoreFailureRetriesBeforeLaunching(t *testing.T) {
	ev := consumertest.LoadEvent(t, fixture)
	ev.Records = ev.Records[:1]
	e := setup(t, ev, launcher.Config{})
	h, err := launcher.New(launcher.Config{EventsTopicARN: "arn", RatePerSecond: 1000, Concurrency: 2, MaxReceiveCount: 5},
		launcher.Deps{EC2: e.ec2, Publisher: e.pub, Queue: e.queue, Store: failingGetStore{e.store}})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := h.Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != 1 || len(e.ec2.inputs) != 0 || len(e.pub.published()) != 0 {
		t.Errorf("failures %+v, RunInstances calls %d, published %d: want a retry and nothing else",
			resp, len(e.ec2.inputs), len(e.pub.published()))
	}
}

func TestHandleInvalidPayloadDeadLetters(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{name: "unknown field", data: `{"requestId":"%s","imageId":"ami-12345678","instanceType":"t3.micro","count":1,"colour":"red"}`},
		{name: "request id not the subject", data: `{"requestId":"other","imageId":"ami-12345678","instanceType":"t3.micro","count":1%s}`},
		{name: "zero count", data: `{"requestId":"%s","imageId":"ami-12345678","instanceType":"t3.micro","count":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject := event.NewID()
			data := fmt.Sprintf(tt.data, subject)
			if tt.name == "request id not the subject" {
				data = fmt.Sprintf(tt.data, "")
			}
			body := fmt.Sprintf(`{"specversion":"1.0","id":"%s","type":"launch.requested","source":"eventchain/api","time":"2026-01-15T10:00:00Z","subject":"%s","correlationid":"c","data":%s}`,
				event.NewID(), subject, data)
			ev := lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{{MessageId: "m1", Body: body}}}
			e := setup(t, ev, launcher.Config{})
			resp, _ := e.h.Handle(context.Background(), ev)
			if len(resp.BatchItemFailures) != 0 {
				t.Errorf("failures %+v, want the record dead-lettered and acknowledged", resp)
			}
			sent := e.queue.SentMessages()
			if len(sent) != 1 || aws.ToString(sent[0].MessageAttributes[event.AttrErrorCode].StringValue) != launcher.CodeInvalidPayload {
				t.Fatalf("dead letters = %+v, want one with %s", sent, launcher.CodeInvalidPayload)
			}
			if len(e.ec2.inputs) != 0 {
				t.Errorf("RunInstances called for an invalid payload")
			}
		})
	}
}

func TestPacerSpacesLaunches(t *testing.T) {
	ev := consumertest.LoadEvent(t, fixture)
	rec := ev.Records[0]
	ev.Records = []lambdaevents.SQSMessage{rec, rec, rec}
	// 10 calls/s shared by 2 instances: 5/s each, one call every 200 ms.
	e := setup(t, ev, launcher.Config{EventsTopicARN: "arn", RatePerSecond: 10, Concurrency: 2})
	start := time.Now()
	resp, _ := e.h.Handle(context.Background(), ev)
	elapsed := time.Since(start)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures: %+v", resp)
	}
	if elapsed < 380*time.Millisecond {
		t.Errorf("3 launches took %v, want ≥ 400 ms at 5/s with burst 1", elapsed)
	}
}

// TestThrottleShiftsPacer: after EC2 throttles a call, the instance's
// next call waits its interval and the random part of another it drew
// (the throttled call spent its token, so without the shift the next
// call would come one interval later).
func TestThrottleShiftsPacer(t *testing.T) {
	ev := consumertest.LoadEvent(t, fixture)
	rec := ev.Records[0]
	ev.Records = []lambdaevents.SQSMessage{rec, rec}
	// 10 calls/s shared by 2 instances: one call every 200 ms each.
	e := setup(t, ev, launcher.Config{EventsTopicARN: "arn", RatePerSecond: 10, Concurrency: 2})
	launcher.SetPacerRandom(e.h, func() float64 { return 0.9 })
	e.ec2.script = []error{apiErr("RequestLimitExceeded")}
	resp, _ := e.h.Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != 1 || len(e.ec2.at) != 2 {
		t.Fatalf("failures %+v, %d RunInstances calls: want the throttled record returned and the second launched", resp, len(e.ec2.at))
	}
	if gap := e.ec2.at[1].Sub(e.ec2.at[0]); gap < 370*time.Millisecond {
		t.Errorf("the call after the throttle came %v after it, want ≥ 380 ms (200 ms and 0.9 of another)", gap)
	}
}

func TestPacerGivesUpAtDeadline(t *testing.T) {
	ev := consumertest.LoadEvent(t, fixture)
	rec := ev.Records[0]
	ev.Records = []lambdaevents.SQSMessage{rec, rec}
	// One call every 10 s: the second record cannot get a token before the deadline.
	e := setup(t, ev, launcher.Config{EventsTopicARN: "arn", RatePerSecond: 0.2, Concurrency: 2})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	resp, _ := e.h.Handle(ctx, ev)
	if len(resp.BatchItemFailures) != 1 || len(e.ec2.inputs) != 1 {
		t.Errorf("failures %+v, RunInstances calls %d: want the second record returned without a call", resp, len(e.ec2.inputs))
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    launcher.Config
		wantErr bool
	}{
		{name: "defaults", env: map[string]string{"EVENTS_TOPIC_ARN": "arn:t"},
			want: launcher.Config{EventsTopicARN: "arn:t", RatePerSecond: launcher.DefaultRatePerSecond, Concurrency: launcher.DefaultConcurrency,
				Backoff: consumer.DefaultBackoff}},
		{name: "all set", env: map[string]string{"EVENTS_TOPIC_ARN": "arn:t", "QUEUE_URL": "q", "DLQ_URL": "d", "LAUNCH_RATE_PER_SECOND": "5",
			"LAUNCHER_CONCURRENCY": "4", "LAUNCH_MAX_RECEIVE_COUNT": "7", consumer.BackoffBaseEnv: "0.5"},
			want: launcher.Config{EventsTopicARN: "arn:t", QueueURL: "q", DLQURL: "d", RatePerSecond: 5, Concurrency: 4, MaxReceiveCount: 7,
				Backoff: consumer.Backoff{Base: 500 * time.Millisecond, Max: consumer.DefaultBackoffMax, Jitter: consumer.DefaultBackoffJitter}}},
		{name: "fractional rate", env: map[string]string{"EVENTS_TOPIC_ARN": "arn:t", "LAUNCH_RATE_PER_SECOND": "0.5"},
			want: launcher.Config{EventsTopicARN: "arn:t", RatePerSecond: 0.5, Concurrency: launcher.DefaultConcurrency, Backoff: consumer.DefaultBackoff}},
		{name: "bad backoff base", env: map[string]string{"EVENTS_TOPIC_ARN": "a", consumer.BackoffBaseEnv: "0"}, wantErr: true},
		{name: "bad receive count", env: map[string]string{"EVENTS_TOPIC_ARN": "a", "LAUNCH_MAX_RECEIVE_COUNT": "0"}, wantErr: true},
		{name: "topic missing", env: map[string]string{}, wantErr: true},
		{name: "bad rate", env: map[string]string{"EVENTS_TOPIC_ARN": "a", "LAUNCH_RATE_PER_SECOND": "-1"}, wantErr: true},
		{name: "bad concurrency", env: map[string]string{"EVENTS_TOPIC_ARN": "a", "LAUNCHER_CONCURRENCY": "zero"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := launcher.LoadConfig(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("config = %+v, want %+v", got, tt.want)
			}
		})
	}
	if r := (launcher.Config{RatePerSecond: 5, Concurrency: 4}).PerInstanceRate(); r != 1.25 {
		t.Errorf("PerInstanceRate = %v, want 1.25", r)
	}
}

var _ consumer.Queue = (*consumertest.Queue)(nil)
