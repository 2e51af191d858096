package localcloud_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/eventchain/eventchain/infra/localcloud"
)

// STS returns an STS client for the backend.
func (b backend) STS() *sts.Client {
	return sts.NewFromConfig(b.AWSConfig(), func(o *sts.Options) { o.BaseEndpoint = aws.String(b.Endpoint) })
}

func TestSTSGetCallerIdentity(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		out, err := b.STS().GetCallerIdentity(b.Ctx(t), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("GetCallerIdentity: %v", err)
		}
		if got := aws.ToString(out.Account); got != testAccount {
			t.Errorf("Account = %q, want %s", got, testAccount)
		}
		if arn := aws.ToString(out.Arn); !strings.HasPrefix(arn, "arn:aws:") || !strings.Contains(arn, ":"+testAccount+":") {
			t.Errorf("Arn = %q, want an ARN of account %s", arn, testAccount)
		}
		if aws.ToString(out.UserId) == "" {
			t.Error("UserId is empty")
		}
		// moto answers for a user of its own; localcloud for the root.
		if b.IsLocal {
			if arn := aws.ToString(out.Arn); arn != "arn:aws:iam::"+testAccount+":root" {
				t.Errorf("Arn = %q, want the account's root", arn)
			}
		}
	})
}

func TestCLISTSGetCallerIdentity(t *testing.T) {
	b := newBackend(t, "localcloud-memory", localcloud.Options{})
	doc := awsCLI(t, b, "sts", "get-caller-identity")
	if doc["Account"] != testAccount || doc["Arn"] != "arn:aws:iam::"+testAccount+":root" || doc["UserId"] != testAccount {
		t.Errorf("aws sts get-caller-identity = %v", doc)
	}
}
