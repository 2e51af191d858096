package event

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Markdown renders the catalog as the page docs/events.md holds: a table of
// event types, a Mermaid flowchart of the chain (every edge is a producer
// handing an event type to a consumer), and each payload's fields. The
// page is generated (`make docs`) and a test fails when it is stale, so it
// never drifts from the code.
func Markdown() string {
	var b strings.Builder
	b.WriteString("<!-- Generated from internal/event/catalog.go by `make docs`; do not edit. -->\n\n")
	b.WriteString("# Event catalog\n\n")
	b.WriteString("Every event travels in a CloudEvents 1.0 envelope (`specversion`, `id`, `type`, `source`, `time`,\n")
	b.WriteString("`subject` = request id, `dataschema`, `data`, plus `correlationid` and `causationid`), published to\n")
	b.WriteString("the events topic with the message attributes `" + AttrType + "` and `" + AttrCorrelationID + "`. Subscriptions filter\n")
	b.WriteString("on `" + AttrType + "`; a type no consumer knows lands in the unrouted queue. Terminal events end a request:\n")
	b.WriteString("they set its final status and notify the user.\n\n")

	b.WriteString("| Type | Schema | Producers | Consumers | Terminal | Description |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, s := range Catalog {
		terminal := "no"
		if s.Terminal {
			terminal = "yes → `" + s.FinalStatus + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s | %s |\n",
			s.Type, s.DataSchema, codeList(s.Producers), codeList(s.Consumers), terminal, escapeCell(s.Description))
	}

	b.WriteString("\n## Chain\n\n```mermaid\nflowchart LR\n")
	for _, fn := range catalogFunctions() {
		fmt.Fprintf(&b, "    %s[%s]\n", fn, fn)
	}
	for _, s := range Catalog {
		for _, p := range s.Producers {
			for _, c := range s.Consumers {
				fmt.Fprintf(&b, "    %s -->|\"%s\"| %s\n", p, s.Type, c)
			}
		}
	}
	for _, s := range Catalog {
		if s.Terminal {
			for _, c := range s.Consumers {
				fmt.Fprintf(&b, "    %s -.->|\"%s\"| status%s([%s])\n", c, s.Type, s.FinalStatus, s.FinalStatus)
			}
		}
	}
	b.WriteString("```\n\n## Payloads\n")
	for _, s := range Catalog {
		fmt.Fprintf(&b, "\n### `%s`\n\n", s.Type)
		t := reflect.TypeOf(s.NewPayload())
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		fmt.Fprintf(&b, "Go type `event.%s`.\n\n", t.Name())
		b.WriteString("| Field | Type | Always set |\n|---|---|---|\n")
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			alwaysSet := "yes"
			if slices.Contains(strings.Split(opts, ","), "omitempty") {
				alwaysSet = "no"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, jsonType(f.Type), alwaysSet)
		}
	}
	return b.String()
}

// catalogFunctions lists every producer and consumer once, in order of
// first appearance in the catalog.
func catalogFunctions() []string {
	var out []string
	for _, s := range Catalog {
		for _, fn := range slices.Concat(s.Producers, s.Consumers) {
			if !slices.Contains(out, fn) {
				out = append(out, fn)
			}
		}
	}
	return out
}

// jsonType names a Go type as its JSON shape.
func jsonType(t reflect.Type) string {
	if t.PkgPath() == "time" && t.Name() == "Time" {
		return "string (RFC 3339 time)"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array of " + jsonType(t.Elem())
	case reflect.Map:
		return "object of " + jsonType(t.Elem())
	case reflect.Pointer:
		return jsonType(t.Elem())
	}
	return "object"
}

func codeList(ss []string) string {
	if len(ss) == 0 {
		return "—"
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, ", ")
}

func escapeCell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}
