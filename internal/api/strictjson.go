package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting; a launch request needs three levels.
const maxJSONDepth = 16

// object is a decoded JSON object. Keys keep their order of appearance so
// that errors name fields in a stable order.
type object struct {
	keys   []string
	values map[string]any
}

// parseStrict decodes body into a tree of *object, []any, string,
// json.Number, bool and nil. Unlike encoding/json it refuses what a strict
// API must: invalid UTF-8 (which encoding/json silently replaces), a key
// given twice in one object (which encoding/json lets the last one win),
// and anything after the first value.
func parseStrict(body []byte) (any, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badJSON("", "the body is empty")
	}
	if !utf8.Valid(body) {
		return nil, badJSON("", "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	v, err := parseValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, e := dec.Token(); !errors.Is(e, io.EOF) {
		return nil, badJSON("", "unexpected data after the JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder, path string, depth int) (any, *apiError) {
	if depth > maxJSONDepth {
		return nil, badJSON(path, "JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(path, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := &object{values: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, syntaxError(path, err)
				}
				key, _ := kt.(string) // the decoder guarantees object keys are strings
				kp := joinKey(path, key)
				if _, dup := obj.values[key]; dup {
					return nil, badJSON(kp, fmt.Sprintf("duplicate key %q", key))
				}
				v, e := parseValue(dec, kp, depth+1)
				if e != nil {
					return nil, e
				}
				obj.keys = append(obj.keys, key)
				obj.values[key] = v
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, syntaxError(path, err)
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, e := parseValue(dec, joinIndex(path, len(arr)), depth+1)
				if e != nil {
					return nil, e
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, syntaxError(path, err)
			}
			return arr, nil
		}
		return nil, badJSON(path, "unexpected "+t.String())
	default:
		return t, nil
	}
}

func syntaxError(path string, err error) *apiError {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return badJSON(path, "the body ends before the JSON value does")
	}
	return badJSON(path, "malformed JSON: "+err.Error())
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func joinIndex(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// jsonType names a decoded value's JSON type for error messages.
func jsonType(v any) string {
	switch v.(type) {
	case *object:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
