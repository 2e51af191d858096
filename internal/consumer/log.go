package consumer

import (
	"io"
	"log/slog"
	"strings"

	"github.com/eventchain/eventchain/internal/awsenv"
)

// NewLogger returns the slog JSON logger a consumer function writes to w
// (stderr in Lambda), at the level named by LOG_LEVEL (debug, info, warn,
// error; info when unset or unknown).
func NewLogger(w io.Writer, lookup awsenv.Lookup) *slog.Logger {
	level := slog.LevelInfo
	if v, ok := lookup("LOG_LEVEL"); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "debug":
			level = slog.LevelDebug
		case "warn", "warning":
			level = slog.LevelWarn
		case "error":
			level = slog.LevelError
		}
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
