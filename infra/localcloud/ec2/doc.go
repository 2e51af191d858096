// Package ec2 emulates the part of Amazon EC2 that launches and watches
// instances — RunInstances, DescribeInstances and TerminateInstances — over
// the real EC2 query protocol (form-encoded Action=…&Version=2016-11-15,
// XML answers in the 2016-11-15 namespace), so the official SDK clients and
// the aws CLI talk to it unchanged.
//
// It models the AWS behaviours that callers must cope with and that other
// emulators leave out: ClientToken idempotency (IdempotentParameterMismatch),
// DryRun, a pending state that lasts Options.BootDelay, launches that die
// (pending → terminated with a StateReason), eventual consistency
// (InvalidInstanceID.NotFound for a young instance, Options.NotFoundFor), an
// API rate limit answering RequestLimitExceeded, and injected failures such
// as InsufficientInstanceCapacity.
//
// Instance states are computed from timestamps (launch time, termination
// time) and the service clock, so no timers run: with a fake clock a test
// moves instances through their states by advancing the clock.
//
// HTTP statuses follow what AWS answers on the wire: client errors 400,
// DryRunOperation 412, RequestLimitExceeded and Unavailable 503,
// InsufficientInstanceCapacity and InternalError 500. The Go SDK retries
// RequestLimitExceeded (a throttle code) and every 500/503.
//
// Files: ec2.go declares the service and its operation table, query.go
// reads and validates the inputs, xml.go shapes the outputs, errors.go
// the errors; model.go is the model of instances and their states,
// instances.go the operations on them, faults.go injected failures,
// store.go the state on disk.
package ec2
