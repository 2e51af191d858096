package samtemplate_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/event"
)

const templatePath = "../../template.yaml"

func resolve(t *testing.T, overrides map[string]string) *samtemplate.Resolved {
	t.Helper()
	tmpl, err := samtemplate.Load(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tmpl.Resolve(overrides, samtemplate.LocalResolver{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRoutingMatchesCatalog checks that each consumer's subscription lets
// through exactly the types the catalog says it consumes, and that the
// unrouted subscription takes anything but the catalog's types, or no type.
func TestRoutingMatchesCatalog(t *testing.T) {
	r := resolve(t, nil)
	consumerOf := map[string]string{} // queue → function short name
	for _, f := range r.Functions {
		for _, ev := range f.SQSEvents {
			consumerOf[ev.Queue] = f.Name
		}
	}
	routed := map[string]bool{}
	unrouted := 0
	for _, s := range r.Subscriptions {
		if s.Topic != "EventsTopic" {
			continue
		}
		if s.FilterPolicyScope != "MessageAttributes" {
			t.Errorf("%s: FilterPolicyScope %q, want MessageAttributes", s.LogicalID, s.FilterPolicyScope)
		}
		var policy map[string]any
		if err := json.Unmarshal(s.FilterPolicy, &policy); err != nil {
			t.Fatalf("%s: filter policy: %v", s.LogicalID, err)
		}
		fn, consumed := consumerOf[s.EndpointQueue]
		if !consumed {
			unrouted++
			want := map[string]any{"$or": []any{
				map[string]any{event.AttrType: []any{map[string]any{"anything-but": toAny(event.Types())}}},
				map[string]any{event.AttrType: []any{map[string]any{"exists": false}}},
			}}
			if !reflect.DeepEqual(policy, want) {
				t.Errorf("%s (unrouted): filter policy %s, want anything-but %v or type absent", s.LogicalID, s.FilterPolicy, event.Types())
			}
			continue
		}
		want := map[string]any{event.AttrType: toAny(event.ConsumedBy(fn))}
		if !reflect.DeepEqual(policy, want) {
			t.Errorf("%s → %s: filter policy %s, want exactly the catalog's %v", s.LogicalID, fn, s.FilterPolicy, event.ConsumedBy(fn))
		}
		for _, ty := range event.ConsumedBy(fn) {
			routed[ty+"→"+fn] = true
		}
	}
	if unrouted != 1 {
		t.Errorf("%d unrouted subscriptions, want 1", unrouted)
	}
	for _, spec := range event.Catalog {
		for _, c := range spec.Consumers {
			if !routed[spec.Type+"→"+c] {
				t.Errorf("catalog: %s is consumed by %s, but no subscription routes it there", spec.Type, c)
			}
		}
	}
	known := []string{event.FunctionAPI, event.FunctionLauncher, event.FunctionWatcher, event.FunctionNotifier}
	for _, f := range r.Functions {
		if !slices.Contains(known, f.Name) {
			t.Errorf("function %s: short name %q is not a catalog function name", f.LogicalID, f.Name)
		}
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// TestFunctionEnvironment pins each function's environment: the names are
// the contract LoadConfig reads, the values the resolved resources.
func TestFunctionEnvironment(t *testing.T) {
	r := resolve(t, nil)
	url := func(id string) string { q, _ := r.Queue(id); return q.URL }
	events, _ := r.Topic("EventsTopic")
	notes, _ := r.Topic("NotificationsTopic")
	const table = "eventchain-StatusTable"
	tests := []struct {
		name string
		want map[string]string
	}{
		{name: event.FunctionAPI, want: map[string]string{
			"LOG_LEVEL": "INFO", "STATUS_TABLE": table, "EVENTS_TOPIC_ARN": events.ARN,
			"ALLOWED_INSTANCE_TYPES": "t3.micro,t3.small,t4g.micro,t4g.small", "ALLOWED_IMAGE_IDS": "",
			"MAX_INSTANCES_PER_REQUEST": "10", "IDEMPOTENCY_TTL_HOURS": "24",
		}},
		{name: event.FunctionLauncher, want: map[string]string{
			"LOG_LEVEL": "INFO", "STATUS_TABLE": table, "EVENTS_TOPIC_ARN": events.ARN,
			"DLQ_URL": url("LaunchDLQ"), "QUEUE_URL": url("LaunchQueue"),
			"LAUNCH_RATE_PER_SECOND": "2", "LAUNCHER_CONCURRENCY": "2", "LAUNCH_MAX_RECEIVE_COUNT": "18",
		}},
		{name: event.FunctionWatcher, want: map[string]string{
			"LOG_LEVEL": "INFO", "STATUS_TABLE": table, "EVENTS_TOPIC_ARN": events.ARN,
			"DLQ_URL": url("WatchDLQ"), "QUEUE_URL": url("WatchQueue"),
			"WATCH_TIMEOUT_SECONDS": "600", "WATCH_BACKOFF_BASE_SECONDS": "5", "WATCH_BACKOFF_MAX_SECONDS": "60",
			"WATCH_MAX_RECEIVE_COUNT": "30",
		}},
		{name: event.FunctionNotifier, want: map[string]string{
			"LOG_LEVEL": "INFO", "STATUS_TABLE": table, "NOTIFICATIONS_TOPIC_ARN": notes.ARN,
			"DLQ_URL": url("NotifyDLQ"), "QUEUE_URL": url("NotifyQueue"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := r.Function(tc.name)
			if !ok {
				t.Fatalf("no function %s", tc.name)
			}
			if !reflect.DeepEqual(f.Environment, tc.want) {
				t.Fatalf("environment\n got %v\nwant %v", f.Environment, tc.want)
			}
			if f.FunctionName != "eventchain-"+tc.name {
				t.Errorf("FunctionName %q, want eventchain-%s", f.FunctionName, tc.name)
			}
			if f.BuildMethod != "makefile" || f.CodeURI != "." {
				t.Errorf("BuildMethod %q CodeUri %q, want makefile and the module root", f.BuildMethod, f.CodeURI)
			}
		})
	}
	if f, _ := r.Function("launcher"); f.Environment["DLQ_URL"] == "" || !strings.HasPrefix(f.Environment["QUEUE_URL"], samtemplate.DefaultEndpoint+"/123456789012/") {
		t.Errorf("launcher queue URL %q is not a local queue URL", f.Environment["QUEUE_URL"])
	}
}

func TestEventSourcesAndRoutes(t *testing.T) {
	r := resolve(t, map[string]string{"LauncherConcurrency": "7", "BatchSize": "5", "BatchingWindowSeconds": "2"})
	launcher, _ := r.Function("launcher")
	if launcher.ReservedConcurrentExecutions == nil || *launcher.ReservedConcurrentExecutions != 7 {
		t.Errorf("launcher reserved concurrency %v, want 7", launcher.ReservedConcurrentExecutions)
	}
	want := []samtemplate.SQSEvent{{
		Name: "LaunchRequested", Queue: "LaunchQueue", QueueARN: "arn:aws:sqs:us-east-1:123456789012:eventchain-LaunchQueue",
		BatchSize: 5, MaximumBatchingWindowInSeconds: 2, FunctionResponseTypes: []string{"ReportBatchItemFailures"},
		MaximumConcurrency: 7, Enabled: true,
	}}
	if !reflect.DeepEqual(launcher.SQSEvents, want) {
		t.Errorf("launcher SQS events\n got %+v\nwant %+v", launcher.SQSEvents, want)
	}
	for name, queue := range map[string]string{"watcher": "WatchQueue", "notifier": "NotifyQueue"} {
		f, _ := r.Function(name)
		if len(f.SQSEvents) != 1 || f.SQSEvents[0].Queue != queue || f.SQSEvents[0].MaximumConcurrency != 0 {
			t.Errorf("%s SQS events %+v, want one on %s without MaximumConcurrency", name, f.SQSEvents, queue)
		}
		if f.ReservedConcurrentExecutions != nil {
			t.Errorf("%s has reserved concurrency %d, want none", name, *f.ReservedConcurrentExecutions)
		}
	}
	api, _ := r.Function("api")
	var routes []string
	for _, h := range api.HTTPEvents {
		if h.API != "HttpApi" {
			t.Errorf("route %s on API %q, want HttpApi", h.Name, h.API)
		}
		routes = append(routes, h.Method+" "+h.Path)
	}
	slices.Sort(routes)
	if wantRoutes := []string{"ANY $default", "GET /launches", "GET /launches/{requestId}", "POST /launches"}; !reflect.DeepEqual(routes, wantRoutes) {
		t.Errorf("routes %v, want %v", routes, wantRoutes)
	}
	httpAPI, _ := r.Resource("HttpApi")
	wantAuth := map[string]any{"EnableIamAuthorizer": true, "DefaultAuthorizer": "AWS_IAM"}
	if !reflect.DeepEqual(httpAPI.Properties["Auth"], wantAuth) {
		t.Errorf("HttpApi Auth %v, want %v", httpAPI.Properties["Auth"], wantAuth)
	}
	tables := r.Tables
	if len(tables) != 1 || tables[0].HashKey != "pk" || tables[0].HashKeyType != "S" || tables[0].TTLAttribute != "expiresAt" || tables[0].BillingMode != "PAY_PER_REQUEST" {
		t.Errorf("tables %+v, want one on-demand table keyed pk (S) with TTL on expiresAt", tables)
	}
	wantIndexes := []samtemplate.Index{{Name: "ByOwner", HashKey: "owner", HashKeyType: "S", RangeKey: "listKey", RangeKeyType: "S", Projection: "ALL"}}
	if len(tables) == 1 && !reflect.DeepEqual(tables[0].Indexes, wantIndexes) {
		t.Errorf("indexes %+v, want %+v", tables[0].Indexes, wantIndexes)
	}
}

// TestLeastPrivilege pins the IAM statement shapes of docs/architecture.md, "Least privilege".
func TestLeastPrivilege(t *testing.T) {
	r := resolve(t, nil)
	queueARN := func(id string) string { q, _ := r.Queue(id); return q.ARN }
	events, _ := r.Topic("EventsTopic")
	notes, _ := r.Topic("NotificationsTopic")
	const arnPrefix = "arn:aws:ec2:us-east-1:123456789012:"

	byAction := func(f samtemplate.Function, action string) []samtemplate.Statement {
		var out []samtemplate.Statement
		for _, s := range f.Policies {
			if slices.Contains(s.Action, action) {
				out = append(out, s)
			}
		}
		return out
	}
	for _, f := range r.Functions {
		for _, s := range f.Policies {
			if s.Effect != "Allow" {
				t.Errorf("%s %s: effect %s", f.Name, s.Sid, s.Effect)
			}
			for _, a := range s.Action {
				if strings.Contains(a, "*") {
					t.Errorf("%s %s: wildcard action %s", f.Name, s.Sid, a)
				}
			}
			for _, res := range s.Resource {
				if res == "*" && !reflect.DeepEqual(s.Action, []string{"ec2:DescribeInstances"}) {
					t.Errorf("%s %s: Resource * for %v (only DescribeInstances lacks resource-level permissions)", f.Name, s.Sid, s.Action)
				}
			}
		}
	}

	launcher, _ := r.Function("launcher")
	run := byAction(launcher, "ec2:RunInstances")
	if len(run) != 2 {
		t.Fatalf("launcher has %d RunInstances statements, want 2", len(run))
	}
	inst, other := run[0], run[1]
	if !reflect.DeepEqual(inst.Resource, []string{arnPrefix + "instance/*"}) {
		t.Errorf("first RunInstances statement resources %v, want instance/* only", inst.Resource)
	}
	wantCond := map[string]map[string][]string{
		"StringEquals": {"ec2:InstanceType": {"t3.micro", "t3.small", "t4g.micro", "t4g.small"}},
		"StringLike":   {"aws:RequestTag/eventchain:request-id": {"*"}},
	}
	if !reflect.DeepEqual(inst.Condition, wantCond) {
		t.Errorf("instance statement conditions %v, want %v", inst.Condition, wantCond)
	}
	if other.Condition != nil {
		t.Errorf("second RunInstances statement has conditions %v, want none", other.Condition)
	}
	wantOther := []string{arnPrefix + "volume/*", "arn:aws:ec2:us-east-1::image/*", arnPrefix + "subnet/*",
		arnPrefix + "security-group/*", arnPrefix + "network-interface/*", arnPrefix + "key-pair/*"}
	if !reflect.DeepEqual(other.Resource, wantOther) {
		t.Errorf("second RunInstances statement resources %v, want %v", other.Resource, wantOther)
	}
	tags := byAction(launcher, "ec2:CreateTags")
	if len(tags) != 1 || !reflect.DeepEqual(tags[0].Condition, map[string]map[string][]string{"StringEquals": {"ec2:CreateAction": {"RunInstances"}}}) {
		t.Errorf("CreateTags statements %+v, want one conditioned on ec2:CreateAction=RunInstances", tags)
	}

	watcher, _ := r.Function("watcher")
	if d := byAction(watcher, "ec2:DescribeInstances"); len(d) != 1 || !reflect.DeepEqual(d[0].Resource, []string{"*"}) {
		t.Errorf("DescribeInstances statements %+v, want one on *", d)
	}
	term := byAction(watcher, "ec2:TerminateInstances")
	if len(term) != 1 || !reflect.DeepEqual(term[0].Resource, []string{arnPrefix + "instance/*"}) ||
		!reflect.DeepEqual(term[0].Condition, map[string]map[string][]string{"StringLike": {"aws:ResourceTag/eventchain:request-id": {"*"}}}) {
		t.Errorf("TerminateInstances statements %+v, want one on instance/* conditioned on the request-id tag", term)
	}

	tests := []struct {
		fn        string
		publishTo []string
		ownQueue  string
		ownDLQ    string
		// changesVisibility: the function delays retries with
		// ChangeMessageVisibility on its own queue.
		changesVisibility bool
		ec2Allowed        bool
		tableAccess       []string
	}{
		{fn: "api", publishTo: []string{events.ARN}, tableAccess: []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"}},
		{fn: "launcher", publishTo: []string{events.ARN}, ownQueue: "LaunchQueue", ownDLQ: "LaunchDLQ", changesVisibility: true, ec2Allowed: true,
			tableAccess: []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}},
		{fn: "watcher", publishTo: []string{events.ARN}, ownQueue: "WatchQueue", ownDLQ: "WatchDLQ", changesVisibility: true, ec2Allowed: true,
			tableAccess: []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}},
		{fn: "notifier", publishTo: []string{notes.ARN}, ownQueue: "NotifyQueue", ownDLQ: "NotifyDLQ", tableAccess: []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}},
	}
	for _, tc := range tests {
		t.Run(tc.fn, func(t *testing.T) {
			f, _ := r.Function(tc.fn)
			var publish, send, visibility, table []string
			for _, s := range f.Policies {
				for _, a := range s.Action {
					switch {
					case a == "sns:Publish":
						publish = append(publish, s.Resource...)
					case a == "sqs:SendMessage":
						send = append(send, s.Resource...)
					case a == "sqs:ChangeMessageVisibility":
						visibility = append(visibility, s.Resource...)
					case a == "dynamodb:Query":
						// Listing reads the ByOwner index, never the table.
						table = append(table, a)
						if !reflect.DeepEqual(s.Resource, []string{r.Tables[0].ARN + "/index/ByOwner"}) {
							t.Errorf("%s on %v, want the status table's ByOwner index only", a, s.Resource)
						}
					case strings.HasPrefix(a, "dynamodb:"):
						table = append(table, a)
						if !reflect.DeepEqual(s.Resource, []string{r.Tables[0].ARN}) {
							t.Errorf("%s on %v, want the status table only", a, s.Resource)
						}
					case strings.HasPrefix(a, "ec2:") && !tc.ec2Allowed:
						t.Errorf("unexpected %s", a)
					}
				}
			}
			if !reflect.DeepEqual(publish, tc.publishTo) {
				t.Errorf("sns:Publish on %v, want %v", publish, tc.publishTo)
			}
			if !reflect.DeepEqual(table, tc.tableAccess) {
				t.Errorf("table actions %v, want %v", table, tc.tableAccess)
			}
			var wantSend, wantVis []string
			if tc.ownDLQ != "" {
				wantSend = []string{queueARN(tc.ownDLQ)}
			}
			if tc.changesVisibility {
				wantVis = []string{queueARN(tc.ownQueue)}
			}
			if !reflect.DeepEqual(send, wantSend) || !reflect.DeepEqual(visibility, wantVis) {
				t.Errorf("sqs:SendMessage on %v, ChangeMessageVisibility on %v; want %v and %v", send, visibility, wantSend, wantVis)
			}
		})
	}
}

func TestOutputsNameEveryQueueAndTopic(t *testing.T) {
	r := resolve(t, nil)
	for _, q := range r.Queues {
		if v, ok := r.Output(q.LogicalID + "Url"); !ok || v != q.URL {
			t.Errorf("output %sUrl = %q, want %q", q.LogicalID, v, q.URL)
		}
	}
	for _, tp := range r.Topics {
		if v, ok := r.Output(tp.LogicalID + "Arn"); !ok || v != tp.ARN {
			t.Errorf("output %sArn = %q, want %q", tp.LogicalID, v, tp.ARN)
		}
	}
	if v, _ := r.Output("ApiUrl"); v != "https://local.execute-api.us-east-1.amazonaws.com/" {
		t.Errorf("ApiUrl = %q", v)
	}
}

func TestRetention(t *testing.T) {
	r := resolve(t, nil)
	const day = 86400
	for _, q := range r.Queues {
		want := 4 * day
		switch {
		case slices.Contains(r.DeadLetterQueues(), q.LogicalID):
			want = 14 * day
		case q.LogicalID == "UnroutedQueue":
			want = 13 * day // its DLQ must outlive it; 14 days is SQS's maximum
		}
		if q.MessageRetentionPeriod != want {
			t.Errorf("queue %s keeps %ds, want %ds", q.LogicalID, q.MessageRetentionPeriod, want)
		}
	}
}
