package awsproto

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

func TestTimestampJSON(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"whole seconds", time.Unix(1735689600, 0), "1735689600"},
		{"milliseconds", time.UnixMilli(1735689600250), "1735689600.250"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(TimestampOf(tc.in))
			if err != nil || string(b) != tc.want {
				t.Fatalf("marshal = %s, %v; want %s", b, err, tc.want)
			}
			var back Timestamp
			if err := json.Unmarshal(b, &back); err != nil || !back.Equal(tc.in) {
				t.Errorf("round trip = %v, %v; want %v", back.Time, err, tc.in)
			}
		})
	}
	var fromString Timestamp
	if err := json.Unmarshal([]byte(`"2025-01-02T03:04:05.5Z"`), &fromString); err != nil || !fromString.Equal(time.Date(2025, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
		t.Errorf("RFC 3339 = %v, %v", fromString.Time, err)
	}
	for _, bad := range []string{`"yesterday"`, `true`, `1e999`} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(bad), &ts); err == nil {
			t.Errorf("%s read as %v, want an error", bad, ts.Time)
		}
	}
}

// TestTimestampCBOR: tag 1 on the way out, as the SDKs require, and both
// tagged and untagged epochs on the way in.
func TestTimestampCBOR(t *testing.T) {
	in := time.UnixMilli(1735689600250).UTC()
	b, err := MarshalCBOR(struct {
		At Timestamp `json:"At"`
	}{TimestampOf(in)})
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]cbor.RawTag
	if err := cbor.Unmarshal(b, &raw); err != nil || raw["At"].Number != 1 {
		t.Fatalf("At is not tag 1: %x (%v)", b, err)
	}
	var out struct {
		At *Timestamp `json:"At"`
	}
	if err := UnmarshalCBOR(b, &out); err != nil || out.At == nil || !out.At.Equal(in) {
		t.Errorf("round trip = %v, %v; want %v", out.At, err, in)
	}
	untagged, _ := cbor.Marshal(map[string]float64{"At": 1735689600.25})
	out.At = nil
	if err := UnmarshalCBOR(untagged, &out); err != nil || out.At == nil || !out.At.Equal(in) {
		t.Errorf("untagged epoch = %v, %v; want %v", out.At, err, in)
	}
}
