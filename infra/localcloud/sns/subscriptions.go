package sns

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
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
	case "DeliveryPolicy":
		if value == "" {
			delete(attrs, name)
			return nil
		}
		if err := checkSubscriptionDeliveryPolicy(value); err != nil {
			return errInvalidParameter("Invalid parameter: DeliveryPolicy: %v", err)
		}
	case "ReplayPolicy":
		if value != "" && !isJSONObject(value) {
			return errInvalidParameter("Invalid parameter: %s: must be a JSON object", name)
		}
	}
	attrs[name] = value
	return nil
}

// knownProtocols are the protocols SNS knows.
var knownProtocols = map[string]bool{
	"http": true, "https": true, "email": true, "email-json": true, "sms": true,
	"sqs": true, "application": true, "lambda": true, "firehose": true,
}

// pendingSubscribeARN and pendingListARN stand for the ARN of a
// subscription awaiting confirmation, in Subscribe's answer and in
// listings, as in SNS's.
const (
	pendingSubscribeARN = "pending confirmation"
	pendingListARN      = "PendingConfirmation"
)

// needsConfirmation tells the protocols whose subscriptions wait for the
// endpoint's owner to confirm.
func needsConfirmation(protocol string) bool {
	switch protocol {
	case "http", "https", "email", "email-json":
		return true
	}
	return false
}

// checkEndpoint validates a subscription's endpoint for its protocol.
func checkEndpoint(protocol, endpoint string) *awsproto.Error {
	switch protocol {
	case "sqs":
		if _, ok := parseSQSARN(endpoint); !ok {
			return errInvalidParameter("Invalid parameter: SQS endpoint ARN")
		}
	case "http", "https":
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return errInvalidParameter("Invalid parameter: Endpoint Reason: %q is not an http or https URL", endpoint)
		}
		if u.Scheme != protocol {
			return errInvalidParameter("Invalid parameter: Endpoint must match the specified protocol")
		}
	case "email", "email-json":
		a, err := mail.ParseAddress(endpoint)
		if err != nil || a.Address != endpoint {
			return errInvalidParameter("Invalid parameter: Email address")
		}
	case "sms":
		if _, ok := validPhoneNumber(endpoint); !ok {
			return errInvalidParameter("Invalid parameter: SMS endpoint Reason: %q is not a phone number in E.164 form, e.g. +15555550100", endpoint)
		}
	}
	return nil
}

// checkProtocolAttributes refuses attributes the protocol has no use for.
func checkProtocolAttributes(protocol string, attrs map[string]string) *awsproto.Error {
	if attrs["RawMessageDelivery"] == "true" && protocol != "sqs" && !isHTTP(protocol) {
		return errInvalidParameter("Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [true]. Raw message delivery is for sqs, http and https subscriptions.")
	}
	return nil
}

func (s *Service) subscribe(_ context.Context, in *subscribeInput) (*subscriptionARNOutput, *awsproto.Error) {
	protocol, endpoint := in.Protocol, in.Endpoint
	if protocol == "" {
		return nil, errInvalidParameter("Invalid parameter: Protocol")
	}
	if !knownProtocols[protocol] {
		return nil, errInvalidParameter("Invalid parameter: Amazon SNS does not support this protocol")
	}
	switch protocol {
	case "application":
		return nil, errInvalidParameter("Invalid parameter: Protocol Reason: localcloud does not emulate platform applications (mobile push), which the application protocol needs")
	case "lambda", "firehose":
		return nil, errInvalidParameter("Invalid parameter: Protocol Reason: localcloud does not deliver to %s endpoints", protocol)
	}
	// The topic before the endpoint: SNS answers NotFound for an unknown
	// topic whatever the endpoint.
	s.mu.RLock()
	_, err := s.lookupTopic("TopicArn", in.TopicArn)
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if err := checkEndpoint(protocol, endpoint); err != nil {
		return nil, err
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
	if err := checkProtocolAttributes(protocol, attrs); err != nil {
		return nil, err
	}

	sub, confirm, err := s.addSubscription(in.TopicArn, protocol, endpoint, attrs)
	if err != nil {
		return nil, err
	}
	if confirm != nil {
		// Outside the lock: signing takes a while.
		confirm()
	}
	if sub.pending && !in.ReturnSubscriptionArn {
		return &subscriptionARNOutput{SubscriptionArn: pendingSubscribeARN}, nil
	}
	return &subscriptionARNOutput{SubscriptionArn: sub.subARN}, nil
}

// addSubscription creates the subscription, or finds the same one, and
// returns it with the confirmation request to send, if one is due.
func (s *Service) addSubscription(topicARN, protocol, endpoint string, attrs map[string]string) (target, func(), *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTopic("TopicArn", topicARN)
	if err != nil {
		return target{}, nil, err
	}
	if t.fifo() && protocol != "sqs" {
		return target{}, nil, errInvalidParameter("Invalid parameter: Protocol Reason: FIFO topics deliver to sqs subscriptions only")
	}
	if queueName, _ := parseSQSARN(endpoint); protocol == "sqs" && strings.HasSuffix(queueName, ".fifo") && !t.fifo() {
		// SNS repeats the "Invalid parameter: " prefix in this message.
		return target{}, nil, errInvalidParameter("Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
	}
	for _, sub := range s.byTopic[t.ARN] {
		if sub.Protocol == protocol && sub.Endpoint == endpoint {
			// Subscribing the same endpoint again returns the existing
			// subscription, unless the attributes asked for differ; one
			// still pending gets its confirmation request again.
			for k, v := range attrs {
				if sub.Attributes[k] != v {
					return target{}, nil, errInvalidParameter("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
				}
			}
			return sub.target(t), s.confirmationRequest(sub, t), nil
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
	if needsConfirmation(protocol) {
		sub.Pending, sub.Token = true, newToken()
	}
	if err := s.persist(nil, []*subscription{sub}, nil, nil); err != nil {
		s.seq--
		return target{}, nil, errInternal(err)
	}
	sub.derive()
	s.subs[sub.ARN] = sub
	s.byTopic[t.ARN] = append(s.byTopic[t.ARN], sub)
	return sub.target(t), s.confirmationRequest(sub, t), nil
}

// confirmationRequest returns the sending of a pending subscription's
// confirmation request, nil for a confirmed one; the caller holds s.mu.
func (s *Service) confirmationRequest(sub *subscription, t *topic) func() {
	if !sub.Pending {
		return nil
	}
	tg, topicARN, token := sub.target(t), t.ARN, sub.Token
	if isHTTP(sub.Protocol) {
		return func() { s.requestConfirmationHTTP(tg, topicARN, token) }
	}
	return func() { s.requestConfirmationEmail(tg, topicARN, token) }
}

// newToken makes a confirmation token: long and random, as SNS's.
func newToken() string {
	b := make([]byte, 64)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func (s *Service) confirmSubscription(ctx context.Context, in *confirmSubscriptionInput) (*subscriptionARNOutput, *awsproto.Error) {
	if in.Token == "" {
		return nil, errInvalidParameter("Invalid parameter: Token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTopic("TopicArn", in.TopicArn)
	if err != nil {
		return nil, err
	}
	for _, sub := range s.byTopic[t.ARN] {
		if sub.Token == "" || subtle.ConstantTimeCompare([]byte(sub.Token), []byte(in.Token)) != 1 {
			continue
		}
		if !sub.Pending {
			// Confirming again changes nothing.
			return &subscriptionARNOutput{SubscriptionArn: sub.ARN}, nil
		}
		cp := sub.persisted()
		cp.Pending = false
		cp.ConfirmedByURL = calledByLink(ctx)
		// Only a signed call can ask that unsubscribing be signed too.
		cp.AuthenticateOnUnsubscribe = in.AuthenticateOnUnsubscribe && !cp.ConfirmedByURL
		if err := s.persist(nil, []*subscription{cp}, nil, nil); err != nil {
			return nil, errInternal(err)
		}
		sub.Pending, sub.ConfirmedByURL, sub.AuthenticateOnUnsubscribe = false, cp.ConfirmedByURL, cp.AuthenticateOnUnsubscribe
		return &subscriptionARNOutput{SubscriptionArn: sub.ARN}, nil
	}
	return nil, errInvalidParameter("Invalid token")
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

func (s *Service) unsubscribe(ctx context.Context, in *subscriptionRef) (*empty, *awsproto.Error) {
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
	if sub.AuthenticateOnUnsubscribe && calledByLink(ctx) {
		return nil, errCode(http.StatusForbidden, "AuthorizationError", "The subscription requires an authenticated Unsubscribe call")
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
		arn := sub.ARN
		if sub.Pending {
			arn = pendingListARN
		}
		out.Subscriptions.Members = append(out.Subscriptions.Members, subscriptionMember{
			TopicArn: sub.TopicARN, Protocol: sub.Protocol, SubscriptionArn: arn, Owner: sub.Owner, Endpoint: sub.Endpoint})
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
	attrs["PendingConfirmation"] = strconv.FormatBool(sub.Pending)
	attrs["ConfirmationWasAuthenticated"] = strconv.FormatBool(!sub.Pending && !sub.ConfirmedByURL)
	if isHTTP(sub.Protocol) {
		topicPolicy := ""
		if t, ok := s.topics[sub.TopicARN]; ok {
			topicPolicy = t.Attributes["DeliveryPolicy"]
		}
		attrs["EffectiveDeliveryPolicy"] = effectiveHTTPPolicy(topicPolicy, sub.Attributes["DeliveryPolicy"]).effectiveDeliveryPolicyJSON()
	}
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
	if err := checkProtocolAttributes(sub.Protocol, next); err != nil {
		return nil, err
	}
	cp := sub.persisted()
	cp.Attributes = next
	if err := s.persist(nil, []*subscription{cp}, nil, nil); err != nil {
		return nil, errInternal(err)
	}
	sub.Attributes = next
	sub.derive()
	return nil, nil
}
