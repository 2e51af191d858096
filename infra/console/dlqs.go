package console

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/eventchain/eventchain/internal/dlq"
)

// MessageView is one dead letter as the page shows it.
type MessageView struct {
	ID           string     `json:"id"`
	Type         string     `json:"type"`
	RequestID    string     `json:"requestId"`
	EventID      string     `json:"eventId"`
	Sent         time.Time  `json:"sent"`
	ReceiveCount int        `json:"receiveCount"`
	Reason       dlq.Reason `json:"reason"`
	Malformed    string     `json:"malformed,omitempty"`
	Payload      string     `json:"payload"`
}

// maxPayload bounds the payload shown per message.
const maxPayload = 2048

// MessagesView is what reading a DLQ found.
type MessagesView struct {
	Queue    string        `json:"queue"`
	Messages []MessageView `json:"messages"`
	// InFlight counts messages someone else held: the read could not see
	// them.
	InFlight int `json:"inFlight"`
}

// RedriveRequest is the body of a redrive: the message ids to move, or
// All for every message.
type RedriveRequest struct {
	IDs []string `json:"ids"`
	All bool     `json:"all"`
}

// RedriveView is what a redrive did.
type RedriveView struct {
	Queue  string `json:"queue"`
	Target string `json:"target"`
	// Mode is "move-task" (a whole DLQ of an SQS queue) or
	// "message-by-message" (a subscription's DLQ, or a selection), as
	// `eventchain dlq redrive` chooses.
	Mode     string `json:"mode"`
	Selected int    `json:"selected"`
	Moved    int    `json:"moved"`
	// Effect is what the target's consumer does with what arrives.
	Effect string `json:"effect"`
	// InBoth names the message an interrupted redrive left in both
	// queues (the consumers are idempotent).
	InBoth string `json:"inBoth,omitempty"`
}

// PurgeView is what a purge removed (SQS's counts just before).
type PurgeView struct {
	Queue    string `json:"queue"`
	Visible  int    `json:"visible"`
	InFlight int    `json:"inFlight"`
	Delayed  int    `json:"delayed"`
}

// errBadRequest marks a mistake of the caller (400).
var errBadRequest = errors.New("bad request")

// queueLocks serialises the operations on one DLQ: a read holds the
// messages invisible while it runs, and a redrive started meanwhile would
// miss them.
type queueLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (l *queueLocks) lock(id string) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*sync.Mutex{}
	}
	m := l.locks[id]
	if m == nil {
		m = &sync.Mutex{}
		l.locks[id] = m
	}
	l.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// dlqByID returns a DLQ of the topology by its logical id.
func (s *Server) dlqByID(id string) (dlq.Queue, []dlq.Source, error) {
	for _, q := range s.opts.Topology.DLQs() {
		if q.LogicalID == id {
			return q, s.opts.Topology.Sources(id), nil
		}
	}
	return dlq.Queue{}, nil, fmt.Errorf("%w: %s is no dead-letter queue of %s", errNotFoundQueue, id, s.opts.Topology.Origin)
}

var errNotFoundQueue = errors.New("unknown queue")

// messages reads every visible message of a DLQ without deleting any
// (dlq.Scan, as `eventchain dlq show`).
func (s *Server) messages(ctx context.Context, id string) (MessagesView, error) {
	q, sources, err := s.dlqByID(id)
	if err != nil {
		return MessagesView{}, err
	}
	defer s.locks.lock(id)()
	fallback := dlq.FallbackReason(sources)
	v := MessagesView{Queue: id, Messages: []MessageView{}}
	stats, err := dlq.Scan(ctx, s.opts.SQS, q.URL, dlq.ScanOptions{Wait: time.Second, Logger: s.log}, func(m *dlq.Message) error {
		ev := m.Event()
		payload := string(ev.Data)
		if len(payload) > maxPayload {
			cut := maxPayload
			for cut > 0 && !utf8.RuneStart(payload[cut]) {
				cut--
			}
			payload = payload[:cut] + "…"
		}
		v.Messages = append(v.Messages, MessageView{ID: m.ID, Type: ev.Type, RequestID: ev.RequestID, EventID: ev.ID, Sent: m.Sent,
			ReceiveCount: m.ReceiveCount(), Reason: m.Reason(fallback), Malformed: ev.Malformed, Payload: payload})
		return nil
	})
	v.InFlight = stats.InFlight
	if err != nil {
		return v, fmt.Errorf("read %s: %w", id, err)
	}
	slices.SortStableFunc(v.Messages, func(a, b MessageView) int { return a.Sent.Compare(b.Sent) })
	return v, nil
}

// redrive moves the messages of a DLQ back to the queue they failed in,
// choosing as `eventchain dlq redrive` does: a whole DLQ of an SQS queue
// through a message move task with a DestinationArn (dlq.Move), a
// subscription's DLQ or a selection message by message, each sent before
// it is deleted (dlq.Redrive). Nothing is ever published to the topic
// again, which would deliver it to every subscriber once more.
func (s *Server) redrive(ctx context.Context, id string, req RedriveRequest) (RedriveView, error) {
	q, sources, err := s.dlqByID(id)
	if err != nil {
		return RedriveView{}, err
	}
	if !req.All && len(req.IDs) == 0 {
		return RedriveView{}, fmt.Errorf("%w: select messages, or redrive all", errBadRequest)
	}
	if len(sources) != 1 {
		var names []string
		for _, src := range sources {
			names = append(names, src.Describe())
		}
		return RedriveView{}, fmt.Errorf("%w: %s receives from %s: redrive it with eventchain dlq redrive --to", errBadRequest, id, strings.Join(names, " and "))
	}
	target := sources[0].Queue
	if target.URL == "" {
		return RedriveView{}, fmt.Errorf("%s: the queue it dead-letters from is not in %s", id, s.opts.Topology.Origin)
	}
	defer s.locks.lock(id)()
	src, err := dlq.Describe(ctx, s.opts.SQS, q.URL)
	if err != nil {
		return RedriveView{}, err
	}
	dst, err := dlq.Describe(ctx, s.opts.SQS, target.URL)
	if err != nil {
		return RedriveView{}, err
	}
	if src.FIFO != dst.FIFO {
		return RedriveView{}, fmt.Errorf("%w: %s and %s are not of the same type: SQS redrives between queues of the same type only", errBadRequest, id, target.Label())
	}
	v := RedriveView{Queue: id, Target: target.Label(), Effect: dlq.ConsumerEffect(target.Consumer, target.Label())}
	if src.Visible == 0 {
		v.Mode = "none"
		return v, nil
	}
	// SQS moves tasks out of DLQs of SQS queues only.
	if req.All && sources[0].Subscription == nil {
		v.Mode, v.Selected = "move-task", src.Visible
		task, err := dlq.Move(ctx, s.opts.SQS, dlq.MoveOptions{SourceARN: src.ARN, DestinationARN: dst.ARN, Poll: 250 * time.Millisecond})
		v.Moved = int(task.Moved)
		return v, err
	}
	v.Mode = "message-by-message"
	want := map[string]bool{}
	for _, mid := range req.IDs {
		want[mid] = true
	}
	res, err := dlq.Redrive(ctx, s.opts.SQS, dlq.RedriveOptions{SourceURL: q.URL, Target: dst,
		Select: func(m *dlq.Message) bool { return req.All || want[m.ID] },
		Scan:   dlq.ScanOptions{Wait: time.Second, Logger: s.log}})
	v.Selected, v.Moved = res.Selected, res.Moved
	if res.InBoth != nil {
		v.InBoth = res.InBoth.ID
	}
	return v, err
}

// purge deletes every message of a DLQ (dlq.Purge); confirm must repeat
// the queue's logical id, so that no stray request purges by accident.
func (s *Server) purge(ctx context.Context, id, confirm string) (PurgeView, error) {
	q, _, err := s.dlqByID(id)
	if err != nil {
		return PurgeView{}, err
	}
	if confirm != id {
		return PurgeView{}, fmt.Errorf("%w: to purge %s, confirm with its name", errBadRequest, id)
	}
	defer s.locks.lock(id)()
	before, err := dlq.Purge(ctx, s.opts.SQS, q.URL)
	if err != nil {
		if strings.Contains(err.Error(), "PurgeQueueInProgress") {
			err = fmt.Errorf("%w (SQS allows one purge of a queue a minute)", err)
		}
		return PurgeView{}, err
	}
	return PurgeView{Queue: id, Visible: before.Visible, InFlight: before.InFlight, Delayed: before.Delayed}, nil
}
