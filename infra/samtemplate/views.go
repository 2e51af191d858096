package samtemplate

import (
	"encoding/json"
	"fmt"
	"strings"
)

// buildViews fills the typed views from the resolved resources.
func (r *Resolved) buildViews(e *evaluator) error {
	queueByARN := map[string]string{}
	topicByARN := map[string]string{}
	apiByID := map[string]string{}
	for _, res := range r.Resources {
		ref := ResourceRef{LogicalID: res.LogicalID, Type: res.Type, Name: res.Name}
		switch res.Type {
		case "AWS::SQS::Queue":
			q, err := buildQueue(res, ref, e.resolver)
			if err != nil {
				return fmt.Errorf("queue %s: %w", res.LogicalID, err)
			}
			queueByARN[q.ARN] = q.LogicalID
			r.Queues = append(r.Queues, q)
		case "AWS::SNS::Topic":
			arn, err := e.resolver.Ref(ref)
			if err != nil {
				return fmt.Errorf("topic %s: %w", res.LogicalID, err)
			}
			fifo, _ := toBool(res.Properties["FifoTopic"])
			topicByARN[arn] = res.LogicalID
			r.Topics = append(r.Topics, Topic{LogicalID: res.LogicalID, Name: res.Name, ARN: arn, FifoTopic: fifo})
		case "AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api":
			id, err := e.resolver.Ref(ref)
			if err == nil {
				apiByID[id] = res.LogicalID
			}
		}
	}
	for i, q := range r.Queues {
		if q.RedrivePolicy != nil {
			r.Queues[i].RedrivePolicy.DeadLetterQueue = queueByARN[q.RedrivePolicy.DeadLetterTargetARN]
		}
	}
	for _, res := range r.Resources {
		ref := ResourceRef{LogicalID: res.LogicalID, Type: res.Type, Name: res.Name}
		var err error
		switch res.Type {
		case "AWS::SNS::Subscription":
			var s Subscription
			if s, err = buildSubscription(res, topicByARN, queueByARN); err == nil {
				r.Subscriptions = append(r.Subscriptions, s)
			}
		case "AWS::SQS::QueuePolicy":
			var p QueuePolicy
			if p, err = buildQueuePolicy(res, r.Queues); err == nil {
				r.QueuePolicies = append(r.QueuePolicies, p)
			}
		case "AWS::DynamoDB::Table":
			var t Table
			if t, err = buildTable(res, ref, e.resolver); err == nil {
				r.Tables = append(r.Tables, t)
			}
		case "AWS::Serverless::Function":
			var f Function
			if f, err = buildFunction(res, ref, e.resolver, queueByARN, apiByID); err == nil {
				r.Functions = append(r.Functions, f)
			}
		case "AWS::CloudWatch::Alarm":
			var a Alarm
			if a, err = buildAlarm(res); err == nil {
				r.Alarms = append(r.Alarms, a)
			}
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", res.Type, res.LogicalID, err)
		}
	}
	return nil
}

// intProp reads an integer property, def when absent.
func intProp(props map[string]any, key string, def int) (int, error) {
	v, ok := props[key]
	if !ok {
		return def, nil
	}
	n, err := toInt(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	return n, nil
}

func boolProp(props map[string]any, key string) (bool, error) {
	v, ok := props[key]
	if !ok {
		return false, nil
	}
	b, err := toBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: %w", key, err)
	}
	return b, nil
}

// jsonProp reads a Json-typed property, given either as an object or as a
// JSON string.
func jsonProp(props map[string]any, key string) (map[string]any, error) {
	switch v := props[key].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return v, nil
	case string:
		var m map[string]any
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("%s: %v is not a JSON object", key, v)
	}
}

func buildQueue(res ResolvedResource, ref ResourceRef, rv Resolver) (Queue, error) {
	q := Queue{LogicalID: res.LogicalID, Name: res.Name}
	var err error
	if q.URL, err = rv.Ref(ref); err != nil {
		return q, err
	}
	if q.ARN, err = rv.GetAtt(ref, "Arn"); err != nil {
		return q, err
	}
	p := res.Properties
	for _, f := range []struct {
		key string
		def int
		dst *int
	}{
		{"VisibilityTimeout", 30, &q.VisibilityTimeout},
		{"MessageRetentionPeriod", 345600, &q.MessageRetentionPeriod},
		{"DelaySeconds", 0, &q.DelaySeconds},
		{"MaximumMessageSize", 262144, &q.MaximumMessageSize},
		{"ReceiveMessageWaitTimeSeconds", 0, &q.ReceiveMessageWaitTimeSeconds},
	} {
		if *f.dst, err = intProp(p, f.key, f.def); err != nil {
			return q, err
		}
	}
	if q.FifoQueue, err = boolProp(p, "FifoQueue"); err != nil {
		return q, err
	}
	if q.ContentBasedDeduplication, err = boolProp(p, "ContentBasedDeduplication"); err != nil {
		return q, err
	}
	rp, err := jsonProp(p, "RedrivePolicy")
	if err != nil {
		return q, err
	}
	if rp != nil {
		target, err := scalarString(rp["deadLetterTargetArn"])
		if err != nil || target == "" {
			return q, fmt.Errorf("RedrivePolicy: deadLetterTargetArn missing")
		}
		n, err := intProp(rp, "maxReceiveCount", 0)
		if err != nil || n < 1 {
			return q, fmt.Errorf("RedrivePolicy: maxReceiveCount missing or invalid")
		}
		q.RedrivePolicy = &RedrivePolicy{DeadLetterTargetARN: target, MaxReceiveCount: n}
	}
	return q, nil
}

func buildSubscription(res ResolvedResource, topicByARN, queueByARN map[string]string) (Subscription, error) {
	p := res.Properties
	s := Subscription{LogicalID: res.LogicalID, FilterPolicyScope: "MessageAttributes"}
	var err error
	if s.TopicARN, err = scalarString(p["TopicArn"]); err != nil {
		return s, fmt.Errorf("TopicArn: %w", err)
	}
	s.Topic = topicByARN[s.TopicARN]
	s.Protocol, _ = scalarString(p["Protocol"])
	s.Endpoint, _ = scalarString(p["Endpoint"])
	if s.Protocol == "sqs" {
		s.EndpointQueue = queueByARN[s.Endpoint]
	}
	if s.RawMessageDelivery, err = boolProp(p, "RawMessageDelivery"); err != nil {
		return s, err
	}
	if scope, ok := p["FilterPolicyScope"]; ok {
		if s.FilterPolicyScope, err = scalarString(scope); err != nil {
			return s, fmt.Errorf("FilterPolicyScope: %w", err)
		}
	}
	fp, err := jsonProp(p, "FilterPolicy")
	if err != nil {
		return s, err
	}
	if fp != nil {
		if s.FilterPolicy, err = json.Marshal(fp); err != nil {
			return s, fmt.Errorf("FilterPolicy: %w", err)
		}
	}
	rp, err := jsonProp(p, "RedrivePolicy")
	if err != nil {
		return s, err
	}
	if rp != nil {
		if s.DeadLetterTargetARN, err = scalarString(rp["deadLetterTargetArn"]); err != nil || s.DeadLetterTargetARN == "" {
			return s, fmt.Errorf("RedrivePolicy: deadLetterTargetArn missing")
		}
		s.DeadLetterQueue = queueByARN[s.DeadLetterTargetARN]
	}
	return s, nil
}

func buildQueuePolicy(res ResolvedResource, queues []Queue) (QueuePolicy, error) {
	p := QueuePolicy{LogicalID: res.LogicalID}
	urls, err := toStrings(res.Properties["Queues"])
	if err != nil {
		return p, fmt.Errorf("property Queues: %w", err)
	}
	for _, u := range urls {
		found := ""
		for _, q := range queues {
			if q.URL == u {
				found = q.LogicalID
			}
		}
		if found == "" {
			return p, fmt.Errorf("property Queues: %s is no queue of this template", u)
		}
		p.Queues = append(p.Queues, found)
	}
	doc, err := jsonProp(res.Properties, "PolicyDocument")
	if err != nil {
		return p, err
	}
	if p.Document, err = parsePolicyDocument(doc); err != nil {
		return p, fmt.Errorf("PolicyDocument: %w", err)
	}
	return p, nil
}

func parsePolicyDocument(doc map[string]any) (PolicyDocument, error) {
	var d PolicyDocument
	d.Version, _ = scalarString(doc["Version"])
	stmts, err := parseStatements(doc["Statement"])
	d.Statement = stmts
	return d, err
}

func parseStatements(v any) ([]Statement, error) {
	var raw []any
	switch x := v.(type) {
	case []any:
		raw = x
	case map[string]any:
		raw = []any{x}
	case nil:
		return nil, nil
	default:
		return nil, fmt.Errorf("Statement: %v is not a list", v)
	}
	var out []Statement
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("statement %d is not a mapping", i)
		}
		var s Statement
		var err error
		s.Sid, _ = scalarString(m["Sid"])
		s.Effect, _ = scalarString(m["Effect"])
		if s.Action, err = toStrings(m["Action"]); err != nil {
			return nil, fmt.Errorf("Statement[%d].Action: %w", i, err)
		}
		if s.Resource, err = toStrings(m["Resource"]); err != nil {
			return nil, fmt.Errorf("Statement[%d].Resource: %w", i, err)
		}
		switch pr := m["Principal"].(type) {
		case string:
			s.Principal = map[string][]string{"*": {pr}}
		case map[string]any:
			s.Principal = map[string][]string{}
			for k, v := range pr {
				if s.Principal[k], err = toStrings(v); err != nil {
					return nil, fmt.Errorf("Statement[%d].Principal: %w", i, err)
				}
			}
		}
		if c, ok := m["Condition"].(map[string]any); ok {
			s.Condition = map[string]map[string][]string{}
			for op, kv := range c {
				kvm, ok := kv.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("Statement[%d].Condition.%s is not a mapping", i, op)
				}
				s.Condition[op] = map[string][]string{}
				for k, v := range kvm {
					if s.Condition[op][k], err = toStrings(v); err != nil {
						return nil, fmt.Errorf("Statement[%d].Condition.%s.%s: %w", i, op, k, err)
					}
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func buildTable(res ResolvedResource, ref ResourceRef, rv Resolver) (Table, error) {
	t := Table{LogicalID: res.LogicalID, Name: res.Name, BillingMode: "PROVISIONED"}
	var err error
	if t.ARN, err = rv.GetAtt(ref, "Arn"); err != nil {
		return t, err
	}
	p := res.Properties
	if bm, ok := p["BillingMode"]; ok {
		t.BillingMode, _ = scalarString(bm)
	}
	types := map[string]string{}
	if defs, ok := p["AttributeDefinitions"].([]any); ok {
		for _, d := range defs {
			if m, ok := d.(map[string]any); ok {
				n, _ := scalarString(m["AttributeName"])
				ty, _ := scalarString(m["AttributeType"])
				types[n] = ty
			}
		}
	}
	t.HashKey, t.HashKeyType, t.RangeKey, t.RangeKeyType = keySchema(p["KeySchema"], types)
	if t.HashKey == "" {
		return t, fmt.Errorf("KeySchema: no HASH key")
	}
	gsis, _ := p["GlobalSecondaryIndexes"].([]any)
	for i, g := range gsis {
		m, ok := g.(map[string]any)
		if !ok {
			return t, fmt.Errorf("GlobalSecondaryIndexes[%d]: not a mapping", i)
		}
		ix := Index{}
		ix.Name, _ = scalarString(m["IndexName"])
		ix.HashKey, ix.HashKeyType, ix.RangeKey, ix.RangeKeyType = keySchema(m["KeySchema"], types)
		if ix.Name == "" || ix.HashKey == "" {
			return t, fmt.Errorf("GlobalSecondaryIndexes[%d]: IndexName and a HASH key are required", i)
		}
		if pr, ok := m["Projection"].(map[string]any); ok {
			ix.Projection, _ = scalarString(pr["ProjectionType"])
			if nk, ok := pr["NonKeyAttributes"].([]any); ok {
				for _, a := range nk {
					if s, err := scalarString(a); err == nil {
						ix.NonKeyAttributes = append(ix.NonKeyAttributes, s)
					}
				}
			}
		}
		t.Indexes = append(t.Indexes, ix)
	}
	if ttl, ok := p["TimeToLiveSpecification"].(map[string]any); ok {
		if on, _ := toBool(ttl["Enabled"]); on {
			t.TTLAttribute, _ = scalarString(ttl["AttributeName"])
		}
	}
	return t, nil
}

// keySchema reads a KeySchema list: the HASH and RANGE attribute names
// with their types from the table's AttributeDefinitions.
func keySchema(v any, types map[string]string) (hash, hashType, rng, rngType string) {
	ks, _ := v.([]any)
	for _, k := range ks {
		m, ok := k.(map[string]any)
		if !ok {
			continue
		}
		n, _ := scalarString(m["AttributeName"])
		switch kt, _ := scalarString(m["KeyType"]); kt {
		case "HASH":
			hash, hashType = n, types[n]
		case "RANGE":
			rng, rngType = n, types[n]
		}
	}
	return hash, hashType, rng, rngType
}

func buildFunction(res ResolvedResource, ref ResourceRef, rv Resolver, queueByARN, apiByID map[string]string) (Function, error) {
	p := res.Properties
	f := Function{LogicalID: res.LogicalID, Name: ShortName(res.LogicalID), FunctionName: res.Name}
	var err error
	if f.ARN, err = rv.GetAtt(ref, "Arn"); err != nil {
		return f, err
	}
	f.CodeURI, _ = scalarString(p["CodeUri"])
	f.Handler, _ = scalarString(p["Handler"])
	f.Runtime, _ = scalarString(p["Runtime"])
	if f.BuildMethod, err = scalarString(res.Metadata["BuildMethod"]); err != nil {
		return f, fmt.Errorf("Metadata.BuildMethod: %w", err)
	}
	if f.Architectures, err = toStrings(p["Architectures"]); err != nil {
		return f, fmt.Errorf("property Architectures: %w", err)
	}
	if len(f.Architectures) == 0 {
		f.Architectures = []string{"x86_64"}
	}
	if f.Timeout, err = intProp(p, "Timeout", 3); err != nil {
		return f, err
	}
	if f.MemorySize, err = intProp(p, "MemorySize", 128); err != nil {
		return f, err
	}
	if _, ok := p["ReservedConcurrentExecutions"]; ok {
		n, err := intProp(p, "ReservedConcurrentExecutions", 0)
		if err != nil {
			return f, err
		}
		f.ReservedConcurrentExecutions = &n
	}
	f.Environment = map[string]string{}
	if env, ok := p["Environment"].(map[string]any); ok {
		if vars, ok := env["Variables"].(map[string]any); ok {
			for k, v := range vars {
				if f.Environment[k], err = scalarString(v); err != nil {
					return f, fmt.Errorf("environment variable %s: %w", k, err)
				}
			}
		}
	}
	if f.Policies, err = functionStatements(p["Policies"]); err != nil {
		return f, fmt.Errorf("property Policies: %w", err)
	}
	events, _ := p["Events"].(map[string]any)
	for _, name := range sortedKeys(events) {
		ev, ok := events[name].(map[string]any)
		if !ok {
			return f, fmt.Errorf("event %s is not a mapping", name)
		}
		typ, _ := scalarString(ev["Type"])
		props, _ := ev["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		switch typ {
		case "SQS":
			s, err := buildSQSEvent(name, props, queueByARN)
			if err != nil {
				return f, fmt.Errorf("event %s: %w", name, err)
			}
			f.SQSEvents = append(f.SQSEvents, s)
		case "HttpApi":
			h := HTTPEvent{Name: name, API: "ServerlessHttpApi"}
			if id, ok := props["ApiId"]; ok {
				s, _ := scalarString(id)
				if h.API = apiByID[s]; h.API == "" {
					return f, fmt.Errorf("event %s: ApiId %q is no HTTP API of this template", name, s)
				}
			}
			h.Path, _ = scalarString(props["Path"])
			h.Method, _ = scalarString(props["Method"])
			if h.Path == "" && h.Method == "" {
				h.Path = "$default"
			}
			h.Method = strings.ToUpper(h.Method)
			if h.Method == "" || h.Method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
				h.Method = "ANY"
			}
			f.HTTPEvents = append(f.HTTPEvents, h)
		}
	}
	return f, nil
}

// functionStatements collects the inline statements of a SAM Policies
// property (managed policy names and policy templates carry none).
func functionStatements(v any) ([]Statement, error) {
	var items []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		items = x
	default:
		items = []any{x}
	}
	var out []Statement
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		if st, ok := m["Statement"]; ok {
			s, err := parseStatements(st)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
	}
	return out, nil
}

func buildSQSEvent(name string, props map[string]any, queueByARN map[string]string) (SQSEvent, error) {
	s := SQSEvent{Name: name, Enabled: true}
	var err error
	if s.QueueARN, err = scalarString(props["Queue"]); err != nil || s.QueueARN == "" {
		return s, fmt.Errorf("Queue missing")
	}
	if s.Queue = queueByARN[s.QueueARN]; s.Queue == "" {
		return s, fmt.Errorf("Queue %s is no queue of this template", s.QueueARN)
	}
	if s.BatchSize, err = intProp(props, "BatchSize", 10); err != nil {
		return s, err
	}
	if s.MaximumBatchingWindowInSeconds, err = intProp(props, "MaximumBatchingWindowInSeconds", 0); err != nil {
		return s, err
	}
	if s.FunctionResponseTypes, err = toStrings(props["FunctionResponseTypes"]); err != nil {
		return s, fmt.Errorf("FunctionResponseTypes: %w", err)
	}
	if sc, ok := props["ScalingConfig"].(map[string]any); ok {
		if s.MaximumConcurrency, err = intProp(sc, "MaximumConcurrency", 0); err != nil {
			return s, fmt.Errorf("ScalingConfig: %w", err)
		}
	}
	if _, ok := props["Enabled"]; ok {
		if s.Enabled, err = boolProp(props, "Enabled"); err != nil {
			return s, err
		}
	}
	return s, nil
}

func buildAlarm(res ResolvedResource) (Alarm, error) {
	p := res.Properties
	a := Alarm{LogicalID: res.LogicalID, Dimensions: map[string]string{}}
	a.Namespace, _ = scalarString(p["Namespace"])
	a.MetricName, _ = scalarString(p["MetricName"])
	a.Statistic, _ = scalarString(p["Statistic"])
	a.ComparisonOperator, _ = scalarString(p["ComparisonOperator"])
	if th, ok := p["Threshold"]; ok {
		f, err := toFloat(th)
		if err != nil {
			return a, fmt.Errorf("property Threshold: %w", err)
		}
		a.Threshold = f
	}
	if dims, ok := p["Dimensions"].([]any); ok {
		for _, d := range dims {
			if m, ok := d.(map[string]any); ok {
				n, _ := scalarString(m["Name"])
				v, _ := scalarString(m["Value"])
				a.Dimensions[n] = v
			}
		}
	}
	var err error
	if a.AlarmActions, err = toStrings(p["AlarmActions"]); err != nil {
		return a, fmt.Errorf("AlarmActions: %w", err)
	}
	return a, nil
}
