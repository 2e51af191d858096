package cloudwatch

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// fakeClock is a clock the test moves; the service's own loop runs on it
// too, so nothing is due until the test says so.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fakeQueues answers one queue's metrics as the test sets them.
type fakeQueues struct {
	mu      sync.Mutex
	visible int
	age     time.Duration
	exists  bool
}

func (q *fakeQueues) set(visible int, exists bool) {
	q.mu.Lock()
	q.visible, q.exists = visible, exists
	q.mu.Unlock()
}

func (q *fakeQueues) QueueMetrics(name string) (int, time.Duration, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if name != "work" {
		return 0, 0, false
	}
	return q.visible, q.age, q.exists
}

type published struct{ topic, subject, message string }

// fakeTopics records what is published; a topic named "broken" refuses.
type fakeTopics struct {
	mu  sync.Mutex
	got []published
}

func (f *fakeTopics) Publish(topic, subject, message string) error {
	if strings.HasSuffix(topic, ":broken") {
		return errors.New("NotFound: Topic does not exist")
	}
	f.mu.Lock()
	f.got = append(f.got, published{topic, subject, message})
	f.mu.Unlock()
	return nil
}

func (f *fakeTopics) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got)
}

// wait returns the first n messages published, failing the test if they
// do not come.
func (f *fakeTopics) wait(t *testing.T, n int) []published {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		got := append([]published(nil), f.got...)
		f.mu.Unlock()
		if len(got) >= n {
			return got[:n]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notifications published, want %d: %+v", len(got), n, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type harness struct {
	svc    *Service
	clock  *fakeClock
	queues *fakeQueues
	topics *fakeTopics
	client *cloudwatch.Client
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{
		// A period boundary, so that the test's steps fall where it says.
		clock:  &fakeClock{now: time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)},
		queues: &fakeQueues{exists: true},
		topics: &fakeTopics{},
	}
	svc, err := New(Options{Clock: h.clock.Now, Queues: h.queues, Topics: h.topics})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(func() {
		srv.Close()
		if err := svc.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	h.svc = svc
	h.client = cloudwatch.New(cloudwatch.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	return h
}

// period moves the clock through one 60 s period, sampling at its sample
// times with the queue holding visible messages (or missing).
func (h *harness) period(visible int, exists bool) {
	h.queues.set(visible, exists)
	for range samplesPerPeriod {
		h.svc.evaluateDue()
		h.clock.advance(60 * time.Second / samplesPerPeriod)
	}
}

// judge evaluates the period that just ended. Its sample of the next
// period finds the queue missing, so it adds nothing there.
func (h *harness) judge() {
	h.queues.set(0, false)
	h.svc.evaluateDue()
}

func (h *harness) state(t *testing.T, name string) cwtypes.MetricAlarm {
	t.Helper()
	out, err := h.client.DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms(%s) = %d alarms", name, len(out.MetricAlarms))
	}
	return out.MetricAlarms[0]
}

const (
	okTopic    = "arn:aws:sns:us-east-1:123456789012:ok"
	alarmTopic = "arn:aws:sns:us-east-1:123456789012:alarm"
)

// TestAlarmEvaluatesMOutOfNAndMissingData drives a 2-out-of-3 alarm
// through the states with a clock the test moves: OK on the first good
// datapoint, ALARM once two of the last three breach, still ALARM while
// older real datapoints cover the missing ones (and under the rule
// against premature OK), INSUFFICIENT_DATA once nothing is left.
func TestAlarmEvaluatesMOutOfNAndMissingData(t *testing.T) {
	h := newHarness(t)
	_, err := h.client.PutMetricAlarm(t.Context(), &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("depth"), AlarmDescription: aws.String("work piles up"),
		Namespace: aws.String("AWS/SQS"), MetricName: aws.String("ApproximateNumberOfMessagesVisible"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String("work")}},
		Statistic:  cwtypes.StatisticMaximum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(2),
		Threshold: aws.Float64(5), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		OKActions: []string{okTopic}, AlarmActions: []string{alarmTopic},
	})
	if err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	if a := h.state(t, "depth"); a.StateValue != cwtypes.StateValueInsufficientData || aws.ToString(a.StateReason) != initialReason {
		t.Fatalf("new alarm: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}

	steps := []struct {
		visible int
		exists  bool
		want    cwtypes.StateValue
	}{
		{0, true, cwtypes.StateValueOk},                // [0]: one good datapoint
		{7, true, cwtypes.StateValueOk},                // [0 X]: one breach is not two
		{7, true, cwtypes.StateValueAlarm},             // [0 X X]
		{0, false, cwtypes.StateValueAlarm},            // [0 X X -]: three real ones still
		{0, false, cwtypes.StateValueAlarm},            // [0 X X - -]
		{0, false, cwtypes.StateValueAlarm},            // [X X - - -]: two breach
		{0, false, cwtypes.StateValueAlarm},            // [X - - - -]: old enough to stay
		{0, false, cwtypes.StateValueInsufficientData}, // [- - - - -]
	}
	for i, st := range steps {
		h.period(st.visible, st.exists)
		h.judge()
		if a := h.state(t, "depth"); a.StateValue != st.want {
			t.Fatalf("after period %d: %s (%s), want %s", i+1, a.StateValue, aws.ToString(a.StateReason), st.want)
		}
	}

	got := h.topics.wait(t, 2) // OK, then ALARM; INSUFFICIENT_DATA has no action
	if got[0].topic != okTopic || got[1].topic != alarmTopic {
		t.Fatalf("published to %s then %s", got[0].topic, got[1].topic)
	}
	if got[1].subject != `ALARM: "depth" in US East (N. Virginia)` {
		t.Errorf("subject %q", got[1].subject)
	}
	var n lambdaevents.CloudWatchAlarmSNSPayload
	if err := json.Unmarshal([]byte(got[1].message), &n); err != nil {
		t.Fatalf("notification %s: %v", got[1].message, err)
	}
	want := lambdaevents.CloudWatchAlarmSNSPayload{
		AlarmName: "depth", AlarmDescription: "work piles up", AWSAccountID: "123456789012",
		NewStateValue: "ALARM", OldStateValue: "OK", Region: "US East (N. Virginia)",
		AlarmARN: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:depth",
		Trigger: lambdaevents.CloudWatchAlarmTrigger{
			MetricName: "ApproximateNumberOfMessagesVisible", Namespace: "AWS/SQS", StatisticType: "Statistic", Statistic: "MAXIMUM",
			Dimensions: []lambdaevents.CloudWatchDimension{{Name: "QueueName", Value: "work"}},
			Period:     60, EvaluationPeriods: 3, ComparisonOperator: "GreaterThanOrEqualToThreshold", Threshold: 5, TreatMissingData: "missing",
		},
	}
	reason, changed := n.NewStateReason, n.StateChangeTime
	n.NewStateReason, n.StateChangeTime = "", ""
	if !jsonEqual(t, n, want) {
		t.Errorf("notification = %+v\nwant %+v", n, want)
	}
	if !strings.HasPrefix(reason, "Threshold Crossed: 2 out of the last 3 datapoints [7.0 (02/01/25 03:02:00), 7.0 (02/01/25 03:01:00)] were greater than or equal to the threshold (5.0)") {
		t.Errorf("reason %q", reason)
	}
	if changed != "2025-01-02T03:03:00.000+0000" {
		t.Errorf("StateChangeTime %q", changed)
	}

	hist, err := h.client.DescribeAlarmHistory(t.Context(), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("depth"), ScanBy: cwtypes.ScanByTimestampAscending})
	if err != nil {
		t.Fatalf("DescribeAlarmHistory: %v", err)
	}
	var kinds []string
	for _, item := range hist.AlarmHistoryItems {
		kinds = append(kinds, string(item.HistoryItemType)+": "+aws.ToString(item.HistorySummary))
	}
	wantKinds := []string{
		`ConfigurationUpdate: Alarm "depth" created`,
		"StateUpdate: Alarm updated from INSUFFICIENT_DATA to OK",
		"Action: Successfully executed action " + okTopic,
		"StateUpdate: Alarm updated from OK to ALARM",
		"Action: Successfully executed action " + alarmTopic,
		"StateUpdate: Alarm updated from ALARM to INSUFFICIENT_DATA",
	}
	if strings.Join(kinds, "\n") != strings.Join(wantKinds, "\n") {
		t.Errorf("history:\n%s\nwant\n%s", strings.Join(kinds, "\n"), strings.Join(wantKinds, "\n"))
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}

// TestSetAlarmStateRunsActionsUntilTheNextEvaluation: SetAlarmState runs
// the new state's actions, a failed action is in the history with its
// error, disabled actions do not run, and the next evaluation puts the
// state back where the data says.
func TestSetAlarmStateRunsActionsUntilTheNextEvaluation(t *testing.T) {
	h := newHarness(t)
	put := &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("depth"), Namespace: aws.String("AWS/SQS"), MetricName: aws.String("ApproximateNumberOfMessagesVisible"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String("work")}},
		Statistic:  cwtypes.StatisticMaximum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, TreatMissingData: aws.String("notBreaching"),
		AlarmActions: []string{alarmTopic, "arn:aws:sns:us-east-1:123456789012:broken"},
	}
	if _, err := h.client.PutMetricAlarm(t.Context(), put); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.SetAlarmState(t.Context(), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("depth"),
		StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("testing"), StateReasonData: aws.String(`{"by":"test"}`)}); err != nil {
		t.Fatalf("SetAlarmState: %v", err)
	}
	got := h.topics.wait(t, 1)
	var n lambdaevents.CloudWatchAlarmSNSPayload
	if err := json.Unmarshal([]byte(got[0].message), &n); err != nil || n.NewStateValue != "ALARM" || n.NewStateReason != "testing" || n.OldStateValue != "INSUFFICIENT_DATA" {
		t.Errorf("notification %s (%v)", got[0].message, err)
	}
	if a := h.state(t, "depth"); a.StateValue != cwtypes.StateValueAlarm || aws.ToString(a.StateReasonData) != `{"by":"test"}` {
		t.Errorf("after SetAlarmState: %s %q", a.StateValue, aws.ToString(a.StateReasonData))
	}
	failed := waitHistory(t, h, cwtypes.HistoryItemTypeAction, 2)
	if !strings.Contains(failed, "Failed to execute action arn:aws:sns:us-east-1:123456789012:broken") || !strings.Contains(failed, "Topic does not exist") {
		t.Errorf("action history: %s", failed)
	}

	h.period(0, true)
	h.judge()
	if a := h.state(t, "depth"); a.StateValue != cwtypes.StateValueOk {
		t.Errorf("after a good period: %s, want OK", a.StateValue)
	}

	if _, err := h.client.DisableAlarmActions(t.Context(), &cloudwatch.DisableAlarmActionsInput{AlarmNames: []string{"depth"}}); err != nil {
		t.Fatal(err)
	}
	h.period(3, true)
	h.judge()
	a := h.state(t, "depth")
	if a.StateValue != cwtypes.StateValueAlarm || aws.ToBool(a.ActionsEnabled) {
		t.Errorf("after a bad period with actions disabled: %s, actions enabled %v", a.StateValue, aws.ToBool(a.ActionsEnabled))
	}
	// Actions would have been queued with the state change: give the
	// notifier time to publish them.
	time.Sleep(100 * time.Millisecond)
	if n := h.topics.count(); n != 1 {
		t.Errorf("%d notifications, want only the one before actions were disabled", n)
	}
}

// waitHistory waits for n items of a type and returns their summaries.
func waitHistory(t *testing.T, h *harness, kind cwtypes.HistoryItemType, n int) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := h.client.DescribeAlarmHistory(t.Context(), &cloudwatch.DescribeAlarmHistoryInput{HistoryItemType: kind})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.AlarmHistoryItems) >= n {
			var s []string
			for _, item := range out.AlarmHistoryItems {
				s = append(s, aws.ToString(item.HistorySummary))
			}
			return strings.Join(s, "\n")
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s history items, want %d", len(out.AlarmHistoryItems), kind, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNotificationSubjectFitsSNS(t *testing.T) {
	tests := []struct{ name, want string }{
		{"depth", `ALARM: "depth" in US East (N. Virginia)`},
		{"dépôt", `ALARM: "d?p?t" in US East (N. Virginia)`},
		{strings.Repeat("x", 200), `ALARM: "` + strings.Repeat("x", 92)},
	}
	for _, tc := range tests {
		got := notificationSubject("ALARM", tc.name, regionName("us-east-1"))
		if got != tc.want || len(got) > maxSubject {
			t.Errorf("subject of %q = %q, want %q", tc.name, got, tc.want)
		}
	}
}
