// Package event holds the CloudEvents 1.0 envelope every eventchain message
// travels in, the payload of each event type, the message attributes that
// SNS filter policies route on, and the catalog: the single list of event
// types with their producers and consumers.
package event
