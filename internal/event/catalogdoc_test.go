package event

import (
	"os"
	"strings"
	"testing"
)

func TestEventsDocUpToDate(t *testing.T) {
	got, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatalf("read docs/events.md: %v (run `make docs`)", err)
	}
	if string(got) != Markdown() {
		t.Fatal("docs/events.md differs from the event catalog: run `make docs`")
	}
}

func TestMarkdownDescribesEveryType(t *testing.T) {
	md := Markdown()
	for _, s := range Catalog {
		t.Run(s.Type, func(t *testing.T) {
			if !strings.Contains(md, "| `"+s.Type+"` | `"+s.DataSchema+"` |") {
				t.Errorf("no table row for %s with its schema", s.Type)
			}
			for _, p := range s.Producers {
				for _, c := range s.Consumers {
					edge := p + ` -->|"` + s.Type + `"| ` + c
					if !strings.Contains(md, edge) {
						t.Errorf("diagram lacks edge %q", edge)
					}
				}
			}
			if !strings.Contains(md, "\n### `"+s.Type+"`\n") {
				t.Errorf("no payload section for %s", s.Type)
			}
		})
	}
}

func TestMarkdownPayloadFields(t *testing.T) {
	md := Markdown()
	tests := []struct {
		name string
		row  string
	}{
		{name: "required string", row: "| `requestId` | string | yes |"},
		{name: "optional map", row: "| `tags` | object of string | no |"},
		{name: "integer", row: "| `count` | integer | yes |"},
		{name: "time", row: "| `launchedAt` | string (RFC 3339 time) | yes |"},
		{name: "optional array", row: "| `securityGroupIds` | array of string | no |"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(md, tc.row) {
				t.Errorf("payload tables lack %q", tc.row)
			}
		})
	}
}
