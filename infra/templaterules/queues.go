package templaterules

import (
	"fmt"
	"slices"

	"github.com/eventchain/eventchain/infra/samtemplate"
)

// maxRetention is the longest MessageRetentionPeriod SQS allows, 14 days.
const maxRetention = 1209600

// queueRedrive checks that every queue that is not itself a DLQ redrives to a DLQ of the template, so what keeps failing ends where a person sees it.
func queueRedrive(t *samtemplate.Resolved) []Finding {
	var out []Finding
	dlqs := t.DeadLetterQueues()
	for _, q := range t.Queues {
		if slices.Contains(dlqs, q.LogicalID) {
			continue
		}
		if q.RedrivePolicy == nil || q.RedrivePolicy.DeadLetterQueue == "" {
			out = append(out, Finding{
				Resource: q.LogicalID,
				Problem:  "has no RedrivePolicy to a DLQ of the template, so a record that keeps failing is retried until it expires, unseen",
				Fix:      "add an AWS::SQS::Queue as its DLQ and set RedrivePolicy: {deadLetterTargetArn: !GetAtt <DLQ>.Arn, maxReceiveCount: …}",
			})
		}
	}
	return out
}

// dlqOutlivesSource checks that a queue's DLQ keeps messages longer than the queue, since a DLQ keeps a message's original enqueue time.
func dlqOutlivesSource(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, q := range t.Queues {
		if q.RedrivePolicy == nil || q.RedrivePolicy.DeadLetterQueue == "" {
			continue
		}
		dlq, _ := t.Queue(q.RedrivePolicy.DeadLetterQueue)
		if dlq.MessageRetentionPeriod <= q.MessageRetentionPeriod {
			fix := fmt.Sprintf("raise %s's MessageRetentionPeriod above %d (SQS allows up to %d, 14 days), or lower %s's",
				dlq.LogicalID, q.MessageRetentionPeriod, maxRetention, q.LogicalID)
			if q.MessageRetentionPeriod >= maxRetention {
				fix = fmt.Sprintf("lower %s's MessageRetentionPeriod below %d and give %s %d, SQS's maximum (14 days)",
					q.LogicalID, maxRetention, dlq.LogicalID, maxRetention)
			}
			out = append(out, Finding{
				Resource: q.LogicalID,
				Problem: fmt.Sprintf("keeps messages %d s and its DLQ %s only %d s: a message reaches the DLQ with its original enqueue time, so the DLQ may drop it at once",
					q.MessageRetentionPeriod, dlq.LogicalID, dlq.MessageRetentionPeriod),
				Fix: fix,
			})
		}
	}
	return out
}

// subscriptionRawDelivery checks that every SQS subscription delivers raw messages, since consumers read the envelope as the body and route on message attributes.
func subscriptionRawDelivery(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, s := range sqsSubscriptions(t) {
		if !s.RawMessageDelivery {
			out = append(out, Finding{
				Resource: s.LogicalID,
				Problem:  "RawMessageDelivery is off: the queue would receive SNS's JSON wrapper, not the event, and no message attributes",
				Fix:      "set RawMessageDelivery: true",
			})
		}
	}
	return out
}

// subscriptionDLQ checks that every SQS subscription has a DLQ of its own, for what SNS fails to deliver to its queue.
func subscriptionDLQ(t *samtemplate.Resolved) []Finding {
	var out []Finding
	users := map[string][]string{} // DLQ → what dead-letters to it
	for _, q := range t.Queues {
		if q.RedrivePolicy != nil && q.RedrivePolicy.DeadLetterQueue != "" {
			users[q.RedrivePolicy.DeadLetterQueue] = append(users[q.RedrivePolicy.DeadLetterQueue], q.LogicalID)
		}
	}
	for _, s := range t.Subscriptions {
		if s.DeadLetterQueue != "" {
			users[s.DeadLetterQueue] = append(users[s.DeadLetterQueue], s.LogicalID)
		}
	}
	for _, s := range sqsSubscriptions(t) {
		switch {
		case s.DeadLetterQueue == "":
			out = append(out, Finding{
				Resource: s.LogicalID,
				Problem:  "has no RedrivePolicy to a DLQ of the template: what SNS fails to deliver to the queue is lost",
				Fix:      "add an AWS::SQS::Queue for it and set RedrivePolicy: {deadLetterTargetArn: !GetAtt <its DLQ>.Arn}",
			})
		case len(users[s.DeadLetterQueue]) > 1:
			out = append(out, Finding{
				Resource: s.LogicalID,
				Problem: fmt.Sprintf("shares its DLQ %s with %v: a delivery failure must be redriven to its own queue, which a shared DLQ no longer tells",
					s.DeadLetterQueue, slices.DeleteFunc(slices.Clone(users[s.DeadLetterQueue]), func(id string) bool { return id == s.LogicalID })),
				Fix: "give the subscription a DLQ of its own",
			})
		}
	}
	return out
}

// subscriptionQueuePolicy checks that a queue policy lets each SQS subscription's topic, on its behalf only, send to the queue and to the subscription's DLQ.
func subscriptionQueuePolicy(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, s := range sqsSubscriptions(t) {
		if s.EndpointQueue == "" {
			out = append(out, Finding{
				Resource: s.LogicalID,
				Problem:  fmt.Sprintf("endpoint %s is no queue of the template", s.Endpoint),
				Fix:      "set Endpoint: !GetAtt <queue>.Arn of a queue declared in the template",
			})
			continue
		}
		for _, q := range []string{s.EndpointQueue, s.DeadLetterQueue} {
			if q == "" || snsMaySend(t, s.TopicARN, q) {
				continue
			}
			out = append(out, Finding{
				Resource: s.LogicalID,
				Problem:  fmt.Sprintf("no queue policy lets topic %s send to %s (SAM adds none for a subscription), so SNS's deliveries are refused", s.Topic, q),
				Fix: fmt.Sprintf("list %s in an AWS::SQS::QueuePolicy's Queues and Resource, in a statement allowing sqs:SendMessage to Service sns.amazonaws.com on Condition ArnEquals aws:SourceArn: !Ref %s",
					q, s.Topic),
			})
		}
	}
	return out
}

// depthAlarm checks that every DLQ and every queue no function consumes has a depth alarm (one visible message) notifying a topic of the template.
func depthAlarm(t *samtemplate.Resolved) []Finding {
	consumed := map[string]bool{}
	for _, f := range t.Functions {
		for _, ev := range f.SQSEvents {
			consumed[ev.Queue] = true
		}
	}
	dlqs := t.DeadLetterQueues()
	alarmed := alarmedQueues(t)
	var out []Finding
	for _, q := range t.Queues {
		var why string
		switch {
		case alarmed[q.LogicalID]:
			continue
		case slices.Contains(dlqs, q.LogicalID):
			why = "is a DLQ"
		case !consumed[q.LogicalID]:
			why = "is consumed by no function"
		default:
			continue
		}
		out = append(out, Finding{
			Resource: q.LogicalID,
			Problem:  why + " but has no depth alarm notifying a topic of the template: what lands there needs a person, and nobody would know",
			Fix: fmt.Sprintf("add an AWS::CloudWatch::Alarm on AWS/SQS ApproximateNumberOfMessagesVisible, Dimensions QueueName: !GetAtt %s.QueueName, "+
				"Threshold 1, ComparisonOperator GreaterThanOrEqualToThreshold, AlarmActions: [!Ref <a topic of the template>]", q.LogicalID),
		})
	}
	return out
}

// sqsSubscriptions are the subscriptions that deliver to SQS.
func sqsSubscriptions(t *samtemplate.Resolved) []samtemplate.Subscription {
	var out []samtemplate.Subscription
	for _, s := range t.Subscriptions {
		if s.Protocol == "sqs" {
			out = append(out, s)
		}
	}
	return out
}

// alarmedQueues lists the queues with a depth alarm that fires on one
// visible message and notifies topics of the template only.
func alarmedQueues(t *samtemplate.Resolved) map[string]bool {
	topics := map[string]bool{}
	for _, tp := range t.Topics {
		topics[tp.ARN] = true
	}
	out := map[string]bool{}
	for _, a := range t.Alarms {
		if a.Namespace != "AWS/SQS" || a.MetricName != "ApproximateNumberOfMessagesVisible" {
			continue
		}
		fires := (a.ComparisonOperator == "GreaterThanOrEqualToThreshold" && a.Threshold <= 1) ||
			(a.ComparisonOperator == "GreaterThanThreshold" && a.Threshold < 1)
		if !fires || len(a.AlarmActions) == 0 {
			continue
		}
		notifies := true
		for _, act := range a.AlarmActions {
			notifies = notifies && topics[act]
		}
		if !notifies {
			continue
		}
		for _, q := range t.Queues {
			if a.Dimensions["QueueName"] == q.Name {
				out[q.LogicalID] = true
			}
		}
	}
	return out
}

// snsMaySend reports whether a queue policy attached to the queue allows
// sns.amazonaws.com to SendMessage to it on behalf of the topic.
func snsMaySend(t *samtemplate.Resolved, topicARN, queue string) bool {
	q, ok := t.Queue(queue)
	if !ok {
		return false
	}
	for _, p := range t.QueuePolicies {
		if !slices.Contains(p.Queues, queue) {
			continue
		}
		for _, s := range p.Document.Statement {
			if s.Effect != "Allow" || !slices.Contains(s.Principal["Service"], "sns.amazonaws.com") {
				continue
			}
			if !slices.Contains(s.Action, "sqs:SendMessage") && !slices.Contains(s.Action, "sqs:*") {
				continue
			}
			if !slices.Contains(s.Resource, q.ARN) {
				continue
			}
			for _, op := range []string{"ArnEquals", "ArnLike", "StringEquals"} {
				if slices.Contains(s.Condition[op]["aws:SourceArn"], topicARN) {
					return true
				}
			}
		}
	}
	return false
}

// dlqHoldsDeadLetters checks that a consumed queue's DLQ takes messages larger than the queue does, since a consumer dead-letters a record with its error attributes added.
func dlqHoldsDeadLetters(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, f := range t.Functions {
		for _, ev := range f.SQSEvents {
			q, _ := t.Queue(ev.Queue)
			if q.RedrivePolicy == nil {
				continue
			}
			dlq, ok := t.Queue(q.RedrivePolicy.DeadLetterQueue)
			if !ok || dlq.MaximumMessageSize > q.MaximumMessageSize {
				continue
			}
			out = append(out, Finding{
				Resource: dlq.LogicalID,
				Problem: fmt.Sprintf("MaximumMessageSize %d is not above %s's %d: %s dead-letters a record as its body plus error attributes, which SQS refuses for a body near the limit, so the record keeps failing until the redrive policy moves it without its reason",
					dlq.MaximumMessageSize, q.LogicalID, q.MaximumMessageSize, f.LogicalID),
				Fix: "set the DLQ's MaximumMessageSize to 1048576",
			})
		}
	}
	return out
}
