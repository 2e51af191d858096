package localcloud_test

// BenchmarkDynamoDB runs DynamoDB workloads against localcloud (in memory
// and with a data directory) and moto_server in one run, from
// benchClients concurrent SDK clients, and reports operations per second:
//
//	go test -run '^$' -bench BenchmarkDynamoDB -benchtime 2000x ./infra/localcloud/
//
// As in BenchmarkWorkloads, moto does at most -moto-ops operations, and a
// table of the results with the ratio to moto is logged at the end.

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ddbBenchItems is how many items the workloads spread over.
const ddbBenchItems = 100

type ddbWorkload struct {
	name string
	// op does operation i; it must succeed.
	op func(ctx context.Context, c *dynamodb.Client, table string, i int64) error
}

func ddbWorkloads() []ddbWorkload {
	key := func(i int64) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"pk": avS(fmt.Sprintf("item-%03d", i%ddbBenchItems))}
	}
	return []ddbWorkload{
		{name: "GetItem", op: func(ctx context.Context, c *dynamodb.Client, table string, i int64) error {
			out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(i)})
			if err == nil && out.Item == nil {
				err = fmt.Errorf("item %d missing", i%ddbBenchItems)
			}
			return err
		}},
		// The status store's transition: a conditional update answering
		// the new item.
		{name: "CondUpdateItem", op: func(ctx context.Context, c *dynamodb.Client, table string, i int64) error {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key(i),
				UpdateExpression: aws.String("SET n = n + :one, st = :st"), ConditionExpression: aws.String("attribute_exists(pk) AND st <> :done"),
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":one": avN(1), ":st": avS("running"), ":done": avS("done")},
				ReturnValues:              ddbtypes.ReturnValueAllNew})
			return err
		}},
		// Two conditional puts of new items, as the status store creates
		// a batch of requests.
		{name: "TransactWriteItems", op: func(ctx context.Context, c *dynamodb.Client, table string, i int64) error {
			put := func(k string) ddbtypes.TransactWriteItem {
				return ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: aws.String(table),
					Item: map[string]ddbtypes.AttributeValue{"pk": avS(k), "n": avN(0)}, ConditionExpression: aws.String("attribute_not_exists(pk)")}}
			}
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
				put(fmt.Sprintf("tx-%d-a", i)), put(fmt.Sprintf("tx-%d-b", i))}})
			return err
		}},
	}
}

var ddbBenchRun atomic.Int64

func BenchmarkDynamoDB(b *testing.B) {
	compareTargets(b, ddbWorkloads(), func(w ddbWorkload) string { return w.name }, runDDBWorkload)
}

func runDDBWorkload(b *testing.B, w ddbWorkload, tg benchTarget) float64 {
	n := b.N
	if tg.moto {
		n = min(n, *motoOps)
	}
	be := backend{Endpoint: tg.endpoint}
	ctx := context.Background()
	setup := be.DynamoDB()
	table := fmt.Sprintf("bench-%d", ddbBenchRun.Add(1))
	_, err := setup.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table), BillingMode: ddbtypes.BillingModePayPerRequest,
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
	})
	if err != nil {
		b.Fatalf("CreateTable: %v", err)
	}
	for i := range ddbBenchItems {
		if _, err := setup.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
			"pk": avS(fmt.Sprintf("item-%03d", i)), "n": avN(0), "st": avS("new"), "body": avS(fmt.Sprintf("%0200d", i))}}); err != nil {
			b.Fatalf("PutItem: %v", err)
		}
	}
	clients := make([]*dynamodb.Client, benchClients)
	for i := range clients {
		clients[i] = be.DynamoDB(func(o *dynamodb.Options) {
			if tg.moto {
				// moto_server's threaded server now and then answers a
				// concurrent TransactWriteItems with a 500 (it is not
				// thread-safe; see internal/status/dynamo_test.go): retry
				// those rather than fail the run.
				o.RetryMaxAttempts = 10
			}
		})
	}
	elapsed := driveClients(b, clients, n, func(c *dynamodb.Client, i int64) error {
		return w.op(ctx, c, table, i)
	}, w.name+" on "+tg.name)
	rate := float64(n) / elapsed.Seconds()
	b.ReportMetric(rate, "ops/s")
	if n != b.N {
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/op")
	}
	return rate
}
