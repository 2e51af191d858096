package local

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
)

var apiRoutes = []Route{{"POST", "/launches"}, {"GET", "/launches/{requestId}"}, {"ANY", "$default"}}

func TestMatchRoute(t *testing.T) {
	tests := []struct {
		name, method, path string
		routes             []Route
		wantKey            string
		wantParams         map[string]string
		wantOK             bool
	}{
		{"exact post", "POST", "/launches", apiRoutes, "POST /launches", nil, true},
		{"path parameter", "GET", "/launches/abc", apiRoutes, "GET /launches/{requestId}", map[string]string{"requestId": "abc"}, true},
		{"wrong method falls to default", "DELETE", "/launches/abc", apiRoutes, "$default", nil, true},
		{"unknown path falls to default", "GET", "/nope", apiRoutes, "$default", nil, true},
		{"no default: not found", "GET", "/nope", apiRoutes[:2], "", nil, false},
		{"empty parameter does not match", "GET", "/launches/", apiRoutes[:2], "", nil, false},
		{"greedy parameter", "GET", "/files/a/b", []Route{{"GET", "/files/{path+}"}}, "GET /files/{path+}", map[string]string{"path": "a/b"}, true},
		{"literal beats parameter", "GET", "/launches/latest", []Route{{"GET", "/launches/{id}"}, {"GET", "/launches/latest"}}, "GET /launches/latest", nil, true},
		{"method beats ANY", "GET", "/x", []Route{{"ANY", "/x"}, {"GET", "/x"}}, "GET /x", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, params, ok := matchRoute(tt.routes, tt.method, tt.path)
			if ok != tt.wantOK || key != tt.wantKey {
				t.Fatalf("matchRoute = %q, %v, want %q, %v", key, ok, tt.wantKey, tt.wantOK)
			}
			if len(params) != len(tt.wantParams) {
				t.Fatalf("params %v, want %v", params, tt.wantParams)
			}
			for k, v := range tt.wantParams {
				if params[k] != v {
					t.Errorf("param %s = %q, want %q", k, params[k], v)
				}
			}
		})
	}
}

func newTestFront(h HTTPHandler, reserved int) *Front {
	return &Front{
		fn:       newFunction(FunctionConfig{Name: "api", Timeout: time.Second, ReservedConcurrency: reservedPtr(reserved)}, 10),
		handler:  h,
		routes:   apiRoutes,
		identity: LocalIdentity,
		logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func TestFrontBuildsPayloadV2AndWritesResponse(t *testing.T) {
	var got lambdaevents.APIGatewayV2HTTPRequest
	front := newTestFront(func(_ context.Context, req lambdaevents.APIGatewayV2HTTPRequest) (lambdaevents.APIGatewayV2HTTPResponse, error) {
		got = req
		return lambdaevents.APIGatewayV2HTTPResponse{
			StatusCode: 202,
			Headers:    map[string]string{"Location": "/launches/1", "Content-Type": "application/json"},
			Cookies:    []string{"a=b"},
			Body:       `{"ok":true}`,
		}, nil
	}, -1)
	srv := httptest.NewServer(front)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/launches?x=1&x=2", bytes.NewBufferString(`{"count":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "k1")
	req.AddCookie(&http.Cookie{Name: "c", Value: "v"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	if resp.StatusCode != 202 || resp.Header.Get("Location") != "/launches/1" || string(body) != `{"ok":true}` || resp.Header.Get("Set-Cookie") != "a=b" {
		t.Errorf("response %d %v %s", resp.StatusCode, resp.Header, body)
	}
	checks := []struct {
		name      string
		got, want string
	}{
		{"version", got.Version, "2.0"},
		{"routeKey", got.RouteKey, "POST /launches"},
		{"requestContext.routeKey", got.RequestContext.RouteKey, "POST /launches"},
		{"rawPath", got.RawPath, "/launches"},
		{"rawQueryString", got.RawQueryString, "x=1&x=2"},
		{"query joined", got.QueryStringParameters["x"], "1,2"},
		{"header lowercased", got.Headers["idempotency-key"], "k1"},
		{"body", got.Body, `{"count":1}`},
		{"method", got.RequestContext.HTTP.Method, "POST"},
		{"iam caller", got.RequestContext.Authorizer.IAM.UserARN, LocalIdentity.UserARN},
		{"cookie", got.Cookies[0], "c=v"},
		{"source ip", got.RequestContext.HTTP.SourceIP, "127.0.0.1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if got.IsBase64Encoded {
		t.Error("a JSON body was base64-encoded")
	}
}

func TestFrontBase64EncodesBinaryBodies(t *testing.T) {
	var got lambdaevents.APIGatewayV2HTTPRequest
	front := newTestFront(func(_ context.Context, req lambdaevents.APIGatewayV2HTTPRequest) (lambdaevents.APIGatewayV2HTTPResponse, error) {
		got = req
		return lambdaevents.APIGatewayV2HTTPResponse{StatusCode: 200, Body: base64.StdEncoding.EncodeToString([]byte{0xff, 0}), IsBase64Encoded: true}, nil
	}, -1)
	srv := httptest.NewServer(front)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/launches", "application/octet-stream", bytes.NewReader([]byte{1, 2, 0xff}))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !got.IsBase64Encoded || got.Body != base64.StdEncoding.EncodeToString([]byte{1, 2, 0xff}) {
		t.Errorf("request body %q base64=%v", got.Body, got.IsBase64Encoded)
	}
	if !bytes.Equal(body, []byte{0xff, 0}) {
		t.Errorf("response body %v, want decoded bytes", body)
	}
}

func TestFrontAnswersGatewayErrors(t *testing.T) {
	block := make(chan struct{})
	started := make(chan struct{}, 1)
	front := newTestFront(func(ctx context.Context, req lambdaevents.APIGatewayV2HTTPRequest) (lambdaevents.APIGatewayV2HTTPResponse, error) {
		if req.RawPath == "/panic" {
			panic("boom")
		}
		started <- struct{}{}
		<-block
		return lambdaevents.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	}, 1)
	srv := httptest.NewServer(front)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("panicking function: status %d, want 500", resp.StatusCode)
	}

	go func() {
		if r, err := http.Get(srv.URL + "/launches/x"); err == nil {
			r.Body.Close()
		}
	}()
	<-started
	resp, err = http.Get(srv.URL + "/launches/y")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	close(block)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("over reserved concurrency: status %d, want 503", resp.StatusCode)
	}
}
