// Package trace turns a launch request, as GET /launches/{id} answers it,
// into a timeline a person reads top to bottom: each status change and
// each function's handling of the request's events (hops), with the time
// each event waited in its queue, how long it took, every retry and its
// reason, and where the request is now.
//
// It reads what the status store records and nothing else, so it works
// the same against the local mode and a deployed stack; what it cannot
// know (a message received by a function that then stopped) it says it
// cannot know, with the queue's visibility timeout when one is given.
package trace
