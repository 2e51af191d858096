package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// maxJSONDepth bounds nesting; a launch request needs three levels. v2's
// own bound (ten thousand) would do for safety; this one keeps absurd
// nesting a syntax error, answered before any member is judged.
const maxJSONDepth = 16

// decodeOptions add to encoding/json v2's defaults, which already refuse
// duplicate names, invalid UTF-8 (a lone surrogate escape such as "\ud800"
// included) and data after the value, what a strict API must also refuse:
// unknown members, and null, which v2 reads as the zero value and would let
// "count": null pass for a missing count.
var decodeOptions = jsonv2.JoinOptions(
	jsonv2.RejectUnknownMembers(true),
	// One function per type a request decodes into: a function for any
	// type would cost an allocation per value.
	jsonv2.WithUnmarshalers(jsonv2.JoinUnmarshalers(
		refuseNull[*launchInput](), refuseNull[**string](), refuseNull[**int](), refuseNull[*string](),
		refuseNull[*map[string]string](), refuseNull[*[]string](), refuseNull[*[]jsontext.Value](),
	)),
)

func unmarshal(data []byte, v any) error { return jsonv2.Unmarshal(data, v, decodeOptions) }

// refuseNull answers a null where a T points as a value of the wrong
// type, as a string where a number belongs would be.
func refuseNull[T any]() *jsonv2.Unmarshalers {
	return jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ T) error {
		if dec.PeekKind() != 'n' {
			return errors.ErrUnsupported
		}
		return &jsonv2.SemanticError{JSONKind: 'n', GoType: reflect.TypeFor[T]().Elem()}
	})
}

// checkSyntax reads the whole body before any member is judged, so that
// a syntax error is answered as one wherever it is, not as an unknown or
// mistyped member the decoder would meet before it.
func checkSyntax(body []byte) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return badJSON("", "the body is empty")
	}
	// Checked here rather than left to the decoder, which would name the
	// member holding the bytes: invalid UTF-8 is a property of the body,
	// sent with the wrong charset.
	if !utf8.Valid(body) {
		return badJSON("", "the body is not valid UTF-8")
	}
	dec := jsontext.NewDecoder(bytes.NewBuffer(body))
	for {
		if _, err := dec.ReadToken(); err != nil {
			return syntaxError(body, dec, err)
		}
		depth := dec.StackDepth()
		if depth == 0 {
			break
		}
		if depth-1 > maxJSONDepth { // the container just read sits at depth-1
			return badJSON(syntaxField(dec, dec.StackPointer()), "JSON nested too deeply")
		}
	}
	if len(bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")) > 0 {
		return badJSON("", "unexpected data after the JSON value")
	}
	return nil
}

// syntaxError answers the decoder's err, naming the member it points at.
func syntaxError(body []byte, dec *jsontext.Decoder, err error) *apiError {
	var serr *jsontext.SyntacticError
	if !errors.As(err, &serr) {
		return badJSON("", "malformed JSON: "+err.Error()) // no I/O error reading a bytes.Buffer
	}
	field := syntaxField(dec, serr.JSONPointer)
	switch {
	case errors.Is(serr.Err, io.ErrUnexpectedEOF):
		return badJSON(field, "the body ends before the JSON value does")
	case errors.Is(serr.Err, jsontext.ErrDuplicateName):
		return badJSON(field, fmt.Sprintf("duplicate key %q", serr.JSONPointer.LastToken()))
	}
	if kind, n := dec.StackIndex(dec.StackDepth()); kind == '{' && n%2 == 0 {
		// The decoder refused a member name and points at its object.
		// Read the body again with invalid UTF-8 allowed (U+FFFD for what
		// cannot be decoded): if that reads a name past the fault, the
		// fault is inside that name, which names the member.
		lenient := jsontext.NewDecoder(bytes.NewBuffer(body), jsontext.AllowInvalidUTF8(true))
		for lenient.InputOffset() <= serr.ByteOffset {
			if _, err := lenient.ReadToken(); err != nil {
				return badJSON(field, "malformed JSON: "+serr.Err.Error())
			}
		}
		field = syntaxField(lenient, lenient.StackPointer())
	}
	return badJSON(field, "malformed JSON: "+serr.Err.Error())
}

// syntaxField names the member ptr points at; the decoder's stack tells
// array indexes from member names.
func syntaxField(dec *jsontext.Decoder, ptr jsontext.Pointer) string {
	return fieldName("", ptr, func(level int) bool {
		kind, _ := dec.StackIndex(level)
		return kind == '['
	})
}

// fieldName spells a JSON Pointer as error bodies name fields (tags.team,
// launches[3].count) under prefix. inArray reports whether the token at a
// level (the first is 1) indexes an array.
func fieldName(prefix string, ptr jsontext.Pointer, inArray func(level int) bool) string {
	field, level := prefix, 0
	for tok := range ptr.Tokens() {
		level++
		if inArray(level) {
			field += "[" + tok + "]"
		} else {
			field = joinKey(field, tok)
		}
	}
	return field
}

// launchField names the member of a launch object ptr points at:
// securityGroupIds is a launch's only array.
func launchField(prefix string, ptr jsontext.Pointer) string {
	inGroups := jsontext.Pointer("/securityGroupIds").Contains(ptr)
	return fieldName(prefix, ptr, func(level int) bool { return inGroups && level == 2 })
}

// decodeError answers an error of jsonv2.Unmarshal on a body whose syntax
// checkSyntax accepted; prefix names where the decoded value sits.
func (v validator) decodeError(err error, prefix string) *apiError {
	var serr *jsonv2.SemanticError
	if !errors.As(err, &serr) {
		// Not expected: the syntax was checked, and all of it.
		return badJSON(prefix, "malformed JSON: "+err.Error())
	}
	field := launchField(prefix, serr.JSONPointer)
	subject := field
	if subject == "" {
		subject = "the body"
	}
	switch {
	case errors.Is(serr.Err, jsonv2.ErrUnknownName):
		return invalid(CodeUnknownField, field, fmt.Sprintf("unknown field %q", serr.JSONPointer.LastToken()))
	case errors.Is(serr.Err, strconv.ErrRange):
		// count is the only number.
		return invalid(CodeInvalidValue, field, fmt.Sprintf("%s must be between 1 and %d", field, v.maxCount))
	case errors.Is(serr.Err, strconv.ErrSyntax):
		return invalid(CodeWrongType, field, subject+" must be an integer")
	}
	return invalid(CodeWrongType, field, subject+" must be "+goTypeName(serr.GoType)+", not "+kindName(serr.JSONKind))
}

// goTypeName says what JSON a decoded Go type takes.
func goTypeName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Map:
		return "an object of strings"
	case reflect.Struct:
		return "an object"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array"
	}
	return t.String()
}

// kindName names a JSON kind for error messages.
func kindName(k jsontext.Kind) string {
	switch k {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "another type"
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func joinIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// hasLaunches reports whether body is an object with a launches member:
// a bulk request, whatever else is wrong with it.
func hasLaunches(body []byte) bool {
	var probe struct {
		Launches jsontext.Value `json:"launches"`
	}
	return jsonv2.Unmarshal(body, &probe) == nil && probe.Launches != nil
}
