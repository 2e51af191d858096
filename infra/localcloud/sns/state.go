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

	policy *filterpolicy.Policy
	raw    bool
	dlqARN string
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

// target is a snapshot of what delivery needs from a subscription, taken
// under the lock so that delivery runs without it.
type target struct {
	subARN   string
	endpoint string
	raw      bool
	policy   *filterpolicy.Policy
	dlqARN   string
}

func (sub *subscription) target() target {
	return target{subARN: sub.ARN, endpoint: sub.Endpoint, raw: sub.raw, policy: sub.policy, dlqARN: sub.dlqARN}
}
