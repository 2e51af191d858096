package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eventchain/eventchain/infra/samtemplate"
	"github.com/eventchain/eventchain/internal/dlq"
)

// samconfig is what the dlq command reads from samconfig.toml: the stack
// `sam deploy` creates and its region.
type samconfig struct {
	StackName string
	Region    string
}

// readSamconfig reads the default environment of a samconfig.toml. As in
// the SAM CLI, the deploy command's parameters win over the global ones.
func readSamconfig(path string) (samconfig, error) {
	var doc map[string]any
	if _, err := toml.DecodeFile(path, &doc); err != nil {
		return samconfig{}, fmt.Errorf("read %s: %w", path, err)
	}
	var c samconfig
	for _, section := range []string{"global", "deploy"} {
		params, _ := table(doc, "default", section, "parameters")
		if s, ok := params["stack_name"].(string); ok && s != "" {
			c.StackName = s
		}
		if s, ok := params["region"].(string); ok && s != "" {
			c.Region = s
		}
	}
	return c, nil
}

// table walks nested TOML tables by their keys.
func table(doc map[string]any, keys ...string) (map[string]any, bool) {
	for _, k := range keys {
		next, ok := doc[k].(map[string]any)
		if !ok {
			return nil, false
		}
		doc = next
	}
	return doc, true
}

// topologyFromTemplate is the topology the local mode creates from a
// resolved template (infra/local provisions the same resources).
func topologyFromTemplate(r *samtemplate.Resolved, origin string) *dlq.Topology {
	t := &dlq.Topology{Origin: origin}
	consumers := map[string]string{}
	for _, f := range r.Functions {
		for _, ev := range f.SQSEvents {
			if ev.Enabled {
				consumers[ev.Queue] = f.Name
			}
		}
	}
	alarms := map[string]string{} // queue name → alarm name
	for _, a := range r.Alarms {
		if qn := a.Dimensions["QueueName"]; a.Namespace == "AWS/SQS" && qn != "" {
			if res, ok := r.Resource(a.LogicalID); ok {
				alarms[qn] = res.Name
				t.Alarms = append(t.Alarms, res.Name)
			}
		}
	}
	for _, q := range r.Queues {
		tq := dlq.Queue{LogicalID: q.LogicalID, Name: q.Name, URL: q.URL, ARN: q.ARN, FIFO: q.FifoQueue,
			Consumer: consumers[q.LogicalID], Alarm: alarms[q.Name]}
		if tq.Consumer == "" {
			tq.Consumer = dlq.NoConsumer
		}
		if rp := q.RedrivePolicy; rp != nil {
			tq.DeadLetterQueue, tq.MaxReceiveCount = rp.DeadLetterQueue, rp.MaxReceiveCount
		}
		t.Queues = append(t.Queues, tq)
	}
	for _, s := range r.Subscriptions {
		if s.Protocol != "sqs" {
			continue
		}
		t.Subscriptions = append(t.Subscriptions, dlq.Subscription{LogicalID: s.LogicalID, Topic: s.Topic,
			Queue: s.EndpointQueue, DeadLetterQueue: s.DeadLetterQueue})
	}
	return t
}

// loadTemplate reads and resolves a template with the local mode's names
// on endpoint.
func loadTemplate(path, endpoint string) (*samtemplate.Resolved, error) {
	tmpl, err := samtemplate.Load(path)
	if err != nil {
		return nil, err
	}
	r, err := tmpl.Resolve(nil, samtemplate.LocalResolver{Endpoint: endpoint})
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", path, err)
	}
	return r, nil
}

// stackResources is the part of the CloudFormation API stack discovery
// uses.
type stackResources interface {
	ListStackResources(ctx context.Context, in *cloudformation.ListStackResourcesInput, optFns ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
}

// subscriptionAttributes is the part of the SNS API stack discovery uses.
type subscriptionAttributes interface {
	GetSubscriptionAttributes(ctx context.Context, in *sns.GetSubscriptionAttributesInput, optFns ...func(*sns.Options)) (*sns.GetSubscriptionAttributesOutput, error)
}

// topologyFromStack reads a deployed stack's topology from AWS itself,
// not from the template in the working tree, which may have changed since
// the deploy: the stack's resources (ListStackResources: queue URLs,
// subscription ARNs, alarm names by logical id), each queue's redrive
// policy (SQS) and each subscription's endpoint and redrive policy (SNS).
// Which function consumes which queue is not in those answers (it is in
// Lambda's event source mappings): it comes from consumers, keyed by
// queue logical id, when the caller has a template to read it from.
func topologyFromStack(ctx context.Context, cfn stackResources, sqsc dlq.SQS, snsc subscriptionAttributes, stack string, consumers map[string]string) (*dlq.Topology, error) {
	type resource struct{ logicalID, physicalID, typ string }
	var resources []resource
	var token *string
	for {
		out, err := cfn.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(stack), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list the resources of stack %s: %w", stack, err)
		}
		for _, s := range out.StackResourceSummaries {
			if id := aws.ToString(s.PhysicalResourceId); id != "" {
				resources = append(resources, resource{aws.ToString(s.LogicalResourceId), id, aws.ToString(s.ResourceType)})
			}
		}
		if token = out.NextToken; token == nil || *token == "" {
			break
		}
	}
	t := &dlq.Topology{Origin: "stack " + stack}
	topics := map[string]string{} // ARN → logical id
	var subs []resource
	for _, r := range resources {
		switch r.typ {
		case "AWS::SQS::Queue":
			t.Queues = append(t.Queues, dlq.Queue{LogicalID: r.logicalID, URL: r.physicalID, Name: dlq.NameFromURL(r.physicalID), Consumer: consumers[r.logicalID]})
		case "AWS::SNS::Topic":
			topics[r.physicalID] = r.logicalID
		case "AWS::SNS::Subscription":
			subs = append(subs, r)
		case "AWS::CloudWatch::Alarm":
			t.Alarms = append(t.Alarms, r.physicalID)
		}
	}

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
		dlqOf = make([]string, len(t.Queues)) // redrive target ARN of each queue
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for i := range t.Queues {
		q := &t.Queues[i]
		wg.Go(func() {
			out, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.URL), AttributeNames: []sqstypes.QueueAttributeName{
				sqstypes.QueueAttributeNameQueueArn, sqstypes.QueueAttributeNameRedrivePolicy, sqstypes.QueueAttributeNameFifoQueue}})
			if err != nil {
				fail(fmt.Errorf("queue %s of stack %s: %w", q.LogicalID, stack, err))
				return
			}
			q.ARN, q.FIFO = out.Attributes["QueueArn"], out.Attributes["FifoQueue"] == "true"
			if s := out.Attributes["RedrivePolicy"]; s != "" {
				rp, err := dlq.ParseRedrivePolicy(s)
				if err != nil {
					fail(err)
					return
				}
				dlqOf[i], q.MaxReceiveCount = rp.DeadLetterTargetARN, rp.MaxReceiveCount
			}
		})
	}
	subscriptions := make([]dlq.Subscription, len(subs))
	endpoints := make([]string, len(subs))
	subDLQs := make([]string, len(subs))
	for i, r := range subs {
		wg.Go(func() {
			out, err := snsc.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(r.physicalID)})
			if err != nil {
				fail(fmt.Errorf("subscription %s of stack %s: %w", r.logicalID, stack, err))
				return
			}
			a := out.Attributes
			subscriptions[i] = dlq.Subscription{LogicalID: r.logicalID, ARN: r.physicalID, Topic: topics[a["TopicArn"]]}
			if subscriptions[i].Topic == "" {
				subscriptions[i].Topic = dlq.NameFromARN(a["TopicArn"])
			}
			if a["Protocol"] == "sqs" {
				endpoints[i] = a["Endpoint"]
			}
			if s := a["RedrivePolicy"]; s != "" {
				rp, err := dlq.ParseRedrivePolicy(s)
				if err != nil {
					fail(fmt.Errorf("subscription %s: %w", r.logicalID, err))
					return
				}
				subDLQs[i] = rp.DeadLetterTargetARN
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	byARN := map[string]string{}
	for _, q := range t.Queues {
		byARN[q.ARN] = q.LogicalID
	}
	for i := range t.Queues {
		t.Queues[i].DeadLetterQueue = byARN[dlqOf[i]]
	}
	for i, s := range subscriptions {
		if endpoints[i] == "" {
			continue // not an SQS subscription
		}
		s.Queue, s.DeadLetterQueue = byARN[endpoints[i]], byARN[subDLQs[i]]
		t.Subscriptions = append(t.Subscriptions, s)
	}
	return t, nil
}

// templateConsumers maps queue logical ids to the function consuming them,
// read from a template when there is one; nil when there is none.
func templateConsumers(path string) map[string]string {
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	r, err := loadTemplate(path, "")
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, q := range topologyFromTemplate(r, path).Queues {
		out[q.LogicalID] = q.Consumer
	}
	return out
}
