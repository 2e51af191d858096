package awsenv

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// smithyRequest builds the *http.Request smithy-go hands to an HTTP client
// for a POST of payload, with smithy-go's own body type.
func smithyRequest(t *testing.T, payload []byte) *http.Request {
	t.Helper()
	req := smithyhttp.NewStackRequest().(*smithyhttp.Request)
	req.Method = http.MethodPost
	req.URL = &url.URL{Scheme: "http", Host: "127.0.0.1", Path: "/"}
	req.ContentLength = int64(len(payload))
	req, err := req.SetStream(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	return req.Build(context.Background())
}

// TestRequestBodyEndsCleanlyAfterTheSDKClosesIt replays, in order, what
// happens to a request body when a server answers before net/http has
// finished writing the request: the Transport copies the ContentLength
// bytes, smithy-go closes the body because Do returned, then the Transport
// checks for bytes beyond ContentLength. That check must see a clean end,
// or the Transport closes the connection the response is being read from.
func TestRequestBodyEndsCleanlyAfterTheSDKClosesIt(t *testing.T) {
	payload := []byte("Action=DescribeInstances&Version=2016-11-15")
	var sent io.ReadCloser // the body as the Transport receives it
	c := readOnlyBodies{client: smithyhttp.ClientDoFunc(func(req *http.Request) (*http.Response, error) {
		sent = req.Body
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody}, nil
	})}
	built := smithyRequest(t, payload)
	if _, err := c.Do(built); err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, io.LimitReader(sent, int64(len(payload)))); err != nil || n != int64(len(payload)) {
		t.Fatalf("copy of the ContentLength bytes: %d bytes, %v", n, err)
	}
	if err := built.Body.Close(); err != nil { // what smithy-go does once Do returns
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, sent); err != nil || n != 0 {
		t.Errorf("check for bytes beyond ContentLength after the SDK closed the body: %d bytes, %v; want 0, nil", n, err)
	}
}

// Without the wrapper the same sequence fails: this is the SDK behaviour
// HTTPClient works around. When a smithy-go release fixes it, this test
// fails and the wrapper can go.
func TestSmithyBodyStillAnswersEOFAfterClose(t *testing.T) {
	payload := []byte("x=1")
	built := smithyRequest(t, payload)
	if _, err := io.Copy(io.Discard, io.LimitReader(built.Body, int64(len(payload)))); err != nil {
		t.Fatal(err)
	}
	built.Body.Close()
	if _, err := io.Copy(io.Discard, built.Body); err == nil {
		t.Error("smithy-go's closed body now ends cleanly: the HTTPClient wrapper is no longer needed")
	}
}

// Every client built from Load gets the fix.
func TestLoadUsesHTTPClient(t *testing.T) {
	cfg, err := Load(context.Background(), func(k string) (string, bool) {
		if k == EndpointKey {
			return "http://127.0.0.1:4566", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.AWS.HTTPClient.(readOnlyBodies); !ok {
		t.Errorf("Load's HTTP client is %T, want the wrapper", cfg.AWS.HTTPClient)
	}
}
