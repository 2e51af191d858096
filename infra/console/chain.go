package console

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/event"
)

// Chain is the pipeline as the template and the event catalog declare it,
// by logical ids and function names: what the page draws. Live numbers are
// apart (Live), so the chain is built once.
type Chain struct {
	// Origin says where it was read, e.g. "template.yaml".
	Origin string `json:"origin"`
	// API is the function behind the HTTP API, and its routes.
	API       string          `json:"api"`
	Routes    []string        `json:"routes"`
	Topics    []ChainTopic    `json:"topics"`
	Queues    []ChainQueue    `json:"queues"`
	Functions []ChainFunction `json:"functions"`
}

// ChainTopic is a topic and its subscriptions, in template order.
type ChainTopic struct {
	LogicalID     string              `json:"id"`
	Name          string              `json:"name"`
	Subscriptions []ChainSubscription `json:"subscriptions"`
}

// ChainSubscription is one subscription of a topic: its filter (compact
// JSON, "" for none) and, for an SQS one, the queue it delivers to and its
// own dead-letter queue.
type ChainSubscription struct {
	LogicalID string `json:"id"`
	Protocol  string `json:"protocol"`
	Filter    string `json:"filter"`
	Queue     string `json:"queue,omitempty"`
	DLQ       string `json:"dlq,omitempty"`
}

// ChainQueue is a queue: who consumes it and where it dead-letters.
type ChainQueue struct {
	LogicalID       string `json:"id"`
	Name            string `json:"name"`
	Consumer        string `json:"consumer,omitempty"`
	DLQ             string `json:"dlq,omitempty"`
	MaxReceiveCount int    `json:"maxReceiveCount,omitempty"`
	// IsDLQ: a queue or a subscription dead-letters into it.
	IsDLQ bool `json:"isDLQ"`
}

// ChainFunction is a function: what it consumes and emits (the catalog)
// and the topics it publishes to (its environment names their ARNs).
type ChainFunction struct {
	Name     string   `json:"name"`
	Queues   []string `json:"queues"`
	Consumes []string `json:"consumes"`
	Emits    []string `json:"emits"`
	Topics   []string `json:"topics"`
}

// BuildChain reads the chain from a resolved template and the catalog.
func BuildChain(r *samtemplate.Resolved, origin string) Chain {
	c := Chain{Origin: origin, Routes: []string{}}
	topicByARN := map[string]string{}
	for _, t := range r.Topics {
		topicByARN[t.ARN] = t.LogicalID
		ct := ChainTopic{LogicalID: t.LogicalID, Name: t.Name, Subscriptions: []ChainSubscription{}}
		for _, s := range r.Subscriptions {
			if s.Topic != t.LogicalID {
				continue
			}
			ct.Subscriptions = append(ct.Subscriptions, ChainSubscription{LogicalID: s.LogicalID, Protocol: s.Protocol,
				Filter: compactJSON(s.FilterPolicy), Queue: s.EndpointQueue, DLQ: s.DeadLetterQueue})
		}
		c.Topics = append(c.Topics, ct)
	}
	dlqs := map[string]bool{}
	for _, q := range r.Queues {
		if q.RedrivePolicy != nil {
			dlqs[q.RedrivePolicy.DeadLetterQueue] = true
		}
	}
	for _, s := range r.Subscriptions {
		if s.DeadLetterQueue != "" {
			dlqs[s.DeadLetterQueue] = true
		}
	}
	consumer := map[string]string{}
	for _, f := range r.Functions {
		cf := ChainFunction{Name: f.Name, Queues: []string{}, Consumes: event.ConsumedBy(f.Name), Emits: producedBy(f.Name), Topics: []string{}}
		for _, ev := range f.SQSEvents {
			if ev.Enabled {
				cf.Queues = append(cf.Queues, ev.Queue)
				consumer[ev.Queue] = f.Name
			}
		}
		for _, v := range f.Environment {
			if t, ok := topicByARN[v]; ok && !slices.Contains(cf.Topics, t) {
				cf.Topics = append(cf.Topics, t)
			}
		}
		slices.Sort(cf.Topics)
		if len(f.HTTPEvents) > 0 {
			c.API = f.Name
			for _, h := range f.HTTPEvents {
				c.Routes = append(c.Routes, h.Method+" "+h.Path)
			}
		}
		if cf.Consumes == nil {
			cf.Consumes = []string{}
		}
		c.Functions = append(c.Functions, cf)
	}
	for _, q := range r.Queues {
		cq := ChainQueue{LogicalID: q.LogicalID, Name: q.Name, Consumer: consumer[q.LogicalID], IsDLQ: dlqs[q.LogicalID]}
		if q.RedrivePolicy != nil {
			cq.DLQ, cq.MaxReceiveCount = q.RedrivePolicy.DeadLetterQueue, q.RedrivePolicy.MaxReceiveCount
		}
		c.Queues = append(c.Queues, cq)
	}
	return c
}

// producedBy lists the event types the catalog says a function publishes.
func producedBy(function string) []string {
	out := []string{}
	for _, s := range event.Catalog {
		if slices.Contains(s.Producers, function) {
			out = append(out, s.Type)
		}
	}
	return out
}

func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
