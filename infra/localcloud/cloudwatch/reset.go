package cloudwatch

import "fmt"

// Reset deletes every alarm and all history, in memory and on disk, and
// drops the notifications not yet sent: a test suite calls it between
// tests so that nothing of one reaches the next.
func (s *Service) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.persist(nil, nil, clearWrites()); err != nil {
		return fmt.Errorf("cloudwatch reset: %w", err)
	}
	clear(s.alarms)
	clear(s.evals)
	s.history, s.outbox = nil, nil
	return nil
}

// Summary counts alarms, those in ALARM, and history items, for the
// emulator's health report.
func (s *Service) Summary() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	inAlarm := 0
	for _, a := range s.alarms {
		if a.StateValue == stateAlarm {
			inAlarm++
		}
	}
	return map[string]int{"alarms": len(s.alarms), "in_alarm": inAlarm, "history": len(s.history)}
}
