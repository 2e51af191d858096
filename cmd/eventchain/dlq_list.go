package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eventchain/eventchain/internal/dlq"
)

func runDLQList(e *dlqEnv, args []string) error {
	fs := e.flagSet("list", false, true)
	if _, err := parseDLQArgs(fs, args, 0); err != nil {
		return err
	}
	if err := e.connect(); err != nil {
		return err
	}
	topo, err := e.topology()
	if err != nil {
		return err
	}
	rows, cwErr := dlq.Inspect(e.ctx, e.sqs, e.cw, topo)
	var missing []string
	for _, r := range rows {
		switch dlq.Classify(r.Err) {
		case dlq.KindUnreachable, dlq.KindAccessDenied:
			return r.Err
		case dlq.KindUnknownQueue:
			missing = append(missing, r.Queue.Label())
		}
	}
	if e.f.json {
		if err := writeJSON(e.stdout, listJSON(rows)); err != nil {
			return err
		}
	} else {
		printList(e, topo, rows, cwErr)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s has no queue for %s of %s", dlq.ErrUnknownQueue, e.where, strings.Join(missing, ", "), topo.Origin)
	}
	return nil
}

func printList(e *dlqEnv, topo *dlq.Topology, rows []dlq.Row, cwErr error) {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DLQ\tMESSAGES\tIN FLIGHT\tOLDEST\tSOURCE\tALARM\tMOVE TASK")
	for _, r := range rows {
		visible, inFlight := fmt.Sprint(r.State.Visible), fmt.Sprint(r.State.InFlight)
		if r.Err != nil {
			visible, inFlight = "missing", "-"
			if dlq.Classify(r.Err) != dlq.KindUnknownQueue {
				visible = "error"
			}
		}
		oldest := dlq.Unknown
		if r.OldestKnown {
			oldest = r.Oldest.Round(time.Second).String()
		}
		var sources []string
		for _, s := range r.Sources {
			sources = append(sources, s.Describe())
		}
		alarm := r.AlarmState
		if alarm == "" {
			alarm = "none"
		}
		task := "-"
		if t := r.Task; t != nil {
			task = fmt.Sprintf("%s %d/%d", t.Status, t.Moved, t.ToMove)
			if t.DestinationARN != "" {
				task += " → " + dlq.NameFromARN(t.DestinationARN)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Queue.Label(), visible, inFlight, oldest, strings.Join(sources, ", "), alarm, task)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "\n%d DLQs of %s at %s.", len(rows), topo.Origin, e.where)
	if cwErr != nil {
		// Alarms and metrics are separate CloudWatch calls: name the
		// columns that are unknown (localcloud has alarms, not metrics).
		var cols []string
		if slices.ContainsFunc(rows, func(r dlq.Row) bool { return r.Err == nil && !r.OldestKnown }) {
			cols = append(cols, "OLDEST")
		}
		if slices.ContainsFunc(rows, func(r dlq.Row) bool { return r.AlarmState == dlq.Unknown }) {
			cols = append(cols, "ALARM")
		}
		switch len(cols) {
		case 1:
			fmt.Fprintf(e.stdout, " %s comes from CloudWatch, which did not answer for it: unknown.", cols[0])
		case 2:
			fmt.Fprintf(e.stdout, " OLDEST and ALARM come from CloudWatch, which did not answer: unknown.")
		}
	}
	fmt.Fprintln(e.stdout)
	for _, r := range rows {
		if r.Err != nil && dlq.Classify(r.Err) != dlq.KindUnknownQueue {
			fmt.Fprintf(e.stdout, "%s: %v\n", r.Queue.Label(), r.Err)
		}
	}
}

// listRow is a listing row in JSON.
type listRow struct {
	queueView
	Visible       int           `json:"visible"`
	InFlight      int           `json:"inFlight"`
	Delayed       int           `json:"delayed"`
	OldestSeconds *float64      `json:"oldestSeconds"`
	Sources       []string      `json:"sources"`
	Alarm         string        `json:"alarm,omitempty"`
	AlarmState    string        `json:"alarmState"`
	MoveTask      *moveTaskView `json:"moveTask,omitempty"`
	Error         string        `json:"error,omitempty"`
}

type moveTaskView struct {
	Status      string    `json:"status"`
	Moved       int64     `json:"moved"`
	ToMove      int64     `json:"toMove"`
	Destination string    `json:"destinationArn,omitempty"`
	Started     time.Time `json:"started"`
	Failure     string    `json:"failure,omitempty"`
}

func taskView(t dlq.MoveTask) *moveTaskView {
	return &moveTaskView{Status: t.Status, Moved: t.Moved, ToMove: t.ToMove, Destination: t.DestinationARN, Started: t.Started, Failure: t.Failure}
}

func listJSON(rows []dlq.Row) []listRow {
	out := make([]listRow, 0, len(rows))
	for _, r := range rows {
		lr := listRow{queueView: viewOfQueue(r.Queue), Visible: r.State.Visible, InFlight: r.State.InFlight, Delayed: r.State.Delayed,
			Sources: []string{}, Alarm: r.Alarm, AlarmState: r.AlarmState}
		if lr.AlarmState == "" {
			lr.AlarmState = "none"
		}
		if r.OldestKnown {
			s := r.Oldest.Seconds()
			lr.OldestSeconds = &s
		}
		for _, s := range r.Sources {
			lr.Sources = append(lr.Sources, s.Describe())
		}
		if r.Task != nil {
			lr.MoveTask = taskView(*r.Task)
		}
		if r.Err != nil {
			lr.Error = r.Err.Error()
		}
		out = append(out, lr)
	}
	return out
}
