package status_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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

// newMotoStore creates a fresh table on the moto server at endpoint. The
// store's calls go through serialClient, and through stripOldItem when
// withoutAllOld is set.
func newMotoStore(t testing.TB, endpoint string, withoutAllOld bool) *status.Dynamo {
	t.Helper()
	client := motoClient(endpoint)
	name := fmt.Sprintf("status-%d", tableSeq.Add(1))
	if err := status.CreateTable(context.Background(), client, name); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	var api status.DynamoAPI = &serialClient{DynamoAPI: client}
	if withoutAllOld {
		api = stripOldItem{api}
	}
	return status.NewDynamo(api, name)
}

// serialClient sends one call at a time. DynamoDB evaluates a condition
// and applies the write atomically per item; moto_server (5.2.1) does not:
// its threaded server checks and writes without a lock, so two concurrent
// conditional UpdateItems can both pass (measured: two terminal winners in
// half the runs of the TerminalRace test). Serializing the calls gives the
// moto run the per-item atomicity the real service has, while the
// conditions themselves are still evaluated by moto; the goroutines of the
// race tests still contend, in an order the scheduler picks.
type serialClient struct {
	mu sync.Mutex
	status.DynamoAPI
}

func (c *serialClient) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.DynamoAPI.PutItem(ctx, in, optFns...)
}

func (c *serialClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.DynamoAPI.GetItem(ctx, in, optFns...)
}

func (c *serialClient) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.DynamoAPI.UpdateItem(ctx, in, optFns...)
}

func (c *serialClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.DynamoAPI.TransactWriteItems(ctx, in, optFns...)
}

// stripOldItem drops the item a conditional failure carries, as a
// DynamoDB-compatible service without ReturnValuesOnConditionCheckFailure
// would, so the store's fallback read is exercised too.
type stripOldItem struct{ status.DynamoAPI }

func (c stripOldItem) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := c.DynamoAPI.PutItem(ctx, in, optFns...)
	return out, stripItem(err)
}

func (c stripOldItem) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := c.DynamoAPI.UpdateItem(ctx, in, optFns...)
	return out, stripItem(err)
}

func stripItem(err error) error {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return &types.ConditionalCheckFailedException{Message: ccf.Message}
	}
	return err
}

func TestDynamoConformance(t *testing.T) {
	endpoint := motoserver.Start(t)
	statustest.Run(t, func(t *testing.T) status.Store { return newMotoStore(t, endpoint, false) })
}

func TestDynamoConformanceWithoutAllOld(t *testing.T) {
	endpoint := motoserver.Start(t)
	statustest.Run(t, func(t *testing.T) status.Store { return newMotoStore(t, endpoint, true) })
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
