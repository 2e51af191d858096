package dynamodb

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// fixture is a service on an optional data directory, served over HTTP
// to the SDK's client.
type fixture struct {
	svc    *Service
	db     *bbolt.DB
	state  *storage.State
	client *sdk.Client
	srv    *httptest.Server
}

func open(t *testing.T, dir string, opts Options) *fixture {
	t.Helper()
	f := &fixture{}
	if dir != "" {
		f.state = storage.NewState(nil)
		db, err := storage.OpenDB(dir, storage.OpenOptions{State: f.state})
		if err != nil {
			t.Fatalf("open db: %v", err)
		}
		f.db = db
		opts.DB, opts.State = db, f.state
	}
	svc, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.svc = svc
	f.srv = httptest.NewServer(svc)
	f.client = sdk.New(sdk.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(f.srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	t.Cleanup(func() { f.abandon() })
	return f
}

// abandon stops serving and closes the database without closing the
// service, as a process that dies would leave it; what a write
// acknowledged must be in the database already.
func (f *fixture) abandon() {
	f.srv.Close()
	if f.db != nil {
		f.db.Close()
	}
}

func (f *fixture) createTable(t *testing.T, name string) {
	t.Helper()
	_, err := f.client.CreateTable(context.Background(), &sdk.CreateTableInput{
		TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
}

func (f *fixture) put(pk string, attrs map[string]types.AttributeValue) error {
	item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}
	for k, v := range attrs {
		item[k] = v
	}
	_, err := f.client.PutItem(context.Background(), &sdk.PutItemInput{TableName: aws.String("tb1"), Item: item})
	return err
}

func (f *fixture) get(t *testing.T, pk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := f.client.GetItem(context.Background(), &sdk.GetItemInput{TableName: aws.String("tb1"),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}})
	if err != nil {
		t.Fatalf("GetItem %s: %v", pk, err)
	}
	return out.Item
}

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func TestAcknowledgedWritesSurviveWithoutClose(t *testing.T) {
	dir := t.TempDir()
	f := open(t, dir, Options{})
	f.createTable(t, "tb1")
	for i := range 50 {
		if err := f.put("k"+strconv.Itoa(i), map[string]types.AttributeValue{"n": num(int64(i))}); err != nil {
			t.Fatalf("PutItem: %v", err)
		}
	}
	if _, err := f.client.DeleteItem(context.Background(), &sdk.DeleteItemInput{TableName: aws.String("tb1"),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k7"}}}); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	f.abandon()

	g := open(t, dir, Options{})
	for i := range 50 {
		item := g.get(t, "k"+strconv.Itoa(i))
		switch {
		case i == 7 && item != nil:
			t.Errorf("deleted item k7 is back: %v", item)
		case i != 7 && item == nil:
			t.Errorf("acknowledged item k%d is lost", i)
		case i != 7 && item["n"].(*types.AttributeValueMemberN).Value != strconv.Itoa(i):
			t.Errorf("item k%d has n %v", i, item["n"])
		}
	}
}

func TestFailedWriteRollsBack(t *testing.T) {
	dir := t.TempDir()
	f := open(t, dir, Options{})
	f.createTable(t, "tb1")
	if err := f.put("kept", map[string]types.AttributeValue{"v": num(1)}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	f.state.InjectFault(storage.ErrInjected)
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"PutNew", func() error { return f.put("refused", nil) }},
		{"Overwrite", func() error { return f.put("kept", map[string]types.AttributeValue{"v": num(2)}) }},
		{"Update", func() error {
			_, err := f.client.UpdateItem(context.Background(), &sdk.UpdateItemInput{TableName: aws.String("tb1"),
				Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "kept"}}, UpdateExpression: aws.String("SET v = :v"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(3)}})
			return err
		}},
		{"Delete", func() error {
			_, err := f.client.DeleteItem(context.Background(), &sdk.DeleteItemInput{TableName: aws.String("tb1"),
				Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "kept"}}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "InternalServerError" {
				t.Fatalf("write with a failing disk: %v, want InternalServerError", err)
			}
			if item := f.get(t, "refused"); item != nil {
				t.Errorf("the refused item is in memory: %v", item)
			}
			if v := f.get(t, "kept")["v"]; v == nil || v.(*types.AttributeValueMemberN).Value != "1" {
				t.Errorf("kept item's v = %v after a refused change, want 1", v)
			}
		})
	}
	if f.state.Err() == nil {
		t.Error("the storage state does not report the failure")
	}
	f.state.InjectFault(nil)
	if err := f.put("after", nil); err != nil {
		t.Fatalf("PutItem once the disk works: %v", err)
	}
	f.abandon()
	g := open(t, dir, Options{})
	if g.get(t, "refused") != nil || g.get(t, "after") == nil {
		t.Error("after reopening: the refused write is there or the later one is not")
	}
	if v := g.get(t, "kept")["v"]; v == nil || v.(*types.AttributeValueMemberN).Value != "1" {
		t.Errorf("after reopening, kept item's v = %v, want 1", v)
	}
}

// TestExpiredItemsReadableUntilSwept: DynamoDB documents that reads
// return expired items until its background process deletes them.
func TestExpiredItemsReadableUntilSwept(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	f := open(t, "", Options{TTLInterval: -1, Clock: func() time.Time { return now }})
	f.createTable(t, "tb1")
	if _, err := f.client.UpdateTimeToLive(context.Background(), &sdk.UpdateTimeToLiveInput{TableName: aws.String("tb1"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatalf("UpdateTimeToLive: %v", err)
	}
	cases := []struct {
		pk      string
		exp     types.AttributeValue
		deleted bool
	}{
		{"past", num(now.Unix() - 1), true},
		{"now", num(now.Unix()), false},
		{"future", num(now.Unix() + 60), false},
		{"string", &types.AttributeValueMemberS{Value: "1"}, false},
		{"six-years-ago", num(now.Add(-6 * 365 * 24 * time.Hour).Unix()), false},
		{"fraction", &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix()-1, 10) + ".5"}, true},
	}
	for _, tc := range cases {
		if err := f.put(tc.pk, map[string]types.AttributeValue{"exp": tc.exp}); err != nil {
			t.Fatalf("PutItem: %v", err)
		}
	}
	if f.get(t, "past") == nil {
		t.Fatal("an expired item is not readable before the sweep")
	}
	for f.svc.sweepOnce() {
	}
	for _, tc := range cases {
		if gone := f.get(t, tc.pk) == nil; gone != tc.deleted {
			t.Errorf("%s: deleted %v, want %v", tc.pk, gone, tc.deleted)
		}
	}
}

// TestSweepFollowsRewrites: the sweep takes items by the TTL they hold
// now, whatever they held when first written, and after TTL moves to
// another attribute it goes by that one.
func TestSweepFollowsRewrites(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	f := open(t, "", Options{TTLInterval: -1, Clock: func() time.Time { return now }})
	f.createTable(t, "tb1")
	ctx := context.Background()
	enable := func(attrName string, on bool) {
		t.Helper()
		if _, err := f.client.UpdateTimeToLive(ctx, &sdk.UpdateTimeToLiveInput{TableName: aws.String("tb1"),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrName), Enabled: aws.Bool(on)}}); err != nil {
			t.Fatalf("UpdateTimeToLive %s %v: %v", attrName, on, err)
		}
	}
	sweep := func() {
		for f.svc.sweepOnce() {
		}
	}
	mustPut := func(pk string, attrs map[string]types.AttributeValue) {
		t.Helper()
		if err := f.put(pk, attrs); err != nil {
			t.Fatalf("PutItem %s: %v", pk, err)
		}
	}
	enable("exp", true)
	mustPut("postponed", map[string]types.AttributeValue{"exp": num(now.Unix() + 10)})
	mustPut("dropped", map[string]types.AttributeValue{"exp": num(now.Unix() + 10)})
	mustPut("brought-forward", map[string]types.AttributeValue{"exp": num(now.Unix() + 100)})
	sweep() // the queue is built from the items it finds
	mustPut("postponed", map[string]types.AttributeValue{"exp": num(now.Unix() + 100)})
	mustPut("dropped", nil)
	mustPut("brought-forward", map[string]types.AttributeValue{"exp": num(now.Unix() + 5)})
	now = now.Add(20 * time.Second)
	sweep()
	for pk, want := range map[string]bool{"postponed": true, "dropped": true, "brought-forward": false} {
		if kept := f.get(t, pk) != nil; kept != want {
			t.Errorf("after the first TTLs passed, %s kept %v, want %v", pk, kept, want)
		}
	}
	now = now.Add(100 * time.Second)
	sweep()
	if f.get(t, "postponed") != nil || f.get(t, "dropped") == nil {
		t.Errorf("after the later TTL passed: postponed %v, dropped %v; want gone, kept", f.get(t, "postponed"), f.get(t, "dropped"))
	}

	enable("exp", false)
	enable("until", true)
	mustPut("by-until", map[string]types.AttributeValue{"until": num(now.Unix() - 1), "exp": num(now.Unix() + 1000)})
	mustPut("by-exp", map[string]types.AttributeValue{"exp": num(now.Unix() - 1), "until": num(now.Unix() + 1000)})
	sweep()
	if f.get(t, "by-until") != nil || f.get(t, "by-exp") == nil {
		t.Errorf("TTL on until: by-until kept %v, by-exp kept %v; want false, true", f.get(t, "by-until") != nil, f.get(t, "by-exp") != nil)
	}
}

// TestSweepQueueStaysBounded: rewriting an item again and again does not
// grow the sweep's queue without bound.
func TestSweepQueueStaysBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	f := open(t, "", Options{TTLInterval: -1, Clock: func() time.Time { return now }})
	f.createTable(t, "tb1")
	if _, err := f.client.UpdateTimeToLive(context.Background(), &sdk.UpdateTimeToLiveInput{TableName: aws.String("tb1"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	f.svc.sweepOnce()
	for i := range 5000 {
		if err := f.put("one", map[string]types.AttributeValue{"exp": num(now.Unix() + 3600), "v": num(int64(i))}); err != nil {
			t.Fatal(err)
		}
		if i%500 == 0 {
			f.svc.sweepOnce()
		}
	}
	f.svc.sweepOnce()
	f.svc.mu.RLock()
	n := len(f.svc.tables["tb1"].expiry.entries)
	f.svc.mu.RUnlock()
	if n > 1024+2+500 {
		t.Errorf("the sweep queue holds %d entries for 1 item", n)
	}
	if f.get(t, "one") == nil {
		t.Error("the item whose TTL lies ahead was deleted")
	}
}

// TestLegacyParametersRefused: the parameters expressions replaced are
// refused, not ignored, so that a condition is never dropped silently.
func TestLegacyParametersRefused(t *testing.T) {
	f := open(t, "", Options{TTLInterval: -1})
	f.createTable(t, "tb1")
	ctx := context.Background()
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"Expected", func() error {
			_, err := f.client.PutItem(ctx, &sdk.PutItemInput{TableName: aws.String("tb1"), Item: key,
				Expected: map[string]types.ExpectedAttributeValue{"pk": {Exists: aws.Bool(false)}}})
			return err
		}},
		{"AttributesToGet", func() error {
			_, err := f.client.GetItem(ctx, &sdk.GetItemInput{TableName: aws.String("tb1"), Key: key, AttributesToGet: []string{"pk"}})
			return err
		}},
		{"KeyConditions", func() error {
			_, err := f.client.Query(ctx, &sdk.QueryInput{TableName: aws.String("tb1"), KeyConditions: map[string]types.Condition{
				"pk": {ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []types.AttributeValue{key["pk"]}}}})
			return err
		}},
		{"ScanFilter", func() error {
			_, err := f.client.Scan(ctx, &sdk.ScanInput{TableName: aws.String("tb1"), ScanFilter: map[string]types.Condition{
				"pk": {ComparisonOperator: types.ComparisonOperatorNotNull}}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ae smithy.APIError
			if err := tc.call(); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
				t.Errorf("%v, want ValidationException", err)
			}
		})
	}
	if item := f.get(t, "a"); item != nil {
		t.Errorf("a refused PutItem wrote %v", item)
	}
}
