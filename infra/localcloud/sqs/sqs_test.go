package sqs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
)

// fakeClock is a settable clock for tests of timing rules.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTestService(t *testing.T, db *bbolt.DB, clock *fakeClock) *Service {
	t.Helper()
	opts := Options{BaseURL: "http://127.0.0.1:4566", DB: db}
	if clock != nil {
		opts.Clock = clock.Now
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openDB(t testing.TB, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("open db: %v", err)
	}
	return db
}

// crash abandons a service without closing it, as a SIGKILL would: its
// log segment stays unfolded and its goroutines are left behind.
func crash(t *testing.T, db *bbolt.DB) {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatalf("close db: %v", err)
	}
}

// call sends one request through ServeHTTP and decodes the answer.
func call(t *testing.T, s *Service, op string, in any) (int, map[string]any, http.Header) {
	t.Helper()
	body, _ := json.Marshal(in)
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
	req.Header.Set("X-Amz-Target", "AmazonSQS."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s answered %q: %v", op, rec.Body.String(), err)
	}
	return rec.Code, out, rec.Header()
}

// mustCall fails the test unless the call succeeds.
func mustCall(t *testing.T, s *Service, op string, in any) map[string]any {
	t.Helper()
	code, out, _ := call(t, s, op, in)
	if code != 200 {
		t.Fatalf("%s: %d %v", op, code, out)
	}
	return out
}

func createQ(t *testing.T, s *Service, name string, attrs map[string]string) string {
	t.Helper()
	return mustCall(t, s, "CreateQueue", map[string]any{"QueueName": name, "Attributes": attrs})["QueueUrl"].(string)
}

func send(t *testing.T, s *Service, url string, extra map[string]any) map[string]any {
	t.Helper()
	in := map[string]any{"QueueUrl": url}
	for k, v := range extra {
		in[k] = v
	}
	return mustCall(t, s, "SendMessage", in)
}

func receive(t *testing.T, s *Service, url string, extra map[string]any) []map[string]any {
	t.Helper()
	in := map[string]any{"QueueUrl": url, "MaxNumberOfMessages": 10, "MessageSystemAttributeNames": []string{"All"}}
	for k, v := range extra {
		in[k] = v
	}
	out := mustCall(t, s, "ReceiveMessage", in)
	var msgs []map[string]any
	if list, ok := out["Messages"].([]any); ok {
		for _, m := range list {
			msgs = append(msgs, m.(map[string]any))
		}
	}
	return msgs
}

func bodies(msgs []map[string]any) string {
	var b []string
	for _, m := range msgs {
		b = append(b, m["Body"].(string))
	}
	return strings.Join(b, ",")
}

func TestMD5OfAttributes(t *testing.T) {
	// Expected digests computed with an independent implementation of the
	// algorithm AWS documents (Python struct/hashlib).
	tests := []struct {
		name  string
		attrs map[string]awsmsg.Attribute
		want  string
	}{
		{"none", nil, ""},
		{"two strings", map[string]awsmsg.Attribute{
			"attr1": {DataType: "String", StringValue: "test1"},
			"attr2": {DataType: "String", StringValue: "test2"}}, "81271a12e96d8bd914d42ecf2114c215"},
		{"number and binary", map[string]awsmsg.Attribute{
			"a": {DataType: "Number", StringValue: "1.50"},
			"b": {DataType: "Binary", BinaryValue: []byte{0, 0xff}}}, "c41efe13e94be5c2bcb67e3af38cb6f7"},
		{"trace header as system attribute", map[string]awsmsg.Attribute{
			"AWSTraceHeader": {DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793"}}, "62a56dd927315f2b2e12832b84617ea5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := md5OfAttributes(tt.attrs); got != tt.want {
				t.Errorf("md5OfAttributes = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"queue name plain", validQueueName, "orders_1-a", true},
		{"queue name fifo", validQueueName, "orders.fifo", true},
		{"queue name empty", validQueueName, "", false},
		{"queue name dot", validQueueName, "a.b", false},
		{"queue name only suffix", validQueueName, ".fifo", false},
		{"queue name 80", validQueueName, strings.Repeat("a", 80), true},
		{"queue name 81", validQueueName, strings.Repeat("a", 81), false},
		{"batch id ok", validBatchID, "a-B_9", true},
		{"batch id space", validBatchID, "a b", false},
		{"batch id 81", validBatchID, strings.Repeat("x", 81), false},
		{"body tab newline", checkText, "a\tb\nc\r", true},
		{"body emoji", checkText, "héllo 🎉", true},
		{"body NUL", checkText, "a\x00b", false},
		{"body FFFE", checkText, "a\uFFFEb", false},
		{"body bad utf8", checkText, "a\xffb", false},
		{"group id punctuation", validFIFOToken, "g!~#", true},
		{"group id space", validFIFOToken, "g 1", false},
		{"number", validNumber, "-1.5e10", true},
		{"not number", validNumber, "abc", false},
		{"NaN is no number", validNumber, "NaN", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fn(tt.in); got != tt.want {
				t.Errorf("%q: got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSendValidationErrors(t *testing.T) {
	s := newTestService(t, nil, nil)
	url := createQ(t, s, "v", map[string]string{"MaximumMessageSize": "1024"})
	tooMany := map[string]any{}
	for i := range 11 {
		tooMany[fmt.Sprintf("a%d", i)] = map[string]any{"DataType": "String", "StringValue": "x"}
	}
	tests := []struct {
		name   string
		in     map[string]any
		status int
		query  string
	}{
		{"missing body", map[string]any{}, 400, "MissingParameter"},
		{"bad characters", map[string]any{"MessageBody": "a\u0001"}, 400, "InvalidMessageContents"},
		{"too large", map[string]any{"MessageBody": strings.Repeat("x", 1025)}, 400, "InvalidParameterValue"},
		{"eleven attributes", map[string]any{"MessageBody": "x", "MessageAttributes": tooMany}, 400, "InvalidParameterValue"},
		{"reserved attribute name", map[string]any{"MessageBody": "x", "MessageAttributes": map[string]any{"AWS.x": map[string]any{"DataType": "String", "StringValue": "v"}}}, 400, "InvalidParameterValue"},
		{"bad number", map[string]any{"MessageBody": "x", "MessageAttributes": map[string]any{"n": map[string]any{"DataType": "Number", "StringValue": "x"}}}, 400, "InvalidParameterValue"},
		{"delay out of range", map[string]any{"MessageBody": "x", "DelaySeconds": 901}, 400, "InvalidParameterValue"},
		{"dedup id on standard queue", map[string]any{"MessageBody": "x", "MessageDeduplicationId": "d"}, 400, "InvalidParameterValue"},
		{"missing queue", map[string]any{"MessageBody": "x", "QueueUrl": "http://localhost:4566/123456789012/nope"}, 400, "AWS.SimpleQueueService.NonExistentQueue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := map[string]any{"QueueUrl": url}
			for k, v := range tt.in {
				in[k] = v
			}
			code, out, h := call(t, s, "SendMessage", in)
			if code != tt.status || h.Get("x-amzn-query-error") != tt.query+";Sender" {
				t.Errorf("got %d %q %v, want %d %s", code, h.Get("x-amzn-query-error"), out, tt.status, tt.query)
			}
			if typ, _ := out["__type"].(string); !strings.HasPrefix(typ, "com.amazonaws.sqs#") {
				t.Errorf("__type = %q", typ)
			}
		})
	}
}

func TestQueueURLWithOtherHost(t *testing.T) {
	s := newTestService(t, nil, nil)
	createQ(t, s, "hosts", nil)
	send(t, s, "http://localhost:9999/123456789012/hosts", map[string]any{"MessageBody": "x"})
	if got := receive(t, s, "http://127.0.0.1:4566/123456789012/hosts", nil); len(got) != 1 {
		t.Fatalf("received %d, want 1", len(got))
	}
}

func TestFIFOGroupsAndDeduplication(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	s := newTestService(t, nil, clock)
	url := createQ(t, s, "f.fifo", map[string]string{"FifoQueue": "true"})
	sendF := func(body, group, dedup string) map[string]any {
		return send(t, s, url, map[string]any{"MessageBody": body, "MessageGroupId": group, "MessageDeduplicationId": dedup})
	}
	a1 := sendF("a1", "A", "1")
	sendF("b1", "B", "2")
	sendF("a2", "A", "3")
	dup := sendF("a1-again", "A", "1")
	if dup["MessageId"] != a1["MessageId"] || dup["SequenceNumber"] != a1["SequenceNumber"] {
		t.Errorf("duplicate answered %v, original %v", dup, a1)
	}
	// Ordered by group; a group with a message in flight gives nothing more.
	first := receive(t, s, url, map[string]any{"MaxNumberOfMessages": 1})
	if bodies(first) != "a1" {
		t.Fatalf("first receive %q, want a1", bodies(first))
	}
	if got := bodies(receive(t, s, url, nil)); got != "b1" {
		t.Fatalf("while group A is in flight got %q, want b1", got)
	}
	// Visibility ends: a1 comes back before a2.
	clock.Add(31 * time.Second)
	again := receive(t, s, url, nil)
	if got := bodies(again); got != "a1,a2,b1" {
		t.Fatalf("after the timeout got %q, want a1,a2,b1", got)
	}
	// After the window, the same deduplication id is a new message.
	clock.Add(dedupWindow)
	fresh := sendF("a1-later", "A", "1")
	if fresh["MessageId"] == a1["MessageId"] {
		t.Errorf("deduplication id remembered after %v", dedupWindow)
	}
}

func TestContentBasedDeduplicationScopes(t *testing.T) {
	s := newTestService(t, nil, nil)
	url := createQ(t, s, "g.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup"})
	x := send(t, s, url, map[string]any{"MessageBody": "same", "MessageGroupId": "g1"})
	y := send(t, s, url, map[string]any{"MessageBody": "same", "MessageGroupId": "g2"})
	z := send(t, s, url, map[string]any{"MessageBody": "same", "MessageGroupId": "g1"})
	if x["MessageId"] == y["MessageId"] || x["MessageId"] != z["MessageId"] {
		t.Errorf("messageGroup scope: %v %v %v", x["MessageId"], y["MessageId"], z["MessageId"])
	}
}

func TestRedriveKeepsSentTimestamp(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	s := newTestService(t, nil, clock)
	dlq := createQ(t, s, "d", nil)
	src := createQ(t, s, "s", map[string]string{"VisibilityTimeout": "0",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:d","maxReceiveCount":3}`})
	send(t, s, src, map[string]any{"MessageBody": "m"})
	sentAt := clock.Now().UnixMilli()
	for i := 1; i <= 3; i++ {
		clock.Add(time.Second)
		got := receive(t, s, src, nil)
		if len(got) != 1 || got[0]["Attributes"].(map[string]any)["ApproximateReceiveCount"] != fmt.Sprint(i) {
			t.Fatalf("receive %d: %v", i, got)
		}
	}
	clock.Add(time.Second)
	if got := receive(t, s, src, nil); len(got) != 0 {
		t.Fatalf("fourth receive delivered %v; maxReceiveCount is 3", got)
	}
	dead := receive(t, s, dlq, nil)
	if len(dead) != 1 {
		t.Fatalf("DLQ holds %d", len(dead))
	}
	attrs := dead[0]["Attributes"].(map[string]any)
	if attrs["SentTimestamp"] != fmt.Sprint(sentAt) {
		t.Errorf("SentTimestamp in DLQ %v, want the original %d", attrs["SentTimestamp"], sentAt)
	}
	if attrs["DeadLetterQueueSourceArn"] != "arn:aws:sqs:us-east-1:123456789012:s" {
		t.Errorf("DeadLetterQueueSourceArn = %v", attrs["DeadLetterQueueSourceArn"])
	}
}

func TestBatchRules(t *testing.T) {
	s := newTestService(t, nil, nil)
	url := createQ(t, s, "b", nil)
	big := strings.Repeat("x", 200<<10)
	var entries []map[string]any
	for i := range 6 {
		entries = append(entries, map[string]any{"Id": fmt.Sprint(i), "MessageBody": big})
	}
	tests := []struct {
		name    string
		entries any
		query   string
	}{
		{"empty", []any{}, "AWS.SimpleQueueService.EmptyBatchRequest"},
		{"bad id", []any{map[string]any{"Id": "a b", "MessageBody": "x"}}, "AWS.SimpleQueueService.InvalidBatchEntryId"},
		{"too long", entries, "AWS.SimpleQueueService.BatchRequestTooLong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, h := call(t, s, "SendMessageBatch", map[string]any{"QueueUrl": url, "Entries": tt.entries})
			if code != 400 || h.Get("x-amzn-query-error") != tt.query+";Sender" {
				t.Errorf("got %d %s %v, want %s", code, h.Get("x-amzn-query-error"), out, tt.query)
			}
		})
	}
	// One bad entry fails alone.
	out := mustCall(t, s, "SendMessageBatch", map[string]any{"QueueUrl": url, "Entries": []any{
		map[string]any{"Id": "ok", "MessageBody": "x"}, map[string]any{"Id": "bad", "MessageBody": "\u0000"}}})
	if len(out["Successful"].([]any)) != 1 || len(out["Failed"].([]any)) != 1 {
		t.Errorf("partial batch: %v", out)
	}
}

func TestChangeVisibilityNotInflight(t *testing.T) {
	s := newTestService(t, nil, nil)
	url := createQ(t, s, "c", nil)
	send(t, s, url, map[string]any{"MessageBody": "x"})
	m := receive(t, s, url, nil)[0]
	mustCall(t, s, "ChangeMessageVisibility", map[string]any{"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0})
	code, _, h := call(t, s, "ChangeMessageVisibility", map[string]any{"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 10})
	if code != 400 || h.Get("x-amzn-query-error") != "AWS.SimpleQueueService.MessageNotInflight;Sender" {
		t.Errorf("visible message: %d %s, want MessageNotInflight", code, h.Get("x-amzn-query-error"))
	}
}

// sendTo delivers as SNS does: StartSend, then its commit.
func sendTo(s *Service, arn, body string, attrs map[string]awsmsg.Attribute, group, dedup string) error {
	commit, err := s.StartSend(arn, body, attrs, group, dedup)
	if err != nil {
		return err
	}
	return commit()
}

func TestStartSend(t *testing.T) {
	s := newTestService(t, nil, nil)
	url := createQ(t, s, "sns-target", nil)
	err := sendTo(s, "arn:aws:sqs:us-east-1:123456789012:sns-target", "body", map[string]awsmsg.Attribute{"type": {DataType: "String", StringValue: "t"}}, "", "")
	if err != nil {
		t.Fatalf("StartSend: %v", err)
	}
	if err := sendTo(s, "arn:aws:sqs:us-east-1:123456789012:missing", "b", nil, "", ""); err == nil {
		t.Error("StartSend to a missing queue succeeded")
	}
	if err := sendTo(s, "arn:aws:sqs:us-east-1:123456789012:sns-target", "\u0000", nil, "", ""); err == nil {
		t.Error("StartSend with an invalid body succeeded")
	}
	got := receive(t, s, url, map[string]any{"MessageAttributeNames": []string{"All"}})
	if len(got) != 1 || got[0]["Body"] != "body" || got[0]["MessageAttributes"] == nil {
		t.Errorf("received %v", got)
	}
	_, res := s.Counters().Snapshot()
	if r := res["arn:aws:sqs:us-east-1:123456789012:sns-target"]; r.In != 1 || r.Out != 1 {
		t.Errorf("counters %+v, want 1 in and 1 out", r)
	}
}

func TestDurableAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	open := func() *bbolt.DB {
		db, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	s, err := New(Options{BaseURL: "http://127.0.0.1:4566", DB: db})
	if err != nil {
		t.Fatal(err)
	}
	url := createQ(t, s, "keep.fifo", map[string]string{"FifoQueue": "true", "VisibilityTimeout": "1"})
	mustCall(t, s, "TagQueue", map[string]any{"QueueUrl": url, "Tags": map[string]string{"k": "v"}})
	for i := range 5 {
		send(t, s, url, map[string]any{"MessageBody": fmt.Sprint(i), "MessageGroupId": "g", "MessageDeduplicationId": fmt.Sprint(i)})
	}
	first := receive(t, s, url, map[string]any{"MaxNumberOfMessages": 2})
	mustCall(t, s, "DeleteMessage", map[string]any{"QueueUrl": url, "ReceiptHandle": first[0]["ReceiptHandle"]})
	s.Close()
	db.Close()

	db = open()
	defer db.Close()
	s2 := newTestService(t, db, nil)
	tags := mustCall(t, s2, "ListQueueTags", map[string]any{"QueueUrl": url})
	if tags["Tags"].(map[string]any)["k"] != "v" {
		t.Errorf("tags after reopen: %v", tags)
	}
	// "1" was in flight: it returns after its 1 s timeout, first in its group.
	if got := receive(t, s2, url, nil); len(got) != 0 {
		t.Errorf("group blocked by in-flight message, yet received %v", bodies(got))
	}
	time.Sleep(1100 * time.Millisecond)
	got := receive(t, s2, url, map[string]any{"WaitTimeSeconds": 2})
	if bodies(got) != "1,2,3,4" {
		t.Errorf("after reopen got %q, want 1,2,3,4", bodies(got))
	}
	if c := got[0]["Attributes"].(map[string]any)["ApproximateReceiveCount"]; c != "2" {
		t.Errorf("receive count of the reloaded message %v, want 2", c)
	}
	dup := send(t, s2, url, map[string]any{"MessageBody": "again", "MessageGroupId": "g", "MessageDeduplicationId": "4"})
	if dup["SequenceNumber"] == "" {
		t.Errorf("duplicate send: %v", dup)
	}
	if n := len(receive(t, s2, url, map[string]any{"VisibilityTimeout": 0})); n != 0 {
		t.Errorf("a deduplicated send after reopen was enqueued (%d received)", n)
	}
}

// FuzzRequest feeds arbitrary operations and bodies through the wire
// layer: nothing may panic, and every answer is JSON, an error carrying
// its __type and query code.
func FuzzRequest(f *testing.F) {
	f.Add("SendMessage", `{"QueueUrl":"http://h/1/q","MessageBody":"x","MessageAttributes":{"a":{"DataType":"Binary","BinaryValue":"AAE="}}}`)
	f.Add("ReceiveMessage", `{"QueueUrl":"q","MaxNumberOfMessages":10,"MessageAttributeNames":["All"]}`)
	f.Add("SendMessageBatch", `{"QueueUrl":"q","Entries":[{"Id":"1","MessageBody":"b","DelaySeconds":3}]}`)
	f.Add("CreateQueue", `{"QueueName":"a.fifo","Attributes":{"FifoQueue":"true"},"tags":{"k":"v"}}`)
	f.Add("DeleteMessageBatch", `{"Entries":[{"Id":"x","ReceiptHandle":"y"}]}`)
	f.Add("Nope", `{}`)
	f.Add("SendMessage", `{"MessageBody":1}`)
	f.Add("SendMessage", `{} {}`)
	s, err := New(Options{BaseURL: "http://127.0.0.1:4566"})
	if err != nil {
		f.Fatalf("New: %v", err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, op, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s answered %q: %v", op, rec.Body.String(), err)
		}
		if rec.Code != http.StatusOK && (out["__type"] == nil || rec.Header().Get("x-amzn-query-error") == "") {
			t.Fatalf("%s: error %d without __type or query code: %s", op, rec.Code, rec.Body.String())
		}
	})
}

func TestStartSendFIFO(t *testing.T) {
	s := newTestService(t, nil, nil)
	fifo := createQ(t, s, "target.fifo", map[string]string{"FifoQueue": "true"})
	std := createQ(t, s, "standard", nil)
	const fifoARN, stdARN = "arn:aws:sqs:us-east-1:123456789012:target.fifo", "arn:aws:sqs:us-east-1:123456789012:standard"
	tests := []struct {
		name, arn, body, group, dedup string
		wantErr                       bool
	}{
		{name: "first", arn: fifoARN, body: "one", group: "g", dedup: "d1"},
		{name: "duplicate id", arn: fifoARN, body: "one again", group: "g", dedup: "d1"},
		{name: "second", arn: fifoARN, body: "two", group: "g", dedup: "d2"},
		{name: "no group", arn: fifoARN, body: "lost", dedup: "d3", wantErr: true},
		{name: "standard queue ignores the ids", arn: stdARN, body: "std", group: "g", dedup: "d1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := sendTo(s, tc.arn, tc.body, nil, tc.group, tc.dedup)
			if (err != nil) != tc.wantErr {
				t.Errorf("StartSend: %v, want error %v", err, tc.wantErr)
			}
		})
	}
	got := receive(t, s, fifo, nil)
	if bodies(got) != "one,two" {
		t.Errorf("FIFO queue delivered %q, want one,two (in order, the duplicate dropped)", bodies(got))
	}
	if g := got[0]["Attributes"].(map[string]any); g["MessageGroupId"] != "g" || g["MessageDeduplicationId"] != "d1" {
		t.Errorf("attributes %v, want group g and deduplication id d1", g)
	}
	if b := bodies(receive(t, s, std, nil)); b != "std" {
		t.Errorf("standard queue delivered %q, want std", b)
	}
}
