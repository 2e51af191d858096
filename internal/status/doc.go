// Package status records launch requests and their progress: a forward-only
// status with an appended history, and the Idempotency-Key claims that make
// a retried POST return the first request's id. Two stores implement it:
// DynamoDB (deployed) and an embedded bbolt file (local mode); one
// conformance suite runs against both.
package status
