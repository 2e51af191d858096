package ec2

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		name, pattern, s string
		want             bool
	}{
		{"exact", "running", "running", true},
		{"exact mismatch", "running", "runnin", false},
		{"star suffix", "blue*", "blue-team", true},
		{"star empty", "blue*", "blue", true},
		{"star middle", "b*m", "blue-team", true},
		{"question", "gree?", "green", true},
		{"question needs a char", "gree?", "gree", false},
		{"escaped star", `a\*`, "a*", true},
		{"escaped star is literal", `a\*`, "ab", false},
		{"only star", "*", "", true},
		{"backtracking", "*a*b", "xaxxab", true},
		{"trailing backslash", `a\`, "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
				t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestParseRunReadsFlattenedLists(t *testing.T) {
	form, err := url.ParseQuery("Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&MinCount=1&MaxCount=2" +
		"&SecurityGroupId.2=sg-22222222&SecurityGroupId.1=sg-11111111" +
		"&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=a&TagSpecification.1.Tag.1.Value=1" +
		"&TagSpecification.1.Tag.2.Key=b&TagSpecification.1.Tag.2.Value=" +
		"&TagSpecification.2.ResourceType=volume&TagSpecification.2.Tag.1.Key=v&TagSpecification.2.Tag.1.Value=x")
	if err != nil {
		t.Fatal(err)
	}
	r, aerr := parseRun(awsproto.Form(form))
	if aerr != nil {
		t.Fatalf("parseRun: %v", aerr)
	}
	if r.InstanceType != defaultInstanceType {
		t.Errorf("default type %q", r.InstanceType)
	}
	if strings.Join(r.SecurityGroupIDs, ",") != "sg-11111111,sg-22222222" {
		t.Errorf("groups in index order: %v", r.SecurityGroupIDs)
	}
	if len(r.InstanceTags) != 2 || r.InstanceTags[1] != (tag{Key: "b", Value: ""}) {
		t.Errorf("instance tags %+v", r.InstanceTags)
	}
	if len(r.VolumeTags) != 1 || r.VolumeTags[0] != (tag{Key: "v", Value: "x"}) {
		t.Errorf("volume tags %+v", r.VolumeTags)
	}
	// The fingerprint ignores list order, ClientToken and DryRun.
	other, _ := url.ParseQuery(form.Encode())
	other.Set("SecurityGroupId.1", "sg-22222222")
	other.Set("SecurityGroupId.2", "sg-11111111")
	other.Set("ClientToken", "x")
	other.Set("DryRun", "false")
	r2, aerr := parseRun(awsproto.Form(other))
	if aerr != nil {
		t.Fatal(aerr)
	}
	if r.fingerprint() != r2.fingerprint() {
		t.Error("fingerprint depends on list order or token")
	}
}

func TestParseRejectsBadListIndexes(t *testing.T) {
	tests := []struct{ name, query string }{
		{"zero index", "InstanceId.0=i-12345678"},
		{"leading zero", "InstanceId.01=i-12345678"},
		{"not a number", "InstanceId.x=i-12345678"},
		{"negative", "InstanceId.-1=i-12345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form, _ := url.ParseQuery(tt.query)
			if _, aerr := parseTerminate(awsproto.Form(form)); aerr == nil || aerr.Code != "InvalidParameterValue" {
				t.Errorf("parseTerminate(%q) = %v, want InvalidParameterValue", tt.query, aerr)
			}
		})
	}
}

func post(t *testing.T, h http.Handler, body string) (*http.Response, string) {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestWireShapes(t *testing.T) {
	// Each action has its own bucket: DescribeInstances' third call here
	// is throttled, whatever the other actions did.
	svc, err := New(Options{RateLimit: 1, Burst: 2, Clock: func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		body       string
		status     int
		code       string // empty: success
		rootOrCode string
	}{
		{"success", "Action=DescribeInstances&Version=2016-11-15", 200, "", "DescribeInstancesResponse"},
		{"client error", "Action=TerminateInstances&Version=2016-11-15&InstanceId.1=bogus", 400, "InvalidInstanceID.Malformed", ""},
		{"terminate without ids", "Action=TerminateInstances&Version=2016-11-15", 400, "MissingParameter", ""},
		{"unknown action", "Action=RebootInstances&Version=2016-11-15", 400, "InvalidAction", ""},
		{"dry run", "Action=DescribeInstances&Version=2016-11-15&DryRun=true", 412, "DryRunOperation", ""},
		{"throttled", "Action=DescribeInstances&Version=2016-11-15", 503, "RequestLimitExceeded", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, svc, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.code == "" {
				var root struct {
					XMLName   xml.Name
					RequestID string `xml:"requestId"`
				}
				if err := xml.Unmarshal([]byte(body), &root); err != nil {
					t.Fatal(err)
				}
				if root.XMLName.Local != tt.rootOrCode || root.XMLName.Space != xmlns || root.RequestID == "" {
					t.Errorf("root %+v, request id %q", root.XMLName, root.RequestID)
				}
				return
			}
			var er struct {
				XMLName   xml.Name `xml:"Response"`
				Code      string   `xml:"Errors>Error>Code"`
				Message   string   `xml:"Errors>Error>Message"`
				RequestID string   `xml:"RequestID"`
			}
			if err := xml.Unmarshal([]byte(body), &er); err != nil {
				t.Fatalf("error body %q: %v", body, err)
			}
			if er.Code != tt.code || er.Message == "" || er.RequestID == "" {
				t.Errorf("error %+v, want code %s with a message and request id", er, tt.code)
			}
		})
	}
	// Every call counted, the throttled one included.
	ops, _ := svc.Counters().Snapshot()
	if got := ops["DescribeInstances"]; got.Calls != 3 || got.Throttled != 1 || got.Errors != 2 {
		t.Errorf("DescribeInstances counters %+v", got)
	}
	if got := ops["Unsupported"]; got.Calls != 1 || got.Errors != 1 {
		t.Errorf("Unsupported counters %+v", got)
	}
}

// FuzzQueryParser feeds arbitrary form bodies to the request parsers and
// the HTTP handler: nothing may panic, every answer is well-formed XML, and
// whatever the parsers accept respects EC2's limits.
func FuzzQueryParser(f *testing.F) {
	seeds := []string{
		"Action=RunInstances&ImageId=ami-12345678&MinCount=1&MaxCount=3&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v",
		"Action=RunInstances&ImageId=ami-0123456789abcdef0&MinCount=2&MaxCount=1",
		"Action=RunInstances&ImageId=ami-12345678&MinCount=1&MaxCount=1&UserData=aGk%3D&SecurityGroupId.1=sg-12345678&ClientToken=t",
		"Action=DescribeInstances&Filter.1.Name=tag:team&Filter.1.Value.1=blue*&Filter.2.Name=instance-state-name&Filter.2.Value.1=running&MaxResults=5",
		"Action=DescribeInstances&InstanceId.1=i-12345678&InstanceId.3=i-0123456789abcdef0",
		"Action=DescribeInstances&NextToken=ZWMycGFnZToz",
		"Action=TerminateInstances&InstanceId.1=i-12345678&DryRun=true",
		"Action=TerminateInstances&InstanceId.99999999999999999999=x",
		"Filter.1.Value.1=x&Filter.1.Name=",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	svc, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		if r, aerr := parseRun(awsproto.Form(form)); aerr == nil {
			if r.MinCount < 1 || r.MinCount > r.MaxCount || r.MaxCount > maxInstancesPerRun {
				t.Errorf("accepted counts %d..%d", r.MinCount, r.MaxCount)
			}
			if !imageIDPattern.MatchString(r.ImageID) {
				t.Errorf("accepted image %q", r.ImageID)
			}
			for _, tags := range [][]tag{r.InstanceTags, r.VolumeTags} {
				if len(tags) > maxTagsPerResource {
					t.Errorf("accepted %d tags", len(tags))
				}
				for _, tg := range tags {
					if validateTag(tg) != nil {
						t.Errorf("accepted tag %+v", tg)
					}
				}
			}
		}
		if d, aerr := parseDescribe(awsproto.Form(form)); aerr == nil {
			if d.MaxResults != 0 && (d.MaxResults < 5 || d.MaxResults > 1000 || len(d.InstanceIDs) > 0) {
				t.Errorf("accepted MaxResults %d with %d ids", d.MaxResults, len(d.InstanceIDs))
			}
			for _, fl := range d.Filters {
				if !knownFilter(fl.Name) {
					t.Errorf("accepted filter %q", fl.Name)
				}
			}
		}
		if tr, aerr := parseTerminate(awsproto.Form(form)); aerr == nil {
			for _, id := range tr.InstanceIDs {
				if !instanceIDPattern.MatchString(id) {
					t.Errorf("accepted instance id %q", id)
				}
			}
		}
		resp, out := post(t, svc, body)
		if resp.StatusCode == http.StatusOK && form.Get("Action") == "RunInstances" && strings.Contains(out, "<instanceId>") {
			// Launched something: keep the fuzzed service small.
			svc.mu.Lock()
			clear(svc.instances)
			svc.order = nil
			clear(svc.reservations)
			clear(svc.tokens)
			svc.mu.Unlock()
		}
		var anyXML struct{ XMLName xml.Name }
		if err := xml.Unmarshal([]byte(out), &anyXML); err != nil {
			t.Errorf("answer is not XML (%v): %q", err, out)
		}
	})
}
