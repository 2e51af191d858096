package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// FuzzDecode feeds SQS record bodies to Decode. Whatever it is given, it
// must not panic, must refuse with ErrMalformed (which the consumers turn
// into a dead letter rather than a retry loop), and what it accepts must
// be one JSON value holding a checked envelope that survives the
// marshal/Decode trip every hop makes when it stores or forwards an event.
// The seeds under testdata/fuzz/FuzzDecode are the envelopes of the
// events/ fixtures and the crashers found so far.
func FuzzDecode(f *testing.F) {
	at := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	for _, typ := range []string{TypeLaunchRequested, TypeInstanceLaunched, TypeInstanceRunning, TypeLaunchFailed} {
		ev, err := New(typ, Meta{Source: "eventchain/api", Subject: NewID(), CorrelationID: NewID(), CausationID: NewID(), Time: at},
			map[string]any{"requestId": "r", "instanceIds": []string{"i-0123456789abcdef0"}})
		if err != nil {
			f.Fatal(err)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("Decode accepted %q, which is not one JSON value", body)
		}
		checkEnvelope(t, e)

		again, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("accepted envelope does not marshal: %v", err)
		}
		e2, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded envelope %s is refused: %v", again, err)
		}
		sameEnvelope(t, e, e2)
		// A second trip must change nothing at all: the API stores an
		// envelope's bytes and republishes them byte for byte.
		third, err := json.Marshal(e2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(third, again) {
			t.Fatalf("encoding is not stable:\n%s\n%s", again, third)
		}
	})
}

func checkEnvelope(t *testing.T, e Envelope) {
	t.Helper()
	if e.SpecVersion != SpecVersion || e.ID == "" || e.Type == "" || e.Subject == "" {
		t.Fatalf("accepted an envelope missing a required attribute: %+v", e)
	}
	if len(e.Data) == 0 || string(e.Data) == "null" {
		t.Fatalf("accepted an envelope without data: %+v", e)
	}
	if !json.Valid(e.Data) {
		t.Fatalf("accepted data %q that is not JSON", e.Data)
	}
}

// sameEnvelope compares two decodings of one event. Data is compared as
// JSON: marshalling compacts it and escapes HTML, which changes its bytes
// but not its value.
func sameEnvelope(t *testing.T, a, b Envelope) {
	t.Helper()
	if !a.Time.Equal(b.Time) || a.Time.Format(time.RFC3339Nano) != b.Time.Format(time.RFC3339Nano) {
		t.Fatalf("time %v came back as %v", a.Time, b.Time)
	}
	var da, db any
	if err := json.Unmarshal(a.Data, &da); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b.Data, &db); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(da, db) {
		t.Fatalf("data %s came back as %s", a.Data, b.Data)
	}
	a.Time, b.Time, a.Data, b.Data = time.Time{}, time.Time{}, nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("envelope\n%+v\ncame back as\n%+v", a, b)
	}
}
