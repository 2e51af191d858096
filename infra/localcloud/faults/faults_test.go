package faults

import (
	"net/http"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		spec    string
		want    Fault
		wantErr string
	}{
		{spec: "sqs:SendMessage:ServiceUnavailable:3", want: Fault{Service: "sqs", Operation: "SendMessage", Code: "ServiceUnavailable", Count: 3}},
		{spec: "dynamodb:UpdateItem:ProvisionedThroughputExceededException:5", want: Fault{Service: "dynamodb", Operation: "UpdateItem", Code: "ProvisionedThroughputExceededException", Count: 5}},
		{spec: "sns:Publish:InternalError:*", want: Fault{Service: "sns", Operation: "Publish", Code: "InternalError", Count: UntilCleared}},
		{spec: "ec2:RunInstances:InvalidAMIID.NotFound:1", want: Fault{Service: "ec2", Operation: "RunInstances", Code: "InvalidAMIID.NotFound", Count: 1}},
		{spec: "sqs:SendMessage:ServiceUnavailable", wantErr: "want SERVICE:Operation:Code:N"},
		{spec: "sqs:SendMessage:Service:Unavailable:3", wantErr: "want SERVICE:Operation:Code:N"},
		{spec: ":SendMessage:ServiceUnavailable:3", wantErr: "empty service"},
		{spec: "SQS:SendMessage:ServiceUnavailable:3", wantErr: `service "SQS": want a lowercase signing name`},
		{spec: "sqs::ServiceUnavailable:3", wantErr: "empty operation"},
		{spec: "sqs:Send Message:ServiceUnavailable:3", wantErr: `operation "Send Message"`},
		{spec: "sqs:SendMessage::3", wantErr: "empty error code"},
		{spec: "sqs:SendMessage:Service/Unavailable:3", wantErr: `error code "Service/Unavailable"`},
		{spec: "sqs:SendMessage:ServiceUnavailable:0", wantErr: `count "0": want a positive integer, or * for until cleared`},
		{spec: "sqs:SendMessage:ServiceUnavailable:-1", wantErr: `count "-1"`},
		{spec: "sqs:SendMessage:ServiceUnavailable:+2", wantErr: `count "+2"`},
		{spec: "sqs:SendMessage:ServiceUnavailable:two", wantErr: `count "two"`},
		{spec: "sqs:SendMessage:ServiceUnavailable:", wantErr: `count ""`},
		{spec: "sqs:SendMessage:ServiceUnavailable:99999999999999999999", wantErr: "count"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := Parse(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if got.String() != tc.spec {
				t.Errorf("String %q, want %q", got.String(), tc.spec)
			}
		})
	}
}

func TestParseDelivery(t *testing.T) {
	const arn = "arn:aws:sqs:us-east-1:000000000000:launch-queue"
	tests := []struct {
		spec    string
		want    Delivery
		wantErr string
	}{
		{spec: "launch-queue:2", want: Delivery{Endpoint: "launch-queue", Count: 2}},
		{spec: arn + ":*", want: Delivery{Endpoint: arn, Count: UntilCleared}},
		{spec: "launch-queue", wantErr: "want ENDPOINT:N"},
		{spec: ":2", wantErr: "empty endpoint"},
		{spec: "launch queue:2", wantErr: "without spaces"},
		{spec: "launch-queue:0", wantErr: `count "0"`},
		{spec: arn, wantErr: `count "launch-queue"`},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseDelivery(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || got.String() != tc.spec {
				t.Errorf("got %+v (%s), want %+v", got, got, tc.want)
			}
		})
	}
}

func TestDeliveryMatches(t *testing.T) {
	const queue, sub = "arn:aws:sqs:us-east-1:000000000000:jobs", "arn:aws:sns:us-east-1:000000000000:t:1234"
	tests := []struct {
		endpoint string
		want     bool
	}{
		{"jobs", true},
		{queue, true},
		{sub, true},
		{"job", false},
		{"arn:aws:sqs:us-east-1:000000000000:other", false},
	}
	for _, tc := range tests {
		if got := (Delivery{Endpoint: tc.endpoint, Count: 1}).Matches(queue, sub); got != tc.want {
			t.Errorf("%q matches: %v, want %v", tc.endpoint, got, tc.want)
		}
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		code string
		want int
	}{
		{"InternalError", http.StatusInternalServerError},
		{"InternalFailure", http.StatusInternalServerError},
		{"ServiceUnavailable", http.StatusServiceUnavailable},
		{"ThrottlingException", http.StatusBadRequest},
		{"ProvisionedThroughputExceededException", http.StatusBadRequest},
		{"RequestLimitExceeded", http.StatusBadRequest},
		{"Throttled", http.StatusTooManyRequests},
		{"SomethingNobodyDefined", http.StatusBadRequest},
	}
	for _, tc := range tests {
		if got := Status(tc.code); got != tc.want {
			t.Errorf("Status(%s) = %d, want %d", tc.code, got, tc.want)
		}
	}
}

// TestPending consumes rules in order: a counted rule goes once used up,
// an until-cleared one stays, a zero count is never queued.
func TestPending(t *testing.T) {
	var p Pending[Fault]
	p.Add(Fault{Operation: "A", Code: "X", Count: 0})
	p.Add(Fault{Operation: "A", Code: "first", Count: 2})
	p.Add(Fault{Operation: "A", Code: "forever", Count: UntilCleared})
	isA := func(f Fault) bool { return f.Operation == "A" }
	var got []string
	for range 4 {
		f, ok := p.Take(isA)
		if !ok {
			t.Fatal("no rule taken")
		}
		got = append(got, f.Code)
	}
	if want := "first first forever forever"; strings.Join(got, " ") != want {
		t.Errorf("took %v, want %s", got, want)
	}
	if _, ok := p.Take(func(f Fault) bool { return f.Operation == "B" }); ok {
		t.Error("took a rule for an operation none names")
	}
	if l := p.List(); len(l) != 1 || l[0].Count != UntilCleared {
		t.Errorf("left %+v, want the until-cleared rule", l)
	}
	p.Clear()
	if _, ok := p.Take(isA); ok {
		t.Error("took a rule after Clear")
	}
}
