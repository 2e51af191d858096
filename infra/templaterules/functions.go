package templaterules

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/eventchain/eventchain/infra/samtemplate"
)

// Runtime settings every function must use: the Makefile builds one static
// arm64 bootstrap per function.
const (
	WantRuntime      = "provided.al2023"
	WantArchitecture = "arm64"
	WantHandler      = "bootstrap"
)

// batchItemFailures checks that every SQS event reports batch item failures, so one failed record does not bring its whole batch back.
func batchItemFailures(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, f := range t.Functions {
		for _, ev := range f.SQSEvents {
			if !slices.Contains(ev.FunctionResponseTypes, "ReportBatchItemFailures") {
				out = append(out, Finding{
					Resource: f.LogicalID,
					Problem:  fmt.Sprintf("SQS event %s lacks FunctionResponseTypes ReportBatchItemFailures: one failed record makes SQS redeliver the whole batch, the records already done included", ev.Name),
					Fix:      fmt.Sprintf("set FunctionResponseTypes: [ReportBatchItemFailures] on event %s", ev.Name),
				})
			}
		}
	}
	return out
}

// maximumConcurrency checks that an SQS event's MaximumConcurrency is 2–1000 and at most the function's reserved concurrency, since throttled polls burn receives.
func maximumConcurrency(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, f := range t.Functions {
		for _, ev := range f.SQSEvents {
			mc := ev.MaximumConcurrency
			if mc == 0 {
				continue
			}
			if mc < 2 || mc > 1000 {
				out = append(out, Finding{
					Resource: f.LogicalID,
					Problem:  fmt.Sprintf("SQS event %s: ScalingConfig.MaximumConcurrency %d is outside the 2–1000 AWS allows", ev.Name, mc),
					Fix:      "set MaximumConcurrency between 2 and 1000",
				})
			}
			if rc := f.ReservedConcurrentExecutions; rc != nil && mc > *rc {
				out = append(out, Finding{
					Resource: f.LogicalID,
					Problem: fmt.Sprintf("SQS event %s: MaximumConcurrency %d is above the reserved concurrency %d: Lambda's pollers receive records they cannot invoke, and each throttled attempt counts as a receive",
						ev.Name, mc, *rc),
					Fix: "set MaximumConcurrency to at most ReservedConcurrentExecutions (the template uses one parameter for both)",
				})
			}
		}
	}
	return out
}

// receiveCountSetting checks that a function told its queue's receive budget (a *_MAX_RECEIVE_COUNT setting) is told the queue's maxReceiveCount.
func receiveCountSetting(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, f := range t.Functions {
		for _, ev := range f.SQSEvents {
			q, _ := t.Queue(ev.Queue)
			if q.RedrivePolicy == nil {
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(f.Environment)) {
				if strings.HasSuffix(k, "_MAX_RECEIVE_COUNT") && f.Environment[k] != strconv.Itoa(q.RedrivePolicy.MaxReceiveCount) {
					out = append(out, Finding{
						Resource: f.LogicalID,
						Problem: fmt.Sprintf("%s=%q but its queue %s has maxReceiveCount %d: the function acts on its last receives, and a stale number lets records reach the DLQ first",
							k, f.Environment[k], q.LogicalID, q.RedrivePolicy.MaxReceiveCount),
						Fix: fmt.Sprintf("set %s from the same value as %s's RedrivePolicy maxReceiveCount (one parameter for both)", k, q.LogicalID),
					})
				}
			}
		}
	}
	return out
}

// lambdaRuntime checks that every function runs provided.al2023 on arm64 with handler bootstrap, what the Makefile builds.
func lambdaRuntime(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, f := range t.Functions {
		var wrong []string
		if f.Runtime != WantRuntime {
			wrong = append(wrong, fmt.Sprintf("Runtime %q", f.Runtime))
		}
		if !slices.Equal(f.Architectures, []string{WantArchitecture}) {
			wrong = append(wrong, fmt.Sprintf("Architectures %v", f.Architectures))
		}
		if f.Handler != WantHandler {
			wrong = append(wrong, fmt.Sprintf("Handler %q", f.Handler))
		}
		if len(wrong) > 0 {
			out = append(out, Finding{
				Resource: f.LogicalID,
				Problem:  strings.Join(wrong, ", ") + ": the Makefile builds one static arm64 binary called bootstrap per function",
				Fix:      fmt.Sprintf("set Runtime: %s, Architectures: [%s], Handler: %s (in Globals.Function, as the template does)", WantRuntime, WantArchitecture, WantHandler),
			})
		}
	}
	return out
}

// functionLimits checks that every function sets Timeout and MemorySize, itself or through Globals, rather than taking Lambda's 3 s.
func functionLimits(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, f := range t.Functions {
		res, _ := t.Resource(f.LogicalID) // Globals merged
		var missing []string
		for _, p := range []string{"Timeout", "MemorySize"} {
			if _, ok := res.Properties[p]; !ok {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			out = append(out, Finding{
				Resource: f.LogicalID,
				Problem:  fmt.Sprintf("sets no %s: Lambda's defaults (3 s, 128 MB) would decide, and the visibility timeouts are sized from the timeout", strings.Join(missing, " and no ")),
				Fix:      fmt.Sprintf("set %s on the function or in Globals.Function", strings.Join(missing, " and ")),
			})
		}
	}
	return out
}

// functionLogGroup checks that every function has an AWS::Logs::LogGroup /aws/lambda/<function name> with RetentionInDays, so its logs are kept for a known time.
func functionLogGroup(t *samtemplate.Resolved) []Finding {
	groups := map[string]samtemplate.ResolvedResource{}
	for _, res := range t.Resources {
		if res.Type != "AWS::Logs::LogGroup" {
			continue
		}
		if name, ok := res.Properties["LogGroupName"].(string); ok {
			groups[name] = res
		}
	}
	var out []Finding
	for _, f := range t.Functions {
		name := "/aws/lambda/" + f.FunctionName
		g, ok := groups[name]
		if !ok {
			out = append(out, Finding{
				Resource: f.LogicalID,
				Problem:  fmt.Sprintf("has no AWS::Logs::LogGroup named %s: Lambda would create one on first use, kept forever and outside the stack", name),
				Fix: fmt.Sprintf("add an AWS::Logs::LogGroup with LogGroupName: !Sub /aws/lambda/<the function's FunctionName, e.g. ${AWS::StackName}-%s> and RetentionInDays",
					f.Name),
			})
			continue
		}
		if _, ok := g.Properties["RetentionInDays"]; !ok {
			out = append(out, Finding{
				Resource: g.LogicalID,
				Problem:  fmt.Sprintf("log group of %s sets no RetentionInDays: its logs would be kept forever", f.LogicalID),
				Fix:      "set RetentionInDays (the template keeps 30 days, as long as the status table keeps a request)",
			})
		}
	}
	return out
}
