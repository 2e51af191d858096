package status_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/localcloud/localcloudtest"
	"github.com/eventchain/eventchain/internal/motoserver"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/status/statustest"
)

// benchStores returns the stores to benchmark, by name.
func benchStores(b *testing.B) map[string]func(b *testing.B) status.Store {
	endpoint := motoserver.Start(b)
	return map[string]func(b *testing.B) status.Store{
		"localcloud": func(b *testing.B) status.Store {
			return statustest.NewDynamo(b, localcloudtest.Start(b, localcloud.Options{}))
		},
		"moto": func(b *testing.B) status.Store { return newMotoStore(b, endpoint, false) },
	}
}

func BenchmarkAdvance(b *testing.B) {
	ctx := context.Background()
	for name, newStore := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			s := newStore(b)
			// One request per forward move, created outside the timer.
			for start := 0; start < b.N; start += status.MaxCreate {
				reqs := make([]status.Request, 0, status.MaxCreate)
				for i := start; i < b.N && i < start+status.MaxCreate; i++ {
					reqs = append(reqs, status.Request{ID: fmt.Sprintf("r-%d", i)})
				}
				if err := s.Create(ctx, reqs...); err != nil {
					b.Fatalf("Create: %v", err)
				}
			}
			at := time.Now()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Advance(ctx, fmt.Sprintf("r-%d", i), status.Transition{To: status.Accepted, Event: "launch.requested", At: at}); err != nil {
					b.Fatalf("Advance: %v", err)
				}
			}
		})
	}
}

func BenchmarkClaimKey(b *testing.B) {
	ctx := context.Background()
	for name, newStore := range benchStores(b) {
		b.Run(name+"/win", func(b *testing.B) {
			s := newStore(b)
			for i := 0; i < b.N; i++ {
				c := status.Claim{Scope: "caller", Key: fmt.Sprintf("key-%d", i), BodyHash: "h", RequestIDs: []string{"r"}}
				if _, won, err := s.ClaimKey(ctx, c); err != nil || !won {
					b.Fatalf("ClaimKey = won %v, %v", won, err)
				}
			}
		})
		b.Run(name+"/lose", func(b *testing.B) {
			s := newStore(b)
			c := status.Claim{Scope: "caller", Key: "taken", BodyHash: "h", RequestIDs: []string{"r"}}
			if _, won, err := s.ClaimKey(ctx, c); err != nil || !won {
				b.Fatalf("ClaimKey = won %v, %v", won, err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, won, err := s.ClaimKey(ctx, c); err != nil || won {
					b.Fatalf("ClaimKey = won %v, %v", won, err)
				}
			}
		})
	}
}
