package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
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
// API must: invalid UTF-8 (which encoding/json silently replaces), a lone
// UTF-16 surrogate escape such as "\ud800" (which encoding/json silently
// turns into U+FFFD: it encodes no character, so it is invalid UTF-8 too),
// a key given twice in one object (which encoding/json lets the last one
// win), and anything after the first value.
func parseStrict(body []byte) (any, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badJSON("", "the body is empty")
	}
	if !utf8.Valid(body) {
		return nil, badJSON("", "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	p := &strictParser{dec: dec, body: body}
	v, err := p.value("", 0)
	if err != nil {
		return nil, err
	}
	if _, e := dec.Token(); !errors.Is(e, io.EOF) {
		return nil, badJSON("", "unexpected data after the JSON value")
	}
	return v, nil
}

// strictParser walks the decoder's tokens, keeping the body to look at
// the raw text of a string token.
type strictParser struct {
	dec  *json.Decoder
	body []byte
}

// token reads the next token. A string token whose raw text escapes a lone
// surrogate is refused as invalid UTF-8, naming path.
func (p *strictParser) token(path string) (json.Token, *apiError) {
	start := p.dec.InputOffset()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, syntaxError(path, err)
	}
	// encoding/json decodes a lone surrogate to U+FFFD, so only strings
	// holding U+FFFD need their raw text checked.
	if str, ok := tok.(string); ok && strings.ContainsRune(str, utf8.RuneError) && loneSurrogate(p.body[start:p.dec.InputOffset()]) {
		return nil, badJSON(path, `invalid UTF-8: the string escapes a lone UTF-16 surrogate (such as "\ud800")`)
	}
	return tok, nil
}

func (p *strictParser) value(path string, depth int) (any, *apiError) {
	if depth > maxJSONDepth {
		return nil, badJSON(path, "JSON nested too deeply")
	}
	dec := p.dec
	tok, aerr := p.token(path)
	if aerr != nil {
		return nil, aerr
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := &object{values: map[string]any{}}
			for dec.More() {
				start := dec.InputOffset()
				kt, err := dec.Token()
				if err != nil {
					return nil, syntaxError(path, err)
				}
				key, _ := kt.(string) // the decoder guarantees object keys are strings
				kp := joinKey(path, key)
				if strings.ContainsRune(key, utf8.RuneError) && loneSurrogate(p.body[start:dec.InputOffset()]) {
					return nil, badJSON(kp, fmt.Sprintf(`invalid UTF-8: the key %q escapes a lone UTF-16 surrogate (such as "\ud800")`, key))
				}
				if _, dup := obj.values[key]; dup {
					return nil, badJSON(kp, fmt.Sprintf("duplicate key %q", key))
				}
				v, e := p.value(kp, depth+1)
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
				v, e := p.value(joinIndex(path, len(arr)), depth+1)
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

// loneSurrogate reports whether raw JSON text holds a \uXXXX escape of a
// high surrogate not followed by an escaped low surrogate, or of a low
// surrogate on its own.
func loneSurrogate(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++ // the escaped character; a "\\" pair is skipped whole
		if i >= len(raw) || raw[i] != 'u' {
			continue
		}
		r, ok := hex4(raw[i+1:])
		if !ok {
			continue
		}
		i += 4
		switch {
		case r >= 0xD800 && r < 0xDC00:
			if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if lo, ok := hex4(raw[i+3:]); ok && lo >= 0xDC00 && lo < 0xE000 {
					i += 6
					continue
				}
			}
			return true
		case r >= 0xDC00 && r < 0xE000:
			return true
		}
	}
	return false
}

// hex4 reads four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
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
