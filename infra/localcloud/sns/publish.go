package sns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// Limits SNS documents for messages.
const (
	// MaxMessageBytes is the largest message SNS accepts, attributes included.
	MaxMessageBytes = 256 * 1024
	maxSubjectChars = 100
	maxBatchEntries = 10
	// fifoDedupWindow is how long a FIFO topic remembers a deduplication id.
	fifoDedupWindow = 5 * time.Minute
)

var (
	attrNameRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)
	numberRE    = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)
	batchIDRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	fifoTokenRE = regexp.MustCompile("^[A-Za-z0-9!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]{1,128}$")
)

// publishInput is one message to publish, as the request gave it.
type publishInput struct {
	message, subject, structure string
	hasMessage, hasSubject      bool
	attrs                       []rawAttribute
	groupID, dedupID            string
}

// message is a validated message ready for fan-out.
type message struct {
	id, sequence string
	text         string // the Message parameter
	sqsText      string // what SQS subscribers get (differs with MessageStructure json)
	// perProtocol holds the messages of MessageStructure json by
	// protocol, "default" included; nil otherwise.
	perProtocol      map[string]string
	subject          string
	attrs            map[string]awsmsg.Attribute
	smsAttrs         map[string]string // the reserved AWS.SNS.SMS.* and AWS.MM.SMS.* attributes, which SMS uses and no subscriber receives
	groupID, dedupID string
	timestamp        time.Time
}

// textFor is the message a subscriber of protocol receives: with
// MessageStructure json, the protocol's own entry or the default.
func (m *message) textFor(protocol string) string {
	if m.perProtocol == nil {
		return m.text
	}
	if v, ok := m.perProtocol[protocol]; ok {
		return v
	}
	return m.perProtocol["default"]
}

// size is what SNS counts against MaxMessageBytes: the message and every
// attribute's name, type and value.
func (in *publishInput) size() int {
	n := len(in.message)
	for _, a := range in.attrs {
		n += len(a.name) + len(a.dataType) + len(a.stringValue) + len(a.binaryValue)*3/4
	}
	return n
}

// validate checks one message for a topic, or for a phone number when t
// is nil, and builds it.
func (s *Service) validate(t *topic, in publishInput) (*message, *awsproto.Error) {
	if !in.hasMessage || in.message == "" {
		return nil, errInvalidParameter("Invalid parameter: Empty message")
	}
	if !utf8.ValidString(in.message) {
		return nil, errInvalidParameter("Invalid parameter: Message Reason: Message must be valid UTF-8")
	}
	if in.size() > MaxMessageBytes {
		return nil, errInvalidParameter("Invalid parameter: Message too long")
	}
	if in.hasSubject && !validSubject(in.subject) {
		return nil, errInvalidParameter("Invalid parameter: Subject")
	}
	m := &message{id: awsproto.UUID(), text: in.message, sqsText: in.message, subject: in.subject, timestamp: s.opts.Clock().UTC()}
	switch in.structure {
	case "":
	case "json":
		var structured map[string]any
		if err := json.Unmarshal([]byte(in.message), &structured); err != nil {
			return nil, errInvalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse")
		}
		if _, ok := structured["default"].(string); !ok {
			return nil, errInvalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body")
		}
		m.perProtocol = map[string]string{}
		for k, v := range structured {
			if str, ok := v.(string); ok {
				m.perProtocol[k] = str
			}
		}
		m.sqsText = m.textFor("sqs")
	default:
		return nil, errInvalidParameter("Invalid parameter: MessageStructure")
	}
	attrs, err := validateAttributes(in.attrs)
	if err != nil {
		return nil, err
	}
	if m.attrs, m.smsAttrs, err = splitSMSAttributes(attrs); err != nil {
		return nil, err
	}
	if in.groupID != "" && !fifoTokenRE.MatchString(in.groupID) {
		return nil, errInvalidParameter("Invalid parameter: MessageGroupId Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
	}
	if in.dedupID != "" && !fifoTokenRE.MatchString(in.dedupID) {
		return nil, errInvalidParameter("Invalid parameter: MessageDeduplicationId Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
	}
	if t != nil && t.fifo() {
		if e := checkFIFOIDs(t, in); e != nil {
			return nil, e
		}
		if in.dedupID == "" {
			sum := sha256.Sum256([]byte(in.message))
			in.dedupID = hex.EncodeToString(sum[:])
		}
	} else if in.dedupID != "" {
		return nil, errInvalidParameter("Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	m.groupID, m.dedupID = in.groupID, in.dedupID
	return m, nil
}

// checkFIFOIDs refuses a message of a FIFO topic without the ids the
// topic needs. PublishBatch runs it on every entry before publishing any,
// since SNS fails the whole batch for it rather than the entry.
func checkFIFOIDs(t *topic, in publishInput) *awsproto.Error {
	if in.groupID == "" {
		return errInvalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
	}
	if in.dedupID == "" && !t.contentBasedDedup() {
		return errInvalidParameter("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	}
	return nil
}

// validSubject: at most 100 printable ASCII characters, no line breaks,
// starting with a letter, number or punctuation mark.
func validSubject(s string) bool {
	if s == "" || len(s) > maxSubjectChars {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return s[0] != ' '
}

// validateAttributes checks message attributes as SNS does and converts
// them to the shared attribute type.
func validateAttributes(raw []rawAttribute) (map[string]awsmsg.Attribute, *awsproto.Error) {
	if len(raw) == 0 {
		return nil, nil
	}
	out := make(map[string]awsmsg.Attribute, len(raw))
	for _, a := range raw {
		if !validAttributeName(a.name) && !reservedSMSAttributes[a.name] {
			return nil, errParameterValueInvalid("The message attribute name '%s' is invalid: it must be 1 to 256 characters among A-Z, a-z, 0-9, '_', '-' and '.', must not start or end with a period or contain two in a row, and must not start with 'AWS.' or 'Amazon.'.", a.name)
		}
		if _, dup := out[a.name]; dup {
			return nil, errParameterValueInvalid("Message attribute name '%s' has already been used in the message", a.name)
		}
		if a.dataType == "" {
			return nil, errParameterValueInvalid("The message attribute '%s' must contain non-empty message attribute type.", a.name)
		}
		base, custom, hasCustom := strings.Cut(a.dataType, ".")
		if len(a.dataType) > 256 || (hasCustom && (custom == "" || !utf8.ValidString(custom))) {
			return nil, errParameterValueInvalid("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", a.name)
		}
		switch base {
		case "String":
			if !a.hasString || a.stringValue == "" {
				return nil, errParameterValueInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", a.name, a.dataType)
			}
			if !utf8.ValidString(a.stringValue) {
				return nil, errParameterValueInvalid("The message attribute '%s' contains invalid characters.", a.name)
			}
			if a.dataType == "String.Array" && !validStringArray(a.stringValue) {
				return nil, errParameterValueInvalid("The message attribute '%s' with type 'String.Array' has an invalid value: it must be a JSON array of strings, numbers, true, false or null.", a.name)
			}
			out[a.name] = awsmsg.Attribute{DataType: a.dataType, StringValue: a.stringValue}
		case "Number":
			if !a.hasString || a.stringValue == "" {
				return nil, errParameterValueInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", a.name, a.dataType)
			}
			if !numberRE.MatchString(a.stringValue) {
				return nil, errParameterValueInvalid("Could not cast message attribute '%s' value to number.", a.name)
			}
			if _, err := strconv.ParseFloat(a.stringValue, 64); err != nil {
				return nil, errParameterValueInvalid("Could not cast message attribute '%s' value to number.", a.name)
			}
			out[a.name] = awsmsg.Attribute{DataType: a.dataType, StringValue: a.stringValue}
		case "Binary":
			if !a.hasBinary || a.binaryValue == "" {
				return nil, errParameterValueInvalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", a.name, a.dataType)
			}
			b, err := decodeBinary(a.binaryValue)
			if err != nil || len(b) == 0 {
				return nil, errParameterValueInvalid("The message attribute '%s' has an invalid binary value.", a.name)
			}
			out[a.name] = awsmsg.Attribute{DataType: a.dataType, BinaryValue: b}
		default:
			return nil, errParameterValueInvalid("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", a.name)
		}
	}
	return out, nil
}

func validAttributeName(name string) bool {
	if !attrNameRE.MatchString(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return false
	}
	lower := strings.ToLower(name)
	return !strings.HasPrefix(lower, "aws.") && !strings.HasPrefix(lower, "amazon.")
}

func validStringArray(v string) bool {
	var arr []any
	if err := json.Unmarshal([]byte(v), &arr); err != nil {
		return false
	}
	for _, e := range arr {
		switch e.(type) {
		case string, float64, bool, nil:
		default:
			return false
		}
	}
	return true
}

// publishTarget resolves TopicArn/TargetArn; a publish to PhoneNumber
// names neither.
func publishTarget(in *publishRequest) (string, *awsproto.Error) {
	topicARN, targetARN := in.TopicArn, in.TargetArn
	switch {
	case in.PhoneNumber != "" && (topicARN != "" || targetARN != ""):
		return "", errInvalidParameter("Invalid parameter: PhoneNumber Reason: Only one of PhoneNumber, TopicArn or TargetArn may be specified")
	case topicARN != "" && targetARN != "":
		return "", errInvalidParameter("Invalid parameter: TopicArn or TargetArn Reason: Only one of TopicArn or TargetArn may be specified")
	case topicARN != "":
		return topicARN, nil
	case targetARN != "":
		return targetARN, nil
	}
	return "", errInvalidParameter("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
}

func (s *Service) publish(_ context.Context, in *publishRequest) (*publishOutput, *awsproto.Error) {
	if in.PhoneNumber != "" && in.TopicArn == "" && in.TargetArn == "" {
		return s.publishSMS(in)
	}
	arn, apiErr := publishTarget(in)
	if apiErr != nil {
		return nil, apiErr
	}
	s.mu.RLock()
	t, apiErr := s.lookupTopic("TopicArn", arn)
	s.mu.RUnlock()
	if apiErr != nil {
		return nil, apiErr
	}
	m, apiErr := s.validate(t, in.publishInput)
	if apiErr != nil {
		return nil, apiErr
	}
	s.await(s.fanOut(t, m, nil))
	return &publishOutput{MessageID: m.id, SequenceNumber: m.sequence}, nil
}

func (s *Service) publishBatch(_ context.Context, in *publishBatchInput) (*publishBatchOutput, *awsproto.Error) {
	switch {
	case len(in.Entries) == 0:
		return nil, errCode(400, "EmptyBatchRequest", "The batch request doesn't contain any entries.")
	case len(in.Entries) > maxBatchEntries:
		return nil, errCode(400, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
	}
	ids := map[string]bool{}
	total := 0
	for _, en := range in.Entries {
		if !batchIDRE.MatchString(en.ID) {
			return nil, errCode(400, "InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if ids[en.ID] {
			return nil, errCode(400, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
		}
		ids[en.ID] = true
		total += en.size()
	}
	if total > MaxMessageBytes {
		return nil, errCode(400, "BatchRequestTooLong", "The length of all the messages put together is more than the limit.")
	}
	s.mu.RLock()
	t, apiErr := s.lookupTopic("TopicArn", in.TopicArn)
	s.mu.RUnlock()
	if apiErr != nil {
		return nil, apiErr
	}
	if t.fifo() {
		for _, en := range in.Entries {
			if e := checkFIFOIDs(t, en.publishInput); e != nil {
				return nil, e
			}
		}
	}
	out := &publishBatchOutput{}
	var pending []*delivery
	for _, en := range in.Entries {
		m, apiErr := s.validate(t, en.publishInput)
		if apiErr != nil {
			out.Failed.Members = append(out.Failed.Members, batchResultErrorEntry{
				ID: en.ID, Code: apiErr.Code, Message: apiErr.Message, SenderFault: apiErr.Sender()})
			continue
		}
		pending = s.fanOut(t, m, pending)
		out.Successful.Members = append(out.Successful.Members, batchResultEntry{ID: en.ID, MessageID: m.id, SequenceNumber: m.sequence})
	}
	// Every entry's deliveries are enqueued; wait for them all at once.
	s.await(pending)
	return out, nil
}

// sequenceBase makes FIFO sequence numbers look like SNS's: 20 digits.
const sequenceBase = 10000000000000000000

// fifoAdmit applies a FIFO topic's deduplication window. It returns false
// when the message is a duplicate, with m carrying the first one's id and
// sequence number (SNS answers a duplicate with them and delivers nothing).
// The caller holds t.dedupMu.
func (t *topic) fifoAdmit(m *message) bool {
	now := m.timestamp
	if t.dedup == nil {
		t.dedup = map[string]dedupEntry{}
	}
	for k, e := range t.dedup {
		if now.After(e.expires) {
			delete(t.dedup, k)
		}
	}
	if e, ok := t.dedup[m.dedupID]; ok {
		m.id, m.sequence = e.messageID, e.sequence
		return false
	}
	t.sequence++
	m.sequence = fmt.Sprintf("%d", uint64(sequenceBase)+t.sequence)
	t.dedup[m.dedupID] = dedupEntry{messageID: m.id, sequence: m.sequence, expires: now.Add(fifoDedupWindow)}
	return true
}
