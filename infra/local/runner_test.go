package local

import (
	"context"
	"strings"
	"testing"
)

// The front checks no signatures and localcloud has no authentication, so
// local mode refuses to listen where other machines can reach it.
func TestStartRefusesNonLoopbackAddresses(t *testing.T) {
	for _, tc := range []struct{ name, api, cloud string }{
		{"api on every interface", "0.0.0.0:0", "127.0.0.1:0"},
		{"localcloud on every interface", "127.0.0.1:0", "0.0.0.0:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Start(context.Background(), Options{Template: "../../template.yaml", APIAddr: tc.api, CloudAddr: tc.cloud})
			if err == nil {
				r.Close()
				t.Fatal("Start accepted a non-loopback address")
			}
			if !strings.Contains(err.Error(), "loopback") {
				t.Errorf("error %q does not say why", err)
			}
		})
	}
}
