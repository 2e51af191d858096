package expr

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
)

func jv(t testing.TB, s string) attr.Value {
	t.Helper()
	var v attr.Value
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("value %s: %v", s, err)
	}
	return v
}

func jitem(t testing.TB, s string) attr.Item {
	t.Helper()
	var it attr.Item
	if err := json.Unmarshal([]byte(s), &it); err != nil {
		t.Fatalf("item %s: %v", s, err)
	}
	return it
}

// testParams has a placeholder for every case below.
func testParams(t testing.TB) *Params {
	t.Helper()
	p, err := NewParams(map[string]string{
		"#a": "a", "#b": "b", "#name": "name", "#size": "size", "#dot": "x.y", "#1": "1",
	}, map[string]attr.Value{
		":s":    jv(t, `{"S":"str"}`),
		":t":    jv(t, `{"S":"tts"}`),
		":n":    jv(t, `{"N":"1"}`),
		":m":    jv(t, `{"N":"5"}`),
		":b":    jv(t, `{"B":"AQ=="}`),
		":bool": jv(t, `{"BOOL":true}`),
		":null": jv(t, `{"NULL":true}`),
		":l":    jv(t, `{"L":[{"S":"x"}]}`),
		":map":  jv(t, `{"M":{}}`),
		":ss":   jv(t, `{"SS":["x"]}`),
		":ns":   jv(t, `{"NS":["1"]}`),
		":type": jv(t, `{"S":"SS"}`),
		":bad":  jv(t, `{"S":"XX"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseCondition(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "equality", in: "a = :s", want: "a = :s"},
		{name: "all comparators", in: "a<>:s AND b<:s AND c<=:s AND d>:s AND e>=:s", want: "a <> :s AND b < :s AND c <= :s AND d > :s AND e >= :s"},
		{name: "keywords any case", in: "a = :s and not b = :s or c = :s", want: "a = :s AND NOT b = :s OR c = :s"},
		{name: "precedence NOT AND OR", in: "a = :s OR b = :s AND NOT c = :s", want: "a = :s OR b = :s AND NOT c = :s"},
		{name: "parentheses kept where needed", in: "(a = :s OR b = :s) AND c = :s", want: "(a = :s OR b = :s) AND c = :s"},
		{name: "parentheses dropped where not", in: "(a = :s AND b = :s) OR (c = :s)", want: "a = :s AND b = :s OR c = :s"},
		{name: "not over group", in: "NOT (a = :s OR b = :s)", want: "NOT (a = :s OR b = :s)"},
		{name: "between", in: "a BETWEEN :n AND :m", want: "a BETWEEN :n AND :m"},
		{name: "in", in: "a IN (:s,:t, b)", want: "a IN (:s, :t, b)"},
		{name: "functions", in: "attribute_exists(a) AND attribute_not_exists (b) AND attribute_type(c, :type) AND begins_with(d, :s) AND contains(e, :s)", want: "attribute_exists(a) AND attribute_not_exists(b) AND attribute_type(c, :type) AND begins_with(d, :s) AND contains(e, :s)"},
		{name: "size operand", in: "size(a) > :n", want: "size(a) > :n"},
		{name: "nested path", in: "a.b[2].c = :s", want: "a.b[2].c = :s"},
		{name: "path spacing", in: "a . b [ 2 ] = :s", want: "a.b[2] = :s"},
		{name: "placeholders", in: "#name.#a[0] = :s", want: "#name.#a[0] = :s"},
		{name: "reserved via placeholder", in: "#size = :n", want: "#size = :n"},
		{name: "parenthesised operand", in: "(a) = :s", want: "a = :s"},
		{name: "parenthesised size", in: "(size(a)) = :n", want: "size(a) = :n"},
		{name: "double not", in: "NOT NOT a = :s", want: "NOT NOT a = :s"},

		{name: "empty", in: "", err: "Invalid ConditionExpression: The expression can not be empty;"},
		{name: "only spaces", in: "  ", err: `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ""`},
		{name: "missing operand", in: "a = ", err: `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "`},
		{name: "trailing token", in: "a = :s b", err: `Invalid ConditionExpression: Syntax error; token: "b", near: ":s b"`},
		{name: "bad character", in: "a = @", err: `Invalid ConditionExpression: Syntax error; token: "@", near: "= @"`},
		{name: "dangling and", in: "a = :s AND", err: `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"`},
		{name: "keyword as name", in: "and = :s", err: `Invalid ConditionExpression: Syntax error; token: "and", near: "and ="`},
		{name: "bare path", in: "a", err: `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "a"`},
		{name: "empty placeholder", in: "# = :s", err: `Invalid ConditionExpression: Syntax error; token: "#", near: "# ="`},
		{name: "negative index", in: "a[-1] = :s", err: `Invalid ConditionExpression: Syntax error; token: "-", near: "[-1"`},
		{name: "reserved word", in: "size = :n", err: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: size"},
		{name: "reserved nested", in: "a.Name = :n", err: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Name"},
		{name: "undefined name", in: "#zz = :s", err: "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #zz"},
		{name: "undefined value", in: "a = :zz", err: "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :zz"},
		{name: "unknown function", in: "foo(a)", err: "Invalid ConditionExpression: Invalid function name; function: foo"},
		{name: "function names are case sensitive", in: "SIZE(a) = :n", err: "Invalid ConditionExpression: Invalid function name; function: SIZE"},
		{name: "size as condition", in: "size(a)", err: "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"},
		{name: "boolean function as operand", in: "attribute_exists(a) = :bool", err: "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{name: "operand count", in: "begins_with(a)", err: "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"},
		{name: "needs a path", in: "attribute_exists(:s)", err: "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"},
		{name: "begins_with type", in: "begins_with(a, :n)", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{name: "size type", in: "size(:n) = :n", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N"},
		{name: "attribute_type name", in: "attribute_type(a, :bad)", err: "Invalid ConditionExpression: Invalid attribute type name found; type: XX, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
		{name: "attribute_type operand", in: "attribute_type(a, :n)", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"},
		{name: "distinct", in: "a.b = a.b", err: "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a, b]"},
		{name: "distinct through alias", in: "#a = a", err: "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"},
		{name: "between types", in: "a BETWEEN :n AND :s", err: "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:str}"},
		{name: "between order", in: "a BETWEEN :m AND :n", err: "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}"},
		{name: "redundant parentheses", in: "((a = :s))", err: "Invalid ConditionExpression: The expression has redundant parentheses;"},
		{name: "redundant operand parentheses", in: "((a)) = :s", err: "Invalid ConditionExpression: The expression has redundant parentheses;"},
		{name: "in limit", in: "a IN (" + strings.TrimSuffix(strings.Repeat(":s, ", 101), ", ") + ")", err: "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := testParams(t).Condition(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Condition(%q) = %v, %v\nwant error %q", tt.in, c, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Condition(%q): %v", tt.in, err)
			}
			if got := c.String(); got != tt.want {
				t.Fatalf("Condition(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFilterPrefix(t *testing.T) {
	_, err := testParams(t).Filter("a = ")
	if err == nil || !strings.HasPrefix(err.Error(), "Invalid FilterExpression: Syntax error;") {
		t.Fatalf("Filter error = %v", err)
	}
}

func TestPrecedenceTree(t *testing.T) {
	c, err := testParams(t).Condition("a = :s OR b = :s AND NOT c = :s")
	if err != nil {
		t.Fatal(err)
	}
	or, ok := c.(*Or)
	if !ok {
		t.Fatalf("top is %T, want *Or", c)
	}
	and, ok := or.R.(*And)
	if !ok {
		t.Fatalf("right of OR is %T, want *And", or.R)
	}
	if _, ok := and.R.(*Not); !ok {
		t.Fatalf("right of AND is %T, want *Not", and.R)
	}
}

func TestParseUpdate(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "set", in: "SET a = :s", want: "SET a = :s"},
		{name: "all clauses any order", in: "delete d :ss add c :n remove b set a = :s", want: "SET a = :s REMOVE b ADD c :n DELETE d :ss"},
		{name: "arithmetic", in: "SET a = a + :n, b = :m - b", want: "SET a = a + :n, b = :m - b"},
		{name: "functions", in: "SET a = if_not_exists(a, :n), b = list_append(b, :l), c = list_append(:l, if_not_exists(c, :l))", want: "SET a = if_not_exists(a, :n), b = list_append(b, :l), c = list_append(:l, if_not_exists(c, :l))"},
		{name: "function plus", in: "SET a = if_not_exists(a, :n) + :m", want: "SET a = if_not_exists(a, :n) + :m"},
		{name: "parenthesised value", in: "SET a = (b + :n)", want: "SET a = b + :n"},
		{name: "nested paths", in: "SET a.b[1].c = :s REMOVE a.d[0], e", want: "SET a.b[1].c = :s REMOVE a.d[0], e"},
		{name: "placeholders", in: "SET #name = :s, #dot = :n", want: "SET #name = :s, #dot = :n"},

		{name: "empty", in: "", err: "Invalid UpdateExpression: The expression can not be empty;"},
		{name: "no clause", in: "a = :s", err: `Invalid UpdateExpression: Syntax error; token: "a", near: "a ="`},
		{name: "missing value", in: "SET a =", err: `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "="`},
		{name: "comma before clause", in: "SET a = :s, REMOVE b", err: `Invalid UpdateExpression: Syntax error; token: "REMOVE", near: ", REMOVE b"`},
		{name: "add needs a value", in: "ADD a b", err: `Invalid UpdateExpression: Syntax error; token: "b", near: "a b"`},
		{name: "two operators", in: "SET a = b + :n + :m", err: `Invalid UpdateExpression: Syntax error; token: "+", near: ":n + :m"`},
		{name: "clause twice", in: "SET a = :s SET b = :s", err: `Invalid UpdateExpression: The "SET" section can only be used once in an update expression;`},
		{name: "reserved", in: "SET size = :n", err: "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: size"},
		{name: "unknown function", in: "SET a = size(b)", err: "Invalid UpdateExpression: Invalid function name; function: size"},
		{name: "undefined name", in: "SET #q = :s", err: "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #q"},
		{name: "undefined value", in: "SET a = :q", err: "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :q"},
		{name: "overlap", in: "SET a.b = :s REMOVE a", err: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"},
		{name: "same path", in: "SET a = :s, #a = :n", err: "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{name: "conflict", in: "SET a[0] = :s REMOVE a.b", err: "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]"},
		{name: "add string", in: "ADD a :s", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
		{name: "add list", in: "ADD a :l", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST"},
		{name: "delete number", in: "DELETE a :n", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"},
		{name: "plus string", in: "SET a = b + :s", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"},
		{name: "list_append type", in: "SET a = list_append(a, :s)", err: "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S"},
		{name: "if_not_exists path", in: "SET a = if_not_exists(:s, :s)", err: "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"},
		{name: "function arity", in: "SET a = if_not_exists(a)", err: "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := testParams(t).Update(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Update(%q) = %v, %v\nwant error %q", tt.in, u, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Update(%q): %v", tt.in, err)
			}
			if got := u.String(); got != tt.want {
				t.Fatalf("Update(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseProjection(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "list", in: "a, b.c, d[1]", want: "a, b.c, d[1]"},
		{name: "placeholder", in: "#name, #size", want: "#name, #size"},
		{name: "reserved", in: "a, name", err: "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name"},
		{name: "overlap", in: "a, a.b", err: "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
		{name: "trailing comma", in: "a,", err: `Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","`},
		{name: "value", in: ":s", err: `Invalid ProjectionExpression: Syntax error; token: ":s", near: ":s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := testParams(t).Projection(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Projection(%q) = %v, %v\nwant error %q", tt.in, p, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Projection(%q): %v", tt.in, err)
			}
			if got := p.String(); got != tt.want {
				t.Fatalf("Projection(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseKeyCondition(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "partition only", in: "pk = :s", want: `pk = {"S":"str"}`},
		{name: "with sort", in: "pk = :s AND sk BETWEEN :n AND :m", want: `pk = {"S":"str"}; sk BETWEEN {"N":"1"} AND {"N":"5"}`},
		{name: "flipped", in: ":n < sk AND pk = :s", want: `sk > {"N":"1"}; pk = {"S":"str"}`},
		{name: "begins_with", in: "pk = :s AND begins_with(sk, :t)", want: `pk = {"S":"str"}; begins_with(sk, {"S":"tts"})`},
		{name: "parenthesised", in: "(pk = :s) AND (sk >= :n)", want: `pk = {"S":"str"}; sk >= {"N":"1"}`},
		{name: "or", in: "pk = :s OR sk = :s", err: "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR"},
		{name: "not equal", in: "pk <> :s", err: "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: <>"},
		{name: "in", in: "pk IN (:s)", err: "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: IN"},
		{name: "contains", in: "contains(pk, :s)", err: "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: contains"},
		{name: "size", in: "size(pk) = :n", err: "Invalid KeyConditionExpression: KeyConditionExpressions cannot contain nested operations"},
		{name: "nested", in: "pk.a = :s", err: "Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes"},
		{name: "two names", in: "pk = sk", err: "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{name: "no name", in: ":s = :t", err: "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: No key attribute specified"},
		{name: "twice", in: "pk = :s AND pk = :t", err: "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"},
		{name: "between first operand", in: ":n BETWEEN sk AND :m", err: "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc, err := testParams(t).KeyCondition(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("KeyCondition(%q) = %v, %v\nwant error %q", tt.in, kc, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("KeyCondition(%q): %v", tt.in, err)
			}
			parts := make([]string, len(kc.Conds))
			for i, c := range kc.Conds {
				parts[i] = c.String()
			}
			if got := strings.Join(parts, "; "); got != tt.want {
				t.Fatalf("KeyCondition(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestKeyConditionBind(t *testing.T) {
	tests := []struct {
		name, in, rangeKey, err string
		rangeType               attr.Type
	}{
		{name: "hash only", in: "pk = :s"},
		{name: "hash and range", in: "pk = :s AND sk > :n", rangeKey: "sk", rangeType: attr.TypeN},
		{name: "missing hash", in: "sk = :s", rangeKey: "sk", rangeType: attr.TypeS, err: "Query condition missed key schema element: pk"},
		{name: "hash not equality", in: "pk > :s", err: "Query key condition not supported"},
		{name: "range without range key", in: "pk = :s AND sk = :s", err: "Query key condition not supported"},
		{name: "other attribute", in: "pk = :s AND x = :s", rangeKey: "sk", rangeType: attr.TypeS, err: "Query condition missed key schema element: sk"},
		{name: "type mismatch", in: "pk = :n", err: "One or more parameter values were invalid: Condition parameter type does not match schema type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc, err := testParams(t).KeyCondition(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = kc.Bind("pk", attr.TypeS, tt.rangeKey, tt.rangeType)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || err.Error() != tt.err) {
				t.Fatalf("Bind = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestParams(t *testing.T) {
	tests := []struct {
		name   string
		names  map[string]string
		values map[string]attr.Value
		exprs  []string // condition expressions parsed before Unused
		err    string
	}{
		{name: "all used", names: map[string]string{"#a": "a"}, values: map[string]attr.Value{":v": attr.S("x")}, exprs: []string{"#a = :v"}},
		{name: "unused name", names: map[string]string{"#a": "a", "#b": "b"}, values: map[string]attr.Value{":v": attr.S("x")}, exprs: []string{"#a = :v"}, err: "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"},
		{name: "unused value", values: map[string]attr.Value{":v": attr.S("x"), ":x": attr.S("y"), ":w": attr.S("z")}, exprs: []string{"a = :v"}, err: "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w, :x}"},
		{name: "used across expressions", values: map[string]attr.Value{":v": attr.S("x"), ":x": attr.S("y")}, exprs: []string{"a = :v", "b = :x"}},
		{name: "empty names", names: map[string]string{}, err: "ExpressionAttributeNames must not be empty"},
		{name: "empty values", values: map[string]attr.Value{}, err: "ExpressionAttributeValues must not be empty"},
		{name: "bad name key", names: map[string]string{"a": "a"}, err: `ExpressionAttributeNames contains invalid key: Syntax error; key: "a"`},
		{name: "bad value key", values: map[string]attr.Value{":a-b": attr.S("x")}, err: `ExpressionAttributeValues contains invalid key: Syntax error; key: ":a-b"`},
		{name: "empty value", values: map[string]attr.Value{":a": {}}, err: "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewParams(tt.names, tt.values)
			if err == nil {
				for _, e := range tt.exprs {
					if _, err = p.Condition(e); err != nil {
						t.Fatalf("Condition(%q): %v", e, err)
					}
				}
				err = p.Unused()
			}
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || err.Error() != tt.err) {
				t.Fatalf("got %v, want %q", err, tt.err)
			}
		})
	}
}

func TestReservedWordsList(t *testing.T) {
	if n := len(reservedWords); n != 573 {
		t.Fatalf("%d reserved words, the published list has 573", n)
	}
	for _, w := range []string{"ABORT", "ZONE", "TTL", "SIZE", "NAME", "STATUS", "DATA"} {
		if !isReserved(strings.ToLower(w)) {
			t.Errorf("%s not reserved", w)
		}
	}
}
