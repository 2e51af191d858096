package main

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/infra/templaterules"
)

// cfnLint is the linter validate runs after the project's rules: it knows
// CloudFormation's and SAM's schemas, which the rules do not check.
const cfnLint = "cfn-lint"

// exitCommandNotFound is the shell's status for a missing command, which a
// pyenv shim answers when the active Python lacks the package.
const exitCommandNotFound = 127

// runValidate checks a template against the project's rules
// (infra/templaterules), then against cfn-lint, and prints every finding.
// It fails on any error, on any cfn-lint finding, and on warnings too when
// the parameters are the template's defaults, the values deployed.
func runValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("validate", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: eventchain validate [flags] [template]   (default %s)\n\n%s\n\nflags:\n", local.DefaultTemplate, summary("validate"))
		fs.PrintDefaults()
	}
	overrides := fs.String("parameter-overrides", "", `SAM-style overrides, e.g. "LauncherTimeout=1 QueueVisibilityTimeout=7"; warnings fail only on the template's defaults`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	path := local.DefaultTemplate
	switch fs.NArg() {
	case 0:
	case 1:
		path = fs.Arg(0)
	default:
		return fmt.Errorf("takes one template, got %q", fs.Args())
	}
	params, err := samtemplate.ParseOverrides(*overrides)
	if err != nil {
		return err
	}
	report, err := templaterules.CheckFile(path, params)
	if err != nil {
		return err
	}
	failures := printFindings(stdout, report)

	// cfn-lint runs even when the rules failed, so one run shows everything.
	lintErr := runCfnLint(path, stdout, stderr)
	var lintFound *cfnLintFindings
	if lintErr != nil && !errors.As(lintErr, &lintFound) {
		return lintErr
	}
	var problems []string
	if failures > 0 {
		problems = append(problems, fmt.Sprintf("%d %s of the template's rules", failures, plural(failures, "finding")))
	}
	if lintErr != nil {
		problems = append(problems, lintErr.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s fails validation: %s", path, strings.Join(problems, "; "))
	}
	return nil
}

// printFindings prints the report, then a summary line, and returns how
// many findings fail the validation.
func printFindings(w io.Writer, report templaterules.Report) int {
	warnings := 0
	for _, f := range report.Findings {
		label := f.Severity.String()
		if f.Severity == templaterules.Warning {
			warnings++
			if report.Fails(f) {
				// The same rule fails or not depending on the parameters:
				// say why this one fails.
				label = "warning, failing on the template's defaults"
			}
		}
		fmt.Fprintf(w, "%s: %s [%s]: %s\n  fix: %s\n", label, f.Resource, f.Rule, f.Problem, f.Fix)
	}
	errs := len(report.Findings) - warnings
	params := "parameter overrides, on which warnings do not fail"
	if report.OnDefaults {
		params = "the template's defaults, on which warnings fail"
	}
	fmt.Fprintf(w, "%s: %d %s, %d %s from %d rules, with %s\n",
		report.Template, errs, plural(errs, "error"), warnings, plural(warnings, "warning"), len(templaterules.Rules), params)
	return report.Failures()
}

// cfnLintFindings is cfn-lint reporting problems in the template (its
// exit status 2, 4, 6 or 8: errors, warnings, informational).
type cfnLintFindings struct{ code int }

func (e *cfnLintFindings) Error() string {
	return fmt.Sprintf("cfn-lint found problems (exit status %d)", e.code)
}

// runCfnLint lints the template with cfn-lint from PATH, its output going
// to stdout and stderr as it comes.
func runCfnLint(path string, stdout, stderr io.Writer) error {
	const install = "install it with `pip install cfn-lint` (it must be on PATH)"
	bin, err := exec.LookPath(cfnLint)
	if err != nil {
		return fmt.Errorf("cfn-lint is not on PATH: %s", install)
	}
	cmd := exec.Command(bin, "--", path)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		fmt.Fprintf(stdout, "%s: cfn-lint found nothing\n", path)
		return nil
	case errors.As(err, &exit) && exit.ExitCode() == exitCommandNotFound:
		return fmt.Errorf("%s cannot run cfn-lint: %s", bin, install)
	case errors.As(err, &exit) && exit.ExitCode() > 1:
		return &cfnLintFindings{code: exit.ExitCode()}
	}
	return fmt.Errorf("run %s on %s: %w", bin, path, err)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// checkRulesBeforeRun is `eventchain run`'s look at the template's rules,
// under the user's overrides: an error refuses the start; warnings are
// sizing rules short local timeouts break on purpose, so they are only
// shown.
func checkRulesBeforeRun(path string, params map[string]string, stderr io.Writer) error {
	report, err := templaterules.CheckFile(path, params)
	if err != nil {
		return err
	}
	var errs, warnings []string
	for _, f := range report.Findings {
		if f.Severity == templaterules.Error {
			errs = append(errs, f.String())
		} else {
			warnings = append(warnings, f.String())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s breaks the template's rules (eventchain validate lists them all):\n%s", path, strings.Join(errs, "\n"))
	}
	if len(warnings) > 0 {
		fmt.Fprintf(stderr, "warning: with these overrides the template breaks its invariants:\n%s\n", strings.Join(warnings, "\n"))
	}
	return nil
}
