package sns

import (
	"strings"
	"testing"
	"time"
)

func TestRetryPolicyDelays(t *testing.T) {
	tests := []struct {
		name   string
		policy retryPolicy
		want   []time.Duration // delay before each retry
	}{
		{"SNS default", defaultRetryPolicy, []time.Duration{20 * time.Second, 20 * time.Second, 20 * time.Second}},
		{"every phase", retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 10, NumRetries: 7, NumNoDelayRetries: 2, NumMinDelayRetries: 1,
			NumMaxDelayRetries: 2, BackoffFunction: "linear"},
			[]time.Duration{0, 0, time.Second, 5500 * time.Millisecond, 10 * time.Second, 10 * time.Second, 10 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i, want := range tc.want {
				if got := tc.policy.delay(i + 1); got != want {
					t.Errorf("retry %d after %v, want %v", i+1, got, want)
				}
			}
		})
	}
	for _, fn := range []string{"arithmetic", "geometric", "exponential"} {
		p := retryPolicy{MinDelayTarget: 2, MaxDelayTarget: 30, NumRetries: 5, BackoffFunction: fn}
		prev := time.Duration(0)
		for i := 1; i <= 5; i++ {
			d := p.delay(i)
			if d < prev || d < 2*time.Second || d > 30*time.Second {
				t.Errorf("%s: retry %d after %v (previous %v), want rising within [2s, 30s]", fn, i, d, prev)
			}
			prev = d
		}
		if prev != 30*time.Second {
			t.Errorf("%s: last backoff retry after %v, want maxDelayTarget", fn, prev)
		}
	}
}

func TestDeliveryPolicyValidation(t *testing.T) {
	tests := []struct {
		name, policy, wantErr string
	}{
		{"partial keeps defaults", `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1}}`, ""},
		{"full", `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":50,"numNoDelayRetries":3,"numMinDelayRetries":2,"numMaxDelayRetries":35,"backoffFunction":"exponential"},"throttlePolicy":{"maxReceivesPerSecond":10},"requestPolicy":{"headerContentType":"application/json"}}`, ""},
		{"min above max", `{"healthyRetryPolicy":{"minDelayTarget":30,"maxDelayTarget":20}}`, "maxDelayTarget must be at least minDelayTarget"},
		{"zero delay", `{"healthyRetryPolicy":{"minDelayTarget":0,"maxDelayTarget":20}}`, "minDelayTarget must be at least 1"},
		{"phases beyond retries", `{"healthyRetryPolicy":{"numRetries":2,"numNoDelayRetries":3}}`, "must not exceed numRetries"},
		{"unknown backoff", `{"healthyRetryPolicy":{"backoffFunction":"cubic"}}`, "backoffFunction"},
		{"beyond an hour", `{"healthyRetryPolicy":{"minDelayTarget":60,"maxDelayTarget":60,"numRetries":100}}`, "more than the 3600 s"},
		{"unknown field", `{"healthyRetryPolicy":{"retries":3}}`, "unknown field"},
		{"not JSON", `[`, "JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkSubscriptionDeliveryPolicy(tc.policy)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("check = %v, want %q", err, tc.wantErr)
			}
		})
	}
	got := effectiveHTTPPolicy(`{"http":{"defaultHealthyRetryPolicy":{"numRetries":1},"disableSubscriptionOverrides":true}}`,
		`{"healthyRetryPolicy":{"numRetries":9}}`)
	if got.retry.NumRetries != 1 || got.contentType != defaultContentType {
		t.Errorf("a topic disabling overrides: effective %+v", got)
	}
	got = effectiveHTTPPolicy(`{"http":{"defaultHealthyRetryPolicy":{"numRetries":1}}}`,
		`{"healthyRetryPolicy":{"numRetries":9},"requestPolicy":{"headerContentType":"application/json"}}`)
	if got.retry.NumRetries != 9 || got.contentType != "application/json" {
		t.Errorf("a subscription overriding its topic: effective %+v", got)
	}
}
