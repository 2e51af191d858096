// Package localtest counts where the local pipeline left every launch
// request it accepted, for the fault and load tests of the local mode
// (docs/architecture.md, "Tests").
//
// A request ends in exactly one terminal state: RUNNING with exactly the
// instances it asked for, FAILED with a reason, or its event in a
// dead-letter queue with a reason. Audit does not take the status table's
// word for it: it reads the status (GET /launches/{id}, through the API
// function), the instances localcloud's EC2 holds under the request's tag,
// and every dead-letter queue of the template, over the AWS SDK, and
// reports each request that is in none of the states, in two, or whose
// evidence disagrees (RUNNING with a second set of instances, FAILED with
// instances still running, a dead letter without a reason).
package localtest
