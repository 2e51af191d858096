package status_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
)

func openBolt(t testing.TB, opts ...status.BoltOption) *status.Bolt {
	t.Helper()
	b, err := status.OpenBolt(filepath.Join(t.TempDir(), "status.db"), opts...)
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func TestBoltConformance(t *testing.T) {
	statustest.Run(t, func(t *testing.T) status.Store { return openBolt(t) })
}

// The ephemeral store skips fsync only; its conditional semantics are the same.
func TestEphemeralBoltConformance(t *testing.T) {
	statustest.Run(t, func(t *testing.T) status.Store { return openBolt(t, status.Ephemeral()) })
}

func TestBoltReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "status.db")
	b, err := status.OpenBolt(path)
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := b.Create(ctx, status.Request{ID: "r1", CorrelationID: "c1", CreatedAt: at}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := b.Advance(ctx, "r1", status.Transition{To: status.Launching, Event: "instance.launched", At: at.Add(time.Second), InstanceIDs: []string{"i-1"}}); err != nil {
		t.Fatalf("Advance: %v", err)
	}
	claim := status.Claim{Scope: "caller", Key: "k", BodyHash: "h", RequestIDs: []string{"r1"}, CreatedAt: time.Now()}
	if _, won, err := b.ClaimKey(ctx, claim); err != nil || !won {
		t.Fatalf("ClaimKey = won %v, %v", won, err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	b, err = status.OpenBolt(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer b.Close()
	got, err := b.Get(ctx, "r1")
	if err != nil {
		t.Fatalf("Get after reopen: %v", err)
	}
	if got.Status != status.Launching || got.CorrelationID != "c1" || len(got.History) != 1 || len(got.InstanceIDs) != 1 || !got.UpdatedAt.Equal(at.Add(time.Second)) {
		t.Errorf("after reopen: %+v", got)
	}
	existing, won, err := b.ClaimKey(ctx, status.Claim{Scope: "caller", Key: "k", BodyHash: "other", CreatedAt: time.Now()})
	if err != nil || won || existing.BodyHash != "h" {
		t.Errorf("ClaimKey after reopen = %+v, won %v, %v; want the stored claim", existing, won, err)
	}
}

func TestNewBoltSharedDB(t *testing.T) {
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "shared.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := status.NewBolt(db)
	if err != nil {
		t.Fatalf("NewBolt: %v", err)
	}
	if err := b.Create(context.Background(), status.Request{ID: "r1"}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Close left the caller's database open.
	if err := db.View(func(*bbolt.Tx) error { return nil }); err != nil {
		t.Errorf("db unusable after store Close: %v", err)
	}

	db.NoSync = true
	if _, err := status.NewBolt(db); err == nil {
		t.Error("NewBolt accepted a NoSync database")
	}
}
