package local

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"
)

// RecordLog is one consumer record's outcome, as its function logged it
// ("record processed"): the readable log of `eventchain run` prints one
// line per record from these, when that record is done.
type RecordLog struct {
	Time         time.Time
	Function     string
	RequestID    string
	EventType    string
	ReceiveCount string
	// Outcome is the consumer runner's: acked, retry, dead_lettered,
	// failed, panic or skipped.
	Outcome   string
	ErrorCode string
	Error     string
	Duration  time.Duration
}

// functionLog receives a function's JSON log, as CloudWatch Logs does in
// AWS: the local mode reads the functions' own structured records instead
// of guessing outcomes from batch responses. Lines at or above level are
// copied to out; "record processed" lines also go to observe.
type functionLog struct {
	mu      sync.Mutex
	pending []byte
	out     io.Writer
	level   slog.Level
	observe func(RecordLog)
}

func (l *functionLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, p...)
	for {
		i := bytes.IndexByte(l.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.line(l.pending[:i+1])
		l.pending = l.pending[i+1:]
	}
}

// line handles one complete line; one that is not a JSON record (a
// panic's trace, a library's print) is copied as it is.
func (l *functionLog) line(b []byte) {
	var rec struct {
		Time         time.Time `json:"time"`
		Level        string    `json:"level"`
		Msg          string    `json:"msg"`
		Function     string    `json:"function"`
		RequestID    string    `json:"request_id"`
		EventType    string    `json:"event_type"`
		ReceiveCount string    `json:"receive_count"`
		Outcome      string    `json:"outcome"`
		ErrorCode    string    `json:"error_code"`
		Error        string    `json:"error"`
		DurationMS   float64   `json:"duration_ms"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		l.copy(b)
		return
	}
	if rec.Msg == "record processed" && l.observe != nil {
		l.observe(RecordLog{
			Time: rec.Time, Function: rec.Function, RequestID: rec.RequestID, EventType: rec.EventType,
			ReceiveCount: rec.ReceiveCount, Outcome: rec.Outcome, ErrorCode: rec.ErrorCode, Error: rec.Error,
			Duration: time.Duration(rec.DurationMS * float64(time.Millisecond)),
		})
	}
	var level slog.Level
	if level.UnmarshalText([]byte(rec.Level)) != nil || level >= l.level {
		l.copy(b)
	}
}

func (l *functionLog) copy(b []byte) {
	if l.out != nil {
		l.out.Write(b) //nolint:errcheck // a log sink that fails has nowhere to report to
	}
}
