package local

import (
	"bytes"
	"log/slog"
	"testing"
	"time"
)

// TestFunctionLog feeds a function's log through the reader the local mode
// puts in place of stderr: each record line is observed once, whole, even
// when written in pieces; lines below the level are kept off the output;
// lines that are not JSON pass through.
func TestFunctionLog(t *testing.T) {
	var out bytes.Buffer
	var seen []RecordLog
	l := &functionLog{out: &out, level: slog.LevelWarn, observe: func(r RecordLog) { seen = append(seen, r) }}
	retry := `{"time":"2026-12-01T21:52:04.064Z","level":"INFO","msg":"record processed","function":"launcher","request_id":"r1","event_type":"launch.requested","receive_count":"1","error_code":"RequestLimitExceeded","outcome":"retry","duration_ms":3,"error":"throttled"}` + "\n"
	dead := `{"time":"2026-12-01T21:52:05Z","level":"ERROR","msg":"record processed","function":"notifier","receive_count":"1","error_code":"MalformedEvent","outcome":"dead_lettered","duration_ms":0}` + "\n"
	other := `{"time":"2026-12-01T21:52:05Z","level":"INFO","msg":"instances launched"}` + "\n"
	raw := "panic: boom\n"
	for _, piece := range []string{retry[:40], retry[40:] + other, dead + raw[:3], raw[3:]} {
		if _, err := l.Write([]byte(piece)); err != nil {
			t.Fatal(err)
		}
	}
	want := []RecordLog{
		{Time: time.Date(2026, 12, 1, 21, 52, 4, 64e6, time.UTC), Function: "launcher", RequestID: "r1", EventType: "launch.requested",
			ReceiveCount: "1", Outcome: "retry", ErrorCode: "RequestLimitExceeded", Error: "throttled", Duration: 3 * time.Millisecond},
		{Time: time.Date(2026, 12, 1, 21, 52, 5, 0, time.UTC), Function: "notifier", ReceiveCount: "1", Outcome: "dead_lettered", ErrorCode: "MalformedEvent"},
	}
	if len(seen) != len(want) {
		t.Fatalf("observed %d records, want %d: %+v", len(seen), len(want), seen)
	}
	for i := range want {
		if !seen[i].Time.Equal(want[i].Time) {
			t.Errorf("record %d time %s, want %s", i, seen[i].Time, want[i].Time)
		}
		seen[i].Time = want[i].Time
		if seen[i] != want[i] {
			t.Errorf("record %d = %+v, want %+v", i, seen[i], want[i])
		}
	}
	if got, want := out.String(), dead+raw; got != want {
		t.Errorf("copied to output:\n%s\nwant:\n%s", got, want)
	}
}
