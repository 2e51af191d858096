package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud"
	ec2emu "github.com/eventchain/eventchain/infra/localcloud/ec2"
)

func TestParseLocalcloudFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    localcloud.Options
		addr    string
		wantErr string
	}{
		{name: "defaults", args: nil, addr: localcloud.DefaultAddr,
			want: localcloud.Options{EC2TerminatedRetention: ec2emu.DefaultTerminatedRetention}},
		{name: "every EC2 timing", args: []string{"--addr", "127.0.0.1:0", "--data", "state", "--ec2-boot-delay", "2s", "--ec2-terminate-delay", "3s",
			"--ec2-terminated-retention", "5m", "--ec2-not-found-for", "1500ms", "--ec2-rate", "2.5", "--ec2-burst", "4"}, addr: "127.0.0.1:0",
			want: localcloud.Options{DataDir: "state", EC2BootDelay: 2 * time.Second, EC2TerminateDelay: 3 * time.Second, EC2TerminatedRetention: 5 * time.Minute,
				EC2NotFoundFor: 1500 * time.Millisecond, EC2RateLimit: 2.5, EC2Burst: 4}},
		{name: "terminated instances kept forever", args: []string{"--ec2-terminated-retention", "-1s"}, addr: localcloud.DefaultAddr,
			want: localcloud.Options{EC2TerminatedRetention: -time.Second}},
		{name: "terminated instances gone at once", args: []string{"--ec2-terminated-retention", "0"}, addr: localcloud.DefaultAddr,
			want: localcloud.Options{EC2TerminatedRetention: time.Nanosecond}},
		{name: "negative terminate delay", args: []string{"--ec2-terminate-delay", "-1s"}, wantErr: "must not be negative"},
		{name: "negative not-found window", args: []string{"--ec2-not-found-for", "-1s"}, wantErr: "must not be negative"},
		{name: "failure without count", args: []string{"--ec2-fail", "RunInstances:InsufficientInstanceCapacity"}, wantErr: "want ACTION:CODE:N"},
		{name: "failure with zero count", args: []string{"--ec2-fail", "RunInstances:InsufficientInstanceCapacity:0"}, wantErr: "want a positive integer, or *"},
		{name: "failure without code", args: []string{"--ec2-fail", "RunInstances::2"}, wantErr: "empty error code"},
		{name: "image failure without reason", args: []string{"--ec2-fail-image", "ami-12345678"}, wantErr: "want AMI:REASON"},
		{name: "image failure of an image EC2 refuses", args: []string{"--ec2-fail-image", "ami-BAD:Server.InternalError"}, wantErr: "want ami- and 8 or 17 lowercase hex digits"},
		{name: "image failure of a short image id", args: []string{"--ec2-fail-image", "ami-1234567:Server.InternalError"}, wantErr: "want ami- and 8 or 17 lowercase hex digits"},
		{name: "fault without count", args: []string{"--fail", "sqs:SendMessage:ServiceUnavailable"}, wantErr: "want SERVICE:Operation:Code:N"},
		{name: "fault with empty operation", args: []string{"--fail", "sqs::ServiceUnavailable:1"}, wantErr: "empty operation"},
		{name: "fault with empty service", args: []string{"--fail", ":SendMessage:ServiceUnavailable:1"}, wantErr: "empty service"},
		{name: "fault with a negative count", args: []string{"--fail", "sqs:SendMessage:ServiceUnavailable:-2"}, wantErr: "want a positive integer, or *"},
		{name: "delivery fault without count", args: []string{"--fail-delivery", "launch-queue"}, wantErr: "want ENDPOINT:N"},
		{name: "delivery fault with zero count", args: []string{"--fail-delivery", "launch-queue:0"}, wantErr: "want a positive integer, or *"},
		{name: "address other machines reach", args: []string{"--addr", "0.0.0.0:4566"}, wantErr: "loopback addresses only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseLocalcloudFlags(tc.args, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse %q: %v", tc.args, err)
			}
			if cfg.addr != tc.addr {
				t.Errorf("addr %q, want %q", cfg.addr, tc.addr)
			}
			if !reflect.DeepEqual(cfg.opts, tc.want) {
				t.Errorf("options %+v, want %+v", cfg.opts, tc.want)
			}
		})
	}
}

// TestLocalcloudFailureFlags: the failures the flags describe are injected
// into the Cloud and show on the wire; --ec2-fail is --fail ec2:….
func TestLocalcloudFailureFlags(t *testing.T) {
	cfg, err := parseLocalcloudFlags([]string{
		"--ec2-fail", "RunInstances:InsufficientInstanceCapacity:1",
		"--ec2-fail-image", "ami-0bad0bad:Server.InternalError",
		"--fail", "sqs:SendMessage:ServiceUnavailable:*",
		"--fail", "ec2:DescribeInstances:Unavailable:2",
		"--fail-delivery", "arn:aws:sqs:us-east-1:000000000000:jobs:3",
	}, io.Discard)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	wantGiven := []string{"--ec2-fail RunInstances:InsufficientInstanceCapacity:1", "--ec2-fail-image ami-0bad0bad:Server.InternalError",
		"--fail sqs:SendMessage:ServiceUnavailable:*", "--fail ec2:DescribeInstances:Unavailable:2", "--fail-delivery arn:aws:sqs:us-east-1:000000000000:jobs:3"}
	if !reflect.DeepEqual(cfg.faults.given, wantGiven) {
		t.Errorf("given %q, want %q", cfg.faults.given, wantGiven)
	}
	cloud, err := localcloud.New(localcloud.Options{})
	if err != nil {
		t.Fatalf("localcloud: %v", err)
	}
	defer cloud.Close()
	if err := cfg.faults.apply(cloud); err != nil {
		t.Fatalf("apply: %v", err)
	}
	active := cloud.Faults()
	var specs []string
	for _, f := range active.Faults {
		specs = append(specs, f.String())
	}
	slices.Sort(specs)
	if want := []string{"ec2:DescribeInstances:Unavailable:2", "ec2:RunInstances:InsufficientInstanceCapacity:1", "sqs:SendMessage:ServiceUnavailable:*"}; !slices.Equal(specs, want) {
		t.Errorf("faults %q, want %q", specs, want)
	}
	if len(active.Deliveries) != 1 || active.Deliveries[0].String() != "arn:aws:sqs:us-east-1:000000000000:jobs:3" {
		t.Errorf("delivery faults %v", active.Deliveries)
	}

	call := func(form url.Values) string {
		t.Helper()
		form.Set("Version", "2016-11-15")
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		cloud.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	run := func(image string) string {
		return call(url.Values{"Action": {"RunInstances"}, "ImageId": {image}, "InstanceType": {"t3.micro"}, "MinCount": {"1"}, "MaxCount": {"1"}})
	}
	if body := run("ami-12345678"); !strings.Contains(body, "<Code>InsufficientInstanceCapacity</Code>") {
		t.Errorf("first RunInstances answered %s, want the injected InsufficientInstanceCapacity", body)
	}
	if body := run("ami-12345678"); !strings.Contains(body, "<instanceId>") {
		t.Errorf("second RunInstances answered %s, want an instance (one failure injected)", body)
	}
	if body := run("ami-0bad0bad"); !strings.Contains(body, "<instanceId>") {
		t.Fatalf("RunInstances of the failing image answered %s, want an instance that dies while booting", body)
	}
	describe := url.Values{"Action": {"DescribeInstances"}, "Filter.1.Name": {"image-id"}, "Filter.1.Value.1": {"ami-0bad0bad"}}
	for range 2 {
		if body := call(describe); !strings.Contains(body, "<Code>Unavailable</Code>") {
			t.Errorf("DescribeInstances answered %s, want the injected Unavailable", body)
		}
	}
	if body := call(describe); !strings.Contains(body, "Server.InternalError") {
		t.Errorf("DescribeInstances of the failing image answered %s, want state reason Server.InternalError", body)
	}
}

// TestLocalcloudFailureFlagsNameWhatIsServed: a fault for a service or
// operation localcloud does not serve is refused when applied, naming
// what it serves, and nothing of the set is injected.
func TestLocalcloudFailureFlagsNameWhatIsServed(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown service", []string{"--fail", "sqs:SendMessage:InternalError:1", "--fail", "kinesis:PutRecord:InternalFailure:1"}, `unknown service "kinesis"; localcloud serves `},
		{"unknown operation", []string{"--fail", "sns:Publsh:InternalError:1"}, `sns has no operation "Publsh"`},
		{"unknown EC2 action", []string{"--ec2-fail", "StartInstances:InternalError:1"}, `ec2 has no operation "StartInstances"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseLocalcloudFlags(tc.args, io.Discard)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			cloud, err := localcloud.New(localcloud.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer cloud.Close()
			err = cfg.faults.apply(cloud)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("apply: %v, want an error containing %q", err, tc.want)
			}
			if got := cloud.Faults(); !got.Empty() {
				t.Errorf("a refused set injected %+v", got)
			}
		})
	}
}
