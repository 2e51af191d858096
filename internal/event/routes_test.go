package event_test

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/eventchain/eventchain/internal/event"
)

// cfnTemplate is the part of template.yaml the routes are checked
// against. Properties stay nodes: their intrinsic functions (!Ref,
// !GetAtt) are tags, compared as written.
type cfnTemplate struct {
	Resources map[string]struct {
		Type       string    `yaml:"Type"`
		Properties yaml.Node `yaml:"Properties"`
	} `yaml:"Resources"`
}

func loadTemplate(t *testing.T) cfnTemplate {
	t.Helper()
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl cfnTemplate
	if err := yaml.Unmarshal(b, &tmpl); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	return tmpl
}

// prop walks mapping nodes by key; nil when a key is missing.
func prop(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// written renders a scalar as written, tag included ("!GetAtt Q.Arn").
func written(n *yaml.Node) string {
	if n == nil {
		return "<missing>"
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return n.Tag + " " + n.Value
	}
	return n.Value
}

// TestRoutesMatchTemplate checks the catalog's routes against
// template.yaml: each subscription of the events topic delivers to the
// route's queue through the route's filter policy and DLQ, each queue
// redrives to the route's DLQ and is consumed by the route's consumer.
func TestRoutesMatchTemplate(t *testing.T) {
	tmpl := loadTemplate(t)
	for _, topic := range []string{event.EventsTopic, event.NotificationsTopic} {
		if got := tmpl.Resources[topic].Type; got != "AWS::SNS::Topic" {
			t.Errorf("%s is %q in template.yaml, want an AWS::SNS::Topic", topic, got)
		}
	}
	consumerOf := map[string]string{} // queue logical id → function
	for id, r := range tmpl.Resources {
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		name, ok := strings.CutPrefix(written(prop(&r.Properties, "FunctionName")), "!Sub ${AWS::StackName}-")
		if !ok {
			t.Fatalf("%s: FunctionName %s, want !Sub ${AWS::StackName}-<function>", id, written(prop(&r.Properties, "FunctionName")))
		}
		events := prop(&r.Properties, "Events")
		for i := 0; events != nil && i+1 < len(events.Content); i += 2 {
			ev := events.Content[i+1]
			if written(prop(ev, "Type")) == "SQS" {
				queue, _ := strings.CutSuffix(strings.TrimPrefix(written(prop(ev, "Properties", "Queue")), "!GetAtt "), ".Arn")
				consumerOf[queue] = name
			}
		}
	}
	var subscriptions []string
	for id, r := range tmpl.Resources {
		if r.Type == "AWS::SNS::Subscription" && written(prop(&r.Properties, "TopicArn")) == "!Ref "+event.EventsTopic {
			subscriptions = append(subscriptions, id)
		}
	}
	for _, r := range event.Routes {
		t.Run(r.Queue, func(t *testing.T) {
			for _, q := range []string{r.Queue, r.DLQ, r.SubscriptionDLQ} {
				if got := tmpl.Resources[q].Type; got != "AWS::SQS::Queue" {
					t.Errorf("%s is %q in template.yaml, want an AWS::SQS::Queue", q, got)
				}
			}
			queue := tmpl.Resources[r.Queue].Properties
			if got := written(prop(&queue, "RedrivePolicy", "deadLetterTargetArn")); got != "!GetAtt "+r.DLQ+".Arn" {
				t.Errorf("%s redrives to %s, want %s", r.Queue, got, r.DLQ)
			}
			if got := consumerOf[r.Queue]; got != r.Consumer {
				t.Errorf("%s is consumed by %q in template.yaml, want %q", r.Queue, got, r.Consumer)
			}
			sub := tmpl.Resources[r.Subscription]
			p := &sub.Properties
			checks := []struct{ what, got, want string }{
				{"type", sub.Type, "AWS::SNS::Subscription"},
				{"topic", written(prop(p, "TopicArn")), "!Ref " + event.EventsTopic},
				{"endpoint", written(prop(p, "Endpoint")), "!GetAtt " + r.Queue + ".Arn"},
				{"DLQ", written(prop(p, "RedrivePolicy", "deadLetterTargetArn")), "!GetAtt " + r.SubscriptionDLQ + ".Arn"},
				{"filter scope", written(prop(p, "FilterPolicyScope")), "MessageAttributes"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s %s: %s, want %s", r.Subscription, c.what, c.got, c.want)
				}
			}
			var got, want any
			if n := prop(p, "FilterPolicy"); n == nil {
				t.Errorf("%s has no filter policy", r.Subscription)
			} else if err := n.Decode(&got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(r.FilterPolicy(), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s filter policy in template.yaml: %v; from the catalog: %s", r.Subscription, got, r.FilterPolicy())
			}
		})
	}
	for _, id := range subscriptions {
		if !slices.ContainsFunc(event.Routes, func(r event.Route) bool { return r.Subscription == id }) {
			t.Errorf("template.yaml subscribes %s to %s; event.Routes does not name it", id, event.EventsTopic)
		}
	}
}

// TestRoutesCoverConsumers: every consumer the catalog names has exactly
// one route, and there is one unrouted route.
func TestRoutesCoverConsumers(t *testing.T) {
	want := []string{""}
	for _, s := range event.Catalog {
		for _, c := range s.Consumers {
			if !slices.Contains(want, c) {
				want = append(want, c)
			}
		}
	}
	var got []string
	for _, r := range event.Routes {
		got = append(got, r.Consumer)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("routes for %q, want one per catalog consumer and one unrouted (\"\"): %q", got, want)
	}
}
