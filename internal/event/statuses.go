package event

import "slices"

// Request statuses a function sets on its own, as internal/status spells
// them; the terminal statuses are the catalog's FinalStatus values. This
// package stays free of internal/status (its store brings the AWS SDK's
// DynamoDB client to every producer and consumer), so a test keeps the two
// in step.
const (
	StatusPending   = "PENDING"
	StatusAccepted  = "ACCEPTED"
	StatusLaunching = "LAUNCHING"
)

// StatusChange is one way a request reaches a status.
type StatusChange struct {
	Status   string
	Function string
	// Event is the event type the change records in the request's
	// history; empty when the request is created with the status.
	Event string
	When  string
}

// statusMoves are the changes a function makes without a terminal event
// telling it to; a test finds every status.Transition and status.Request
// the functions write and checks it against these and the catalog.
var statusMoves = []StatusChange{
	{
		Status: StatusPending, Function: FunctionAPI,
		When: "the request is recorded, with the `launch.requested` envelope it will publish, before publishing",
	},
	{
		Status: StatusAccepted, Function: FunctionAPI, Event: TypeLaunchRequested,
		When: "`launch.requested` was published",
	},
	{
		Status: StatusLaunching, Function: FunctionLauncher, Event: TypeInstanceLaunched,
		When: "`RunInstances` answered with the instances, before `instance.launched` is published",
	},
	{
		Status: finalStatus(TypeLaunchFailed), Function: FunctionAPI, Event: TypeLaunchFailed,
		When: "publishing `launch.requested` failed on a request without `Idempotency-Key` (nothing could republish it): " +
			"error code `PublishFailed`, recorded in the status table only, no event is published",
	},
}

// Statuses lists the request statuses in the order a request moves
// through them.
func Statuses() []string {
	out := []string{StatusPending, StatusAccepted, StatusLaunching}
	for _, s := range Catalog {
		if s.Terminal && !slices.Contains(out, s.FinalStatus) {
			out = append(out, s.FinalStatus)
		}
	}
	return out
}

// StatusChanges lists every way a request reaches each status, in status
// order: the terminal events' consumers close it with the catalog's
// FinalStatus, and functions move it themselves (statusMoves).
func StatusChanges() []StatusChange {
	var out []StatusChange
	for _, st := range Statuses() {
		for _, s := range Catalog {
			if !s.Terminal || s.FinalStatus != st {
				continue
			}
			for _, c := range s.Consumers {
				out = append(out, StatusChange{
					Status: st, Function: c, Event: s.Type,
					When: "it handles `" + s.Type + "` (terminal) and the request is not closed yet: the first terminal event wins",
				})
			}
		}
		for _, m := range statusMoves {
			if m.Status == st {
				out = append(out, m)
			}
		}
	}
	return out
}

// finalStatus is the status a terminal event type sets, "" for another.
func finalStatus(eventType string) string {
	s, _ := Lookup(eventType)
	return s.FinalStatus
}
