package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventchain/eventchain/infra/templaterules"
)

const realTemplate = "../../template.yaml"

// derivedTemplate writes template.yaml with each old string (its first
// occurrence) replaced by new, and returns its path.
func derivedTemplate(t *testing.T, oldNew ...string) string {
	t.Helper()
	data, err := os.ReadFile(realTemplate)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for i := 0; i+1 < len(oldNew); i += 2 {
		if !strings.Contains(s, oldNew[i]) {
			t.Fatalf("template.yaml no longer holds %q: update the test", oldNew[i])
		}
		s = strings.Replace(s, oldNew[i], oldNew[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeCfnLint puts a cfn-lint on PATH, alone, that records its arguments,
// prints output and exits with code; it returns where the arguments go.
func fakeCfnLint(t *testing.T, output string, code int) (argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s'\nprintf '%%s\\n' '%s'\nexit %d\n", argsFile, output, code)
	if err := os.WriteFile(filepath.Join(dir, "cfn-lint"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	return argsFile
}

func runCommand(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestValidateRealTemplate is the one test that runs the real cfn-lint
// (about 2 s): template.yaml passes the rules on its defaults, and
// cfn-lint.
func TestValidateRealTemplate(t *testing.T) {
	code, stdout, stderr := runCommand("validate", realTemplate)
	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		fmt.Sprintf("%s: 0 errors, 0 warnings from %d rules, with the template's defaults", realTemplate, len(templaterules.Rules)),
		realTemplate + ": cfn-lint found nothing",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func TestValidate(t *testing.T) {
	wrongRuntime := func(t *testing.T) string {
		return derivedTemplate(t, "Runtime: provided.al2023", "Runtime: provided.al2")
	}
	// LaunchQueue's records come back after 30 s, its launcher may take 60.
	shortVisibility := func(t *testing.T) string {
		return derivedTemplate(t, "VisibilityTimeout: !Ref QueueVisibilityTimeout", "VisibilityTimeout: 30")
	}
	unchanged := func(*testing.T) string { return realTemplate }
	tests := []struct {
		name     string
		template func(t *testing.T) string
		flags    []string
		// lint is the fake cfn-lint's exit code; -1 leaves none on PATH.
		lint       int
		lintOutput string
		// lintRuns: the fake cfn-lint must have been given the template.
		lintRuns   bool
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{
			name: "a structural error fails", template: wrongRuntime, wantCode: 1,
			wantStdout: []string{
				`error: ApiFunction [lambda-runtime]: Runtime "provided.al2"`,
				`error: NotifierFunction [lambda-runtime]: Runtime "provided.al2"`,
				"fix: set Runtime: provided.al2023",
				"4 errors, 0 warnings",
				"fake lint ran",
			},
			lintRuns:   true,
			wantStderr: []string{"eventchain validate: ", "fails validation: 4 findings of the template's rules"},
		},
		{
			name: "a structural error fails with overrides too", template: wrongRuntime, flags: []string{"--parameter-overrides", "BatchSize=5"}, wantCode: 1,
			wantStdout: []string{"error: LauncherFunction [lambda-runtime]"},
			wantStderr: []string{"fails validation: 4 findings"},
		},
		{
			name: "a warning fails on the template's defaults", template: shortVisibility, wantCode: 1,
			wantStdout: []string{
				"warning, failing on the template's defaults: LaunchQueue [visibility-timeout]: VisibilityTimeout 30 s < 6 × LauncherFunction's timeout",
				"0 errors, 1 warning from",
				"with the template's defaults, on which warnings fail",
			},
			wantStderr: []string{"fails validation: 1 finding of the template's rules"},
		},
		{
			name: "a warning stays a warning with overrides", template: shortVisibility, flags: []string{"--parameter-overrides", "BatchSize=5"}, wantCode: 0,
			wantStdout: []string{
				"warning: LaunchQueue [visibility-timeout]",
				"with parameter overrides, on which warnings do not fail",
			},
		},
		{
			name: "overrides equal to the defaults are the defaults", template: shortVisibility, flags: []string{"--parameter-overrides", "LogLevel=INFO"}, wantCode: 1,
			wantStdout: []string{"warning, failing on the template's defaults: LaunchQueue"},
		},
		{
			name: "cfn-lint's findings fail", template: unchanged, lint: 2, lintOutput: "E3002 Additional properties are not allowed", wantCode: 1,
			wantStdout: []string{"0 errors, 0 warnings", "E3002 Additional properties are not allowed"}, lintRuns: true,
			wantStderr: []string{"fails validation: cfn-lint found problems (exit status 2)"},
		},
		{
			name: "the rules and cfn-lint both report", template: wrongRuntime, lint: 4, lintOutput: "W3005 obsolete DependsOn", wantCode: 1,
			wantStdout: []string{"4 errors", "W3005 obsolete DependsOn"}, lintRuns: true,
			wantStderr: []string{"fails validation: 4 findings of the template's rules; cfn-lint found problems (exit status 4)"},
		},
		{
			name: "no cfn-lint on PATH", template: unchanged, lint: -1, wantCode: 1,
			wantStdout: []string{"0 errors, 0 warnings"},
			wantStderr: []string{"cfn-lint is not on PATH: install it with `pip install cfn-lint`"},
		},
		{
			name: "a shim without cfn-lint behind it", template: unchanged, lint: 127, lintOutput: "pyenv: cfn-lint: command not found", wantCode: 1,
			wantStderr: []string{"cannot run cfn-lint: install it with `pip install cfn-lint`"},
		},
		{
			name: "an unknown parameter", template: unchanged, flags: []string{"--parameter-overrides", "NoSuchParameter=1"}, wantCode: 1,
			wantStderr: []string{"NoSuchParameter: no such parameter"},
		},
		{
			name: "two templates", template: unchanged, flags: []string{realTemplate}, wantCode: 1,
			wantStderr: []string{"takes one template"},
		},
		{
			name: "-h", template: unchanged, flags: []string{"-h"}, wantCode: 0,
			wantStderr: []string{"usage: eventchain validate [flags] [template]", "-parameter-overrides"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.template(t)
			var argsFile string
			if tc.lint >= 0 {
				output := tc.lintOutput
				if output == "" {
					output = "fake lint ran"
				}
				argsFile = fakeCfnLint(t, output, tc.lint)
			} else {
				t.Setenv("PATH", t.TempDir())
			}
			code, stdout, stderr := runCommand(append(append([]string{"validate"}, tc.flags...), path)...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d", code, tc.wantCode)
			}
			for _, want := range tc.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q", want)
				}
			}
			for _, want := range tc.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q", want)
				}
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
			if tc.lintRuns {
				got, err := os.ReadFile(argsFile)
				if err != nil || string(got) != "--\n"+path+"\n" {
					t.Errorf("cfn-lint's arguments %q (%v), want -- %s", got, err, path)
				}
			}
		})
	}
}

// TestRunRefusesABrokenTemplate: `eventchain run` stops before it starts
// anything when the template breaks a structural rule.
func TestRunRefusesABrokenTemplate(t *testing.T) {
	path := derivedTemplate(t, "Runtime: provided.al2023", "Runtime: provided.al2")
	code, stdout, stderr := runCommand("run", "--template", path, "--memory", "--port", "0", "--cloud-port", "0")
	if code != 1 || !strings.Contains(stderr, "breaks the template's rules") || !strings.Contains(stderr, "ApiFunction [lambda-runtime]") {
		t.Errorf("exit code %d, stderr:\n%s\nwant 1 and the broken rule", code, stderr)
	}
	if strings.Contains(stdout, "eventchain is running locally") {
		t.Errorf("run started:\n%s", stdout)
	}
}

// TestRunOnlyWarnsAboutSizing: under the user's overrides, a sizing rule
// broken is shown as a warning and the run goes on.
func TestRunOnlyWarnsAboutSizing(t *testing.T) {
	path := derivedTemplate(t, "VisibilityTimeout: !Ref QueueVisibilityTimeout", "VisibilityTimeout: 30")
	var stderr bytes.Buffer
	if err := checkRulesBeforeRun(path, map[string]string{"BatchingWindowSeconds": "0"}, &stderr); err != nil {
		t.Fatalf("checkRulesBeforeRun = %v, want only a warning", err)
	}
	if want := "warning: with these overrides the template breaks its invariants:\nwarning: LaunchQueue [visibility-timeout]"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q lacks %q", stderr.String(), want)
	}
}
