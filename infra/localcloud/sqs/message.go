package sqs

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// maxAttributes is how many message attributes SQS allows on a message.
const maxAttributes = 10

// md5Hex is the hex MD5 of s, as MD5OfMessageBody carries it.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// md5OfAttributes digests message attributes the way AWS documents it:
// names sorted; for each, the name and the data type, each as a 4-byte
// big-endian length and its UTF-8 bytes, then one transport byte (1 for
// String and Number values, 2 for Binary) and the length-prefixed value.
// It returns "" for no attributes, since SQS then omits the digest.
func md5OfAttributes(attrs map[string]awsmsg.Attribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	h := md5.New()
	for _, n := range names {
		a := attrs[n]
		writeLenPrefixed(h, []byte(n))
		writeLenPrefixed(h, []byte(a.DataType))
		if isBinaryType(a.DataType) {
			h.Write([]byte{2})
			writeLenPrefixed(h, a.BinaryValue)
		} else {
			h.Write([]byte{1})
			writeLenPrefixed(h, []byte(a.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeLenPrefixed(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}

func isBinaryType(dataType string) bool {
	return dataType == "Binary" || strings.HasPrefix(dataType, "Binary.")
}

// validBodyRune reports whether SQS accepts r in a message body: #x9 | #xA
// | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
func validBodyRune(r rune) bool {
	switch {
	case r == 0x9, r == 0xA, r == 0xD:
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// checkBody validates the characters of a message body (or of a string
// attribute value, which has the same rule).
func checkText(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return false
		}
		if !validBodyRune(r) {
			return false
		}
		i += size
	}
	return true
}

// convertAttributes validates wire attributes and converts them, returning
// the attributes and their size as SQS counts it (name, type and value).
func convertAttributes(in map[string]attributeValue, system bool) (map[string]awsmsg.Attribute, int, *awsproto.Error) {
	if len(in) == 0 {
		return nil, 0, nil
	}
	if !system && len(in) > maxAttributes {
		return nil, 0, errInvalidParameterValue("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(in), maxAttributes)
	}
	out := make(map[string]awsmsg.Attribute, len(in))
	size := 0
	for name, v := range in {
		if system {
			if name != "AWSTraceHeader" {
				return nil, 0, errInvalidParameterValue("Message system attribute name '%s' is invalid.", name)
			}
		} else if e := checkAttributeName(name); e != nil {
			return nil, 0, e
		}
		a, e := convertAttribute(name, v)
		if e != nil {
			return nil, 0, e
		}
		out[name] = a
		size += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return out, size, nil
}

// checkAttributeName applies SQS's naming rule for message attributes.
func checkAttributeName(name string) *awsproto.Error {
	bad := func(reason string) *awsproto.Error {
		return errInvalidParameterValue("Message (user) attribute name '%s' is invalid. %s", name, reason)
	}
	if name == "" || len(name) > 256 {
		return bad("The attribute name must be between 1 and 256 characters long.")
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return bad("The attribute name can not start with AWS-reserved prefixes 'AWS.' or 'Amazon.'.")
	}
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return bad("The attribute name can not start or end with a period, or contain successive periods.")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return bad("The attribute name can contain only alphanumeric characters, hyphens, underscores and periods.")
		}
	}
	return nil
}

func convertAttribute(name string, v attributeValue) (awsmsg.Attribute, *awsproto.Error) {
	base, custom, _ := strings.Cut(v.DataType, ".")
	if v.DataType == "" {
		return awsmsg.Attribute{}, errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute type.", name)
	}
	if len(v.DataType) > 256 || (strings.Contains(v.DataType, ".") && custom == "") {
		return awsmsg.Attribute{}, errInvalidParameterValue("The message attribute '%s' has an invalid message attribute type.", name)
	}
	if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
		return awsmsg.Attribute{}, errInvalidParameterValue("Message attribute list values in SendMessage operation are not supported.")
	}
	a := awsmsg.Attribute{DataType: v.DataType}
	switch base {
	case "String", "Number":
		if v.StringValue == nil || *v.StringValue == "" {
			return a, errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, v.DataType)
		}
		if v.BinaryValue != nil {
			return a, errInvalidParameterValue("The message attribute '%s' with type '%s' must use field 'String'.", name, base)
		}
		if !checkText(*v.StringValue) {
			return a, errInvalidParameterValue("The message attribute '%s' contains characters outside the allowed set.", name)
		}
		if base == "Number" && !validNumber(*v.StringValue) {
			return a, errInvalidParameterValue("Can't cast the value of message (user) attribute '%s' to a number.", name)
		}
		a.StringValue = *v.StringValue
	case "Binary":
		if len(v.BinaryValue) == 0 {
			return a, errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, v.DataType)
		}
		if v.StringValue != nil {
			return a, errInvalidParameterValue("The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
		}
		a.BinaryValue = v.BinaryValue
	default:
		return a, errInvalidParameterValue("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
	}
	return a, nil
}

// validNumber accepts what SQS takes as a Number: a decimal with up to 38
// digits of precision, optionally signed, with exponent.
func validNumber(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return false
	}
	digits := 0
	for _, r := range s {
		if r == 'e' || r == 'E' {
			break
		}
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits <= 38 && !strings.ContainsAny(s, "xXpPnNiI_")
}

// toWire converts stored attributes for a response.
func toWire(attrs map[string]awsmsg.Attribute) map[string]attributeValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]attributeValue, len(attrs))
	for n, a := range attrs {
		v := attributeValue{DataType: a.DataType}
		if isBinaryType(a.DataType) {
			v.BinaryValue = a.BinaryValue
		} else {
			s := a.StringValue
			v.StringValue = &s
		}
		out[n] = v
	}
	return out
}

// selectAttributes picks the attributes a receive asked for: "All", ".*",
// "prefix.*" or exact names.
func selectAttributes(attrs map[string]awsmsg.Attribute, names []string) map[string]awsmsg.Attribute {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	out := map[string]awsmsg.Attribute{}
	for _, want := range names {
		switch {
		case want == "All" || want == ".*":
			return attrs
		case strings.HasSuffix(want, ".*"):
			prefix := strings.TrimSuffix(want, "*")
			for n, a := range attrs {
				if strings.HasPrefix(n, prefix) {
					out[n] = a
				}
			}
		default:
			if a, ok := attrs[want]; ok {
				out[want] = a
			}
		}
	}
	return out
}

// validBatchID applies the batch entry id rule: 1-80 of alnum, - and _.
func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// validFIFOToken applies the rule for MessageGroupId and
// MessageDeduplicationId: 1-128 of alnum and punctuation.
func validFIFOToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r)) {
			return false
		}
	}
	return true
}

type awsmsgAttr = awsmsg.Attribute

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
