package local_test

import (
	"context"
	"testing"
	"time"

	"github.com/eventchain/eventchain/bench/measure"
)

// BenchmarkEndToEnd measures launches per second through the whole local
// pipeline: POST /launches → launch.requested → launcher (RunInstances) →
// instance.launched → watcher (DescribeInstances) → instance.running →
// notifier → RUNNING, with no boot delay and no EC2 rate limit, in memory
// and on a data directory. Each iteration is one launch request; they are
// posted by 8 concurrent callers and the clock stops when the notifier
// has closed the last one. Besides launches/s (and ns/op from the same
// clock, without the start-up) it reports the mean time each hop took,
// from the requests' own histories, and fails if a history misses a step
// of the chain. The run is measure.EndToEnd, which `make bench` runs too.
func BenchmarkEndToEnd(b *testing.B) {
	for _, tc := range []struct {
		name    string
		dataDir bool
	}{{"memory", false}, {"datadir", true}} {
		b.Run(tc.name, func(b *testing.B) {
			o := measure.EndToEndOptions{Template: "../../template.yaml", Launches: b.N, Timeout: 5 * time.Minute}
			if tc.dataDir {
				o.DataDir = b.TempDir()
			}
			res, err := measure.EndToEnd(context.Background(), o)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(res.Seconds*1e9/float64(res.Launches), "ns/op")
			b.ReportMetric(res.LaunchesPerSecond, "launches/s")
			for hop, ms := range res.HopMeansMs {
				b.ReportMetric(ms, hop+"-ms")
			}
		})
	}
}
