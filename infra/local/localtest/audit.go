package localtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/dlq"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/launcher"
	"github.com/eventchain/eventchain/internal/status"
)

// Pipeline is a running local mode as the audit reaches it: its HTTP
// front, localcloud, and the resolved template it runs, for the names of
// its queues.
type Pipeline struct {
	APIURL   string
	AWS      aws.Config
	Template *samtemplate.Resolved
}

// Config is the SDK configuration on a localcloud endpoint.
func Config(cloudURL, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(cloudURL),
		HTTPClient:   awsenv.HTTPClient(),
	}
}

// State is a terminal state of a request.
type State string

// The terminal states.
const (
	Running      State = "RUNNING"
	Failed       State = "FAILED"
	DeadLettered State = "DEAD_LETTERED"
)

// CodeUnrouted is the reason of a message in a queue that takes what no
// consumer knows (the unrouted queue): it is there because no filter
// policy matched its type.
const CodeUnrouted = "Unrouted"

// Instance is an instance EC2 holds under a request's tag.
type Instance struct {
	ID, State string
}

// Letter is a message in a dead-letter queue or in the unrouted queue.
type Letter struct {
	Queue     string // the queue's logical id
	MessageID string
	Body      string
	EventType string
	// RequestID is the envelope's subject; "" when the body is no
	// envelope.
	RequestID string
	Reason    dlq.Reason
}

func (l Letter) String() string {
	body := l.Body
	if len(body) > 120 {
		body = body[:120] + "…"
	}
	return fmt.Sprintf("%s: %s (%s) %s: %q", l.Queue, l.Reason.Code, l.Reason.Function, l.EventType, body)
}

// Verdict is what the audit found of one request.
type Verdict struct {
	RequestID string
	// Count is how many instances the request asked for.
	Count int
	// States are the terminal states the evidence puts it in: exactly one
	// is right.
	States      []State
	Status      string
	InstanceIDs []string
	Error       *status.Failure
	// Instances are those EC2 holds under the request's tag, in any state.
	Instances []Instance
	Letters   []Letter
	// Problems say what evidence contradicts a state, or is unexplained.
	Problems []string
}

// Settled reports whether the request is in exactly one terminal state
// with nothing contradicting it.
func (v Verdict) Settled() bool { return len(v.States) == 1 && len(v.Problems) == 0 }

func (v Verdict) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "request %s (count %d): in %v; status %q", v.RequestID, v.Count, v.States, v.Status)
	if v.Error != nil {
		fmt.Fprintf(&b, " (%s: %s)", v.Error.Code, v.Error.Message)
	}
	fmt.Fprintf(&b, ", status instances %v, EC2 %v", v.InstanceIDs, v.Instances)
	for _, l := range v.Letters {
		fmt.Fprintf(&b, "; letter %s", l)
	}
	for _, p := range v.Problems {
		fmt.Fprintf(&b, "; %s", p)
	}
	return b.String()
}

// Report is the audit of a set of requests.
type Report struct {
	Verdicts []Verdict // by request id
	Counts   map[State]int
	// Unsettled are the requests in no state, in more than one, or with
	// contradicting evidence.
	Unsettled []Verdict
	// Strays are the messages of the dead-letter and unrouted queues that
	// name no request of the audit.
	Strays []Letter
	// UnclaimedInstances counts instances tagged with a request id the
	// audit was not given (a request whose acceptance its caller never
	// heard of, such as a POST cut off by a crash).
	UnclaimedInstances int
}

func (r Report) String() string {
	return fmt.Sprintf("%d requests: %d RUNNING, %d FAILED, %d dead-lettered, %d not in exactly one state; %d stray messages, %d unclaimed instances",
		len(r.Verdicts), r.Counts[Running], r.Counts[Failed], r.Counts[DeadLettered], len(r.Unsettled), len(r.Strays), r.UnclaimedInstances)
}

// Settle waits until the queues the functions consume hold nothing,
// visible, in flight or delayed: then no record is left to change a
// request's state. It reads the queues in template order, which is the
// chain's (launch, watch, notify): a record only moves downstream, and
// each handler publishes the next event before its record is deleted,
// so a record in the chain is in at least one queue at every moment and
// cannot slip past a read of the queue it moves to.
func Settle(ctx context.Context, p Pipeline, timeout time.Duration) error {
	client := sqs.NewFromConfig(p.AWS)
	var urls []string
	for _, q := range p.Template.Queues {
		if consumed(p.Template, q.LogicalID) {
			urls = append(urls, q.URL)
		}
	}
	deadline := time.Now().Add(timeout)
	for {
		busy, err := firstBusy(ctx, client, urls)
		if err != nil {
			return err
		}
		if busy == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still busy after %s: %s", timeout, busy)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// firstBusy names the first queue that holds a message, with its counts;
// "" when none does.
func firstBusy(ctx context.Context, client *sqs.Client, urls []string) (string, error) {
	names := []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
	}
	for _, url := range urls {
		out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
		if err != nil {
			return "", fmt.Errorf("depth of %s: %w", url, err)
		}
		total := 0
		for _, n := range names {
			v, _ := strconv.Atoi(out.Attributes[string(n)])
			total += v
		}
		if total > 0 {
			return fmt.Sprintf("%s holds %s visible, %s in flight, %s delayed", dlq.NameFromURL(url),
				out.Attributes[string(names[0])], out.Attributes[string(names[1])], out.Attributes[string(names[2])]), nil
		}
	}
	return "", nil
}

// consumed reports whether a function of the template consumes the queue.
func consumed(t *samtemplate.Resolved, logicalID string) bool {
	for _, f := range t.Functions {
		for _, ev := range f.SQSEvents {
			if ev.Enabled && ev.Queue == logicalID {
				return true
			}
		}
	}
	return false
}

// Audit classifies each request of requests (request id → instance
// count asked for) by what the status table, EC2 and the dead-letter and
// unrouted queues hold now. Run it once the pipeline has settled: it
// reads a moment, not a history.
func Audit(ctx context.Context, p Pipeline, requests map[string]int) (Report, error) {
	letters, err := readLetters(ctx, p)
	if err != nil {
		return Report{}, err
	}
	instances, err := taggedInstances(ctx, p.AWS)
	if err != nil {
		return Report{}, err
	}
	statuses, err := readStatuses(ctx, p.APIURL, requests)
	if err != nil {
		return Report{}, err
	}

	r := Report{Counts: map[State]int{}}
	byRequest := map[string][]Letter{}
	for _, l := range letters {
		if _, ok := requests[l.RequestID]; ok {
			byRequest[l.RequestID] = append(byRequest[l.RequestID], l)
		} else {
			r.Strays = append(r.Strays, l)
		}
	}
	for id, insts := range instances {
		if _, ok := requests[id]; !ok {
			r.UnclaimedInstances += len(insts)
		}
	}
	ids := make([]string, 0, len(requests))
	for id := range requests {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		v := classify(id, requests[id], statuses[id], instances[id], byRequest[id])
		for _, s := range v.States {
			r.Counts[s]++
		}
		if !v.Settled() {
			r.Unsettled = append(r.Unsettled, v)
		}
		r.Verdicts = append(r.Verdicts, v)
	}
	return r, nil
}

// launchStatus is what GET /launches/{id} answers, as far as the audit
// reads it; Found is false on a 404.
type launchStatus struct {
	Found       bool
	Status      string          `json:"status"`
	InstanceIDs []string        `json:"instanceIds"`
	Error       *status.Failure `json:"error"`
}

func classify(id string, count int, st launchStatus, insts []Instance, letters []Letter) Verdict {
	v := Verdict{RequestID: id, Count: count, Status: st.Status, InstanceIDs: st.InstanceIDs, Error: st.Error, Instances: insts, Letters: letters}
	var live []string
	for _, in := range insts {
		if in.State == string(ec2types.InstanceStateNamePending) || in.State == string(ec2types.InstanceStateNameRunning) {
			live = append(live, in.ID)
		}
	}
	switch {
	case !st.Found:
		v.Problems = append(v.Problems, "the status table does not know it")
	case st.Status == string(status.Running):
		// Every instance ever launched for it counts, terminated ones
		// included: a second set cleaned up later is still a second launch.
		var tagged []string
		for _, in := range insts {
			tagged = append(tagged, in.ID)
		}
		switch {
		case len(insts) != count:
			v.Problems = append(v.Problems, fmt.Sprintf("RUNNING, but EC2 holds %d instances under its tag, want %d", len(insts), count))
		case !sameSet(tagged, st.InstanceIDs):
			v.Problems = append(v.Problems, fmt.Sprintf("RUNNING with instances %v, but EC2's under its tag are %v", st.InstanceIDs, tagged))
		case len(live) != count:
			v.Problems = append(v.Problems, fmt.Sprintf("RUNNING, but only %d of its %d instances are pending or running", len(live), count))
		default:
			v.States = append(v.States, Running)
		}
	case st.Status == string(status.Failed):
		switch {
		case st.Error == nil || st.Error.Code == "":
			v.Problems = append(v.Problems, "FAILED without a reason")
		case len(live) > 0:
			v.Problems = append(v.Problems, fmt.Sprintf("FAILED, yet instances %v still pending or running", live))
		default:
			v.States = append(v.States, Failed)
		}
	}
	dead := false
	for _, l := range letters {
		switch {
		case l.Reason.Code == dlq.CodeUnknown || l.Reason.Code == "":
			v.Problems = append(v.Problems, "a letter without a reason in "+l.Queue)
		case l.Reason.Code == CodeUnrouted:
			v.Problems = append(v.Problems, fmt.Sprintf("its %s is in %s: no consumer took it", l.EventType, l.Queue))
		case retriesExhausted(st, l):
			// The launcher failed the request on the launch queue's last
			// receive and left the record to the redrive policy on
			// purpose, so that the DLQ's alarm tells an operator: one
			// failure, seen in two places.
		default:
			dead = true
		}
	}
	if dead {
		v.States = append(v.States, DeadLettered)
	}
	return v
}

// retriesExhausted reports whether l is the launch.requested the redrive
// policy moved after the launcher failed its request with
// RetriesExhausted.
func retriesExhausted(st launchStatus, l Letter) bool {
	return st.Status == string(status.Failed) && st.Error != nil && st.Error.Code == launcher.CodeRetriesExhausted &&
		l.EventType == event.TypeLaunchRequested && l.Reason.Code == dlq.CodeMaxReceives
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// readLetters reads every message of the template's dead-letter queues
// and of the queues no function consumes (the unrouted queue), without
// taking any out: dlq.Scan holds them while it reads and releases them.
func readLetters(ctx context.Context, p Pipeline) ([]Letter, error) {
	client := sqs.NewFromConfig(p.AWS)
	deadLetterQueues := p.Template.DeadLetterQueues()
	subscriptionDLQ := map[string]bool{}
	subscribed := map[string]bool{}
	for _, s := range p.Template.Subscriptions {
		subscriptionDLQ[s.DeadLetterQueue] = true
		subscribed[s.EndpointQueue] = true
	}
	var letters []Letter
	for _, q := range p.Template.Queues {
		var fallback dlq.Reason
		switch {
		case subscriptionDLQ[q.LogicalID]:
			fallback = dlq.Reason{Code: dlq.CodeDeliveryFailed, Message: "SNS could not deliver it"}
		case slices.Contains(deadLetterQueues, q.LogicalID):
			// A message neither a consumer nor the redrive policy put
			// there has no reason: Reason answers CodeUnknown.
		case subscribed[q.LogicalID] && !consumed(p.Template, q.LogicalID):
			fallback = dlq.Reason{Code: CodeUnrouted, Message: "no consumer's filter policy matched its type"}
		default:
			continue
		}
		stats, err := dlq.Scan(ctx, client, q.URL, dlq.ScanOptions{Wait: time.Second}, func(m *dlq.Message) error {
			e := m.Event()
			letters = append(letters, Letter{Queue: q.LogicalID, MessageID: m.ID, Body: m.Body, EventType: e.Type,
				RequestID: e.RequestID, Reason: m.Reason(fallback)})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", q.LogicalID, err)
		}
		// A message held by someone else cannot be read: the audit
		// would miss it.
		if stats.InFlight > 0 || stats.Seen < stats.Expected {
			return nil, fmt.Errorf("read %s: saw %d of %d messages, %d in flight elsewhere", q.LogicalID, stats.Seen, stats.Expected, stats.InFlight)
		}
	}
	return letters, nil
}

// taggedInstances lists the instances EC2 holds under a request tag, by
// request id.
func taggedInstances(ctx context.Context, cfg aws.Config) (map[string][]Instance, error) {
	out := map[string][]Instance{}
	pages := ec2.NewDescribeInstancesPaginator(ec2.NewFromConfig(cfg), &ec2.DescribeInstancesInput{
		Filters:    []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{launcher.TagRequestID}}},
		MaxResults: aws.Int32(1000),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instances: %w", err)
		}
		for _, res := range page.Reservations {
			for _, in := range res.Instances {
				for _, tag := range in.Tags {
					if aws.ToString(tag.Key) == launcher.TagRequestID {
						id := aws.ToString(tag.Value)
						var state string
						if in.State != nil {
							state = string(in.State.Name)
						}
						out[id] = append(out[id], Instance{ID: aws.ToString(in.InstanceId), State: state})
					}
				}
			}
		}
	}
	return out, nil
}

// readStatuses GETs every request through the API, a few at a time.
func readStatuses(ctx context.Context, apiURL string, requests map[string]int) (map[string]launchStatus, error) {
	ids := make(chan string)
	var (
		mu   sync.Mutex
		out  = make(map[string]launchStatus, len(requests))
		errs []error
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for id := range ids {
				st, err := getStatus(ctx, apiURL, id)
				mu.Lock()
				out[id] = st
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	for id := range requests {
		ids <- id
	}
	close(ids)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func getStatus(ctx context.Context, apiURL, id string) (launchStatus, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/launches/"+id, nil)
	if err != nil {
		return launchStatus{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return launchStatus{}, fmt.Errorf("GET /launches/%s: %w", id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return launchStatus{}, fmt.Errorf("GET /launches/%s: %w", id, err)
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		return launchStatus{}, nil
	case http.StatusOK:
	default:
		return launchStatus{}, fmt.Errorf("GET /launches/%s: %d %s", id, resp.StatusCode, body)
	}
	st := launchStatus{Found: true}
	if err := json.Unmarshal(body, &st); err != nil {
		return launchStatus{}, fmt.Errorf("GET /launches/%s: %w: %s", id, err, body)
	}
	return st, nil
}

// Check settles the pipeline, audits the requests and fails tb for every
// one not in exactly one terminal state, naming what was found of it. It
// returns the report for the test's own counts.
func Check(tb testing.TB, p Pipeline, requests map[string]int, timeout time.Duration) Report {
	tb.Helper()
	ctx := context.Background()
	if err := Settle(ctx, p, timeout); err != nil {
		tb.Errorf("pipeline not settled: %v", err)
	}
	r, err := Audit(ctx, p, requests)
	if err != nil {
		tb.Fatalf("audit: %v", err)
	}
	const shown = 20
	for i, v := range r.Unsettled {
		if i == shown {
			tb.Errorf("… and %d more requests not in exactly one state", len(r.Unsettled)-shown)
			break
		}
		tb.Errorf("not in exactly one terminal state: %s", v)
	}
	tb.Logf("audit: %s", r)
	return r
}
