// Package invoke runs one function of the template the way `sam local
// invoke` does, without Docker: it builds the function's bootstrap as
// `make build` does, starts the Lambda Runtime Interface Emulator (the
// RIE, pinned in go.mod as a tool) with the function's environment and
// nothing else, sends it one event and reports the response, how the
// invocation ended and the REPORT figures.
//
// The RIE runs the real bootstrap over the real Runtime API, but its own
// REPORT is not a measurement: it times Init while the bootstrap is only
// being spawned (init runs on asynchronously and lands in Duration) and
// prints Memory Size as Max Memory Used. So the bootstrap reaches the
// Runtime API through an observer of this package, which times init
// (until the first GET /next), each invocation (from the event handed out
// to the response or error posted) and reads what the runtime reports,
// and Max Memory Used is the bootstrap's peak resident set (VmHWM in
// /proc/<pid>/status), sampled while it lives.
package invoke
