package storage

import (
	"errors"
	"log/slog"
	"sync"
	"time"
)

// State is what the services sharing one data directory know about its
// writes: whether the last one succeeded, since when it has not, and a
// hook tests use to make writes fail as a full disk would. It is safe for
// concurrent use; a nil *State stands for memory-only state.
type State struct {
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	err      error     // the failure writes are in; nil when they succeed
	since    time.Time // when err began
	failures int64     // failed writes in all
	fault    error     // injected: every write fails with it while set
}

// NewState returns the state of a data directory; log receives one line
// when writes start failing and one when they succeed again.
func NewState(log *slog.Logger) *State {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &State{log: log, now: time.Now}
}

// Logger is where the storage layer reports what it found and did.
func (s *State) Logger() *slog.Logger {
	if s == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.log
}

// Failed records a write that failed. Only the first failure of a run of
// them is logged: a full disk fails every request until space is freed,
// and one line with the cause says all there is to say.
func (s *State) Failed(err error) {
	if s == nil || err == nil {
		return
	}
	s.mu.Lock()
	first := s.err == nil
	s.failures++
	if first {
		s.err, s.since = err, s.now()
	}
	s.mu.Unlock()
	if first {
		s.log.Error("localcloud storage: a write failed; changes are refused and rolled back until writes succeed again", "err", err)
	}
}

// Succeeded records a write that reached the disk, ending a run of
// failures.
func (s *State) Succeeded() {
	if s == nil {
		return
	}
	s.mu.Lock()
	was, since := s.err, s.since
	s.err = nil
	s.mu.Unlock()
	if was != nil {
		s.log.Info("localcloud storage: writes succeed again", "failed_for", s.now().Sub(since).Round(time.Millisecond).String(), "cause_was", was.Error())
	}
}

// Err returns the failure writes are in, or nil.
func (s *State) Err() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Status is the storage part of the health report.
type Status struct {
	// State is "memory" (no data directory), "ok" or "failing".
	State        string     `json:"state"`
	Error        string     `json:"error,omitempty"`
	Since        *time.Time `json:"since,omitempty"`
	FailedWrites int64      `json:"failedWrites"`
}

// Status reports the state of the writes.
func (s *State) Status() Status {
	if s == nil {
		return Status{State: "memory"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{State: "ok", FailedWrites: s.failures}
	if s.err != nil {
		since := s.since
		st.State, st.Error, st.Since = "failing", s.err.Error(), &since
	}
	return st
}

// InjectFault makes every later write fail with err, as a full disk or a
// failing device would, until it is called with nil.
func (s *State) InjectFault(err error) {
	s.mu.Lock()
	s.fault = err
	s.mu.Unlock()
}

// Fault returns the injected write failure, if any. Writers call it just
// before they write.
func (s *State) Fault() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

// ErrInjected is a convenient fault for InjectFault.
var ErrInjected = errors.New("injected write failure")

// Write runs a write of the database (a bbolt transaction), failing it
// with the injected fault if any, and records its outcome.
func (s *State) Write(write func() error) error {
	if err := s.Fault(); err != nil {
		s.Failed(err)
		return err
	}
	if err := write(); err != nil {
		s.Failed(err)
		return err
	}
	s.Succeeded()
	return nil
}
