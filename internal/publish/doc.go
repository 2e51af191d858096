// Package publish sends event envelopes to an SNS topic in the shape every
// eventchain subscriber expects: the message is the envelope JSON and the
// message attributes carry the event type (which the subscriptions' filter
// policies route on) and the correlation id.
package publish
