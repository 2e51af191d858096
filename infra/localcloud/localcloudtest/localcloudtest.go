// Package localcloudtest serves an in-process localcloud for tests and
// gives the SDK configuration that reaches it, so a test of any package
// talks to real AWS wire protocols without starting a process.
package localcloudtest

import (
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/clientfix"
)

// Start serves a localcloud with opts (BaseURL is set for it) until the
// test ends, and returns the SDK configuration for it: region us-east-1,
// static test credentials, the endpoint as BaseEndpoint. A zero
// DynamoDBTTLInterval turns the TTL sweep off, since tests with a fixed
// clock write items that expire in the past; DynamoDB itself deletes them
// only eventually.
func Start(tb testing.TB, opts localcloud.Options) aws.Config {
	tb.Helper()
	_, cfg := StartCloud(tb, opts)
	return cfg
}

// StartCloud is Start that also returns the Cloud, for tests that set up
// state no API call can make (EC2 instances with given ids: ec2's
// ImportInstances) or inject faults in process.
func StartCloud(tb testing.TB, opts localcloud.Options) (*localcloud.Cloud, aws.Config) {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	opts.BaseURL = "http://" + srv.Listener.Addr().String()
	if opts.DynamoDBTTLInterval == 0 {
		opts.DynamoDBTTLInterval = -1
	}
	cloud, err := localcloud.New(opts)
	if err != nil {
		srv.Close()
		tb.Fatalf("start localcloud: %v", err)
	}
	srv.Config.Handler = cloud
	srv.Start()
	tb.Cleanup(func() {
		srv.Close()
		if err := cloud.Close(); err != nil {
			tb.Errorf("close localcloud: %v", err)
		}
	})
	return cloud, aws.Config{
		Region:       localcloud.DefaultRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   clientfix.HTTPClient(),
	}
}
