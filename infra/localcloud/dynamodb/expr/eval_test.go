package expr

import (
	"encoding/json"
	"testing"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
)

const evalItem = `{
	"s": {"S": "hello"},
	"n": {"N": "10"},
	"one": {"N": "1"},
	"b": {"B": "AQID"},
	"t": {"BOOL": true},
	"z": {"NULL": true},
	"ss": {"SS": ["x", "y"]},
	"ns": {"NS": ["1", "2.5"]},
	"bs": {"BS": ["AQ=="]},
	"l": {"L": [{"S": "a"}, {"N": "2"}, {"M": {"k": {"S": "v"}}}]},
	"m": {"M": {"inr": {"M": {"deep": {"N": "100"}}}, "lst": {"L": [{"N": "0"}, {"N": "1"}]}}}
}`

func evalParams(t testing.TB) *Params {
	t.Helper()
	p, err := NewParams(map[string]string{"#deep": "deep", "#odd": "a.b"}, map[string]attr.Value{
		":hello": jv(t, `{"S":"hello"}`),
		":he":    jv(t, `{"S":"he"}`),
		":ll":    jv(t, `{"S":"ll"}`),
		":x":     jv(t, `{"S":"x"}`),
		":a":     jv(t, `{"S":"a"}`),
		":zz":    jv(t, `{"S":"zz"}`),
		":1":     jv(t, `{"N":"1"}`),
		":one0":  jv(t, `{"N":"1.0"}`),
		":e2":    jv(t, `{"N":"1E2"}`),
		":2":     jv(t, `{"N":"2"}`),
		":two5":  jv(t, `{"N":"2.5"}`),
		":5":     jv(t, `{"N":"5"}`),
		":10":    jv(t, `{"N":"10"}`),
		":9":     jv(t, `{"N":"9"}`),
		":b1":    jv(t, `{"B":"AQ=="}`),
		":b123":  jv(t, `{"B":"AQID"}`),
		":true":  jv(t, `{"BOOL":true}`),
		":null":  jv(t, `{"NULL":true}`),
		":ss":    jv(t, `{"SS":["y","x"]}`),
		":S":     jv(t, `{"S":"S"}`),
		":SS":    jv(t, `{"S":"SS"}`),
		":M":     jv(t, `{"S":"M"}`),
		":l":     jv(t, `{"L":[{"S":"a"},{"N":"2"},{"M":{"k":{"S":"v"}}}]}`),
		":mv":    jv(t, `{"M":{"k":{"S":"v"}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEval(t *testing.T) {
	item := jitem(t, evalItem)
	tests := []struct {
		name string
		cond string
		want bool
	}{
		{name: "string equal", cond: "s = :hello", want: true},
		{name: "string not equal", cond: "s <> :hello", want: false},
		{name: "number equal other form", cond: "one = :one0", want: true},
		{name: "exponent equal", cond: "m.inr.#deep = :e2", want: true},
		{name: "numeric not lexical", cond: "n > :9", want: true},
		{name: "less equal", cond: "n <= :10", want: true},
		{name: "less", cond: "n < :10", want: false},
		{name: "greater equal", cond: "n >= :10", want: true},
		{name: "type mismatch is false", cond: "n = :hello", want: false},
		{name: "type mismatch ordering is false", cond: "s > :1", want: false},
		{name: "type mismatch not equal is true", cond: "n <> :hello", want: true},
		{name: "missing equal is false", cond: "nope = :1", want: false},
		{name: "missing not equal is true", cond: "nope <> :1", want: true},
		{name: "missing ordering is false", cond: "nope < :1", want: false},
		{name: "string ordering", cond: "s < :zz", want: true},
		{name: "binary ordering", cond: "b > :b1", want: true},
		{name: "bool ordering is false", cond: "t >= :true", want: false},
		{name: "bool equal", cond: "t = :true", want: true},
		{name: "null equal", cond: "z = :null", want: true},
		{name: "set equal unordered", cond: "ss = :ss", want: true},
		{name: "list equal", cond: "l = :l", want: true},
		{name: "map element equal", cond: "l[2] = :mv", want: true},
		{name: "path vs path", cond: "one = m.lst[1]", want: true},
		{name: "between", cond: "n BETWEEN :9 AND :10", want: true},
		{name: "between outside", cond: "n BETWEEN :1 AND :5", want: false},
		{name: "between type mismatch", cond: "s BETWEEN :1 AND :5", want: false},
		{name: "in", cond: "n IN (:1, :10)", want: true},
		{name: "in numeric", cond: "one IN (:one0)", want: true},
		{name: "not in", cond: "n IN (:1, :2)", want: false},
		{name: "in missing", cond: "nope IN (:1)", want: false},
		{name: "and", cond: "s = :hello AND n = :10", want: true},
		{name: "or", cond: "s = :x OR n = :10", want: true},
		{name: "not", cond: "NOT s = :x", want: true},
		{name: "precedence", cond: "s = :x AND n = :10 OR one = :1", want: true},
		{name: "precedence with not", cond: "NOT s = :hello OR n = :10 AND one = :2", want: false},
		{name: "attribute_exists", cond: "attribute_exists(m.inr.#deep)", want: true},
		{name: "attribute_exists list index", cond: "attribute_exists(l[2].k)", want: true},
		{name: "attribute_exists out of range", cond: "attribute_exists(l[3])", want: false},
		{name: "attribute_not_exists", cond: "attribute_not_exists(nope)", want: true},
		{name: "attribute_not_exists through scalar", cond: "attribute_not_exists(s.x)", want: true},
		{name: "placeholder with dot is one name", cond: "attribute_exists(#odd)", want: false},
		{name: "attribute_type", cond: "attribute_type(ss, :SS)", want: true},
		{name: "attribute_type wrong", cond: "attribute_type(ss, :S)", want: false},
		{name: "attribute_type map", cond: "attribute_type(m, :M)", want: true},
		{name: "begins_with string", cond: "begins_with(s, :he)", want: true},
		{name: "begins_with not", cond: "begins_with(s, :ll)", want: false},
		{name: "begins_with binary", cond: "begins_with(b, :b1)", want: true},
		{name: "begins_with type mismatch", cond: "begins_with(b, :a)", want: false},
		{name: "contains substring", cond: "contains(s, :ll)", want: true},
		{name: "contains string set", cond: "contains(ss, :x)", want: true},
		{name: "contains number set numeric", cond: "contains(ns, :two5)", want: true},
		{name: "contains binary set", cond: "contains(bs, :b1)", want: true},
		{name: "contains list", cond: "contains(l, :a)", want: true},
		{name: "contains list map", cond: "contains(l, :mv)", want: true},
		{name: "contains list missing", cond: "contains(l, :x)", want: false},
		{name: "contains wrong type", cond: "contains(ns, :x)", want: false},
		{name: "size string", cond: "size(s) = :5", want: true},
		{name: "size binary", cond: "size(b) = :5", want: false},
		{name: "size set", cond: "size(ss) = :2", want: true},
		{name: "size list", cond: "size(l) > :2", want: true},
		{name: "size map", cond: "size(m) = :2", want: true},
		{name: "size number is no value", cond: "size(n) >= :1", want: false},
		{name: "size missing", cond: "size(nope) = :1", want: false},
		{name: "size nested", cond: "size(m.lst) = :2", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := evalParams(t).Condition(tt.cond)
			if err != nil {
				t.Fatalf("Condition(%q): %v", tt.cond, err)
			}
			got, err := Eval(c, item)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Eval(%q) = %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
}

func TestEvalMissingItem(t *testing.T) {
	c, err := evalParams(t).Condition("attribute_not_exists(s)")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := Eval(c, nil); !ok {
		t.Fatal("attribute_not_exists on no item is false")
	}
}

func updParams(t testing.TB) *Params {
	t.Helper()
	p, err := NewParams(map[string]string{"#k": "k", "#new": "new"}, map[string]attr.Value{
		":s":    jv(t, `{"S":"v"}`),
		":1":    jv(t, `{"N":"1"}`),
		":neg":  jv(t, `{"N":"-2.5"}`),
		":big":  jv(t, `{"N":"1E30"}`),
		":tiny": jv(t, `{"N":"1E-30"}`),
		":l":    jv(t, `{"L":[{"S":"z"}]}`),
		":e":    jv(t, `{"L":[]}`),
		":ss":   jv(t, `{"SS":["b","c"]}`),
		":ns":   jv(t, `{"NS":["2.0","3"]}`),
		":bs":   jv(t, `{"BS":["AQ=="]}`),
		":all":  jv(t, `{"SS":["a","b"]}`),
		":m":    jv(t, `{"M":{"x":{"N":"1"}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const updItem = `{
	"id": {"S": "1"},
	"n": {"N": "10"},
	"s": {"S": "str"},
	"l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]},
	"m": {"M": {"k": {"S": "v"}, "l": {"L": [{"N": "0"}]}}},
	"ss": {"SS": ["a", "b"]},
	"ns": {"NS": ["1", "2"]}
}`

func TestApply(t *testing.T) {
	tests := []struct {
		name, update string
		want         string // the attributes the update touches, as JSON; others must be unchanged
		err          string
	}{
		{name: "set new", update: "SET x = :s", want: `{"x":{"S":"v"}}`},
		{name: "set replace", update: "SET s = :1", want: `{"s":{"N":"1"}}`},
		{name: "set nested", update: "SET m.#k = :1, m.#new = :s", want: `{"m":{"M":{"k":{"N":"1"},"l":{"L":[{"N":"0"}]},"new":{"S":"v"}}}}`},
		{name: "set list index", update: "SET l[1] = :s", want: `{"l":{"L":[{"S":"a"},{"S":"v"},{"S":"c"}]}}`},
		{name: "set past end appends", update: "SET l[10] = :s", want: `{"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"v"}]}}`},
		{name: "set several past end in order", update: "SET l[20] = :1, l[10] = :s", want: `{"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"v"},{"N":"1"}]}}`},
		{name: "set deep list", update: "SET m.l[0] = :s", want: `{"m":{"M":{"k":{"S":"v"},"l":{"L":[{"S":"v"}]}}}}`},
		{name: "plus", update: "SET n = n + :1", want: `{"n":{"N":"11"}}`},
		{name: "minus negative", update: "SET n = n - :neg", want: `{"n":{"N":"12.5"}}`},
		{name: "values read before update", update: "SET n = :1, x = n", want: `{"n":{"N":"1"},"x":{"N":"10"}}`},
		{name: "if_not_exists missing", update: "SET x = if_not_exists(x, :1)", want: `{"x":{"N":"1"}}`},
		{name: "if_not_exists present", update: "SET n = if_not_exists(n, :1)", want: `{"n":{"N":"10"}}`},
		{name: "counter idiom", update: "SET c = if_not_exists(c, :1) + :1", want: `{"c":{"N":"2"}}`},
		{name: "list_append end", update: "SET l = list_append(l, :l)", want: `{"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"z"}]}}`},
		{name: "list_append start", update: "SET l = list_append(:l, l)", want: `{"l":{"L":[{"S":"z"},{"S":"a"},{"S":"b"},{"S":"c"}]}}`},
		{name: "list_append to empty", update: "SET x = list_append(if_not_exists(x, :e), :l)", want: `{"x":{"L":[{"S":"z"}]}}`},
		{name: "remove", update: "REMOVE s, m.k", want: `{"m":{"M":{"l":{"L":[{"N":"0"}]}}}}`},
		{name: "remove missing is no-op", update: "REMOVE nope, m.nope, l[7]", want: `{}`},
		{name: "remove list indexes of original", update: "REMOVE l[0], l[2]", want: `{"l":{"L":[{"S":"b"}]}}`},
		{name: "remove with set past end", update: "SET l[5] = :s REMOVE l[3]", want: `{"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"v"}]}}`},
		{name: "add number", update: "ADD n :neg", want: `{"n":{"N":"7.5"}}`},
		{name: "add creates number", update: "ADD x :1", want: `{"x":{"N":"1"}}`},
		{name: "add creates set", update: "ADD x :ss", want: `{"x":{"SS":["b","c"]}}`},
		{name: "add set union", update: "ADD ss :ss", want: `{"ss":{"SS":["a","b","c"]}}`},
		{name: "add number set numeric dedup", update: "ADD ns :ns", want: `{"ns":{"NS":["1","2","3"]}}`},
		{name: "add nested", update: "ADD m.c :1", want: `{"m":{"M":{"c":{"N":"1"},"k":{"S":"v"},"l":{"L":[{"N":"0"}]}}}}`},
		{name: "delete from set", update: "DELETE ss :ss", want: `{"ss":{"SS":["a"]}}`},
		{name: "delete all removes", update: "DELETE ss :all", want: `{}`},
		{name: "delete missing is no-op", update: "DELETE x :ss", want: `{}`},
		{name: "all clauses", update: "SET a = :s REMOVE s ADD n :1 DELETE ss :all", want: `{"a":{"S":"v"},"n":{"N":"11"}}`},

		{name: "plus on string", update: "SET s = s + :1", err: "An operand in the update expression has an incorrect data type"},
		{name: "list_append on string", update: "SET s = list_append(s, :l)", err: "An operand in the update expression has an incorrect data type"},
		{name: "missing operand", update: "SET x = nope", err: "The provided expression refers to an attribute that does not exist in the item"},
		{name: "missing operand in arithmetic", update: "SET x = nope + :1", err: "The provided expression refers to an attribute that does not exist in the item"},
		{name: "missing parent", update: "SET nope.x = :s", err: "The document path provided in the update expression is invalid for update"},
		{name: "index into map", update: "SET m[0] = :s", err: "The document path provided in the update expression is invalid for update"},
		{name: "name into list", update: "SET l.x = :s", err: "The document path provided in the update expression is invalid for update"},
		{name: "into scalar", update: "SET s.x = :s", err: "The document path provided in the update expression is invalid for update"},
		{name: "past end not last", update: "SET l[9].x = :s", err: "The document path provided in the update expression is invalid for update"},
		{name: "remove under missing parent", update: "REMOVE nope.x", err: "The document path provided in the update expression is invalid for update"},
		{name: "remove index of map", update: "REMOVE m[0]", err: "The document path provided in the update expression is invalid for update"},
		{name: "add to string", update: "ADD s :1", err: "An operand in the update expression has an incorrect data type"},
		{name: "add set to other set type", update: "ADD ns :ss", err: "An operand in the update expression has an incorrect data type"},
		{name: "delete other set type", update: "DELETE ns :ss", err: "An operand in the update expression has an incorrect data type"},
		{name: "add under missing parent", update: "ADD nope.x :1", err: "The document path provided in the update expression is invalid for update"},
		{name: "number precision", update: "SET x = :big + :tiny", err: "Attempting to store more than 38 significant digits in a Number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := updParams(t).Update(tt.update)
			if err != nil {
				t.Fatalf("Update(%q): %v", tt.update, err)
			}
			old := jitem(t, updItem)
			before, _ := json.Marshal(old)
			got, err := Apply(u, old)
			after, _ := json.Marshal(old)
			if string(before) != string(after) {
				t.Fatalf("Apply changed its input:\n%s\n%s", before, after)
			}
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Apply(%q) = %v, want error %q", tt.update, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply(%q): %v", tt.update, err)
			}
			want := jitem(t, updItem)
			for k, v := range jitem(t, tt.want) {
				want[k] = v
			}
			// Attributes the update removed are absent from got and must
			// go from want too.
			for k := range want {
				if _, ok := got[k]; !ok {
					if _, touched := jitem(t, tt.want)[k]; !touched {
						delete(want, k)
					}
				}
			}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if string(gj) != string(wj) {
				t.Fatalf("Apply(%q)\n got %s\nwant %s", tt.update, gj, wj)
			}
		})
	}
}

func TestApplyRemovesExactly(t *testing.T) {
	u, err := updParams(t).Update("REMOVE s, l[1] DELETE ss :all")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Apply(u, jitem(t, updItem))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["s"]; ok {
		t.Fatal("s not removed")
	}
	if _, ok := got["ss"]; ok {
		t.Fatal("emptied set not removed")
	}
	if l := got["l"].AsL(); len(l) != 2 || l[1].AsS() != "c" {
		t.Fatalf("l = %v", l)
	}
}

func TestApplyNewItem(t *testing.T) {
	u, err := updParams(t).Update("SET a = :s ADD n :1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Apply(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(got)
	if string(j) != `{"a":{"S":"v"},"n":{"N":"1"}}` {
		t.Fatalf("got %s", j)
	}
}

func TestProject(t *testing.T) {
	item := jitem(t, evalItem)
	tests := []struct {
		name, proj, want string
	}{
		{name: "top level", proj: "s, n", want: `{"n":{"N":"10"},"s":{"S":"hello"}}`},
		{name: "nested map", proj: "m.inr.#deep", want: `{"m":{"M":{"inr":{"M":{"deep":{"N":"100"}}}}}}`},
		{name: "list elements compacted", proj: "l[2], l[0]", want: `{"l":{"L":[{"S":"a"},{"M":{"k":{"S":"v"}}}]}}`},
		{name: "into list element", proj: "l[2].k", want: `{"l":{"L":[{"M":{"k":{"S":"v"}}}]}}`},
		{name: "missing left out", proj: "nope, m.nope, l[9], s", want: `{"s":{"S":"hello"}}`},
		{name: "sibling paths merge", proj: "m.inr, m.lst[1]", want: `{"m":{"M":{"inr":{"M":{"deep":{"N":"100"}}},"lst":{"L":[{"N":"1"}]}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewParams(map[string]string{"#deep": "deep"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			pr, err := p.Projection(tt.proj)
			if err != nil {
				t.Fatalf("Projection(%q): %v", tt.proj, err)
			}
			j, _ := json.Marshal(Project(pr, item))
			if string(j) != tt.want {
				t.Fatalf("Project(%q)\n got %s\nwant %s", tt.proj, j, tt.want)
			}
		})
	}
}

func TestKeyCondMatch(t *testing.T) {
	tests := []struct {
		name, expr, value string
		want              bool
	}{
		{name: "equal number", expr: "pk = :1", value: `{"N":"1.0"}`, want: true},
		{name: "between", expr: "pk BETWEEN :1 AND :10", value: `{"N":"5"}`, want: true},
		{name: "between outside", expr: "pk BETWEEN :1 AND :10", value: `{"N":"11"}`},
		{name: "begins_with", expr: "begins_with(pk, :he)", value: `{"S":"hello"}`, want: true},
		{name: "flipped less", expr: ":10 > pk", value: `{"N":"9"}`, want: true},
		{name: "type mismatch", expr: "pk = :1", value: `{"S":"1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewParams(nil, map[string]attr.Value{
				":1": jv(t, `{"N":"1"}`), ":10": jv(t, `{"N":"10"}`), ":he": jv(t, `{"S":"he"}`),
			})
			if err != nil {
				t.Fatal(err)
			}
			kc, err := p.KeyCondition(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := kc.Conds[0].Match(jv(t, tt.value)); got != tt.want {
				t.Fatalf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}
