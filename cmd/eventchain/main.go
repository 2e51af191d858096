package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches on the command name and returns the process exit code:
// 0 on success, 1 when the command fails, 2 on a usage error (dlq has
// codes of its own for an unknown queue, a missing permission and an
// unreachable endpoint; see its usage).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "docs":
		err = runDocs(args[1:], stdout, stderr)
	case "run":
		err = runLocal(context.Background(), args[1:], stdout, stderr)
	case "localcloud":
		err = runLocalcloud(args[1:], stdout, stderr)
	case "dlq":
		return runDLQ(args[1:], stdout, stderr) // its own exit codes: eventchain dlq -h
	case "trace":
		err = runTrace(context.Background(), args[1:], stdout, stderr)
	case "console":
		err = runConsole(context.Background(), args[1:], stdout, stderr)
	case "invoke":
		return runInvoke(context.Background(), args[1:], os.Stdin, stdout, stderr) // exit code 1 names how the function failed
	case "event":
		err = runEvent(args[1:], stdout, stderr)
	case "validate":
		err = runValidate(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "eventchain: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0 // "-h": the flag set has printed the command's flags
	}
	if err != nil {
		fmt.Fprintf(stderr, "eventchain %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// commands lists the commands and what each does, for the usage texts.
var commands = []struct{ name, summary string }{
	{"run", "run the whole pipeline locally (API on 127.0.0.1:3000, localcloud on 127.0.0.1:4566)"},
	{"localcloud", "run only the AWS emulator: SQS, SNS, EC2, DynamoDB, STS, CloudWatch alarms (default 127.0.0.1:4566)"},
	{"dlq", "list, show, redrive, purge, export and import dead-letter queues, local or deployed"},
	{"trace", "print one request's timeline: each hop, its retries and reasons, and where it is now"},
	{"console", "serve the console on loopback: the chain live, requests, dead letters, EC2 (local or deployed; eventchain run serves it too)"},
	{"invoke", "invoke one function's bootstrap with an event under the Lambda Runtime Interface Emulator, as sam local invoke does"},
	{"event", "print an event in a function's input shape (SQS batch, HTTP API request), as sam local generate-event does"},
	{"validate", "check template.yaml against the project's rules, then cfn-lint"},
	{"docs", "print the event catalog as Markdown (make docs writes it to docs/events.md)"},
	{"help", "show this text"},
}

// summary is what the named command does.
func summary(name string) string {
	for _, c := range commands {
		if c.name == name {
			return c.summary
		}
	}
	return ""
}

func usage(w io.Writer) {
	fmt.Fprint(w, "usage: eventchain <command> [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun \"eventchain <command> -h\" for a command's flags.\n")
}
