package event

// codeUse says where a code is written.
type codeUse int

const (
	// useLaunchFailed: the code of a launch.failed event, which the
	// notifier records as the FAILED request's error.
	useLaunchFailed codeUse = iota
	// useDeadLetter: the error.code attribute of a record a consumer sends
	// to its dead-letter queue itself.
	useDeadLetter
	// useRetry: the code of a retry in the request's hops.
	useRetry
)

// runnerPackage is the Package of the codes the batch runner every consumer
// shares (internal/consumer) writes.
const runnerPackage = "consumer"

// failureCode is one failure code a part of the chain writes.
type failureCode struct {
	// Code as written; empty when an AWS code is passed through, which
	// Examples then lists: all the codes that can be, when Exhaustive.
	Code       string
	Examples   []string
	Exhaustive bool
	Use        codeUse
	// Package writes it: a function's package (named as the function) or
	// runnerPackage.
	Package string
	// SetBy is the Go function or method of Package that writes it.
	SetBy string
	When  string
}

// codes lists every code the functions and the runner write, for the
// event catalog page. internal/event cannot import the packages that own
// the Code* constants (they import it), so a test checks that each of
// their constants is listed here with its value and its writer.
var codes = []failureCode{
	// launch.failed
	{
		Use: useLaunchFailed, Package: FunctionLauncher, SetBy: "(*Handler).runFailed", Exhaustive: true,
		Examples: []string{
			"InvalidParameterValue", "InvalidParameter", "InvalidParameterCombination", "MissingParameter",
			"Unsupported", "UnauthorizedOperation", "IdempotentParameterMismatch", "InvalidBlockDeviceMapping",
			"VcpuLimitExceeded", "InstanceLimitExceeded",
			"InvalidAMIID.*", "InvalidSubnetID.*", "InvalidSubnetId.*", "InvalidKeyPair.*", "InvalidGroup.*",
			"InvalidGroupId.*", "InvalidSecurityGroupID.*", "InvalidUserData.*",
		},
		When: "`RunInstances` refused the launch with an error the launcher classes permanent (`launcher.Classify`): " +
			"EC2's own code and message are passed through",
	},
	{
		Code: "RetriesExhausted", Use: useLaunchFailed, Package: FunctionLauncher, SetBy: "(*Handler).retry",
		When: "`RunInstances` still fails (transient or unclassified error) on the launch queue's last receive " +
			"(`LAUNCH_MAX_RECEIVE_COUNT`); the message carries the last error, and the record still goes to `LaunchDLQ`",
	},
	{
		Use: useLaunchFailed, Package: FunctionWatcher, SetBy: "(*Handler).died",
		Examples: []string{
			"Server.InternalError", "Server.InsufficientInstanceCapacity", "Client.VolumeLimitExceeded",
			"Client.InternalError", "Client.UserInitiatedShutdown",
		},
		When: "an instance went `shutting-down`, `terminated`, `stopping` or `stopped` with a `StateReason`: " +
			"its code and message are passed through, and the request's instances are terminated",
	},
	{
		Code: "InstanceTerminated", Use: useLaunchFailed, Package: FunctionWatcher, SetBy: "(*Handler).died",
		When: "the same, for an instance without a `StateReason`",
	},
	{
		Code: "WatchTimeout", Use: useLaunchFailed, Package: FunctionWatcher, SetBy: "(*Handler).timeout",
		When: "the instances are not all running `WATCH_TIMEOUT_SECONDS` after launch, or the record reached " +
			"receive `WATCH_MAX_RECEIVE_COUNT - 1`; the request's instances are terminated",
	},
	{
		Code: "PublishFailed", Use: useLaunchFailed, Package: FunctionAPI, SetBy: "(*Handler).failUnpublished",
		When: "publishing `launch.requested` failed and the request has no `Idempotency-Key`: the API closes it " +
			"`FAILED` itself, with `launch.failed` in its history, and publishes no event",
	},

	// dead letters
	{
		Code: "MalformedEvent", Use: useDeadLetter, Package: runnerPackage, SetBy: "(*Runner).decode",
		When: "the body is not an envelope `event.Decode` accepts (not JSON, wrong `specversion`, no id, type, subject or data)",
	},
	{
		Code: "TypeMismatch", Use: useDeadLetter, Package: runnerPackage, SetBy: "(*Runner).decode",
		When: "the `type` message attribute contradicts the envelope's type",
	},
	{
		Code: "UnexpectedEventType", Use: useDeadLetter, Package: runnerPackage, SetBy: "(*Runner).decode",
		When: "the event type is not one the catalog routes to this function",
	},
	{
		Code: "InvalidPayload", Use: useDeadLetter, Package: FunctionLauncher, SetBy: "(*Handler).launch",
		When: "the `launch.requested` data does not decode, or does not describe a launch of the envelope's subject " +
			"(request id, count ≥ 1, image id, instance type)",
	},
	{
		Code: "InvalidPayload", Use: useDeadLetter, Package: FunctionWatcher, SetBy: "(*Handler).watch",
		When: "the `instance.launched` data does not decode, names another request, or names no instances",
	},
	{
		Code: "InvalidPayload", Use: useDeadLetter, Package: FunctionNotifier, SetBy: "(*Handler).notify",
		When: "the terminal event's data does not decode or names another request (or the catalog routes a type that is not terminal to the notifier)",
	},
	{
		Code: "RequestNotFound", Use: useDeadLetter, Package: FunctionNotifier, SetBy: "(*Handler).notify",
		When: "the status table does not know the request the terminal event closes",
	},

	// retries
	{
		Code: "InstancesPending", Use: useRetry, Package: FunctionWatcher, SetBy: "(*Handler).watch",
		When: "some instances are not running yet: the record comes back after the watch backoff",
	},
}

// codesFor returns the codes of one use, in table order.
func codesFor(use codeUse) []failureCode {
	var out []failureCode
	for _, c := range codes {
		if c.Use == use {
			out = append(out, c)
		}
	}
	return out
}
