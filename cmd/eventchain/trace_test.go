package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestSignRequestMatchesTheSigV4TestSuite signs the AWS Signature Version 4
// test suite's get-vanilla request and compares with its published
// Authorization header.
func TestSignRequestMatchesTheSigV4TestSuite(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, "https://example.amazonaws.com/", nil)
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	at := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	if err := signRequest(context.Background(), req, creds, "service", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	want := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " +
		"SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization\n  %s\nwant\n  %s", got, want)
	}
	if got := req.Header.Get("X-Amz-Date"); got != "20150830T123600Z" {
		t.Errorf("X-Amz-Date %q", got)
	}
}

// TestTraceCommand reads a request from an API and prints its timeline;
// the local mode's API is called unsigned.
func TestTraceCommand(t *testing.T) {
	const id = "5daa99a7-d852-4bf7-a9c5-ca05290d2dca"
	var gotPath, gotAuth string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.Path, r.Header.Get("Authorization")
		http.ServeFile(w, r, "../../internal/trace/testdata/retried.json")
	}))
	defer api.Close()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"trace", "--api", api.URL, "--template", "../../template.yaml", id}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if gotPath != "/launches/"+id || gotAuth != "" {
		t.Errorf("GET %s with Authorization %q; want /launches/%s unsigned", gotPath, gotAuth, id)
	}
	for _, want := range []string{"2 retries", "RequestLimitExceeded", "InstancesPending", "now: done: RUNNING"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("trace lacks %q:\n%s", want, stdout.String())
		}
	}

	stdout.Reset()
	if code := run([]string{"trace", "--api", api.URL}, &stdout, &stderr); code != 1 {
		t.Errorf("trace without an id: exit %d, want 1", code)
	}
}
