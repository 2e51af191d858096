package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayers checks the import rules of docs/architecture.md on the built
// packages (tests excluded): a deployed function links neither the
// emulator nor an embedded database, and the domain never depends on how
// it is hosted.
func TestLayers(t *testing.T) {
	tests := []struct {
		name      string
		pkgs      string
		forbidden []string
	}{
		{"functions", "../../functions/...", []string{"go.etcd.io/bbolt", "github.com/eventchain/eventchain/infra/"}},
		{"domain", "../../internal/...", []string{"go.etcd.io/bbolt", "github.com/eventchain/eventchain/infra/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", tc.pkgs).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, f := range tc.forbidden {
					if strings.HasPrefix(dep, f) {
						t.Errorf("%s depend on %s", tc.name, dep)
					}
				}
			}
		})
	}
}
