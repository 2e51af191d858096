package attr

import (
	"math/big"
	"strings"
)

// DynamoDB's number limits: 38 significant digits, and a magnitude between
// 1E-130 and 9.9999999999999999999999999999999999999E+125.
const (
	maxDigits   = 38
	maxExponent = 125
	minExponent = -130
)

// Number is a DynamoDB number: a decimal with at most 38 significant digits.
// It is kept as its significant digits and a power of ten so that equal
// numbers written differently ("1.0", "1", "1E0", "100E-2") are identical
// values, and comparison, digit counting and item sizing are exact.
//
// The zero value is the number 0.
type Number struct {
	neg    bool
	digits string // significant digits, no leading or trailing zeros; "" is zero
	exp    int    // value = digits × 10^exp
}

// ParseNumber parses a number as DynamoDB accepts it on the wire
// (an optional sign, digits with an optional fraction, an optional
// exponent) and enforces DynamoDB's precision and magnitude limits.
func ParseNumber(s string) (Number, error) {
	n, ok := parseDecimal(s)
	if !ok {
		if s == "" {
			return Number{}, validation("The parameter cannot be converted to a numeric value")
		}
		return Number{}, validation("The parameter cannot be converted to a numeric value: " + s)
	}
	if err := n.check(); err != nil {
		return Number{}, err
	}
	return n, nil
}

// MustNumber is ParseNumber for constants known to be valid.
func MustNumber(s string) Number {
	n, err := ParseNumber(s)
	if err != nil {
		panic(err)
	}
	return n
}

// NumberFromInt returns the number i.
func NumberFromInt(i int64) Number {
	return fromBig(new(big.Int).SetInt64(i), 0)
}

// parseDecimal is strict on syntax but unbounded on value; check applies
// the limits so arithmetic results can be checked the same way.
func parseDecimal(s string) (Number, bool) {
	var n Number
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		n.neg = s[i] == '-'
		i++
	}
	var mant strings.Builder
	intDigits, fracDigits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		mant.WriteByte(s[i])
		i++
		intDigits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			mant.WriteByte(s[i])
			i++
			fracDigits++
		}
	}
	if intDigits+fracDigits == 0 {
		return Number{}, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			// Saturate: anything this far out is out of range anyway,
			// and saturating keeps the int from overflowing.
			if exp < 1_000_000 {
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if i == start {
			return Number{}, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return Number{}, false
	}
	d := strings.TrimLeft(mant.String(), "0")
	e := exp - fracDigits
	trimmed := strings.TrimRight(d, "0")
	e += len(d) - len(trimmed)
	n.digits = trimmed
	n.exp = e
	if n.digits == "" {
		return Number{}, true
	}
	return n, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (n Number) check() error {
	if n.digits == "" {
		return nil
	}
	if len(n.digits) > maxDigits {
		return validation("Attempting to store more than 38 significant digits in a Number")
	}
	switch e := n.sciExp(); {
	case e > maxExponent:
		return validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
	case e < minExponent:
		return validation("Number underflow. Attempting to store a number with magnitude smaller than supported range")
	}
	return nil
}

// sciExp is the power of ten of the leading digit.
func (n Number) sciExp() int { return n.exp + len(n.digits) - 1 }

// IsZero reports whether n is 0.
func (n Number) IsZero() bool { return n.digits == "" }

// Sign returns -1, 0 or +1.
func (n Number) Sign() int {
	switch {
	case n.digits == "":
		return 0
	case n.neg:
		return -1
	}
	return 1
}

// Digits is the count of significant digits (0 for zero).
func (n Number) Digits() int { return len(n.digits) }

// String renders n in plain notation with no superfluous zeros, the form
// DynamoDB returns numbers in ("1.50" comes back as "1.5", "1E2" as "100").
func (n Number) String() string {
	if n.digits == "" {
		return "0"
	}
	var b strings.Builder
	if n.neg {
		b.WriteByte('-')
	}
	switch {
	case n.exp >= 0:
		b.WriteString(n.digits)
		b.WriteString(strings.Repeat("0", n.exp))
	case -n.exp >= len(n.digits):
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -n.exp-len(n.digits)))
		b.WriteString(n.digits)
	default:
		cut := len(n.digits) + n.exp
		b.WriteString(n.digits[:cut])
		b.WriteByte('.')
		b.WriteString(n.digits[cut:])
	}
	return b.String()
}

// Cmp compares numerically: -1 if n < m, 0 if equal, +1 if n > m.
func (n Number) Cmp(m Number) int {
	if sn, sm := n.Sign(), m.Sign(); sn != sm {
		if sn < sm {
			return -1
		}
		return 1
	}
	c := cmpAbs(n, m)
	if n.neg {
		return -c
	}
	return c
}

func cmpAbs(n, m Number) int {
	if n.digits == "" || m.digits == "" {
		return 0 // both zero: signs already agreed
	}
	if en, em := n.sciExp(), m.sciExp(); en != em {
		if en < em {
			return -1
		}
		return 1
	}
	// Same leading power: the digit strings line up from the left, and a
	// longer string with an equal prefix is larger because no trailing
	// zeros are stored.
	return strings.Compare(n.digits, m.digits)
}

// Equal reports numeric equality.
func (n Number) Equal(m Number) bool { return n.Cmp(m) == 0 }

// Neg returns -n.
func (n Number) Neg() Number {
	if n.digits != "" {
		n.neg = !n.neg
	}
	return n
}

// Add returns n+m, or the error DynamoDB gives when the exact result does
// not fit a number (DynamoDB does not round).
func (n Number) Add(m Number) (Number, error) {
	if n.digits == "" {
		return m, m.check()
	}
	if m.digits == "" {
		return n, n.check()
	}
	e := min(n.exp, m.exp)
	// Distant exponents would need hundreds of digits only to fail the
	// 38-digit check; big.Int copes, and the inputs are bounded by the
	// magnitude limits, so the scale never exceeds a few hundred digits.
	a := n.scaled(e)
	b := m.scaled(e)
	r := fromBig(a.Add(a, b), e)
	return r, r.check()
}

// Sub returns n-m with the same rules as Add.
func (n Number) Sub(m Number) (Number, error) { return n.Add(m.Neg()) }

func (n Number) scaled(e int) *big.Int {
	v, _ := new(big.Int).SetString(n.digits, 10)
	if k := n.exp - e; k > 0 {
		v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil))
	}
	if n.neg {
		v.Neg(v)
	}
	return v
}

func fromBig(v *big.Int, e int) Number {
	var n Number
	if v.Sign() < 0 {
		n.neg = true
	}
	s := new(big.Int).Abs(v).String()
	if s == "0" {
		return Number{}
	}
	t := strings.TrimRight(s, "0")
	n.digits = t
	n.exp = e + len(s) - len(t)
	return n
}

// Rat returns n as an exact rational, for callers that need arithmetic
// beyond addition.
func (n Number) Rat() *big.Rat {
	if n.digits == "" {
		return new(big.Rat)
	}
	v, _ := new(big.Int).SetString(n.digits, 10)
	if n.neg {
		v.Neg(v)
	}
	r := new(big.Rat).SetInt(v)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(n.exp))), nil)
	if n.exp >= 0 {
		return r.Mul(r, new(big.Rat).SetInt(p))
	}
	return r.Quo(r, new(big.Rat).SetInt(p))
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// size is the bytes DynamoDB counts for a number: one byte of exponent,
// one per base-100 digit pair (pairs align to even powers of ten), and one
// more for a negative number. The Developer Guide gives this only as
// "approximately 1 byte per two significant digits + 1"; the alignment
// and the negative terminator follow the stored format.
func (n Number) size() int {
	if n.digits == "" {
		return 1
	}
	d := len(n.digits)
	pairs := (d + 1) / 2
	if d%2 == 0 && n.sciExp()%2 == 0 {
		pairs++
	}
	s := 1 + pairs
	if n.neg {
		s++
	}
	return s
}
