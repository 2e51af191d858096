package attr

import (
	"bytes"
	"slices"
	"strings"
)

// Type is a DynamoDB data type descriptor.
type Type uint8

// The ten DynamoDB data types. The zero Type marks an absent value.
const (
	TypeS Type = iota + 1
	TypeN
	TypeB
	TypeBOOL
	TypeNULL
	TypeM
	TypeL
	TypeSS
	TypeNS
	TypeBS
)

var typeNames = [...]string{
	TypeS: "S", TypeN: "N", TypeB: "B", TypeBOOL: "BOOL", TypeNULL: "NULL",
	TypeM: "M", TypeL: "L", TypeSS: "SS", TypeNS: "NS", TypeBS: "BS",
}

// String is the wire descriptor ("S", "NS", …).
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "?"
}

// ParseType maps a wire descriptor back to its Type.
func ParseType(s string) (Type, bool) {
	for t, name := range typeNames {
		if name != "" && name == s {
			return Type(t), true
		}
	}
	return 0, false
}

// IsSet reports whether t is one of the set types.
func (t Type) IsSet() bool { return t == TypeSS || t == TypeNS || t == TypeBS }

// Value is one DynamoDB attribute value. Values are treated as immutable:
// nothing in this package or its users changes the maps and slices a
// Value holds after it is built, so Values may be shared freely.
// The zero Value is "no value" (an absent attribute); Valid reports it.
type Value struct {
	t  Type
	s  string // S
	n  Number // N
	b  []byte // B
	bo bool   // BOOL
	m  map[string]Value
	l  []Value
	ss []string
	ns []Number
	bs [][]byte
}

// Item is a DynamoDB item: attribute names to values.
type Item map[string]Value

// S returns a string value.
func S(s string) Value { return Value{t: TypeS, s: s} }

// N returns a number value.
func N(n Number) Value { return Value{t: TypeN, n: n} }

// B returns a binary value. The slice is not copied.
func B(b []byte) Value {
	if b == nil {
		b = []byte{}
	}
	return Value{t: TypeB, b: b}
}

// Bool returns a BOOL value.
func Bool(b bool) Value { return Value{t: TypeBOOL, bo: b} }

// Null returns the NULL value.
func Null() Value { return Value{t: TypeNULL} }

// M returns a map value. The map is not copied.
func M(m map[string]Value) Value {
	if m == nil {
		m = map[string]Value{}
	}
	return Value{t: TypeM, m: m}
}

// L returns a list value. The slice is not copied.
func L(l ...Value) Value {
	if l == nil {
		l = []Value{}
	}
	return Value{t: TypeL, l: l}
}

// SS returns a string set, refusing what DynamoDB refuses: an empty set
// or duplicate members.
func SS(ss ...string) (Value, error) {
	if len(ss) == 0 {
		return Value{}, validation("One or more parameter values were invalid: An string set  may not be empty")
	}
	seen := make(map[string]struct{}, len(ss))
	for _, s := range ss {
		if _, dup := seen[s]; dup {
			return Value{}, validation("One or more parameter values were invalid: Input collection " + listStr(ss) + " contains duplicates.")
		}
		seen[s] = struct{}{}
	}
	return Value{t: TypeSS, ss: ss}, nil
}

// NS returns a number set; members equal as numbers ("1", "1.0") are
// duplicates.
func NS(ns ...Number) (Value, error) {
	if len(ns) == 0 {
		return Value{}, validation("One or more parameter values were invalid: An number set  may not be empty")
	}
	seen := make(map[string]struct{}, len(ns))
	for _, n := range ns {
		k := n.String()
		if _, dup := seen[k]; dup {
			return Value{}, validation("Input collection contains duplicates")
		}
		seen[k] = struct{}{}
	}
	return Value{t: TypeNS, ns: ns}, nil
}

// BS returns a binary set.
func BS(bs ...[]byte) (Value, error) {
	if len(bs) == 0 {
		return Value{}, validation("One or more parameter values were invalid: Binary sets should not be empty")
	}
	seen := make(map[string]struct{}, len(bs))
	for _, b := range bs {
		if _, dup := seen[string(b)]; dup {
			strs := make([]string, len(bs))
			for i, b := range bs {
				strs[i] = b64(b)
			}
			return Value{}, validation("One or more parameter values were invalid: Input collection " + listStr(strs) + "of type BS contains duplicates.")
		}
		seen[string(b)] = struct{}{}
	}
	return Value{t: TypeBS, bs: bs}, nil
}

func listStr(ss []string) string { return "[" + strings.Join(ss, ", ") + "]" }

// Type is the value's data type, 0 for no value.
func (v Value) Type() Type { return v.t }

// Valid reports whether v holds a value (an absent attribute does not).
func (v Value) Valid() bool { return v.t != 0 }

// AsS returns the string of an S value.
func (v Value) AsS() string { return v.s }

// AsN returns the number of an N value.
func (v Value) AsN() Number { return v.n }

// AsB returns the bytes of a B value; callers must not modify them.
func (v Value) AsB() []byte { return v.b }

// AsBool returns the boolean of a BOOL value.
func (v Value) AsBool() bool { return v.bo }

// AsM returns the members of an M value; callers must not modify it.
func (v Value) AsM() map[string]Value { return v.m }

// AsL returns the elements of an L value; callers must not modify it.
func (v Value) AsL() []Value { return v.l }

// AsSS returns the members of an SS value.
func (v Value) AsSS() []string { return v.ss }

// AsNS returns the members of an NS value.
func (v Value) AsNS() []Number { return v.ns }

// AsBS returns the members of a BS value.
func (v Value) AsBS() [][]byte { return v.bs }

// Equal is DynamoDB equality: same type and same value, numbers compared
// numerically, sets compared as sets, lists in order, maps by key.
func Equal(a, b Value) bool {
	if a.t != b.t {
		return false
	}
	switch a.t {
	case 0, TypeNULL:
		return true
	case TypeS:
		return a.s == b.s
	case TypeN:
		return a.n.Equal(b.n)
	case TypeB:
		return bytes.Equal(a.b, b.b)
	case TypeBOOL:
		return a.bo == b.bo
	case TypeM:
		if len(a.m) != len(b.m) {
			return false
		}
		for k, av := range a.m {
			bv, ok := b.m[k]
			if !ok || !Equal(av, bv) {
				return false
			}
		}
		return true
	case TypeL:
		return slices.EqualFunc(a.l, b.l, Equal)
	case TypeSS:
		return len(a.ss) == len(b.ss) && subset(a.ss, b.ss, func(s string) string { return s })
	case TypeNS:
		return len(a.ns) == len(b.ns) && subset(a.ns, b.ns, Number.String)
	case TypeBS:
		return len(a.bs) == len(b.bs) && subset(a.bs, b.bs, func(b []byte) string { return string(b) })
	}
	return false
}

func subset[T any](a, b []T, key func(T) string) bool {
	in := make(map[string]struct{}, len(b))
	for _, x := range b {
		in[key(x)] = struct{}{}
	}
	for _, x := range a {
		if _, ok := in[key(x)]; !ok {
			return false
		}
	}
	return true
}

// Compare orders two values the way DynamoDB's <, <=, >, >= and BETWEEN
// and sort keys do: strings by UTF-8 bytes, binaries by unsigned bytes,
// numbers numerically. ok is false when the values are not of one of
// those types or not of the same type; such comparisons are false.
func Compare(a, b Value) (c int, ok bool) {
	if a.t != b.t {
		return 0, false
	}
	switch a.t {
	case TypeS:
		return strings.Compare(a.s, b.s), true
	case TypeN:
		return a.n.Cmp(b.n), true
	case TypeB:
		return bytes.Compare(a.b, b.b), true
	}
	return 0, false
}

// Len is what the expression function size() returns: bytes of an S or B
// value, members of a set, L or M. ok is false for N, BOOL and NULL, which
// have no size.
func (v Value) Len() (n int, ok bool) {
	switch v.t {
	case TypeS:
		return len(v.s), true
	case TypeB:
		return len(v.b), true
	case TypeM:
		return len(v.m), true
	case TypeL:
		return len(v.l), true
	case TypeSS:
		return len(v.ss), true
	case TypeNS:
		return len(v.ns), true
	case TypeBS:
		return len(v.bs), true
	}
	return 0, false
}

// Size is the bytes DynamoDB counts for the value (not its name) toward
// the 400 KB item limit: UTF-8 bytes of a string, raw bytes of a binary,
// the packed size of a number, 1 byte for BOOL and NULL, the sum of the
// members of a set, and for L and M 3 bytes plus 1 byte and the size of
// each element (a map element's size includes its name).
func (v Value) Size() int {
	switch v.t {
	case TypeS:
		return len(v.s)
	case TypeN:
		return v.n.size()
	case TypeB:
		return len(v.b)
	case TypeBOOL, TypeNULL:
		return 1
	case TypeSS:
		s := 0
		for _, x := range v.ss {
			s += len(x)
		}
		return s
	case TypeNS:
		s := 0
		for _, x := range v.ns {
			s += x.size()
		}
		return s
	case TypeBS:
		s := 0
		for _, x := range v.bs {
			s += len(x)
		}
		return s
	case TypeL:
		s := 3
		for _, x := range v.l {
			s += 1 + x.Size()
		}
		return s
	case TypeM:
		s := 3
		for k, x := range v.m {
			s += 1 + len(k) + x.Size()
		}
		return s
	}
	return 0
}

// Size is the item's size as DynamoDB counts it against the 400 KB limit:
// the UTF-8 length of each attribute name plus the size of its value.
func (it Item) Size() int {
	s := 0
	for k, v := range it {
		s += len(k) + v.Size()
	}
	return s
}

// MaxItemSize is DynamoDB's item size limit, 400 KB.
const MaxItemSize = 400 * 1024

// Clone returns a deep copy, for callers that hand values to code they do
// not trust to leave them alone.
func (v Value) Clone() Value {
	switch v.t {
	case TypeB:
		v.b = slices.Clone(v.b)
	case TypeM:
		m := make(map[string]Value, len(v.m))
		for k, x := range v.m {
			m[k] = x.Clone()
		}
		v.m = m
	case TypeL:
		l := make([]Value, len(v.l))
		for i, x := range v.l {
			l[i] = x.Clone()
		}
		v.l = l
	case TypeSS:
		v.ss = slices.Clone(v.ss)
	case TypeNS:
		v.ns = slices.Clone(v.ns)
	case TypeBS:
		bs := make([][]byte, len(v.bs))
		for i, b := range v.bs {
			bs[i] = slices.Clone(b)
		}
		v.bs = bs
	}
	return v
}

// Clone returns a deep copy of the item.
func (it Item) Clone() Item {
	if it == nil {
		return nil
	}
	c := make(Item, len(it))
	for k, v := range it {
		c[k] = v.Clone()
	}
	return c
}

// Union returns the members of a and b of one set type, a's first and
// then those of b not already in a (numbers compared numerically).
// ok is false when a and b are not sets of the same type.
func Union(a, b Value) (Value, bool) {
	if a.t != b.t || !a.t.IsSet() {
		return Value{}, false
	}
	switch a.t {
	case TypeSS:
		a.ss = union(a.ss, b.ss, func(s string) string { return s })
	case TypeNS:
		a.ns = union(a.ns, b.ns, Number.String)
	case TypeBS:
		a.bs = union(a.bs, b.bs, func(b []byte) string { return string(b) })
	}
	return a, true
}

func union[T any](a, b []T, key func(T) string) []T {
	out := slices.Clip(slices.Clone(a))
	in := make(map[string]struct{}, len(a)+len(b))
	for _, x := range a {
		in[key(x)] = struct{}{}
	}
	for _, x := range b {
		if _, ok := in[key(x)]; !ok {
			in[key(x)] = struct{}{}
			out = append(out, x)
		}
	}
	return out
}

// Difference returns the members of a not in b. empty is true when
// nothing is left; DynamoDB then removes the attribute, since a set cannot
// be empty. ok is false when a and b are not sets of the same type.
func Difference(a, b Value) (v Value, empty, ok bool) {
	if a.t != b.t || !a.t.IsSet() {
		return Value{}, false, false
	}
	var n int
	switch a.t {
	case TypeSS:
		a.ss = difference(a.ss, b.ss, func(s string) string { return s })
		n = len(a.ss)
	case TypeNS:
		a.ns = difference(a.ns, b.ns, Number.String)
		n = len(a.ns)
	case TypeBS:
		a.bs = difference(a.bs, b.bs, func(b []byte) string { return string(b) })
		n = len(a.bs)
	}
	return a, n == 0, true
}

func difference[T any](a, b []T, key func(T) string) []T {
	out := make([]T, 0, len(a))
	drop := make(map[string]struct{}, len(b))
	for _, x := range b {
		drop[key(x)] = struct{}{}
	}
	for _, x := range a {
		if _, ok := drop[key(x)]; !ok {
			out = append(out, x)
		}
	}
	return out
}

// Contains is the expression function contains(): a substring of an S,
// a member of a set of the operand's type, or an element of a list.
func Contains(v, operand Value) bool {
	switch v.t {
	case TypeS:
		return operand.t == TypeS && strings.Contains(v.s, operand.s)
	case TypeSS:
		return operand.t == TypeS && slices.Contains(v.ss, operand.s)
	case TypeNS:
		return operand.t == TypeN && slices.ContainsFunc(v.ns, operand.n.Equal)
	case TypeBS:
		return operand.t == TypeB && slices.ContainsFunc(v.bs, func(b []byte) bool { return bytes.Equal(b, operand.b) })
	case TypeL:
		return slices.ContainsFunc(v.l, func(x Value) bool { return Equal(x, operand) })
	}
	return false
}

// BeginsWith is the expression function begins_with(): a prefix of an S
// or of a B, of the same type.
func BeginsWith(v, prefix Value) bool {
	switch {
	case v.t == TypeS && prefix.t == TypeS:
		return strings.HasPrefix(v.s, prefix.s)
	case v.t == TypeB && prefix.t == TypeB:
		return bytes.HasPrefix(v.b, prefix.b)
	}
	return false
}
