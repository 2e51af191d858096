package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
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
		{name: "failure with zero count", args: []string{"--ec2-fail", "RunInstances:InsufficientInstanceCapacity:0"}, wantErr: "want a positive number"},
		{name: "failure without code", args: []string{"--ec2-fail", "RunInstances::2"}, wantErr: "want ACTION:CODE:N"},
		{name: "image failure without reason", args: []string{"--ec2-fail-image", "ami-12345678"}, wantErr: "want AMI:REASON"},
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
// into the emulated EC2 and show on the wire.
func TestLocalcloudFailureFlags(t *testing.T) {
	cfg, err := parseLocalcloudFlags([]string{
		"--ec2-fail", "RunInstances:InsufficientInstanceCapacity:1",
		"--ec2-fail-image", "ami-0bad0bad:Server.InternalError",
	}, io.Discard)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	svc, err := ec2emu.New(ec2emu.Options{})
	if err != nil {
		t.Fatalf("ec2: %v", err)
	}
	defer svc.Close()
	cfg.failures.apply(svc)

	call := func(form url.Values) string {
		t.Helper()
		form.Set("Version", "2016-11-15")
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		svc.ServeHTTP(rec, req)
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
	if body := call(url.Values{"Action": {"DescribeInstances"}, "Filter.1.Name": {"image-id"}, "Filter.1.Value.1": {"ami-0bad0bad"}}); !strings.Contains(body, "Server.InternalError") {
		t.Errorf("DescribeInstances of the failing image answered %s, want state reason Server.InternalError", body)
	}
}
