package launcher_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/localcloudtest"
	"github.com/eventchain/eventchain/internal/consumer/consumertest"
	"github.com/eventchain/eventchain/internal/event"
	"github.com/eventchain/eventchain/internal/launcher"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
)

// TestSDKDoesNotRetryRunInstances runs the launcher built by NewFromEnv
// (the real EC2 client) against an endpoint that always throttles: the SDK
// must make one attempt, so each RunInstances call is one pacer token, and
// hand the retry to SQS with a short visibility backoff.
func TestSDKDoesNotRetryRunInstances(t *testing.T) {
	var runs, visibility atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case strings.Contains(string(body), "Action=RunInstances"):
			runs.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r-1</RequestID></Response>`)
		case r.Header.Get("X-Amz-Target") == "AmazonSQS.ChangeMessageVisibility":
			visibility.Add(1)
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_, _ = io.WriteString(w, `{}`)
		default:
			http.Error(w, "unexpected call", http.StatusBadRequest)
		}
	}))
	defer srv.Close()

	ctx := context.Background()
	store := statustest.NewDynamo(t, localcloudtest.Start(t, localcloud.Options{}))
	ev := consumertest.LoadEvent(t, fixture)
	ev.Records = ev.Records[:1]
	env, err := event.Decode([]byte(ev.Records[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Create(ctx, status.Request{ID: env.Subject}); err != nil {
		t.Fatal(err)
	}
	h, err := launcher.NewFromEnv(ctx, consumertest.Lookup(map[string]string{
		"AWS_ENDPOINT_URL": srv.URL, "EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:events",
		"QUEUE_URL": srv.URL + "/123456789012/launch", "DLQ_URL": srv.URL + "/123456789012/launch-dlq",
		"LAUNCH_RATE_PER_SECOND": "100", "LAUNCHER_CONCURRENCY": "2", "LAUNCH_MAX_RECEIVE_COUNT": "5", "LOG_LEVEL": "error",
	}), store, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Fatalf("resp %+v err %v: want the throttled record returned", resp, err)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("RunInstances sent %d times for one record, want 1 (no SDK retries around the pacer)", n)
	}
	if n := visibility.Load(); n != 1 {
		t.Errorf("ChangeMessageVisibility called %d times, want 1 (short throttling backoff)", n)
	}
}
