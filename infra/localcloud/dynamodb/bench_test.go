package dynamodb

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// BenchmarkServe measures the service alone, without HTTP or an SDK
// client: what a request costs localcloud once it is read. End to end
// against moto, see BenchmarkDynamoDB in package localcloud.
func BenchmarkServe(b *testing.B) {
	svc, err := New(Options{TTLInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	call := func(op, body string) int {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewBufferString(body))
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		rec := httptest.NewRecorder()
		svc.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := call("CreateTable", `{"TableName":"bench","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`); code != 200 {
		b.Fatalf("CreateTable: %d", code)
	}
	for i := range 100 {
		if code := call("PutItem", `{"TableName":"bench","Item":{"pk":{"S":"item-`+strconv.Itoa(i)+`"},"n":{"N":"0"},"st":{"S":"new"}}}`); code != 200 {
			b.Fatalf("PutItem: %d", code)
		}
	}
	for _, w := range []struct{ op, body string }{
		{"GetItem", `{"TableName":"bench","Key":{"pk":{"S":"item-7"}}}`},
		{"UpdateItem", `{"TableName":"bench","Key":{"pk":{"S":"item-7"}},"UpdateExpression":"SET n = n + :one, st = :st","ConditionExpression":"attribute_exists(pk) AND st <> :done","ExpressionAttributeValues":{":one":{"N":"1"},":st":{"S":"running"},":done":{"S":"done"}},"ReturnValues":"ALL_NEW"}`},
	} {
		b.Run(w.op, func(b *testing.B) {
			for b.Loop() {
				if code := call(w.op, w.body); code != 200 {
					b.Fatalf("%s: %d", w.op, code)
				}
			}
		})
	}
}

// BenchmarkSweep is one TTL sweep of a table of 10,000 items none of
// which has expired: what every write waits for once a second when the
// sweep holds the service's lock.
func BenchmarkSweep(b *testing.B) {
	svc, err := New(Options{TTLInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	call := func(op, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewBufferString(body))
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		rec := httptest.NewRecorder()
		svc.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("%s: %d %s", op, rec.Code, rec.Body)
		}
	}
	call("CreateTable", `{"TableName":"bench","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}`)
	call("UpdateTimeToLive", `{"TableName":"bench","TimeToLiveSpecification":{"AttributeName":"exp","Enabled":true}}`)
	later := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	for i := range 10000 {
		call("PutItem", `{"TableName":"bench","Item":{"pk":{"S":"item-`+strconv.Itoa(i)+`"},"exp":{"N":"`+later+`"}}}`)
	}
	svc.sweepOnce()
	for b.Loop() {
		svc.sweepOnce()
	}
}
