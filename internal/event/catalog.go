package event

import "slices"

// Spec describes one event type: its payload, who publishes it, who
// consumes it, and whether it ends a request (terminal events are what the
// notifier turns into a final status and a user notification).
type Spec struct {
	Type        string
	DataSchema  string
	Description string
	// NewPayload returns a pointer to a zero payload, for decoding.
	NewPayload func() any
	Producers  []string
	Consumers  []string
	Terminal   bool
	// FinalStatus is the request status a terminal event sets.
	FinalStatus string
}

// Function names as the catalog, the template and the logs spell them.
const (
	FunctionAPI      = "api"
	FunctionLauncher = "launcher"
	FunctionWatcher  = "watcher"
	FunctionNotifier = "notifier"
)

// Catalog is the single list of event types. The SNS filter policies in
// template.yaml, the unrouted queue's anything-but list and docs/events.md
// are checked against it by tests.
var Catalog = []Spec{
	{
		Type:        TypeLaunchRequested,
		DataSchema:  "urn:eventchain:schema:launch.requested:1",
		Description: "A launch request was validated and recorded; the launcher starts its instances.",
		NewPayload:  func() any { return new(LaunchRequested) },
		Producers:   []string{FunctionAPI},
		Consumers:   []string{FunctionLauncher},
	},
	{
		Type:        TypeInstanceLaunched,
		DataSchema:  "urn:eventchain:schema:instance.launched:1",
		Description: "RunInstances answered; the watcher waits for the instances to run.",
		NewPayload:  func() any { return new(InstanceLaunched) },
		Producers:   []string{FunctionLauncher},
		Consumers:   []string{FunctionWatcher},
	},
	{
		Type:        TypeInstanceRunning,
		DataSchema:  "urn:eventchain:schema:instance.running:1",
		Description: "Every instance of the request is running.",
		NewPayload:  func() any { return new(InstanceRunning) },
		Producers:   []string{FunctionWatcher},
		Consumers:   []string{FunctionNotifier},
		Terminal:    true,
		FinalStatus: "RUNNING",
	},
	{
		Type:        TypeLaunchFailed,
		DataSchema:  "urn:eventchain:schema:launch.failed:1",
		Description: "A step gave up on the request (invalid parameters, instances terminated, watch timeout).",
		NewPayload:  func() any { return new(LaunchFailed) },
		Producers:   []string{FunctionLauncher, FunctionWatcher},
		Consumers:   []string{FunctionNotifier},
		Terminal:    true,
		FinalStatus: "FAILED",
	},
}

// Lookup returns the spec of an event type.
func Lookup(eventType string) (Spec, bool) {
	i := slices.IndexFunc(Catalog, func(s Spec) bool { return s.Type == eventType })
	if i < 0 {
		return Spec{}, false
	}
	return Catalog[i], true
}

// Types lists every catalogued event type, in catalog order.
func Types() []string {
	out := make([]string, len(Catalog))
	for i, s := range Catalog {
		out[i] = s.Type
	}
	return out
}

// ConsumedBy lists the event types a function consumes.
func ConsumedBy(function string) []string {
	var out []string
	for _, s := range Catalog {
		if slices.Contains(s.Consumers, function) {
			out = append(out, s.Type)
		}
	}
	return out
}
