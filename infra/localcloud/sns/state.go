package sns

import (
	"strings"
	"sync"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/sns/filterpolicy"
)

// topic is one SNS topic. Exported fields are what is persisted.
type topic struct {
	ARN        string
	Name       string
	Seq        uint64
	Attributes map[string]string // as set by the caller (DisplayName, Policy, FifoTopic…)
	Tags       map[string]string

	// dedupMu guards the FIFO deduplication window and sequence numbers,
	// which live in memory only (a restart forgets the 5-minute window).
	dedupMu  sync.Mutex
	dedup    map[string]dedupEntry
	sequence uint64
}

type dedupEntry struct {
	messageID, sequence string
	expires             time.Time
}

func (t *topic) fifo() bool { return strings.EqualFold(t.Attributes["FifoTopic"], "true") }

func (t *topic) contentBasedDedup() bool {
	return strings.EqualFold(t.Attributes["ContentBasedDeduplication"], "true")
}

// subscription is one subscription of a topic. Exported fields are what is
// persisted; the rest is derived from Attributes.
type subscription struct {
	ARN        string
	TopicARN   string
	Protocol   string
	Endpoint   string
	Owner      string
	Seq        uint64
	Attributes map[string]string // RawMessageDelivery, FilterPolicy, FilterPolicyScope, RedrivePolicy…
	// Pending is true from Subscribe until the endpoint's owner confirms
	// with Token (http, https, email and email-json subscriptions); SNS
	// delivers nothing to it meanwhile.
	Pending bool   `json:",omitempty"`
	Token   string `json:",omitempty"`
	// ConfirmedByURL records a confirmation through the unsigned
	// SubscribeURL rather than a signed ConfirmSubscription call, which
	// SNS reports as ConfirmationWasAuthenticated false.
	ConfirmedByURL bool `json:",omitempty"`
	// AuthenticateOnUnsubscribe refuses unsigned unsubscribes (the
	// UnsubscribeURL), as ConfirmSubscription asked.
	AuthenticateOnUnsubscribe bool `json:",omitempty"`

	policy *filterpolicy.Policy
	raw    bool
	dlqARN string
}

// persisted returns a copy of the persisted fields of sub, for writing a
// changed version before applying it in memory.
func (sub *subscription) persisted() *subscription {
	return &subscription{ARN: sub.ARN, TopicARN: sub.TopicARN, Protocol: sub.Protocol, Endpoint: sub.Endpoint,
		Owner: sub.Owner, Seq: sub.Seq, Attributes: sub.Attributes, Pending: sub.Pending, Token: sub.Token,
		ConfirmedByURL: sub.ConfirmedByURL, AuthenticateOnUnsubscribe: sub.AuthenticateOnUnsubscribe}
}

// derive recomputes the fields that follow from the attributes. The
// attributes were validated when set, so errors cannot happen here except
// for state written by an older version; such a policy is dropped.
func (sub *subscription) derive() {
	sub.raw = strings.EqualFold(sub.Attributes["RawMessageDelivery"], "true")
	sub.policy = nil
	if fp := sub.Attributes["FilterPolicy"]; fp != "" {
		scope, err := filterpolicy.ParseScope(scopeOrDefault(sub.Attributes["FilterPolicyScope"]))
		if err == nil {
			sub.policy, _ = filterpolicy.Parse(fp, scope)
		}
	}
	sub.dlqARN = ""
	if rp := sub.Attributes["RedrivePolicy"]; rp != "" {
		sub.dlqARN, _ = parseRedrivePolicy(rp)
	}
}

func scopeOrDefault(s string) string {
	if s == "" {
		return "MessageAttributes"
	}
	return s
}

// target is a snapshot of what delivery needs from a subscription and its
// topic, taken under the lock so that delivery runs without it.
type target struct {
	subARN   string
	protocol string
	endpoint string
	pending  bool
	raw      bool
	policy   *filterpolicy.Policy
	dlqARN   string
	// signatureVersion is the topic's SignatureVersion: "1" (SHA1withRSA)
	// or "2" (SHA256withRSA).
	signatureVersion string
	// http is the effective delivery policy of an http or https
	// subscription.
	http httpPolicy
}

// target snapshots sub for delivery; the caller holds s.mu.
func (sub *subscription) target(t *topic) target {
	tg := target{subARN: sub.ARN, protocol: sub.Protocol, endpoint: sub.Endpoint, pending: sub.Pending, raw: sub.raw,
		policy: sub.policy, dlqARN: sub.dlqARN, signatureVersion: t.signatureVersion()}
	if isHTTP(sub.Protocol) {
		tg.http = effectiveHTTPPolicy(t.Attributes["DeliveryPolicy"], sub.Attributes["DeliveryPolicy"])
	}
	return tg
}

// signatureVersion is the topic's SignatureVersion attribute, "1" unless
// set to "2".
func (t *topic) signatureVersion() string {
	if t.Attributes["SignatureVersion"] == "2" {
		return "2"
	}
	return "1"
}

func isHTTP(protocol string) bool { return protocol == "http" || protocol == "https" }
