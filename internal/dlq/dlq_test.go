package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/eventchain/eventchain/internal/event"
)

func strAttr(v string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func TestMessageEventAndReason(t *testing.T) {
	env, err := event.New(event.TypeLaunchRequested, event.Meta{Subject: "req-1", CorrelationID: "corr-1", Time: time.Unix(1_700_000_000, 0)}, map[string]int{"count": 1})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(env)
	redriven := Reason{Code: CodeMaxReceives, Message: "from LaunchQueue"}
	tests := []struct {
		name       string
		body       string
		attrs      map[string]sqstypes.MessageAttributeValue
		source     string
		fallback   Reason
		wantType   string
		wantReq    string
		wantCorr   string
		wantData   string
		wantReason string
		malformed  bool
	}{
		{name: "envelope, consumer's reason", body: string(body),
			attrs:    map[string]sqstypes.MessageAttributeValue{event.AttrErrorCode: strAttr("InvalidPayload"), event.AttrErrorFunction: strAttr("launcher")},
			fallback: redriven, wantType: event.TypeLaunchRequested, wantReq: "req-1", wantCorr: "corr-1", wantData: `{"count":1}`, wantReason: "InvalidPayload"},
		{name: "the type attribute wins", body: string(body), attrs: map[string]sqstypes.MessageAttributeValue{event.AttrType: strAttr("bogus.type"), event.AttrCorrelationID: strAttr("corr-attr")},
			wantType: "bogus.type", wantReq: "req-1", wantCorr: "corr-attr", wantData: `{"count":1}`, wantReason: CodeUnknown},
		{name: "moved by a redrive policy", body: string(body), source: "arn:aws:sqs:us-east-1:123456789012:eventchain-LaunchQueue",
			wantType: event.TypeLaunchRequested, wantReq: "req-1", wantCorr: "corr-1", wantData: `{"count":1}`, wantReason: CodeMaxReceives},
		{name: "no body JSON: the body as a string", body: "not json", attrs: map[string]sqstypes.MessageAttributeValue{event.AttrType: strAttr("launch.requested")},
			fallback: Reason{Code: CodeDeliveryFailed}, wantType: "launch.requested", wantData: `"not json"`, wantReason: CodeDeliveryFailed, malformed: true},
		{name: "JSON but no envelope", body: `{"id":"e1","type":"x"}`, fallback: redriven,
			wantType: "x", wantData: `{"id":"e1","type":"x"}`, wantReason: CodeMaxReceives, malformed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMessage(sqstypes.Message{MessageId: aws.String("m1"), Body: aws.String(tc.body), MessageAttributes: tc.attrs,
				Attributes: map[string]string{"DeadLetterQueueSourceArn": tc.source, "SentTimestamp": "1700000000000", "ApproximateReceiveCount": "1"}})
			ev := m.Event()
			if ev.Type != tc.wantType || ev.RequestID != tc.wantReq || ev.CorrelationID != tc.wantCorr || string(ev.Data) != tc.wantData || (ev.Malformed != "") != tc.malformed {
				t.Errorf("event %+v", ev)
			}
			if r := m.Reason(tc.fallback); r.Code != tc.wantReason {
				t.Errorf("reason %+v, want %s", r, tc.wantReason)
			}
			if m.ReceiveCount() != 0 || !m.FirstReceive().IsZero() || !m.Sent.Equal(time.UnixMilli(1_700_000_000_000)) {
				t.Errorf("receive count %d, first %v, sent %v: this read was the first", m.ReceiveCount(), m.FirstReceive(), m.Sent)
			}
		})
	}
}

func TestParseRedrivePolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    RedrivePolicy
		wantErr bool
	}{
		{`{"deadLetterTargetArn":"arn:d","maxReceiveCount":5}`, RedrivePolicy{"arn:d", 5}, false},
		{`{"deadLetterTargetArn":"arn:d","maxReceiveCount":"10"}`, RedrivePolicy{"arn:d", 10}, false},
		{`{"deadLetterTargetArn":"arn:d"}`, RedrivePolicy{"arn:d", 0}, false},
		{`{"deadLetterTargetArn":"arn:d","maxReceiveCount":"many"}`, RedrivePolicy{}, true},
		{`not json`, RedrivePolicy{}, true},
	}
	for _, tc := range tests {
		got, err := ParseRedrivePolicy(tc.in)
		if (err != nil) != tc.wantErr || (err == nil && *got != tc.want) {
			t.Errorf("ParseRedrivePolicy(%s) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestClassify(t *testing.T) {
	op := func(err error) error {
		return &smithy.OperationError{ServiceID: "SQS", OperationName: "ReceiveMessage", Err: err}
	}
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"typed QueueDoesNotExist", op(&sqstypes.QueueDoesNotExist{Message: aws.String("gone")}), KindUnknownQueue},
		{"query code", op(&smithy.GenericAPIError{Code: "AWS.SimpleQueueService.NonExistentQueue"}), KindUnknownQueue},
		{"stack that does not exist", op(&smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id x does not exist"}), KindUnknownQueue},
		{"other validation error", op(&smithy.GenericAPIError{Code: "ValidationError", Message: "bad parameter"}), KindOther},
		{"our own", fmt.Errorf("resolve: %w", ErrUnknownQueue), KindUnknownQueue},
		{"AccessDenied", op(&smithy.GenericAPIError{Code: "AccessDenied"}), KindAccessDenied},
		{"AccessDeniedException", op(&smithy.GenericAPIError{Code: "AccessDeniedException"}), KindAccessDenied},
		{"KMS", op(&smithy.GenericAPIError{Code: "KMS.AccessDeniedException"}), KindAccessDenied},
		{"expired credentials", op(&smithy.GenericAPIError{Code: "ExpiredToken"}), KindAccessDenied},
		{"no credentials", op(errors.New("get identity: get credentials: failed to refresh cached credentials")), KindAccessDenied},
		{"connection refused", op(&smithyhttp.RequestSendError{Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}), KindUnreachable},
		{"DNS", op(&net.DNSError{Err: "no such host", Name: "sqs.example", IsNotFound: true}), KindUnreachable},
		{"throttled", op(&smithy.GenericAPIError{Code: "RequestThrottled"}), KindOther},
		{"template not found", fmt.Errorf("read template: %w", &fs.PathError{Op: "open", Path: "template.yaml", Err: fs.ErrNotExist}), KindOther},
		{"nil", nil, KindOther},
	}
	for _, tc := range tests {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("%s: Classify(%v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}

func testTopology() *Topology {
	return &Topology{
		Origin: "template.yaml",
		Queues: []Queue{
			{LogicalID: "LaunchQueue", Name: "eventchain-LaunchQueue", URL: "http://127.0.0.1:4566/123456789012/eventchain-LaunchQueue",
				ARN: "arn:aws:sqs:us-east-1:123456789012:eventchain-LaunchQueue", DeadLetterQueue: "LaunchDLQ", Consumer: event.FunctionLauncher},
			{LogicalID: "LaunchDLQ", Name: "eventchain-LaunchDLQ", URL: "http://127.0.0.1:4566/123456789012/eventchain-LaunchDLQ",
				ARN: "arn:aws:sqs:us-east-1:123456789012:eventchain-LaunchDLQ", Consumer: NoConsumer},
			{LogicalID: "LaunchSubscriptionDLQ", Name: "eventchain-LaunchSubscriptionDLQ", URL: "http://127.0.0.1:4566/123456789012/eventchain-LaunchSubscriptionDLQ"},
			{LogicalID: "Lonely", Name: "eventchain-Lonely", URL: "http://127.0.0.1:4566/123456789012/eventchain-Lonely"},
		},
		Subscriptions: []Subscription{{LogicalID: "LaunchSubscription", Topic: "EventsTopic", Queue: "LaunchQueue", DeadLetterQueue: "LaunchSubscriptionDLQ"}},
	}
}

func TestTopology(t *testing.T) {
	topo := testTopology()
	finds := []struct{ ref, want string }{
		{"LaunchDLQ", "LaunchDLQ"},
		{"eventchain-LaunchDLQ", "LaunchDLQ"},
		{"http://localhost:4566/123456789012/eventchain-LaunchDLQ", "LaunchDLQ"},
		{"arn:aws:sqs:us-east-1:123456789012:eventchain-LaunchQueue", "LaunchQueue"},
		{"Nope", ""},
		{"http://127.0.0.1:4566/999999999999/eventchain-LaunchDLQ", ""},
	}
	for _, tc := range finds {
		q, ok := topo.Find(tc.ref)
		if ok != (tc.want != "") || q.LogicalID != tc.want {
			t.Errorf("Find(%q) = %q, %v; want %q", tc.ref, q.LogicalID, ok, tc.want)
		}
	}
	var dlqs []string
	for _, q := range topo.DLQs() {
		dlqs = append(dlqs, q.LogicalID)
	}
	if !slices.Equal(dlqs, []string{"LaunchDLQ", "LaunchSubscriptionDLQ"}) {
		t.Errorf("DLQs %v", dlqs)
	}
	sources := []struct{ dlq, want, reason string }{
		{"LaunchDLQ", "queue LaunchQueue", CodeMaxReceives},
		{"LaunchSubscriptionDLQ", "subscription LaunchSubscription (EventsTopic → LaunchQueue)", CodeDeliveryFailed},
	}
	for _, tc := range sources {
		s := topo.Sources(tc.dlq)
		if len(s) != 1 || s[0].Describe() != tc.want || FallbackReason(s).Code != tc.reason {
			t.Errorf("Sources(%s) = %v (reason %v), want %s", tc.dlq, s, FallbackReason(s), tc.want)
		}
	}
	var none *Topology
	if _, ok := none.Find("LaunchDLQ"); ok || none.Sources("LaunchDLQ") != nil || none.DLQs() != nil {
		t.Error("a nil topology knows queues")
	}
}

// TestScanRereceived: a message that comes again (its visibility lapsed
// before an extension) is visited once, its receive count discounts both
// receives, and its latest receipt handle is the one released.
func TestScanRereceived(t *testing.T) {
	var rel releases
	f := &fakeSQS{
		attributes: visibleAttributes(3),
		receive: pages(
			[]sqstypes.Message{wireMessage("a", "a-1", "A", 1), wireMessage("b", "b-1", "B", 4)},
			[]sqstypes.Message{wireMessage("b", "b-2", "B", 5), wireMessage("c", "c-1", "C", 1)},
		),
		visibility: rel.record,
	}
	var visited []*Message
	stats, err := Scan(context.Background(), f, "http://q/123456789012/dlq", ScanOptions{}, func(m *Message) error {
		visited = append(visited, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(visited) != 3 || stats.Seen != 3 || stats.Rereceived != 1 || stats.Released != 3 {
		t.Fatalf("visited %d, stats %+v", len(visited), stats)
	}
	if b := visited[1]; b.ID != "b" || b.ReceiveCount() != 3 {
		t.Errorf("message b: receive count %d, want 5 less the scan's 2", b.ReceiveCount())
	}
	slices.Sort(rel.receipts)
	if !slices.Equal(rel.receipts, []string{"a-1", "b-2", "c-1"}) {
		t.Errorf("released %v, want the latest receipt of each", rel.receipts)
	}
}

// TestScanReleasesOnError: a visit that fails ends the scan, and what it
// held is visible again; a message whose timeout ran out meanwhile counts
// as released.
func TestScanReleasesOnError(t *testing.T) {
	f := &fakeSQS{attributes: visibleAttributes(2), receive: pages([]sqstypes.Message{wireMessage("a", "a-1", "A", 1), wireMessage("b", "b-1", "B", 1)}),
		visibility: func(in *sqs.ChangeMessageVisibilityBatchInput) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
			return &sqs.ChangeMessageVisibilityBatchOutput{
				Successful: []sqstypes.ChangeMessageVisibilityBatchResultEntry{{Id: in.Entries[0].Id}},
				Failed:     []sqstypes.BatchResultErrorEntry{{Id: in.Entries[1].Id, Code: aws.String("AWS.SimpleQueueService.MessageNotInflight"), SenderFault: true}},
			}, nil
		}}
	boom := errors.New("boom")
	stats, err := Scan(context.Background(), f, "http://q/123456789012/dlq", ScanOptions{}, func(m *Message) error { return boom })
	if !errors.Is(err, boom) || stats.Released != 2 || stats.Unreleased != 0 {
		t.Errorf("error %v, stats %+v; want boom and both released", err, stats)
	}
}

// moveScript is a move task as ListMessageMoveTasks reports it over time.
type moveScript struct {
	status    string
	moved     int64
	cancelled bool
	// quick: the task is done before the first poll after its start,
	// which then lists it without its handle.
	quick bool
	// earlier is a task that ran before, listed after this one.
	earlier bool
	started bool
}

func (s *moveScript) fake(t *testing.T, startErr error) *fakeSQS {
	return &fakeSQS{
		start: func(in *sqs.StartMessageMoveTaskInput) (*sqs.StartMessageMoveTaskOutput, error) {
			if startErr != nil {
				return nil, startErr
			}
			if aws.ToString(in.DestinationArn) != "arn:dest" || aws.ToInt32(in.MaxNumberOfMessagesPerSecond) != 50 {
				t.Errorf("start %+v: want the destination and the rate", in)
			}
			s.status, s.started = TaskRunning, true
			if s.quick {
				s.status, s.moved = TaskCompleted, 100
			}
			return &sqs.StartMessageMoveTaskOutput{TaskHandle: aws.String("h1")}, nil
		},
		list: func(*sqs.ListMessageMoveTasksInput) (*sqs.ListMessageMoveTasksOutput, error) {
			earlier := sqstypes.ListMessageMoveTasksResultEntry{Status: aws.String(TaskCompleted), StartedTimestamp: 1_600_000_000_000,
				ApproximateNumberOfMessagesMoved: 7, ApproximateNumberOfMessagesToMove: aws.Int64(7), SourceArn: aws.String("arn:src")}
			if !s.started {
				out := &sqs.ListMessageMoveTasksOutput{}
				if s.earlier {
					out.Results = append(out.Results, earlier)
				}
				return out, nil
			}
			e := sqstypes.ListMessageMoveTasksResultEntry{Status: aws.String(s.status), StartedTimestamp: 1_700_000_000_000,
				ApproximateNumberOfMessagesMoved: s.moved, ApproximateNumberOfMessagesToMove: aws.Int64(100), SourceArn: aws.String("arn:src")}
			if s.status == TaskRunning {
				e.TaskHandle = aws.String("h1")
				if !s.cancelled {
					s.moved = min(s.moved+25, 100)
					if s.moved == 100 {
						s.status = TaskCompleted
					}
				}
			}
			if s.status == TaskFailed {
				e.FailureReason = aws.String("AWS.SimpleQueueService.NonExistentQueue")
			}
			if s.status == TaskCancelling {
				s.status = TaskCancelled
			}
			out := &sqs.ListMessageMoveTasksOutput{Results: []sqstypes.ListMessageMoveTasksResultEntry{e}}
			if s.earlier {
				out.Results = append(out.Results, earlier)
			}
			return out, nil
		},
		cancel: func(in *sqs.CancelMessageMoveTaskInput) (*sqs.CancelMessageMoveTaskOutput, error) {
			if aws.ToString(in.TaskHandle) != "h1" {
				t.Errorf("cancel %s, want h1", aws.ToString(in.TaskHandle))
			}
			s.cancelled, s.status = true, TaskCancelling
			return &sqs.CancelMessageMoveTaskOutput{ApproximateNumberOfMessagesMoved: s.moved}, nil
		},
	}
}

func TestMove(t *testing.T) {
	tests := []struct {
		name        string
		failAt      int64 // moved count at which the task fails (0: never)
		interrupt   bool
		startErr    error
		quick       bool
		earlier     bool
		wantStatus  string
		wantErr     error
		wantErrText string
	}{
		{name: "completes", wantStatus: TaskCompleted},
		{name: "done before the first poll", quick: true, wantStatus: TaskCompleted},
		{name: "done before the first poll, after an earlier task", quick: true, earlier: true, wantStatus: TaskCompleted},
		{name: "interrupted: cancelled and waited for", interrupt: true, wantStatus: TaskCancelled, wantErr: ErrInterrupted},
		{name: "fails with SQS's reason", failAt: 50, wantStatus: TaskFailed, wantErrText: "NonExistentQueue"},
		{name: "another task runs", startErr: &smithy.GenericAPIError{Code: "AWS.SimpleQueueService.UnsupportedOperation"}, wantErr: ErrTaskActive},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &moveScript{quick: tc.quick, earlier: tc.earlier}
			f := s.fake(t, tc.startErr)
			if tc.startErr != nil {
				s.status, s.moved, s.started = TaskRunning, 10, true
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var seen []int64
			task, err := Move(ctx, f, MoveOptions{SourceARN: "arn:src", DestinationARN: "arn:dest", Rate: 50, Poll: time.Millisecond,
				Progress: func(mt MoveTask) {
					seen = append(seen, mt.Moved)
					if tc.interrupt && mt.Moved >= 50 {
						cancel()
					}
					if tc.failAt > 0 && mt.Moved >= tc.failAt {
						s.status = TaskFailed
					}
				}})
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) || tc.wantErr == nil && tc.wantErrText == "" && err != nil ||
				tc.wantErrText != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErrText)) {
				t.Fatalf("error %v", err)
			}
			if tc.startErr != nil {
				return
			}
			if task.Status != tc.wantStatus || len(seen) == 0 || !slices.IsSorted(seen) || task.Started.UnixMilli() != 1_700_000_000_000 {
				t.Errorf("task %+v, progress %v", task, seen)
			}
			if tc.interrupt && (!s.cancelled || task.Moved != seen[len(seen)-1]) {
				t.Errorf("cancelled %v, moved %d; want the count SQS reports once the task stopped", s.cancelled, task.Moved)
			}
		})
	}
	if _, err := Move(context.Background(), &fakeSQS{}, MoveOptions{Rate: 501}); err == nil {
		t.Error("rate 501 accepted")
	}
}

// TestRedriveStopsWhereItCannotBeSure: a message whose send got no answer,
// or whose delete failed after its send, is named; the redrive stops there
// and nothing else is in both queues.
func TestRedriveStopsWhereItCannotBeSure(t *testing.T) {
	unreachable := &smithyhttp.RequestSendError{Err: &net.OpError{Op: "read", Err: errors.New("connection reset")}}
	tests := []struct {
		name          string
		sendErr       error // for message "b"
		deleteErr     error // for message "b"
		wantInBoth    bool
		wantUncertain bool
		wantMoved     int
	}{
		{name: "send without answer", sendErr: unreachable, wantInBoth: true, wantUncertain: true, wantMoved: 1},
		{name: "send refused", sendErr: &smithy.GenericAPIError{Code: "AccessDenied"}, wantMoved: 1},
		{name: "delete failed", deleteErr: unreachable, wantInBoth: true, wantMoved: 1},
		{name: "all moved", wantMoved: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rel releases
			var sent, deleted []string
			f := &fakeSQS{attributes: visibleAttributes(3),
				receive:    pages([]sqstypes.Message{wireMessage("a", "a-1", "A", 1), wireMessage("b", "b-1", "B", 1), wireMessage("c", "c-1", "C", 1)}),
				visibility: rel.record,
				send: func(_ context.Context, in *sqs.SendMessageInput) (*sqs.SendMessageOutput, error) {
					if aws.ToString(in.MessageBody) == "B" && tc.sendErr != nil {
						return nil, tc.sendErr
					}
					if aws.ToString(in.MessageGroupId) != "redrive" || aws.ToString(in.MessageDeduplicationId) != strings.ToLower(aws.ToString(in.MessageBody)) {
						t.Errorf("FIFO send %s: group %s, dedup %s; want the DLQ message's id as dedup id", aws.ToString(in.MessageBody), aws.ToString(in.MessageGroupId), aws.ToString(in.MessageDeduplicationId))
					}
					sent = append(sent, aws.ToString(in.MessageBody))
					return &sqs.SendMessageOutput{}, nil
				},
				del: func(_ context.Context, in *sqs.DeleteMessageInput) (*sqs.DeleteMessageOutput, error) {
					if aws.ToString(in.ReceiptHandle) == "b-1" && tc.deleteErr != nil {
						return nil, tc.deleteErr
					}
					deleted = append(deleted, aws.ToString(in.ReceiptHandle))
					return &sqs.DeleteMessageOutput{}, nil
				},
			}
			res, err := Redrive(context.Background(), f, RedriveOptions{SourceURL: "http://q/123456789012/dlq",
				Target: QueueState{URL: "http://q/123456789012/src.fifo", Name: "src.fifo", FIFO: true}})
			if (err != nil) != (tc.wantMoved < 3) || res.Moved != tc.wantMoved || len(deleted) != tc.wantMoved {
				t.Errorf("error %v, moved %d, deleted %v", err, res.Moved, deleted)
			}
			if (res.InBoth != nil) != tc.wantInBoth || res.Uncertain != tc.wantUncertain || (res.InBoth != nil && res.InBoth.ID != "b") {
				t.Errorf("InBoth %v, uncertain %v", res.InBoth, res.Uncertain)
			}
			// What was not moved is visible again: c always, b when it stayed.
			if !slices.Contains(rel.receipts, "c-1") && tc.wantMoved < 3 {
				t.Errorf("released %v, want c-1 among them", rel.receipts)
			}
		})
	}
}

// TestImportEntries: FIFO ids go to a FIFO queue as they were, a standard
// queue gets none; batches hold ten records at most.
func TestImportEntries(t *testing.T) {
	rec := func(i int, group string) string {
		r := Record{MessageID: fmt.Sprint(i), Body: fmt.Sprint("body ", i), MessageGroupID: group,
			Attributes: map[string]Attribute{"bin": {DataType: "Binary", BinaryValue: []byte{0, 0xff}}}}
		if group != "" {
			r.MessageDeduplicationID = group + "-d"
		}
		b, _ := json.Marshal(r)
		return string(b)
	}
	tests := []struct {
		name        string
		fifo        bool
		lines       []string
		wantBatches []int
		wantDropped int
		wantErr     string
	}{
		{"standard, ids dropped", false, []string{rec(1, "g"), rec(2, "g")}, []int{2}, 2, ""},
		{"fifo keeps ids", true, []string{rec(1, "g"), rec(2, "h")}, []int{2}, 0, ""},
		{"fifo needs a group", true, []string{rec(1, "")}, nil, 0, "has no messageGroupId"},
		{"eleven records, two batches", false, func() []string {
			var l []string
			for i := range 11 {
				l = append(l, rec(i, ""))
			}
			return l
		}(), []int{10, 1}, 0, ""},
		{"not a record", false, []string{`{"body":"x","color":"red"}`}, nil, 0, "line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var batches []int
			f := &fakeSQS{sendBatch: func(in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				batches = append(batches, len(in.Entries))
				for _, e := range in.Entries {
					if tc.fifo != (e.MessageGroupId != nil) || tc.fifo != (e.MessageDeduplicationId != nil) {
						t.Errorf("entry %s: group %v, dedup %v", aws.ToString(e.MessageBody), e.MessageGroupId, e.MessageDeduplicationId)
					}
					if a := e.MessageAttributes["bin"]; string(a.BinaryValue) != "\x00\xff" {
						t.Errorf("binary attribute %v", a.BinaryValue)
					}
				}
				return &sqs.SendMessageBatchOutput{}, nil
			}}
			res, err := Import(context.Background(), f, QueueState{URL: "http://q/1/t", Name: "t", FIFO: tc.fifo}, strings.NewReader(strings.Join(tc.lines, "\n")), nil)
			if (err != nil) != (tc.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if !slices.Equal(batches, tc.wantBatches) || res.DroppedFIFOIDs != tc.wantDropped {
				t.Errorf("batches %v, dropped %d", batches, res.DroppedFIFOIDs)
			}
		})
	}
}

func TestConsumerEffect(t *testing.T) {
	for _, fn := range []string{event.FunctionLauncher, event.FunctionWatcher, event.FunctionNotifier} {
		if e := ConsumerEffect(fn, "Q"); !strings.HasPrefix(e, fn+":") || !strings.Contains(e, "already closed") {
			t.Errorf("%s: %q", fn, e)
		}
	}
	if e := ConsumerEffect(NoConsumer, "UnroutedQueue"); !strings.Contains(e, "nothing consumes UnroutedQueue") {
		t.Errorf("no consumer: %q", e)
	}
	if e := ConsumerEffect("", "Q"); e != "" {
		t.Errorf("unknown consumer: %q", e)
	}
}
