// Package console serves a small web page that shows the event chain
// while it runs: the chain as the template and the event catalog declare
// it (API → topic → each subscription and its filter → queue → function →
// the events it emits, with every dead-letter queue beside its queue) with
// live counts, the latest requests and each one's timeline (the model of
// internal/trace), the dead letters with the actions of `eventchain dlq`
// (through internal/dlq, with the same guarantees), and the EC2 instances.
//
// The page is plain HTML, CSS and JavaScript embedded in the binary; it
// polls JSON endpoints at most once a second and fetches nothing else.
//
// The server listens on loopback only, and loopback is not a boundary a
// browser respects: any site its user visits can send requests to it, and
// a DNS-rebinding site can even read the answers. So every request must
// name the loopback host:port it serves in Host and come from no other
// origin, and every request that changes state must carry the per-run
// token (see Guard). Against a deployed stack the console is read-only
// unless Options.AllowActions is set.
//
// Data comes through small interfaces (Requests, Instances, and the SQS and
// CloudWatch parts of internal/dlq), so the handlers are tested with fakes
// and run unchanged against localcloud and AWS.
package console
