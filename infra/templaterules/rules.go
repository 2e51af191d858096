package templaterules

import (
	"fmt"

	"github.com/eventchain/eventchain/infra/samtemplate"
)

// Severity says whether a finding is wrong whatever the parameters.
type Severity int

const (
	// Error: the template's structure is wrong; no parameter value mends it.
	Error Severity = iota
	// Warning: a sizing rule the values deployed must keep; tests and
	// local runs break them on purpose with short timeouts.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Finding is one broken rule: where, which, what is wrong and what to
// change.
type Finding struct {
	Rule     string
	Severity Severity
	// Resource is the logical id of the resource to change.
	Resource string
	Problem  string
	Fix      string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s [%s]: %s\n  fix: %s", f.Severity, f.Resource, f.Rule, f.Problem, f.Fix)
}

// Rule is one named check of the resolved template.
type Rule struct {
	Name     string
	Severity Severity
	// Summary is the rule in one line, for people.
	Summary string
	check   func(t *samtemplate.Resolved) []Finding
}

// Rules are every rule, errors first, in the order their findings are
// reported.
var Rules = []Rule{
	{"queue-redrive", Error, "every queue that is not a DLQ redrives to a DLQ of the template", queueRedrive},
	{"dlq-holds-dead-letters", Error, "a consumed queue's DLQ takes larger messages than the queue, so a dead letter with its error attributes fits", dlqHoldsDeadLetters},
	{"dlq-outlives-source", Error, "a queue's DLQ keeps messages longer than the queue", dlqOutlivesSource},
	{"batch-item-failures", Error, "every SQS event reports batch item failures", batchItemFailures},
	{"maximum-concurrency", Error, "an SQS event's MaximumConcurrency is 2–1000 and at most the function's reserved concurrency", maximumConcurrency},
	{"receive-count-setting", Error, "a function told its queue's receive budget (*_MAX_RECEIVE_COUNT) is told the queue's maxReceiveCount", receiveCountSetting},
	{"subscription-raw-delivery", Error, "every SQS subscription delivers raw messages", subscriptionRawDelivery},
	{"subscription-dlq", Error, "every SQS subscription has a DLQ of its own", subscriptionDLQ},
	{"subscription-queue-policy", Error, "a queue policy lets each subscription's topic, and only on its behalf, send to the queue and to the subscription's DLQ", subscriptionQueuePolicy},
	{"depth-alarm", Error, "every DLQ and every queue no function consumes has a depth alarm notifying a topic of the template", depthAlarm},
	{"lambda-runtime", Error, "every function runs provided.al2023 on arm64 with handler bootstrap", lambdaRuntime},
	{"function-limits", Error, "every function sets Timeout and MemorySize, itself or through Globals", functionLimits},
	{"function-log-group", Error, "every function has a log group /aws/lambda/<function name> with a retention", functionLogGroup},
	{"iam-wildcard-action", Error, `no IAM statement allows an action with "*"`, iamWildcardAction},
	{"iam-wildcard-write", Error, `no IAM statement allows a write action on Resource "*"`, iamWildcardWrite},
	{"run-instances-conditions", Error, "ec2:RunInstances on instances is conditioned on the allowed instance types and on the request-id tag", runInstancesConditions},
	{"visibility-timeout", Warning, "a consumed queue's VisibilityTimeout is at least 6 × its consumer's timeout + batching window", visibilityTimeout},
	{"limited-consumer-receives", Warning, "a concurrency-limited consumer's queue allows at least 5 receives", limitedConsumerReceives},
	{"watch-receive-budget", Warning, "the watcher's receive budget outlasts its wait budget", watchReceiveBudget},
	{"transient-retry-window", Warning, "a launch or watch queue keeps a transient failure retried for the launcher's retry window or the watch deadline, whatever the backoff's jitter", transientRetryWindow},
}

// Check runs every rule on t and returns the findings in the order of
// Rules; none when the template keeps them all.
func Check(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, r := range Rules {
		for _, f := range r.check(t) {
			f.Rule, f.Severity = r.Name, r.Severity
			out = append(out, f)
		}
	}
	return out
}

// Report is what the rules found in one template under one set of
// parameter values.
type Report struct {
	Template string
	// OnDefaults is true when every parameter has the template's default
	// (no override, or overrides equal to the defaults): the values
	// deployed, which warnings are about.
	OnDefaults bool
	Findings   []Finding
}

// Fails reports whether f must stop a validation: an error always, a
// warning on the template's defaults, since those are the values deployed.
func (r Report) Fails(f Finding) bool {
	return f.Severity == Error || r.OnDefaults
}

// Failures counts the findings that fail the validation.
func (r Report) Failures() int {
	n := 0
	for _, f := range r.Findings {
		if r.Fails(f) {
			n++
		}
	}
	return n
}

// CheckFile loads the template at path, resolves it with overrides over
// its defaults (as local mode does) and runs every rule.
func CheckFile(path string, overrides map[string]string) (Report, error) {
	tmpl, err := samtemplate.Load(path)
	if err != nil {
		return Report{}, fmt.Errorf("check template rules: %w", err)
	}
	resolved, err := tmpl.Resolve(overrides, samtemplate.LocalResolver{})
	if err != nil {
		return Report{}, fmt.Errorf("check template rules of %s: %w", path, err)
	}
	rep := Report{Template: path, OnDefaults: true, Findings: Check(resolved)}
	for k, v := range overrides {
		// Resolve refused overrides of unknown parameters and parameters
		// without a value.
		if p, _ := tmpl.Parameter(k); p.Default == nil || *p.Default != v {
			rep.OnDefaults = false
		}
	}
	return rep, nil
}
