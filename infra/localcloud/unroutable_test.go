package localcloud_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go"
)

// A request for a service or operation localcloud does not emulate gets
// an error in the protocol it came in, which the SDKs parse; moto
// emulates these, so the tests run on localcloud only.

// TestUnknownOperationCBORParsedBySDK: CloudWatch dashboards are not
// emulated; the Go SDK's CBOR client parses the answer to one, with the
// query code CloudWatch (awsQueryCompatible) sends beside its own.
func TestUnknownOperationCBORParsedBySDK(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		client := cloudwatch.NewFromConfig(b.AWSConfig(), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(b.Endpoint) })
		_, err := client.ListDashboards(b.Ctx(t), &cloudwatch.ListDashboardsInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("ListDashboards: %v, want a parsed API error", err)
		}
		if ae.ErrorCode() != "InvalidAction" || !strings.Contains(ae.ErrorMessage(), `"ListDashboards"`) {
			t.Errorf("ListDashboards error %s: %s", ae.ErrorCode(), ae.ErrorMessage())
		}
	})
}

func TestUnroutableWire(t *testing.T) {
	b := newBackend(t, "localcloud-memory", localcloudOptions())
	tests := []struct {
		name        string
		header      map[string]string
		body        string
		contentType string // of the answer
		code        string
		mentions    string
	}{
		{name: "JSON 1.0 target", header: map[string]string{"X-Amz-Target": "DynamoDBStreams_20120810.ListStreams", "Content-Type": "application/x-amz-json-1.0"},
			body: "{}", contentType: "application/x-amz-json-1.0", code: "UnknownOperationException", mentions: "DynamoDBStreams_20120810.ListStreams"},
		{name: "JSON 1.1 target", header: map[string]string{"X-Amz-Target": "Logs_20140328.DescribeLogGroups", "Content-Type": "application/x-amz-json-1.1"},
			body: "{}", contentType: "application/x-amz-json-1.0", code: "UnknownOperationException", mentions: "Logs_20140328"},
		{name: "query version", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			body: "Action=ListUsers&Version=2010-05-08", contentType: "text/xml", code: "InvalidAction", mentions: "2010-05-08"},
		{name: "query signed for another service", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded",
			"Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x"},
			body: "Action=ListUsers&Version=2010-05-08", contentType: "text/xml", code: "InvalidAction", mentions: `"iam"`},
		{name: "SQS over query", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			body: "Action=ListQueues&Version=2012-11-05", contentType: "text/xml", code: "InvalidAction", mentions: "2012-11-05"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(b.Ctx(t), http.MethodPost, b.Endpoint+"/", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != tc.contentType || resp.Header.Get("x-amzn-RequestId") == "" {
				t.Fatalf("%d %s request id %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("x-amzn-RequestId"), body)
			}
			var code, message string
			if strings.HasPrefix(tc.contentType, "application/x-amz-json") {
				var doc struct {
					Type    string `json:"__type"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(body, &doc); err != nil {
					t.Fatalf("answer %q: %v", body, err)
				}
				code, message = doc.Type, doc.Message
			} else {
				var doc struct {
					XMLName xml.Name `xml:"ErrorResponse"`
					Code    string   `xml:"Error>Code"`
					Message string   `xml:"Error>Message"`
				}
				if err := xml.Unmarshal(body, &doc); err != nil {
					t.Fatalf("answer %q: %v", body, err)
				}
				code, message = doc.Code, doc.Message
			}
			if code != tc.code || !strings.Contains(message, tc.mentions) {
				t.Errorf("error %s %q, want %s mentioning %s", code, message, tc.code, tc.mentions)
			}
		})
	}
}

// TestCLIUnroutable: botocore parses the answer in every protocol, so
// the aws CLI names the error instead of a parser failure or a bare 400.
func TestCLIUnroutable(t *testing.T) {
	b := newBackend(t, "localcloud-memory", localcloudOptions())
	tests := []struct {
		name string
		args []string
		code string
	}{
		{"dynamodbstreams (JSON 1.0)", []string{"dynamodbstreams", "list-streams"}, "UnknownOperationException"},
		{"logs (JSON 1.1)", []string{"logs", "describe-log-groups"}, "UnknownOperationException"},
		{"iam (query)", []string{"iam", "list-users"}, "InvalidAction"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stderr := awsCLIError(t, b, tc.args...)
			if !strings.Contains(stderr, "An error occurred ("+tc.code+")") || !strings.Contains(stderr, "localcloud cannot route") {
				t.Errorf("aws %s: %s", strings.Join(tc.args, " "), stderr)
			}
		})
	}
}
