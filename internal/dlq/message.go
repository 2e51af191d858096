package dlq

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/internal/event"
)

// Message is one message as SQS handed it out.
type Message struct {
	ID         string
	Body       string
	Attributes map[string]sqstypes.MessageAttributeValue
	// Sent is when the message was enqueued: a message the redrive policy
	// moved keeps its original time, one a consumer sent is new.
	Sent time.Time
	// FIFO queues only.
	GroupID, DeduplicationID, SequenceNumber string
	// SourceARN is DeadLetterQueueSourceArn: the queue whose redrive
	// policy moved the message here ("" for a message sent here).
	SourceARN   string
	TraceHeader string

	receipt string
	// count and first are ApproximateReceiveCount and
	// ApproximateFirstReceiveTimestamp of the latest receive; own counts
	// the receives of the operation that read it.
	count int
	first time.Time
	own   int
	// event caches Event: showing and selecting read it several times.
	event *Event
}

func newMessage(m sqstypes.Message) *Message {
	a := m.Attributes
	msg := &Message{
		ID:              aws.ToString(m.MessageId),
		Body:            aws.ToString(m.Body),
		Attributes:      m.MessageAttributes,
		GroupID:         a[string(sqstypes.MessageSystemAttributeNameMessageGroupId)],
		DeduplicationID: a[string(sqstypes.MessageSystemAttributeNameMessageDeduplicationId)],
		SequenceNumber:  a[string(sqstypes.MessageSystemAttributeNameSequenceNumber)],
		SourceARN:       a[string(sqstypes.MessageSystemAttributeNameDeadLetterQueueSourceArn)],
		TraceHeader:     a[string(sqstypes.MessageSystemAttributeNameAWSTraceHeader)],
		receipt:         aws.ToString(m.ReceiptHandle),
		own:             1,
	}
	msg.Sent = millis(a[string(sqstypes.MessageSystemAttributeNameSentTimestamp)])
	msg.received(m)
	return msg
}

// received takes the counts of a receive of the message.
func (m *Message) received(r sqstypes.Message) {
	m.count, _ = strconv.Atoi(r.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
	m.first = millis(r.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateFirstReceiveTimestamp)])
}

func millis(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// ReceiveCount is how often the message was received before the operation
// that read it: SQS's count less the operation's own receives.
func (m *Message) ReceiveCount() int { return max(m.count-m.own, 0) }

// FirstReceive is when the message was first received, zero when the
// operation that read it was the first.
func (m *Message) FirstReceive() time.Time {
	if m.ReceiveCount() == 0 {
		return time.Time{}
	}
	return m.first
}

// Attribute returns a string message attribute, "" when absent.
func (m *Message) Attribute(name string) string {
	if v, ok := m.Attributes[name]; ok {
		return aws.ToString(v.StringValue)
	}
	return ""
}

// Event is what the message says about the event it carries. A body that
// is no envelope still gives what its attributes say.
type Event struct {
	Type          string
	ID            string
	RequestID     string // the envelope's subject
	CorrelationID string
	Time          time.Time
	// Data is the envelope's data, or the whole body when it is no
	// envelope.
	Data json.RawMessage
	// Malformed says why the body is no envelope ("" when it is one).
	Malformed string
}

// Event reads the envelope in the body. The type and correlation id
// attributes win over the envelope's: they are what SNS routed on.
func (m *Message) Event() Event {
	if m.event == nil {
		e := m.readEvent()
		m.event = &e
	}
	return *m.event
}

func (m *Message) readEvent() Event {
	var e Event
	env, err := event.Decode([]byte(m.Body))
	if err != nil {
		e.Malformed = err.Error()
		// A body that event.Decode refuses may still name its event.
		var partial event.Envelope
		if json.Unmarshal([]byte(m.Body), &partial) == nil {
			env = partial
		}
	}
	e.Type, e.ID, e.RequestID, e.CorrelationID, e.Time = env.Type, env.ID, env.Subject, env.CorrelationID, env.Time
	switch {
	case len(env.Data) > 0 && json.Valid(env.Data):
		e.Data = env.Data
	case json.Valid([]byte(m.Body)):
		e.Data = json.RawMessage(m.Body)
	default:
		b, _ := json.Marshal(m.Body)
		e.Data = b
	}
	if t := m.Attribute(event.AttrType); t != "" {
		e.Type = t
	}
	if c := m.Attribute(event.AttrCorrelationID); c != "" {
		e.CorrelationID = c
	}
	return e
}

// Reason is why a message is in a dead-letter queue.
type Reason struct {
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
	Function string `json:"function,omitempty"`
}

// Reason codes of messages that carry no error.* attributes.
const (
	// CodeMaxReceives: an SQS redrive policy moved the message after
	// maxReceiveCount receives (a consumer kept failing on it).
	CodeMaxReceives = "MaxReceiveCount"
	// CodeDeliveryFailed: SNS could not deliver the message to the queue
	// of a subscription and put it in the subscription's DLQ.
	CodeDeliveryFailed = "DeliveryFailed"
	// CodeUnknown: nothing says why.
	CodeUnknown = "Unknown"
)

// Reason reads the error.* attributes a consumer sets when it dead-letters
// a record itself. Without them, a message the redrive policy moved says
// so; otherwise fallback is the reason (what the queue's sources imply).
func (m *Message) Reason(fallback Reason) Reason {
	if code := m.Attribute(event.AttrErrorCode); code != "" {
		return Reason{Code: code, Message: m.Attribute(event.AttrErrorMessage), Function: m.Attribute(event.AttrErrorFunction)}
	}
	if m.SourceARN != "" {
		return Reason{Code: CodeMaxReceives, Message: "moved here by the redrive policy of " + NameFromARN(m.SourceARN) + " after maxReceiveCount receives"}
	}
	if fallback.Code == "" {
		return Reason{Code: CodeUnknown}
	}
	return fallback
}
