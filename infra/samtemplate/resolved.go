package samtemplate

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Resolved is a template bound to parameter values: every intrinsic
// function evaluated, Globals merged, resources whose Condition is false
// left out, and typed views of what the local runner builds.
type Resolved struct {
	StackName  string
	Region     string
	AccountID  string
	Parameters map[string]string
	Conditions map[string]bool

	// Resources holds every created resource, properties fully resolved, in
	// template order.
	Resources []ResolvedResource

	Queues        []Queue
	Topics        []Topic
	Subscriptions []Subscription
	QueuePolicies []QueuePolicy
	Tables        []Table
	Functions     []Function
	Alarms        []Alarm
	// Outputs in template order (outputs whose Condition is false left out).
	Outputs []OutputValue
}

// ResolvedResource is a resource after resolution.
type ResolvedResource struct {
	LogicalID  string
	Type       string
	Name       string // physical name
	Properties map[string]any
	Metadata   map[string]any
}

// Queue is an AWS::SQS::Queue.
type Queue struct {
	LogicalID string
	Name      string
	URL       string
	ARN       string
	// Seconds; CloudFormation's defaults apply when a property is absent
	// (visibility 30, retention 345600, maximum size 262144).
	VisibilityTimeout             int
	MessageRetentionPeriod        int
	DelaySeconds                  int
	MaximumMessageSize            int
	ReceiveMessageWaitTimeSeconds int
	FifoQueue                     bool
	ContentBasedDeduplication     bool
	RedrivePolicy                 *RedrivePolicy
}

// RedrivePolicy sends a queue's messages to a dead-letter queue after
// MaxReceiveCount receives.
type RedrivePolicy struct {
	// DeadLetterQueue is the DLQ's logical id ("" if the ARN names no
	// queue of this template).
	DeadLetterQueue     string
	DeadLetterTargetARN string
	MaxReceiveCount     int
}

// Topic is an AWS::SNS::Topic.
type Topic struct {
	LogicalID string
	Name      string
	ARN       string
	FifoTopic bool
}

// Subscription is an AWS::SNS::Subscription.
type Subscription struct {
	LogicalID string
	// Topic is the topic's logical id; TopicARN its ARN.
	Topic    string
	TopicARN string
	Protocol string
	Endpoint string
	// EndpointQueue is the logical id of the subscribed queue (sqs protocol).
	EndpointQueue      string
	RawMessageDelivery bool
	// FilterPolicy is the policy as JSON; nil when the subscription has none.
	FilterPolicy json.RawMessage
	// FilterPolicyScope is MessageAttributes (the default) or MessageBody.
	FilterPolicyScope string
	// DeadLetterQueue is the logical id of the subscription's DLQ and
	// DeadLetterTargetARN its ARN; both empty without a RedrivePolicy.
	DeadLetterQueue     string
	DeadLetterTargetARN string
}

// QueuePolicy is an AWS::SQS::QueuePolicy.
type QueuePolicy struct {
	LogicalID string
	// Queues are the logical ids of the queues the policy is attached to.
	Queues   []string
	Document PolicyDocument
}

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string
	Statement []Statement
}

// Statement is one IAM policy statement; single values are lists of one.
type Statement struct {
	Sid       string
	Effect    string
	Principal map[string][]string
	Action    []string
	Resource  []string
	// Condition maps operator → key → values.
	Condition map[string]map[string][]string
}

// Table is an AWS::DynamoDB::Table.
type Table struct {
	LogicalID    string
	Name         string
	ARN          string
	BillingMode  string
	HashKey      string
	HashKeyType  string
	RangeKey     string
	RangeKeyType string
	TTLAttribute string // "" when TTL is off
	// Indexes are the global secondary indexes.
	Indexes []Index
}

// Index is a global secondary index of a Table.
type Index struct {
	Name         string
	HashKey      string
	HashKeyType  string
	RangeKey     string
	RangeKeyType string
	// Projection is ALL, KEYS_ONLY or INCLUDE (with NonKeyAttributes).
	Projection       string
	NonKeyAttributes []string
}

// Function is an AWS::Serverless::Function with Globals merged.
type Function struct {
	LogicalID string
	// Name is the function's short name, its logical id without the
	// "Function" suffix, lower-cased: ApiFunction → "api". It is the name
	// the event catalog and functions/<name> use.
	Name string
	// FunctionName is the physical name (FunctionName, or <stack>-<LogicalId>).
	FunctionName  string
	ARN           string
	CodeURI       string
	BuildMethod   string
	Handler       string
	Runtime       string
	Architectures []string
	// Timeout in seconds (Lambda's default 3) and MemorySize in MB (128).
	Timeout    int
	MemorySize int
	// ReservedConcurrentExecutions is nil when the function has none.
	ReservedConcurrentExecutions *int
	Environment                  map[string]string
	Policies                     []Statement
	SQSEvents                    []SQSEvent
	HTTPEvents                   []HTTPEvent
}

// SQSEvent is an SQS event source of a function.
type SQSEvent struct {
	Name string
	// Queue is the queue's logical id; QueueARN its ARN.
	Queue                          string
	QueueARN                       string
	BatchSize                      int // default 10
	MaximumBatchingWindowInSeconds int
	FunctionResponseTypes          []string
	// MaximumConcurrency is ScalingConfig.MaximumConcurrency, 0 if unset.
	MaximumConcurrency int
	Enabled            bool
}

// HTTPEvent is an HttpApi event of a function.
type HTTPEvent struct {
	Name string
	// API is the HTTP API's logical id ("ServerlessHttpApi" when implicit).
	API string
	// Path as written ("/launches/{requestId}", "$default") and Method
	// upper-cased ("ANY" for any method).
	Path   string
	Method string
}

// Alarm is an AWS::CloudWatch::Alarm.
type Alarm struct {
	LogicalID          string
	Namespace          string
	MetricName         string
	Dimensions         map[string]string
	Statistic          string
	Threshold          float64
	ComparisonOperator string
	AlarmActions       []string
}

// OutputValue is a resolved output.
type OutputValue struct {
	Name        string
	Description string
	Value       string
}

// Resolve binds the template to parameter overrides (over the defaults) and
// evaluates it with r. Overrides naming no parameter, or breaking a
// parameter's constraints (AllowedValues, AllowedPattern, MinValue,
// MaxValue, lengths, numbers), are refused.
func (t *Template) Resolve(overrides map[string]string, r Resolver) (*Resolved, error) {
	if r == nil {
		return nil, fmt.Errorf("resolve template: no resolver")
	}
	params, err := t.bindParameters(overrides)
	if err != nil {
		return nil, fmt.Errorf("resolve template: %w", err)
	}
	e := &evaluator{
		t: t, params: params, resolver: r,
		conds: map[string]bool{}, condActive: map[string]bool{},
		resources: map[string]Resource{}, names: map[string]string{}, naming: map[string]bool{},
	}
	out := &Resolved{Parameters: params, Conditions: map[string]bool{}}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"AWS::StackName", &out.StackName}, {"AWS::Region", &out.Region}, {"AWS::AccountId", &out.AccountID}} {
		if *p.dst, err = r.Pseudo(p.name); err != nil {
			return nil, fmt.Errorf("resolve template: %w", err)
		}
	}
	for _, name := range sortedKeys(t.Conditions) {
		v, err := e.conditionNamed(name)
		if err != nil {
			return nil, fmt.Errorf("resolve template: %w", err)
		}
		out.Conditions[name] = v
	}
	for _, res := range t.Resources {
		if res.Condition != "" {
			holds, err := e.conditionNamed(res.Condition)
			if err != nil {
				return nil, fmt.Errorf("resolve template: resource %s: %w", res.LogicalID, err)
			}
			if !holds {
				continue
			}
		}
		res.Properties = t.withGlobals(res)
		e.resources[res.LogicalID] = res
	}
	for _, res := range t.Resources {
		res, ok := e.resources[res.LogicalID]
		if !ok {
			continue
		}
		name, err := e.physicalName(res)
		if err != nil {
			return nil, fmt.Errorf("resolve template: %w", err)
		}
		props, err := e.eval(res.Properties)
		if err != nil {
			return nil, fmt.Errorf("resolve template: resource %s: %w", res.LogicalID, err)
		}
		out.Resources = append(out.Resources, ResolvedResource{
			LogicalID: res.LogicalID, Type: res.Type, Name: name,
			Properties: props.(map[string]any), Metadata: res.Metadata,
		})
	}
	if err := out.buildViews(e); err != nil {
		return nil, fmt.Errorf("resolve template: %w", err)
	}
	for _, o := range t.Outputs {
		if o.Condition != "" {
			holds, err := e.conditionNamed(o.Condition)
			if err != nil {
				return nil, fmt.Errorf("resolve template: output %s: %w", o.Name, err)
			}
			if !holds {
				continue
			}
		}
		v, err := e.evalString(o.Value)
		if err != nil {
			return nil, fmt.Errorf("resolve template: output %s: %w", o.Name, err)
		}
		out.Outputs = append(out.Outputs, OutputValue{Name: o.Name, Description: o.Description, Value: v})
	}
	return out, nil
}

// Resource returns a resolved resource by logical id.
func (r *Resolved) Resource(logicalID string) (ResolvedResource, bool) {
	for _, res := range r.Resources {
		if res.LogicalID == logicalID {
			return res, true
		}
	}
	return ResolvedResource{}, false
}

// Queue returns a queue by logical id.
func (r *Resolved) Queue(logicalID string) (Queue, bool) {
	for _, q := range r.Queues {
		if q.LogicalID == logicalID {
			return q, true
		}
	}
	return Queue{}, false
}

// Topic returns a topic by logical id.
func (r *Resolved) Topic(logicalID string) (Topic, bool) {
	for _, t := range r.Topics {
		if t.LogicalID == logicalID {
			return t, true
		}
	}
	return Topic{}, false
}

// Function returns a function by short name ("api") or logical id.
func (r *Resolved) Function(name string) (Function, bool) {
	for _, f := range r.Functions {
		if f.Name == name || f.LogicalID == name {
			return f, true
		}
	}
	return Function{}, false
}

// Output returns an output's value by name.
func (r *Resolved) Output(name string) (string, bool) {
	for _, o := range r.Outputs {
		if o.Name == name {
			return o.Value, true
		}
	}
	return "", false
}

// QueueByARN returns the queue with the given ARN.
func (r *Resolved) QueueByARN(arn string) (Queue, bool) {
	for _, q := range r.Queues {
		if q.ARN == arn {
			return q, true
		}
	}
	return Queue{}, false
}

// DeadLetterQueues returns the logical ids of every queue some queue or
// subscription dead-letters to, in template order.
func (r *Resolved) DeadLetterQueues() []string {
	used := map[string]bool{}
	for _, q := range r.Queues {
		if q.RedrivePolicy != nil && q.RedrivePolicy.DeadLetterQueue != "" {
			used[q.RedrivePolicy.DeadLetterQueue] = true
		}
	}
	for _, s := range r.Subscriptions {
		if s.DeadLetterQueue != "" {
			used[s.DeadLetterQueue] = true
		}
	}
	var out []string
	for _, q := range r.Queues {
		if used[q.LogicalID] {
			out = append(out, q.LogicalID)
		}
	}
	return out
}

// ShortName derives a function's short name from its logical id:
// "LauncherFunction" → "launcher".
func ShortName(logicalID string) string {
	return strings.ToLower(strings.TrimSuffix(logicalID, "Function"))
}
