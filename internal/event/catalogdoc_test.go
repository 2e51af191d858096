// External tests: they check the page against the packages that import
// internal/event (the notifier, the consumer runner), which an internal
// test could not import.
package event_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/notifier"
	"github.com/eventchain/eventchain/internal/status"
)

func TestEventsDocUpToDate(t *testing.T) {
	got, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatalf("read docs/events.md: %v (run `make docs`)", err)
	}
	if string(got) != event.Markdown() {
		t.Fatal("docs/events.md differs from the event catalog: run `make docs`")
	}
}

func TestMarkdownDescribesEveryType(t *testing.T) {
	md := event.Markdown()
	for _, s := range event.Catalog {
		t.Run(s.Type, func(t *testing.T) {
			if !strings.Contains(md, "| `"+s.Type+"` | `"+s.DataSchema+"` |") {
				t.Errorf("no table row for %s with its schema", s.Type)
			}
			for _, p := range s.Producers {
				for _, c := range s.Consumers {
					edge := p + ` -->|"` + s.Type + `"| ` + c
					if !strings.Contains(md, edge) {
						t.Errorf("diagram lacks edge %q", edge)
					}
				}
			}
			if !strings.Contains(md, "\n### `"+s.Type+"`\n") {
				t.Errorf("no payload section for %s", s.Type)
			}
		})
	}
}

func TestMarkdownPayloadFields(t *testing.T) {
	md := event.Markdown()
	tests := []struct {
		name string
		row  string
	}{
		{name: "required string", row: "| `requestId` | string | yes |"},
		{name: "optional map", row: "| `tags` | object of string | no |"},
		{name: "integer", row: "| `count` | integer | yes |"},
		{name: "time", row: "| `launchedAt` | string (RFC 3339 time) | yes |"},
		{name: "optional array", row: "| `securityGroupIds` | array of string | no |"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(md, tc.row) {
				t.Errorf("payload tables lack %q", tc.row)
			}
		})
	}
}

func TestMarkdownSections(t *testing.T) {
	md := event.Markdown()
	unrouted, _ := event.RouteOf("")
	tests := []struct {
		name string
		want string
	}{
		{name: "unrouted path", want: `EventsTopic[(EventsTopic)] -->|"any other type, or none"| ` + unrouted.Queue},
		{name: "launcher route", want: "| `launcher` | `LaunchQueue` | `LaunchDLQ` | `LaunchSubscription` | `LaunchSubscriptionDLQ` | `{\"type\":[\"launch.requested\"]}` |"},
		{name: "notifier filter", want: "| `NotifySubscriptionDLQ` | `{\"type\":[\"instance.running\",\"launch.failed\"]}` |"},
		{name: "unrouted route", want: "| none: people read it | `UnroutedQueue` | `UnroutedDLQ` |"},
		{name: "status order", want: "`PENDING` → `ACCEPTED` → `LAUNCHING` → `RUNNING` | `FAILED`"},
		{name: "accepted", want: "| `ACCEPTED` | `api` | `launch.requested` |"},
		{name: "launching", want: "| `LAUNCHING` | `launcher` | `instance.launched` |"},
		{name: "running from the catalog", want: "| `RUNNING` | `notifier` | `instance.running` |"},
		{name: "publish failed", want: "| `FAILED` | `api` | `launch.failed` | publishing"},
		{name: "watcher reads", want: "`watcher` only reads it."},
		{name: "retries exhausted", want: "| `RetriesExhausted` | `launcher.(*Handler).retry` |"},
		{name: "EC2 code passed through", want: "`InvalidAMIID.*`"},
		{name: "watch timeout", want: "| `WatchTimeout` | `watcher.(*Handler).timeout` |"},
		{name: "publish failed code", want: "| `PublishFailed` | `api.(*Handler).failUnpublished` |"},
		{name: "notification type", want: "| `type` | `notification.running`, `notification.failed`, by final status |"},
		{name: "dead-letter function", want: "| `error.function` |"},
		{name: "runner reason", want: "| `TypeMismatch` | `consumer.(*Runner).decode` |"},
		{name: "notifier reason", want: "| `RequestNotFound` | `notifier.(*Handler).notify` |"},
		{name: "retry code", want: "| `InstancesPending` | `watcher.(*Handler).watch` |"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(md, tc.want) {
				t.Errorf("page lacks %q", tc.want)
			}
		})
	}
}

// TestNotificationFields checks the page's notification table against
// the notifier's type.
func TestNotificationFields(t *testing.T) {
	typ := reflect.TypeFor[notifier.Notification]()
	var got []event.DocField
	for f := range typ.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		always := !slices.Contains(strings.Split(opts, ","), "omitempty")
		got = append(got, event.DocField{Name: name, Type: event.JSONType(f.Type), AlwaysSet: always})
	}
	var want []event.DocField
	for _, f := range event.NotificationFields {
		f.Meaning = ""
		want = append(want, f)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("notifier.Notification is\n%+v\nthe page says\n%+v", got, want)
	}
}

// TestNotificationExamples replays each example through the notifier: a
// terminal event for a request whose stored state the example describes
// must make the notifier publish the example byte for byte, with the
// attributes the page lists.
func TestNotificationExamples(t *testing.T) {
	for _, example := range event.NotificationExamples {
		var n notifier.Notification
		if err := json.Unmarshal([]byte(example), &n); err != nil {
			t.Fatalf("example %s: %v", example, err)
		}
		t.Run(string(n.Status), func(t *testing.T) {
			spec, ok := event.Lookup(n.Event)
			if !ok || !spec.Terminal || spec.FinalStatus != string(n.Status) {
				t.Fatalf("example event %q is not the terminal event of %s", n.Event, n.Status)
			}
			var payload any = event.InstanceRunning{RequestID: n.RequestID, InstanceIDs: n.InstanceIDs}
			if n.Error != nil {
				payload = event.LaunchFailed{RequestID: n.RequestID, Code: n.Error.Code, Message: n.Error.Message}
			}
			env, err := event.New(n.Event, event.Meta{Source: "eventchain/test", Subject: n.RequestID, CorrelationID: n.CorrelationID}, payload)
			if err != nil {
				t.Fatal(err)
			}
			body, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			snsClient := &capturingSNS{}
			h, err := notifier.New(notifier.Config{NotificationsTopicARN: "arn:aws:sns:us-east-1:123456789012:notifications"},
				notifier.Deps{SNS: snsClient, Store: &storedRequest{req: status.Request{
					ID: n.RequestID, Status: n.Status, CorrelationID: n.CorrelationID, InstanceIDs: n.InstanceIDs,
					Error: n.Error, History: []status.HistoryEntry{{Event: n.Event, Status: n.Status}},
				}}})
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := h.Handle(context.Background(), lambdaevents.SQSEvent{Records: []lambdaevents.SQSMessage{{
				MessageId: "m1", Body: string(body),
				MessageAttributes: map[string]lambdaevents.SQSMessageAttribute{
					event.AttrType: {DataType: "String", StringValue: aws.String(n.Event)},
				},
			}}})
			if len(resp.BatchItemFailures) > 0 || len(snsClient.inputs) != 1 {
				t.Fatalf("notifier failed the record (%v) or published %d notifications, want 1", resp.BatchItemFailures, len(snsClient.inputs))
			}
			in := snsClient.inputs[0]
			if got := aws.ToString(in.Message); got != example {
				t.Errorf("notifier published\n%s\nthe page's example is\n%s", got, example)
			}
			attrs := map[string]string{}
			for name, v := range in.MessageAttributes {
				attrs[name] = aws.ToString(v.StringValue)
			}
			want := map[string]string{
				event.AttrType:               event.NotificationType(string(n.Status)),
				event.NotificationAttrStatus: string(n.Status),
				event.AttrCorrelationID:      n.CorrelationID,
			}
			if !reflect.DeepEqual(attrs, want) {
				t.Errorf("notification attributes %v, the page says %v", attrs, want)
			}
		})
	}
}

type capturingSNS struct {
	mu     sync.Mutex
	inputs []*sns.PublishInput
}

func (c *capturingSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inputs = append(c.inputs, in)
	return &sns.PublishOutput{MessageId: aws.String("n1")}, nil
}

// storedRequest answers every transition with one request, as a store
// holding it would once it is closed.
type storedRequest struct{ req status.Request }

func (s *storedRequest) RecordHop(context.Context, string, status.Hop) error { return nil }
func (s *storedRequest) MarkNotified(context.Context, string) error          { return nil }
func (s *storedRequest) Advance(context.Context, string, status.Transition) (status.Request, error) {
	return s.req, nil
}

// TestDeadLetterAttributes checks the page's dead-letter attributes and
// limits against the runner's.
func TestDeadLetterAttributes(t *testing.T) {
	long := strings.Repeat("x", 2000)
	msg := lambdaevents.SQSMessage{
		Body: `{"not":"an envelope"}`,
		MessageAttributes: map[string]lambdaevents.SQSMessageAttribute{
			event.AttrCorrelationID: {DataType: "String", StringValue: aws.String("c1")},
			event.AttrErrorCode:     {DataType: "String", StringValue: aws.String("Stale")},
		},
	}
	in := consumer.DeadLetterInput("https://sqs.example/dlq", msg, consumer.DeadLetter{
		Code: long, Message: long, Function: event.FunctionLauncher, EventType: event.TypeLaunchRequested,
	})
	var got []string
	for name := range in.MessageAttributes {
		got = append(got, name)
	}
	var want []string
	for _, a := range event.DeadLetterAttributes {
		want = append(want, a.Name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("dead letter has attributes %v, the page lists %v", got, want)
	}
	page := map[string]string{}
	for _, a := range event.DeadLetterAttributes {
		page[a.Name] = a.Value
	}
	limits := []struct {
		attr  string
		bytes int
	}{
		{attr: event.AttrErrorCode, bytes: 256},
		{attr: event.AttrErrorMessage, bytes: 1024},
	}
	for _, l := range limits {
		if v := aws.ToString(in.MessageAttributes[l.attr].StringValue); len(v) != l.bytes {
			t.Errorf("%s cut to %d bytes, want %d", l.attr, len(v), l.bytes)
		}
		if !strings.Contains(page[l.attr], "at most "+strconv.Itoa(l.bytes)+" bytes") {
			t.Errorf("page says %s is %q, want its %d-byte limit", l.attr, page[l.attr], l.bytes)
		}
	}
	if v := aws.ToString(in.MessageAttributes[event.AttrType].StringValue); v != event.TypeLaunchRequested {
		t.Errorf("%s = %q, want %q, set from the envelope", event.AttrType, v, event.TypeLaunchRequested)
	}
}
