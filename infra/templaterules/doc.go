// Package templaterules holds eventchain's rules for its SAM template: what
// the pipeline needs of its queues, subscriptions, alarms, functions and IAM
// statements that neither CloudFormation nor cfn-lint can know
// (docs/architecture.md, "Template rules").
//
// Each rule is one function over the resolved template (infra/samtemplate,
// which stays a generic reader). Errors are structural and hold whatever
// the parameters; warnings are sizing rules that hold for the values
// deployed, the template's defaults, and that tests and local runs break on
// purpose with short timeouts. `eventchain validate` runs them before
// cfn-lint and `eventchain run` before it starts.
package templaterules
