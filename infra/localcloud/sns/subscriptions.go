package sns

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
	"github.com/eventchain/eventchain/infra/localcloud/sns/filterpolicy"
)

// subscriptionAttributes are the attributes Subscribe and
// SetSubscriptionAttributes accept.
var subscriptionAttributes = map[string]bool{
	"DeliveryPolicy":      true,
	"FilterPolicy":        true,
	"FilterPolicyScope":   true,
	"RawMessageDelivery":  true,
	"RedrivePolicy":       true,
	"SubscriptionRoleArn": true,
	"ReplayPolicy":        true,
}

// parseSQSARN checks arn:partition:sqs:region:account:name.
func parseSQSARN(arn string) (name string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return "", false
	}
	return parts[5], true
}

// parseRedrivePolicy reads {"deadLetterTargetArn": "<sqs arn>"}.
func parseRedrivePolicy(v string) (string, error) {
	var rp map[string]any
	if err := json.Unmarshal([]byte(v), &rp); err != nil {
		return "", errors.New("redrive policy is not a valid JSON")
	}
	target, ok := rp["deadLetterTargetArn"].(string)
	if !ok || target == "" {
		return "", errors.New("deadLetterTargetArn is missing")
	}
	if _, ok := parseSQSARN(target); !ok {
		return "", errors.New("deadLetterTargetArn is an invalid arn")
	}
	for k := range rp {
		if k != "deadLetterTargetArn" {
			return "", errors.New("unknown property " + k)
		}
	}
	return target, nil
}

// applySubscriptionAttribute validates one attribute and sets it in attrs,
// checking it together with the attributes already there (a filter policy
// is parsed in the subscription's scope).
func applySubscriptionAttribute(attrs map[string]string, name, value string) *awsproto.Error {
	if !subscriptionAttributes[name] {
		return errInvalidParameter("Invalid parameter: AttributeName")
	}
	switch name {
	case "RawMessageDelivery":
		if !isBool(value) {
			return errInvalidParameter("Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
		}
		value = strings.ToLower(value)
	case "FilterPolicyScope":
		if _, err := filterpolicy.ParseScope(value); err != nil {
			return errInvalidParameter("Invalid parameter: Attributes Reason: %v", err)
		}
		if fp := attrs["FilterPolicy"]; fp != "" {
			scope, _ := filterpolicy.ParseScope(value)
			if _, err := filterpolicy.Parse(fp, scope); err != nil {
				return errInvalidParameter("Invalid parameter: FilterPolicy: %v", err)
			}
		}
	case "FilterPolicy":
		if value == "" {
			delete(attrs, name)
			return nil
		}
		scope, _ := filterpolicy.ParseScope(scopeOrDefault(attrs["FilterPolicyScope"]))
		if _, err := filterpolicy.Parse(value, scope); err != nil {
			return errInvalidParameter("Invalid parameter: FilterPolicy: %v", err)
		}
	case "RedrivePolicy":
		if value == "" {
			delete(attrs, name)
			return nil
		}
		if _, err := parseRedrivePolicy(value); err != nil {
			return errInvalidParameter("Invalid parameter: RedrivePolicy: %v", err)
		}
	case "DeliveryPolicy", "ReplayPolicy":
		if value != "" && !isJSONObject(value) {
			return errInvalidParameter("Invalid parameter: %s: must be a JSON object", name)
		}
	}
	attrs[name] = value
	return nil
}

// supportedProtocols are the protocols SNS knows; localcloud delivers to
// sqs only, so the others are refused rather than silently dropped.
var knownProtocols = map[string]bool{
	"http": true, "https": true, "email": true, "email-json": true, "sms": true,
	"sqs": true, "application": true, "lambda": true, "firehose": true,
}

func (s *Service) subscribe(_ context.Context, in *subscribeInput) (*subscriptionARNOutput, *awsproto.Error) {
	protocol, endpoint := in.Protocol, in.Endpoint
	if protocol == "" {
		return nil, errInvalidParameter("Invalid parameter: Protocol")
	}
	if !knownProtocols[protocol] {
		return nil, errInvalidParameter("Invalid parameter: Amazon SNS does not support this protocol")
	}
	if protocol != "sqs" {
		return nil, errInvalidParameter("Invalid parameter: Protocol Reason: localcloud delivers to sqs endpoints only, not %s", protocol)
	}
	// The topic before the endpoint: SNS answers NotFound for an unknown
	// topic whatever the endpoint.
	s.mu.RLock()
	_, err := s.lookupTopic("TopicArn", in.TopicArn)
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	queueName, ok := parseSQSARN(endpoint)
	if !ok {
		return nil, errInvalidParameter("Invalid parameter: SQS endpoint ARN")
	}
	given := in.Attributes
	attrs := map[string]string{}
	// The scope first, so that the filter policy is checked in it.
	if v, ok := given["FilterPolicyScope"]; ok {
		if err := applySubscriptionAttribute(attrs, "FilterPolicyScope", v); err != nil {
			return nil, err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(given)) {
		if k == "FilterPolicyScope" {
			continue
		}
		if err := applySubscriptionAttribute(attrs, k, given[k]); err != nil {
			return nil, err
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTopic("TopicArn", in.TopicArn)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(queueName, ".fifo") && !t.fifo() {
		// SNS repeats the "Invalid parameter: " prefix in this message.
		return nil, errInvalidParameter("Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
	}
	for _, sub := range s.byTopic[t.ARN] {
		if sub.Protocol == protocol && sub.Endpoint == endpoint {
			// Subscribing the same endpoint again returns the existing
			// subscription, unless the attributes asked for differ.
			for k, v := range attrs {
				if sub.Attributes[k] != v {
					return nil, errInvalidParameter("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
				}
			}
			return &subscriptionARNOutput{SubscriptionArn: sub.ARN}, nil
		}
	}
	if _, ok := attrs["RawMessageDelivery"]; !ok {
		attrs["RawMessageDelivery"] = "false"
	}
	s.seq++
	sub := &subscription{
		ARN:        t.ARN + ":" + awsproto.UUID(),
		TopicARN:   t.ARN,
		Protocol:   protocol,
		Endpoint:   endpoint,
		Owner:      s.opts.AccountID,
		Seq:        s.seq,
		Attributes: attrs,
	}
	if err := s.persist(nil, []*subscription{sub}, nil, nil); err != nil {
		s.seq--
		return nil, errInternal(err)
	}
	sub.derive()
	s.subs[sub.ARN] = sub
	s.byTopic[t.ARN] = append(s.byTopic[t.ARN], sub)
	return &subscriptionARNOutput{SubscriptionArn: sub.ARN}, nil
}

// validSubscriptionARN checks topic-arn:id.
func validSubscriptionARN(arn string) bool {
	i := strings.LastIndexByte(arn, ':')
	if i < 0 {
		return false
	}
	_, ok := parseTopicARN(arn[:i])
	return ok && arn[i+1:] != ""
}

func (s *Service) unsubscribe(_ context.Context, in *subscriptionRef) (*empty, *awsproto.Error) {
	arn := in.SubscriptionArn
	if !validSubscriptionARN(arn) {
		return nil, errInvalidParameter("Invalid parameter: SubscriptionArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.subs[arn]
	if !ok {
		// Like SNS, unsubscribing twice is not an error.
		return nil, nil
	}
	if err := s.persist(nil, nil, nil, []string{arn}); err != nil {
		return nil, errInternal(err)
	}
	delete(s.subs, arn)
	s.byTopic[sub.TopicARN] = slices.DeleteFunc(s.byTopic[sub.TopicARN], func(x *subscription) bool { return x.ARN == arn })
	return nil, nil
}

func subscriptionsOutput(subs []*subscription, next string) *listSubscriptionsOutput {
	out := &listSubscriptionsOutput{NextToken: next}
	for _, sub := range subs {
		out.Subscriptions.Members = append(out.Subscriptions.Members, subscriptionMember{
			TopicArn: sub.TopicARN, Protocol: sub.Protocol, SubscriptionArn: sub.ARN, Owner: sub.Owner, Endpoint: sub.Endpoint})
	}
	return out
}

func subscriptionSeq(sub *subscription) uint64 { return sub.Seq }

func (s *Service) listSubscriptions(_ context.Context, in *pageInput) (*listSubscriptionsOutput, *awsproto.Error) {
	s.mu.RLock()
	all := slices.Collect(maps.Values(s.subs))
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b *subscription) int { return cmp.Compare(a.Seq, b.Seq) })
	items, next, err := listPage(all, subscriptionSeq, in.NextToken)
	if err != nil {
		return nil, err
	}
	return subscriptionsOutput(items, next), nil
}

func (s *Service) listSubscriptionsByTopic(_ context.Context, in *listByTopicInput) (*listSubscriptionsOutput, *awsproto.Error) {
	s.mu.RLock()
	t, err := s.lookupTopic("TopicArn", in.TopicArn)
	var all []*subscription
	if err == nil {
		all = slices.Clone(s.byTopic[t.ARN])
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	items, next, err := listPage(all, subscriptionSeq, in.NextToken)
	if err != nil {
		return nil, err
	}
	return subscriptionsOutput(items, next), nil
}

func (s *Service) lookupSubscription(arn string) (*subscription, *awsproto.Error) {
	if !validSubscriptionARN(arn) {
		return nil, errInvalidParameter("Invalid parameter: SubscriptionArn")
	}
	sub, ok := s.subs[arn]
	if !ok {
		return nil, errNotFound("Subscription does not exist")
	}
	return sub, nil
}

func (s *Service) getSubscriptionAttributes(_ context.Context, in *subscriptionRef) (*attributesOutput, *awsproto.Error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sub, err := s.lookupSubscription(in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	attrs := maps.Clone(sub.Attributes)
	attrs["SubscriptionArn"] = sub.ARN
	attrs["TopicArn"] = sub.TopicARN
	attrs["Owner"] = sub.Owner
	attrs["Protocol"] = sub.Protocol
	attrs["Endpoint"] = sub.Endpoint
	attrs["PendingConfirmation"] = "false"
	attrs["ConfirmationWasAuthenticated"] = "true"
	attrs["SubscriptionPrincipal"] = "arn:aws:iam::" + sub.Owner + ":root"
	// SNS reports the scope only alongside a filter policy, defaulting it.
	if attrs["FilterPolicy"] == "" {
		delete(attrs, "FilterPolicy")
		delete(attrs, "FilterPolicyScope")
	} else if attrs["FilterPolicyScope"] == "" {
		attrs["FilterPolicyScope"] = "MessageAttributes"
	}
	return &attributesOutput{Attributes: attrs}, nil
}

func (s *Service) setSubscriptionAttributes(_ context.Context, in *setSubscriptionAttributesInput) (*empty, *awsproto.Error) {
	name, value := in.Name, in.Value
	if !subscriptionAttributes[name] {
		return nil, errInvalidParameter("Invalid parameter: AttributeName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, err := s.lookupSubscription(in.ARN)
	if err != nil {
		return nil, err
	}
	next := maps.Clone(sub.Attributes)
	if err := applySubscriptionAttribute(next, name, value); err != nil {
		return nil, err
	}
	cp := &subscription{ARN: sub.ARN, TopicARN: sub.TopicARN, Protocol: sub.Protocol, Endpoint: sub.Endpoint, Owner: sub.Owner, Seq: sub.Seq, Attributes: next}
	if err := s.persist(nil, []*subscription{cp}, nil, nil); err != nil {
		return nil, errInternal(err)
	}
	sub.Attributes = next
	sub.derive()
	return nil, nil
}
