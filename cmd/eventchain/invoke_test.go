package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvoke runs `eventchain invoke` as a user does: it builds the API
// function's bootstrap and the RIE, and invokes fixtures that need no AWS
// call, with no localcloud at --cloud. The fixtures' outcomes against
// localcloud are checked in infra/invoke.
func TestInvoke(t *testing.T) {
	buildDir := t.TempDir() // shared: the bootstrap is built once
	envVars := filepath.Join(t.TempDir(), "env.json")
	if err := os.WriteFile(envVars, []byte(`{"Parameters": {"NOT_DECLARED": "x"}, "ApiFunction": {"MAX_INSTANCES_PER_REQUEST": "many"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	unknownRoute, err := os.ReadFile("../../events/api-unknown-route.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr []string
	}{
		{name: "fixture file", args: []string{"-e", "../../events/api-unknown-route.json", "ApiFunction"},
			wantStdout: `"statusCode":404`,
			wantStderr: []string{"warning: no localcloud at http://127.0.0.1:1 (start it with make run): the function's DynamoDB, SNS calls will fail",
				"START RequestId: ", "END RequestId: ", "REPORT RequestId: ", "\tInit Duration: ", "\tMax Memory Used: "}},
		{name: "event on stdin, flags after the logical id", args: []string{"ApiFunction", "-e", "-"}, stdin: string(unknownRoute),
			wantStdout: `"statusCode":404`, wantStderr: []string{"REPORT RequestId: "}},
		{name: "init failure", args: []string{"--env-vars", envVars, "ApiFunction"}, wantCode: 1,
			wantStderr: []string{"--env-vars sets NOT_DECLARED, which ApiFunction does not declare in its Environment: ignored",
				"api init failed", "MAX_INSTANCES_PER_REQUEST", "INIT_REPORT Init Duration: ",
				"eventchain invoke: ApiFunction: the function failed at init (Runtime.ExitError)"}},
		{name: "unknown function", args: []string{"NopeFunction"}, wantCode: 1,
			wantStderr: []string{`no function "NopeFunction" in ../../template.yaml (it has ApiFunction, LauncherFunction, WatcherFunction, NotifierFunction)`}},
		{name: "no function", args: nil, wantCode: 2, wantStderr: []string{"want one function's logical id", "usage: eventchain invoke"}},
		{name: "two functions", args: []string{"ApiFunction", "LauncherFunction"}, wantCode: 2, wantStderr: []string{"want one function's logical id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--template", "../../template.yaml", "--cloud", "http://127.0.0.1:1", "--build-dir", buildDir}, tt.args...)
			var stdout, stderr bytes.Buffer
			code := runInvoke(context.Background(), args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.wantStdout)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if tt.wantCode == 0 && strings.Contains(stdout.String(), "RequestId") {
				t.Errorf("stdout holds more than the response:\n%s", stdout.String())
			}
		})
	}
}
