package samtemplate

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseOverrides(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr bool
	}{
		{name: "empty", in: "", want: map[string]string{}},
		{name: "space separated", in: "A=1 B=two", want: map[string]string{"A": "1", "B": "two"}},
		{name: "value with commas and equals", in: "Types=t3.micro,t3.small X=a=b", want: map[string]string{"Types": "t3.micro,t3.small", "X": "a=b"}},
		{name: "empty value", in: "AllowedImageIds=", want: map[string]string{"AllowedImageIds": ""}},
		{name: "double quoted value with spaces", in: `Desc="a b c" N=1`, want: map[string]string{"Desc": "a b c", "N": "1"}},
		{name: "single quoted value", in: `Desc='x y'`, want: map[string]string{"Desc": "x y"}},
		{name: "cloudformation form", in: "ParameterKey=A,ParameterValue=1 ParameterKey=B,ParameterValue=x,y", want: map[string]string{"A": "1", "B": "x,y"}},
		{name: "extra whitespace", in: "  A=1 \n B=2  ", want: map[string]string{"A": "1", "B": "2"}},
		{name: "missing equals", in: "A", wantErr: true},
		{name: "missing key", in: "=1", wantErr: true},
		{name: "malformed cloudformation form", in: "ParameterKey=A", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseOverrides(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want error, got %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

const paramFixture = `
Parameters:
  Level:
    Type: String
    Default: INFO
    AllowedValues: [DEBUG, INFO]
  Concurrency:
    Type: Number
    Default: 2
    MinValue: 2
    MaxValue: 1000
  Ami:
    Type: String
    Default: ""
    AllowedPattern: "^(ami-[0-9a-f]{8})?$"
  Short:
    Type: String
    Default: ab
    MinLength: 1
    MaxLength: 3
  Ports:
    Type: List<Number>
    Default: "80,443"
    MaxValue: 65535
  Required:
    Type: String
Resources:
  Q:
    Type: AWS::SQS::Queue
`

func TestOverridesValidated(t *testing.T) {
	tmpl, err := Parse([]byte(paramFixture))
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"Required": "r"}
	tests := []struct {
		name      string
		overrides map[string]string
		want      map[string]string
		wantErr   string
	}{
		{name: "defaults", want: map[string]string{"Level": "INFO", "Concurrency": "2", "Ami": "", "Short": "ab", "Ports": "80,443", "Required": "r"}},
		{name: "allowed value", overrides: map[string]string{"Level": "DEBUG"}, want: map[string]string{"Level": "DEBUG"}},
		{name: "value not allowed", overrides: map[string]string{"Level": "TRACE"}, wantErr: "not one of"},
		{name: "below MinValue", overrides: map[string]string{"Concurrency": "1"}, wantErr: "below MinValue 2"},
		{name: "above MaxValue", overrides: map[string]string{"Concurrency": "1001"}, wantErr: "above MaxValue 1000"},
		{name: "at bounds", overrides: map[string]string{"Concurrency": "1000"}, want: map[string]string{"Concurrency": "1000"}},
		{name: "not a number", overrides: map[string]string{"Concurrency": "two"}, wantErr: "not a number"},
		{name: "pattern match", overrides: map[string]string{"Ami": "ami-0123abcd"}, want: map[string]string{"Ami": "ami-0123abcd"}},
		{name: "pattern mismatch", overrides: map[string]string{"Ami": "ami-xyz"}, wantErr: "AllowedPattern"},
		{name: "too long", overrides: map[string]string{"Short": "abcd"}, wantErr: "MaxLength"},
		{name: "too short", overrides: map[string]string{"Short": ""}, wantErr: "MinLength"},
		{name: "number list item above max", overrides: map[string]string{"Ports": "80,70000"}, wantErr: "above MaxValue"},
		{name: "unknown parameter", overrides: map[string]string{"Nope": "1"}, wantErr: "no such parameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ov := map[string]string{}
			for k, v := range base {
				ov[k] = v
			}
			for k, v := range tc.overrides {
				ov[k] = v
			}
			r, err := tmpl.Resolve(ov, testResolver)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if r.Parameters[k] != v {
					t.Errorf("parameter %s = %q, want %q", k, r.Parameters[k], v)
				}
			}
		})
	}
	if _, err := tmpl.Resolve(nil, testResolver); err == nil || !strings.Contains(err.Error(), "Required: no value and no default") {
		t.Fatalf("missing required parameter: error = %v", err)
	}
}

func TestGlobalsMerged(t *testing.T) {
	tmpl, err := Parse([]byte(`
Globals:
  Function:
    Runtime: provided.al2023
    Timeout: 5
    Layers: [g]
    Environment:
      Variables:
        SHARED: global
        OVERRIDDEN: global
Resources:
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: bootstrap
      Timeout: 9
      Layers: [l]
      Environment:
        Variables:
          OVERRIDDEN: local
          OWN: !Ref AWS::Region
  Q:
    Type: AWS::SQS::Queue
    Properties:
      Timeout: untouched
`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := tmpl.Resolve(nil, testResolver)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := r.Function("worker")
	if !ok {
		t.Fatal("function worker missing")
	}
	if f.Runtime != "provided.al2023" || f.Timeout != 9 || f.MemorySize != 128 {
		t.Errorf("runtime %q timeout %d memory %d, want provided.al2023, 9 (function wins), 128 (Lambda default)", f.Runtime, f.Timeout, f.MemorySize)
	}
	wantEnv := map[string]string{"SHARED": "global", "OVERRIDDEN": "local", "OWN": "eu-west-1"}
	if !reflect.DeepEqual(f.Environment, wantEnv) {
		t.Errorf("environment %v, want %v", f.Environment, wantEnv)
	}
	res, _ := r.Resource("WorkerFunction")
	if got := res.Properties["Layers"]; !reflect.DeepEqual(got, []any{"g", "l"}) {
		t.Errorf("layers %v, want global then local", got)
	}
	if f.FunctionName != "teststack-WorkerFunction" {
		t.Errorf("function name %q, want <stack>-<LogicalId>", f.FunctionName)
	}
	q, _ := r.Resource("Q")
	if _, ok := q.Properties["Runtime"]; ok {
		t.Error("function globals leaked into a queue")
	}
}
