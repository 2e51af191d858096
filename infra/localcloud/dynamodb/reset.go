package dynamodb

import "fmt"

// Reset deletes every table, as DeleteTable on each would, in one commit,
// and forgets TransactWriteItems tokens: a test suite calls it between
// tests so that no table or item leaks from one into the next.
func (s *Service) Reset() error {
	s.mu.Lock()
	cs := &changeSet{}
	for name, t := range s.tables {
		delete(s.tables, name)
		cs.add(change{table: name, dropTable: true}, func() { s.tables[name] = t })
	}
	s.tokens = tokens{}
	ch := s.commit(cs)
	s.mu.Unlock()
	if err := wait(ch); err != nil {
		return fmt.Errorf("dynamodb reset: %w", err)
	}
	return nil
}

// Summary counts tables and items, for the emulator's health report.
func (s *Service) Summary() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, t := range s.tables {
		n += len(t.items)
	}
	return map[string]int{"tables": len(s.tables), "items": n}
}
