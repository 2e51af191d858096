package localcloud_test

import (
	"strings"
	"testing"

	"github.com/eventchain/eventchain/infra/localcloud"
)

// TestCLIDynamoDB drives localcloud's DynamoDB with the aws CLI, which
// is botocore's client rather than the Go SDK.
func TestCLIDynamoDB(t *testing.T) {
	b := newBackend(t, "localcloud-memory", localcloud.Options{})
	created := awsCLI(t, b, "dynamodb", "create-table", "--table-name", "cli-table",
		"--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N",
		"--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
		"--billing-mode", "PAY_PER_REQUEST")
	if got := jsonPath(t, created, "TableDescription", "TableStatus"); got != "ACTIVE" {
		t.Errorf("create-table status %v, want ACTIVE", got)
	}
	awsCLI(t, b, "dynamodb", "wait", "table-exists", "--table-name", "cli-table")
	for _, item := range []string{
		`{"pk":{"S":"a"},"sk":{"N":"1"},"color":{"S":"red"}}`,
		`{"pk":{"S":"a"},"sk":{"N":"2"},"color":{"S":"blue"}}`,
		`{"pk":{"S":"b"},"sk":{"N":"1"},"color":{"S":"red"}}`,
	} {
		awsCLI(t, b, "dynamodb", "put-item", "--table-name", "cli-table", "--item", item)
	}
	got := awsCLI(t, b, "dynamodb", "get-item", "--table-name", "cli-table", "--key", `{"pk":{"S":"a"},"sk":{"N":"2"}}`)
	if c := jsonPath(t, got, "Item", "color", "S"); c != "blue" {
		t.Errorf("get-item color %v, want blue", c)
	}
	q := awsCLI(t, b, "dynamodb", "query", "--table-name", "cli-table",
		"--key-condition-expression", "pk = :p", "--expression-attribute-values", `{":p":{"S":"a"}}`, "--no-scan-index-forward")
	if n := jsonPath(t, q, "Count"); n != float64(2) {
		t.Errorf("query Count %v, want 2", n)
	}
	if sk := jsonPath(t, q, "Items", 0, "sk", "N"); sk != "2" {
		t.Errorf("query backward: first sk %v, want 2", sk)
	}
	s := awsCLI(t, b, "dynamodb", "scan", "--table-name", "cli-table",
		"--filter-expression", "color = :c", "--expression-attribute-values", `{":c":{"S":"red"}}`)
	if n, sc := jsonPath(t, s, "Count"), jsonPath(t, s, "ScannedCount"); n != float64(2) || sc != float64(3) {
		t.Errorf("scan Count %v ScannedCount %v, want 2 and 3", n, sc)
	}
	stderr := awsCLIError(t, b, "dynamodb", "put-item", "--table-name", "cli-table", "--item", `{"pk":{"S":"a"},"sk":{"N":"1"}}`,
		"--condition-expression", "attribute_not_exists(pk)")
	if !strings.Contains(stderr, "ConditionalCheckFailedException") {
		t.Errorf("conditional put-item error %q, want ConditionalCheckFailedException", stderr)
	}
}
