package templaterules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/api"
	"github.com/eventchain/eventchain/internal/launcher"
)

// readPrefixes start the IAM actions that only read; any other action
// counts as a write.
var readPrefixes = []string{"Describe", "Get", "List", "BatchGet", "Query", "Scan"}

// statement is an Allow statement and the resource whose policy holds it.
type statement struct {
	owner string
	samtemplate.Statement
}

func (s statement) name() string {
	if s.Sid == "" {
		return "a statement"
	}
	return "statement " + s.Sid
}

// allowStatements are the Allow statements of the functions' inline
// policies and of the queue policies. Policies given by name (managed
// policies, SAM policy templates) carry no statements to read.
func allowStatements(t *samtemplate.Resolved) []statement {
	var out []statement
	for _, f := range t.Functions {
		for _, s := range f.Policies {
			if s.Effect == "Allow" {
				out = append(out, statement{f.LogicalID, s})
			}
		}
	}
	for _, p := range t.QueuePolicies {
		for _, s := range p.Document.Statement {
			if s.Effect == "Allow" {
				out = append(out, statement{p.LogicalID, s})
			}
		}
	}
	return out
}

// iamWildcardAction checks that no IAM statement allows an action with "*", which grants actions nobody chose, future ones included.
func iamWildcardAction(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, s := range allowStatements(t) {
		var wild []string
		for _, a := range s.Action {
			if strings.Contains(a, "*") {
				wild = append(wild, a)
			}
		}
		if len(wild) > 0 {
			out = append(out, Finding{
				Resource: s.owner,
				Problem:  fmt.Sprintf("%s allows %s", s.name(), strings.Join(wild, ", ")),
				Fix:      "list the actions the code calls, one by one",
			})
		}
	}
	return out
}

// iamWildcardWrite checks that no IAM statement allows a write action on Resource "*"; only reads may, for actions without resource-level permissions.
func iamWildcardWrite(t *samtemplate.Resolved) []Finding {
	var out []Finding
	for _, s := range allowStatements(t) {
		if !slices.Contains(s.Resource, "*") {
			continue
		}
		var writes []string
		for _, a := range s.Action {
			if !readOnly(a) {
				writes = append(writes, a)
			}
		}
		if len(writes) > 0 {
			out = append(out, Finding{
				Resource: s.owner,
				Problem:  fmt.Sprintf(`%s allows %s on Resource "*"`, s.name(), strings.Join(writes, ", ")),
				Fix:      "name the ARNs the actions act on (!GetAtt <resource>.Arn, or !Sub arn:${AWS::Partition}:… patterns)",
			})
		}
	}
	return out
}

// runInstancesConditions checks that ec2:RunInstances on instances is allowed only for the API's instance types and with the request-id tag.
func runInstancesConditions(t *samtemplate.Resolved) []Finding {
	var allowed []string
	for _, f := range t.Functions {
		if v, ok := f.Environment[api.EnvAllowedInstanceTypes]; ok {
			allowed = strings.Split(v, ",")
		}
	}
	tagKey := "aws:RequestTag/" + launcher.TagRequestID
	var out []Finding
	for _, s := range allowStatements(t) {
		if !slices.ContainsFunc(s.Action, func(a string) bool { return strings.EqualFold(a, "ec2:RunInstances") }) {
			continue
		}
		instances := slices.DeleteFunc(slices.Clone(s.Resource), func(r string) bool { return r != "*" && !strings.Contains(r, ":instance/") })
		if len(instances) == 0 {
			continue
		}
		add := func(problem, fix string) {
			out = append(out, Finding{Resource: s.owner, Problem: s.name() + " " + problem, Fix: fix})
		}
		if len(instances) < len(s.Resource) {
			add(fmt.Sprintf("allows ec2:RunInstances on instances (%s) and on other resources together: the instance-only condition keys would deny on the others, or leave instances unconditioned",
				strings.Join(instances, ", ")),
				"split it: one statement on instance/* with the conditions, one without conditions on volumes, images, subnets, security groups, network interfaces and key pairs")
		}
		types := s.Condition["StringEquals"]["ec2:InstanceType"]
		switch {
		case len(types) == 0:
			add("allows ec2:RunInstances on instances of any type",
				"add Condition StringEquals ec2:InstanceType: !Split [\",\", !Ref AllowedInstanceTypes]")
		case allowed != nil && !sameSet(types, allowed):
			add(fmt.Sprintf("allows instance types %v but the API accepts %v (%s)", types, allowed, api.EnvAllowedInstanceTypes),
				"take both from the one parameter: StringEquals ec2:InstanceType: !Split [\",\", !Ref AllowedInstanceTypes]")
		}
		if len(s.Condition["StringLike"][tagKey]) == 0 && len(s.Condition["StringEquals"][tagKey]) == 0 {
			add("allows ec2:RunInstances on instances without the "+launcher.TagRequestID+" request tag: instances nobody can trace or terminate could be started",
				fmt.Sprintf("add Condition StringLike %s: \"*\"", tagKey))
		}
	}
	return out
}

// readOnly reports whether an IAM action ("service:Verb…") only reads.
func readOnly(action string) bool {
	_, verb, ok := strings.Cut(action, ":")
	if !ok {
		return false
	}
	return slices.ContainsFunc(readPrefixes, func(p string) bool { return strings.HasPrefix(verb, p) })
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
