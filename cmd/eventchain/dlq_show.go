package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eventchain/eventchain/internal/dlq"
)

// listFlag is a flag that may be repeated or given comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// sinceFlag is a point in time given as a duration back from now (2h) or
// as an RFC 3339 time.
type sinceFlag struct{ t time.Time }

func (s *sinceFlag) String() string {
	if s.t.IsZero() {
		return ""
	}
	return s.t.Format(time.RFC3339)
}

func (s *sinceFlag) Set(v string) error {
	if d, err := time.ParseDuration(v); err == nil {
		if d < 0 {
			return errors.New("a duration back from now must not be negative")
		}
		s.t = time.Now().Add(-d)
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return errors.New("want a duration (90m, 2h) or an RFC 3339 time (2025-12-01T18:00:00Z)")
	}
	s.t = t
	return nil
}

// selection is the --type, --reason, --since and --ids filters.
type selection struct {
	types, reasons, ids listFlag
	since               sinceFlag
}

func (s *selection) register(fs *flag.FlagSet, withReason, withSince, withIDs bool) {
	fs.Var(&s.types, "type", "only messages of event `TYPE` (repeatable or comma-separated)")
	if withReason {
		fs.Var(&s.reasons, "reason", "only messages dead-lettered for reason `CODE` (an error.code such as InvalidPayload, or MaxReceiveCount, DeliveryFailed, Unknown)")
	}
	if withSince {
		fs.Var(&s.since, "since", "only messages enqueued in the last `D` (90m, 2h) or since an RFC 3339 time")
	}
	if withIDs {
		fs.Var(&s.ids, "ids", "only the messages with these message or event `IDs` (comma-separated)")
	}
}

func (s *selection) empty() bool {
	return len(s.types) == 0 && len(s.reasons) == 0 && len(s.ids) == 0 && s.since.t.IsZero()
}

// matches applies the filters; fallback is the DLQ's reason for messages
// without error.* attributes.
func (s *selection) matches(m *dlq.Message, fallback dlq.Reason) bool {
	if len(s.types) > 0 && !slices.Contains(s.types, m.Event().Type) {
		return false
	}
	if len(s.reasons) > 0 && !slices.ContainsFunc(s.reasons, func(r string) bool { return strings.EqualFold(r, m.Reason(fallback).Code) }) {
		return false
	}
	if !s.since.t.IsZero() && m.Sent.Before(s.since.t) {
		return false
	}
	if len(s.ids) > 0 && !slices.Contains(s.ids, m.ID) && !slices.Contains(s.ids, m.Event().ID) {
		return false
	}
	return true
}

// messageView is a message as show prints it.
type messageView struct {
	MessageID     string          `json:"messageId"`
	Sent          time.Time       `json:"sent"`
	Type          string          `json:"type"`
	RequestID     string          `json:"requestId,omitempty"`
	CorrelationID string          `json:"correlationId,omitempty"`
	EventID       string          `json:"eventId,omitempty"`
	EventTime     *time.Time      `json:"eventTime,omitempty"`
	ReceiveCount  int             `json:"receiveCount"`
	FirstReceive  *time.Time      `json:"firstReceive,omitempty"`
	Reason        dlq.Reason      `json:"reason"`
	SourceARN     string          `json:"deadLetterSourceArn,omitempty"`
	GroupID       string          `json:"messageGroupId,omitempty"`
	Malformed     string          `json:"malformed,omitempty"`
	Payload       json.RawMessage `json:"payload"`
}

func viewOf(m *dlq.Message, fallback dlq.Reason) messageView {
	ev := m.Event()
	v := messageView{MessageID: m.ID, Sent: m.Sent, Type: ev.Type, RequestID: ev.RequestID, CorrelationID: ev.CorrelationID,
		EventID: ev.ID, ReceiveCount: m.ReceiveCount(), Reason: m.Reason(fallback), SourceARN: m.SourceARN, GroupID: m.GroupID,
		Malformed: ev.Malformed, Payload: ev.Data}
	if !ev.Time.IsZero() {
		v.EventTime = &ev.Time
	}
	if t := m.FirstReceive(); !t.IsZero() {
		v.FirstReceive = &t
	}
	return v
}

// counts is a tally by key, printed largest first.
type counts map[string]int

func (c counts) sorted() []string {
	keys := slices.Collect(maps.Keys(c))
	slices.SortFunc(keys, func(a, b string) int {
		if c[a] != c[b] {
			return c[b] - c[a]
		}
		return strings.Compare(a, b)
	})
	return keys
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func runDLQShow(e *dlqEnv, args []string) error {
	fs := e.flagSet("show", true, true)
	limit := fs.Int("limit", 50, "print at most `N` messages (0: all); the summary counts every message read")
	var sel selection
	sel.register(fs, true, true, false)
	visibility := fs.Duration("visibility", 30*time.Second, "visibility timeout of the messages show holds, extended while it reads")
	q, st, err := e.openQueue(fs, args)
	if err != nil {
		return err
	}
	topo, _ := e.topology()
	fallback := dlq.FallbackReason(topo.Sources(q.LogicalID))
	if rp := st.RedrivePolicy; rp != nil {
		fmt.Fprintf(e.stderr, "warning: %s has a redrive policy of its own: every read counts as a receive, and a message received %d times moves on to %s.\n"+
			"         This show receives each message once; reading it again and again moves messages.\n", q.Label(), rp.MaxReceiveCount, dlq.NameFromARN(rp.DeadLetterTargetARN))
	}
	if st.InFlight > 0 {
		fmt.Fprintf(e.stderr, "note: %d messages of %s are in flight (someone holds them): show cannot see them.\n", st.InFlight, q.Label())
	}
	if st.Visible > 0 {
		fmt.Fprintf(e.stderr, "reading %d messages of %s; while show holds them the queue's visible count (what its depth alarm watches) reads 0.\n", st.Visible, q.Label())
	}

	bar := e.newProgress("reading "+q.Label(), int64(st.Visible), false)
	var read []*dlq.Message
	stats, scanErr := dlq.Scan(e.ctx, e.sqs, q.URL, dlq.ScanOptions{Visibility: *visibility, Finish: e.finish, Logger: e.log,
		Progress: func(seen, expected int) { bar.set(int64(seen), int64(expected)) }},
		func(m *dlq.Message) error {
			read = append(read, m)
			return nil
		})
	bar.done()

	byType, byReason := counts{}, counts{}
	var matched []messageView
	for _, m := range read {
		v := viewOf(m, fallback)
		byType[orNone(v.Type)]++
		byReason[v.Reason.Code]++
		if sel.matches(m, fallback) {
			matched = append(matched, v)
		}
	}
	shown := matched
	if *limit > 0 && len(shown) > *limit {
		shown = shown[:*limit]
	}
	if e.f.json {
		out := struct {
			Queue    queueView     `json:"queue"`
			Expected int           `json:"expected"`
			Read     int           `json:"read"`
			InFlight int           `json:"inFlight"`
			Matched  int           `json:"matched"`
			Messages []messageView `json:"messages"`
			ByType   counts        `json:"byType"`
			ByReason counts        `json:"byReason"`
		}{viewOfQueue(q), stats.Expected, stats.Seen, stats.InFlight, len(matched), shown, byType, byReason}
		if out.Messages == nil {
			out.Messages = []messageView{}
		}
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
	} else {
		printMessages(e.stdout, shown, len(matched))
		printShowSummary(e.stdout, q, stats, len(matched), len(shown), sel.empty(), byType, byReason)
	}
	if scanErr == nil && stats.Seen < stats.Expected {
		fmt.Fprintf(e.stderr, "note: %v.\n", incomplete(q, st, stats))
	}
	if stats.Rereceived > 0 {
		fmt.Fprintf(e.stderr, "note: %d receives came back for messages show already held (an extension of their visibility timeout came late); their receive counts are corrected.\n", stats.Rereceived)
	}
	return scanErr
}

func first(pos []string) string {
	if len(pos) == 0 {
		return ""
	}
	return pos[0]
}

func printMessages(w io.Writer, views []messageView, matched int) {
	now := time.Now()
	for i, v := range views {
		fmt.Fprintf(w, "── %d/%d  message %s  enqueued %s\n", i+1, matched, v.MessageID, when(v.Sent, now))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "   type\t%s\n", orNone(v.Type))
		fmt.Fprintf(tw, "   request\t%s\n", orDash(v.RequestID))
		fmt.Fprintf(tw, "   correlation\t%s\n", orDash(v.CorrelationID))
		ev := orDash(v.EventID)
		if v.EventTime != nil {
			ev += " at " + v.EventTime.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "   event\t%s\n", ev)
		first := "never before"
		if v.FirstReceive != nil {
			first = "first " + when(*v.FirstReceive, now)
		}
		fmt.Fprintf(tw, "   receives\t%d (%s; this show's own not counted)\n", v.ReceiveCount, first)
		reason := v.Reason.Code
		if v.Reason.Function != "" {
			reason += " (" + v.Reason.Function + ")"
		}
		if v.Reason.Message != "" {
			reason += ": " + v.Reason.Message
		}
		fmt.Fprintf(tw, "   reason\t%s\n", reason)
		if v.GroupID != "" {
			fmt.Fprintf(tw, "   group\t%s\n", v.GroupID)
		}
		fmt.Fprintf(tw, "   payload\t%s\n", payloadLine(v.Payload))
		tw.Flush()
	}
}

// payloadLine prints a payload on one line, cut at 600 bytes.
func payloadLine(p json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, p) != nil {
		b.Reset()
		b.Write(p)
	}
	s := b.String()
	if len(s) > 600 {
		return fmt.Sprintf("%s… (%d bytes; --json prints it whole)", strings.ToValidUTF8(s[:600], ""), len(s))
	}
	return s
}

func printShowSummary(w io.Writer, q dlq.Queue, stats dlq.ScanStats, matched, shown int, unfiltered bool, byType, byReason counts) {
	if shown > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s: read %d of %d visible messages", q.Label(), stats.Seen, stats.Expected)
	if stats.InFlight > 0 {
		fmt.Fprintf(w, " (%d more in flight, not seen)", stats.InFlight)
	}
	fmt.Fprintln(w, "; all visible again.")
	if !unfiltered {
		fmt.Fprintf(w, "%d match the filters.\n", matched)
	}
	if shown < matched {
		fmt.Fprintf(w, "%d shown (--limit); --limit 0 shows all %d.\n", shown, matched)
	}
	if stats.Seen == 0 {
		return
	}
	fmt.Fprintln(w)
	printCounts(w, "TYPE", byType)
	fmt.Fprintln(w)
	printCounts(w, "REASON", byReason)
}

func printCounts(w io.Writer, what string, c counts) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tMESSAGES\n", what)
	for _, k := range c.sorted() {
		fmt.Fprintf(tw, "%s\t%d\n", k, c[k])
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// when is a time for people: local date and time, and how long ago.
func when(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime) + " (" + ago(now.Sub(t)) + ")"
}

func ago(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm ago", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// queueView names a queue in JSON output.
type queueView struct {
	LogicalID string `json:"logicalId,omitempty"`
	Name      string `json:"name"`
	URL       string `json:"url"`
}

func viewOfQueue(q dlq.Queue) queueView { return queueView{q.LogicalID, q.Name, q.URL} }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
