package sqs

import (
	"container/heap"
	"container/list"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
)

// Message states.
const (
	stateVisible  = iota // receivable now
	stateDelayed         // sent with a delay that has not ended
	stateInflight        // received, invisible until its visibility timeout ends
)

// message is one message in a queue. Exported fields are persisted.
type message struct {
	ID               string
	Body             string
	Attrs            map[string]awsmsg.Attribute `json:",omitempty"`
	TraceHeader      *awsmsg.Attribute           `json:",omitempty"`
	MD5Body          string
	MD5Attrs         string `json:",omitempty"`
	Sent             int64  // ms since epoch, kept when moved to a DLQ
	Seq              uint64 // order in the queue
	SequenceNumber   string `json:",omitempty"`
	GroupID          string `json:",omitempty"`
	DedupID          string `json:",omitempty"`
	SenderID         string
	ReceiveCount     int
	FirstReceive     int64  // ms, 0 before the first receive
	AvailableAt      int64  // ms; when a delayed or in-flight message becomes visible
	DLQSourceArn     string `json:",omitempty"`
	Size             int
	State            int
	ReceiptNonce     uint64 // changes on every receive, so old handles go stale
	VisibilityExpiry int64  `json:"-"`

	heapIdx int           // index in queue.pending, -1 when absent
	elem    *list.Element // in queue.avail (standard) or group.msgs (FIFO)
	group   *group
}

// group is a FIFO message group: its messages in order, and how many of
// them are in flight (while any is, the group's later messages wait).
type group struct {
	id       string
	msgs     *list.List
	inflight int
	readyIdx int // index in queue.ready, -1 when absent
}

// queue is one SQS queue. All fields below mu are guarded by it.
type queue struct {
	name, arn, url string
	fifo           bool

	mu       sync.Mutex
	deleted  bool
	attrs    map[string]string // settable attributes, as set
	tags     map[string]string
	created  int64 // seconds
	modified int64 // seconds
	cfg      queueConfig
	// recordVersion counts changes of the queue's record (attributes,
	// tags), so that a failed write restores only what no later change
	// built on (changeRecord).
	recordVersion uint64

	msgs     map[string]*message
	pending  msgHeap    // delayed and in-flight, by AvailableAt
	avail    *list.List // standard: visible messages in order
	groups   map[string]*group
	ready    groupHeap // FIFO: groups that can deliver, by head Seq
	counts   [3]int    // by state
	lastSeq  uint64
	dedup    map[string]dedupEntry
	dedupLRU *list.List // of string (dedup keys) in insertion order
	purgedAt time.Time
	notify   chan struct{} // closed and replaced when something may have become receivable
}

// queueConfig is the parsed form of the attributes that drive behaviour.
type queueConfig struct {
	delay        int
	maxSize      int
	retention    int
	wait         int
	visibility   int
	contentDedup bool
	dedupScope   string // "queue" or "messageGroup"
	dlqArn       string
	maxReceive   int
}

type dedupEntry struct {
	msgID   string
	seqNum  string
	expires int64 // ms
}

// dedupWindow is how long FIFO queues remember deduplication ids.
const dedupWindow = 5 * time.Minute

func newQueue(name, arn, url string, fifo bool) *queue {
	return &queue{
		name: name, arn: arn, url: url, fifo: fifo,
		attrs: map[string]string{}, tags: map[string]string{},
		msgs: map[string]*message{}, avail: list.New(), groups: map[string]*group{},
		dedup: map[string]dedupEntry{}, dedupLRU: list.New(), notify: make(chan struct{}),
	}
}

// wake tells long-polling receivers to look again.
func (q *queue) wake() {
	close(q.notify)
	q.notify = make(chan struct{})
}

// nextSeq returns an increasing sequence that survives restarts without
// being stored: the wall clock in nanoseconds, or one more than the last.
func (q *queue) nextSeq(now time.Time) uint64 {
	s := uint64(now.UnixNano())
	if s <= q.lastSeq {
		s = q.lastSeq + 1
	}
	q.lastSeq = s
	return s
}

// insert adds a message in the state its fields say (used by send, by
// redrive into a DLQ, by move tasks and by reload).
func (q *queue) insert(m *message) {
	m.heapIdx = -1
	q.msgs[m.ID] = m
	if m.Seq > q.lastSeq {
		q.lastSeq = m.Seq
	}
	q.counts[m.State]++
	if q.fifo {
		g := q.groups[m.GroupID]
		if g == nil {
			g = &group{id: m.GroupID, msgs: list.New(), readyIdx: -1}
			q.groups[m.GroupID] = g
		}
		m.group = g
		// Messages arrive in Seq order except on reload and DLQ moves;
		// keep the group sorted by Seq.
		e := g.msgs.Back()
		for e != nil && e.Value.(*message).Seq > m.Seq {
			e = e.Prev()
		}
		if e == nil {
			m.elem = g.msgs.PushFront(m)
		} else {
			m.elem = g.msgs.InsertAfter(m, e)
		}
		if m.State == stateInflight {
			g.inflight++
		}
	}
	switch m.State {
	case stateVisible:
		q.makeVisible(m)
	default:
		heap.Push(&q.pending, m)
	}
}

// makeVisible files a visible message where receivers find it.
func (q *queue) makeVisible(m *message) {
	if q.fifo {
		q.updateGroup(m.group)
		return
	}
	m.elem = q.avail.PushBack(m)
}

// updateGroup puts a FIFO group in the ready heap when it can deliver and
// takes it out when it cannot.
func (q *queue) updateGroup(g *group) {
	can := g.inflight == 0 && g.msgs.Len() > 0 && g.msgs.Front().Value.(*message).State == stateVisible
	switch {
	case can && g.readyIdx < 0:
		heap.Push(&q.ready, g)
	case can:
		heap.Fix(&q.ready, g.readyIdx)
	case !can && g.readyIdx >= 0:
		heap.Remove(&q.ready, g.readyIdx)
	}
}

// remove takes a message out of the queue entirely.
func (q *queue) remove(m *message) {
	if _, ok := q.msgs[m.ID]; !ok {
		return
	}
	delete(q.msgs, m.ID)
	q.counts[m.State]--
	if m.heapIdx >= 0 {
		heap.Remove(&q.pending, m.heapIdx)
	}
	if q.fifo {
		g := m.group
		g.msgs.Remove(m.elem)
		if m.State == stateInflight {
			g.inflight--
		}
		if g.msgs.Len() == 0 {
			if g.readyIdx >= 0 {
				heap.Remove(&q.ready, g.readyIdx)
			}
			delete(q.groups, g.id)
		} else {
			q.updateGroup(g)
		}
	} else if m.State == stateVisible && m.elem != nil {
		q.avail.Remove(m.elem)
	}
	m.elem = nil
}

// setState moves a message between states, keeping the indexes right.
func (q *queue) setState(m *message, state int, availableAt int64) {
	old := m.State
	q.counts[old]--
	q.counts[state]++
	m.State = state
	m.AvailableAt = availableAt
	if old == stateVisible && !q.fifo && m.elem != nil {
		q.avail.Remove(m.elem)
		m.elem = nil
	}
	if q.fifo {
		if old == stateInflight {
			m.group.inflight--
		}
		if state == stateInflight {
			m.group.inflight++
		}
	}
	if state == stateVisible {
		if m.heapIdx >= 0 {
			heap.Remove(&q.pending, m.heapIdx)
		}
		q.makeVisible(m)
		return
	}
	if m.heapIdx >= 0 {
		heap.Fix(&q.pending, m.heapIdx)
	} else {
		heap.Push(&q.pending, m)
	}
	if q.fifo {
		q.updateGroup(m.group)
	}
}

// promote makes visible every delayed or in-flight message whose time has
// come. It returns the messages whose state changed (to persist when the
// state matters for recovery: it does not, since AvailableAt is stored).
func (q *queue) promote(nowMS int64) bool {
	changed := false
	for len(q.pending) > 0 && q.pending[0].AvailableAt <= nowMS {
		m := q.pending[0]
		q.setState(m, stateVisible, 0)
		changed = true
	}
	return changed
}

// nextDue is when the next pending message becomes visible (0: none).
func (q *queue) nextDue() int64 {
	if len(q.pending) == 0 {
		return 0
	}
	return q.pending[0].AvailableAt
}

// nextReceivable returns the next visible message to deliver and, for a
// FIFO queue, leaves the group's position as it is (the caller changes the
// message's state, which updates the group).
func (q *queue) nextReceivable(taken map[*group]bool) *message {
	if !q.fifo {
		if e := q.avail.Front(); e != nil {
			return e.Value.(*message)
		}
		return nil
	}
	// Continue the group already being delivered by this receive first.
	for g := range taken {
		for e := g.msgs.Front(); e != nil; e = e.Next() {
			m := e.Value.(*message)
			if m.State == stateInflight {
				continue
			}
			if m.State == stateVisible {
				return m
			}
			break
		}
	}
	if len(q.ready) == 0 {
		return nil
	}
	return q.ready[0].msgs.Front().Value.(*message)
}

// parseConfig derives the behaviour settings from the attribute map.
func parseConfig(attrs map[string]string) queueConfig {
	c := queueConfig{delay: 0, maxSize: 1048576, retention: 345600, wait: 0, visibility: 30, dedupScope: "queue"}
	num := func(k string, dst *int) {
		if v, ok := attrs[k]; ok {
			if n, err := strconv.Atoi(v); err == nil {
				*dst = n
			}
		}
	}
	num("DelaySeconds", &c.delay)
	num("MaximumMessageSize", &c.maxSize)
	num("MessageRetentionPeriod", &c.retention)
	num("ReceiveMessageWaitTimeSeconds", &c.wait)
	num("VisibilityTimeout", &c.visibility)
	c.contentDedup = attrs["ContentBasedDeduplication"] == "true"
	if attrs["DeduplicationScope"] == "messageGroup" {
		c.dedupScope = "messageGroup"
	}
	if rp := attrs["RedrivePolicy"]; rp != "" {
		if p, err := parseRedrivePolicy(rp); err == nil {
			c.dlqArn, c.maxReceive = p.arn, p.maxReceive
		}
	}
	return c
}

type redrivePolicy struct {
	arn        string
	maxReceive int
}

// parseRedrivePolicy reads {"deadLetterTargetArn": ..., "maxReceiveCount":
// n}; maxReceiveCount may be a number or a numeric string, as clients send
// both.
func parseRedrivePolicy(s string) (redrivePolicy, error) {
	var raw struct {
		Arn string          `json:"deadLetterTargetArn"`
		Max json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return redrivePolicy{}, err
	}
	max := strings.Trim(string(raw.Max), `"`)
	n, err := strconv.Atoi(max)
	if err != nil || raw.Arn == "" {
		return redrivePolicy{}, errInvalidAttributeValue("Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount.", s)
	}
	return redrivePolicy{arn: raw.Arn, maxReceive: n}, nil
}

// msgHeap orders delayed and in-flight messages by when they become visible.
type msgHeap []*message

func (h msgHeap) Len() int { return len(h) }
func (h msgHeap) Less(i, j int) bool {
	if h[i].AvailableAt != h[j].AvailableAt {
		return h[i].AvailableAt < h[j].AvailableAt
	}
	return h[i].Seq < h[j].Seq
}
func (h msgHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i, j
}
func (h *msgHeap) Push(x any) {
	m := x.(*message)
	m.heapIdx = len(*h)
	*h = append(*h, m)
}
func (h *msgHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	m.heapIdx = -1
	return m
}

// groupHeap orders FIFO groups that can deliver by their head message.
type groupHeap []*group

func (h groupHeap) Len() int { return len(h) }
func (h groupHeap) Less(i, j int) bool {
	return h[i].msgs.Front().Value.(*message).Seq < h[j].msgs.Front().Value.(*message).Seq
}
func (h groupHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].readyIdx, h[j].readyIdx = i, j
}
func (h *groupHeap) Push(x any) {
	g := x.(*group)
	g.readyIdx = len(*h)
	*h = append(*h, g)
}
func (h *groupHeap) Pop() any {
	old := *h
	g := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	g.readyIdx = -1
	return g
}

// normalizeAttribute is the value SQS keeps for an attribute set to v:
// the value as written, except that a RedrivePolicy's maxReceiveCount
// given as a string ("5") is kept as the number SQS answers with (5).
// The rest of the policy stays as the client wrote it. v was checked.
func normalizeAttribute(name, v string) string {
	if name != "RedrivePolicy" {
		return v
	}
	start, end, ok := topLevelValue(v, "maxReceiveCount")
	if !ok {
		return v
	}
	var n string
	if json.Unmarshal([]byte(v[start:end]), &n) != nil {
		return v // already a number
	}
	if _, err := strconv.Atoi(n); err != nil {
		return v
	}
	return v[:start] + n + v[end:]
}

// topLevelValue finds the value of key in the JSON object doc and
// returns its byte range.
func topLevelValue(doc, key string) (start, end int, ok bool) {
	dec := json.NewDecoder(strings.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0, 0, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return 0, 0, false
		}
		// Decode leaves the offset just past the value, and RawMessage
		// holds exactly its bytes.
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return 0, 0, false
		}
		if t == key {
			after := int(dec.InputOffset())
			return after - len(raw), after, true
		}
	}
	return 0, 0, false
}
