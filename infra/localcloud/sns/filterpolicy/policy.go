package filterpolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Scope says what a policy is applied to.
type Scope int

// The two filter policy scopes SNS supports.
const (
	ScopeMessageAttributes Scope = iota
	ScopeMessageBody
)

// String returns the scope's name as the FilterPolicyScope attribute spells it.
func (s Scope) String() string {
	if s == ScopeMessageBody {
		return "MessageBody"
	}
	return "MessageAttributes"
}

// ParseScope reads a FilterPolicyScope attribute value.
func ParseScope(s string) (Scope, error) {
	switch s {
	case "MessageAttributes":
		return ScopeMessageAttributes, nil
	case "MessageBody":
		return ScopeMessageBody, nil
	}
	return 0, fmt.Errorf("FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", s)
}

// Limits SNS documents for filter policies.
const (
	MaxKeys         = 5
	MaxCombinations = 150
	MaxSize         = 256 * 1024
	// numericLimit bounds numbers in numeric matching: SNS accepts values
	// from -10^9 to 10^9 with five digits after the decimal point.
	numericLimit = 1e9
)

// Policy is a parsed filter policy, safe for concurrent use.
type Policy struct {
	scope Scope
	root  *object
	empty bool
}

// object is one level of a policy: every field must match (AND) and, for
// each $or in it, at least one alternative must match.
type object struct {
	fields []field
	ors    [][]*object
}

// field is a key with either a list of conditions (a leaf, any of which
// may match) or a nested object (message body scope only).
type field struct {
	key    string
	conds  []cond
	nested *object
}

type condKind int

const (
	condString condKind = iota
	condNumber
	condBool
	condNull
	condPrefix
	condSuffix
	condEqualsIgnoreCase
	condAnythingBut
	condNumeric
	condExists
	condCIDR
)

type cond struct {
	kind   condKind
	s      string
	n      float64
	b      bool
	bounds []bound
	but    *anythingBut
	prefix netip.Prefix
}

type bound struct {
	op string // "=", "<", "<=", ">", ">="
	n  float64
}

type anythingBut struct {
	strs       []string
	nums       []float64
	prefix     string
	suffix     string
	hasPrefix  bool
	hasSuffix  bool
	ignoreCase bool // strs compared with equals-ignore-case
}

// Error is a policy that SNS would refuse. Its message is the reason, as
// SNS words it after "Invalid parameter: FilterPolicy: ".
type Error struct{ Reason string }

func (e *Error) Error() string { return e.Reason }

func invalid(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// Parse reads and validates a filter policy for the given scope. An empty
// policy ("{}") matches every message, which is how SNS lets a subscriber
// remove its filter.
func Parse(policy string, scope Scope) (*Policy, error) {
	if len(policy) > MaxSize {
		return nil, invalid("Filter policy is too large")
	}
	dec := json.NewDecoder(strings.NewReader(policy))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, invalid("failed to parse JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("failed to parse JSON: trailing data after the policy object")
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, invalid("Filter policy must be a JSON object")
	}
	p := &Policy{scope: scope, empty: len(top) == 0}
	root, err := parseObject(top, scope, 1)
	if err != nil {
		return nil, err
	}
	p.root = root
	if n := countKeys(root); n > MaxKeys {
		return nil, invalid("Filter policy can not have more than %d keys", MaxKeys)
	}
	if c := combinations(root, 1); c > MaxCombinations {
		return nil, invalid("Filter policy is too complex")
	}
	return p, nil
}

// Scope returns the scope the policy was parsed for.
func (p *Policy) Scope() Scope { return p.scope }

func parseObject(m map[string]any, scope Scope, depth int) (*object, error) {
	o := &object{}
	for _, key := range sortedKeys(m) {
		v := m[key]
		if key == "$or" {
			if alts, ok := orAlternatives(v); ok {
				if len(alts) < 2 {
					return nil, invalid("$or must contain at least two alternatives")
				}
				var parsed []*object
				for _, alt := range alts {
					po, err := parseObject(alt, scope, depth)
					if err != nil {
						return nil, err
					}
					parsed = append(parsed, po)
				}
				o.ors = append(o.ors, parsed)
				continue
			}
			// An array of plain values: "$or" is then an ordinary key.
		}
		switch val := v.(type) {
		case map[string]any:
			if scope == ScopeMessageAttributes {
				return nil, invalid("Filter policy scope MessageAttributes does not support nested filter policy")
			}
			nested, err := parseObject(val, scope, depth+1)
			if err != nil {
				return nil, err
			}
			o.fields = append(o.fields, field{key: key, nested: nested})
		case []any:
			if len(val) == 0 {
				return nil, invalid("Empty arrays are not allowed")
			}
			var conds []cond
			for _, item := range val {
				c, err := parseCond(item)
				if err != nil {
					return nil, err
				}
				conds = append(conds, c)
			}
			o.fields = append(o.fields, field{key: key, conds: conds})
		default:
			return nil, invalid("%q must be an object or an array", key)
		}
	}
	return o, nil
}

// orAlternatives reports whether v is a $or list: an array of objects.
func orAlternatives(v any) ([]map[string]any, bool) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, false
	}
	var alts []map[string]any
	for _, item := range arr {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, false
		}
		alts = append(alts, m)
	}
	return alts, true
}

func parseCond(item any) (cond, error) {
	switch v := item.(type) {
	case string:
		return cond{kind: condString, s: v}, nil
	case json.Number:
		n, err := number(v)
		if err != nil {
			return cond{}, err
		}
		return cond{kind: condNumber, n: n}, nil
	case bool:
		return cond{kind: condBool, b: v}, nil
	case nil:
		return cond{kind: condNull}, nil
	case map[string]any:
		return parseOperator(v)
	}
	return cond{}, invalid("Match value must be String, number, true, false, or null")
}

func number(v json.Number) (float64, error) {
	n, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, invalid("Invalid number %s", v)
	}
	if n <= -numericLimit || n >= numericLimit {
		return 0, invalid("Numeric values must be between -1.0E9 and 1.0E9, exclusive")
	}
	return n, nil
}

func parseOperator(m map[string]any) (cond, error) {
	if len(m) != 1 {
		return cond{}, invalid("Match expression must have exactly one operator, found %d", len(m))
	}
	var op string
	var arg any
	for k, v := range m {
		op, arg = k, v
	}
	switch op {
	case "prefix", "suffix", "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return cond{}, invalid("%s match pattern must be a string", op)
		}
		kind := map[string]condKind{"prefix": condPrefix, "suffix": condSuffix, "equals-ignore-case": condEqualsIgnoreCase}[op]
		return cond{kind: kind, s: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return cond{}, invalid("exists match pattern must be either true or false.")
		}
		return cond{kind: condExists, b: b}, nil
	case "anything-but":
		but, err := parseAnythingBut(arg)
		if err != nil {
			return cond{}, err
		}
		return cond{kind: condAnythingBut, but: but}, nil
	case "numeric":
		bounds, err := parseNumeric(arg)
		if err != nil {
			return cond{}, err
		}
		return cond{kind: condNumeric, bounds: bounds}, nil
	case "cidr":
		s, ok := arg.(string)
		if !ok {
			return cond{}, invalid("cidr match pattern must be a string")
		}
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			addr, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return cond{}, invalid("Malformed CIDR, one '/' required")
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		return cond{kind: condCIDR, prefix: pfx.Masked()}, nil
	}
	return cond{}, invalid("Unrecognized match type %s", op)
}

func parseAnythingBut(arg any) (*anythingBut, error) {
	but := &anythingBut{}
	switch v := arg.(type) {
	case string:
		but.strs = []string{v}
	case json.Number:
		n, err := number(v)
		if err != nil {
			return nil, err
		}
		but.nums = []float64{n}
	case []any:
		if len(v) == 0 {
			return nil, invalid("Empty arrays are not allowed")
		}
		for _, item := range v {
			switch x := item.(type) {
			case string:
				but.strs = append(but.strs, x)
			case json.Number:
				n, err := number(x)
				if err != nil {
					return nil, err
				}
				but.nums = append(but.nums, n)
			default:
				return nil, invalid("Inside anything but list, only strings and numbers are supported")
			}
		}
		if len(but.strs) > 0 && len(but.nums) > 0 {
			return nil, invalid("Inside anything but list, values must all be strings or all be numbers")
		}
	case map[string]any:
		if len(v) != 1 {
			return nil, invalid("Inside anything but, only one operator is allowed")
		}
		for op, x := range v {
			switch op {
			case "prefix", "suffix":
				s, ok := x.(string)
				if !ok || s == "" {
					return nil, invalid("%s match pattern must be a non-empty string", op)
				}
				if op == "prefix" {
					but.prefix, but.hasPrefix = s, true
				} else {
					but.suffix, but.hasSuffix = s, true
				}
			case "equals-ignore-case":
				but.ignoreCase = true
				switch y := x.(type) {
				case string:
					but.strs = []string{y}
				case []any:
					if len(y) == 0 {
						return nil, invalid("Empty arrays are not allowed")
					}
					for _, item := range y {
						s, ok := item.(string)
						if !ok {
							return nil, invalid("Inside anything-but/equals-ignore-case list, only strings are allowed")
						}
						but.strs = append(but.strs, s)
					}
				default:
					return nil, invalid("equals-ignore-case match pattern must be a string or a list of strings")
				}
			default:
				return nil, invalid("Unsupported anything-but pattern: %s", op)
			}
		}
	default:
		return nil, invalid("Value of anything-but must be an array or single string/number value.")
	}
	return but, nil
}

func parseNumeric(arg any) ([]bound, error) {
	arr, ok := arg.([]any)
	if !ok {
		return nil, invalid("Value of numeric must be an array.")
	}
	if len(arr) == 0 {
		return nil, invalid("Invalid member in numeric match: ]")
	}
	readBound := func(i int) (bound, error) {
		op, ok := arr[i].(string)
		if !ok {
			return bound{}, invalid("Invalid member in numeric match: %v", arr[i])
		}
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return bound{}, invalid("Unrecognized numeric range operator: %s", op)
		}
		if i+1 >= len(arr) {
			return bound{}, invalid("Value of %s must be numeric", op)
		}
		num, ok := arr[i+1].(json.Number)
		if !ok {
			return bound{}, invalid("Value of %s must be numeric", op)
		}
		n, err := number(num)
		if err != nil {
			return bound{}, err
		}
		return bound{op: op, n: n}, nil
	}
	first, err := readBound(0)
	if err != nil {
		return nil, err
	}
	if len(arr) == 2 {
		return []bound{first}, nil
	}
	if first.op != ">" && first.op != ">=" {
		return nil, invalid("Too many elements in numeric expression")
	}
	if op, ok := arr[2].(string); ok && op != "<" && op != "<=" {
		return nil, invalid("Bad numeric range operator: %s", op)
	}
	second, err := readBound(2)
	if err != nil {
		return nil, err
	}
	if len(arr) > 4 {
		return nil, invalid("Too many elements in numeric expression")
	}
	if second.n <= first.n {
		return nil, invalid("Bottom must be less than top")
	}
	return []bound{first, second}, nil
}

func countKeys(o *object) int {
	n := len(o.fields)
	for _, alts := range o.ors {
		most := 0
		for _, alt := range alts {
			most = max(most, countKeys(alt))
		}
		n += most
	}
	return n
}

// combinations follows SNS's documented complexity measure: the product of
// the number of values in each array, each multiplied by the depth of its
// key; the alternatives of a $or add up.
func combinations(o *object, depth int) int {
	total := 1
	for _, f := range o.fields {
		if f.nested != nil {
			total = mulCap(total, combinations(f.nested, depth+1))
		} else {
			total = mulCap(total, len(f.conds)*depth)
		}
	}
	for _, alts := range o.ors {
		sum := 0
		for _, alt := range alts {
			sum = min(sum+combinations(alt, depth), MaxCombinations+1)
		}
		total = mulCap(total, sum)
	}
	return total
}

func mulCap(a, b int) int {
	if a > MaxCombinations || b > MaxCombinations {
		return MaxCombinations + 1
	}
	return min(a*b, MaxCombinations+1)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Insertion sort keeps this allocation-free for the few keys a policy has.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
