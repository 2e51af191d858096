package awsproto

import (
	"math"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// stamp reads itself as Timestamp does: a time embedded in a struct with
// its own UnmarshalCBOR.
type stamp struct{ time.Time }

func (s *stamp) UnmarshalCBOR(b []byte) error { return cborDec.Unmarshal(b, &s.Time) }

// TestCBORRefusesNonFiniteTimestamps: the codec reads a NaN or infinite
// epoch as the zero time; a request carrying one is refused as JSON 1.0
// refuses it, wherever the timestamp sits, while a NaN where a number
// belongs is left to the service to judge.
func TestCBORRefusesNonFiniteTimestamps(t *testing.T) {
	type input struct {
		At        *time.Time  `json:"At"`
		Plain     time.Time   `json:"Plain"`
		List      []time.Time `json:"List"`
		Doc       any         `json:"Doc"`
		Wrapped   *stamp      `json:"Wrapped"`
		Threshold *float64    `json:"Threshold"`
	}
	nan, inf := math.NaN(), math.Inf(1)
	tag1 := func(v any) cbor.Tag { return cbor.Tag{Number: 1, Content: v} }
	tests := []struct {
		name    string
		body    map[string]any
		refused bool
	}{
		{"tagged NaN", map[string]any{"At": tag1(nan)}, true},
		{"untagged infinity", map[string]any{"At": inf}, true},
		{"negative infinity in a list", map[string]any{"List": []any{tag1(1735689600), tag1(-inf)}}, true},
		{"NaN under tag 1 in a document", map[string]any{"Doc": map[string]any{"since": tag1(nan)}}, true},
		{"NaN in a type that reads itself", map[string]any{"Wrapped": tag1(nan)}, true},
		{"the first instant of year 1", map[string]any{"At": tag1(-62135596800)}, true},
		{"a finite epoch", map[string]any{"At": tag1(1735689600.25), "List": []any{tag1(0)}}, false},
		{"null", map[string]any{"At": nil}, false},
		{"NaN in a member that is no pointer reads as absent", map[string]any{"Plain": tag1(nan)}, false},
		{"NaN where a number belongs", map[string]any{"Threshold": nan}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := MarshalCBOR(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			var in input
			e := CBOR{}.decode(&request{body: body}, &in)
			switch {
			case tc.refused && (e == nil || e.Status != 400 || e.Code != "SerializationException"):
				t.Errorf("decode = %v, want a 400 SerializationException (read %+v)", e, in)
			case !tc.refused && e != nil:
				t.Errorf("decode = %v, want it read", e)
			}
		})
	}
}
