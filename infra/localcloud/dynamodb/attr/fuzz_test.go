package attr

import (
	"encoding/json"
	"testing"
)

func FuzzAttrJSON(f *testing.F) {
	f.Add([]byte(`{"S":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v Value
		if err := json.Unmarshal(data, &v); err != nil {
			return
		}
		first, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal of decoded %s: %v", data, err)
		}
		var w Value
		if err := json.Unmarshal(first, &w); err != nil {
			t.Fatalf("%s encoded as %s, which does not decode: %v", data, first, err)
		}
		if !Equal(v, w) {
			t.Fatalf("%s encoded as %s decodes to a different value", data, first)
		}
		second, _ := json.Marshal(w)
		if string(second) != string(first) {
			t.Fatalf("%s encoded as %s, then as %s", data, first, second)
		}
		_ = v.Size()
		_, _ = v.Len()
		_ = v.Clone()
	})
}
