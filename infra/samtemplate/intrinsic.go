package samtemplate

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// noValue is what !Ref AWS::NoValue evaluates to: the enclosing property or
// list element is removed.
type noValueT struct{}

var noValue = noValueT{}

// evaluator binds one template to parameter values and a Resolver.
type evaluator struct {
	t        *Template
	params   map[string]string
	resolver Resolver

	conds      map[string]bool
	condActive map[string]bool // conditions being evaluated, for cycles
	// resources holds the resources whose Condition holds; refs to others fail.
	resources map[string]Resource
	names     map[string]string
	naming    map[string]bool
}

func (e *evaluator) eval(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if isIntrinsic(k) {
					return e.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			r, err := e.eval(x[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if r != noValue {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for i, el := range x {
			r, err := e.eval(el)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if r != noValue {
				out = append(out, r)
			}
		}
		return out, nil
	}
	return v, nil
}

func isIntrinsic(k string) bool {
	return k == "Ref" || strings.HasPrefix(k, "Fn::")
}

func (e *evaluator) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Ref takes a name, got %v", arg)
		}
		return e.ref(name)
	case "Fn::GetAtt":
		return e.getAtt(arg)
	case "Fn::Sub":
		return e.sub(arg)
	case "Fn::Join":
		return e.join(arg)
	case "Fn::Select":
		return e.selectFn(arg)
	case "Fn::Split":
		return e.split(arg)
	case "Fn::If":
		return e.ifFn(arg)
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not":
		return e.condition(map[string]any{fn: arg})
	case "Fn::FindInMap":
		return e.findInMap(arg)
	case "Fn::Base64":
		s, err := e.evalString(arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::Base64: %w", err)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	}
	return nil, fmt.Errorf("%s is not supported outside AWS", fn)
}

// ref resolves !Ref of a parameter, a pseudo parameter or a resource.
func (e *evaluator) ref(name string) (any, error) {
	if v, ok := e.params[name]; ok {
		p, _ := e.t.Parameter(name)
		if p.isList() {
			if v == "" {
				return []any{}, nil
			}
			var out []any
			for _, s := range strings.Split(v, ",") {
				out = append(out, s)
			}
			return out, nil
		}
		return v, nil
	}
	if name == "AWS::NoValue" {
		return noValue, nil
	}
	if strings.HasPrefix(name, "AWS::") {
		if name == "AWS::NotificationARNs" {
			return []any{}, nil
		}
		return e.resolver.Pseudo(name)
	}
	rr, err := e.resourceRef(name)
	if err != nil {
		return nil, err
	}
	v, err := e.resolver.Ref(rr)
	if err != nil {
		return nil, fmt.Errorf("Ref %s: %w", name, err)
	}
	return v, nil
}

func (e *evaluator) getAtt(arg any) (any, error) {
	parts, ok := arg.([]any)
	if !ok || len(parts) != 2 {
		return nil, fmt.Errorf("Fn::GetAtt takes [Resource, Attribute], got %v", arg)
	}
	res, ok := parts[0].(string)
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt: resource %v is not a name", parts[0])
	}
	attr, err := e.evalString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("Fn::GetAtt %s: %w", res, err)
	}
	return e.attr(res, attr)
}

func (e *evaluator) attr(res, attr string) (string, error) {
	rr, err := e.resourceRef(res)
	if err != nil {
		return "", err
	}
	v, err := e.resolver.GetAtt(rr, attr)
	if err != nil {
		return "", fmt.Errorf("GetAtt %s.%s: %w", res, attr, err)
	}
	return v, nil
}

func (e *evaluator) resourceRef(logicalID string) (ResourceRef, error) {
	r, ok := e.resources[logicalID]
	if !ok {
		if _, exists := e.t.Resource(logicalID); exists {
			return ResourceRef{}, fmt.Errorf("resource %s is not created: its condition is false", logicalID)
		}
		return ResourceRef{}, fmt.Errorf("unknown parameter or resource %s", logicalID)
	}
	name, err := e.physicalName(r)
	if err != nil {
		return ResourceRef{}, err
	}
	return ResourceRef{LogicalID: logicalID, Type: r.Type, Name: name}, nil
}

// nameProperty is the property that names a resource of each type.
var nameProperty = map[string]string{
	"AWS::SQS::Queue":           "QueueName",
	"AWS::SNS::Topic":           "TopicName",
	"AWS::DynamoDB::Table":      "TableName",
	"AWS::Serverless::Function": "FunctionName",
	"AWS::Lambda::Function":     "FunctionName",
	"AWS::CloudWatch::Alarm":    "AlarmName",
	"AWS::IAM::Role":            "RoleName",
	"AWS::ApiGatewayV2::Api":    "Name",
	"AWS::Serverless::HttpApi":  "Name",
}

// physicalName applies the package's naming rule: the name property if the
// resource sets it, else <stack>-<LogicalId> (+ ".fifo" for FIFO queues and
// topics).
func (e *evaluator) physicalName(r Resource) (string, error) {
	if n, ok := e.names[r.LogicalID]; ok {
		return n, nil
	}
	if e.naming[r.LogicalID] {
		return "", fmt.Errorf("resource %s: its name depends on itself", r.LogicalID)
	}
	e.naming[r.LogicalID] = true
	defer delete(e.naming, r.LogicalID)

	var name string
	if prop, ok := nameProperty[r.Type]; ok {
		if raw, ok := r.Properties[prop]; ok {
			v, err := e.eval(raw)
			if err != nil {
				return "", fmt.Errorf("resource %s %s: %w", r.LogicalID, prop, err)
			}
			if v != noValue {
				if name, err = scalarString(v); err != nil {
					return "", fmt.Errorf("resource %s %s: %w", r.LogicalID, prop, err)
				}
			}
		}
	}
	if name == "" {
		stack, err := e.resolver.Pseudo("AWS::StackName")
		if err != nil {
			return "", err
		}
		name = stack + "-" + r.LogicalID
		fifoProp := map[string]string{"AWS::SQS::Queue": "FifoQueue", "AWS::SNS::Topic": "FifoTopic"}[r.Type]
		if raw, ok := r.Properties[fifoProp]; ok && fifoProp != "" {
			v, err := e.eval(raw)
			if err != nil {
				return "", fmt.Errorf("resource %s %s: %w", r.LogicalID, fifoProp, err)
			}
			if b, _ := toBool(v); b {
				name += ".fifo"
			}
		}
	}
	e.names[r.LogicalID] = name
	return name, nil
}

func (e *evaluator) evalString(v any) (string, error) {
	r, err := e.eval(v)
	if err != nil {
		return "", err
	}
	return scalarString(r)
}

func (e *evaluator) evalList(v any) ([]any, error) {
	r, err := e.eval(v)
	if err != nil {
		return nil, err
	}
	l, ok := r.([]any)
	if !ok {
		return nil, fmt.Errorf("%v is not a list", r)
	}
	return l, nil
}

// sub implements Fn::Sub: ${Param}, ${AWS::Pseudo}, ${Resource} (its Ref),
// ${Resource.Attr} (its GetAtt), variables from the optional map, and
// ${!Literal} for a literal "${Literal}".
func (e *evaluator) sub(arg any) (any, error) {
	var tmpl string
	vars := map[string]any{}
	switch x := arg.(type) {
	case string:
		tmpl = x
	case []any:
		if len(x) != 2 {
			return nil, fmt.Errorf("Fn::Sub takes a string or [string, map]")
		}
		s, ok := x[0].(string)
		m, ok2 := x[1].(map[string]any)
		if !ok || !ok2 {
			return nil, fmt.Errorf("Fn::Sub takes [string, map]")
		}
		tmpl = s
		for k, v := range m {
			vars[k] = v
		}
	default:
		return nil, fmt.Errorf("Fn::Sub takes a string or [string, map], got %v", arg)
	}
	var b strings.Builder
	rest := tmpl
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		j := strings.Index(rest[i:], "}")
		if j < 0 {
			return nil, fmt.Errorf("Fn::Sub %q: unclosed ${", tmpl)
		}
		name := rest[i+2 : i+j]
		rest = rest[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		s, err := e.subVar(strings.TrimSpace(name), vars)
		if err != nil {
			return nil, fmt.Errorf("Fn::Sub %q: %w", tmpl, err)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func (e *evaluator) subVar(name string, vars map[string]any) (string, error) {
	if v, ok := vars[name]; ok {
		return e.evalString(v)
	}
	if _, isParam := e.params[name]; isParam || strings.HasPrefix(name, "AWS::") {
		v, err := e.ref(name)
		if err != nil {
			return "", err
		}
		if l, ok := v.([]any); ok {
			ss, _ := toStrings(l)
			return strings.Join(ss, ","), nil
		}
		return scalarString(v)
	}
	if res, attr, ok := strings.Cut(name, "."); ok {
		return e.attr(res, attr)
	}
	v, err := e.ref(name)
	if err != nil {
		return "", err
	}
	return scalarString(v)
}

func (e *evaluator) join(arg any) (any, error) {
	x, ok := arg.([]any)
	if !ok || len(x) != 2 {
		return nil, fmt.Errorf("Fn::Join takes [delimiter, list]")
	}
	delim, err := e.evalString(x[0])
	if err != nil {
		return nil, fmt.Errorf("Fn::Join delimiter: %w", err)
	}
	list, err := e.evalList(x[1])
	if err != nil {
		return nil, fmt.Errorf("Fn::Join: %w", err)
	}
	parts, err := toStrings(list)
	if err != nil {
		return nil, fmt.Errorf("Fn::Join: %w", err)
	}
	return strings.Join(parts, delim), nil
}

func (e *evaluator) selectFn(arg any) (any, error) {
	x, ok := arg.([]any)
	if !ok || len(x) != 2 {
		return nil, fmt.Errorf("Fn::Select takes [index, list]")
	}
	idxV, err := e.eval(x[0])
	if err != nil {
		return nil, fmt.Errorf("Fn::Select index: %w", err)
	}
	idx, err := toInt(idxV)
	if err != nil {
		return nil, fmt.Errorf("Fn::Select index: %w", err)
	}
	list, err := e.evalList(x[1])
	if err != nil {
		return nil, fmt.Errorf("Fn::Select: %w", err)
	}
	if idx < 0 || idx >= len(list) {
		return nil, fmt.Errorf("Fn::Select: index %d out of range (%d items)", idx, len(list))
	}
	return list[idx], nil
}

func (e *evaluator) split(arg any) (any, error) {
	x, ok := arg.([]any)
	if !ok || len(x) != 2 {
		return nil, fmt.Errorf("Fn::Split takes [delimiter, string]")
	}
	delim, err := e.evalString(x[0])
	if err != nil || delim == "" {
		return nil, fmt.Errorf("Fn::Split: invalid delimiter")
	}
	s, err := e.evalString(x[1])
	if err != nil {
		return nil, fmt.Errorf("Fn::Split: %w", err)
	}
	var out []any
	for _, p := range strings.Split(s, delim) {
		out = append(out, p)
	}
	return out, nil
}

func (e *evaluator) ifFn(arg any) (any, error) {
	x, ok := arg.([]any)
	if !ok || len(x) != 3 {
		return nil, fmt.Errorf("Fn::If takes [condition, then, else]")
	}
	name, ok := x[0].(string)
	if !ok {
		return nil, fmt.Errorf("Fn::If: condition %v is not a name", x[0])
	}
	holds, err := e.conditionNamed(name)
	if err != nil {
		return nil, err
	}
	if holds {
		return e.eval(x[1])
	}
	return e.eval(x[2])
}

func (e *evaluator) findInMap(arg any) (any, error) {
	x, ok := arg.([]any)
	if !ok || len(x) != 3 {
		return nil, fmt.Errorf("Fn::FindInMap takes [map, key, key]")
	}
	keys := make([]string, 3)
	for i := range x {
		s, err := e.evalString(x[i])
		if err != nil {
			return nil, fmt.Errorf("Fn::FindInMap: %w", err)
		}
		keys[i] = s
	}
	top, ok := e.t.Mappings[keys[0]].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Fn::FindInMap: no mapping %s", keys[0])
	}
	second, ok := top[keys[1]].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Fn::FindInMap: mapping %s has no key %s", keys[0], keys[1])
	}
	v, ok := second[keys[2]]
	if !ok {
		return nil, fmt.Errorf("Fn::FindInMap: mapping %s.%s has no key %s", keys[0], keys[1], keys[2])
	}
	return e.eval(v)
}

// conditionNamed evaluates a named condition once and remembers it.
func (e *evaluator) conditionNamed(name string) (bool, error) {
	if v, ok := e.conds[name]; ok {
		return v, nil
	}
	body, ok := e.t.Conditions[name]
	if !ok {
		return false, fmt.Errorf("unknown condition %s", name)
	}
	if e.condActive[name] {
		return false, fmt.Errorf("condition %s depends on itself", name)
	}
	e.condActive[name] = true
	defer delete(e.condActive, name)
	v, err := e.condition(body)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	e.conds[name] = v
	return v, nil
}

// condition evaluates a condition body: Fn::Equals, Fn::And, Fn::Or,
// Fn::Not or {"Condition": name}.
func (e *evaluator) condition(body any) (bool, error) {
	m, ok := body.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("%v is not a condition function", body)
	}
	for fn, arg := range m {
		switch fn {
		case "Condition":
			name, ok := arg.(string)
			if !ok {
				return false, fmt.Errorf("condition function takes a name")
			}
			return e.conditionNamed(name)
		case "Fn::Equals":
			x, ok := arg.([]any)
			if !ok || len(x) != 2 {
				return false, fmt.Errorf("Fn::Equals takes two values")
			}
			a, err := e.evalString(x[0])
			if err != nil {
				return false, fmt.Errorf("Fn::Equals: %w", err)
			}
			b, err := e.evalString(x[1])
			if err != nil {
				return false, fmt.Errorf("Fn::Equals: %w", err)
			}
			return a == b, nil
		case "Fn::Not":
			x, ok := arg.([]any)
			if !ok || len(x) != 1 {
				return false, fmt.Errorf("Fn::Not takes one condition")
			}
			v, err := e.condition(x[0])
			return !v, err
		case "Fn::And", "Fn::Or":
			x, ok := arg.([]any)
			if !ok || len(x) < 2 || len(x) > 10 {
				return false, fmt.Errorf("%s takes 2 to 10 conditions", fn)
			}
			and := fn == "Fn::And"
			for _, c := range x {
				v, err := e.condition(c)
				if err != nil {
					return false, err
				}
				if and && !v {
					return false, nil
				}
				if !and && v {
					return true, nil
				}
			}
			return and, nil
		}
		return false, fmt.Errorf("%s is not a condition function", fn)
	}
	return false, nil
}
