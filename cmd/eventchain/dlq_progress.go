package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows how far a long operation is: a bar on a terminal, and
// otherwise (logs, CI, a pipe) a line every few seconds when lines were
// asked for, so that a slow move task still shows it is alive.
type progress struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	w     io.Writer
	what  string
	max   int64
	lines bool
	last  time.Time
	n     int64
}

// newProgress starts the progress of max steps (-1 when unknown).
func (e *dlqEnv) newProgress(what string, max int64, lines bool) *progress {
	p := &progress{w: e.stderr, what: what, max: max, lines: lines, last: time.Now()}
	if e.tty {
		p.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("msg"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// set reports n steps done and, when it changed, the new total.
func (p *progress) set(n, max int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n = n
	if max >= 0 && max != p.max {
		p.max = max
		if p.bar != nil {
			p.bar.ChangeMax64(max)
		}
	}
	if p.bar != nil {
		_ = p.bar.Set64(n)
		return
	}
	if p.lines && time.Since(p.last) >= 2*time.Second {
		p.last = time.Now()
		fmt.Fprintf(p.w, "%s: %d of %d\n", p.what, n, p.max)
	}
}

// done removes the bar.
func (p *progress) done() {
	if p == nil || p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Finish()
}
