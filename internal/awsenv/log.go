package awsenv

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// LogLevelKey names the setting of a function's log level (the template's
// LogLevel parameter).
const LogLevelKey = "LOG_LEVEL"

// NewLogger returns the JSON logger a function writes to w (stderr in
// Lambda) at the level LOG_LEVEL names: DEBUG, INFO, WARN or ERROR, in any
// case, INFO when unset or empty. Any other value is an error, not a quiet
// INFO, so a mistyped level fails the cold start instead of hiding the
// debug lines someone asked for.
func NewLogger(w io.Writer, lookup Lookup) (*slog.Logger, error) {
	v, _ := lookup(LogLevelKey)
	level, err := logLevel(v)
	if err != nil {
		return nil, err
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})), nil
}

func logLevel(v string) (slog.Level, error) {
	switch strings.ToUpper(v) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "", "INFO":
		return slog.LevelInfo, nil
	case "WARN":
		return slog.LevelWarn, nil
	case "ERROR":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("setting %s=%q: want DEBUG, INFO, WARN or ERROR", LogLevelKey, v)
}
