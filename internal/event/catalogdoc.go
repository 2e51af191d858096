package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Markdown renders the catalog as the page docs/events.md holds: the event
// types, a Mermaid flowchart of the chain (every edge is a producer handing
// an event type to a consumer, plus the unrouted path), each consumer's
// queues and filter policy, the payloads, the request statuses, the codes
// a failure carries, the notifications and the dead-letter attributes.
// The page is generated (`make docs`) and a test fails when it is stale,
// so it never drifts from the code.
func Markdown() string {
	var b strings.Builder
	b.WriteString("<!-- Generated from internal/event by `make docs`; do not edit. -->\n\n")
	b.WriteString("# Event catalog\n\n")
	b.WriteString("Every event travels in a CloudEvents 1.0 envelope (`specversion`, `id`, `type`, `source`, `time`,\n")
	b.WriteString("`subject` = request id, `dataschema`, `data`, plus `correlationid` and `causationid`), published to\n")
	b.WriteString("the events topic with the message attributes `" + AttrType + "` and `" + AttrCorrelationID + "`. Subscriptions filter\n")
	b.WriteString("on `" + AttrType + "`; a type no consumer knows lands in the unrouted queue. Terminal events end a request:\n")
	b.WriteString("they set its final status and notify the user.\n\n")
	b.WriteString("Sections: [Chain](#chain) · [Routing](#routing) · [Payloads](#payloads) · [Statuses](#statuses) ·\n")
	b.WriteString("[`launch.failed` codes](#launchfailed-codes) · [Notifications](#notifications) · [Dead letters](#dead-letters)\n\n")

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

	writeChain(&b)
	writeRouting(&b)
	writePayloads(&b)
	writeStatuses(&b)
	writeLaunchFailedCodes(&b)
	writeNotifications(&b)
	writeDeadLetters(&b)
	return b.String()
}

func writeChain(b *strings.Builder) {
	b.WriteString("\n## Chain\n\n```mermaid\nflowchart LR\n")
	for _, fn := range catalogFunctions() {
		fmt.Fprintf(b, "    %s[%s]\n", fn, fn)
	}
	for _, s := range Catalog {
		for _, p := range s.Producers {
			for _, c := range s.Consumers {
				fmt.Fprintf(b, "    %s -->|\"%s\"| %s\n", p, s.Type, c)
			}
		}
	}
	for _, s := range Catalog {
		if s.Terminal {
			for _, c := range s.Consumers {
				fmt.Fprintf(b, "    %s -.->|\"%s\"| status%s([%s])\n", c, s.Type, s.FinalStatus, s.FinalStatus)
			}
		}
	}
	if r, ok := RouteOf(""); ok {
		fmt.Fprintf(b, "    %s[(%s)] -->|\"any other type, or none\"| %s[(%s)]\n", EventsTopic, EventsTopic, r.Queue, r.Queue)
	}
	b.WriteString("```\n")
}

func writeRouting(b *strings.Builder) {
	b.WriteString("\n## Routing\n\n")
	b.WriteString("Each consumer reads its own queue, subscribed to `" + EventsTopic + "` with raw delivery and a filter policy on the\n")
	b.WriteString("`" + AttrType + "` message attribute, derived from the catalog. A record its consumer keeps failing on (or\n")
	b.WriteString("dead-letters itself) ends in the queue's DLQ; a message SNS cannot deliver ends in the subscription's\n")
	b.WriteString("DLQ. Names are the logical ids of `template.yaml`.\n\n")
	b.WriteString("| Consumer | Queue | Queue DLQ | Subscription | Subscription DLQ | Filter policy |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, r := range Routes {
		consumer := "none: people read it"
		if r.Consumer != "" {
			consumer = "`" + r.Consumer + "`"
		}
		fmt.Fprintf(b, "| %s | `%s` | `%s` | `%s` | `%s` | `%s` |\n",
			consumer, r.Queue, r.DLQ, r.Subscription, r.SubscriptionDLQ, r.FilterPolicy())
	}
}

func writePayloads(b *strings.Builder) {
	b.WriteString("\n## Payloads\n")
	for _, s := range Catalog {
		fmt.Fprintf(b, "\n### `%s`\n\n", s.Type)
		t := reflect.TypeOf(s.NewPayload())
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		fmt.Fprintf(b, "Go type `event.%s`.\n\n", t.Name())
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
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", name, jsonType(f.Type), yesNo(!slices.Contains(strings.Split(opts, ","), "omitempty")))
		}
	}
}

func writeStatuses(b *strings.Builder) {
	b.WriteString("\n## Statuses\n\n")
	var steps, terminal []string
	for _, st := range Statuses() {
		if finalStatusOf(st) {
			terminal = append(terminal, "`"+st+"`")
		} else {
			steps = append(steps, "`"+st+"`")
		}
	}
	b.WriteString("A request's status only moves forward, " + strings.Join(steps, " → ") + " → " + strings.Join(terminal, " | ") + ":\n")
	b.WriteString("the terminal statuses share one rank, so the first terminal event wins. Each change records its event in\n")
	b.WriteString("the request's history (the status table).")
	var readers []string
	for _, fn := range catalogFunctions() {
		if !slices.ContainsFunc(StatusChanges(), func(c StatusChange) bool { return c.Function == fn }) {
			readers = append(readers, "`"+fn+"`")
		}
	}
	switch len(readers) {
	case 0:
	case 1:
		b.WriteString(" " + readers[0] + " only reads it.")
	default:
		b.WriteString(" " + strings.Join(readers, ", ") + " only read it.")
	}
	b.WriteString("\n\n")
	b.WriteString("| Status | Set by | History event | When |\n|---|---|---|---|\n")
	for _, c := range StatusChanges() {
		ev := "—"
		if c.Event != "" {
			ev = "`" + c.Event + "`"
		}
		fmt.Fprintf(b, "| `%s` | `%s` | %s | %s |\n", c.Status, c.Function, ev, escapeCell(c.When))
	}
}

func writeLaunchFailedCodes(b *strings.Builder) {
	b.WriteString("\n## `launch.failed` codes\n\n")
	b.WriteString("The `code` of a `launch.failed` payload, which the notifier records as the `FAILED` request's `error.code`\n")
	b.WriteString("(with `message` as `error.message`) and sends in the notification's `error`.\n\n")
	writeCodes(b, codesFor(useLaunchFailed))
}

func writeCodes(b *strings.Builder, cs []failureCode) {
	b.WriteString("| Code | Set by | When |\n|---|---|---|\n")
	for _, c := range cs {
		code := "`" + c.Code + "`"
		switch {
		case c.Code != "":
		case c.Exhaustive:
			code = "the AWS error code, one of " + codeList(c.Examples)
		default:
			code = "the AWS code, e.g. " + codeList(c.Examples)
		}
		fmt.Fprintf(b, "| %s | `%s.%s` | %s |\n", code, c.Package, c.SetBy, escapeCell(c.When))
	}
}

// docField describes one JSON member of a document this package does not
// own the Go type of.
type docField struct {
	Name      string
	Type      string
	AlwaysSet bool
	Meaning   string
}

// notificationFields describe notifier.Notification, which cannot be
// reflected on here (the notifier imports this package); a test checks
// them against it.
var notificationFields = []docField{
	{Name: "requestId", Type: "string", AlwaysSet: true, Meaning: "the launch request id"},
	{Name: "status", Type: "string", AlwaysSet: true, Meaning: "the request's final status, as stored: the first terminal event's, which may not be the one being handled"},
	{Name: "instanceIds", Type: "array of string", AlwaysSet: true, Meaning: "the request's instances (`[]` when none was launched)"},
	{Name: "error", Type: "object", AlwaysSet: false, Meaning: "on `FAILED`: `code` and `message`, see [`launch.failed` codes](#launchfailed-codes)"},
	{Name: "correlationId", Type: "string", AlwaysSet: true, Meaning: "the correlation id of the whole chain"},
	{Name: "event", Type: "string", AlwaysSet: true, Meaning: "the terminal event type that set the status"},
}

// notificationAttrStatus is the notification's status attribute
// (notifier.AttrStatus).
const notificationAttrStatus = "status"

// notificationType is the type attribute of a notification for a final
// status (notifier.NotificationType).
func notificationType(finalStatus string) string {
	return "notification." + strings.ToLower(finalStatus)
}

// notificationExamples are notifications byte for byte as the notifier
// publishes them: a test replays each through the notifier.
var notificationExamples = []string{
	`{"requestId":"5daa99a7-d852-4bf7-a9c5-ca05290d2dca","status":"RUNNING","instanceIds":["i-a65774371cf64b11d"],"correlationId":"0c6f7ab4-1f2e-4c3d-9b8a-7e6d5c4b3a29","event":"instance.running"}`,
	`{"requestId":"9e4b1c2d-3f5a-4e6b-8c7d-0a1b2c3d4e5f","status":"FAILED","instanceIds":[],"error":{"code":"InvalidAMIID.NotFound","message":"The image id '[ami-0abcdef1234567890]' does not exist"},"correlationId":"4a3b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0","event":"launch.failed"}`,
}

func writeNotifications(b *strings.Builder) {
	b.WriteString("\n## Notifications\n\n")
	b.WriteString("Once a request is closed the notifier publishes one JSON document to `" + NotificationsTopic + "`; a terminal\n")
	b.WriteString("event redelivered after that publishes nothing, but one redelivered after a crash between publishing and\n")
	b.WriteString("recording it publishes it again. Message attributes:\n\n")
	b.WriteString("| Attribute | Value |\n|---|---|\n")
	var types []string
	for _, st := range Statuses() {
		for _, s := range Catalog {
			if s.Terminal && s.FinalStatus == st {
				types = append(types, notificationType(st))
				break
			}
		}
	}
	fmt.Fprintf(b, "| `%s` | %s, by final status |\n", AttrType, codeList(types))
	fmt.Fprintf(b, "| `%s` | the final status |\n", notificationAttrStatus)
	fmt.Fprintf(b, "| `%s` | the request's correlation id |\n\n", AttrCorrelationID)
	b.WriteString("Go type `notifier.Notification`.\n\n")
	b.WriteString("| Field | Type | Always set | Meaning |\n|---|---|---|---|\n")
	for _, f := range notificationFields {
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", f.Name, f.Type, yesNo(f.AlwaysSet), escapeCell(f.Meaning))
	}
	b.WriteString("\nFor example (published on one line):\n")
	for _, ex := range notificationExamples {
		var out bytes.Buffer
		if err := json.Indent(&out, []byte(ex), "", "  "); err != nil {
			panic(err) // the examples are tested to be the notifier's output
		}
		b.WriteString("\n```json\n" + out.String() + "\n```\n")
	}
}

// deadLetterAttributes are the attributes consumer.DeadLetterInput writes
// first; a test checks them against it.
var deadLetterAttributes = []struct{ Name, Value string }{
	{AttrErrorCode, "the reason code (below), at most 256 bytes"},
	{AttrErrorMessage, "the reason in words, at most 1024 bytes"},
	{AttrErrorFunction, "the function that gave up on the record"},
	{AttrType, "the record's; set from the envelope when the record had none"},
	{AttrCorrelationID, "the record's"},
}

func writeDeadLetters(b *strings.Builder) {
	b.WriteString("\n## Dead letters\n\n")
	b.WriteString("A record a consumer gives up on itself goes to its queue's DLQ with its body unchanged and these message\n")
	b.WriteString("attributes, then the record's other attributes by name, up to SQS's 10 per message (a stale `error.*`\n")
	b.WriteString("attribute is replaced, an empty value is written `unknown`):\n\n")
	b.WriteString("| Attribute | Value |\n|---|---|\n")
	for _, a := range deadLetterAttributes {
		fmt.Fprintf(b, "| `%s` | %s |\n", a.Name, escapeCell(a.Value))
	}
	b.WriteString("\nA record the queue's redrive policy moves after `maxReceiveCount` receives (errors the consumer did not\n")
	b.WriteString("class permanent, timeouts, panics), and a message SNS could not deliver (in a subscription DLQ), carry no\n")
	b.WriteString("`error.*` attributes.\n\n")
	b.WriteString("Reason codes (`" + AttrErrorCode + "`):\n\n")
	writeCodes(b, codesFor(useDeadLetter))
	if retries := codesFor(useRetry); len(retries) > 0 {
		b.WriteString("\nA retry is not a dead letter: the request's hops record it with the AWS error code, or with one of\n")
		b.WriteString("these codes:\n\n")
		writeCodes(b, retries)
	}
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

// finalStatusOf reports whether a status is the FinalStatus of a
// terminal event.
func finalStatusOf(st string) bool {
	return slices.ContainsFunc(Catalog, func(s Spec) bool { return s.Terminal && s.FinalStatus == st })
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func escapeCell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}
