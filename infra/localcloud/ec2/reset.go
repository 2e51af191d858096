package ec2

import "fmt"

// Reset forgets every instance, reservation and client token, in memory
// and on disk: a test suite calls it between tests so that no instance
// leaks from one into the next. Instance ids keep counting up, so while
// the emulator runs an id seen before a reset never names another
// instance after it. Injected image faults are kept: they are the
// emulator's configuration.
func (s *Service) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store != nil {
		if err := s.store.clear(); err != nil {
			return fmt.Errorf("ec2 reset: %w", err)
		}
	}
	clear(s.instances)
	clear(s.reservations)
	clear(s.tokens)
	s.order = nil
	return nil
}

// Summary counts the instances still describable, for the emulator's
// health report.
func (s *Service) Summary() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]int{"instances": len(s.instances)}
}
