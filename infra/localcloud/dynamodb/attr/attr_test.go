package attr

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "integer", in: "42", want: "42"},
		{name: "trailing zeros", in: "1.50", want: "1.5"},
		{name: "leading zeros", in: "007", want: "7"},
		{name: "exponent", in: "1E2", want: "100"},
		{name: "negative exponent", in: "15e-3", want: "0.015"},
		{name: "plus sign", in: "+3", want: "3"},
		{name: "negative", in: "-0.50", want: "-0.5"},
		{name: "negative zero", in: "-0", want: "0"},
		{name: "leading dot", in: ".5", want: "0.5"},
		{name: "trailing dot", in: "5.", want: "5"},
		{name: "zero with huge exponent", in: "0E999", want: "0"},
		{name: "38 digits", in: "12345678901234567890123456789012345678", want: "12345678901234567890123456789012345678"},
		{name: "38 digits with zeros around", in: "000123456789012345678901234567890123456780000", want: "123456789012345678901234567890123456780000"},
		{name: "largest", in: "9.9999999999999999999999999999999999999E+125", want: "99999999999999999999999999999999999999" + strings.Repeat("0", 88)},
		{name: "smallest", in: "1E-130", want: "0." + strings.Repeat("0", 129) + "1"},
		{name: "39 digits", in: "123456789012345678901234567890123456789", err: "Attempting to store more than 38 significant digits in a Number"},
		{name: "overflow", in: "1E126", err: "Number overflow. Attempting to store a number with magnitude larger than supported range"},
		{name: "huge exponent", in: "1E99999999999999999999", err: "Number overflow. Attempting to store a number with magnitude larger than supported range"},
		{name: "underflow", in: "1E-131", err: "Number underflow. Attempting to store a number with magnitude smaller than supported range"},
		{name: "empty", in: "", err: "The parameter cannot be converted to a numeric value"},
		{name: "letters", in: "abc", err: "The parameter cannot be converted to a numeric value: abc"},
		{name: "space", in: " 1", err: "The parameter cannot be converted to a numeric value:  1"},
		{name: "bare exponent", in: "1e", err: "The parameter cannot be converted to a numeric value: 1e"},
		{name: "infinity", in: "Infinity", err: "The parameter cannot be converted to a numeric value: Infinity"},
		{name: "hex", in: "0x10", err: "The parameter cannot be converted to a numeric value: 0x10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseNumber(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("ParseNumber(%q) = %v, %v; want error %q", tt.in, n, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNumber(%q): %v", tt.in, err)
			}
			if got := n.String(); got != tt.want {
				t.Fatalf("ParseNumber(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestNumberCompare(t *testing.T) {
	tests := []struct {
		name, a, b string
		want       int
	}{
		{name: "equal different forms", a: "1.0", b: "1", want: 0},
		{name: "exponent equal", a: "1E2", b: "100", want: 0},
		{name: "not lexical", a: "9", b: "10", want: -1},
		{name: "negatives", a: "-10", b: "-9", want: -1},
		{name: "sign", a: "-1", b: "0.001", want: -1},
		{name: "zero", a: "0", b: "-0.0", want: 0},
		{name: "fraction", a: "0.12", b: "0.1", want: 1},
		{name: "tiny", a: "1E-130", b: "0", want: 1},
		{name: "longer prefix", a: "1.05", b: "1.5", want: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MustNumber(tt.a).Cmp(MustNumber(tt.b)); got != tt.want {
				t.Fatalf("Cmp(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := MustNumber(tt.b).Cmp(MustNumber(tt.a)); got != -tt.want {
				t.Fatalf("Cmp(%s, %s) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

func TestNumberAdd(t *testing.T) {
	tests := []struct {
		name, a, b, want, err string
	}{
		{name: "integers", a: "1", b: "2", want: "3"},
		{name: "fractions", a: "0.1", b: "0.2", want: "0.3"},
		{name: "cancel", a: "1.5", b: "-1.5", want: "0"},
		{name: "carry", a: "99", b: "1", want: "100"},
		{name: "mixed exponents", a: "1E10", b: "0.5", want: "10000000000.5"},
		{name: "too precise", a: "1E30", b: "1E-30", err: "Attempting to store more than 38 significant digits in a Number"},
		{name: "overflow", a: "9.9999999999999999999999999999999999999E+125", b: "1E+88", err: "Number overflow. Attempting to store a number with magnitude larger than supported range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MustNumber(tt.a).Add(MustNumber(tt.b))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Add = %v, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("Add(%s, %s) = %v, %v; want %s", tt.a, tt.b, got, err, tt.want)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "S", in: `{"S":"x"}`, want: `{"S":"x"}`},
		{name: "empty S", in: `{"S":""}`, want: `{"S":""}`},
		{name: "N normalised", in: `{"N":"1.50"}`, want: `{"N":"1.5"}`},
		{name: "B", in: `{"B":"aGk="}`, want: `{"B":"aGk="}`},
		{name: "BOOL", in: `{"BOOL":false}`, want: `{"BOOL":false}`},
		{name: "NULL", in: `{"NULL":true}`, want: `{"NULL":true}`},
		{name: "M sorted", in: `{"M":{"b":{"N":"2"},"a":{"S":"1"}}}`, want: `{"M":{"a":{"S":"1"},"b":{"N":"2"}}}`},
		{name: "L", in: `{"L":[{"S":"a"},{"L":[]}]}`, want: `{"L":[{"S":"a"},{"L":[]}]}`},
		{name: "SS", in: `{"SS":["a","b"]}`, want: `{"SS":["a","b"]}`},
		{name: "NS", in: `{"NS":["1.0","2"]}`, want: `{"NS":["1","2"]}`},
		{name: "BS", in: `{"BS":["AQ==","Ag=="]}`, want: `{"BS":["AQ==","Ag=="]}`},
		{name: "null member ignored", in: `{"S":"x","N":null}`, want: `{"S":"x"}`},
		{name: "unicode", in: `{"S":"é\u2028"}`, want: `{"S":"é\u2028"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Value
			if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			got, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestJSONErrors(t *testing.T) {
	tests := []struct {
		name, in, code, msg string
	}{
		{name: "empty", in: `{}`, code: "ValidationException", msg: "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"},
		{name: "two types", in: `{"S":"a","N":"1"}`, code: "ValidationException", msg: "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"},
		{name: "bad number", in: `{"N":"x1"}`, code: "ValidationException", msg: "The parameter cannot be converted to a numeric value: x1"},
		{name: "empty number", in: `{"N":""}`, code: "ValidationException", msg: "The parameter cannot be converted to a numeric value"},
		{name: "NULL false", in: `{"NULL":false}`, code: "ValidationException", msg: "One or more parameter values were invalid: Null attribute value types must have the value of true"},
		{name: "empty SS", in: `{"SS":[]}`, code: "ValidationException", msg: "One or more parameter values were invalid: An string set  may not be empty"},
		{name: "empty NS", in: `{"NS":[]}`, code: "ValidationException", msg: "One or more parameter values were invalid: An number set  may not be empty"},
		{name: "empty BS", in: `{"BS":[]}`, code: "ValidationException", msg: "One or more parameter values were invalid: Binary sets should not be empty"},
		{name: "dup SS", in: `{"SS":["a","b","a"]}`, code: "ValidationException", msg: "One or more parameter values were invalid: Input collection [a, b, a] contains duplicates."},
		{name: "dup NS numerically", in: `{"NS":["1","1.0"]}`, code: "ValidationException", msg: "Input collection contains duplicates"},
		{name: "dup BS", in: `{"BS":["AQ==","AQ=="]}`, code: "ValidationException", msg: "One or more parameter values were invalid: Input collection [AQ==, AQ==]of type BS contains duplicates."},
		{name: "nested error", in: `{"M":{"a":{"L":[{"N":"1E200"}]}}}`, code: "ValidationException", msg: "Number overflow. Attempting to store a number with magnitude larger than supported range"},
		{name: "S not string", in: `{"S":5}`, code: "SerializationException", msg: "NUMBER_VALUE cannot be converted to String"},
		{name: "S object", in: `{"S":{}}`, code: "SerializationException", msg: "Start of structure or map found where not expected"},
		{name: "bad base64", in: `{"B":"!!"}`, code: "SerializationException", msg: "Invalid last non-pad Base64 character dectected"},
		{name: "not an object", in: `"x"`, code: "SerializationException", msg: "Unexpected token received from parser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Value
			err := json.Unmarshal([]byte(tt.in), &v)
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("Unmarshal(%s) = %v, want *Error", tt.in, err)
			}
			if ae.Code != tt.code || ae.Message != tt.msg {
				t.Fatalf("Unmarshal(%s) = %s: %q, want %s: %q", tt.in, ae.Code, ae.Message, tt.code, tt.msg)
			}
		})
	}
}

func mustJSON(t testing.TB, s string) Value {
	t.Helper()
	var v Value
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("Unmarshal(%s): %v", s, err)
	}
	return v
}

func TestEqualAndCompare(t *testing.T) {
	tests := []struct {
		name, a, b string
		equal      bool
		cmp        int
		ordered    bool
	}{
		{name: "numbers", a: `{"N":"1.0"}`, b: `{"N":"1"}`, equal: true, cmp: 0, ordered: true},
		{name: "number vs string", a: `{"N":"1"}`, b: `{"S":"1"}`},
		{name: "strings by bytes", a: `{"S":"Z"}`, b: `{"S":"a"}`, cmp: -1, ordered: true},
		{name: "utf8 bytes", a: `{"S":"\uffff"}`, b: `{"S":"\ud83d\ude00"}`, cmp: -1, ordered: true},
		{name: "binary unsigned", a: `{"B":"fw=="}`, b: `{"B":"gA=="}`, cmp: -1, ordered: true},
		{name: "sets unordered", a: `{"SS":["a","b"]}`, b: `{"SS":["b","a"]}`, equal: true},
		{name: "number sets numeric", a: `{"NS":["1","2.0"]}`, b: `{"NS":["2","1.00"]}`, equal: true},
		{name: "lists ordered", a: `{"L":[{"S":"a"},{"S":"b"}]}`, b: `{"L":[{"S":"b"},{"S":"a"}]}`},
		{name: "maps deep", a: `{"M":{"x":{"N":"10"}}}`, b: `{"M":{"x":{"N":"1E1"}}}`, equal: true},
		{name: "bool", a: `{"BOOL":true}`, b: `{"BOOL":true}`, equal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustJSON(t, tt.a), mustJSON(t, tt.b)
			if got := Equal(a, b); got != tt.equal {
				t.Fatalf("Equal = %v, want %v", got, tt.equal)
			}
			c, ok := Compare(a, b)
			if ok != tt.ordered || c != tt.cmp {
				t.Fatalf("Compare = %d, %v; want %d, %v", c, ok, tt.cmp, tt.ordered)
			}
		})
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		name string
		item string
		want int
	}{
		// Name bytes plus value bytes, per the Developer Guide.
		{name: "string", item: `{"ab":{"S":"héllo"}}`, want: 2 + 6},
		{name: "binary raw bytes", item: `{"b":{"B":"AAECAw=="}}`, want: 1 + 4},
		{name: "bool and null", item: `{"t":{"BOOL":true},"n":{"NULL":true}}`, want: 2 + 2},
		{name: "zero", item: `{"n":{"N":"0"}}`, want: 1 + 1},
		{name: "number digits", item: `{"n":{"N":"123"}}`, want: 1 + 3},
		{name: "number pairs", item: `{"n":{"N":"12"}}`, want: 1 + 2},
		{name: "negative", item: `{"n":{"N":"-1"}}`, want: 1 + 3},
		{name: "empty list", item: `{"l":{"L":[]}}`, want: 1 + 3},
		{name: "list", item: `{"l":{"L":[{"S":"ab"},{"BOOL":false}]}}`, want: 1 + 3 + (1 + 2) + (1 + 1)},
		{name: "map", item: `{"m":{"M":{"k":{"S":"v"}}}}`, want: 1 + 3 + 1 + 1 + 1},
		{name: "string set", item: `{"s":{"SS":["a","bc"]}}`, want: 1 + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var it Item
			if err := json.Unmarshal([]byte(tt.item), &it); err != nil {
				t.Fatal(err)
			}
			if got := it.Size(); got != tt.want {
				t.Fatalf("Size = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestLen(t *testing.T) {
	tests := []struct {
		name, v string
		want    int
		ok      bool
	}{
		{name: "string bytes", v: `{"S":"héllo"}`, want: 6, ok: true},
		{name: "binary", v: `{"B":"AAE="}`, want: 2, ok: true},
		{name: "set", v: `{"NS":["1","2","3"]}`, want: 3, ok: true},
		{name: "list", v: `{"L":[{"NULL":true}]}`, want: 1, ok: true},
		{name: "map", v: `{"M":{"a":{"S":"x"},"b":{"S":"y"}}}`, want: 2, ok: true},
		{name: "number has none", v: `{"N":"12"}`},
		{name: "bool has none", v: `{"BOOL":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := mustJSON(t, tt.v).Len()
			if n != tt.want || ok != tt.ok {
				t.Fatalf("Len = %d, %v; want %d, %v", n, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSetOps(t *testing.T) {
	a := mustJSON(t, `{"NS":["1","2"]}`)
	b := mustJSON(t, `{"NS":["2.0","3"]}`)
	u, ok := Union(a, b)
	if !ok || !Equal(u, mustJSON(t, `{"NS":["1","2","3"]}`)) {
		t.Fatalf("Union = %v, %v", u, ok)
	}
	d, empty, ok := Difference(a, b)
	if !ok || empty || !Equal(d, mustJSON(t, `{"NS":["1"]}`)) {
		t.Fatalf("Difference = %v, %v, %v", d, empty, ok)
	}
	if _, empty, _ := Difference(a, a); !empty {
		t.Fatal("a - a not empty")
	}
	if _, ok := Union(a, mustJSON(t, `{"SS":["1"]}`)); ok {
		t.Fatal("union across set types")
	}
	if !Equal(a, mustJSON(t, `{"NS":["1","2"]}`)) {
		t.Fatal("Union changed its input")
	}
}

func TestCloneIsDeep(t *testing.T) {
	v := mustJSON(t, `{"M":{"l":{"L":[{"B":"AQ=="}]}}}`)
	c := v.Clone()
	c.AsM()["l"].AsL()[0].AsB()[0] = 9
	if v.AsM()["l"].AsL()[0].AsB()[0] != 1 {
		t.Fatal("Clone shares bytes")
	}
}

// TestDecodeScalarFast: the fast path decodes exactly what the general
// decoder does, and leaves everything else to it.
func TestDecodeScalarFast(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fast bool
	}{
		{`{"S":"abc"}`, true},
		{`{"S":""}`, true},
		{`{"N":"12.50"}`, true},
		{`{"N":"-0"}`, true},
		{`{"N":""}`, false},
		{`{"N":"x"}`, false},
		{`{"S":"a\"b"}`, false},
		{`{"S":"é"}`, false},
		{`{"S":"a","N":"1"}`, false},
		{`{"S": "a"}`, false},
	} {
		fast, ok := decodeScalarFast([]byte(tc.in))
		if ok != tc.fast {
			t.Errorf("%s: fast path taken %v, want %v", tc.in, ok, tc.fast)
			continue
		}
		if !ok {
			continue
		}
		// The general decoder, reached through a leading space.
		var general Value
		if err := general.UnmarshalJSON([]byte(" " + tc.in)); err != nil {
			t.Errorf("%s: general decoder: %v", tc.in, err)
			continue
		}
		if !Equal(fast, general) || fast.Type() != general.Type() {
			t.Errorf("%s: fast %v, general %v", tc.in, fast, general)
		}
	}
}
