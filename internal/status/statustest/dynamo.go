package statustest

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/eventchain/eventchain/internal/status"
)

var tables atomic.Int64

// NewDynamo creates a fresh status table where cfg points (an emulator)
// and returns the production store on it, for tests of the status store's
// callers.
func NewDynamo(tb testing.TB, cfg aws.Config) *status.Dynamo {
	tb.Helper()
	client := dynamodb.NewFromConfig(cfg)
	name := fmt.Sprintf("status-test-%d", tables.Add(1))
	if err := status.CreateTable(tb.Context(), client, name); err != nil {
		tb.Fatalf("create status table: %v", err)
	}
	return status.NewDynamo(client, name)
}
