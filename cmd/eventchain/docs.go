package main

import (
	"fmt"
	"io"

	"github.com/eventchain/eventchain/internal/event"
)

// runDocs prints the event catalog page; `make docs` redirects it into
// docs/events.md, so only the page goes to stdout (-h and errors go to
// stderr).
func runDocs(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("docs", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("takes no arguments, got %q", fs.Args())
	}
	if _, err := io.WriteString(stdout, event.Markdown()); err != nil {
		return fmt.Errorf("write catalog: %w", err)
	}
	return nil
}
