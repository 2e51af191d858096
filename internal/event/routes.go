package event

import (
	"encoding/json"
	"slices"
)

// Route is how the events topic reaches one queue: the SNS subscription
// with its filter policy and its own DLQ (for what SNS fails to deliver),
// and the queue with the DLQ its redrive policy names. Names are the
// logical ids of template.yaml, the names operators see in the console and
// in the local queue names.
type Route struct {
	// Consumer is the function that consumes Queue; empty for the unrouted
	// queue, which people read.
	Consumer        string
	Subscription    string
	SubscriptionDLQ string
	Queue           string
	DLQ             string
}

// Routes lists the subscriptions of the events topic: one per consumer, in
// catalog order, then the unrouted one. The filter policies are not kept
// here but derived from the catalog (FilterPolicy), so that adding a
// consumer to an event type is one edit; tests check template.yaml
// against both.
var Routes = []Route{
	{Consumer: FunctionLauncher, Subscription: "LaunchSubscription", SubscriptionDLQ: "LaunchSubscriptionDLQ", Queue: "LaunchQueue", DLQ: "LaunchDLQ"},
	{Consumer: FunctionWatcher, Subscription: "WatchSubscription", SubscriptionDLQ: "WatchSubscriptionDLQ", Queue: "WatchQueue", DLQ: "WatchDLQ"},
	{Consumer: FunctionNotifier, Subscription: "NotifySubscription", SubscriptionDLQ: "NotifySubscriptionDLQ", Queue: "NotifyQueue", DLQ: "NotifyDLQ"},
	{Subscription: "UnroutedSubscription", SubscriptionDLQ: "UnroutedSubscriptionDLQ", Queue: "UnroutedQueue", DLQ: "UnroutedDLQ"},
}

// Topic logical ids.
const (
	// EventsTopic carries every event of the chain.
	EventsTopic = "EventsTopic"
	// NotificationsTopic carries the notifier's user notifications.
	NotificationsTopic = "NotificationsTopic"
)

// RouteOf returns the route of a consumer; "" returns the unrouted one.
func RouteOf(consumer string) (Route, bool) {
	i := slices.IndexFunc(Routes, func(r Route) bool { return r.Consumer == consumer })
	if i < 0 {
		return Route{}, false
	}
	return Routes[i], true
}

// FilterPolicy is the SNS filter policy (scope MessageAttributes) of the
// route's subscription. A consumer's lets through exactly the types it
// consumes. The unrouted one takes every other type and messages without a
// type attribute, so an event nobody consumes still lands where a person
// sees it rather than being dropped by SNS.
func (r Route) FilterPolicy() json.RawMessage {
	var policy any
	if r.Consumer != "" {
		policy = map[string][]string{AttrType: ConsumedBy(r.Consumer)}
	} else {
		policy = map[string][]any{"$or": {
			map[string][]any{AttrType: {map[string][]string{"anything-but": Types()}}},
			map[string][]any{AttrType: {map[string]bool{"exists": false}}},
		}}
	}
	b, err := json.Marshal(policy)
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return b
}
