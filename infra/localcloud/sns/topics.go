package sns

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

var (
	topicNameRE     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	fifoTopicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,251}\.fifo$`)
)

// topicAttributes lists the attributes a caller may set, with a validator
// for those whose values SNS checks.
var topicAttributes = map[string]func(string) bool{
	"DeliveryPolicy":            func(v string) bool { return checkTopicDeliveryPolicy(v) == nil },
	"DisplayName":               func(v string) bool { return len(v) <= 100 },
	"Policy":                    isJSONObject,
	"SignatureVersion":          func(v string) bool { return v == "1" || v == "2" },
	"TracingConfig":             func(v string) bool { return v == "PassThrough" || v == "Active" },
	"KmsMasterKeyId":            nil,
	"FifoTopic":                 isBool,
	"ContentBasedDeduplication": isBool,
	"ArchivePolicy":             isJSONObject,
	"FifoThroughputScope":       func(v string) bool { return v == "Topic" || v == "MessageGroup" },
	"DataProtectionPolicy":      isJSONObject,
}

// Delivery status logging attributes: <Protocol><Success|Failure>FeedbackRoleArn
// and <Protocol>SuccessFeedbackSampleRate, for every protocol SNS logs.
func init() {
	for _, p := range []string{"Application", "Firehose", "HTTP", "Lambda", "SQS"} {
		topicAttributes[p+"SuccessFeedbackRoleArn"] = nil
		topicAttributes[p+"FailureFeedbackRoleArn"] = nil
		topicAttributes[p+"SuccessFeedbackSampleRate"] = func(v string) bool {
			n, err := strconv.Atoi(v)
			return err == nil && n >= 0 && n <= 100
		}
	}
}

func isBool(v string) bool { return strings.EqualFold(v, "true") || strings.EqualFold(v, "false") }

func isJSONObject(v string) bool {
	var m map[string]any
	return json.Unmarshal([]byte(v), &m) == nil
}

func (s *Service) topicARN(name string) string {
	return "arn:aws:sns:" + s.opts.Region + ":" + s.opts.AccountID + ":" + name
}

// parseTopicARN checks an ARN's shape (arn:partition:sns:region:account:name)
// and returns the topic name.
func parseTopicARN(arn string) (string, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" || parts[5] == "" {
		return "", false
	}
	return parts[5], true
}

// lookupTopic finds a topic for a request parameter; callers hold s.mu.
func (s *Service) lookupTopic(param, arn string) (*topic, *awsproto.Error) {
	if arn == "" {
		return nil, errInvalidParameter("Invalid parameter: %s", param)
	}
	if _, ok := parseTopicARN(arn); !ok {
		return nil, errInvalidParameter("Invalid parameter: %s", param)
	}
	t, ok := s.topics[arn]
	if !ok {
		return nil, errNotFound("Topic does not exist")
	}
	return t, nil
}

func (s *Service) createTopic(_ context.Context, in *createTopicInput) (*topicARNOutput, *awsproto.Error) {
	name, attrs := in.Name, in.Attributes
	fifo := strings.EqualFold(attrs["FifoTopic"], "true")
	switch {
	case fifo && !fifoTopicNameRE.MatchString(name):
		return nil, errInvalidParameter("Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
	case !fifo && !topicNameRE.MatchString(name):
		return nil, errInvalidParameter("Invalid parameter: Topic Name")
	}
	for k, v := range attrs {
		valid, known := topicAttributes[k]
		if !known {
			return nil, errInvalidParameter("Invalid parameter: Attributes Reason: Unknown attribute %s", k)
		}
		if valid != nil && !valid(v) {
			return nil, errInvalidParameter("Invalid parameter: Attributes Reason: %s: Invalid value [%s]", k, v)
		}
	}
	if !fifo && attrs["ContentBasedDeduplication"] != "" && strings.EqualFold(attrs["ContentBasedDeduplication"], "true") {
		return nil, errInvalidParameter("Invalid parameter: Attributes Reason: Content-based deduplication can only be set for FIFO topics")
	}
	if _, ok := attrs["FifoTopic"]; ok && !fifo {
		// FifoTopic=false is the default: keep it out so that attributes
		// compare equal to a topic created without it.
		delete(attrs, "FifoTopic")
	}
	tags := in.Tags
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	arn := s.topicARN(name)

	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.topics[arn]; ok {
		// CreateTopic is idempotent for the same attributes and tags.
		for k, v := range attrs {
			if t.Attributes[k] != v {
				return nil, errInvalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
			}
		}
		for _, tg := range tags {
			if cur, ok := t.Tags[tg.Key]; !ok || cur != tg.Value {
				return nil, errInvalidParameter("Invalid parameter: Tags Reason: Topic already exists with different tags")
			}
		}
		return &topicARNOutput{TopicArn: arn}, nil
	}
	s.seq++
	t := &topic{ARN: arn, Name: name, Seq: s.seq, Attributes: map[string]string{}, Tags: map[string]string{}}
	maps.Copy(t.Attributes, attrs)
	if fifo {
		t.Attributes["FifoTopic"] = "true"
		if _, ok := t.Attributes["ContentBasedDeduplication"]; !ok {
			t.Attributes["ContentBasedDeduplication"] = "false"
		}
	}
	for _, tg := range tags {
		t.Tags[tg.Key] = tg.Value
	}
	if err := s.persist([]*topic{t}, nil, nil, nil); err != nil {
		s.seq--
		return nil, errInternal(err)
	}
	s.topics[arn] = t
	return &topicARNOutput{TopicArn: arn}, nil
}

func (s *Service) deleteTopic(_ context.Context, in *topicRef) (*empty, *awsproto.Error) {
	arn := in.TopicArn
	if _, ok := parseTopicARN(arn); !ok {
		return nil, errInvalidParameter("Invalid parameter: TopicArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.topics[arn]; !ok {
		// DeleteTopic is idempotent: deleting a missing topic is no error.
		return nil, nil
	}
	var subARNs []string
	for _, sub := range s.byTopic[arn] {
		subARNs = append(subARNs, sub.ARN)
	}
	if err := s.persist(nil, nil, []string{arn}, subARNs); err != nil {
		return nil, errInternal(err)
	}
	for _, a := range subARNs {
		delete(s.subs, a)
	}
	delete(s.byTopic, arn)
	delete(s.topics, arn)
	return nil, nil
}

func (s *Service) listTopics(_ context.Context, in *pageInput) (*listTopicsOutput, *awsproto.Error) {
	s.mu.RLock()
	all := slices.Collect(maps.Values(s.topics))
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b *topic) int { return cmp.Compare(a.Seq, b.Seq) })
	items, next, err := listPage(all, func(t *topic) uint64 { return t.Seq }, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &listTopicsOutput{NextToken: next}
	for _, t := range items {
		out.Topics.Members = append(out.Topics.Members, topicMember{TopicArn: t.ARN})
	}
	return out, nil
}

func (s *Service) defaultTopicPolicy(arn string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` + arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + s.opts.AccountID + `"}}}]}`
}

const defaultEffectiveDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

func (s *Service) getTopicAttributes(_ context.Context, in *topicRef) (*attributesOutput, *awsproto.Error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.lookupTopic("TopicArn", in.TopicArn)
	if err != nil {
		return nil, err
	}
	confirmed := 0
	for _, sub := range s.byTopic[t.ARN] {
		if !sub.Pending {
			confirmed++
		}
	}
	attrs := map[string]string{
		"TopicArn":                t.ARN,
		"Owner":                   s.opts.AccountID,
		"Policy":                  s.defaultTopicPolicy(t.ARN),
		"DisplayName":             "",
		"SubscriptionsConfirmed":  strconv.Itoa(confirmed),
		"SubscriptionsPending":    strconv.Itoa(len(s.byTopic[t.ARN]) - confirmed),
		"SubscriptionsDeleted":    "0",
		"EffectiveDeliveryPolicy": defaultEffectiveDeliveryPolicy,
	}
	maps.Copy(attrs, t.Attributes)
	if dp := t.Attributes["DeliveryPolicy"]; dp != "" {
		attrs["EffectiveDeliveryPolicy"] = dp
	}
	return &attributesOutput{Attributes: attrs}, nil
}

func (s *Service) setTopicAttributes(_ context.Context, in *setTopicAttributesInput) (*empty, *awsproto.Error) {
	name, value := in.Name, in.Value
	valid, known := topicAttributes[name]
	if !known || name == "FifoTopic" {
		return nil, errInvalidParameter("Invalid parameter: AttributeName")
	}
	if value != "" && valid != nil && !valid(value) {
		return nil, errInvalidParameter("Invalid parameter: %s", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTopic("TopicArn", in.ARN)
	if err != nil {
		return nil, err
	}
	if name == "ContentBasedDeduplication" && !t.fifo() {
		return nil, errInvalidParameter("Invalid parameter: ContentBasedDeduplication Reason: Content-based deduplication can only be set for FIFO topics")
	}
	next := maps.Clone(t.Attributes)
	if value == "" && name != "DisplayName" {
		delete(next, name)
	} else {
		next[name] = value
	}
	cp := *t.persisted()
	cp.Attributes = next
	if err := s.persist([]*topic{&cp}, nil, nil, nil); err != nil {
		return nil, errInternal(err)
	}
	t.Attributes = next
	return nil, nil
}

// persisted returns a copy of the persisted fields of t, for writing a
// changed version before applying it in memory.
func (t *topic) persisted() *topic {
	return &topic{ARN: t.ARN, Name: t.Name, Seq: t.Seq, Attributes: t.Attributes, Tags: t.Tags}
}
