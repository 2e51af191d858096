package dlq

import "github.com/eventchain/eventchain/internal/event"

// ConsumerEffect says what a function does with records redriven to its
// queue, for the people who redrive them (docs/architecture.md, "Failures
// and retries", "Idempotency"); "" when the consumer is not known. Every consumer is idempotent: a record
// delivered twice changes nothing the first delivery did not.
func ConsumerEffect(function, queue string) string {
	switch function {
	case event.FunctionLauncher:
		return "launcher: launches each request still ACCEPTED (RunInstances' ClientToken is the request id, so a request launched before gets its instances back, not new ones); " +
			"a record of a request already closed, RUNNING or FAILED, is acknowledged without launching and the request stays as it is; " +
			"a record still malformed or invalid goes back to the DLQ with its reason."
	case event.FunctionWatcher:
		return "watcher: watches each request still LAUNCHING until its instances run or fail; " +
			"a record of a request already closed, RUNNING or FAILED, is acknowledged and the request stays as it is; " +
			"a record still malformed or invalid goes back to the DLQ with its reason."
	case event.FunctionNotifier:
		return "notifier: closes each request with the event's status and notifies once; " +
			"a record of a request already closed is acknowledged and the request keeps its first status (one closed FAILED stays FAILED); " +
			"an event of a request the status store does not know goes back to the DLQ (RequestNotFound)."
	case NoConsumer:
		return "nothing consumes " + queue + ": the messages wait there for a person to read them."
	case "":
		return ""
	}
	return function + " consumes " + queue + "."
}
