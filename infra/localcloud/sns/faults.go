package sns

import (
	"slices"
	"sync"

	"github.com/eventchain/eventchain/infra/localcloud/faults"
)

// deliveryFaults holds the injected delivery failures, consumed in the
// order they were injected.
type deliveryFaults struct {
	mu    sync.Mutex
	rules []faults.Delivery
}

// FailDeliveries makes the next d.Count deliveries to d.Endpoint (every
// one, for faults.UntilCleared) fail as if the endpoint had refused them
// through all of SNS's retries: each goes to its subscription's
// dead-letter queue, if it has one, and counts as a failed delivery. A
// rule with a zero Count does nothing.
func (s *Service) FailDeliveries(d faults.Delivery) {
	if d.Count == 0 {
		return
	}
	s.deliveryFaults.mu.Lock()
	defer s.deliveryFaults.mu.Unlock()
	s.deliveryFaults.rules = append(s.deliveryFaults.rules, d)
}

// DeliveryFaults returns the pending delivery failures, with their counts
// left.
func (s *Service) DeliveryFaults() []faults.Delivery {
	s.deliveryFaults.mu.Lock()
	defer s.deliveryFaults.mu.Unlock()
	return slices.Clone(s.deliveryFaults.rules)
}

// ClearDeliveryFaults drops every pending delivery failure.
func (s *Service) ClearDeliveryFaults() {
	s.deliveryFaults.mu.Lock()
	defer s.deliveryFaults.mu.Unlock()
	s.deliveryFaults.rules = nil
}

// takeDeliveryFault consumes the first pending failure of a delivery to
// tg, reporting whether there was one.
func (s *Service) takeDeliveryFault(tg target) bool {
	s.deliveryFaults.mu.Lock()
	defer s.deliveryFaults.mu.Unlock()
	i := slices.IndexFunc(s.deliveryFaults.rules, func(d faults.Delivery) bool { return d.Matches(tg.endpoint, tg.subARN) })
	if i < 0 {
		return false
	}
	if d := &s.deliveryFaults.rules[i]; d.Count != faults.UntilCleared {
		d.Count--
		if d.Count == 0 {
			s.deliveryFaults.rules = slices.Delete(s.deliveryFaults.rules, i, i+1)
		}
	}
	return true
}
