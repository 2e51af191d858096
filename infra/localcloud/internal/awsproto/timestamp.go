package awsproto

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Timestamp is a time in an input or output of a service that speaks both
// JSON 1.0 and CBOR. Each protocol has its own timestamp form: AWS JSON
// writes epoch seconds as a number (encoding/json would write RFC 3339,
// which the models do not allow), RPC v2 CBOR epoch seconds under tag 1.
// Both are read back, and JSON also accepts the RFC 3339 strings some
// clients send.
type Timestamp struct{ time.Time }

// TimestampOf wraps t; the zero time stays zero (absent with omitempty on
// a pointer, or written as epoch 0).
func TimestampOf(t time.Time) Timestamp { return Timestamp{t} }

// MarshalJSON writes epoch seconds, with milliseconds when there are any.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return strconv.AppendInt(nil, ms/1000, 10), nil
	}
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', 3, 64), nil
}

// UnmarshalJSON reads epoch seconds (integer or fractional) or an RFC 3339
// string.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("timestamp: %w", err)
		}
		parsed, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("timestamp %q: want epoch seconds or RFC 3339", s)
		}
		t.Time = parsed
		return nil
	}
	secs, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(secs, 0) || math.IsNaN(secs) {
		return fmt.Errorf("timestamp %s: want epoch seconds", b)
	}
	t.Time = epoch(secs)
	return nil
}

// MarshalCBOR writes tag 1 with epoch seconds, as the CBOR codec writes
// every time.Time.
func (t Timestamp) MarshalCBOR() ([]byte, error) { return cborEnc.Marshal(t.Time) }

// UnmarshalCBOR reads a time, tagged or not, in any of the forms the CBOR
// codec accepts.
func (t *Timestamp) UnmarshalCBOR(b []byte) error { return cborDec.Unmarshal(b, &t.Time) }

// epoch converts fractional epoch seconds, kept to the millisecond: the
// precision AWS timestamps have, and what a float64 of seconds carries
// without rounding surprises.
func epoch(secs float64) time.Time {
	return time.UnixMilli(int64(math.Round(secs * 1000))).UTC()
}
