package localcloud_test

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/eventchain/eventchain/infra/localcloud"
)

// DynamoDB returns a DynamoDB client for the backend.
func (b backend) DynamoDB(optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(b.AWSConfig(), append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(b.Endpoint)
	}}, optFns...)...)
}

func avS(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
func avN(v int) ddbtypes.AttributeValue {
	return &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(v)}
}

// errorCode is the AWS error code of err, "" for none.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// ddbTableSpec describes a test table: a string partition key pk, an
// optional number sort key sk, and optional indexes: a GSI "ByOwner" on
// owner (S) / rank (N) and an LSI "ByRank" on pk / rank.
type ddbTableSpec struct {
	name     string
	sortKey  bool
	gsi, lsi bool
}

func createDDBTable(t *testing.T, b backend, c *dynamodb.Client, spec ddbTableSpec) {
	t.Helper()
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(spec.name),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
	}
	if spec.sortKey {
		in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String("sk"), KeyType: ddbtypes.KeyTypeRange})
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String("sk"), AttributeType: ddbtypes.ScalarAttributeTypeN})
	}
	if spec.gsi || spec.lsi {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String("rank"), AttributeType: ddbtypes.ScalarAttributeTypeN})
	}
	if spec.gsi {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String("owner"), AttributeType: ddbtypes.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []ddbtypes.GlobalSecondaryIndex{{
			IndexName: aws.String("ByOwner"),
			KeySchema: []ddbtypes.KeySchemaElement{
				{AttributeName: aws.String("owner"), KeyType: ddbtypes.KeyTypeHash},
				{AttributeName: aws.String("rank"), KeyType: ddbtypes.KeyTypeRange},
			},
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll},
		}}
	}
	if spec.lsi {
		in.LocalSecondaryIndexes = []ddbtypes.LocalSecondaryIndex{{
			IndexName: aws.String("ByRank"),
			KeySchema: []ddbtypes.KeySchemaElement{
				{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash},
				{AttributeName: aws.String("rank"), KeyType: ddbtypes.KeyTypeRange},
			},
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll},
		}}
	}
	if _, err := c.CreateTable(b.Ctx(t), in); err != nil {
		t.Fatalf("CreateTable %s: %v", spec.name, err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second })
	if err := w.Wait(b.Ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String(spec.name)}, 30*time.Second); err != nil {
		t.Fatalf("wait for table %s: %v", spec.name, err)
	}
}

func putDDB(t *testing.T, b backend, c *dynamodb.Client, table string, item map[string]ddbtypes.AttributeValue) {
	t.Helper()
	if _, err := c.PutItem(b.Ctx(t), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatalf("PutItem %v: %v", item, err)
	}
}

func getDDB(t *testing.T, b backend, c *dynamodb.Client, table string, key map[string]ddbtypes.AttributeValue) map[string]ddbtypes.AttributeValue {
	t.Helper()
	out, err := c.GetItem(b.Ctx(t), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem %v: %v", key, err)
	}
	return out.Item
}

// attrString renders an attribute map compactly for comparisons.
func attrString(m map[string]ddbtypes.AttributeValue) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "%s=%s;", k, avString(m[k]))
	}
	return sb.String()
}

func avString(v ddbtypes.AttributeValue) string {
	switch v := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return "S:" + v.Value
	case *ddbtypes.AttributeValueMemberN:
		return "N:" + v.Value
	case *ddbtypes.AttributeValueMemberBOOL:
		return "BOOL:" + strconv.FormatBool(v.Value)
	case *ddbtypes.AttributeValueMemberL:
		parts := make([]string, len(v.Value))
		for i, x := range v.Value {
			parts[i] = avString(x)
		}
		return "L:[" + strings.Join(parts, ",") + "]"
	case *ddbtypes.AttributeValueMemberM:
		return "M:{" + attrString(v.Value) + "}"
	case *ddbtypes.AttributeValueMemberSS:
		ss := slices.Sorted(slices.Values(v.Value))
		return "SS:" + strings.Join(ss, ",")
	case nil:
		return "<nil>"
	}
	return fmt.Sprintf("%T", v)
}

func TestDynamoDBTables(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.DynamoDB()
		ctx := b.Ctx(t)
		createDDBTable(t, b, c, ddbTableSpec{name: "orders", sortKey: true, gsi: true, lsi: true})
		d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
		if err != nil {
			t.Fatalf("DescribeTable: %v", err)
		}
		tbl := d.Table
		if tbl.TableStatus != ddbtypes.TableStatusActive || aws.ToString(tbl.TableName) != "orders" || len(tbl.KeySchema) != 2 ||
			!strings.HasSuffix(aws.ToString(tbl.TableArn), ":table/orders") {
			t.Errorf("DescribeTable = status %s name %s keys %d arn %s", tbl.TableStatus, aws.ToString(tbl.TableName), len(tbl.KeySchema), aws.ToString(tbl.TableArn))
		}
		if len(tbl.GlobalSecondaryIndexes) != 1 || aws.ToString(tbl.GlobalSecondaryIndexes[0].IndexName) != "ByOwner" ||
			len(tbl.LocalSecondaryIndexes) != 1 || aws.ToString(tbl.LocalSecondaryIndexes[0].IndexName) != "ByRank" {
			t.Errorf("indexes = %+v / %+v", tbl.GlobalSecondaryIndexes, tbl.LocalSecondaryIndexes)
		}
		if bm := tbl.BillingModeSummary; bm == nil || bm.BillingMode != ddbtypes.BillingModePayPerRequest {
			t.Errorf("BillingModeSummary = %+v", bm)
		}
		putDDB(t, b, c, "orders", map[string]ddbtypes.AttributeValue{"pk": avS("a"), "sk": avN(1)})
		putDDB(t, b, c, "orders", map[string]ddbtypes.AttributeValue{"pk": avS("a"), "sk": avN(2)})
		d, _ = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
		// DynamoDB refreshes ItemCount every six hours; moto and localcloud
		// count at once.
		if got := aws.ToInt64(d.Table.ItemCount); got != 2 {
			t.Errorf("ItemCount = %d, want 2", got)
		}

		_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName: aws.String("orders"), BillingMode: ddbtypes.BillingModePayPerRequest,
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		})
		if code := errorCode(err); code != "ResourceInUseException" {
			t.Errorf("CreateTable of an existing table: %v, want ResourceInUseException", err)
		}
		// Provisioned capacity is accepted (and never throttles).
		_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:             aws.String("provisioned"),
			KeySchema:             []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
			AttributeDefinitions:  []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			ProvisionedThroughput: &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)},
		})
		if err != nil {
			t.Fatalf("CreateTable PROVISIONED: %v", err)
		}
		createDDBTable(t, b, c, ddbTableSpec{name: "third"})

		var names []string
		var start *string
		for pages := 0; ; pages++ {
			out, err := c.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(2), ExclusiveStartTableName: start})
			if err != nil {
				t.Fatalf("ListTables: %v", err)
			}
			if len(out.TableNames) > 2 {
				t.Errorf("ListTables page of %d names, limit 2", len(out.TableNames))
			}
			names = append(names, out.TableNames...)
			if out.LastEvaluatedTableName == nil || pages > 5 {
				break
			}
			start = out.LastEvaluatedTableName
		}
		if want := []string{"orders", "provisioned", "third"}; !slices.Equal(names, want) {
			t.Errorf("ListTables pages = %v, want %v", names, want)
		}

		if _, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("third")}); err != nil {
			t.Fatalf("DeleteTable: %v", err)
		}
		_, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("third")})
		if code := errorCode(err); code != "ResourceNotFoundException" {
			t.Errorf("DescribeTable of a deleted table: %v, want ResourceNotFoundException", err)
		}
		_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("third"), Key: map[string]ddbtypes.AttributeValue{"pk": avS("x")}})
		if code := errorCode(err); code != "ResourceNotFoundException" {
			t.Errorf("GetItem on a deleted table: %v, want ResourceNotFoundException", err)
		}
	})
}

func TestDynamoDBTagsAndTTL(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.DynamoDB()
		ctx := b.Ctx(t)
		createDDBTable(t, b, c, ddbTableSpec{name: "tagged"})
		d, _ := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("tagged")})
		arn := d.Table.TableArn
		if _, err := c.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: []ddbtypes.Tag{
			{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("test")}}}); err != nil {
			t.Fatalf("TagResource: %v", err)
		}
		if _, err := c.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"env"}}); err != nil {
			t.Fatalf("UntagResource: %v", err)
		}
		tags, err := c.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: arn})
		if err != nil {
			t.Fatalf("ListTagsOfResource: %v", err)
		}
		if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "a" {
			t.Errorf("tags = %+v, want team=a", tags.Tags)
		}

		ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("tagged")})
		if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != ddbtypes.TimeToLiveStatusDisabled {
			t.Errorf("DescribeTimeToLive before = %+v, %v; want DISABLED", ttl, err)
		}
		if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("tagged"),
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(true)}}); err != nil {
			t.Fatalf("UpdateTimeToLive: %v", err)
		}
		ttl, err = c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("tagged")})
		if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled ||
			aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "expiresAt" {
			t.Errorf("DescribeTimeToLive after = %+v, %v; want ENABLED on expiresAt", ttl.TimeToLiveDescription, err)
		}
	})
}

// TestDynamoDBTTLSweep: moto never deletes expired items, so this runs
// on localcloud only, with a fast sweep.
func TestDynamoDBTTLSweep(t *testing.T) {
	for _, kind := range []string{"localcloud-memory", "localcloud-disk"} {
		t.Run(kind, func(t *testing.T) {
			b := newBackend(t, kind, localcloud.Options{DynamoDBTTLInterval: 20 * time.Millisecond})
			c := b.DynamoDB()
			ctx := b.Ctx(t)
			createDDBTable(t, b, c, ddbTableSpec{name: "ttl"})
			if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("ttl"),
				TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
				t.Fatalf("UpdateTimeToLive: %v", err)
			}
			now := int(time.Now().Unix())
			putDDB(t, b, c, "ttl", map[string]ddbtypes.AttributeValue{"pk": avS("past"), "exp": avN(now - 60)})
			putDDB(t, b, c, "ttl", map[string]ddbtypes.AttributeValue{"pk": avS("future"), "exp": avN(now + 3600)})
			putDDB(t, b, c, "ttl", map[string]ddbtypes.AttributeValue{"pk": avS("not-a-number"), "exp": avS("0")})
			putDDB(t, b, c, "ttl", map[string]ddbtypes.AttributeValue{"pk": avS("ancient"), "exp": avN(1000)}) // > 5 years ago: ignored
			deadline := time.Now().Add(10 * time.Second)
			for getDDB(t, b, c, "ttl", map[string]ddbtypes.AttributeValue{"pk": avS("past")}) != nil {
				if time.Now().After(deadline) {
					t.Fatal("the expired item is still there after 10s")
				}
				time.Sleep(20 * time.Millisecond)
			}
			for _, pk := range []string{"future", "not-a-number", "ancient"} {
				if getDDB(t, b, c, "ttl", map[string]ddbtypes.AttributeValue{"pk": avS(pk)}) == nil {
					t.Errorf("item %s was deleted; its TTL does not expire it", pk)
				}
			}
		})
	}
}

// condCase is one conditional write and what it must do.
type condCase struct {
	name  string
	call  func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error)
	code  string // the error code, "" for success
	attrs string // the Attributes returned (attrString), or of the error's Item
	after string // the item afterwards (attrString), "" for absent
	// motoLacks, when set, says what moto lacks for the case, which then
	// runs on localcloud only.
	motoLacks string
}

func TestDynamoDBConditionalWrites(t *testing.T) {
	key := map[string]ddbtypes.AttributeValue{"pk": avS("k")}
	seed := map[string]ddbtypes.AttributeValue{"pk": avS("k"), "n": avN(1), "s": avS("x")}
	const seeded = "n=N:1;pk=S:k;s=S:x;"
	tbl := aws.String("cond")
	cases := []condCase{
		{name: "PutIfAbsentFails", code: "ConditionalCheckFailedException", after: seeded,
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				_, err := c.PutItem(b.Ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]ddbtypes.AttributeValue{"pk": avS("k")},
					ConditionExpression: aws.String("attribute_not_exists(pk)")})
				return nil, err
			}},
		{name: "PutFailsWithOldItem", code: "ConditionalCheckFailedException", attrs: seeded, after: seeded,
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				_, err := c.PutItem(b.Ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]ddbtypes.AttributeValue{"pk": avS("k")},
					ConditionExpression: aws.String("attribute_not_exists(pk)"), ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld})
				return nil, err
			}},
		{name: "PutReturnsAllOld", attrs: seeded, after: "pk=S:k;z=BOOL:true;",
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				out, err := c.PutItem(b.Ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]ddbtypes.AttributeValue{"pk": avS("k"), "z": &ddbtypes.AttributeValueMemberBOOL{Value: true}},
					ConditionExpression: aws.String("n = :one"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":one": avN(1)}, ReturnValues: ddbtypes.ReturnValueAllOld})
				return attrsOf(out, err, func() map[string]ddbtypes.AttributeValue { return out.Attributes })
			}},
		{name: "UpdateAllNew", attrs: "l=L:[S:a];n=N:6;pk=S:k;s=S:x;", after: "l=L:[S:a];n=N:6;pk=S:k;s=S:x;",
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				out, err := c.UpdateItem(b.Ctx(t), &dynamodb.UpdateItemInput{TableName: tbl, Key: key,
					UpdateExpression:          aws.String("SET n = n + :five, l = list_append(if_not_exists(l, :empty), :a)"),
					ConditionExpression:       aws.String("s = :x"),
					ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":five": avN(5), ":x": avS("x"), ":empty": &ddbtypes.AttributeValueMemberL{}, ":a": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{avS("a")}}},
					ReturnValues:              ddbtypes.ReturnValueAllNew})
				return attrsOf(out, err, func() map[string]ddbtypes.AttributeValue { return out.Attributes })
			}},
		{name: "UpdateUpdatedOld", attrs: "n=N:1;", after: "n=N:2;pk=S:k;s=S:x;",
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				out, err := c.UpdateItem(b.Ctx(t), &dynamodb.UpdateItemInput{TableName: tbl, Key: key,
					UpdateExpression: aws.String("ADD n :one"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":one": avN(1)},
					ReturnValues: ddbtypes.ReturnValueUpdatedOld})
				return attrsOf(out, err, func() map[string]ddbtypes.AttributeValue { return out.Attributes })
			}},
		{name: "UpdateUpdatedNew", attrs: "t=S:new;", after: "n=N:1;pk=S:k;t=S:new;",
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				out, err := c.UpdateItem(b.Ctx(t), &dynamodb.UpdateItemInput{TableName: tbl, Key: key,
					UpdateExpression: aws.String("SET #t = :v REMOVE s"), ExpressionAttributeNames: map[string]string{"#t": "t"},
					ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": avS("new")}, ReturnValues: ddbtypes.ReturnValueUpdatedNew})
				return attrsOf(out, err, func() map[string]ddbtypes.AttributeValue { return out.Attributes })
			}},
		{name: "UpdateConditionFailsWithOldItem", code: "ConditionalCheckFailedException", attrs: seeded, after: seeded,
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				_, err := c.UpdateItem(b.Ctx(t), &dynamodb.UpdateItemInput{TableName: tbl, Key: key,
					UpdateExpression: aws.String("SET n = :two"), ConditionExpression: aws.String("n > :two"),
					ExpressionAttributeValues:           map[string]ddbtypes.AttributeValue{":two": avN(2)},
					ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld})
				return nil, err
			}},
		{name: "UpdateCreatesAbsentItem", after: seeded,
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				_, err := c.UpdateItem(b.Ctx(t), &dynamodb.UpdateItemInput{TableName: tbl, Key: map[string]ddbtypes.AttributeValue{"pk": avS("new")},
					UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": avN(7)}})
				if err != nil {
					return nil, err
				}
				if got := attrString(getDDB(t, b, c, "cond", map[string]ddbtypes.AttributeValue{"pk": avS("new")})); got != "pk=S:new;v=N:7;" {
					t.Errorf("created item = %s", got)
				}
				return nil, nil
			}},
		{name: "UpdateOfKeyRefused", code: "ValidationException", after: seeded,
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				_, err := c.UpdateItem(b.Ctx(t), &dynamodb.UpdateItemInput{TableName: tbl, Key: key,
					UpdateExpression: aws.String("SET pk = :v"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": avS("other")}})
				return nil, err
			}},
		{name: "DeleteConditionFails", code: "ConditionalCheckFailedException", after: seeded,
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				_, err := c.DeleteItem(b.Ctx(t), &dynamodb.DeleteItemInput{TableName: tbl, Key: key,
					ConditionExpression: aws.String("attribute_not_exists(s)")})
				return nil, err
			}},
		{name: "DeleteReturnsAllOld", attrs: seeded, after: "",
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				out, err := c.DeleteItem(b.Ctx(t), &dynamodb.DeleteItemInput{TableName: tbl, Key: key,
					ConditionExpression: aws.String("attribute_exists(s)"), ReturnValues: ddbtypes.ReturnValueAllOld})
				return attrsOf(out, err, func() map[string]ddbtypes.AttributeValue { return out.Attributes })
			}},
		{name: "PutReturnValuesAllNewRefused", code: "ValidationException", after: seeded,
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				_, err := c.PutItem(b.Ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]ddbtypes.AttributeValue{"pk": avS("k")},
					ReturnValues: ddbtypes.ReturnValueAllNew})
				return nil, err
			}},
		{name: "UnusedPlaceholderRefused", code: "ValidationException", after: seeded, motoLacks: "moto 5.2.1 accepts unused ExpressionAttributeValues",
			call: func(b backend, c *dynamodb.Client, t *testing.T) (map[string]ddbtypes.AttributeValue, error) {
				_, err := c.PutItem(b.Ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: map[string]ddbtypes.AttributeValue{"pk": avS("k")},
					ConditionExpression: aws.String("attribute_exists(pk)"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":unused": avN(1)}})
				return nil, err
			}},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.DynamoDB()
		createDDBTable(t, b, c, ddbTableSpec{name: "cond"})
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if tc.motoLacks != "" && !b.IsLocal {
					t.Skip(tc.motoLacks)
				}
				putDDB(t, b, c, "cond", seed)
				attrs, err := tc.call(b, c, t)
				if code := errorCode(err); code != tc.code || (tc.code == "" && err != nil) {
					t.Fatalf("error %v (code %q), want code %q", err, code, tc.code)
				}
				if tc.code == "ConditionalCheckFailedException" {
					var ccf *ddbtypes.ConditionalCheckFailedException
					if errors.As(err, &ccf) {
						attrs = ccf.Item
					}
				}
				if got := attrString(attrs); got != tc.attrs {
					t.Errorf("returned %q, want %q", got, tc.attrs)
				}
				if got := attrString(getDDB(t, b, c, "cond", key)); got != tc.after {
					t.Errorf("item afterwards %q, want %q", got, tc.after)
				}
			})
		}
	})
}

func attrsOf[T any](out *T, err error, attrs func() map[string]ddbtypes.AttributeValue) (map[string]ddbtypes.AttributeValue, error) {
	if err != nil {
		return nil, err
	}
	return attrs(), nil
}

func TestDynamoDBValidation(t *testing.T) {
	big := strings.Repeat("x", 400*1024)
	cases := []struct {
		name string
		item map[string]ddbtypes.AttributeValue // PutItem on table "v"
		key  map[string]ddbtypes.AttributeValue // or GetItem
		code string
		// motoLacks says why the case runs on localcloud only.
		motoLacks string
	}{
		{name: "MissingKey", item: map[string]ddbtypes.AttributeValue{"other": avS("x")}, code: "ValidationException"},
		{name: "KeyOfWrongType", item: map[string]ddbtypes.AttributeValue{"pk": avN(1), "sk": avN(1)}, code: "ValidationException"},
		{name: "EmptyStringKey", item: map[string]ddbtypes.AttributeValue{"pk": avS(""), "sk": avN(1)}, code: "ValidationException"},
		{name: "ItemOver400KB", item: map[string]ddbtypes.AttributeValue{"pk": avS("a"), "sk": avN(1), "big": avS(big)}, code: "ValidationException"},
		{name: "IndexKeyOfWrongType", item: map[string]ddbtypes.AttributeValue{"pk": avS("a"), "sk": avN(1), "owner": avN(3)}, code: "ValidationException", motoLacks: "moto 5.2.1 stores index keys of the wrong type"},
		{name: "ItemWithoutIndexKeys", item: map[string]ddbtypes.AttributeValue{"pk": avS("a"), "sk": avN(1), "rank": avN(3)}},
		{name: "EmptyStringNonKey", item: map[string]ddbtypes.AttributeValue{"pk": avS("a"), "sk": avN(1), "note": avS("")}},
		{name: "GetWithPartialKey", key: map[string]ddbtypes.AttributeValue{"pk": avS("a")}, code: "ValidationException"},
		{name: "GetWithExtraAttribute", key: map[string]ddbtypes.AttributeValue{"pk": avS("a"), "sk": avN(1), "x": avS("y")}, code: "ValidationException"},
		{name: "GetWithKeyOfWrongType", key: map[string]ddbtypes.AttributeValue{"pk": avS("a"), "sk": avS("1")}, code: "ValidationException", motoLacks: "moto 5.2.1 does not check key types on reads"},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.DynamoDB()
		createDDBTable(t, b, c, ddbTableSpec{name: "valid", sortKey: true, gsi: true})
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if tc.motoLacks != "" && !b.IsLocal {
					t.Skip(tc.motoLacks)
				}
				var err error
				if tc.item != nil {
					_, err = c.PutItem(b.Ctx(t), &dynamodb.PutItemInput{TableName: aws.String("valid"), Item: tc.item})
				} else {
					_, err = c.GetItem(b.Ctx(t), &dynamodb.GetItemInput{TableName: aws.String("valid"), Key: tc.key})
				}
				if code := errorCode(err); code != tc.code || (tc.code == "" && err != nil) {
					t.Errorf("error %v, want code %q", err, tc.code)
				}
			})
		}
		_, err := c.PutItem(b.Ctx(t), &dynamodb.PutItemInput{TableName: aws.String("missing"), Item: map[string]ddbtypes.AttributeValue{"pk": avS("a")}})
		if code := errorCode(err); code != "ResourceNotFoundException" {
			t.Errorf("PutItem on a missing table: %v, want ResourceNotFoundException", err)
		}
	})
}

func TestDynamoDBTransactions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.DynamoDB()
		ctx := b.Ctx(t)
		createDDBTable(t, b, c, ddbTableSpec{name: "txn"})
		putDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("acct-a"), "bal": avN(10)})
		putDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("acct-b"), "bal": avN(0)})
		putDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("gone"), "x": avN(1)})
		putDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("open")})
		transfer := func(amount int, onFailure ddbtypes.ReturnValuesOnConditionCheckFailure) error {
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
				{Update: &ddbtypes.Update{TableName: aws.String("txn"), Key: map[string]ddbtypes.AttributeValue{"pk": avS("acct-a")},
					UpdateExpression: aws.String("SET bal = bal - :a"), ConditionExpression: aws.String("bal >= :a"),
					ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":a": avN(amount)}, ReturnValuesOnConditionCheckFailure: onFailure}},
				{Update: &ddbtypes.Update{TableName: aws.String("txn"), Key: map[string]ddbtypes.AttributeValue{"pk": avS("acct-b")},
					UpdateExpression: aws.String("SET bal = bal + :a"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":a": avN(amount)}}},
				{Put: &ddbtypes.Put{TableName: aws.String("txn"), Item: map[string]ddbtypes.AttributeValue{"pk": avS("log-" + strconv.Itoa(amount))},
					ConditionExpression: aws.String("attribute_not_exists(pk)")}},
				{Delete: &ddbtypes.Delete{TableName: aws.String("txn"), Key: map[string]ddbtypes.AttributeValue{"pk": avS("gone")}}},
				{ConditionCheck: &ddbtypes.ConditionCheck{TableName: aws.String("txn"), Key: map[string]ddbtypes.AttributeValue{"pk": avS("open")},
					ConditionExpression: aws.String("attribute_exists(pk)")}},
			}})
			return err
		}
		if err := transfer(4, ""); err != nil {
			t.Fatalf("TransactWriteItems: %v", err)
		}
		if got := attrString(getDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("acct-a")})); got != "bal=N:6;pk=S:acct-a;" {
			t.Errorf("acct-a after the transfer: %s", got)
		}
		if got := attrString(getDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("acct-b")})); got != "bal=N:4;pk=S:acct-b;" {
			t.Errorf("acct-b after the transfer: %s", got)
		}
		if getDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("gone")}) != nil || getDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("log-4")}) == nil {
			t.Error("the transaction's Delete or Put was not applied")
		}

		putDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("gone"), "x": avN(1)})
		err := transfer(100, ddbtypes.ReturnValuesOnConditionCheckFailureAllOld)
		var tce *ddbtypes.TransactionCanceledException
		if !errors.As(err, &tce) {
			t.Fatalf("overdraft: %v, want TransactionCanceledException", err)
		}
		var codes []string
		for _, r := range tce.CancellationReasons {
			codes = append(codes, aws.ToString(r.Code))
		}
		if want := []string{"ConditionalCheckFailed", "None", "None", "None", "None"}; !slices.Equal(codes, want) {
			t.Errorf("CancellationReasons = %v, want %v", codes, want)
		}
		if len(tce.CancellationReasons) > 0 {
			if got := attrString(tce.CancellationReasons[0].Item); got != "bal=N:6;pk=S:acct-a;" {
				t.Errorf("CancellationReasons[0].Item = %s, want acct-a as it was", got)
			}
		}
		if getDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("gone")}) == nil || getDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("log-100")}) != nil {
			t.Error("a canceled transaction applied some of its writes")
		}
		if got := attrString(getDDB(t, b, c, "txn", map[string]ddbtypes.AttributeValue{"pk": avS("acct-b")})); got != "bal=N:4;pk=S:acct-b;" {
			t.Errorf("acct-b after the canceled transfer: %s", got)
		}

		_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
			{Put: &ddbtypes.Put{TableName: aws.String("txn"), Item: map[string]ddbtypes.AttributeValue{"pk": avS("dup")}}},
			{Delete: &ddbtypes.Delete{TableName: aws.String("txn"), Key: map[string]ddbtypes.AttributeValue{"pk": avS("dup")}}},
		}})
		if code := errorCode(err); code != "ValidationException" {
			t.Errorf("two operations on one item: %v, want ValidationException", err)
		}

		got, err := c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []ddbtypes.TransactGetItem{
			{Get: &ddbtypes.Get{TableName: aws.String("txn"), Key: map[string]ddbtypes.AttributeValue{"pk": avS("acct-a")}}},
			{Get: &ddbtypes.Get{TableName: aws.String("txn"), Key: map[string]ddbtypes.AttributeValue{"pk": avS("none")}}},
			{Get: &ddbtypes.Get{TableName: aws.String("txn"), Key: map[string]ddbtypes.AttributeValue{"pk": avS("acct-b")}, ProjectionExpression: aws.String("bal")}},
		}})
		if err != nil {
			t.Fatalf("TransactGetItems: %v", err)
		}
		var items []string
		for _, r := range got.Responses {
			items = append(items, attrString(r.Item))
		}
		want := []string{"bal=N:6;pk=S:acct-a;", "", "bal=N:4;"}
		if !b.IsLocal {
			want[2] = "bal=N:4;pk=S:acct-b;" // moto 5.2.1 ignores ProjectionExpression in TransactGetItems
		}
		if !slices.Equal(items, want) {
			t.Errorf("TransactGetItems = %q, want %q", items, want)
		}
	})
}

func TestDynamoDBBatch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.DynamoDB()
		ctx := b.Ctx(t)
		createDDBTable(t, b, c, ddbTableSpec{name: "batch"})
		putDDB(t, b, c, "batch", map[string]ddbtypes.AttributeValue{"pk": avS("old")})
		var writes []ddbtypes.WriteRequest
		for i := range 24 {
			writes = append(writes, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: map[string]ddbtypes.AttributeValue{"pk": avS(fmt.Sprintf("i%02d", i)), "n": avN(i)}}})
		}
		writes = append(writes, ddbtypes.WriteRequest{DeleteRequest: &ddbtypes.DeleteRequest{Key: map[string]ddbtypes.AttributeValue{"pk": avS("old")}}})
		out, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{"batch": writes}})
		if err != nil {
			t.Fatalf("BatchWriteItem: %v", err)
		}
		if len(out.UnprocessedItems) != 0 {
			t.Errorf("UnprocessedItems = %v", out.UnprocessedItems)
		}
		// moto 5.2.1 accepts batches of more than 25.
		if b.IsLocal {
			_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{"batch": append(writes, writes[0])}})
			if code := errorCode(err); code != "ValidationException" {
				t.Errorf("BatchWriteItem of 26: %v, want ValidationException", err)
			}
		}
		keys := []map[string]ddbtypes.AttributeValue{{"pk": avS("i03")}, {"pk": avS("i17")}, {"pk": avS("old")}}
		got, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{"batch": {Keys: keys}}})
		if err != nil {
			t.Fatalf("BatchGetItem: %v", err)
		}
		var items []string
		for _, it := range got.Responses["batch"] {
			items = append(items, attrString(it))
		}
		sort.Strings(items)
		if want := []string{"n=N:17;pk=S:i17;", "n=N:3;pk=S:i03;"}; !slices.Equal(items, want) {
			t.Errorf("BatchGetItem = %q, want %q", items, want)
		}
	})
}

// queryItems returns the pk/sk of the items of a query page, in order.
func itemKeys(items []map[string]ddbtypes.AttributeValue) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = strings.TrimPrefix(avString(it["pk"]), "S:") + "/" + strings.TrimPrefix(avString(it["sk"]), "N:")
	}
	return out
}

func TestDynamoDBQuery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.DynamoDB()
		ctx := b.Ctx(t)
		createDDBTable(t, b, c, ddbTableSpec{name: "qry", sortKey: true, gsi: true, lsi: true})
		for _, pk := range []string{"a", "b"} {
			for sk := 1; sk <= 5; sk++ {
				item := map[string]ddbtypes.AttributeValue{"pk": avS(pk), "sk": avN(sk), "rank": avN(10 - sk), "color": avS([]string{"red", "blue"}[sk%2])}
				if sk != 3 {
					item["owner"] = avS("o-" + pk) // a/3 and b/3 are not in ByOwner
				}
				putDDB(t, b, c, "qry", item)
			}
		}
		type qcase struct {
			name           string
			in             dynamodb.QueryInput
			want           []string
			count, scanned int32
		}
		vals := func(kv ...any) map[string]ddbtypes.AttributeValue {
			m := map[string]ddbtypes.AttributeValue{}
			for i := 0; i < len(kv); i += 2 {
				switch v := kv[i+1].(type) {
				case string:
					m[kv[i].(string)] = avS(v)
				case int:
					m[kv[i].(string)] = avN(v)
				}
			}
			return m
		}
		cases := []qcase{
			{name: "Partition", in: dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: vals(":p", "a")},
				want: []string{"a/1", "a/2", "a/3", "a/4", "a/5"}, count: 5, scanned: 5},
			{name: "Backward", in: dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk BETWEEN :lo AND :hi"), ExpressionAttributeValues: vals(":p", "b", ":lo", 2, ":hi", 4), ScanIndexForward: aws.Bool(false)},
				want: []string{"b/4", "b/3", "b/2"}, count: 3, scanned: 3},
			{name: "SortKeyGreater", in: dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk > :s"), ExpressionAttributeValues: vals(":p", "a", ":s", 3)},
				want: []string{"a/4", "a/5"}, count: 2, scanned: 2},
			{name: "Filter", in: dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), FilterExpression: aws.String("color = :c"), ExpressionAttributeValues: vals(":p", "a", ":c", "red")},
				want: []string{"a/2", "a/4"}, count: 2, scanned: 5},
			{name: "Count", in: dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: vals(":p", "a"), Select: ddbtypes.SelectCount},
				want: []string{}, count: 5, scanned: 5},
			{name: "GSIBackwardSkipsItemsWithoutIndexKey", in: dynamodb.QueryInput{IndexName: aws.String("ByOwner"), KeyConditionExpression: aws.String("#o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: vals(":o", "o-b"), ScanIndexForward: aws.Bool(false)},
				want: []string{"b/1", "b/2", "b/4", "b/5"}, count: 4, scanned: 4},
			{name: "LSIByRank", in: dynamodb.QueryInput{IndexName: aws.String("ByRank"), KeyConditionExpression: aws.String("pk = :p AND #r <= :r"), ExpressionAttributeNames: map[string]string{"#r": "rank"}, ExpressionAttributeValues: vals(":p", "a", ":r", 7)},
				want: []string{"a/5", "a/4", "a/3"}, count: 3, scanned: 3},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				in.TableName = aws.String("qry")
				out, err := c.Query(ctx, &in)
				if err != nil {
					t.Fatalf("Query: %v", err)
				}
				if got := itemKeys(out.Items); !slices.Equal(got, tc.want) || out.Count != tc.count || out.ScannedCount != tc.scanned {
					t.Errorf("Query = %v count %d scanned %d, want %v count %d scanned %d", got, out.Count, out.ScannedCount, tc.want, tc.count, tc.scanned)
				}
			})
		}
		t.Run("Pages", func(t *testing.T) {
			var got []string
			in := &dynamodb.QueryInput{TableName: aws.String("qry"), KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: vals(":p", "b"), Limit: aws.Int32(2)}
			for pages := 0; pages < 10; pages++ {
				out, err := c.Query(ctx, in)
				if err != nil {
					t.Fatalf("Query: %v", err)
				}
				if len(out.Items) > 2 {
					t.Errorf("page of %d items, limit 2", len(out.Items))
				}
				got = append(got, itemKeys(out.Items)...)
				if len(out.LastEvaluatedKey) == 0 {
					break
				}
				in.ExclusiveStartKey = out.LastEvaluatedKey
			}
			if want := []string{"b/1", "b/2", "b/3", "b/4", "b/5"}; !slices.Equal(got, want) {
				t.Errorf("pages = %v, want %v", got, want)
			}
		})
		t.Run("GSIPagesBackward", func(t *testing.T) {
			var got []string
			in := &dynamodb.QueryInput{TableName: aws.String("qry"), IndexName: aws.String("ByOwner"), KeyConditionExpression: aws.String("#o = :o"),
				ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: vals(":o", "o-a"), Limit: aws.Int32(3), ScanIndexForward: aws.Bool(false)}
			for pages := 0; pages < 10; pages++ {
				out, err := c.Query(ctx, in)
				if err != nil {
					t.Fatalf("Query: %v", err)
				}
				got = append(got, itemKeys(out.Items)...)
				if len(out.LastEvaluatedKey) == 0 {
					break
				}
				if _, ok := out.LastEvaluatedKey["owner"]; !ok {
					t.Errorf("LastEvaluatedKey %v lacks the index key", out.LastEvaluatedKey)
				}
				in.ExclusiveStartKey = out.LastEvaluatedKey
			}
			if want := []string{"a/1", "a/2", "a/4", "a/5"}; !slices.Equal(got, want) {
				t.Errorf("pages = %v, want %v", got, want)
			}
		})
		t.Run("Invalid", func(t *testing.T) {
			for _, tc := range []struct {
				in        *dynamodb.QueryInput
				motoLacks string
			}{
				{in: &dynamodb.QueryInput{TableName: aws.String("qry"), KeyConditionExpression: aws.String("sk = :s"), ExpressionAttributeValues: vals(":s", 1)}},
				{in: &dynamodb.QueryInput{TableName: aws.String("qry"), KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: vals(":p", 1)},
					motoLacks: "moto 5.2.1 does not check key condition value types"},
				{in: &dynamodb.QueryInput{TableName: aws.String("qry"), IndexName: aws.String("Nope"), KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: vals(":p", "a")},
					motoLacks: "moto 5.2.1 answers ResourceNotFoundException for a missing index"},
			} {
				if tc.motoLacks != "" && !b.IsLocal {
					t.Log("on localcloud only:", tc.motoLacks)
					continue
				}
				in := tc.in
				if _, err := c.Query(ctx, in); errorCode(err) != "ValidationException" {
					t.Errorf("Query %q index %v: %v, want ValidationException", aws.ToString(in.KeyConditionExpression), aws.ToString(in.IndexName), err)
				}
			}
		})
	})
}

func TestDynamoDBScan(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.DynamoDB()
		ctx := b.Ctx(t)
		createDDBTable(t, b, c, ddbTableSpec{name: "scn", sortKey: true})
		var all []string
		for p := range 6 {
			for sk := range 3 {
				putDDB(t, b, c, "scn", map[string]ddbtypes.AttributeValue{"pk": avS(fmt.Sprintf("p%d", p)), "sk": avN(sk), "even": &ddbtypes.AttributeValueMemberBOOL{Value: sk%2 == 0}})
				all = append(all, fmt.Sprintf("p%d/%d", p, sk))
			}
		}
		scanAll := func(in dynamodb.ScanInput) (keys []string, count, scanned int32) {
			in.TableName = aws.String("scn")
			for pages := 0; pages < 100; pages++ {
				out, err := c.Scan(ctx, &in)
				if err != nil {
					t.Fatalf("Scan: %v", err)
				}
				if in.Limit != nil && len(out.Items) > int(*in.Limit) {
					t.Errorf("Scan page of %d, limit %d", len(out.Items), *in.Limit)
				}
				keys = append(keys, itemKeys(out.Items)...)
				count += out.Count
				scanned += out.ScannedCount
				if len(out.LastEvaluatedKey) == 0 {
					break
				}
				in.ExclusiveStartKey = out.LastEvaluatedKey
			}
			sort.Strings(keys)
			return keys, count, scanned
		}
		if got, _, _ := scanAll(dynamodb.ScanInput{Limit: aws.Int32(4)}); !slices.Equal(got, all) {
			t.Errorf("paged Scan = %v, want %v", got, all)
		}
		got, count, scanned := scanAll(dynamodb.ScanInput{FilterExpression: aws.String("even = :t"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":t": &ddbtypes.AttributeValueMemberBOOL{Value: true}}})
		if len(got) != 12 || count != 12 || scanned != 18 {
			t.Errorf("filtered Scan = %d items, Count %d, ScannedCount %d; want 12, 12, 18", len(got), count, scanned)
		}
		var segs []string
		for seg := range 3 {
			keys, _, _ := scanAll(dynamodb.ScanInput{Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(3)})
			segs = append(segs, keys...)
		}
		sort.Strings(segs)
		if !slices.Equal(segs, all) {
			t.Errorf("the union of 3 segments = %v, want every item once", segs)
		}
	})
}

func TestDynamoDBUpdateTableAddsIndex(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.DynamoDB()
		ctx := b.Ctx(t)
		createDDBTable(t, b, c, ddbTableSpec{name: "upd"})
		putDDB(t, b, c, "upd", map[string]ddbtypes.AttributeValue{"pk": avS("x"), "color": avS("red")})
		putDDB(t, b, c, "upd", map[string]ddbtypes.AttributeValue{"pk": avS("y")})
		_, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{
			TableName:            aws.String("upd"),
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("color"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			GlobalSecondaryIndexUpdates: []ddbtypes.GlobalSecondaryIndexUpdate{{Create: &ddbtypes.CreateGlobalSecondaryIndexAction{
				IndexName:  aws.String("ByColor"),
				KeySchema:  []ddbtypes.KeySchemaElement{{AttributeName: aws.String("color"), KeyType: ddbtypes.KeyTypeHash}},
				Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll},
			}}},
		})
		if err != nil {
			t.Fatalf("UpdateTable: %v", err)
		}
		// DynamoDB backfills a new index in the background; localcloud and
		// moto fill it at once.
		out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("upd"), IndexName: aws.String("ByColor"),
			KeyConditionExpression: aws.String("color = :c"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":c": avS("red")}})
		if err != nil {
			t.Fatalf("Query on the new index: %v", err)
		}
		if len(out.Items) != 1 || avString(out.Items[0]["pk"]) != "S:x" {
			t.Errorf("Query on the new index = %v, want item x", out.Items)
		}
		if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("upd"),
			GlobalSecondaryIndexUpdates: []ddbtypes.GlobalSecondaryIndexUpdate{{Delete: &ddbtypes.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("ByColor")}}}}); err != nil {
			t.Fatalf("UpdateTable delete index: %v", err)
		}
		d, _ := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("upd")})
		if len(d.Table.GlobalSecondaryIndexes) != 0 {
			t.Errorf("indexes after the delete: %+v", d.Table.GlobalSecondaryIndexes)
		}
	})
}

// TestDynamoDBRestart: what a localcloud with a data directory
// acknowledged is there after a restart (moto keeps nothing on disk).
func TestDynamoDBRestart(t *testing.T) {
	b := newBackend(t, "localcloud-disk", localcloud.Options{})
	c := b.DynamoDB()
	createDDBTable(t, b, c, ddbTableSpec{name: "rst", sortKey: true, gsi: true})
	putDDB(t, b, c, "rst", map[string]ddbtypes.AttributeValue{"pk": avS("a"), "sk": avN(1), "owner": avS("o"), "rank": avN(5)})
	putDDB(t, b, c, "rst", map[string]ddbtypes.AttributeValue{"pk": avS("gone"), "sk": avN(1)})
	if _, err := c.DeleteItem(b.Ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("rst"), Key: map[string]ddbtypes.AttributeValue{"pk": avS("gone"), "sk": avN(1)}}); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	if _, err := c.UpdateTimeToLive(b.Ctx(t), &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("rst"),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatalf("UpdateTimeToLive: %v", err)
	}
	b = restartLocal(t, b)
	c = b.DynamoDB()
	if got := attrString(getDDB(t, b, c, "rst", map[string]ddbtypes.AttributeValue{"pk": avS("a"), "sk": avN(1)})); got != "owner=S:o;pk=S:a;rank=N:5;sk=N:1;" {
		t.Errorf("item after restart = %q", got)
	}
	if getDDB(t, b, c, "rst", map[string]ddbtypes.AttributeValue{"pk": avS("gone"), "sk": avN(1)}) != nil {
		t.Error("a deleted item came back after the restart")
	}
	out, err := c.Query(b.Ctx(t), &dynamodb.QueryInput{TableName: aws.String("rst"), IndexName: aws.String("ByOwner"),
		KeyConditionExpression: aws.String("#o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":o": avS("o")}})
	if err != nil || len(out.Items) != 1 {
		t.Errorf("index query after restart = %v, %v; want the item", out, err)
	}
	ttl, err := c.DescribeTimeToLive(b.Ctx(t), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("rst")})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled {
		t.Errorf("TTL after restart = %+v, %v", ttl, err)
	}
}

func TestDynamoDBTransactionIdempotency(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		if !b.IsLocal {
			t.Skip("moto 5.2.1 ignores ClientRequestToken and applies a repeated transaction again")
		}
		c := b.DynamoDB()
		ctx := b.Ctx(t)
		createDDBTable(t, b, c, ddbTableSpec{name: "idem"})
		incr := func(token string, by int) error {
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String(token),
				TransactItems: []ddbtypes.TransactWriteItem{{Update: &ddbtypes.Update{TableName: aws.String("idem"),
					Key: map[string]ddbtypes.AttributeValue{"pk": avS("counter")}, UpdateExpression: aws.String("ADD n :by"),
					ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":by": avN(by)}}}}})
			return err
		}
		steps := []struct {
			token string
			by    int
			code  string
			n     string
		}{
			{"tok-1", 1, "", "N:1"},
			{"tok-1", 1, "", "N:1"}, // the retry answers success, applied once
			{"tok-1", 5, "IdempotentParameterMismatchException", "N:1"},
			{"tok-2", 1, "", "N:2"},
		}
		for i, st := range steps {
			err := incr(st.token, st.by)
			if code := errorCode(err); code != st.code || (st.code == "" && err != nil) {
				t.Errorf("step %d: %v, want code %q", i, err, st.code)
			}
			if got := avString(getDDB(t, b, c, "idem", map[string]ddbtypes.AttributeValue{"pk": avS("counter")})["n"]); got != st.n {
				t.Errorf("step %d: n = %s, want %s", i, got, st.n)
			}
		}
	})
}
