package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/eventchain/eventchain/internal/event"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "docs prints the catalog", args: []string{"docs"}, wantCode: 0, wantStdout: event.Markdown()},
		{name: "docs refuses arguments", args: []string{"docs", "x"}, wantCode: 1, wantStderr: "eventchain docs: takes no arguments"},
		{name: "no command", args: nil, wantCode: 2, wantStderr: "usage: eventchain"},
		{name: "unknown command", args: []string{"nope"}, wantCode: 2, wantStderr: `unknown command "nope"`},
		{name: "help", args: []string{"help"}, wantCode: 0, wantStdout: "usage: eventchain"},
		{name: "run -h lists its flags", args: []string{"run", "-h"}, wantCode: 0, wantStderr: "-ec2-boot-delay"},
		{name: "localcloud -h lists its flags", args: []string{"localcloud", "-h"}, wantCode: 0, wantStderr: "-addr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.wantCode, stderr.String())
			}
			if tc.wantCode == 0 && tc.args[0] == "docs" {
				if stdout.String() != tc.wantStdout {
					t.Error("docs output differs from event.Markdown()")
				}
			} else if !strings.Contains(stdout.String(), tc.wantStdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tc.wantStdout)
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.wantStderr)
			}
		})
	}
}
