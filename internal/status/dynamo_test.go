package status_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/eventchain/eventchain/internal/motoserver"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
)

// tableSeq makes table names unique within one moto server.
var tableSeq atomic.Int64

func motoClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// newMotoStore creates a fresh table on the moto server at endpoint.
func newMotoStore(t testing.TB, endpoint string) *status.Dynamo {
	t.Helper()
	client := motoClient(endpoint)
	name := fmt.Sprintf("status-%d", tableSeq.Add(1))
	if err := status.CreateTable(context.Background(), client, name); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	return status.NewDynamo(client, name)
}

func TestDynamoConformance(t *testing.T) {
	endpoint := motoserver.Start(t)
	statustest.Run(t, func(t *testing.T) status.Store { return newMotoStore(t, endpoint) })
}

func TestCreateTableTTL(t *testing.T) {
	endpoint := motoserver.Start(t)
	client := motoClient(endpoint)
	ctx := context.Background()
	if err := status.CreateTable(ctx, client, "ttl-check"); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("ttl-check")})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	ks := desc.Table.KeySchema
	if len(ks) != 1 || aws.ToString(ks[0].AttributeName) != "pk" || ks[0].KeyType != "HASH" {
		t.Errorf("key schema %+v, want pk HASH only", ks)
	}
	if bm := desc.Table.BillingModeSummary; bm == nil || bm.BillingMode != "PAY_PER_REQUEST" {
		t.Errorf("billing mode %+v, want PAY_PER_REQUEST", bm)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("ttl-check")})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	d := ttl.TimeToLiveDescription
	if d == nil || aws.ToString(d.AttributeName) != "expiresAt" || d.TimeToLiveStatus != "ENABLED" {
		t.Errorf("ttl %+v, want expiresAt ENABLED", d)
	}
}

func TestNewDynamoFromEnv(t *testing.T) {
	endpoint := motoserver.Start(t)
	ctx := context.Background()
	if err := status.CreateTable(ctx, motoClient(endpoint), "from-env"); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	env := map[string]string{"STATUS_TABLE": "from-env", "AWS_ENDPOINT_URL": endpoint}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	store, err := status.NewDynamoFromEnv(ctx, lookup)
	if err != nil {
		t.Fatalf("NewDynamoFromEnv: %v", err)
	}
	if err := store.Create(ctx, status.Request{ID: "r1"}); err != nil {
		t.Fatalf("Create through the env-built store: %v", err)
	}
	// The request landed in the named table, seen through another client.
	if _, err := status.NewDynamo(motoClient(endpoint), "from-env").Get(ctx, "r1"); err != nil {
		t.Errorf("Get: %v", err)
	}

	delete(env, "STATUS_TABLE")
	if _, err := status.NewDynamoFromEnv(ctx, lookup); err == nil {
		t.Error("NewDynamoFromEnv without STATUS_TABLE succeeded")
	}
}
