package expr

import (
	"encoding/json"
	"testing"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
)

// fuzzParams gives the fuzzers a few placeholders of each kind, so that
// inputs get past name and value resolution and reach evaluation.
func fuzzParams(t *testing.T) *Params {
	p, err := NewParams(map[string]string{"#a": "a", "#b": "b", "#n": "name"}, map[string]attr.Value{
		":s": attr.S("str"),
		":n": attr.N(attr.MustNumber("1.5")),
		":l": attr.L(attr.S("x")),
		":m": attr.M(map[string]attr.Value{"k": attr.Bool(true)}),
		":t": attr.S("SS"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const fuzzItem = `{"a":{"M":{"b":{"L":[{"N":"1"},{"S":"x"}]},"c":{"S":"str"}}},"b":{"N":"1.5"},"s":{"SS":["x","y"]},"l":{"L":[{"S":"x"}]}}`

func fuzzItemValue(t *testing.T) attr.Item {
	var it attr.Item
	if err := json.Unmarshal([]byte(fuzzItem), &it); err != nil {
		t.Fatal(err)
	}
	return it
}

func FuzzParseCondition(f *testing.F) {
	f.Add("a = :s")
	f.Fuzz(func(t *testing.T, src string) {
		ps := newParser(src)
		c, ok := ps.parseConditionTop()
		if !ok {
			_ = ps.syntaxError()
		} else {
			printed := c.String()
			ps2 := newParser(printed)
			c2, ok := ps2.parseConditionTop()
			if !ok {
				t.Fatalf("%q printed as %q, which does not parse: %s", src, printed, ps2.syntaxError())
			}
			if again := c2.String(); again != printed {
				t.Fatalf("%q printed as %q, then as %q", src, printed, again)
			}
		}
		p := fuzzParams(t)
		cond, err := p.Condition(src)
		if err == nil {
			if _, err := Eval(cond, fuzzItemValue(t)); err != nil {
				t.Fatalf("Eval(%q): %v", src, err)
			}
			if _, err := Eval(cond, nil); err != nil {
				t.Fatalf("Eval(%q, nil): %v", src, err)
			}
		}
		if kc, err := fuzzParams(t).KeyCondition(src); err == nil {
			_, _, _ = kc.Bind("a", attr.TypeS, "b", attr.TypeN)
			for _, k := range kc.Conds {
				_ = k.Match(attr.S("str"))
			}
		}
		_, _ = fuzzParams(t).Projection(src)
	})
}

func FuzzParseUpdate(f *testing.F) {
	f.Add("SET a = :s")
	f.Fuzz(func(t *testing.T, src string) {
		ps := newParser(src)
		u, ok := ps.parseUpdateTop()
		if !ok {
			_ = ps.syntaxError()
		} else {
			printed := u.String()
			ps2 := newParser(printed)
			u2, ok := ps2.parseUpdateTop()
			if !ok {
				t.Fatalf("%q printed as %q, which does not parse: %s", src, printed, ps2.syntaxError())
			}
			if again := u2.String(); again != printed {
				t.Fatalf("%q printed as %q, then as %q", src, printed, again)
			}
		}
		upd, err := fuzzParams(t).Update(src)
		if err != nil {
			return
		}
		item := fuzzItemValue(t)
		before, _ := json.Marshal(item)
		out, err := Apply(upd, item)
		if after, _ := json.Marshal(item); string(after) != string(before) {
			t.Fatalf("Apply(%q) changed its input", src)
		}
		if err == nil {
			if _, err := json.Marshal(out); err != nil {
				t.Fatalf("Apply(%q) made an item that does not encode: %v", src, err)
			}
		}
		if _, err := Apply(upd, nil); err != nil {
			var e *Error
			if !asError(err, &e) {
				t.Fatalf("Apply(%q, nil) error of type %T", src, err)
			}
		}
	})
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}
