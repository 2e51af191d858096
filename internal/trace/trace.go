package trace

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
)

// Request is a launch request as GET /launches/{id} answers it.
type Request struct {
	RequestID   string                `json:"requestId"`
	Status      status.Status         `json:"status"`
	InstanceIDs []string              `json:"instanceIds"`
	Error       *status.Failure       `json:"error,omitempty"`
	History     []status.HistoryEntry `json:"history"`
	Hops        []status.Hop          `json:"hops"`
	CreatedAt   time.Time             `json:"createdAt"`
	UpdatedAt   time.Time             `json:"updatedAt"`
}

// Queue describes the queue a consumer reads, for saying how long a
// record received by a function that stopped stays invisible.
type Queue struct {
	Name              string
	VisibilityTimeout time.Duration
}

// Step is one line of the timeline.
type Step struct {
	At       time.Time
	Function string // "" for a status change
	Event    string
	// What happened, for people: "ok", "retry: InstancesPending — 0 of 1
	// running", "→ LAUNCHING".
	What string
	// Queued is how long the event waited in its queue before its first
	// receive (zero when unknown, and on later receives).
	Queued   time.Duration
	Duration time.Duration
}

// Timeline is a request's story.
type Timeline struct {
	Request Request
	Steps   []Step
	Retries int
	// Now says where the request is and what it waits for.
	Now string
}

// Build orders the request's status changes and hops in time and says
// where the request is at instant now. queues maps a function name to the
// queue it consumes; it may be nil.
func Build(r Request, queues map[string]Queue, now time.Time) Timeline {
	t := Timeline{Request: r}
	for _, h := range r.History {
		t.Steps = append(t.Steps, Step{At: h.At, Event: h.Event, What: "→ " + string(h.Status)})
	}
	for _, h := range r.Hops {
		// A hop is placed where its handling began: what it published
		// came before the end it was recorded at.
		s := Step{At: h.At.Add(-h.Duration), Function: h.Function, Event: h.Event, Duration: h.Duration, What: hopWhat(h)}
		// Queue time belongs to the first receive; later ones waited out
		// a retry, which the previous line shows.
		if !h.QueuedAt.IsZero() && h.ReceiveCount <= 1 {
			// The first receive is when waiting in the queue ended; the
			// handling's own duration ends at At.
			s.Queued = max(0, h.QueuedAt.Sub(eventTime(r, h)))
		}
		if h.Outcome == status.OutcomeRetry {
			t.Retries++
		}
		t.Steps = append(t.Steps, s)
	}
	slices.SortStableFunc(t.Steps, func(a, b Step) int { return cmp.Compare(a.At.UnixNano(), b.At.UnixNano()) })
	t.Now = where(r, queues, now)
	return t
}

// eventTime is about when the event a hop handled was published: the
// latest step of the chain before its first receive that another function
// (or a status change) made — the step that published it. The queue time
// it gives is a lower bound, short by at most that step's duration.
func eventTime(r Request, h status.Hop) time.Time {
	at := r.CreatedAt
	for _, e := range r.History {
		if !e.At.After(h.QueuedAt) && e.At.After(at) {
			at = e.At
		}
	}
	for _, o := range r.Hops {
		// The publishing handling may end after its event's first
		// receive: it published before it ended.
		if o.Function == h.Function || o.Outcome != status.OutcomeOK || o.At.Add(-o.Duration).After(h.QueuedAt) {
			continue
		}
		if published := minTime(o.At, h.QueuedAt); published.After(at) {
			at = published
		}
	}
	return at
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func hopWhat(h status.Hop) string {
	what := fmt.Sprintf("%s (receive %d)", h.Outcome, h.ReceiveCount)
	if h.Code != "" {
		what += ": " + h.Code
	}
	if h.Reason != "" {
		what += " — " + h.Reason
	}
	if h.Outcome == status.OutcomeRetry {
		if h.RetryIn > 0 {
			what += fmt.Sprintf("; back in %s", h.RetryIn.Round(time.Second))
		} else {
			what += "; back after the queue's visibility timeout"
		}
	}
	return what
}

// consumers of each event type, from the catalog: who handles it next.
func consumerOf(eventType string) string {
	spec, ok := event.Lookup(eventType)
	if !ok || len(spec.Consumers) == 0 {
		return ""
	}
	return spec.Consumers[0]
}

// pendingEvent is the event a request in status st waits to have
// handled: the one that moved it there.
func pendingEvent(r Request) string {
	for i := len(r.History) - 1; i >= 0; i-- {
		if r.History[i].Status == r.Status {
			return r.History[i].Event
		}
	}
	return event.TypeLaunchRequested
}

func where(r Request, queues map[string]Queue, now time.Time) string {
	if r.Status.Terminal() {
		s := fmt.Sprintf("done: %s since %s", r.Status, r.UpdatedAt.Format(time.RFC3339))
		if r.Error != nil {
			s += fmt.Sprintf(" (%s: %s)", r.Error.Code, r.Error.Message)
		}
		return s
	}
	if r.Status == status.Pending {
		return "PENDING: launch.requested was not published; a retry of the POST with the same Idempotency-Key publishes it"
	}
	ev := pendingEvent(r)
	fn := consumerOf(ev)
	if fn == "" {
		return fmt.Sprintf("%s after %s, which no function consumes", r.Status, ev)
	}
	q := queues[fn]
	qname := q.Name
	if qname == "" {
		qname = fn + "'s queue"
	}
	var last *status.Hop
	for i := range r.Hops {
		if h := &r.Hops[i]; h.Event == ev && h.Function == fn {
			last = h
		}
	}
	switch {
	case last == nil:
		s := fmt.Sprintf("%s: %s waits in %s for the %s", r.Status, ev, qname, fn)
		return s + "; if a " + fn + " received it and stopped, it is " + invisibleFor(q)
	case last.Outcome == status.OutcomeRetry && last.RetryIn > 0:
		back := last.At.Add(last.RetryIn)
		if back.After(now) {
			return fmt.Sprintf("%s: %s waits in %s for the %s's next receive, at %s (in %s), after %s",
				r.Status, ev, qname, fn, back.Format(time.RFC3339), back.Sub(now).Round(time.Second), retryWhy(*last))
		}
		return fmt.Sprintf("%s: %s was due back in %s at %s, for the %s's next receive (%s)",
			r.Status, ev, qname, back.Format(time.RFC3339), fn, retryWhy(*last))
	default:
		return fmt.Sprintf("%s: %s back in %s after %s (receive %d); it is %s",
			r.Status, ev, qname, retryWhy(*last), last.ReceiveCount, invisibleFor(q))
	}
}

func retryWhy(h status.Hop) string {
	if h.Code != "" {
		return string(h.Outcome) + " " + h.Code
	}
	return string(h.Outcome)
}

func invisibleFor(q Queue) string {
	if q.VisibilityTimeout > 0 {
		return fmt.Sprintf("visible again after the queue's visibility timeout (%s) from that receive", q.VisibilityTimeout)
	}
	return "visible again after the queue's visibility timeout from that receive"
}

// Render writes the timeline as a table for people.
func Render(w io.Writer, t Timeline) error {
	r := t.Request
	var b strings.Builder
	fmt.Fprintf(&b, "request %s  %s", r.RequestID, r.Status)
	if len(r.InstanceIDs) > 0 {
		fmt.Fprintf(&b, "  instances %s", strings.Join(r.InstanceIDs, ", "))
	}
	fmt.Fprintf(&b, "\ncreated %s; %d retries\n\n", r.CreatedAt.Format(time.RFC3339Nano), t.Retries)
	fmt.Fprintf(&b, "%-12s  %-9s  %-18s  %8s  %8s  %s\n", "+time", "function", "event", "queued", "took", "what")
	for _, s := range t.Steps {
		fn := s.Function
		if fn == "" {
			fn = "status"
		}
		fmt.Fprintf(&b, "%-12s  %-9s  %-18s  %8s  %8s  %s\n",
			"+"+s.At.Sub(r.CreatedAt).Round(time.Millisecond).String(), fn, s.Event, dur(s.Queued), dur(s.Duration), s.What)
	}
	fmt.Fprintf(&b, "\nnow: %s\n", t.Now)
	_, err := io.WriteString(w, b.String())
	return err
}

func dur(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	if d < time.Second {
		return d.Round(time.Microsecond * 100).String()
	}
	return d.Round(time.Millisecond).String()
}
