package awsproto

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
)

func TestCBORRoundTrip(t *testing.T) {
	type inner struct {
		Name  string  `json:"Name"`
		Value float64 `json:"Value"`
	}
	type doc struct {
		Text    string            `json:"Text"`
		Count   int64             `json:"Count"`
		Neg     int32             `json:"Neg"`
		Flag    bool              `json:"Flag"`
		Blob    []byte            `json:"Blob"`
		When    time.Time         `json:"When"`
		List    []inner           `json:"List"`
		Map     map[string]string `json:"Map"`
		Absent  *string           `json:"Absent,omitempty"`
		Present *int              `json:"Present,omitempty"`
	}
	seven := 7
	tests := []struct {
		name string
		in   doc
	}{
		{"zero", doc{}},
		{"every kind", doc{Text: "héllo", Count: 1 << 40, Neg: -5, Flag: true, Blob: []byte{0, 1, 255},
			When: time.Unix(1735689600, 0).UTC(), List: []inner{{"a", 1.5}, {"b", -2}}, Map: map[string]string{"k": "v"}, Present: &seven}},
		{"fractional time", doc{When: time.Unix(1735689600, 250_000_000).UTC()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := MarshalCBOR(tc.in)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			var out doc
			if err := UnmarshalCBOR(b, &out); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if !out.When.Equal(tc.in.When) {
				t.Errorf("When = %v, want %v", out.When, tc.in.When)
			}
			out.When, tc.in.When = time.Time{}, time.Time{}
			if !reflect.DeepEqual(out, tc.in) {
				t.Errorf("round trip = %+v, want %+v", out, tc.in)
			}
		})
	}
}

// alarms is a service declared as CloudWatch is: one operation table,
// spoken in RPC v2 CBOR (the Go SDK) and AWS JSON 1.0 (botocore).
type alarmsInput struct {
	AlarmNames []string `json:"AlarmNames,omitempty"`
}

type alarmsOutput struct {
	MetricAlarms []metricAlarm `json:"MetricAlarms"`
}

type metricAlarm struct {
	AlarmName             string    `json:"AlarmName"`
	StateValue            string    `json:"StateValue"`
	Threshold             float64   `json:"Threshold"`
	StateUpdatedTimestamp time.Time `json:"StateUpdatedTimestamp"`
}

var alarmTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func alarmsService() *Service {
	return &Service{
		Name: "monitoring",
		Protocols: []Protocol{
			CBOR{ServiceName: "GraniteServiceVersion20100801", QueryCompatible: true},
			JSON10{TargetPrefix: "GraniteServiceVersion20100801", QueryCompatible: true},
		},
		Ops: []Operation{
			Op("DescribeAlarms", func(_ context.Context, in *alarmsInput) (*alarmsOutput, *Error) {
				out := &alarmsOutput{MetricAlarms: []metricAlarm{}}
				for _, n := range in.AlarmNames {
					if n == "missing" {
						return nil, &Error{Status: 404, Code: "ResourceNotFound", QueryCode: "ResourceNotFound", Message: "no alarm " + n}
					}
					out.MetricAlarms = append(out.MetricAlarms, metricAlarm{AlarmName: n, StateValue: "ALARM", Threshold: 2.5, StateUpdatedTimestamp: alarmTime})
				}
				return out, nil
			}),
		},
	}
}

func cloudWatchClient(endpoint string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	})
}

func TestCBORServiceWithGoSDK(t *testing.T) {
	srv := httptest.NewServer(NewRouter(Limits{}, alarmsService()))
	defer srv.Close()
	client := cloudWatchClient(srv.URL)
	out, err := client.DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu"}})
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("MetricAlarms = %+v", out.MetricAlarms)
	}
	a := out.MetricAlarms[0]
	if aws.ToString(a.AlarmName) != "cpu" || a.StateValue != cwtypes.StateValueAlarm || aws.ToFloat64(a.Threshold) != 2.5 || !aws.ToTime(a.StateUpdatedTimestamp).Equal(alarmTime) {
		t.Errorf("alarm = %+v", a)
	}

	_, err = client.DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"missing"}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFound" || ae.ErrorMessage() != "no alarm missing" {
		t.Errorf("DescribeAlarms of a missing alarm: %v", err)
	}

	_, err = client.ListMetrics(t.Context(), &cloudwatch.ListMetricsInput{})
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidAction" {
		t.Errorf("an operation the table lacks: %v, want the query code InvalidAction", err)
	}
}

// TestSameTableInJSON serves the CBOR service's table in JSON 1.0.
func TestSameTableInJSON(t *testing.T) {
	rt := NewRouter(Limits{}, alarmsService())
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"AlarmNames":["cpu"]}`))
	req.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801.DescribeAlarms")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"AlarmName":"cpu"`) {
		t.Errorf("JSON 1.0 DescribeAlarms: %d %s", rec.Code, rec.Body)
	}
}

// TestUnroutableCBOR: a CBOR request for a service nobody declared gets a
// CBOR error the Go SDK parses into a named error.
func TestUnroutableCBOR(t *testing.T) {
	srv := httptest.NewServer(NewRouter(Limits{}, &Service{Name: "sts", Protocols: []Protocol{Query{Version: "2011-06-15"}}}))
	defer srv.Close()
	_, err := cloudWatchClient(srv.URL).DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnknownOperationException" || !strings.Contains(ae.ErrorMessage(), "GraniteServiceVersion20100801") {
		t.Errorf("DescribeAlarms: %v, want a parsed UnknownOperationException", err)
	}
}
