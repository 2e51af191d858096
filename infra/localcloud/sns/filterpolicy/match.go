package filterpolicy

import (
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/awsmsg"
)

type valueKind int

const (
	valString valueKind = iota
	valNumber
	valBool
	valNull
)

// value is one scalar a condition is tested against: an attribute value,
// an element of a String.Array attribute or a leaf of the message body.
type value struct {
	kind valueKind
	s    string
	n    float64
	b    bool
}

// doc is what a policy object is evaluated against: message attributes or
// one JSON object of the message body.
type doc interface {
	// leaf returns the scalar values under key and whether the key is
	// present with a non-null, non-empty value.
	leaf(key string) (vals []value, present bool)
	// children returns the objects under key (several when the body holds
	// an array of objects there).
	children(key string) []doc
}

// MatchAttributes reports whether a message with these attributes passes a
// MessageAttributes-scoped policy. As SNS documents, a message without any
// attribute matches no policy (not even one made only of "exists": false);
// an empty policy matches every message.
func (p *Policy) MatchAttributes(attrs map[string]awsmsg.Attribute) bool {
	if p.empty {
		return true
	}
	if len(attrs) == 0 {
		return false
	}
	return p.root.match(attrDoc(attrs))
}

// MatchBody reports whether a message body passes a MessageBody-scoped
// policy. A body that is not a JSON object matches no (non-empty) policy.
func (p *Policy) MatchBody(body string) bool {
	if p.empty {
		return true
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	return p.root.match(bodyDoc(m))
}

// Match applies the policy in its own scope.
func (p *Policy) Match(body string, attrs map[string]awsmsg.Attribute) bool {
	if p.scope == ScopeMessageBody {
		return p.MatchBody(body)
	}
	return p.MatchAttributes(attrs)
}

func (o *object) match(d doc) bool {
	for _, f := range o.fields {
		if !f.match(d) {
			return false
		}
	}
	for _, alts := range o.ors {
		any := false
		for _, alt := range alts {
			if alt.match(d) {
				any = true
				break
			}
		}
		if !any {
			return false
		}
	}
	return true
}

func (f *field) match(d doc) bool {
	if f.nested != nil {
		kids := d.children(f.key)
		if len(kids) == 0 {
			// The parent is absent: only "exists": false leaves can match.
			return f.nested.match(bodyDoc(nil))
		}
		for _, k := range kids {
			if f.nested.match(k) {
				return true
			}
		}
		return false
	}
	vals, present := d.leaf(f.key)
	for i := range f.conds {
		c := &f.conds[i]
		if c.kind == condExists {
			if c.b == present {
				return true
			}
			continue
		}
		for _, v := range vals {
			if c.match(v) {
				return true
			}
		}
	}
	return false
}

// sameNumber compares numbers to the five decimal digits SNS guarantees.
func sameNumber(a, b float64) bool {
	return math.Round(a*1e5) == math.Round(b*1e5)
}

func (c *cond) match(v value) bool {
	switch c.kind {
	case condString:
		return v.kind == valString && v.s == c.s
	case condNumber:
		return v.kind == valNumber && sameNumber(v.n, c.n)
	case condBool:
		return v.kind == valBool && v.b == c.b
	case condNull:
		return v.kind == valNull
	case condPrefix:
		return v.kind == valString && strings.HasPrefix(v.s, c.s)
	case condSuffix:
		return v.kind == valString && strings.HasSuffix(v.s, c.s)
	case condEqualsIgnoreCase:
		return v.kind == valString && strings.EqualFold(v.s, c.s)
	case condNumeric:
		if v.kind != valNumber {
			return false
		}
		for _, b := range c.bounds {
			if !b.holds(v.n) {
				return false
			}
		}
		return true
	case condCIDR:
		if v.kind != valString {
			return false
		}
		addr, err := netip.ParseAddr(v.s)
		return err == nil && c.prefix.Contains(addr.Unmap())
	case condAnythingBut:
		return c.but.match(v)
	}
	return false
}

func (b bound) holds(n float64) bool {
	switch b.op {
	case "=":
		return sameNumber(n, b.n)
	case "<":
		return n < b.n && !sameNumber(n, b.n)
	case "<=":
		return n < b.n || sameNumber(n, b.n)
	case ">":
		return n > b.n && !sameNumber(n, b.n)
	case ">=":
		return n > b.n || sameNumber(n, b.n)
	}
	return false
}

func (a *anythingBut) match(v value) bool {
	if v.kind == valNull {
		return false
	}
	switch {
	case a.hasPrefix:
		return v.kind == valString && !strings.HasPrefix(v.s, a.prefix)
	case a.hasSuffix:
		return v.kind == valString && !strings.HasSuffix(v.s, a.suffix)
	}
	if v.kind == valString {
		for _, s := range a.strs {
			if s == v.s || (a.ignoreCase && strings.EqualFold(s, v.s)) {
				return false
			}
		}
		return true
	}
	if v.kind == valNumber {
		for _, n := range a.nums {
			if sameNumber(n, v.n) {
				return false
			}
		}
		return true
	}
	// A boolean is none of the excluded strings or numbers.
	return true
}

// attrDoc evaluates a policy against SNS message attributes.
type attrDoc map[string]awsmsg.Attribute

func (d attrDoc) leaf(key string) ([]value, bool) {
	a, ok := d[key]
	if !ok {
		return nil, false
	}
	base, _, _ := strings.Cut(a.DataType, ".")
	switch {
	case a.DataType == "String.Array":
		var arr []any
		dec := json.NewDecoder(strings.NewReader(a.StringValue))
		dec.UseNumber()
		if err := dec.Decode(&arr); err != nil {
			return nil, true
		}
		return jsonValues(arr), true
	case base == "String":
		return []value{{kind: valString, s: a.StringValue}}, true
	case base == "Number":
		n, err := strconv.ParseFloat(a.StringValue, 64)
		if err != nil {
			return nil, true
		}
		return []value{{kind: valNumber, n: n}}, true
	}
	// Binary attributes are present but have no value a policy can test.
	return nil, true
}

func (d attrDoc) children(string) []doc { return nil }

// bodyDoc evaluates a policy against one JSON object of the message body.
type bodyDoc map[string]any

func (d bodyDoc) leaf(key string) ([]value, bool) {
	v, ok := d[key]
	if !ok {
		return nil, false
	}
	vals := jsonValues([]any{v})
	for _, x := range vals {
		if x.kind != valNull {
			return vals, true
		}
	}
	return vals, false
}

func (d bodyDoc) children(key string) []doc {
	var out []doc
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			out = append(out, bodyDoc(x))
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(d[key])
	return out
}

// jsonValues flattens decoded JSON into scalars; nested arrays are
// flattened and objects skipped (a leaf condition never matches an object).
func jsonValues(arr []any) []value {
	var out []value
	for _, e := range arr {
		switch x := e.(type) {
		case string:
			out = append(out, value{kind: valString, s: x})
		case json.Number:
			if n, err := strconv.ParseFloat(string(x), 64); err == nil {
				out = append(out, value{kind: valNumber, n: n})
			}
		case bool:
			out = append(out, value{kind: valBool, b: x})
		case nil:
			out = append(out, value{kind: valNull})
		case []any:
			out = append(out, jsonValues(x)...)
		}
	}
	return out
}
