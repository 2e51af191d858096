package main

import (
	"fmt"
	"io"

	"github.com/eventchain/eventchain/internal/event"
)

// runDocs prints the event catalog page; `make docs` redirects it into
// docs/events.md.
func runDocs(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("takes no arguments, got %q", args)
	}
	if _, err := io.WriteString(stdout, event.Markdown()); err != nil {
		return fmt.Errorf("write catalog: %w", err)
	}
	return nil
}
