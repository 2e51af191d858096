package sns

import (
	"fmt"
	"maps"
	"slices"
)

// Reset deletes every topic and subscription, as DeleteTopic on each
// would, in one transaction: a test suite calls it between tests so that
// no topic or subscription leaks from one into the next. Pending delivery
// faults are kept: they are the emulator's configuration, cleared through
// its faults endpoint.
func (s *Service) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	topics := slices.Collect(maps.Keys(s.topics))
	subs := slices.Collect(maps.Keys(s.subs))
	if err := s.persist(nil, nil, topics, subs); err != nil {
		return fmt.Errorf("sns reset: %w", err)
	}
	clear(s.topics)
	clear(s.subs)
	clear(s.byTopic)
	return nil
}

// Summary counts topics and subscriptions, for the emulator's health
// report.
func (s *Service) Summary() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return map[string]int{"topics": len(s.topics), "subscriptions": len(s.subs)}
}
