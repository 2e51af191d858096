package sns

import (
	"fmt"
	"maps"
	"slices"

	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// Reset deletes every topic and subscription, as DeleteTopic on each
// would, the opted-out phone numbers and the SMS settings, in one
// transaction, forgets what was sent by SMS and email, and stops every
// HTTP/S delivery under way: a test suite calls it between tests so that
// nothing leaks from one into the next. Pending delivery faults are kept:
// they are the emulator's configuration, cleared through its faults
// endpoint. So is the signing key, which subscribers may have cached.
func (s *Service) Reset() error {
	if err := s.resetState(); err != nil {
		return fmt.Errorf("sns reset: %w", err)
	}
	s.sent.clear()
	// After the state went: a publish that took its targets before
	// queues nothing that survives.
	s.http.reset()
	return nil
}

func (s *Service) resetState() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.smsMu.Lock()
	defer s.smsMu.Unlock()
	var ws []storage.Write
	for arn := range s.topics {
		ws = append(ws, storage.Write{Bucket: bucketTopics, Key: []byte(arn)})
	}
	for arn := range s.subs {
		ws = append(ws, storage.Write{Bucket: bucketSubs, Key: []byte(arn)})
	}
	for _, n := range slices.Sorted(maps.Keys(s.optOuts)) {
		ws = append(ws, storage.Write{Bucket: bucketOptedOut, Key: []byte(n)})
	}
	for _, k := range slices.Sorted(maps.Keys(s.smsAttrs)) {
		ws = append(ws, storage.Write{Bucket: bucketSMSAttrs, Key: []byte(k)})
	}
	if err := s.commit(ws...); err != nil {
		return err
	}
	clear(s.topics)
	clear(s.subs)
	clear(s.byTopic)
	clear(s.optOuts)
	clear(s.smsAttrs)
	return nil
}

// Summary counts topics and subscriptions, for the emulator's health
// report.
func (s *Service) Summary() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return map[string]int{"topics": len(s.topics), "subscriptions": len(s.subs)}
}
