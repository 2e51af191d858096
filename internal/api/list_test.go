package api

import (
	"context"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/status"
)

func listReq(params map[string]string) lambdaevents.APIGatewayV2HTTPRequest {
	r := getReq("")
	r.RouteKey, r.RequestContext.RouteKey = "GET /launches", "GET /launches"
	r.RawPath, r.RequestContext.HTTP.Path = "/launches", "/launches"
	r.PathParameters = nil
	r.QueryStringParameters = params
	return r
}

// TestList pages through the caller's requests newest first, filters by
// status, and never shows another caller's requests.
func TestList(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	alice := listReq(nil).RequestContext.Authorizer.IAM.UserARN
	var newestFirst []string
	for i := range 5 {
		id := event.NewID()
		at := env.now.Add(time.Duration(i) * time.Second)
		if err := env.store.Store.Create(ctx, status.Request{ID: id, Caller: alice, CorrelationID: "c", CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		newestFirst = append([]string{id}, newestFirst...)
	}
	if _, err := env.store.Store.Advance(ctx, newestFirst[1], status.Transition{To: status.Running, Event: event.TypeInstanceRunning}); err != nil {
		t.Fatal(err)
	}
	if err := env.store.Store.Create(ctx, status.Request{ID: event.NewID(), Caller: "arn:aws:iam::123456789012:user/bob", CreatedAt: env.now}); err != nil {
		t.Fatal(err)
	}

	var got []string
	params := map[string]string{"limit": "2"}
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatalf("more than 3 pages of 2 for 5 requests: %v", got)
		}
		resp, body := env.do(t, listReq(params))
		if resp.StatusCode != 200 || resp.Headers["Cache-Control"] != "no-store" {
			t.Fatalf("%d %v %s", resp.StatusCode, resp.Headers, resp.Body)
		}
		for _, l := range body["launches"].([]any) {
			got = append(got, l.(map[string]any)["requestId"].(string))
		}
		next, _ := body["next"].(string)
		if next == "" {
			break
		}
		params = map[string]string{"limit": "2", "next": next}
	}
	if len(got) != len(newestFirst) {
		t.Fatalf("listed %v, want %v", got, newestFirst)
	}
	for i := range got {
		if got[i] != newestFirst[i] {
			t.Fatalf("listed %v, want %v", got, newestFirst)
		}
	}

	resp, body := env.do(t, listReq(map[string]string{"status": "RUNNING"}))
	launches := body["launches"].([]any)
	if resp.StatusCode != 200 || len(launches) != 1 || launches[0].(map[string]any)["requestId"] != newestFirst[1] || launches[0].(map[string]any)["status"] != "RUNNING" {
		t.Errorf("status=RUNNING: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestListBadParameters(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		code   string
		field  string
	}{
		{"unknown status", map[string]string{"status": "DONE"}, CodeInvalidValue, "status"},
		{"lower-case status", map[string]string{"status": "running"}, CodeInvalidValue, "status"},
		{"limit zero", map[string]string{"limit": "0"}, CodeInvalidValue, "limit"},
		{"limit too large", map[string]string{"limit": "101"}, CodeInvalidValue, "limit"},
		{"limit not a number", map[string]string{"limit": "ten"}, CodeInvalidValue, "limit"},
		{"empty token", map[string]string{"next": ""}, CodeInvalidValue, "next"},
		{"forged token", map[string]string{"next": "bm90LWEtdG9rZW4"}, CodeInvalidValue, "next"},
		{"unknown parameter", map[string]string{"owner": "bob"}, CodeUnknownField, "owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			resp, body := env.do(t, listReq(tt.params))
			if resp.StatusCode != 400 || errField(body, "code") != tt.code || errField(body, "field") != tt.field {
				t.Errorf("%d %s, want 400 %s naming %s", resp.StatusCode, resp.Body, tt.code, tt.field)
			}
		})
	}
}
