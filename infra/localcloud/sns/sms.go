package sns

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// SMS and email leave no machine: what SNS would have sent — text
// messages, and the confirmation requests and notifications of email
// subscriptions — is recorded instead, readable through Sent and at
// SentPath. Phone numbers opt out through OptOutPath, standing for the
// recipient's STOP reply, and back in through OptInPhoneNumber.

// Limits of SMS.
const (
	// maxSMSBytes is the longest text SNS sends as one SMS message, split
	// into parts on the way.
	maxSMSBytes = 1600
	// maxSent is how many sent messages are kept, the oldest dropped
	// first.
	maxSent = 1000
	// optedOutPageSize is how many numbers ListPhoneNumbersOptedOut
	// answers per page.
	optedOutPageSize = 100
)

var (
	// e164RE is a phone number in E.164 form.
	e164RE = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	// optOutNumberRE is what CheckIfPhoneNumberIsOptedOut accepts.
	optOutNumberRE = regexp.MustCompile(`^\+?[0-9]{1,15}$`)
)

// reservedSMSAttributes are the message attributes SNS reads for SMS;
// unlike other names starting with AWS., a publish may carry them.
var reservedSMSAttributes = map[string]bool{
	"AWS.SNS.SMS.SenderID":         true,
	"AWS.SNS.SMS.MaxPrice":         true,
	"AWS.SNS.SMS.SMSType":          true,
	"AWS.MM.SMS.OriginationNumber": true,
	"AWS.MM.SMS.EntityId":          true,
	"AWS.MM.SMS.TemplateId":        true,
}

// smsAttributeNames are the account's SMS settings SetSMSAttributes
// accepts.
var smsAttributeNames = map[string]bool{
	"DefaultSenderID":                   true,
	"DefaultSMSType":                    true,
	"DeliveryStatusIAMRole":             true,
	"DeliveryStatusSuccessSamplingRate": true,
	"MonthlySpendLimit":                 true,
	"UsageReportS3Bucket":               true,
}

// Buckets of the SMS state.
var (
	bucketOptedOut = []byte("sns.optedout")
	bucketSMSAttrs = []byte("sns.smsattributes")
)

// Sent is one message SNS would have sent by SMS or email.
type Sent struct {
	// Protocol is sms, email or email-json.
	Protocol string `json:"protocol"`
	// Destination is the phone number or email address.
	Destination string `json:"destination"`
	// Type is Notification or SubscriptionConfirmation.
	Type            string `json:"type"`
	MessageID       string `json:"messageId"`
	TopicARN        string `json:"topicArn,omitempty"`
	SubscriptionARN string `json:"subscriptionArn,omitempty"`
	Subject         string `json:"subject,omitempty"`
	// Message is the text of an SMS or of an email; for email-json, the
	// signed JSON document SNS sends.
	Message string `json:"message"`
	// SubscribeURL confirms the subscription a SubscriptionConfirmation
	// asks for (GET it, or call ConfirmSubscription with Token).
	SubscribeURL string `json:"subscribeUrl,omitempty"`
	Token        string `json:"token,omitempty"`
	// SMSType and SenderID are an SMS's, from its message attributes or
	// the account's defaults (SetSMSAttributes).
	SMSType   string `json:"smsType,omitempty"`
	SenderID  string `json:"senderId,omitempty"`
	Timestamp string `json:"timestamp"`
}

// sentLog keeps the latest maxSent messages.
type sentLog struct {
	mu   sync.Mutex
	sent []Sent
}

func (l *sentLog) add(m Sent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.sent) >= maxSent {
		l.sent = slices.Delete(l.sent, 0, len(l.sent)-maxSent+1)
	}
	l.sent = append(l.sent, m)
}

func (l *sentLog) list() []Sent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.sent)
}

func (l *sentLog) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = nil
}

// Sent returns what SNS would have sent by SMS or email, oldest first:
// at most the latest 1000 messages, in memory only.
func (s *Service) Sent() []Sent { return s.sent.list() }

// splitSMSAttributes separates the reserved SMS attributes from those
// subscribers receive.
func splitSMSAttributes(attrs map[string]awsmsg.Attribute) (map[string]awsmsg.Attribute, map[string]string, *awsproto.Error) {
	var sms map[string]string
	for name, a := range attrs {
		if !reservedSMSAttributes[name] {
			continue
		}
		if name == "AWS.SNS.SMS.SMSType" && a.StringValue != "Promotional" && a.StringValue != "Transactional" {
			return nil, nil, errParameterValueInvalid("The message attribute 'AWS.SNS.SMS.SMSType' must be Promotional or Transactional.")
		}
		if sms == nil {
			sms = map[string]string{}
			attrs = maps.Clone(attrs)
		}
		sms[name] = a.StringValue
		delete(attrs, name)
	}
	if len(attrs) == 0 {
		attrs = nil
	}
	return attrs, sms, nil
}

// validPhoneNumber accepts E.164 numbers, and the separators SNS allows
// in an sms subscription's endpoint (+1-555-555.0100) between digits.
func validPhoneNumber(v string) (string, bool) {
	if strings.Contains(v, "--") || strings.Contains(v, "..") || strings.HasSuffix(v, "-") || strings.HasSuffix(v, ".") {
		return "", false
	}
	n := strings.NewReplacer("-", "", ".", "").Replace(v)
	return n, e164RE.MatchString(n)
}

func (s *Service) optedOut(number string) bool {
	s.smsMu.RLock()
	defer s.smsMu.RUnlock()
	return s.optOuts[number]
}

// smsDefaults are the SMSType and SenderID of an SMS: its attributes',
// else the account's defaults.
func (s *Service) smsDefaults(m *message) (smsType, senderID string) {
	s.smsMu.RLock()
	smsType, senderID = s.smsAttrs["DefaultSMSType"], s.smsAttrs["DefaultSenderID"]
	s.smsMu.RUnlock()
	if v := m.smsAttrs["AWS.SNS.SMS.SMSType"]; v != "" {
		smsType = v
	}
	if v := m.smsAttrs["AWS.SNS.SMS.SenderID"]; v != "" {
		senderID = v
	}
	if smsType == "" {
		smsType = "Promotional" // SNS's default
	}
	return smsType, senderID
}

// publishSMS sends one text message to a phone number. SNS sends nothing
// to a number that opted out, and neither is anything recorded.
func (s *Service) publishSMS(in *publishRequest) (*publishOutput, *awsproto.Error) {
	if !e164RE.MatchString(in.PhoneNumber) {
		return nil, errInvalidParameter("Invalid parameter: PhoneNumber Reason: %s is not a valid E.164 phone number", in.PhoneNumber)
	}
	if len(in.message) > maxSMSBytes {
		return nil, errInvalidParameter("Invalid parameter: Message Reason: an SMS message is at most %d bytes", maxSMSBytes)
	}
	m, apiErr := s.validate(nil, in.publishInput)
	if apiErr != nil {
		return nil, apiErr
	}
	s.counters.Op("SendSMS").Calls.Add(1)
	if s.optedOut(in.PhoneNumber) {
		s.counters.Op("SendSMS").Errors.Add(1)
		return &publishOutput{MessageID: m.id}, nil
	}
	smsType, senderID := s.smsDefaults(m)
	s.sent.add(Sent{Protocol: "sms", Destination: in.PhoneNumber, Type: "Notification", MessageID: m.id,
		Message: m.textFor("sms"), SMSType: smsType, SenderID: senderID, Timestamp: snsTimestamp(m.timestamp)})
	return &publishOutput{MessageID: m.id}, nil
}

// deliverRecorded delivers m to an sms, email or email-json subscription
// by recording what SNS would send.
func (s *Service) deliverRecorded(t *topic, tg target, m *message) {
	s.counters.Op("Deliver").Calls.Add(1)
	text := m.textFor(tg.protocol)
	body := text
	if tg.protocol == "email-json" {
		body = s.envelope(t, tg, m, text)
	}
	if s.takeDeliveryFault(tg) {
		s.deliveryFailed(t, tg, m, body, nil)
		return
	}
	sent := Sent{Protocol: tg.protocol, Destination: tg.endpoint, Type: "Notification", MessageID: m.id,
		TopicARN: t.ARN, SubscriptionARN: tg.subARN, Message: body, Timestamp: snsTimestamp(m.timestamp)}
	switch tg.protocol {
	case "sms":
		number, _ := validPhoneNumber(tg.endpoint)
		if s.optedOut(number) {
			s.deliveryFailed(t, tg, m, body, nil)
			return
		}
		sent.SMSType, sent.SenderID = s.smsDefaults(m)
	case "email", "email-json":
		sent.Subject = m.subject
		if sent.Subject == "" {
			sent.Subject = "AWS Notification Message" // SNS's subject for messages without one
		}
	}
	s.sent.add(sent)
	s.counters.Resource(tg.subARN).Out.Add(1)
}

// requestConfirmationEmail records the email asking an email or
// email-json subscriber to confirm.
func (s *Service) requestConfirmationEmail(tg target, topicARN, token string) {
	c := s.newConfirmation(topicARN, token, tg.signatureVersion)
	body := c.Message
	if tg.protocol == "email-json" {
		body = encodeJSON(c)
	}
	s.sent.add(Sent{Protocol: tg.protocol, Destination: tg.endpoint, Type: c.Type, MessageID: c.MessageID,
		TopicARN: topicARN, SubscriptionARN: tg.subARN, Subject: "AWS Notification - Subscription Confirmation",
		Message: body, SubscribeURL: c.SubscribeURL, Token: token, Timestamp: c.Timestamp})
}

type phoneNumberInput struct{ PhoneNumber string }

func (in *phoneNumberInput) FromQuery(f awsproto.Form) *awsproto.Error {
	in.PhoneNumber = f.Get("phoneNumber")
	return nil
}

type optedOutOutput struct {
	IsOptedOut bool `xml:"isOptedOut"`
}

func (s *Service) checkIfPhoneNumberIsOptedOut(_ context.Context, in *phoneNumberInput) (*optedOutOutput, *awsproto.Error) {
	if !optOutNumberRE.MatchString(in.PhoneNumber) {
		return nil, errInvalidParameter("Invalid parameter: PhoneNumber Reason: input incorrectly formatted")
	}
	number := in.PhoneNumber
	if !strings.HasPrefix(number, "+") {
		number = "+" + number
	}
	return &optedOutOutput{IsOptedOut: s.optedOut(number)}, nil
}

type optedOutPageInput struct{ NextToken string }

func (in *optedOutPageInput) FromQuery(f awsproto.Form) *awsproto.Error {
	in.NextToken = f.Get("nextToken")
	return nil
}

type listOptedOutOutput struct {
	PhoneNumbers awsproto.List[string] `xml:"phoneNumbers"`
	NextToken    string                `xml:"nextToken,omitempty"`
}

func (s *Service) listPhoneNumbersOptedOut(_ context.Context, in *optedOutPageInput) (*listOptedOutOutput, *awsproto.Error) {
	s.smsMu.RLock()
	numbers := slices.Sorted(maps.Keys(s.optOuts))
	s.smsMu.RUnlock()
	// The token is the last number of the previous page.
	start := 0
	if in.NextToken != "" {
		i, found := slices.BinarySearch(numbers, in.NextToken)
		if !found && (i == len(numbers) || !e164RE.MatchString(in.NextToken)) {
			return nil, errInvalidParameter("Invalid parameter: NextToken")
		}
		if found {
			i++
		}
		start = i
	}
	end := min(start+optedOutPageSize, len(numbers))
	out := &listOptedOutOutput{}
	out.PhoneNumbers.Members = numbers[start:end]
	if end < len(numbers) {
		out.NextToken = numbers[end-1]
	}
	return out, nil
}

func (s *Service) optInPhoneNumber(_ context.Context, in *phoneNumberInput) (*empty, *awsproto.Error) {
	if !e164RE.MatchString(in.PhoneNumber) {
		return nil, errInvalidParameter("Invalid parameter: PhoneNumber Reason: input incorrectly formatted")
	}
	if err := s.setOptedOut(in.PhoneNumber, false); err != nil {
		return nil, errInternal(err)
	}
	return nil, nil
}

// OptOut opts a phone number out of SMS, as its owner replying STOP
// would: SNS sends it nothing more until OptInPhoneNumber.
func (s *Service) OptOut(number string) error {
	if !e164RE.MatchString(number) {
		return errInvalidParameter("%q is not a phone number in E.164 form, e.g. +15555550100", number)
	}
	return s.setOptedOut(number, true)
}

func (s *Service) setOptedOut(number string, out bool) error {
	s.smsMu.Lock()
	defer s.smsMu.Unlock()
	if s.optOuts[number] == out {
		return nil
	}
	w := storage.Write{Bucket: bucketOptedOut, Key: []byte(number)}
	if out {
		w.Val = []byte("STOP")
	}
	if err := s.commit(w); err != nil {
		return err
	}
	if out {
		s.optOuts[number] = true
	} else {
		delete(s.optOuts, number)
	}
	return nil
}

type setSMSAttributesInput struct{ Attributes map[string]string }

func (in *setSMSAttributesInput) FromQuery(f awsproto.Form) (e *awsproto.Error) {
	in.Attributes, e = f.Map("attributes.entry", "key", "value")
	return e
}

func (s *Service) setSMSAttributes(_ context.Context, in *setSMSAttributesInput) (*empty, *awsproto.Error) {
	var ws []storage.Write
	for _, k := range slices.Sorted(maps.Keys(in.Attributes)) {
		v := in.Attributes[k]
		if !smsAttributeNames[k] {
			return nil, errInvalidParameter("Invalid parameter: %s", k)
		}
		if k == "DefaultSMSType" && v != "Promotional" && v != "Transactional" {
			return nil, errInvalidParameter("Invalid parameter: DefaultSMSType Reason: must be Promotional or Transactional")
		}
		ws = append(ws, storage.Write{Bucket: bucketSMSAttrs, Key: []byte(k), Val: []byte(v)})
	}
	s.smsMu.Lock()
	defer s.smsMu.Unlock()
	if err := s.commit(ws...); err != nil {
		return nil, errInternal(err)
	}
	maps.Copy(s.smsAttrs, in.Attributes)
	return nil, nil
}

type getSMSAttributesInput struct{ Names []string }

func (in *getSMSAttributesInput) FromQuery(f awsproto.Form) (e *awsproto.Error) {
	in.Names, e = f.List("attributes.member")
	return e
}

type smsAttributesOutput struct {
	Attributes awsproto.Map `xml:"attributes"`
}

func (s *Service) getSMSAttributes(_ context.Context, in *getSMSAttributesInput) (*smsAttributesOutput, *awsproto.Error) {
	s.smsMu.RLock()
	defer s.smsMu.RUnlock()
	out := awsproto.Map{}
	for k, v := range s.smsAttrs {
		if len(in.Names) == 0 || slices.Contains(in.Names, k) {
			out[k] = v
		}
	}
	return &smsAttributesOutput{Attributes: out}, nil
}
