package sns

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
)

// maxRawAttributes is how many message attributes SQS accepts: a raw
// delivery carrying more fails as a client-side error, as in SNS.
const maxRawAttributes = 10

// errTooManyAttributes is the client-side error of a raw delivery whose
// message has more attributes than SQS allows.
var errTooManyAttributes = errors.New("raw delivery to SQS carries at most 10 message attributes")

// fanOut hands m to every confirmed subscription of t whose filter
// policy accepts it. Deliveries to queues are returned on their way to
// disk: the caller awaits them before it answers, so that Publish
// acknowledges only what every queue has durably. Handing every delivery
// of a call over before awaiting any lets a publish to several
// subscriptions, or a whole PublishBatch, share log syncs instead of
// waiting for one per delivery. HTTP/S deliveries are queued to run in
// the background, as SNS's are; SMS and email ones are recorded (Sent).
func (s *Service) fanOut(t *topic, m *message, pending []*delivery) []*delivery {
	if t.fifo() {
		// One FIFO publish at a time per topic, so that sequence numbers
		// and delivery order agree: the queues enqueue in this order
		// (awaiting their commits can come later).
		t.dedupMu.Lock()
		defer t.dedupMu.Unlock()
		if !t.fifoAdmit(m) {
			return pending
		}
	}
	s.counters.Resource(t.ARN).In.Add(1)
	s.mu.RLock()
	subs := s.byTopic[t.ARN]
	targets := make([]target, 0, len(subs))
	for _, sub := range subs {
		targets = append(targets, sub.target(t))
	}
	s.mu.RUnlock()
	for _, tg := range targets {
		if tg.pending {
			continue
		}
		if tg.policy != nil && !tg.policy.Match(m.textFor(tg.protocol), m.attrs) {
			continue
		}
		switch {
		case tg.protocol == "sqs":
			if d := s.deliver(t, tg, m); d != nil {
				pending = append(pending, d)
			}
		case isHTTP(tg.protocol):
			s.deliverHTTP(t, tg, m)
		default:
			s.deliverRecorded(t, tg, m)
		}
	}
	return pending
}

// delivery is one message handed to a subscription's queue, waiting to be
// durable.
type delivery struct {
	t      *topic
	tg     target
	m      *message
	body   string
	attrs  map[string]awsmsg.Attribute
	commit func() error
}

// deliver hands m to one SQS subscription's queue and returns the
// delivery to await, or nil when the queue refused it or an injected
// failure (FailDeliveries) stood for its refusal (it then went to the
// subscription's dead-letter queue, if any).
func (s *Service) deliver(t *topic, tg target, m *message) *delivery {
	s.counters.Op("Deliver").Calls.Add(1)
	body, attrs := m.sqsText, m.attrs
	if !tg.raw {
		body, attrs = s.envelope(t, tg, m, m.sqsText), nil
	}
	if s.takeDeliveryFault(tg) {
		// An injected failure stands for the endpoint refusing every one
		// of SNS's retries, so the message goes where those would send it.
		s.deliveryFailed(t, tg, m, body, attrs)
		return nil
	}
	commit, err := s.startSend(t, tg.endpoint, body, attrs, m)
	if err != nil {
		s.deliveryFailed(t, tg, m, body, attrs)
		return nil
	}
	return &delivery{t: t, tg: tg, m: m, body: body, attrs: attrs, commit: commit}
}

// await waits until every delivery is durable, sending those that fail
// to their subscription's dead-letter queue.
func (s *Service) await(ds []*delivery) {
	for _, d := range ds {
		if err := d.commit(); err != nil {
			s.deliveryFailed(d.t, d.tg, d.m, d.body, d.attrs)
			continue
		}
		s.counters.Resource(d.tg.subARN).Out.Add(1)
	}
}

// deliveryFailed counts a failed delivery and sends the message to the
// subscription's dead-letter queue, if it has one.
func (s *Service) deliveryFailed(t *topic, tg target, m *message, body string, attrs map[string]awsmsg.Attribute) {
	s.counters.Op("Deliver").Errors.Add(1)
	if tg.dlqARN == "" {
		return // counted as a failed delivery; SNS would drop it too
	}
	// The dead-letter queue receives what the endpoint would have: the
	// same body, and for raw delivery the attributes when SQS can carry
	// them.
	if len(attrs) > maxRawAttributes {
		attrs = nil
	}
	dlq := s.counters.Op("DeliverToDLQ")
	dlq.Calls.Add(1)
	commit, err := s.startSend(t, tg.dlqARN, body, attrs, m)
	if err == nil {
		err = commit()
	}
	if err != nil {
		dlq.Errors.Add(1)
		return
	}
	s.counters.Resource(tg.dlqARN).Out.Add(1)
}

// startSend hands a message to a queue and returns the wait for it to be
// durable.
func (s *Service) startSend(t *topic, queueARN, body string, attrs map[string]awsmsg.Attribute, m *message) (commit func() error, err error) {
	if s.opts.Queues == nil {
		return nil, errors.New("no queue sender configured")
	}
	if len(attrs) > maxRawAttributes {
		return nil, errTooManyAttributes
	}
	var groupID, dedupID string
	if t.fifo() {
		groupID, dedupID = m.groupID, m.dedupID
	}
	durable, err := s.opts.Queues.StartSend(queueARN, body, attrs, groupID, dedupID)
	if err != nil {
		return nil, fmt.Errorf("deliver to %s: %w", queueARN, err)
	}
	return func() error {
		if err := durable(); err != nil {
			return fmt.Errorf("deliver to %s: %w", queueARN, err)
		}
		return nil
	}, nil
}

// notification is the JSON document SNS delivers when raw delivery is off.
type notification struct {
	Type              string                           `json:"Type"`
	MessageID         string                           `json:"MessageId"`
	SequenceNumber    string                           `json:"SequenceNumber,omitempty"`
	TopicARN          string                           `json:"TopicArn"`
	Subject           string                           `json:"Subject,omitempty"`
	Message           string                           `json:"Message"`
	Timestamp         string                           `json:"Timestamp"`
	SignatureVersion  string                           `json:"SignatureVersion"`
	Signature         string                           `json:"Signature"`
	SigningCertURL    string                           `json:"SigningCertURL"`
	UnsubscribeURL    string                           `json:"UnsubscribeURL"`
	MessageAttributes map[string]notificationAttribute `json:"MessageAttributes,omitempty"`
}

type notificationAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// envelope builds the notification of m carrying text for one
// subscription, signed with the topic's SignatureVersion.
func (s *Service) envelope(t *topic, tg target, m *message, text string) string {
	k := s.signer()
	n := notification{
		Type:             "Notification",
		MessageID:        m.id,
		SequenceNumber:   m.sequence,
		TopicARN:         t.ARN,
		Subject:          m.subject,
		Message:          text,
		Timestamp:        snsTimestamp(m.timestamp),
		SignatureVersion: tg.signatureVersion,
		SigningCertURL:   s.signingCertURL(k),
		UnsubscribeURL:   s.opts.BaseURL + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(tg.subARN),
	}
	n.Signature = k.sign(tg.signatureVersion, notificationStringToSign(&n))
	if len(m.attrs) > 0 {
		n.MessageAttributes = make(map[string]notificationAttribute, len(m.attrs))
		for k, a := range m.attrs {
			v := a.StringValue
			if a.BinaryValue != nil {
				v = base64.StdEncoding.EncodeToString(a.BinaryValue)
			}
			n.MessageAttributes[k] = notificationAttribute{Type: a.DataType, Value: v}
		}
	}
	return encodeJSON(n)
}
