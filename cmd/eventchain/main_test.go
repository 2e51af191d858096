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
		// Usage goes to stderr: `make docs` redirects stdout into docs/events.md.
		{name: "docs -h prints its usage", args: []string{"docs", "-h"}, wantCode: 0, wantStderr: "usage: eventchain docs"},
		{name: "run refuses a negative EC2 rate", args: []string{"run", "--ec2-rate", "-1"}, wantCode: 1, wantStderr: "must not be negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.wantCode, stderr.String())
			}
			if tc.wantCode == 0 && tc.args[0] == "docs" {
				// Exactly the catalog, or nothing for -h.
				if stdout.String() != tc.wantStdout {
					t.Errorf("docs wrote %d bytes to stdout, want %d (event.Markdown() for the page, nothing for -h)", stdout.Len(), len(tc.wantStdout))
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

// TestSharedFlagsAgree: a flag that run and localcloud both take has the
// same type and help in both (flags.go, ec2flags.go); only its default may
// differ.
func TestSharedFlagsAgree(t *testing.T) {
	flags := func(command string) map[string]string {
		var stdout, stderr bytes.Buffer
		if code := run([]string{command, "-h"}, &stdout, &stderr); code != 0 {
			t.Fatalf("%s -h exited %d: %s", command, code, stderr.String())
		}
		// PrintDefaults: "  -name type" then the help, indented, ending
		// with " (default …)" when the default is not the zero value.
		out := map[string]string{}
		name := ""
		for _, line := range strings.Split(stderr.String(), "\n") {
			switch {
			case strings.HasPrefix(line, "  -"):
				name = strings.Fields(line)[0]
				out[name] = line
			case name != "" && strings.HasPrefix(line, "    \t"):
				help, _, _ := strings.Cut(line, " (default ")
				out[name] += "\n" + help
			}
		}
		return out
	}
	runFlags, cloudFlags := flags("run"), flags("localcloud")
	shared := 0
	for name, help := range runFlags {
		other, ok := cloudFlags[name]
		if !ok {
			continue
		}
		shared++
		if help != other {
			t.Errorf("%s differs:\nrun:        %q\nlocalcloud: %q", name, help, other)
		}
	}
	if want := []string{"-alarm-period-scale", "-data", "-ec2-boot-delay", "-ec2-burst", "-ec2-fail", "-ec2-fail-image", "-ec2-rate", "-fail", "-fail-delivery"}; shared != len(want) {
		t.Errorf("run and localcloud share %d flags, want %d: %v", shared, len(want), want)
	}
}
