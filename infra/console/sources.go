package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eventchain/eventchain/internal/consumer"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/trace"
)

// ErrNotFound is the error of a request the API does not know.
var ErrNotFound = errors.New("not found")

// RequestSummary is one request of a listing, as GET /launches answers it.
type RequestSummary struct {
	RequestID   string          `json:"requestId"`
	Status      status.Status   `json:"status"`
	InstanceIDs []string        `json:"instanceIds"`
	Error       *status.Failure `json:"error,omitempty"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// Requests reads launch requests. Implementations are safe for concurrent
// use.
type Requests interface {
	// List returns the latest requests, newest first; status "" lists
	// every status.
	List(ctx context.Context, status string, limit int) ([]RequestSummary, error)
	// Get returns one request with its history and hops; ErrNotFound when
	// the API does not know it.
	Get(ctx context.Context, id string) (trace.Request, error)
}

// APIRequests reads requests from the HTTP API itself (GET /launches,
// GET /launches/{id}), so that the console sees what a client sees, local
// or deployed.
type APIRequests struct {
	// Base is the API's base URL (with its stage, deployed).
	Base string
	// Client defaults to a client with a 10 s timeout.
	Client *http.Client
	// Sign, when set, signs each request (SigV4 for a deployed API, whose
	// IAM authorizer refuses unsigned calls).
	Sign func(*http.Request) error
}

var defaultClient = &http.Client{Timeout: 10 * time.Second}

// List implements Requests.
func (a APIRequests) List(ctx context.Context, st string, limit int) ([]RequestSummary, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if st != "" {
		q.Set("status", st)
	}
	var body struct {
		Launches []RequestSummary `json:"launches"`
	}
	if err := a.get(ctx, "/launches?"+q.Encode(), &body); err != nil {
		return nil, err
	}
	return body.Launches, nil
}

// Get implements Requests.
func (a APIRequests) Get(ctx context.Context, id string) (trace.Request, error) {
	var r trace.Request
	err := a.get(ctx, "/launches/"+url.PathEscape(id), &r)
	return r, err
}

func (a APIRequests) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(a.Base, "/")+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if a.Sign != nil {
		if err := a.Sign(req); err != nil {
			return fmt.Errorf("sign GET %s: %w", req.URL.Path, err)
		}
	}
	c := a.Client
	if c == nil {
		c = defaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("GET %s: %w", req.URL.Path, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("GET %s: %w", req.URL.Path, ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: %s: %s", req.URL.Path, resp.Status, strings.TrimSpace(string(raw)))
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("GET %s: read the answer: %w", req.URL.Path, err)
	}
	return nil
}

// EC2 is the part of the EC2 API the console reads.
type EC2 interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// Instance is one EC2 instance the chain launched.
type Instance struct {
	ID         string    `json:"id"`
	State      string    `json:"state"`
	Type       string    `json:"type"`
	Image      string    `json:"image"`
	RequestID  string    `json:"requestId"`
	LaunchTime time.Time `json:"launchTime"`
}

// RequestTag is the tag the launcher puts on every instance it launches
// (internal/launcher): the request it belongs to.
const RequestTag = "eventchain:request-id"

// maxInstances bounds a listing: the page shows the latest.
const maxInstances = 200

// ListInstances lists the instances tagged with a request id, newest
// first, at most maxInstances.
func ListInstances(ctx context.Context, c EC2) ([]Instance, error) {
	in := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{RequestTag}}}}
	var out []Instance
	for pages := 0; pages < 20; pages++ {
		page, err := c.DescribeInstances(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe instances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				inst := Instance{ID: aws.ToString(i.InstanceId), Type: string(i.InstanceType), Image: aws.ToString(i.ImageId), LaunchTime: aws.ToTime(i.LaunchTime)}
				if i.State != nil {
					inst.State = string(i.State.Name)
				}
				for _, t := range i.Tags {
					if aws.ToString(t.Key) == RequestTag {
						inst.RequestID = aws.ToString(t.Value)
					}
				}
				out = append(out, inst)
			}
		}
		if in.NextToken = page.NextToken; aws.ToString(in.NextToken) == "" {
			break
		}
	}
	slices.SortStableFunc(out, func(a, b Instance) int { return b.LaunchTime.Compare(a.LaunchTime) })
	if len(out) > maxInstances {
		out = out[:maxInstances]
	}
	return out, nil
}

// Ages tells the age of the oldest message of queues, by queue name; a
// queue it cannot tell is absent.
type Ages interface {
	OldestAges(ctx context.Context, names []string) (map[string]time.Duration, error)
}

// AgesFunc adapts a function to Ages (the local mode reads localcloud's
// queues directly).
type AgesFunc func(ctx context.Context, names []string) (map[string]time.Duration, error)

// OldestAges implements Ages.
func (f AgesFunc) OldestAges(ctx context.Context, names []string) (map[string]time.Duration, error) {
	return f(ctx, names)
}

// MetricReader is the part of the CloudWatch API CloudWatchAges reads.
type MetricReader interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// CloudWatchAges reads ApproximateAgeOfOldestMessage from CloudWatch,
// the only place SQS tells it without receiving (a receive counts towards
// a message's maxReceiveCount).
type CloudWatchAges struct{ CW MetricReader }

// OldestAges implements Ages.
func (c CloudWatchAges) OldestAges(ctx context.Context, names []string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	if len(names) == 0 {
		return out, nil
	}
	var queries []cwtypes.MetricDataQuery
	for i, n := range names {
		queries = append(queries, cwtypes.MetricDataQuery{
			Id: aws.String("q" + strconv.Itoa(i)),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/SQS"), MetricName: aws.String("ApproximateAgeOfOldestMessage"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String(n)}}},
				Period: aws.Int32(60), Stat: aws.String("Maximum"),
			},
		})
	}
	now := time.Now()
	in := &cloudwatch.GetMetricDataInput{MetricDataQueries: queries, StartTime: aws.Time(now.Add(-15 * time.Minute)), EndTime: aws.Time(now),
		ScanBy: cwtypes.ScanByTimestampDescending}
	for {
		page, err := c.CW.GetMetricData(ctx, in)
		if err != nil {
			return out, fmt.Errorf("age of the oldest messages: %w", err)
		}
		for _, r := range page.MetricDataResults {
			i, err := strconv.Atoi(strings.TrimPrefix(aws.ToString(r.Id), "q"))
			if err != nil || i >= len(names) || len(r.Values) == 0 {
				continue
			}
			if _, seen := out[names[i]]; !seen {
				out[names[i]] = time.Duration(r.Values[0] * float64(time.Second))
			}
		}
		if in.NextToken = page.NextToken; in.NextToken == nil {
			return out, nil
		}
	}
}

// FunctionCounts counts a function's records since the counting began.
type FunctionCounts struct {
	// Delivered counts first receives: records handed to the function.
	Delivered int `json:"delivered"`
	// OK, Retried, DeadLettered and Failed count the outcomes of every
	// receive (a record retried twice counts twice in Retried).
	OK           int `json:"ok"`
	Retried      int `json:"retried"`
	DeadLettered int `json:"deadLettered"`
	Failed       int `json:"failed"`
}

// Counters counts consumer records by function, from the outcomes the
// functions log (the local mode's record observer). Safe for concurrent
// use; the zero value is ready.
type Counters struct {
	mu    sync.Mutex
	since time.Time
	by    map[string]*FunctionCounts
}

// NewCounters starts counting now.
func NewCounters() *Counters { return &Counters{since: time.Now(), by: map[string]*FunctionCounts{}} }

// Record counts one record's outcome (consumer.Outcome*).
func (c *Counters) Record(function, receiveCount, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by, c.since = map[string]*FunctionCounts{}, time.Now()
	}
	fc := c.by[function]
	if fc == nil {
		fc = &FunctionCounts{}
		c.by[function] = fc
	}
	if receiveCount == "1" {
		fc.Delivered++
	}
	switch outcome {
	case consumer.OutcomeAcked:
		fc.OK++
	case consumer.OutcomeRetry, consumer.OutcomeSkipped:
		fc.Retried++
	case consumer.OutcomeDeadLettered:
		fc.DeadLettered++
	default:
		fc.Failed++
	}
}

// Snapshot copies the counts and says since when they run.
func (c *Counters) Snapshot() (map[string]FunctionCounts, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]FunctionCounts, len(c.by))
	for k, v := range c.by {
		out[k] = *v
	}
	return out, c.since
}
