package localcloud_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/faults"
)

// Fault injection is localcloud's own control surface: these tests run on
// localcloud only.

func mustParse(t *testing.T, spec string) faults.Fault {
	t.Helper()
	f, err := faults.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func inject(t *testing.T, b backend, specs ...string) {
	t.Helper()
	var set faults.Set
	for _, s := range specs {
		set.Faults = append(set.Faults, mustParse(t, s))
	}
	if err := b.Cloud.InjectFaults(set); err != nil {
		t.Fatal(err)
	}
}

// TestInjectedFaultsOverTheWire: each SDK, with retries off, sees the
// injected code with AWS's status exactly N times, then the call works.
func TestInjectedFaultsOverTheWire(t *testing.T) {
	tests := []struct {
		name   string
		spec   string
		code   string
		status int
		setup  func(t *testing.T, b backend) func() error
	}{
		{"sqs SendMessage (JSON)", "sqs:SendMessage:ServiceUnavailable:3", "ServiceUnavailable", 503,
			func(t *testing.T, b backend) func() error {
				c := b.SQS(func(o *sqs.Options) { o.Retryer = aws.NopRetryer{} })
				url, _ := createQueue(t, b, c, "faulty", nil)
				return func() error {
					_, err := c.SendMessage(b.Ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m")})
					return err
				}
			}},
		{"sqs throttling is a client error", "sqs:ReceiveMessage:ThrottlingException:1", "ThrottlingException", 400,
			func(t *testing.T, b backend) func() error {
				c := b.SQS(func(o *sqs.Options) { o.Retryer = aws.NopRetryer{} })
				url, _ := createQueue(t, b, c, "throttled", nil)
				return func() error {
					_, err := c.ReceiveMessage(b.Ctx(t), &sqs.ReceiveMessageInput{QueueUrl: &url})
					return err
				}
			}},
		{"sns Publish (query)", "sns:Publish:InternalError:2", "InternalError", 500,
			func(t *testing.T, b backend) func() error {
				c := b.SNS(func(o *sns.Options) { o.Retryer = aws.NopRetryer{} })
				topic := snsTopic(t, b, c, "faulty", nil)
				return func() error {
					_, err := c.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String("m")})
					return err
				}
			}},
		{"dynamodb ListTables (JSON)", "dynamodb:ListTables:ProvisionedThroughputExceededException:2", "ProvisionedThroughputExceededException", 400,
			func(t *testing.T, b backend) func() error {
				c := dynamodb.NewFromConfig(b.AWSConfig(), func(o *dynamodb.Options) {
					o.BaseEndpoint = aws.String(b.Endpoint)
					o.Retryer = aws.NopRetryer{}
				})
				return func() error {
					_, err := c.ListTables(b.Ctx(t), &dynamodb.ListTablesInput{})
					return err
				}
			}},
		{"ec2 RunInstances (EC2 query, EC2's statuses)", "ec2:RunInstances:RequestLimitExceeded:2", "RequestLimitExceeded", 503,
			func(t *testing.T, b backend) func() error {
				c := b.EC2(func(o *ec2.Options) { o.Retryer = aws.NopRetryer{} })
				return func() error {
					_, err := c.RunInstances(b.Ctx(t), ec2RunInput(1, ""))
					return err
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t, "localcloud-memory", localcloud.Options{})
			call := tc.setup(t, b)
			inject(t, b, tc.spec)
			n := mustParse(t, tc.spec).Count
			for i := range n {
				code, status := ec2Err(t, call())
				if code != tc.code || status != tc.status {
					t.Fatalf("call %d: %s (HTTP %d), want %s (HTTP %d)", i+1, code, status, tc.code, tc.status)
				}
			}
			if err := call(); err != nil {
				t.Fatalf("call %d, after the injected faults: %v", n+1, err)
			}
			if got := b.Cloud.Faults(); len(got.Faults) != 0 {
				t.Errorf("faults left: %v", got.Faults)
			}
		})
	}
}

// TestFaultUntilCleared: a * fault answers every call until cleared, and
// an fault injected through the EC2 alias is listed as an ec2 fault.
func TestFaultUntilCleared(t *testing.T) {
	b := newBackend(t, "localcloud-memory", localcloud.Options{})
	c := b.SQS(func(o *sqs.Options) { o.Retryer = aws.NopRetryer{} })
	inject(t, b, "sqs:ListQueues:InternalFailure:*")
	b.Cloud.EC2.InjectFailure("DescribeInstances", "Unavailable", 1)
	for i := range 5 {
		_, err := c.ListQueues(b.Ctx(t), &sqs.ListQueuesInput{})
		if code, status := ec2Err(t, err); code != "InternalFailure" || status != 500 {
			t.Fatalf("call %d: %s (HTTP %d)", i+1, code, status)
		}
	}
	want := []faults.Fault{
		{Service: "sqs", Operation: "ListQueues", Code: "InternalFailure", Count: faults.UntilCleared},
		{Service: "ec2", Operation: "DescribeInstances", Code: "Unavailable", Count: 1},
	}
	if got := b.Cloud.Faults().Faults; !sameFaults(got, want) {
		t.Errorf("faults %v, want %v", got, want)
	}
	b.Cloud.ClearFaults()
	if _, err := c.ListQueues(b.Ctx(t), &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
	if got := b.Cloud.Faults(); !got.Empty() {
		t.Errorf("after ClearFaults: %+v", got)
	}
}

func sameFaults(got, want []faults.Fault) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return false
		}
	}
	return true
}

func TestInjectFaultsRefusesWhatTheCloudDoesNotServe(t *testing.T) {
	b := newBackend(t, "localcloud-memory", localcloud.Options{})
	tests := []struct {
		name string
		set  faults.Set
		want string
	}{
		{"unknown service", faults.Set{Faults: []faults.Fault{{Service: "kinesis", Operation: "PutRecord", Code: "InternalFailure", Count: 1}}},
			`unknown service "kinesis"; localcloud serves `},
		{"unknown operation", faults.Set{Faults: []faults.Fault{{Service: "sqs", Operation: "SendMesage", Code: "InternalFailure", Count: 1}}},
			`sqs has no operation "SendMesage"`},
		{"empty operation", faults.Set{Faults: []faults.Fault{{Service: "sqs", Code: "InternalFailure", Count: 1}}}, "empty operation"},
		{"zero count", faults.Set{Faults: []faults.Fault{{Service: "sqs", Operation: "SendMessage", Code: "InternalFailure"}}}, "want a positive integer"},
		{"empty endpoint", faults.Set{Deliveries: []faults.Delivery{{Count: 1}}}, "empty endpoint"},
		{"all or nothing", faults.Set{Faults: []faults.Fault{
			{Service: "sqs", Operation: "SendMessage", Code: "InternalFailure", Count: 1},
			{Service: "nope", Operation: "X", Code: "Y", Count: 1}}}, `unknown service "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := b.Cloud.InjectFaults(tc.set)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if got := b.Cloud.Faults(); !got.Empty() {
				t.Errorf("a refused set injected %+v", got)
			}
		})
	}
}

// TestDeliveryFaultGoesToSubscriptionDLQ: an injected delivery failure
// sends the message to the subscription's dead-letter queue, as SNS does
// once its retries are spent, and the next delivery goes through.
func TestDeliveryFaultGoesToSubscriptionDLQ(t *testing.T) {
	for _, endpoint := range []string{"by-name", "by-arn"} {
		t.Run(endpoint, func(t *testing.T) {
			b := newBackend(t, "localcloud-memory", localcloud.Options{})
			snsc, sqsc := b.SNS(), b.SQS()
			topic := snsTopic(t, b, snsc, "t", nil)
			dlqURL, dlqARN := createQueue(t, b, sqsc, "sub-dlq", nil)
			okURL, okARN := createQueue(t, b, sqsc, "target", nil)
			otherURL, otherARN := createQueue(t, b, sqsc, "other", nil)
			redrive := map[string]string{"RawMessageDelivery": "true", "RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `"}`}
			snsSubscribeQueue(t, b, snsc, topic, okARN, redrive)
			snsSubscribeQueue(t, b, snsc, topic, otherARN, map[string]string{"RawMessageDelivery": "true"})
			target := "target"
			if endpoint == "by-arn" {
				target = okARN
			}
			d, err := faults.ParseDelivery(target + ":1")
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Cloud.InjectFaults(faults.Set{Deliveries: []faults.Delivery{d}}); err != nil {
				t.Fatal(err)
			}
			for _, m := range []string{"first", "second"} {
				if _, err := snsc.Publish(b.Ctx(t), &sns.PublishInput{TopicArn: &topic, Message: aws.String(m)}); err != nil {
					t.Fatalf("Publish: %v", err)
				}
			}
			if got := bodies(drainQueue(t, b, sqsc, dlqURL, 1)); got[0] != "first" {
				t.Errorf("DLQ got %v, want [first]", got)
			}
			if got := bodies(drainQueue(t, b, sqsc, okURL, 1)); got[0] != "second" {
				t.Errorf("target queue got %v, want [second]", got)
			}
			if got := bodies(drainQueue(t, b, sqsc, otherURL, 2)); len(got) != 2 {
				t.Errorf("the other subscription got %v, want both", got)
			}
			ops, _ := b.Cloud.SNS.Counters().Snapshot()
			if ops["Deliver"].Errors != 1 || ops["DeliverToDLQ"].Calls != 1 {
				t.Errorf("delivery counters = %+v / %+v", ops["Deliver"], ops["DeliverToDLQ"])
			}
		})
	}
}

// TestFaultsEndpoint: the runtime API adds, lists and clears faults
// while the Cloud serves, and refuses malformed requests saying why.
func TestFaultsEndpoint(t *testing.T) {
	b := newBackend(t, "localcloud-memory", localcloud.Options{})
	c := b.SQS(func(o *sqs.Options) { o.Retryer = aws.NopRetryer{} })
	url, _ := createQueue(t, b, c, "q", nil)
	send := func() error {
		_, err := c.SendMessage(b.Ctx(t), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m")})
		return err
	}
	post := func(body string) (int, localcloud.FaultsResponse) {
		t.Helper()
		resp, err := http.Post(b.Endpoint+localcloud.FaultsPath, "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out localcloud.FaultsResponse
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("decode: %v", err)
		}
		return resp.StatusCode, out
	}

	status, out := post(`{"action":"add","faults":["sqs:SendMessage:ServiceUnavailable:*"],"deliveries":["q:2"]}`)
	if status != http.StatusOK || strings.Join(out.Faults, ",") != "sqs:SendMessage:ServiceUnavailable:*" || strings.Join(out.Deliveries, ",") != "q:2" {
		t.Fatalf("add: %d %+v", status, out)
	}
	for range 2 {
		if code, st := ec2Err(t, send()); code != "ServiceUnavailable" || st != 503 {
			t.Fatalf("SendMessage: %s (HTTP %d)", code, st)
		}
	}
	resp, err := http.Get(b.Endpoint + localcloud.FaultsPath)
	if err != nil {
		t.Fatal(err)
	}
	var listed localcloud.FaultsResponse
	_ = json.NewDecoder(resp.Body).Decode(&listed)
	resp.Body.Close()
	if len(listed.Faults) != 1 || len(listed.Deliveries) != 1 {
		t.Errorf("GET listed %+v", listed)
	}

	for _, tc := range []struct{ name, body, want string }{
		{"unknown action", `{"action":"explode"}`, `want add, clear or list`},
		{"malformed spec", `{"action":"add","faults":["sqs:SendMessage:ServiceUnavailable:0"]}`, `want a positive integer, or *`},
		{"unknown service", `{"action":"add","faults":["s3:PutObject:SlowDown:1"]}`, `unknown service "s3"`},
		{"nothing to add", `{"action":"add"}`, `give "faults"`},
		{"not JSON", `add sqs`, `read request`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := post(tc.body)
			if status != http.StatusBadRequest || !strings.Contains(out.Error, tc.want) {
				t.Errorf("%d %q, want 400 with %q", status, out.Error, tc.want)
			}
			if len(out.Faults) != 1 {
				t.Errorf("a refused request changed the faults: %v", out.Faults)
			}
		})
	}

	status, out = post(`{"action":"clear"}`)
	if status != http.StatusOK || len(out.Faults) != 0 || len(out.Deliveries) != 0 {
		t.Fatalf("clear: %d %+v", status, out)
	}
	if err := send(); err != nil {
		t.Fatalf("SendMessage after clear: %v", err)
	}
}
