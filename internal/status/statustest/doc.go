// Package statustest is the conformance suite for status.Store: every
// implementation runs the same tests, so the embedded store used locally
// and DynamoDB deployed behave alike (conditional creates, forward-only
// transitions, one winner per Idempotency-Key).
package statustest
