package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/eventchain/eventchain/internal/event"
)

// TestEventFixturesUpToDate: every fixture of events/ is exactly what its
// command prints, and every file there has a command (make events).
func TestEventFixturesUpToDate(t *testing.T) {
	var stderr bytes.Buffer
	stale, err := staleFixtures("../../events", "../../template.yaml", &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, s := range stale {
		t.Errorf("%s: run make events (commands in cmd/eventchain/event_fixtures.go)", s)
	}
}

// TestEventDeterministic: the same command prints the same bytes; another
// seed changes the derived ids only.
func TestEventDeterministic(t *testing.T) {
	args := []string{"event", "sqs", "--template", "../../template.yaml", "--type", "launch.requested",
		"--data", `{"requestId":"3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c","imageId":"ami-12345678","instanceType":"t3.micro","count":1}`}
	print := func(extra ...string) []byte {
		var stdout, stderr bytes.Buffer
		if code := run(append(args, extra...), &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		return stdout.Bytes()
	}
	a, b, c := print(), print(), print("--seed", "2")
	if !bytes.Equal(a, b) {
		t.Errorf("two runs differ:\n%s\n%s", a, b)
	}
	decode := func(b []byte) (lambdaevents.SQSMessage, event.Envelope) {
		var ev lambdaevents.SQSEvent
		if err := json.Unmarshal(b, &ev); err != nil || len(ev.Records) != 1 {
			t.Fatalf("%v: %s", err, b)
		}
		env, err := event.Decode([]byte(ev.Records[0].Body))
		if err != nil {
			t.Fatal(err)
		}
		return ev.Records[0], env
	}
	m1, e1 := decode(a)
	m2, e2 := decode(c)
	if m1.MessageId == m2.MessageId || e1.ID == e2.ID || e1.CorrelationID == e2.CorrelationID {
		t.Error("another seed kept the derived ids")
	}
	if e1.Subject != e2.Subject || !bytes.Equal(e1.Data, e2.Data) || !e1.Time.Equal(e2.Time) {
		t.Error("another seed changed what the flags gave")
	}
	if m1.EventSourceARN != "arn:aws:sqs:us-east-1:123456789012:eventchain-LaunchQueue" {
		t.Errorf("eventSourceARN %s, want the launcher's queue", m1.EventSourceARN)
	}
}

func TestEventRefuses(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"no kind", []string{"event"}, "want a kind"},
		{"unknown kind", []string{"event", "s3"}, `unknown kind "s3"`},
		{"no records", []string{"event", "sqs"}, "no records"},
		{"data before a record", []string{"event", "sqs", "--data", "{}"}, "give --type or --raw first"},
		{"type not in the catalog", []string{"event", "sqs", "--type", "instance.exploded", "--data", "{}"}, "not in the catalog"},
		{"unknown payload field", []string{"event", "sqs", "--type", "instance.running",
			"--data", `{"requestId":"3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c","instanceIds":[],"extra":1}`}, `unknown field "extra"`},
		{"id not a UUID", []string{"event", "sqs", "--type", "instance.running", "--id", "e-1",
			"--data", `{"requestId":"3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c","instanceIds":[]}`}, `id "e-1": want a lowercase UUID`},
		{"raw only, no queue", []string{"event", "sqs", "--raw", "x"}, "name their queue with --queue"},
		{"unknown queue", []string{"event", "sqs", "--queue", "Nope", "--raw", "x"}, `--queue "Nope"`},
		{"eleven attributes", append([]string{"event", "sqs", "--queue", "LaunchQueue", "--raw", "x"}, attrFlags(11)...), "SQS allows 10"},
		{"bad header", []string{"event", "api", "--header", "nocolon"}, "want 'Name: value'"},
		{"bad caller", []string{"event", "api", "--caller", "bob"}, "want an IAM user or assumed-role ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := tt.args
			if len(args) > 2 {
				args = append([]string{args[0], args[1], "--template", "../../template.yaml"}, args[2:]...)
			}
			if code := run(args, &stdout, &stderr); code == 0 {
				t.Fatalf("exit 0, stdout %s", stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantStderr)
			}
			if stdout.Len() != 0 {
				t.Errorf("a refused event printed %s", stdout.String())
			}
		})
	}
}

// attrFlags gives n distinct --attr flags.
func attrFlags(n int) []string {
	var out []string
	for i := range n {
		out = append(out, "--attr", fmt.Sprintf("a%d=v", i))
	}
	return out
}

// TestEventAPIRoutes: a request is routed as API Gateway routes it on the
// template's HttpApi events.
func TestEventAPIRoutes(t *testing.T) {
	tests := []struct {
		method, path string
		routeKey     string
		params       map[string]string
	}{
		{"POST", "/launches", "POST /launches", nil},
		{"GET", "/launches?status=RUNNING&limit=2", "GET /launches", nil},
		{"GET", "/launches/3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c", "GET /launches/{requestId}", map[string]string{"requestId": "3f1c2a9e-8b4d-4c6e-9a7f-1d2e3f4a5b6c"}},
		{"DELETE", "/instances", "$default", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"event", "api", "--template", "../../template.yaml", "--method", tt.method, "--path", tt.path}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			var req lambdaevents.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(stdout.Bytes(), &req); err != nil {
				t.Fatal(err)
			}
			if req.RouteKey != tt.routeKey || req.RequestContext.RouteKey != tt.routeKey || req.RequestContext.HTTP.Method != tt.method {
				t.Errorf("route %q (%q), method %s, want %q", req.RouteKey, req.RequestContext.RouteKey, req.RequestContext.HTTP.Method, tt.routeKey)
			}
			if len(tt.params) != len(req.PathParameters) || req.PathParameters["requestId"] != tt.params["requestId"] {
				t.Errorf("path parameters %v, want %v", req.PathParameters, tt.params)
			}
			if strings.Contains(tt.path, "?") && req.QueryStringParameters["status"] != "RUNNING" {
				t.Errorf("query %v", req.QueryStringParameters)
			}
			if iam := req.RequestContext.Authorizer.IAM; iam == nil || iam.UserARN == "" {
				t.Error("no IAM caller: the HTTP API authorizes with IAM")
			}
			if strings.Contains(stdout.String(), "clientCert") {
				t.Error("a client certificate API Gateway never sends without mutual TLS")
			}
		})
	}
}
