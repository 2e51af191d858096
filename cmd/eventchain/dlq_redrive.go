package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eventchain/eventchain/internal/dlq"
)

func runDLQRedrive(e *dlqEnv, args []string) error {
	fs := e.flagSet("redrive", true, true)
	to := fs.String("to", "", "move to `TARGET` (logical id, name, URL or ARN) instead of the queue the messages failed in")
	var sel selection
	sel.register(fs, false, false, true)
	rate := fs.Int("rate", 0, fmt.Sprintf("move at most `N` messages a second, 1 to %d (default: a move task lets SQS choose; message by message, as fast as SQS takes them)", dlq.MaxMoveRate))
	dryRun := fs.Bool("dry-run", false, "say what would move and where, moving nothing (reads the DLQ as show does)")
	cancelTask := fs.Bool("cancel", false, "cancel the move task running from QUEUE (one a killed redrive left running)")
	q, st, err := e.openQueue(fs, args, func() error {
		if *rate < 0 || *rate > dlq.MaxMoveRate {
			return usagef("--rate %d: SQS moves 1 to %d messages a second", *rate, dlq.MaxMoveRate)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if *cancelTask {
		return cancelMoveTask(e, q, st)
	}

	sources, err := e.sourcesOf(q)
	if err != nil {
		return err
	}
	target, targetState, err := e.redriveTarget(q, sources, *to)
	if err != nil {
		return err
	}
	if targetState.FIFO != st.FIFO {
		return fmt.Errorf("%s is %s and %s is %s: SQS redrives between queues of the same type only", q.Label(), kind(st.FIFO), target.Label(), kind(targetState.FIFO))
	}
	// SQS moves tasks out of DLQs of SQS queues only; a DLQ only
	// subscriptions dead-letter into is emptied message by message.
	sqsSourced := slices.ContainsFunc(sources, func(s dlq.Source) bool { return s.Subscription == nil })
	fromSubscription := len(sources) > 0 && !sqsSourced
	viaTask := sqsSourced && sel.empty()
	plan := redrivePlan{Source: viewOfQueue(q), Target: viewOfQueue(target), Visible: st.Visible, InFlight: st.InFlight,
		Effect: dlq.ConsumerEffect(target.Consumer, target.Label())}
	switch {
	case viaTask:
		plan.Mode, plan.Why = "move-task", "a whole DLQ of an SQS queue: an SQS message move task, with DestinationArn "+target.Label()
	case fromSubscription:
		plan.Mode, plan.Why = "message-by-message", "a subscription's DLQ (SQS move tasks take DLQs of SQS queues only): each message is sent to "+target.Label()+", then deleted here; never re-published to the topic"
	case !sel.empty():
		plan.Mode, plan.Why = "message-by-message", "a selection of messages: each is sent to "+target.Label()+", then deleted here"
	default:
		plan.Mode, plan.Why = "message-by-message", "no queue dead-letters into "+q.Label()+" (SQS move tasks take DLQs of SQS queues only): each message is sent to "+target.Label()+", then deleted here"
	}
	if !e.f.json {
		printPlan(e.stdout, plan, *dryRun)
	}
	if st.Visible == 0 {
		if e.f.json {
			return writeJSON(e.stdout, plan)
		}
		fmt.Fprintf(e.stdout, "\n%s holds no visible message: nothing to redrive.\n", q.Label())
		return nil
	}

	if viaTask && !*dryRun {
		return redriveByTask(e, q, target, targetState, st, *rate, plan)
	}
	fallback := dlq.FallbackReason(sources)
	bar := e.newProgress("redriving "+q.Label(), int64(st.Visible), false)
	res, err := dlq.Redrive(e.ctx, e.sqs, dlq.RedriveOptions{
		SourceURL: q.URL, Target: targetState, Rate: float64(*rate), DryRun: *dryRun,
		Select: func(m *dlq.Message) bool { return sel.matches(m, fallback) },
		Scan: dlq.ScanOptions{Finish: e.finish, Logger: e.log,
			Progress: func(seen, expected int) { bar.set(int64(seen), int64(expected)) }},
	})
	bar.done()
	plan.Selected, plan.Moved, plan.ByType = res.Selected, res.Moved, res.ByType
	if res.InBoth != nil {
		ev := res.InBoth.Event()
		plan.InBoth = &inBothView{MessageID: res.InBoth.ID, EventID: ev.ID, Type: ev.Type, RequestID: ev.RequestID, Certain: !res.Uncertain}
	}
	if e.f.json {
		if jerr := writeJSON(e.stdout, plan); jerr != nil {
			return errors.Join(err, jerr)
		}
	} else {
		printRedriveResult(e.stdout, q, target, plan, *dryRun, res.Scan)
	}
	if plan.InBoth != nil {
		printInBoth(e.stderr, plan.InBoth, q, target)
	}
	return err
}

// redrivePlan is what a redrive does, and then did.
type redrivePlan struct {
	Source   queueView      `json:"source"`
	Target   queueView      `json:"target"`
	Mode     string         `json:"mode"`
	Why      string         `json:"why"`
	Visible  int            `json:"visible"`
	InFlight int            `json:"inFlight"`
	Effect   string         `json:"consumerEffect,omitempty"`
	Selected int            `json:"selected"`
	Moved    int            `json:"moved"`
	ByType   map[string]int `json:"byType,omitempty"`
	Task     *moveTaskView  `json:"moveTask,omitempty"`
	InBoth   *inBothView    `json:"inBoth,omitempty"`
}

// inBothView names the message an interrupted redrive left in both queues.
type inBothView struct {
	MessageID string `json:"messageId"`
	EventID   string `json:"eventId,omitempty"`
	Type      string `json:"type,omitempty"`
	RequestID string `json:"requestId,omitempty"`
	// Certain: the target has it. Otherwise its send got no answer.
	Certain bool `json:"certain"`
}

// messages counts messages for people.
func messages[N int | int64](n N) string {
	if n == 1 {
		return "1 message"
	}
	return fmt.Sprintf("%d messages", n)
}

func kind(fifo bool) string {
	if fifo {
		return "a FIFO queue"
	}
	return "a standard queue"
}

// sourcesOf lists where a DLQ's messages come from: from the topology,
// else (a queue it does not declare) from SQS's dead-letter source list.
func (e *dlqEnv) sourcesOf(q dlq.Queue) ([]dlq.Source, error) {
	topo, _ := e.topology()
	if s := topo.Sources(q.LogicalID); len(s) > 0 {
		return s, nil
	}
	urls, err := dlq.DeadLetterSources(e.ctx, e.sqs, q.URL)
	if err != nil {
		return nil, err
	}
	var out []dlq.Source
	for _, u := range urls {
		sq, ok := topo.Find(u)
		if !ok {
			sq = dlq.Queue{URL: u, Name: dlq.NameFromURL(u)}
		}
		out = append(out, dlq.Source{Queue: sq})
	}
	return out, nil
}

// redriveTarget is --to, or the one queue the DLQ's messages failed in.
func (e *dlqEnv) redriveTarget(q dlq.Queue, sources []dlq.Source, to string) (dlq.Queue, dlq.QueueState, error) {
	if to != "" {
		t, st, err := e.resolve(to)
		if err == nil && t.URL == q.URL {
			err = usagef("--to names %s itself", q.Label())
		}
		return t, st, err
	}
	switch len(sources) {
	case 0:
		return dlq.Queue{}, dlq.QueueState{}, usagef("no queue or subscription of %s dead-letters into %s: name the target with --to", e.topoOrigin(), q.Label())
	case 1:
	default:
		var names []string
		for _, s := range sources {
			names = append(names, s.Describe())
		}
		return dlq.Queue{}, dlq.QueueState{}, usagef("%s receives from %s: choose the target with --to", q.Label(), strings.Join(names, " and "))
	}
	t := sources[0].Queue
	if t.URL == "" {
		return t, dlq.QueueState{}, fmt.Errorf("%s: the queue %s dead-letters from is not in %s", q.Label(), sources[0].Describe(), e.topoOrigin())
	}
	st, err := dlq.Describe(e.ctx, e.sqs, t.URL)
	if err != nil {
		return t, st, err
	}
	t.ARN = st.ARN
	return t, st, nil
}

func printPlan(w io.Writer, p redrivePlan, dryRun bool) {
	verb := "redrive"
	if dryRun {
		verb = "dry run: would redrive"
	}
	fmt.Fprintf(w, "%s %s → %s: %d visible messages", verb, labelOf(p.Source), labelOf(p.Target), p.Visible)
	if p.InFlight > 0 {
		fmt.Fprintf(w, " (%d in flight stay)", p.InFlight)
	}
	fmt.Fprintf(w, "\n  how   %s\n", wrap(p.Why, "        ", 100))
	if p.Effect != "" {
		fmt.Fprintf(w, "  then  %s\n", wrap(p.Effect, "        ", 100))
	}
}

// wrap breaks s into lines of at most width bytes (a longer word stays
// whole), indenting every line but the first.
func wrap(s, indent string, width int) string {
	var b strings.Builder
	line := len(indent)
	for i, word := range strings.Fields(s) {
		if i > 0 && line+1+len(word) > width {
			b.WriteString("\n" + indent)
			line = len(indent)
		} else if i > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(word)
		line += len(word)
	}
	return b.String()
}

func labelOf(v queueView) string {
	if v.LogicalID != "" {
		return v.LogicalID
	}
	return v.Name
}

func redriveByTask(e *dlqEnv, q, target dlq.Queue, targetState, st dlq.QueueState, rate int, plan redrivePlan) error {
	bar := e.newProgress("moving "+q.Label()+" → "+target.Label(), int64(st.Visible), true)
	began := time.Now()
	task, err := dlq.Move(e.ctx, e.sqs, dlq.MoveOptions{SourceARN: st.ARN, DestinationARN: targetState.ARN, Rate: rate, Finish: e.finish,
		Poll: movePoll(rate, st.Visible),
		Progress: func(t dlq.MoveTask) {
			bar.set(t.Moved, t.ToMove)
		}})
	bar.done()
	if task.Status != "" {
		plan.Task = taskView(task)
		plan.Moved = int(task.Moved)
	}
	if errors.Is(err, dlq.ErrTaskActive) {
		return fmt.Errorf("%w; wait for it (eventchain dlq list shows it) or stop it: eventchain dlq redrive %s --cancel", err, q.Label())
	}
	after, derr := dlq.Describe(e.finish, e.sqs, q.URL)
	if e.f.json {
		return errors.Join(err, writeJSON(e.stdout, plan))
	}
	switch {
	case err == nil:
		fmt.Fprintf(e.stdout, "\nmoved %s from %s to %s (move task %s in %s).\n", messages(task.Moved), q.Label(), target.Label(), task.Status, time.Since(began).Round(10*time.Millisecond))
	case errors.Is(err, dlq.ErrInterrupted) && task.Status != "":
		fmt.Fprintf(e.stdout, "\nmove task %s: the %s it moved to %s stay there; the others stay in %s.\n", task.Status, messages(task.Moved), target.Label(), q.Label())
	}
	if derr == nil {
		fmt.Fprintf(e.stdout, "%s now holds %d visible and %d in flight", q.Label(), after.Visible, after.InFlight)
		if after.Depth() > 0 {
			fmt.Fprint(e.stdout, " (in flight when the task started, or dead-lettered again since)")
		}
		fmt.Fprintln(e.stdout, ".")
	}
	return err
}

// movePoll reads a task's progress often enough for a bar, rarely on a
// slow one.
func movePoll(rate, n int) time.Duration {
	if rate > 0 && n/rate > 60 {
		return 2 * time.Second
	}
	return 250 * time.Millisecond
}

func printRedriveResult(w io.Writer, q, target dlq.Queue, p redrivePlan, dryRun bool, stats dlq.ScanStats) {
	fmt.Fprintln(w)
	if dryRun {
		fmt.Fprintf(w, "would move %d of the %d messages read from %s to %s (nothing moved; all visible again).\n", p.Selected, stats.Seen, q.Label(), target.Label())
	} else {
		fmt.Fprintf(w, "moved %d of %d selected messages from %s to %s", p.Moved, p.Selected, q.Label(), target.Label())
		switch rest := stats.Seen - p.Selected; {
		case rest == 1:
			fmt.Fprintf(w, "; the other one stays in %s, visible again", q.Label())
		case rest > 1:
			fmt.Fprintf(w, "; the %d others stay in %s, visible again", rest, q.Label())
		}
		fmt.Fprintln(w, ".")
	}
	if len(p.ByType) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tSELECTED")
	c := counts(p.ByType)
	for _, k := range c.sorted() {
		fmt.Fprintf(tw, "%s\t%d\n", orNone(k), c[k])
	}
	tw.Flush()
}

func printInBoth(w io.Writer, m *inBothView, q, target dlq.Queue) {
	what := fmt.Sprintf("message %s", m.MessageID)
	if m.EventID != "" {
		what += fmt.Sprintf(" (event %s, %s, request %s)", m.EventID, orNone(m.Type), orDash(m.RequestID))
	}
	if m.Certain {
		fmt.Fprintf(w, "warning: %s was sent to %s and is still in %s: it may be delivered twice.\n", what, target.Label(), q.Label())
	} else {
		fmt.Fprintf(w, "warning: the send of %s to %s got no answer: it is still in %s and may also be in %s, so it may be delivered twice.\n", what, target.Label(), q.Label(), target.Label())
	}
	fmt.Fprintln(w, "         The consumers are idempotent, so a second delivery changes nothing; every other message is in one queue only.")
}

func cancelMoveTask(e *dlqEnv, q dlq.Queue, st dlq.QueueState) error {
	ts, err := dlq.MoveTasks(e.ctx, e.sqs, st.ARN)
	if err != nil {
		return err
	}
	if len(ts) == 0 || !ts[0].Active() || ts[0].Handle == "" {
		fmt.Fprintf(e.stdout, "no move task is running from %s.\n", q.Label())
		return nil
	}
	if _, err := dlq.CancelMove(e.ctx, e.sqs, ts[0].Handle); err != nil {
		return err
	}
	started := ts[0].Started
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		ts, err = dlq.MoveTasks(e.ctx, e.sqs, st.ARN)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.Started.Equal(started) && !t.Active() {
				fmt.Fprintf(e.stdout, "move task from %s %s: the %d messages it moved stay moved; the others stay in %s.\n", q.Label(), t.Status, t.Moved, q.Label())
				return nil
			}
		}
	}
	return fmt.Errorf("the move task from %s was cancelled but still runs after a minute", q.Label())
}
