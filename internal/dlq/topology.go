package dlq

import (
	"strings"
)

// Topology is what a stack declares about its queues: which queue
// dead-letters to which, which subscription delivers to which queue and
// dead-letters to which, which function consumes a queue and which alarm
// watches it. The caller reads it from a template or from a deployed
// stack; the operations themselves need only queue URLs and ARNs.
type Topology struct {
	// Origin says where it was read, e.g. "template.yaml" or "stack eventchain".
	Origin        string
	Queues        []Queue
	Subscriptions []Subscription
	// Alarms names the alarms of the stack; a listing asks CloudWatch
	// which queue each watches and in what state it is.
	Alarms []string
}

// NoConsumer is the Consumer of a queue no function consumes; "" means
// the topology does not know.
const NoConsumer = "none"

// Queue is a queue of the topology.
type Queue struct {
	LogicalID string
	Name      string
	URL       string
	ARN       string
	FIFO      bool
	// DeadLetterQueue is the logical id of the queue its redrive policy
	// names ("" without one), after MaxReceiveCount receives.
	DeadLetterQueue string
	MaxReceiveCount int
	// Consumer is the function that consumes the queue, NoConsumer, or ""
	// when the topology does not know.
	Consumer string
	// Alarm is the name of the alarm on the queue's depth, when the
	// topology knows it.
	Alarm string
}

// Label is how the queue is shown: its logical id, else its name.
func (q Queue) Label() string {
	if q.LogicalID != "" {
		return q.LogicalID
	}
	return q.Name
}

// Subscription is an SQS subscription of a topic.
type Subscription struct {
	LogicalID string
	ARN       string
	// Topic is the topic's logical id (or name); Queue the subscribed
	// queue's logical id; DeadLetterQueue the logical id of the
	// subscription's DLQ ("" without one).
	Topic           string
	Queue           string
	DeadLetterQueue string
}

// Source is where the messages of a DLQ come from.
type Source struct {
	// Queue is the queue they failed in: the one whose redrive policy
	// names the DLQ, or the one the subscription delivers to.
	Queue Queue
	// Subscription is set when SNS dead-letters into the DLQ: the messages
	// never reached Queue.
	Subscription *Subscription
}

// Describe says where the messages come from, for people.
func (s Source) Describe() string {
	if s.Subscription != nil {
		return "subscription " + s.Subscription.LogicalID + " (" + s.Subscription.Topic + " → " + s.Queue.Label() + ")"
	}
	return "queue " + s.Queue.Label()
}

// ByLogicalID returns the queue with the logical id.
func (t *Topology) ByLogicalID(id string) (Queue, bool) {
	if t == nil {
		return Queue{}, false
	}
	for _, q := range t.Queues {
		if q.LogicalID == id && id != "" {
			return q, true
		}
	}
	return Queue{}, false
}

// Find returns the queue a reference names: a logical id, a queue name, a
// URL or an ARN. A URL matches by its account and name, so that
// localhost and 127.0.0.1 name the same local queue.
func (t *Topology) Find(ref string) (Queue, bool) {
	if t == nil || ref == "" {
		return Queue{}, false
	}
	if q, ok := t.ByLogicalID(ref); ok {
		return q, true
	}
	for _, q := range t.Queues {
		switch {
		case q.Name == ref, q.ARN == ref && ref != "",
			strings.Contains(ref, "://") && urlPath(q.URL) == urlPath(ref):
			return q, true
		}
	}
	return Queue{}, false
}

// urlPath is the account/name part of a queue URL.
func urlPath(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		if _, path, ok := strings.Cut(rest, "/"); ok {
			return strings.TrimSuffix(path, "/")
		}
	}
	return u
}

// Sources lists where the messages of the queue with the logical id come
// from; a queue nothing dead-letters into has none.
func (t *Topology) Sources(logicalID string) []Source {
	if t == nil {
		return nil
	}
	var out []Source
	for _, q := range t.Queues {
		if q.DeadLetterQueue == logicalID && logicalID != "" {
			out = append(out, Source{Queue: q})
		}
	}
	for i, s := range t.Subscriptions {
		if s.DeadLetterQueue == logicalID && logicalID != "" {
			q, _ := t.ByLogicalID(s.Queue)
			out = append(out, Source{Queue: q, Subscription: &t.Subscriptions[i]})
		}
	}
	return out
}

// DLQs lists the queues something dead-letters into, in topology order.
func (t *Topology) DLQs() []Queue {
	if t == nil {
		return nil
	}
	var out []Queue
	for _, q := range t.Queues {
		if len(t.Sources(q.LogicalID)) > 0 {
			out = append(out, q)
		}
	}
	return out
}

// FallbackReason is the reason of a message without error.* attributes in
// a DLQ with these sources: SNS's for a subscription's DLQ, the redrive
// policy's for a queue's.
func FallbackReason(sources []Source) Reason {
	if len(sources) == 0 {
		return Reason{}
	}
	if sources[0].Subscription != nil {
		return Reason{Code: CodeDeliveryFailed, Message: "SNS could not deliver it to " + sources[0].Queue.Label()}
	}
	return Reason{Code: CodeMaxReceives, Message: "received maxReceiveCount times from " + sources[0].Queue.Label() + " without success"}
}
