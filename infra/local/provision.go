package local

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eventchain/eventchain/infra/samtemplate"
)

// provision creates in localcloud what the template declares: queues with
// their attributes and redrive policies, topics, SQS subscriptions with
// filter policies, raw delivery and their own redrive policies, and
// CloudWatch alarms, live on the queues' metrics. It is idempotent, so a
// restart over a data directory converges to the template: attributes are
// set again, alarms are put again (keeping their state, as an update in
// CloudWatch does), and subscriptions of the template's topics, and alarms
// of the stack, that the template no longer declares are removed. Queue
// policies have no local counterpart; the tables are created by
// provisionTables.
func provision(ctx context.Context, cfg aws.Config, t *samtemplate.Resolved, logger *slog.Logger) error {
	sqsc, snsc := sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg)

	// Every queue exists before any redrive policy names it.
	for _, q := range t.Queues {
		attrs := map[string]string{}
		if q.FifoQueue {
			attrs["FifoQueue"] = "true" // fixed at creation
		}
		if _, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.Name), Attributes: attrs}); err != nil {
			return fmt.Errorf("create queue %s: %w", q.LogicalID, err)
		}
	}
	for _, q := range t.Queues {
		if _, err := sqsc.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(q.URL), Attributes: queueAttributes(q)}); err != nil {
			return fmt.Errorf("set attributes of queue %s: %w", q.LogicalID, err)
		}
	}
	for _, tp := range t.Topics {
		attrs := map[string]string{}
		if tp.FifoTopic {
			attrs["FifoTopic"] = "true"
		}
		if _, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(tp.Name), Attributes: attrs}); err != nil {
			return fmt.Errorf("create topic %s: %w", tp.LogicalID, err)
		}
	}

	wanted := map[string]bool{} // subscription ARNs the template declares
	for _, s := range t.Subscriptions {
		if s.Protocol != "sqs" {
			logger.Warn("subscription not created locally: only sqs endpoints are emulated", "subscription", s.LogicalID, "protocol", s.Protocol)
			continue
		}
		out, err := snsc.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn:              aws.String(s.TopicARN),
			Protocol:              aws.String("sqs"),
			Endpoint:              aws.String(s.Endpoint),
			ReturnSubscriptionArn: true,
		})
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", s.LogicalID, err)
		}
		arn := aws.ToString(out.SubscriptionArn)
		wanted[arn] = true
		attrs, err := subscriptionAttributes(s)
		if err != nil {
			return err
		}
		for _, name := range []string{"RawMessageDelivery", "FilterPolicyScope", "FilterPolicy", "RedrivePolicy"} {
			v, ok := attrs[name]
			if !ok {
				continue
			}
			if _, err := snsc.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
				SubscriptionArn: aws.String(arn), AttributeName: aws.String(name), AttributeValue: aws.String(v),
			}); err != nil {
				return fmt.Errorf("subscription %s attribute %s: %w", s.LogicalID, name, err)
			}
		}
	}
	for _, tp := range t.Topics {
		p := sns.NewListSubscriptionsByTopicPaginator(snsc, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(tp.ARN)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list subscriptions of %s: %w", tp.LogicalID, err)
			}
			for _, sub := range page.Subscriptions {
				if arn := aws.ToString(sub.SubscriptionArn); !wanted[arn] {
					if _, err := snsc.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(arn)}); err != nil {
						return fmt.Errorf("remove subscription the template no longer declares: %w", err)
					}
				}
			}
		}
	}
	return provisionAlarms(ctx, cloudwatch.NewFromConfig(cfg), t, logger)
}

// provisionAlarms puts the template's alarms, once the queues whose
// metrics they watch and the topics they notify exist, and deletes the
// alarms of the stack (named <stack>-…) it no longer declares. An alarm
// on a metric math expression is not created: localcloud evaluates
// alarms on one metric.
func provisionAlarms(ctx context.Context, cw *cloudwatch.Client, t *samtemplate.Resolved, logger *slog.Logger) error {
	alarms, err := t.MetricAlarms()
	if err != nil {
		return err
	}
	wanted := map[string]bool{}
	for _, a := range alarms {
		if a.MetricMath {
			logger.Warn("alarm not created locally: metric math alarms are not emulated", "alarm", a.LogicalID)
			continue
		}
		in := &cloudwatch.PutMetricAlarmInput{
			AlarmName:               aws.String(a.Name),
			ActionsEnabled:          aws.Bool(a.ActionsEnabled),
			AlarmActions:            a.AlarmActions,
			OKActions:               a.OKActions,
			InsufficientDataActions: a.InsufficientDataActions,
			Namespace:               aws.String(a.Namespace),
			MetricName:              aws.String(a.MetricName),
			Period:                  aws.Int32(int32(a.Period)),
			EvaluationPeriods:       aws.Int32(int32(a.EvaluationPeriods)),
			Threshold:               aws.Float64(a.Threshold),
			ComparisonOperator:      cwtypes.ComparisonOperator(a.ComparisonOperator),
		}
		if a.Description != "" {
			in.AlarmDescription = aws.String(a.Description)
		}
		if a.Statistic != "" {
			in.Statistic = cwtypes.Statistic(a.Statistic)
		}
		if a.ExtendedStatistic != "" {
			in.ExtendedStatistic = aws.String(a.ExtendedStatistic)
		}
		if a.Unit != "" {
			in.Unit = cwtypes.StandardUnit(a.Unit)
		}
		if a.DatapointsToAlarm > 0 {
			in.DatapointsToAlarm = aws.Int32(int32(a.DatapointsToAlarm))
		}
		if a.TreatMissingData != "" {
			in.TreatMissingData = aws.String(a.TreatMissingData)
		}
		for _, d := range a.Dimensions {
			in.Dimensions = append(in.Dimensions, cwtypes.Dimension{Name: aws.String(d.Name), Value: aws.String(d.Value)})
		}
		if _, err := cw.PutMetricAlarm(ctx, in); err != nil {
			return fmt.Errorf("create alarm %s: %w", a.LogicalID, err)
		}
		wanted[a.Name] = true
	}
	p := cloudwatch.NewDescribeAlarmsPaginator(cw, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(t.StackName + "-")})
	var stale []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list the stack's alarms: %w", err)
		}
		for _, a := range page.MetricAlarms {
			if name := aws.ToString(a.AlarmName); !wanted[name] {
				stale = append(stale, name)
			}
		}
	}
	for chunk := range slices.Chunk(stale, 100) { // DeleteAlarms takes at most 100 names
		if _, err := cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: chunk}); err != nil {
			return fmt.Errorf("remove alarms the template no longer declares: %w", err)
		}
	}
	return nil
}

func queueAttributes(q samtemplate.Queue) map[string]string {
	attrs := map[string]string{
		"VisibilityTimeout":             strconv.Itoa(q.VisibilityTimeout),
		"MessageRetentionPeriod":        strconv.Itoa(q.MessageRetentionPeriod),
		"DelaySeconds":                  strconv.Itoa(q.DelaySeconds),
		"MaximumMessageSize":            strconv.Itoa(q.MaximumMessageSize),
		"ReceiveMessageWaitTimeSeconds": strconv.Itoa(q.ReceiveMessageWaitTimeSeconds),
		"RedrivePolicy":                 "", // removed unless the template sets one
	}
	if q.FifoQueue {
		attrs["ContentBasedDeduplication"] = strconv.FormatBool(q.ContentBasedDeduplication)
	}
	if rp := q.RedrivePolicy; rp != nil {
		b, _ := json.Marshal(map[string]any{"deadLetterTargetArn": rp.DeadLetterTargetARN, "maxReceiveCount": rp.MaxReceiveCount})
		attrs["RedrivePolicy"] = string(b)
	}
	return attrs
}

// subscriptionAttributes are the attributes to set, in the order to set
// them; an empty value removes one the template no longer declares.
func subscriptionAttributes(s samtemplate.Subscription) (map[string]string, error) {
	attrs := map[string]string{"RawMessageDelivery": strconv.FormatBool(s.RawMessageDelivery), "FilterPolicy": "", "RedrivePolicy": ""}
	if s.FilterPolicy != nil {
		attrs["FilterPolicy"] = string(s.FilterPolicy)
		scope := s.FilterPolicyScope
		if scope == "" {
			scope = "MessageAttributes"
		}
		attrs["FilterPolicyScope"] = scope
	}
	if s.DeadLetterTargetARN != "" {
		b, err := json.Marshal(map[string]string{"deadLetterTargetArn": s.DeadLetterTargetARN})
		if err != nil {
			return nil, err
		}
		attrs["RedrivePolicy"] = string(b)
	}
	return attrs, nil
}
