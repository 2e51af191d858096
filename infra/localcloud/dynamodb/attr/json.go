package attr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
)

// Error is a malformed attribute value, with the exception name and the
// message DynamoDB answers with.
type Error struct {
	// Code is "ValidationException" for values that decode but break
	// DynamoDB's rules, "SerializationException" for JSON of the wrong
	// shape.
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func validation(msg string) *Error {
	return &Error{Code: "ValidationException", Message: msg}
}

func serialization(msg string) *Error {
	return &Error{Code: "SerializationException", Message: msg}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// MarshalJSON writes the DynamoDB JSON form: one type key and its value.
func (v Value) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := v.encode(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (v Value) encode(buf *bytes.Buffer) error {
	buf.WriteString(`{"`)
	buf.WriteString(v.t.String())
	buf.WriteString(`":`)
	switch v.t {
	case TypeS:
		writeString(buf, v.s)
	case TypeN:
		writeString(buf, v.n.String())
	case TypeB:
		writeString(buf, b64(v.b))
	case TypeBOOL:
		buf.WriteString(strconv.FormatBool(v.bo))
	case TypeNULL:
		buf.WriteString("true")
	case TypeM:
		buf.WriteByte('{')
		// Sorted keys make the encoding deterministic, which tests and
		// stored snapshots rely on.
		keys := make([]string, 0, len(v.m))
		for k := range v.m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			if err := v.m[k].encode(buf); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case TypeL:
		buf.WriteByte('[')
		for i, x := range v.l {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := x.encode(buf); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case TypeSS:
		writeStrings(buf, len(v.ss), func(i int) string { return v.ss[i] })
	case TypeNS:
		writeStrings(buf, len(v.ns), func(i int) string { return v.ns[i].String() })
	case TypeBS:
		writeStrings(buf, len(v.bs), func(i int) string { return b64(v.bs[i]) })
	default:
		return serialization("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	}
	buf.WriteByte('}')
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always marshals
	buf.Write(b)
}

func writeStrings(buf *bytes.Buffer, n int, at func(int) string) {
	buf.WriteByte('[')
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeString(buf, at(i))
	}
	buf.WriteByte(']')
}

// UnmarshalJSON reads the DynamoDB JSON form and refuses what DynamoDB
// refuses, with its messages.
func (v *Value) UnmarshalJSON(data []byte) error {
	if x, ok := decodeScalarFast(data); ok {
		*v = x
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return shapeError(data, "structure")
	}
	// A JSON null for a member means the member is absent, as in the
	// service's deserializer; unknown members are ignored likewise.
	var (
		out   Value
		count int
		err   error
	)
	for _, name := range typeNames {
		raw, ok := fields[name]
		if name == "" || !ok || isNull(raw) {
			continue
		}
		count++
		var x Value
		x, err = decodeMember(name, raw)
		if err != nil {
			return err
		}
		out = x
	}
	switch {
	case count == 0:
		return validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case count > 1:
		return validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	*v = out
	return nil
}

// decodeScalarFast reads the commonest values, a compact {"S":"…"} or
// {"N":"…"} whose string has no escapes, without the general decoder's
// map; anything else (and any number that does not parse) takes the
// general path, which gives the errors.
func decodeScalarFast(data []byte) (Value, bool) {
	var typ string
	switch {
	case bytes.HasPrefix(data, []byte(`{"S":"`)):
		typ = "S"
	case bytes.HasPrefix(data, []byte(`{"N":"`)):
		typ = "N"
	default:
		return Value{}, false
	}
	if !bytes.HasSuffix(data, []byte(`"}`)) || len(data) < 8 {
		return Value{}, false
	}
	body := data[6 : len(data)-2]
	for _, c := range body {
		if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return Value{}, false
		}
	}
	if typ == "S" {
		return S(string(body)), true
	}
	n, err := ParseNumber(string(body))
	if err != nil {
		return Value{}, false
	}
	return N(n), true
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

func decodeMember(name string, raw json.RawMessage) (Value, error) {
	switch name {
	case "S":
		s, err := decodeString(raw)
		return S(s), err
	case "N":
		s, err := decodeString(raw)
		if err != nil {
			return Value{}, err
		}
		n, err := ParseNumber(s)
		return N(n), err
	case "B":
		b, err := decodeBinary(raw)
		return B(b), err
	case "BOOL":
		b, err := decodeBool(raw)
		return Bool(b), err
	case "NULL":
		b, err := decodeBool(raw)
		if err != nil {
			return Value{}, err
		}
		if !b {
			return Value{}, validation("One or more parameter values were invalid: Null attribute value types must have the value of true")
		}
		return Null(), nil
	case "M":
		var m map[string]Value
		if err := json.Unmarshal(raw, &m); err != nil {
			return Value{}, memberError(raw, err)
		}
		for k, x := range m {
			if !x.Valid() { // {"k": null}
				delete(m, k)
			}
		}
		return M(m), nil
	case "L":
		var l []Value
		if err := json.Unmarshal(raw, &l); err != nil {
			return Value{}, memberError(raw, err)
		}
		l = slices.DeleteFunc(l, func(x Value) bool { return !x.Valid() })
		return L(l...), nil
	case "SS":
		ss, err := decodeStrings(raw)
		if err != nil {
			return Value{}, err
		}
		return SS(ss...)
	case "NS":
		ss, err := decodeStrings(raw)
		if err != nil {
			return Value{}, err
		}
		if len(ss) == 0 {
			return NS()
		}
		ns := make([]Number, len(ss))
		for i, s := range ss {
			if ns[i], err = ParseNumber(s); err != nil {
				return Value{}, err
			}
		}
		return NS(ns...)
	case "BS":
		ss, err := decodeStrings(raw)
		if err != nil {
			return Value{}, err
		}
		if len(ss) == 0 {
			return BS()
		}
		bs := make([][]byte, len(ss))
		for i, s := range ss {
			if bs[i], err = decodeBase64(s); err != nil {
				return Value{}, err
			}
		}
		return BS(bs...)
	}
	return Value{}, serialization("Unexpected field type")
}

// memberError keeps a nested value's own error (its message is the one
// DynamoDB gives) and reports a wrong JSON shape otherwise.
func memberError(raw json.RawMessage, err error) error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return shapeError(raw, "collection")
}

// shapeError gives the deserializer's message for JSON of the wrong kind.
func shapeError(raw []byte, want string) error {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return serialization("Unexpected end of input")
	}
	switch t[0] {
	case '{':
		return serialization("Start of structure or map found where not expected")
	case '[':
		return serialization("Start of list found where not expected")
	case '"':
		if want == "structure" {
			return serialization("Unexpected token received from parser")
		}
		return serialization("STRING_VALUE can not be converted to a " + want)
	case 't', 'f':
		return serialization("Unexpected token received from parser")
	}
	return serialization("NUMBER_VALUE cannot be converted to String")
}

func decodeString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t := bytes.TrimSpace(raw)
		switch {
		case len(t) > 0 && t[0] == '{':
			return "", serialization("Start of structure or map found where not expected")
		case len(t) > 0 && t[0] == '[':
			return "", serialization("Unrecognized collection type class java.lang.String")
		case len(t) > 0 && (t[0] == 't' || t[0] == 'f'):
			return "", serialization(upperBool(t) + "_VALUE cannot be converted to String")
		}
		return "", serialization("NUMBER_VALUE cannot be converted to String")
	}
	return s, nil
}

func upperBool(t []byte) string {
	if t[0] == 't' {
		return "TRUE"
	}
	return "FALSE"
}

func decodeBool(raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		t := bytes.TrimSpace(raw)
		if len(t) > 0 && t[0] == '"' {
			// The service's deserializer takes "true"/"false" strings.
			var s string
			_ = json.Unmarshal(raw, &s)
			if v, err := strconv.ParseBool(s); err == nil && (s == "true" || s == "false") {
				return v, nil
			}
		}
		return false, serialization("Unexpected token received from parser")
	}
	return b, nil
}

func decodeBinary(raw json.RawMessage) ([]byte, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, serialization("only base-64-encoded strings are convertible to bytes")
	}
	return decodeBase64(s)
}

func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, serialization("Invalid last non-pad Base64 character dectected")
	}
	return b, nil
}

func decodeStrings(raw json.RawMessage) ([]string, error) {
	var ss []string
	if err := json.Unmarshal(raw, &ss); err != nil {
		t := bytes.TrimSpace(raw)
		if len(t) > 0 && t[0] != '[' {
			return nil, serialization("Unexpected field type")
		}
		return nil, serialization("NUMBER_VALUE cannot be converted to String")
	}
	return ss, nil
}
