package consumer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
)

// TestFixturesRoundTrip checks that every consumer fixture is exactly an
// lambdaevents.SQSEvent (the shape `sam local invoke -e` takes): unmarshal,
// marshal back, compare as JSON.
func TestFixturesRoundTrip(t *testing.T) {
	var files []string
	for _, pattern := range []string{"launcher-*.json", "watcher-*.json", "notifier-*.json", "malformed-*.json"} {
		m, err := filepath.Glob(filepath.Join("../../events", pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 6 {
		t.Fatalf("found %d consumer fixtures, want at least 6", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var ev lambdaevents.SQSEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			back, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(back, &got); err != nil {
				t.Fatal(err)
			}
			wantJSON, _ := json.Marshal(want)
			gotJSON, _ := json.Marshal(got)
			if string(wantJSON) != string(gotJSON) {
				t.Errorf("fixture does not round-trip through lambdaevents.SQSEvent:\nwant %s\ngot  %s", wantJSON, gotJSON)
			}
			for _, r := range ev.Records {
				if r.EventSource != "aws:sqs" || r.MessageId == "" || r.ReceiptHandle == "" || r.Attributes["ApproximateReceiveCount"] == "" {
					t.Errorf("record %s is not in Lambda's SQS shape", r.MessageId)
				}
			}
		})
	}
}
