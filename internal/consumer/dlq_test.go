package consumer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/motoserver"
)

func strAttr(v string) events.SQSMessageAttribute {
	return events.SQSMessageAttribute{DataType: "String", StringValue: aws.String(v)}
}

func TestDeadLetterInputAttributes(t *testing.T) {
	many := map[string]events.SQSMessageAttribute{
		event.AttrType:          strAttr("launch.requested"),
		event.AttrCorrelationID: strAttr("c-1"),
		"error.code":            strAttr("Stale"),
	}
	for i := range 10 {
		many[fmt.Sprintf("extra%02d", i)] = strAttr("v")
	}
	tests := []struct {
		name      string
		attrs     map[string]events.SQSMessageAttribute
		dl        consumer.DeadLetter
		wantCount int
		want      map[string]string // attribute → value ("" = must be absent)
	}{
		{
			name:      "too many originals: routing attributes kept, total 10",
			attrs:     many,
			dl:        consumer.DeadLetter{Code: "MalformedEvent", Message: "bad", Function: "launcher"},
			wantCount: 10,
			want: map[string]string{
				event.AttrType: "launch.requested", event.AttrCorrelationID: "c-1",
				event.AttrErrorCode: "MalformedEvent", "extra00": "v", "extra04": "v", "extra05": "",
			},
		},
		{
			name:      "missing type filled from envelope",
			attrs:     map[string]events.SQSMessageAttribute{event.AttrCorrelationID: strAttr("c-2")},
			dl:        consumer.DeadLetter{Code: "RequestNotFound", Message: "gone", Function: "notifier", EventType: "instance.running"},
			wantCount: 5,
			want:      map[string]string{event.AttrType: "instance.running", event.AttrErrorFunction: "notifier"},
		},
		{
			name: "unsupported and empty originals dropped",
			attrs: map[string]events.SQSMessageAttribute{
				"list":  {DataType: "String", StringListValues: []string{"a"}},
				"empty": strAttr(""),
				"num":   {DataType: "Number", StringValue: aws.String("42")},
				"bin":   {DataType: "Binary", BinaryValue: []byte{1, 2}},
			},
			dl:        consumer.DeadLetter{Code: "X", Function: "launcher"},
			wantCount: 5,
			want:      map[string]string{"num": "42", "list": "", "empty": "", event.AttrErrorMessage: "unknown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := consumer.DeadLetterInput(dlqURL, events.SQSMessage{Body: "b", MessageAttributes: tt.attrs}, tt.dl)
			if len(in.MessageAttributes) != tt.wantCount {
				t.Errorf("attributes = %d, want %d", len(in.MessageAttributes), tt.wantCount)
			}
			for name, want := range tt.want {
				got, ok := in.MessageAttributes[name]
				switch {
				case want == "" && ok:
					t.Errorf("attribute %s present, want absent", name)
				case want != "" && (!ok || got.StringValue == nil || *got.StringValue != want):
					t.Errorf("attribute %s = %+v, want %q", name, got, want)
				}
			}
		})
	}
}

func TestDeadLetterInputSanitizesReason(t *testing.T) {
	long := strings.Repeat("é", 2000) // 4000 bytes
	in := consumer.DeadLetterInput(dlqURL, events.SQSMessage{Body: "b"}, consumer.DeadLetter{
		Code: "C\x00ode", Message: long + "\xff", Function: "launcher",
	})
	msg := *in.MessageAttributes[event.AttrErrorMessage].StringValue
	if len(msg) > 1024 || !utf8.ValidString(msg) {
		t.Errorf("error.message: %d bytes, valid UTF-8 %v; want ≤ 1024 valid bytes", len(msg), utf8.ValidString(msg))
	}
	if got := *in.MessageAttributes[event.AttrErrorCode].StringValue; got != "C?ode" {
		t.Errorf("error.code = %q, want control character replaced", got)
	}
}

// TestSendDeadLetterOverTheWire sends a dead letter to moto's SQS with the
// real SDK client and reads it back with every attribute.
func TestSendDeadLetterOverTheWire(t *testing.T) {
	endpoint := motoserver.Start(t)
	ctx := context.Background()
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	created, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("launch-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	msg := events.SQSMessage{
		MessageId: "m1",
		Body:      `{"not":"an envelope"}`,
		MessageAttributes: map[string]events.SQSMessageAttribute{
			event.AttrType:          strAttr("launch.requested"),
			event.AttrCorrelationID: strAttr("c-1"),
		},
	}
	err = consumer.SendDeadLetter(ctx, client, *created.QueueUrl, msg, consumer.DeadLetter{
		Code: consumer.CodeMalformed, Message: "malformed event: missing id", Function: event.FunctionLauncher,
	})
	if err != nil {
		t.Fatalf("SendDeadLetter: %v", err)
	}
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: created.QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("received %d messages, want 1", len(out.Messages))
	}
	got := out.Messages[0]
	if *got.Body != msg.Body {
		t.Errorf("body = %q, want the original", *got.Body)
	}
	want := map[string]string{
		event.AttrType: "launch.requested", event.AttrCorrelationID: "c-1",
		event.AttrErrorCode: consumer.CodeMalformed, event.AttrErrorMessage: "malformed event: missing id",
		event.AttrErrorFunction: event.FunctionLauncher,
	}
	if len(got.MessageAttributes) != len(want) {
		t.Errorf("attributes = %d, want %d", len(got.MessageAttributes), len(want))
	}
	for name, v := range want {
		if a, ok := got.MessageAttributes[name]; !ok || a.StringValue == nil || *a.StringValue != v {
			t.Errorf("attribute %s = %+v, want %q", name, a, v)
		}
	}
}
