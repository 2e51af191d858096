package local

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/eventchain/eventchain/infra/samtemplate"
)

// provisionTables creates in localcloud each DynamoDB table the template
// declares — keys, global secondary indexes, TTL — unless it exists
// (a restart over a data directory keeps its items), so every function
// runs on the status store's production driver, as deployed.
func provisionTables(ctx context.Context, cfg aws.Config, t *samtemplate.Resolved) error {
	db := dynamodb.NewFromConfig(cfg)
	for _, tb := range t.Tables {
		_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tb.Name)})
		var missing *dbtypes.ResourceNotFoundException
		switch {
		case errors.As(err, &missing):
			if _, err := db.CreateTable(ctx, createTableInput(tb)); err != nil {
				return fmt.Errorf("create table %s: %w", tb.LogicalID, err)
			}
		case err != nil:
			return fmt.Errorf("describe table %s: %w", tb.LogicalID, err)
		}
		if tb.TTLAttribute == "" {
			continue
		}
		ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(tb.Name)})
		if err != nil {
			return fmt.Errorf("describe TTL of table %s: %w", tb.LogicalID, err)
		}
		if d := ttl.TimeToLiveDescription; d != nil && d.TimeToLiveStatus == dbtypes.TimeToLiveStatusEnabled && aws.ToString(d.AttributeName) == tb.TTLAttribute {
			continue
		}
		if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               aws.String(tb.Name),
			TimeToLiveSpecification: &dbtypes.TimeToLiveSpecification{AttributeName: aws.String(tb.TTLAttribute), Enabled: aws.Bool(true)},
		}); err != nil {
			return fmt.Errorf("enable TTL on table %s: %w", tb.LogicalID, err)
		}
	}
	return nil
}

func createTableInput(tb samtemplate.Table) *dynamodb.CreateTableInput {
	defs := map[string]string{}
	keys := func(hash, hashType, rng, rngType string) []dbtypes.KeySchemaElement {
		defs[hash] = hashType
		ks := []dbtypes.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: dbtypes.KeyTypeHash}}
		if rng != "" {
			defs[rng] = rngType
			ks = append(ks, dbtypes.KeySchemaElement{AttributeName: aws.String(rng), KeyType: dbtypes.KeyTypeRange})
		}
		return ks
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(tb.Name),
		KeySchema:   keys(tb.HashKey, tb.HashKeyType, tb.RangeKey, tb.RangeKeyType),
		BillingMode: dbtypes.BillingModePayPerRequest,
	}
	for _, ix := range tb.Indexes {
		projection := &dbtypes.Projection{ProjectionType: dbtypes.ProjectionType(ix.Projection)}
		if ix.Projection == "" {
			projection.ProjectionType = dbtypes.ProjectionTypeAll
		}
		projection.NonKeyAttributes = ix.NonKeyAttributes
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, dbtypes.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keys(ix.HashKey, ix.HashKeyType, ix.RangeKey, ix.RangeKeyType),
			Projection: projection,
		})
	}
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, dbtypes.AttributeDefinition{
			AttributeName: aws.String(name), AttributeType: dbtypes.ScalarAttributeType(defs[name]),
		})
	}
	return in
}
