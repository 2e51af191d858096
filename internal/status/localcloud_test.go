package status_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
)

// startLocalcloud serves an in-process localcloud for the test, in memory
// or with a data directory, and returns its endpoint.
func startLocalcloud(t *testing.T, dataDir string) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	// The suite's requests expire in the past (its clock is fixed), and
	// DynamoDB deletes expired items eventually, up to days later; with
	// localcloud's sweep of a second they would vanish mid-test.
	cloud, err := localcloud.New(localcloud.Options{DataDir: dataDir, BaseURL: "http://" + srv.Listener.Addr().String(), DynamoDBTTLInterval: -1})
	if err != nil {
		srv.Close()
		t.Fatalf("start localcloud: %v", err)
	}
	srv.Config.Handler = cloud
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		if err := cloud.Close(); err != nil {
			t.Errorf("close localcloud: %v", err)
		}
	})
	return srv.URL
}

// newLocalcloudStore creates a fresh status table on the localcloud at
// endpoint. Unlike the moto run, calls go straight to the emulator:
// localcloud checks a condition and writes atomically, as DynamoDB does.
func newLocalcloudStore(t *testing.T, endpoint string) *status.Dynamo {
	t.Helper()
	client := motoClient(endpoint) // a plain SDK client; nothing moto-specific
	name := fmt.Sprintf("status-%d", tableSeq.Add(1))
	if err := status.CreateTable(t.Context(), client, name); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	return status.NewDynamo(client, name)
}

func TestLocalcloudDynamoConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		disk bool
	}{{"memory", false}, {"data-dir", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := ""
			if tc.disk {
				dir = t.TempDir()
			}
			endpoint := startLocalcloud(t, dir)
			statustest.Run(t, func(t *testing.T) status.Store { return newLocalcloudStore(t, endpoint) })
		})
	}
}
