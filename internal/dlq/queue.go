package dlq

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// QueueState is what SQS says about a queue now.
type QueueState struct {
	URL  string
	ARN  string
	Name string
	FIFO bool
	// ContentBasedDeduplication matters to a FIFO queue only.
	ContentBasedDeduplication bool
	// Visible, InFlight and Delayed are SQS's approximate counts.
	Visible, InFlight, Delayed int
	VisibilityTimeout          time.Duration
	// RedrivePolicy is the queue's own, nil without one: reading such a
	// queue counts towards its maxReceiveCount.
	RedrivePolicy *RedrivePolicy
}

// Depth is every message the queue holds, visible or not.
func (q QueueState) Depth() int { return q.Visible + q.InFlight + q.Delayed }

// RedrivePolicy is a queue's RedrivePolicy attribute.
type RedrivePolicy struct {
	DeadLetterTargetARN string
	MaxReceiveCount     int
}

// Describe reads a queue's attributes.
func Describe(ctx context.Context, c SQS, url string) (QueueState, error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		return QueueState{}, fmt.Errorf("describe queue %s: %w", url, err)
	}
	a := out.Attributes
	q := QueueState{URL: url, ARN: a["QueueArn"], Name: NameFromURL(url)}
	q.FIFO = a["FifoQueue"] == "true"
	q.ContentBasedDeduplication = a["ContentBasedDeduplication"] == "true"
	q.Visible, _ = strconv.Atoi(a["ApproximateNumberOfMessages"])
	q.InFlight, _ = strconv.Atoi(a["ApproximateNumberOfMessagesNotVisible"])
	q.Delayed, _ = strconv.Atoi(a["ApproximateNumberOfMessagesDelayed"])
	if s, err := strconv.Atoi(a["VisibilityTimeout"]); err == nil {
		q.VisibilityTimeout = time.Duration(s) * time.Second
	}
	if rp := a["RedrivePolicy"]; rp != "" {
		p, err := ParseRedrivePolicy(rp)
		if err != nil {
			return q, fmt.Errorf("queue %s: %w", q.Name, err)
		}
		q.RedrivePolicy = p
	}
	return q, nil
}

// ParseRedrivePolicy reads a RedrivePolicy attribute, whose
// maxReceiveCount SQS gives as a number or as a string.
func ParseRedrivePolicy(s string) (*RedrivePolicy, error) {
	var raw struct {
		Target string          `json:"deadLetterTargetArn"`
		Max    json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("redrive policy %q: %w", s, err)
	}
	p := &RedrivePolicy{DeadLetterTargetARN: raw.Target}
	if len(raw.Max) > 0 {
		n, err := strconv.Atoi(strings.Trim(string(raw.Max), `"`))
		if err != nil {
			return nil, fmt.Errorf("redrive policy %q: maxReceiveCount: %w", s, err)
		}
		p.MaxReceiveCount = n
	}
	return p, nil
}

// QueueURL returns the URL of the queue with the given name.
func QueueURL(ctx context.Context, c SQS, name string) (string, error) {
	out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("queue %s: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// NameFromURL is the queue name at the end of a queue URL.
func NameFromURL(url string) string {
	return url[strings.LastIndexByte(url, '/')+1:]
}

// NameFromARN is the resource at the end of an ARN: a queue's name.
func NameFromARN(arn string) string {
	return arn[strings.LastIndexByte(arn, ':')+1:]
}

// DeadLetterSources lists the URLs of the queues whose redrive policy
// names the queue at url.
func DeadLetterSources(ctx context.Context, c SQS, url string) ([]string, error) {
	var urls []string
	var token *string
	for {
		out, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(url), NextToken: token, MaxResults: aws.Int32(1000)})
		if err != nil {
			return nil, fmt.Errorf("list the source queues of %s: %w", NameFromURL(url), err)
		}
		urls = append(urls, out.QueueUrls...)
		if token = out.NextToken; token == nil || *token == "" {
			return urls, nil
		}
	}
}
