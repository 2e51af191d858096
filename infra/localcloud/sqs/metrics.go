package sqs

import "time"

// poisonReceives is the receive count from which SQS leaves a message out
// of ApproximateAgeOfOldestMessage: a message received three times or more
// without being deleted goes to the back of the queue for the metric.
const poisonReceives = 3

// QueueMetrics reads what CloudWatch's AWS/SQS metrics of the named queue
// would show now: ApproximateNumberOfMessagesVisible, and
// ApproximateAgeOfOldestMessage, the age of the oldest message not yet
// deleted (visible or in flight; delayed messages have not arrived yet).
// As in SQS, messages received three times or more count for the age only
// when nothing else is left, and a message moved to a dead-letter queue
// keeps its original enqueue time. ok is false when no such queue exists.
func (s *Service) QueueMetrics(name string) (visible int, oldestAge time.Duration, ok bool) {
	q, e := s.queueByName(name)
	if e != nil {
		return 0, 0, false
	}
	now := s.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return 0, 0, false
	}
	q.promote(now.UnixMilli())
	var oldest, oldestPoison int64
	for _, m := range q.msgs {
		switch {
		case m.State == stateDelayed:
		case m.ReceiveCount >= poisonReceives:
			if oldestPoison == 0 || m.Sent < oldestPoison {
				oldestPoison = m.Sent
			}
		default:
			if oldest == 0 || m.Sent < oldest {
				oldest = m.Sent
			}
		}
	}
	if oldest == 0 {
		oldest = oldestPoison
	}
	if oldest != 0 {
		oldestAge = max(now.Sub(time.UnixMilli(oldest)), 0)
	}
	return q.counts[stateVisible], oldestAge, true
}
