package samtemplate

import (
	"reflect"
	"strings"
	"testing"
)

// fixture is a small template exercising every supported intrinsic.
const fixture = `
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Size:
    Type: Number
    Default: 3
  Names:
    Type: CommaDelimitedList
    Default: a,b,c
  Csv:
    Type: String
    Default: x;y;z
Mappings:
  Sizes:
    dev: {Memory: 128}
    prod: {Memory: 1024}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [!Ref Size, "3"]]
  Either: !Or [!Condition IsProd, !Equals ["1", "1"]]
Resources:
  Q:
    Type: AWS::SQS::Queue
  Named:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub ${AWS::StackName}-named-${Env}
  Fifo:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
  T:
    Type: AWS::SNS::Topic
  OnlyProd:
    Type: AWS::SNS::Topic
    Condition: IsProd
Outputs:
  Out:
    Value: !Ref T
`

func TestIntrinsics(t *testing.T) {
	tmpl, err := Parse([]byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		yaml    string
		want    any
		wantErr string
	}{
		{name: "ref string parameter", yaml: `!Ref Env`, want: "dev"},
		{name: "ref number parameter is a string", yaml: `!Ref Size`, want: "3"},
		{name: "ref list parameter", yaml: `!Ref Names`, want: []any{"a", "b", "c"}},
		{name: "ref long form", yaml: `{Ref: Env}`, want: "dev"},
		{name: "ref region", yaml: `!Ref AWS::Region`, want: "eu-west-1"},
		{name: "ref account", yaml: `!Ref AWS::AccountId`, want: "111122223333"},
		{name: "ref stack", yaml: `!Ref AWS::StackName`, want: "teststack"},
		{name: "ref partition", yaml: `!Ref AWS::Partition`, want: "aws"},
		{name: "ref url suffix", yaml: `!Ref AWS::URLSuffix`, want: "amazonaws.com"},
		{name: "ref queue is its url", yaml: `!Ref Q`, want: "http://localhost:9/111122223333/teststack-Q"},
		{name: "ref named queue", yaml: `!Ref Named`, want: "http://localhost:9/111122223333/teststack-named-dev"},
		{name: "fifo queue name", yaml: `!GetAtt Fifo.QueueName`, want: "teststack-Fifo.fifo"},
		{name: "ref topic is its arn", yaml: `!Ref T`, want: "arn:aws:sns:eu-west-1:111122223333:teststack-T"},
		{name: "getatt arn", yaml: `!GetAtt Q.Arn`, want: "arn:aws:sqs:eu-west-1:111122223333:teststack-Q"},
		{name: "getatt long form", yaml: `{"Fn::GetAtt": [Q, QueueName]}`, want: "teststack-Q"},
		{name: "getatt queue url", yaml: `!GetAtt Q.QueueUrl`, want: "http://localhost:9/111122223333/teststack-Q"},
		{name: "getatt topic name", yaml: `!GetAtt T.TopicName`, want: "teststack-T"},
		{name: "sub params and pseudo", yaml: `!Sub "${Env}-${AWS::Region}-${Size}"`, want: "dev-eu-west-1-3"},
		{name: "sub resource ref and attr", yaml: `!Sub "${T} ${Q.Arn}"`, want: "arn:aws:sns:eu-west-1:111122223333:teststack-T arn:aws:sqs:eu-west-1:111122223333:teststack-Q"},
		{name: "sub with variables", yaml: `!Sub ["${A}/${B}", {A: !Ref Env, B: lit}]`, want: "dev/lit"},
		{name: "sub literal escape", yaml: `!Sub "${!NotAVar}-${Env}"`, want: "${NotAVar}-dev"},
		{name: "join", yaml: `!Join ["-", [a, !Ref Env, !Ref Size]]`, want: "a-dev-3"},
		{name: "join list parameter", yaml: `!Join ["+", !Ref Names]`, want: "a+b+c"},
		{name: "select", yaml: `!Select [1, !Ref Names]`, want: "b"},
		{name: "select index as string", yaml: `!Select ["2", [p, q, r]]`, want: "r"},
		{name: "split", yaml: `!Split [";", !Ref Csv]`, want: []any{"x", "y", "z"}},
		{name: "select of split", yaml: `!Select [2, !Split [";", !Ref Csv]]`, want: "z"},
		{name: "if false branch", yaml: `!If [IsProd, big, small]`, want: "small"},
		{name: "if true branch", yaml: `!If [IsDev, big, small]`, want: "big"},
		{name: "and condition", yaml: `!If [Both, yes, no]`, want: "yes"},
		{name: "or condition", yaml: `!If [Either, yes, no]`, want: "yes"},
		{name: "equals inline", yaml: `!Equals [!Ref Env, dev]`, want: true},
		{name: "find in map", yaml: `!FindInMap [Sizes, !Ref Env, Memory]`, want: 128},
		{name: "base64", yaml: `!Base64 hi`, want: "aGk="},
		{name: "novalue drops a key", yaml: `{a: 1, b: !Ref AWS::NoValue}`, want: map[string]any{"a": 1}},
		{name: "novalue drops a list item", yaml: `[1, !If [IsProd, 2, !Ref AWS::NoValue], 3]`, want: []any{1, 3}},
		{name: "nested map", yaml: `{k: [!Ref Env, {x: !GetAtt Q.QueueName}]}`, want: map[string]any{"k": []any{"dev", map[string]any{"x": "teststack-Q"}}}},
		{name: "unknown ref", yaml: `!Ref Nope`, wantErr: "unknown parameter or resource Nope"},
		{name: "ref to resource whose condition is false", yaml: `!Ref OnlyProd`, wantErr: "condition is false"},
		{name: "unknown attribute", yaml: `!GetAtt T.Nope`, wantErr: "attribute Nope"},
		{name: "getatt without dot", yaml: `!GetAtt Q`, wantErr: "not Resource.Attribute"},
		{name: "select out of range", yaml: `!Select [5, [a]]`, wantErr: "out of range"},
		{name: "unknown condition", yaml: `!If [Nope, a, b]`, wantErr: "unknown condition Nope"},
		{name: "unsupported function", yaml: `!ImportValue x`, wantErr: "not supported"},
		{name: "unclosed sub", yaml: `!Sub "${Env"`, wantErr: "unclosed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := evalYAML(tmpl, tc.yaml)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q (value %v)", err, tc.wantErr, v)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(v, tc.want) {
				t.Fatalf("got %#v, want %#v", v, tc.want)
			}
		})
	}
}

func TestUnknownTagRefused(t *testing.T) {
	_, err := Parse([]byte("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      X: !Bogus y\n"))
	if err == nil || !strings.Contains(err.Error(), "unknown tag !Bogus") {
		t.Fatalf("err = %v, want unknown tag", err)
	}
}

func TestConditionalResourcesAndOutputs(t *testing.T) {
	tmpl, err := Parse([]byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		overrides map[string]string
		wantTopic []string
	}{
		{name: "dev leaves OnlyProd out", overrides: nil, wantTopic: []string{"T"}},
		{name: "prod creates OnlyProd", overrides: map[string]string{"Env": "prod"}, wantTopic: []string{"T", "OnlyProd"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tmpl.Resolve(tc.overrides, testResolver)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tp := range r.Topics {
				got = append(got, tp.LogicalID)
			}
			if !reflect.DeepEqual(got, tc.wantTopic) {
				t.Fatalf("topics = %v, want %v", got, tc.wantTopic)
			}
			if out, _ := r.Output("Out"); out != "arn:aws:sns:eu-west-1:111122223333:teststack-T" {
				t.Fatalf("output Out = %q", out)
			}
		})
	}
}

var testResolver = LocalResolver{Endpoint: "http://localhost:9", Region: "eu-west-1", AccountID: "111122223333", StackName: "teststack"}

// evalYAML evaluates one YAML value against the template with default
// parameters, the way Resolve evaluates a property.
func evalYAML(tmpl *Template, src string) (any, error) {
	doc, err := Parse([]byte("Resources:\n  X:\n    Type: Test::Value\n    Properties:\n      V: " + src + "\n"))
	if err != nil {
		return nil, err
	}
	params, err := tmpl.bindParameters(nil)
	if err != nil {
		return nil, err
	}
	e := &evaluator{
		t: tmpl, params: params, resolver: testResolver,
		conds: map[string]bool{}, condActive: map[string]bool{},
		resources: map[string]Resource{}, names: map[string]string{}, naming: map[string]bool{},
	}
	for _, r := range tmpl.Resources {
		if r.Condition != "" {
			if ok, err := e.conditionNamed(r.Condition); err != nil || !ok {
				continue
			}
		}
		e.resources[r.LogicalID] = r
	}
	return e.eval(doc.Resources[0].Properties["V"])
}
