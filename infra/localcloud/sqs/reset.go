package sqs

import (
	"fmt"
	"maps"
	"slices"
)

// Reset deletes every queue, as DeleteQueue on each would, in one commit,
// and cancels and forgets every message move task: a test suite calls it
// between tests so that no queue, message or task leaks from one into the
// next.
func (s *Service) Reset() error {
	s.tasks.mu.Lock()
	for _, t := range s.tasks.byID {
		if t.status == "RUNNING" {
			t.status = "CANCELLING"
			t.cancel()
		}
	}
	clear(s.tasks.byID)
	s.tasks.mu.Unlock()
	s.mu.Lock()
	qs := slices.Collect(maps.Values(s.queues))
	if err := s.dropQueues(qs...); err != nil {
		return fmt.Errorf("sqs reset: %w", err)
	}
	return nil
}

// Summary counts the queues and the messages they hold, for the
// emulator's health report.
func (s *Service) Summary() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, q := range s.queues {
		q.mu.Lock()
		n += len(q.msgs)
		q.mu.Unlock()
	}
	return map[string]int{"queues": len(s.queues), "messages": n}
}
