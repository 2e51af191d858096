package localcloud_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func queuePolicy(t *testing.T, b backend, c *sqs.Client, url string) string {
	t.Helper()
	out, err := c.GetQueueAttributes(b.Ctx(t), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	return out.Attributes["Policy"]
}

// TestAddAndRemovePermission: AddPermission writes the queue policy as
// SQS does (one statement per label, a single principal or action as a
// string, several as a list), refuses what SQS refuses, and
// RemovePermission takes the label's statement out.
func TestAddAndRemovePermission(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c, ctx := b.SQS(), b.Ctx(t)
		url, arn := createQueue(t, b, c, "shared", nil)
		if _, err := c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String("PartnerSend"),
			AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}}); err != nil {
			t.Fatalf("AddPermission: %v", err)
		}
		if _, err := c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String("Auditors"),
			AWSAccountIds: []string{"111122223333", "444455556666"}, Actions: []string{"ReceiveMessage", "GetQueueAttributes"}}); err != nil {
			t.Fatalf("AddPermission: %v", err)
		}
		want := map[string]any{
			"Version": "2012-10-17",
			"Id":      arn + "/SQSDefaultPolicy",
			"Statement": []any{
				map[string]any{"Sid": "PartnerSend", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::111122223333:root"},
					"Action": "SQS:SendMessage", "Resource": arn},
				map[string]any{"Sid": "Auditors", "Effect": "Allow",
					"Principal": map[string]any{"AWS": []any{"arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"}},
					"Action":    []any{"SQS:ReceiveMessage", "SQS:GetQueueAttributes"}, "Resource": arn},
			},
		}
		raw := queuePolicy(t, b, c, url)
		var got map[string]any
		if err := json.Unmarshal([]byte(raw), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Policy = %s (%v)\nwant %v", raw, err, want)
		}

		_, err := c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String("PartnerSend"),
			AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}})
		wantAPIError(t, "AddPermission with a label in use", err, "InvalidParameterValue", "Value PartnerSend for parameter Label is invalid. Reason: Already exists.")
		_, err = c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String("Many"),
			AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
				"GetQueueAttributes", "GetQueueUrl", "PurgeQueue", "ListDeadLetterSourceQueues"}})
		wantAPIError(t, "AddPermission with 8 actions", err, "OverLimit", "8 Actions were found, maximum allowed is 7.")
		_, err = c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String("Owner"),
			AWSAccountIds: []string{"111122223333"}, Actions: []string{"CreateQueue"}})
		wantAPIError(t, "AddPermission of an owner's action", err, "InvalidParameterValue",
			"Value SQS:CreateQueue for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action.")

		if _, err := c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: aws.String(url), Label: aws.String("PartnerSend")}); err != nil {
			t.Fatalf("RemovePermission: %v", err)
		}
		if err := json.Unmarshal([]byte(queuePolicy(t, b, c, url)), &got); err != nil || len(got["Statement"].([]any)) != 1 {
			t.Errorf("after RemovePermission the policy has %v statements (%v), want the other label's only", got["Statement"], err)
		}
		_, err = c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: aws.String(url), Label: aws.String("PartnerSend")})
		wantAPIError(t, "RemovePermission of an unknown label", err, "InvalidParameterValue",
			"Value PartnerSend for parameter Label is invalid. Reason: can't find label on existing policy.")
		if b.DataDir != "" {
			b = restartLocal(t, b)
			if err := json.Unmarshal([]byte(queuePolicy(t, b, b.SQS(), url)), &got); err != nil || len(got["Statement"].([]any)) != 1 {
				t.Errorf("after a restart the policy has %v statements (%v), want 1", got["Statement"], err)
			}
		}
	})
}
