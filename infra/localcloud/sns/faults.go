package sns

import "github.com/eventchain/eventchain/infra/localcloud/faults"

// FailDeliveries makes the next d.Count deliveries to d.Endpoint (every
// one, for faults.UntilCleared) fail as if the endpoint had refused them
// through all of SNS's retries: each goes to its subscription's
// dead-letter queue, if it has one, and counts as a failed delivery. A
// rule with a zero Count does nothing.
func (s *Service) FailDeliveries(d faults.Delivery) { s.deliveryFaults.Add(d) }

// DeliveryFaults returns the pending delivery failures, with their counts
// left.
func (s *Service) DeliveryFaults() []faults.Delivery { return s.deliveryFaults.List() }

// ClearDeliveryFaults drops every pending delivery failure.
func (s *Service) ClearDeliveryFaults() { s.deliveryFaults.Clear() }

// takeDeliveryFault consumes the first pending failure of a delivery to
// tg, reporting whether there was one.
func (s *Service) takeDeliveryFault(tg target) bool {
	_, ok := s.deliveryFaults.Take(func(d faults.Delivery) bool { return d.Matches(tg.endpoint, tg.subARN) })
	return ok
}
