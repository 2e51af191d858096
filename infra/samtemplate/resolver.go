package samtemplate

import (
	"fmt"
	"strings"
)

// ResourceRef identifies a template resource to a Resolver: its logical id,
// its type and the physical name this package gave it (see the package
// documentation for the naming rule).
type ResourceRef struct {
	LogicalID string
	Type      string
	Name      string
}

// Resolver supplies the values CloudFormation would only know once the
// stack exists. Resolve calls it for pseudo parameters, for !Ref of a
// resource and for !GetAtt; it is not called concurrently.
type Resolver interface {
	// Pseudo returns a pseudo parameter: AWS::Region, AWS::AccountId,
	// AWS::StackName, AWS::StackId, AWS::Partition or AWS::URLSuffix.
	Pseudo(name string) (string, error)
	// Ref returns what !Ref of the resource yields (a queue's URL, a
	// topic's ARN, a table's or function's name, …).
	Ref(r ResourceRef) (string, error)
	// GetAtt returns one attribute of the resource (Arn, QueueUrl, …).
	GetAtt(r ResourceRef, attr string) (string, error)
}

// Local defaults: the loopback endpoint, account and region of local mode.
const (
	DefaultEndpoint  = "http://127.0.0.1:4566"
	DefaultAccountID = "123456789012"
	DefaultRegion    = "us-east-1"
	DefaultStackName = "eventchain"
)

// LocalResolver gives resources the values AWS would, in AWS's formats, on
// a local endpoint: queue URLs <Endpoint>/<AccountID>/<name>, ARNs
// arn:aws:<service>:<Region>:<AccountID>:<name>. Empty fields take the
// Default* values.
type LocalResolver struct {
	Endpoint  string
	Region    string
	AccountID string
	StackName string
	// APIID is what !Ref of an HTTP API yields; "local" when empty.
	APIID string
}

var _ Resolver = LocalResolver{}

func (l LocalResolver) endpoint() string {
	return strings.TrimRight(orDefault(l.Endpoint, DefaultEndpoint), "/")
}
func (l LocalResolver) region() string  { return orDefault(l.Region, DefaultRegion) }
func (l LocalResolver) account() string { return orDefault(l.AccountID, DefaultAccountID) }

// Pseudo implements Resolver.
func (l LocalResolver) Pseudo(name string) (string, error) {
	switch name {
	case "AWS::Region":
		return l.region(), nil
	case "AWS::AccountId":
		return l.account(), nil
	case "AWS::StackName":
		return orDefault(l.StackName, DefaultStackName), nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/00000000-0000-0000-0000-000000000000",
			l.region(), l.account(), orDefault(l.StackName, DefaultStackName)), nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	}
	return "", fmt.Errorf("pseudo parameter %s has no local value", name)
}

// Ref implements Resolver.
func (l LocalResolver) Ref(r ResourceRef) (string, error) {
	switch r.Type {
	case "AWS::SQS::Queue":
		return l.QueueURL(r.Name), nil
	case "AWS::SNS::Topic":
		return l.arn("sns", r.Name), nil
	case "AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api":
		return orDefault(l.APIID, "local"), nil
	case "AWS::SNS::Subscription":
		return "", fmt.Errorf("%s: a subscription ARN has no local value", r.LogicalID)
	}
	// Tables, functions, alarms, roles, queue policies: the name.
	return r.Name, nil
}

// GetAtt implements Resolver.
func (l LocalResolver) GetAtt(r ResourceRef, attr string) (string, error) {
	switch r.Type + "." + attr {
	case "AWS::SQS::Queue.Arn":
		return l.arn("sqs", r.Name), nil
	case "AWS::SQS::Queue.QueueName":
		return r.Name, nil
	case "AWS::SQS::Queue.QueueUrl":
		return l.QueueURL(r.Name), nil
	case "AWS::SNS::Topic.TopicArn":
		return l.arn("sns", r.Name), nil
	case "AWS::SNS::Topic.TopicName":
		return r.Name, nil
	case "AWS::DynamoDB::Table.Arn", "AWS::Serverless::SimpleTable.Arn":
		return l.arn("dynamodb", "table/"+r.Name), nil
	case "AWS::Serverless::Function.Arn", "AWS::Lambda::Function.Arn":
		return l.arn("lambda", "function:"+r.Name), nil
	case "AWS::CloudWatch::Alarm.Arn":
		return l.arn("cloudwatch", "alarm:"+r.Name), nil
	}
	return "", fmt.Errorf("%s: attribute %s of %s has no local value", r.LogicalID, attr, r.Type)
}

// QueueURL is the URL of the named queue on the local endpoint.
func (l LocalResolver) QueueURL(name string) string {
	return l.endpoint() + "/" + l.account() + "/" + name
}

func (l LocalResolver) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + l.region() + ":" + l.account() + ":" + resource
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
