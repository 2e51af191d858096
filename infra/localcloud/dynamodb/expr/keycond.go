package expr

import (
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
)

// KeyCond is one condition of a key condition expression, on one key
// attribute: Op is "=", "<", "<=", ">", ">=", "BETWEEN" (two Values) or
// "begins_with". A condition written with the key on the right
// (":v < k") is stored turned round (k > :v).
type KeyCond struct {
	Name   string
	Op     string
	Values []attr.Value
}

// Match reports whether a key value satisfies the condition.
func (k KeyCond) Match(v attr.Value) bool {
	if k.Op == "begins_with" {
		return attr.BeginsWith(v, k.Values[0])
	}
	c, ok := attr.Compare(v, k.Values[0])
	if !ok {
		return false
	}
	switch k.Op {
	case "=":
		return c == 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "BETWEEN":
		hi, ok := attr.Compare(v, k.Values[1])
		return ok && c >= 0 && hi <= 0
	}
	return false
}

// KeyCondition is a parsed key condition expression: one or two
// conditions joined by AND, each on a different top-level attribute.
type KeyCondition struct {
	Conds []KeyCond
	// Cond is the expression as parsed, for printing.
	Cond Cond
}

// KeyCondition parses a KeyConditionExpression and applies the rules
// DynamoDB has for it beyond the condition grammar: only AND, only
// =, <, <=, >, >=, BETWEEN and begins_with, each with a top-level key
// attribute as first operand, one condition per attribute. Which
// attributes are keys is checked by Bind, which needs the schema.
func (p *Params) KeyCondition(src string) (*KeyCondition, error) {
	const kind = KeyConditionExpression
	c, err := p.condition(src, kind)
	if err != nil {
		return nil, err
	}
	kc := &KeyCondition{Cond: c}
	if msg := kc.collect(c); msg != "" {
		return nil, &Error{Kind: kind, Reason: msg}
	}
	return kc, nil
}

var flipped = map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

func (kc *KeyCondition) collect(c Cond) string {
	switch c := c.(type) {
	case *And:
		if msg := kc.collect(c.L); msg != "" {
			return msg
		}
		return kc.collect(c.R)
	case *Or:
		return "Invalid operator used in KeyConditionExpression: OR"
	case *Not:
		return "Invalid operator used in KeyConditionExpression: NOT"
	case *In:
		return "Invalid operator used in KeyConditionExpression: IN"
	case *Compare:
		if c.Op == "<>" {
			return "Invalid operator used in KeyConditionExpression: <>"
		}
		return kc.leaf(c.Op, []Operand{c.L, c.R})
	case *Between:
		if _, ok := c.X.(Path); !ok {
			if msg := nestedOps([]Operand{c.X, c.Lo, c.Hi}); msg != "" {
				return msg
			}
			return "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"
		}
		return kc.leaf("BETWEEN", []Operand{c.X, c.Lo, c.Hi})
	case *Call:
		switch c.Name {
		case "begins_with":
			if _, ok := c.Args[0].(Path); !ok {
				if msg := nestedOps(c.Args); msg != "" {
					return msg
				}
				return "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"
			}
			return kc.leaf("begins_with", c.Args)
		case "size":
			return "KeyConditionExpressions cannot contain nested operations"
		}
		return "Invalid operator used in KeyConditionExpression: " + c.Name
	}
	return "Invalid condition in KeyConditionExpression"
}

func nestedOps(args []Operand) string {
	for _, a := range args {
		if _, ok := a.(*Call); ok {
			return "KeyConditionExpressions cannot contain nested operations"
		}
	}
	return ""
}

func (kc *KeyCondition) leaf(op string, args []Operand) string {
	if msg := nestedOps(args); msg != "" {
		return msg
	}
	var (
		name   string
		at     = -1
		values []attr.Value
	)
	for i, a := range args {
		switch a := a.(type) {
		case Path:
			if at >= 0 {
				return "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
			}
			if len(a) > 1 {
				return "KeyConditionExpressions cannot have conditions on nested attributes"
			}
			name, at = a[0].Name, i
		case *ValueRef:
			values = append(values, a.Value)
		}
	}
	if at < 0 {
		return "Invalid condition in KeyConditionExpression: No key attribute specified"
	}
	for _, k := range kc.Conds {
		if k.Name == name {
			return "KeyConditionExpressions must only contain one condition per key"
		}
	}
	if at != 0 {
		op = flipped[op]
	}
	kc.Conds = append(kc.Conds, KeyCond{Name: name, Op: op, Values: values})
	return ""
}

// Bind matches the conditions to a key schema (rangeKey "" for a table or
// index without a sort key, and the attribute types the schema declares)
// and returns the partition key condition and the sort key condition, if
// any, with the messages DynamoDB gives for a query that does not fit
// the schema.
func (kc *KeyCondition) Bind(hashKey string, hashType attr.Type, rangeKey string, rangeType attr.Type) (hash KeyCond, rng *KeyCond, err error) {
	fail := func(msg string) (KeyCond, *KeyCond, error) { return KeyCond{}, nil, plain(msg) }
	if n := len(kc.Conds); n != 1 && n != 2 {
		return fail("Conditions can be of length 1 or 2 only")
	}
	byName := map[string]KeyCond{}
	for _, k := range kc.Conds {
		byName[k.Name] = k
	}
	type key struct {
		name string
		typ  attr.Type
		hash bool
	}
	keys := []key{{hashKey, hashType, true}}
	if rangeKey != "" {
		keys = append(keys, key{rangeKey, rangeType, false})
	}
	for _, k := range keys {
		if k.hash && rangeKey == "" && len(kc.Conds) > 1 {
			return fail("Query key condition not supported")
		}
		c, ok := byName[k.name]
		if !ok {
			if k.hash || len(kc.Conds) > 1 {
				return fail("Query condition missed key schema element: " + k.name)
			}
			continue
		}
		for _, v := range c.Values {
			if v.Type() != k.typ {
				return fail("One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
		}
		if k.hash {
			if c.Op != "=" {
				return fail("Query key condition not supported")
			}
			hash = c
		} else {
			rng = &c
		}
	}
	return hash, rng, nil
}

// String prints the condition as it can be written.
func (k KeyCond) String() string {
	vals := make([]string, len(k.Values))
	for i, v := range k.Values {
		b, _ := v.MarshalJSON()
		vals[i] = string(b)
	}
	switch k.Op {
	case "BETWEEN":
		return k.Name + " BETWEEN " + strings.Join(vals, " AND ")
	case "begins_with":
		return "begins_with(" + k.Name + ", " + strings.Join(vals, ", ") + ")"
	}
	return k.Name + " " + k.Op + " " + strings.Join(vals, ", ")
}
