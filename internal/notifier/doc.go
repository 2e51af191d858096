// Package notifier is the notifier function: it consumes every terminal
// event of the catalog (event.Spec.Terminal: instance.running and
// launch.failed today, any later workflow's tomorrow) and closes the
// request.
//
// Per record it moves the request to the event's FinalStatus (recording
// instanceIds and, for a failure, the error's code and message) and, unless
// the request is already marked notified, publishes a Notification to
// NOTIFICATIONS_TOPIC_ARN and marks it notified.
//
// Terminal payloads are read generically: requestId, instanceIds, and code
// and message when the final status is FAILED. A new terminal event needs
// a catalog entry with those field names, not new notifier code.
//
// The first terminal event wins: a RUNNING arriving after FAILED (or the
// reverse) is refused by the store as not forward; the notifier logs it,
// acknowledges the record and still notifies if the notification of the
// winning status was not yet sent. A redelivered event therefore changes
// nothing and notifies nothing. The notification is at-least-once: a crash
// or a MarkNotified failure between the publish and the record sends it
// again on redelivery, so subscribers should de-duplicate on requestId.
//
// A terminal event for a request the store does not know cannot be
// recorded by retrying: it is dead-lettered with code RequestNotFound, so
// an operator sees it (and may redrive it once the request exists).
//
// Notification messages carry the message attributes type =
// "notification.<status in lower case>" (notification.running,
// notification.failed), status = the final status and correlationid, so
// subscribers can filter on any of them.
package notifier
