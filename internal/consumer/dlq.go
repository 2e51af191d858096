package consumer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/internal/event"
)

// Queue is the part of the SQS API the runner uses: SendMessage to
// dead-letter a record, ChangeMessageVisibility to delay a retry.
// *sqs.Client satisfies it; implementations must be safe for concurrent use.
type Queue interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// maxAttributes is SQS's limit of message attributes per message.
const maxAttributes = 10

// maxReasonBytes bounds error.message: the reason must stay readable in a
// console and leave the message far below SQS's size limit.
const maxReasonBytes = 1024

// DeadLetter describes why a record goes to the dead-letter queue.
type DeadLetter struct {
	Code     string // error.code
	Message  string // error.message
	Function string // error.function: the logical function name
	// EventType, when known, is set as the type attribute if the record had
	// none, so the DLQ tool can show and filter it.
	EventType string
}

// DeadLetterInput builds the SendMessage call that moves msg to the queue
// at dlqURL: the original body, the original message attributes that fit
// (type and correlationid first, then by name; SQS allows 10 per message)
// and the three error attributes.
func DeadLetterInput(dlqURL string, msg lambdaevents.SQSMessage, dl DeadLetter) *sqs.SendMessageInput {
	attrs := map[string]sqstypes.MessageAttributeValue{
		event.AttrErrorCode:     stringAttr(sanitize(dl.Code, 256)),
		event.AttrErrorMessage:  stringAttr(sanitize(dl.Message, maxReasonBytes)),
		event.AttrErrorFunction: stringAttr(sanitize(dl.Function, 256)),
	}
	if _, ok := msg.MessageAttributes[event.AttrType]; !ok && dl.EventType != "" {
		attrs[event.AttrType] = stringAttr(sanitize(dl.EventType, 256))
	}
	for _, name := range attributeOrder(msg.MessageAttributes) {
		if len(attrs) >= maxAttributes {
			break
		}
		if _, taken := attrs[name]; taken {
			continue
		}
		if v, ok := convertAttribute(msg.MessageAttributes[name]); ok {
			attrs[name] = v
		}
	}
	// SQS refuses an empty attribute value; the error attributes are always
	// present, so fill the ones the caller left empty.
	for name, v := range attrs {
		if v.StringValue != nil && *v.StringValue == "" {
			attrs[name] = stringAttr("unknown")
		}
	}
	return &sqs.SendMessageInput{
		QueueUrl:          aws.String(dlqURL),
		MessageBody:       aws.String(msg.Body),
		MessageAttributes: attrs,
	}
}

// SendDeadLetter sends msg to the dead-letter queue.
func SendDeadLetter(ctx context.Context, q Queue, dlqURL string, msg lambdaevents.SQSMessage, dl DeadLetter) error {
	if q == nil || dlqURL == "" {
		return fmt.Errorf("dead-letter message %s: no dead-letter queue configured", msg.MessageId)
	}
	if _, err := q.SendMessage(ctx, DeadLetterInput(dlqURL, msg, dl)); err != nil {
		return fmt.Errorf("dead-letter message %s to %s: %w", msg.MessageId, dlqURL, err)
	}
	return nil
}

// attributeOrder lists the names worth copying, routing attributes first,
// and never a stale error.* attribute (the new reason replaces it).
func attributeOrder(in map[string]lambdaevents.SQSMessageAttribute) []string {
	names := make([]string, 0, len(in))
	for name := range in {
		if strings.HasPrefix(name, "error.") {
			continue
		}
		names = append(names, name)
	}
	rank := func(n string) int {
		switch n {
		case event.AttrType:
			return 0
		case event.AttrCorrelationID:
			return 1
		}
		return 2
	}
	slices.SortFunc(names, func(a, b string) int {
		if r := rank(a) - rank(b); r != 0 {
			return r
		}
		return strings.Compare(a, b)
	})
	return names
}

// convertAttribute turns a Lambda event attribute back into an SQS one. List
// values are not supported by SQS and empty values are refused, so both are
// dropped.
func convertAttribute(a lambdaevents.SQSMessageAttribute) (sqstypes.MessageAttributeValue, bool) {
	dt := a.DataType
	if dt == "" {
		dt = "String"
	}
	switch {
	case strings.HasPrefix(dt, "Binary"):
		if len(a.BinaryValue) == 0 {
			return sqstypes.MessageAttributeValue{}, false
		}
		return sqstypes.MessageAttributeValue{DataType: aws.String(dt), BinaryValue: a.BinaryValue}, true
	case strings.HasPrefix(dt, "String"), strings.HasPrefix(dt, "Number"):
		if a.StringValue == nil || *a.StringValue == "" {
			return sqstypes.MessageAttributeValue{}, false
		}
		return sqstypes.MessageAttributeValue{DataType: aws.String(dt), StringValue: aws.String(*a.StringValue)}, true
	}
	return sqstypes.MessageAttributeValue{}, false
}

func stringAttr(s string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
}

// sanitize keeps only the characters SQS accepts in a message (#x9, #xA,
// #xD, #x20–#xD7FF, #xE000–#xFFFD, #x10000–#x10FFFF) and cuts s to at most
// limit bytes on a rune boundary.
func sanitize(s string, limit int) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		ok := r == 0x9 || r == 0xA || r == 0xD ||
			(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000
		if !ok {
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > limit {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
