package cloudwatch

import (
	"math"
	"strings"
	"testing"
)

// points reads the notation of CloudWatch's documentation, oldest first:
// 0 a datapoint within the threshold, X one breaching it, - none.
func points(t *testing.T, s string) []datapoint {
	t.Helper()
	var out []datapoint
	for _, f := range strings.Fields(s) {
		switch f {
		case "0":
			out = append(out, datapoint{present: true, value: 0})
		case "X":
			out = append(out, datapoint{present: true, value: 5})
		case "-":
			out = append(out, datapoint{})
		default:
			t.Fatalf("datapoint %q: want 0, X or -", f)
		}
	}
	return out
}

// TestDecideFollowsTheDocumentedTables checks decide against the two
// tables of CloudWatch's user guide ("How alarm state is evaluated when
// data is missing"); "" is "retain current state".
func TestDecideFollowsTheDocumentedTables(t *testing.T) {
	breaches := func(v float64) bool { return v >= 1 }
	tests := []struct {
		name   string
		n, m   int
		points string
		// missing, ignore, breaching, notBreaching
		want [4]string
	}{
		{"3 of 3, mixed", 3, 3, "0 - X - X", [4]string{"OK", "OK", "OK", "OK"}},
		{"3 of 3, one old good", 3, 3, "0 - - - -", [4]string{"OK", "OK", "OK", "OK"}},
		{"3 of 3, none", 3, 3, "- - - - -", [4]string{"INSUFFICIENT_DATA", "", "ALARM", "OK"}},
		{"3 of 3, enough bad", 3, 3, "0 X X - X", [4]string{"ALARM", "ALARM", "ALARM", "ALARM"}},
		{"3 of 3, one recent bad", 3, 3, "- - - - X", [4]string{"INSUFFICIENT_DATA", "", "ALARM", "OK"}},
		{"3 of 3, one old bad", 3, 3, "X - - - -", [4]string{"ALARM", "", "ALARM", "OK"}},
		{"2 of 3, mixed", 3, 2, "0 - X - X", [4]string{"ALARM", "ALARM", "ALARM", "ALARM"}},
		{"2 of 3, all present", 3, 2, "0 0 X 0 X", [4]string{"ALARM", "ALARM", "ALARM", "ALARM"}},
		{"2 of 3, one of each", 3, 2, "0 - X - -", [4]string{"OK", "OK", "ALARM", "OK"}},
		{"2 of 3, one recent good", 3, 2, "- - - - 0", [4]string{"OK", "OK", "ALARM", "OK"}},
		{"2 of 3, one recent bad", 3, 2, "- - - - X", [4]string{"INSUFFICIENT_DATA", "", "ALARM", "OK"}},
		// The template's depth alarms: 1 of 1, notBreaching.
		{"1 of 1, bad", 1, 1, "0 0 X", [4]string{"ALARM", "ALARM", "ALARM", "ALARM"}},
		{"1 of 1, good", 1, 1, "X X 0", [4]string{"OK", "OK", "OK", "OK"}},
		// A new alarm has fewer datapoints than its range.
		{"1 of 1, first period", 1, 1, "X", [4]string{"ALARM", "ALARM", "ALARM", "ALARM"}},
	}
	treatments := []string{missingMissing, missingIgnore, missingBreaching, missingNotBreaching}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i, treat := range treatments {
				v := decide(points(t, tc.points), tc.n, tc.m, breaches, treat)
				if v.state != tc.want[i] {
					t.Errorf("%s %d of %d, %s: %q, want %q", tc.points, tc.m, tc.n, treat, v.state, tc.want[i])
				}
			}
		})
	}
}

func TestAggregate(t *testing.T) {
	samples := []float64{4, 1, 3, 2}
	tests := []struct {
		statistic string
		want      float64
	}{
		{"SampleCount", 4}, {"Sum", 10}, {"Average", 2.5}, {"Minimum", 1}, {"Maximum", 4},
		{"p50", 2}, {"p75", 3}, {"p100", 4}, {"p0", 1}, {"p99.9", 4},
	}
	for _, tc := range tests {
		if got := aggregate(tc.statistic, samples); got != tc.want {
			t.Errorf("%s of %v = %v, want %v", tc.statistic, samples, got, tc.want)
		}
	}
	if got := aggregate("p50", []float64{7}); got != 7 {
		t.Errorf("p50 of one sample = %v, want 7", got)
	}
	if got := aggregate("pX", samples); !math.IsNaN(got) {
		t.Errorf("an unreadable percentile = %v, want NaN", got)
	}
}

func TestPercentileStatistics(t *testing.T) {
	for _, ok := range []string{"p0", "p9", "p50", "p99", "p99.9", "p100", "p100.0"} {
		if !percentileRE.MatchString(ok) {
			t.Errorf("%s refused", ok)
		}
	}
	for _, bad := range []string{"p", "p101", "p-1", "tm99", "P99", "p99.", "Maximum"} {
		if percentileRE.MatchString(bad) {
			t.Errorf("%s accepted", bad)
		}
	}
}
