package sns

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// Namespace is the XML namespace of every SNS response.
const Namespace = "http://sns.amazonaws.com/doc/2010-03-31/"

// maxRequestBytes bounds a request body: a PublishBatch of 256 KiB of
// messages, form-encoded, stays well below it.
const maxRequestBytes = 4 << 20

// api declares SNS on the wire: the query protocol, version 2010-03-31.
func (s *Service) api() *awsproto.Service {
	return &awsproto.Service{
		Name:      "sns",
		Protocols: []awsproto.Protocol{awsproto.Query{Version: "2010-03-31", Namespace: Namespace}},
		MaxBody:   maxRequestBytes,
		Counters:  &s.counters,
		Ops: []awsproto.Operation{
			awsproto.Op("CreateTopic", s.createTopic),
			awsproto.Op("DeleteTopic", s.deleteTopic),
			awsproto.Op("ListTopics", s.listTopics),
			awsproto.Op("GetTopicAttributes", s.getTopicAttributes),
			awsproto.Op("SetTopicAttributes", s.setTopicAttributes),
			awsproto.Op("Subscribe", s.subscribe),
			awsproto.Op("ConfirmSubscription", s.confirmSubscription),
			awsproto.Op("Unsubscribe", s.unsubscribe),
			awsproto.Op("ListSubscriptions", s.listSubscriptions),
			awsproto.Op("ListSubscriptionsByTopic", s.listSubscriptionsByTopic),
			awsproto.Op("GetSubscriptionAttributes", s.getSubscriptionAttributes),
			awsproto.Op("SetSubscriptionAttributes", s.setSubscriptionAttributes),
			awsproto.Op("Publish", s.publish),
			awsproto.Op("PublishBatch", s.publishBatch),
			awsproto.Op("TagResource", s.tagResource),
			awsproto.Op("UntagResource", s.untagResource),
			awsproto.Op("ListTagsForResource", s.listTagsForResource),
			awsproto.Op("CheckIfPhoneNumberIsOptedOut", s.checkIfPhoneNumberIsOptedOut),
			awsproto.Op("ListPhoneNumbersOptedOut", s.listPhoneNumbersOptedOut),
			awsproto.Op("OptInPhoneNumber", s.optInPhoneNumber),
			awsproto.Op("SetSMSAttributes", s.setSMSAttributes),
			awsproto.Op("GetSMSAttributes", s.getSMSAttributes),
		},
	}
}

// Inputs, read from the query form. Lists are <Name>.member.N, maps
// <Name>.entry.N.key/value.

type topicRef struct{ TopicArn string }

func (in *topicRef) FromQuery(f awsproto.Form) *awsproto.Error {
	in.TopicArn = f.Get("TopicArn")
	return nil
}

type subscriptionRef struct{ SubscriptionArn string }

func (in *subscriptionRef) FromQuery(f awsproto.Form) *awsproto.Error {
	in.SubscriptionArn = f.Get("SubscriptionArn")
	return nil
}

type resourceRef struct{ ResourceArn string }

func (in *resourceRef) FromQuery(f awsproto.Form) *awsproto.Error {
	in.ResourceArn = f.Get("ResourceArn")
	return nil
}

type pageInput struct{ NextToken string }

func (in *pageInput) FromQuery(f awsproto.Form) *awsproto.Error {
	in.NextToken = f.Get("NextToken")
	return nil
}

type listByTopicInput struct{ TopicArn, NextToken string }

func (in *listByTopicInput) FromQuery(f awsproto.Form) *awsproto.Error {
	in.TopicArn, in.NextToken = f.Get("TopicArn"), f.Get("NextToken")
	return nil
}

type createTopicInput struct {
	Name       string
	Attributes map[string]string
	Tags       []tag
}

func (in *createTopicInput) FromQuery(f awsproto.Form) (e *awsproto.Error) {
	in.Name = f.Get("Name")
	if in.Attributes, e = f.Map("Attributes.entry", "key", "value"); e != nil {
		return e
	}
	if dpp := f.Get("DataProtectionPolicy"); dpp != "" {
		if in.Attributes == nil {
			in.Attributes = map[string]string{}
		}
		in.Attributes["DataProtectionPolicy"] = dpp
	}
	in.Tags, e = readTags(f, "Tags.member")
	return e
}

type setAttributeInput struct {
	ARN, Name, Value string
}

type setTopicAttributesInput struct{ setAttributeInput }

func (in *setTopicAttributesInput) FromQuery(f awsproto.Form) *awsproto.Error {
	in.ARN, in.Name, in.Value = f.Get("TopicArn"), f.Get("AttributeName"), f.Get("AttributeValue")
	return nil
}

type setSubscriptionAttributesInput struct{ setAttributeInput }

func (in *setSubscriptionAttributesInput) FromQuery(f awsproto.Form) *awsproto.Error {
	in.ARN, in.Name, in.Value = f.Get("SubscriptionArn"), f.Get("AttributeName"), f.Get("AttributeValue")
	return nil
}

type subscribeInput struct {
	TopicArn, Protocol, Endpoint string
	Attributes                   map[string]string
	ReturnSubscriptionArn        bool
}

func (in *subscribeInput) FromQuery(f awsproto.Form) (e *awsproto.Error) {
	in.TopicArn, in.Protocol, in.Endpoint = f.Get("TopicArn"), f.Get("Protocol"), f.Get("Endpoint")
	if in.Attributes, e = f.Map("Attributes.entry", "key", "value"); e != nil {
		return e
	}
	in.ReturnSubscriptionArn, e = f.Bool("ReturnSubscriptionArn")
	return e
}

type confirmSubscriptionInput struct {
	TopicArn, Token           string
	AuthenticateOnUnsubscribe bool
}

func (in *confirmSubscriptionInput) FromQuery(f awsproto.Form) *awsproto.Error {
	in.TopicArn, in.Token = f.Get("TopicArn"), f.Get("Token")
	// SNS reads "true" as true and anything else as false.
	in.AuthenticateOnUnsubscribe = strings.EqualFold(f.Get("AuthenticateOnUnsubscribe"), "true")
	return nil
}

type tagResourceInput struct {
	ResourceArn string
	Tags        []tag
}

func (in *tagResourceInput) FromQuery(f awsproto.Form) (e *awsproto.Error) {
	in.ResourceArn = f.Get("ResourceArn")
	in.Tags, e = readTags(f, "Tags.member")
	return e
}

type untagResourceInput struct {
	ResourceArn string
	TagKeys     []string
}

func (in *untagResourceInput) FromQuery(f awsproto.Form) (e *awsproto.Error) {
	in.ResourceArn = f.Get("ResourceArn")
	in.TagKeys, e = f.List("TagKeys.member")
	return e
}

type tag struct{ Key, Value string }

// readTags reads <prefix>.N.Key/Value in order.
func readTags(f awsproto.Form, prefix string) ([]tag, *awsproto.Error) {
	var out []tag
	e := f.Each(prefix, func(m string) *awsproto.Error {
		out = append(out, tag{Key: f.Get(m + ".Key"), Value: f.Get(m + ".Value")})
		return nil
	})
	return out, e
}

// publishRequest is a Publish call: where to, and the message.
type publishRequest struct {
	TopicArn, TargetArn, PhoneNumber string
	publishInput
}

func (in *publishRequest) FromQuery(f awsproto.Form) (e *awsproto.Error) {
	in.TopicArn, in.TargetArn, in.PhoneNumber = f.Get("TopicArn"), f.Get("TargetArn"), f.Get("PhoneNumber")
	in.publishInput, e = readPublishInput(f, "")
	return e
}

type publishBatchInput struct {
	TopicArn string
	Entries  []publishBatchEntry
}

type publishBatchEntry struct {
	ID string
	publishInput
}

func (in *publishBatchInput) FromQuery(f awsproto.Form) *awsproto.Error {
	in.TopicArn = f.Get("TopicArn")
	return f.Each("PublishBatchRequestEntries.member", func(m string) *awsproto.Error {
		p, e := readPublishInput(f, m+".")
		in.Entries = append(in.Entries, publishBatchEntry{ID: f.Get(m + ".Id"), publishInput: p})
		return e
	})
}

func readPublishInput(f awsproto.Form, prefix string) (publishInput, *awsproto.Error) {
	in := publishInput{
		message:    f.Get(prefix + "Message"),
		hasMessage: f.Has(prefix + "Message"),
		subject:    f.Get(prefix + "Subject"),
		hasSubject: f.Has(prefix + "Subject"),
		structure:  f.Get(prefix + "MessageStructure"),
		groupID:    f.Get(prefix + "MessageGroupId"),
		dedupID:    f.Get(prefix + "MessageDeduplicationId"),
	}
	// <prefix>MessageAttributes.entry.N.Name / .Value.DataType /
	// .Value.StringValue / .Value.BinaryValue
	e := f.Each(prefix+"MessageAttributes.entry", func(m string) *awsproto.Error {
		in.attrs = append(in.attrs, rawAttribute{
			name:        f.Get(m + ".Name"),
			dataType:    f.Get(m + ".Value.DataType"),
			stringValue: f.Get(m + ".Value.StringValue"),
			binaryValue: f.Get(m + ".Value.BinaryValue"),
			hasString:   f.Has(m + ".Value.StringValue"),
			hasBinary:   f.Has(m + ".Value.BinaryValue"),
		})
		return nil
	})
	return in, e
}

// rawAttribute is a message attribute as the request spelled it, before
// validation.
type rawAttribute struct {
	name, dataType, stringValue, binaryValue string
	hasString, hasBinary                     bool
}

// decodeBinary decodes a BinaryValue the way the query protocol carries
// it: standard base64.
func decodeBinary(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(s)
}

// Outputs, written by their xml tags inside <OpResult>.

type empty struct{}

type topicARNOutput struct {
	TopicArn string `xml:"TopicArn"`
}

type topicMember struct {
	TopicArn string `xml:"TopicArn"`
}

type listTopicsOutput struct {
	Topics    awsproto.List[topicMember] `xml:"Topics"`
	NextToken string                     `xml:"NextToken,omitempty"`
}

type attributesOutput struct {
	Attributes awsproto.Map `xml:"Attributes"`
}

type subscriptionARNOutput struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
}

type subscriptionMember struct {
	TopicArn        string `xml:"TopicArn"`
	Protocol        string `xml:"Protocol"`
	SubscriptionArn string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Endpoint        string `xml:"Endpoint"`
}

type listSubscriptionsOutput struct {
	Subscriptions awsproto.List[subscriptionMember] `xml:"Subscriptions"`
	NextToken     string                            `xml:"NextToken,omitempty"`
}

type publishOutput struct {
	MessageID      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

type batchResultEntry struct {
	ID             string `xml:"Id"`
	MessageID      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

type batchResultErrorEntry struct {
	ID          string `xml:"Id"`
	Code        string `xml:"Code"`
	Message     string `xml:"Message"`
	SenderFault bool   `xml:"SenderFault"`
}

type publishBatchOutput struct {
	Successful awsproto.List[batchResultEntry]      `xml:"Successful"`
	Failed     awsproto.List[batchResultErrorEntry] `xml:"Failed"`
}

type listTagsOutput struct {
	Tags awsproto.List[tag] `xml:"Tags"`
}

// listPage cuts a page of 100 out of items in listing order (by Seq);
// the token is the Seq of the last item returned.
func listPage[T any](items []T, seq func(T) uint64, token string) ([]T, string, *awsproto.Error) {
	var after *uint64
	if token != "" {
		n, err := strconv.ParseUint(token, 10, 64)
		if err != nil {
			return nil, "", errInvalidParameter("Invalid parameter: NextToken")
		}
		after = &n
	}
	page, more := awsproto.Page(items, seq, after, pageSize)
	next := ""
	if more {
		next = strconv.FormatUint(seq(page[len(page)-1]), 10)
	}
	return page, next, nil
}

// pageSize is how many items SNS list operations return per page.
const pageSize = 100
