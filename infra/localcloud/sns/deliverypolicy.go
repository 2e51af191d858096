package sns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// retryPolicy is SNS's healthyRetryPolicy for HTTP/S deliveries: after a
// failed attempt, NumRetries more, in four phases — NumNoDelayRetries at
// once, NumMinDelayRetries MinDelayTarget seconds apart, a backoff phase
// growing from MinDelayTarget to MaxDelayTarget along BackoffFunction,
// then NumMaxDelayRetries MaxDelayTarget seconds apart.
type retryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

// defaultRetryPolicy is SNS's default for HTTP/S: three retries, 20 s
// apart.
var defaultRetryPolicy = retryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "linear"}

// defaultContentType is the Content-Type of HTTP/S deliveries unless a
// requestPolicy names another.
const defaultContentType = "text/plain; charset=UTF-8"

// maxPolicyRetrySeconds is SNS's hard limit on the total retry time of an
// HTTP/S delivery policy.
const maxPolicyRetrySeconds = 3600

type requestPolicy struct {
	HeaderContentType string `json:"headerContentType,omitempty"`
}

// subscriptionDeliveryPolicy is a subscription's DeliveryPolicy
// attribute. The throttle policy is accepted and reported, not enforced.
type subscriptionDeliveryPolicy struct {
	HealthyRetryPolicy *retryPolicy    `json:"healthyRetryPolicy,omitempty"`
	ThrottlePolicy     json.RawMessage `json:"throttlePolicy,omitempty"`
	RequestPolicy      *requestPolicy  `json:"requestPolicy,omitempty"`
	SicklyRetryPolicy  json.RawMessage `json:"sicklyRetryPolicy,omitempty"`
	Guaranteed         json.RawMessage `json:"guaranteed,omitempty"`
}

// topicDeliveryPolicy is a topic's DeliveryPolicy attribute; only its
// http part concerns delivery here.
type topicDeliveryPolicy struct {
	HTTP *struct {
		DefaultHealthyRetryPolicy    *retryPolicy    `json:"defaultHealthyRetryPolicy,omitempty"`
		DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
		DefaultThrottlePolicy        json.RawMessage `json:"defaultThrottlePolicy,omitempty"`
		DefaultRequestPolicy         *requestPolicy  `json:"defaultRequestPolicy,omitempty"`
	} `json:"http,omitempty"`
}

// httpPolicy is what delivery to one HTTP/S subscription follows.
type httpPolicy struct {
	retry       retryPolicy
	contentType string
}

// decodeRetryPolicy reads a retry policy over SNS's defaults, so that a
// policy naming only some fields keeps the others' defaults, and checks
// it as SNS does.
func decodeRetryPolicy(raw *retryPolicy) (retryPolicy, error) {
	if raw == nil {
		return defaultRetryPolicy, nil
	}
	p := *raw
	if err := p.check(); err != nil {
		return retryPolicy{}, err
	}
	return p, nil
}

// UnmarshalJSON starts from the defaults, so that omitted fields keep them.
func (p *retryPolicy) UnmarshalJSON(b []byte) error {
	type plain retryPolicy
	v := plain(defaultRetryPolicy)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	*p = retryPolicy(v)
	return nil
}

func (p retryPolicy) check() error {
	switch {
	case p.MinDelayTarget < 1:
		return errors.New("minDelayTarget must be at least 1")
	case p.MaxDelayTarget < p.MinDelayTarget:
		return errors.New("maxDelayTarget must be at least minDelayTarget")
	case p.MaxDelayTarget > maxPolicyRetrySeconds:
		return fmt.Errorf("maxDelayTarget must be at most %d", maxPolicyRetrySeconds)
	case p.NumRetries < 0 || p.NumRetries > 100:
		return errors.New("numRetries must be between 0 and 100")
	case p.NumNoDelayRetries < 0 || p.NumMinDelayRetries < 0 || p.NumMaxDelayRetries < 0:
		return errors.New("retry counts must not be negative")
	case p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries > p.NumRetries:
		return errors.New("numNoDelayRetries, numMinDelayRetries and numMaxDelayRetries together must not exceed numRetries")
	}
	switch p.BackoffFunction {
	case "linear", "arithmetic", "geometric", "exponential":
	default:
		return fmt.Errorf("backoffFunction %q is not one of arithmetic, exponential, geometric, linear", p.BackoffFunction)
	}
	var total time.Duration
	for i := 1; i <= p.NumRetries; i++ {
		total += p.delay(i)
	}
	if total > maxPolicyRetrySeconds*time.Second {
		return fmt.Errorf("the policy retries for %v, more than the %d s SNS allows", total, maxPolicyRetrySeconds)
	}
	return nil
}

// delay is how long SNS waits before retry n (from 1). SNS adds jitter
// and does not document the backoff curves exactly; these rise from
// MinDelayTarget to reach MaxDelayTarget on the backoff phase's last
// retry, without jitter, so that tests can rely on them.
func (p retryPolicy) delay(n int) time.Duration {
	backoff := p.NumRetries - p.NumNoDelayRetries - p.NumMinDelayRetries - p.NumMaxDelayRetries
	lo, hi := float64(p.MinDelayTarget), float64(p.MaxDelayTarget)
	var secs float64
	switch {
	case n <= p.NumNoDelayRetries:
		secs = 0
	case n <= p.NumNoDelayRetries+p.NumMinDelayRetries:
		secs = lo
	case n <= p.NumNoDelayRetries+p.NumMinDelayRetries+backoff:
		x := float64(n-p.NumNoDelayRetries-p.NumMinDelayRetries) / float64(backoff) // in (0, 1]
		switch p.BackoffFunction {
		case "arithmetic":
			x *= x
		case "geometric":
			x = math.Sqrt(x)
		case "exponential":
			x = (math.Pow(2, 8*x) - 1) / 255
		}
		secs = lo + (hi-lo)*x
	default:
		secs = hi
	}
	return time.Duration(secs * float64(time.Second))
}

// checkSubscriptionDeliveryPolicy validates a subscription's
// DeliveryPolicy attribute.
func checkSubscriptionDeliveryPolicy(v string) error {
	var p subscriptionDeliveryPolicy
	if err := strictJSON(v, &p); err != nil {
		return err
	}
	if _, err := decodeRetryPolicy(p.HealthyRetryPolicy); err != nil {
		return fmt.Errorf("healthyRetryPolicy: %w", err)
	}
	return nil
}

// checkTopicDeliveryPolicy validates a topic's DeliveryPolicy attribute.
func checkTopicDeliveryPolicy(v string) error {
	var p topicDeliveryPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return errors.New("must be a JSON object")
	}
	if p.HTTP != nil {
		if _, err := decodeRetryPolicy(p.HTTP.DefaultHealthyRetryPolicy); err != nil {
			return fmt.Errorf("http.defaultHealthyRetryPolicy: %w", err)
		}
	}
	return nil
}

func strictJSON(v string, into any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("must be a JSON object of SNS's delivery policy fields: %w", err)
	}
	return nil
}

// effectiveHTTPPolicy is the policy an HTTP/S subscription's deliveries
// follow: the subscription's own, unless its topic disables overrides,
// else the topic's defaults, else SNS's. Both attributes were validated
// when set.
func effectiveHTTPPolicy(topicPolicy, subPolicy string) httpPolicy {
	out := httpPolicy{retry: defaultRetryPolicy, contentType: defaultContentType}
	overrides := true
	if topicPolicy != "" {
		var tp topicDeliveryPolicy
		if json.Unmarshal([]byte(topicPolicy), &tp) == nil && tp.HTTP != nil {
			if tp.HTTP.DefaultHealthyRetryPolicy != nil {
				out.retry = *tp.HTTP.DefaultHealthyRetryPolicy
			}
			if rp := tp.HTTP.DefaultRequestPolicy; rp != nil && rp.HeaderContentType != "" {
				out.contentType = rp.HeaderContentType
			}
			overrides = !tp.HTTP.DisableSubscriptionOverrides
		}
	}
	if subPolicy != "" && overrides {
		var sp subscriptionDeliveryPolicy
		if json.Unmarshal([]byte(subPolicy), &sp) == nil {
			if sp.HealthyRetryPolicy != nil {
				out.retry = *sp.HealthyRetryPolicy
			}
			if sp.RequestPolicy != nil && sp.RequestPolicy.HeaderContentType != "" {
				out.contentType = sp.RequestPolicy.HeaderContentType
			}
		}
	}
	return out
}

// effectiveDeliveryPolicyJSON is the EffectiveDeliveryPolicy attribute
// of an HTTP/S subscription.
func (p httpPolicy) effectiveDeliveryPolicyJSON() string {
	doc := struct {
		HealthyRetryPolicy retryPolicy      `json:"healthyRetryPolicy"`
		SicklyRetryPolicy  *json.RawMessage `json:"sicklyRetryPolicy"`
		ThrottlePolicy     *json.RawMessage `json:"throttlePolicy"`
		RequestPolicy      requestPolicy    `json:"requestPolicy"`
		Guaranteed         bool             `json:"guaranteed"`
	}{HealthyRetryPolicy: p.retry, RequestPolicy: requestPolicy{HeaderContentType: p.contentType}}
	b, err := json.Marshal(doc)
	if err != nil {
		// A struct of numbers and strings always encodes.
		panic(fmt.Errorf("encode effective delivery policy: %w", err))
	}
	return string(b)
}
