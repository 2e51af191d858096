package status_test

import (
	"testing"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/localcloudtest"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
)

// TestLocalcloudDynamoConformance runs the suite on localcloud's DynamoDB,
// in memory and with a data directory. Unlike the moto run, calls go
// straight to the emulator: localcloud checks a condition and writes
// atomically, as DynamoDB does. The suite's requests expire in the past
// (its clock is fixed), so localcloudtest turns the TTL sweep off.
func TestLocalcloudDynamoConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		disk bool
	}{{"memory", false}, {"data-dir", true}} {
		t.Run(tc.name, func(t *testing.T) {
			opts := localcloud.Options{}
			if tc.disk {
				opts.DataDir = t.TempDir()
			}
			cfg := localcloudtest.Start(t, opts)
			statustest.Run(t, func(t *testing.T) status.Store { return statustest.NewDynamo(t, cfg) })
		})
	}
}
