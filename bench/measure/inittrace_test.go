package measure

import (
	"testing"
	"time"
)

func TestParseInitTrace(t *testing.T) {
	out := []byte(`init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs
init runtime @0.13 ms, 0.50 ms clock, 0 bytes, 0 allocs
init github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas @10 ms, 3.1 ms clock, 586696 bytes, 3151 allocs
init github.com/aws/smithy-go/prelude @11 ms, 0.040 ms clock, 8 bytes, 1 allocs
something else on stderr
init github.com/eventchain/eventchain/internal/event @12 ms, 0.026 ms clock, 64 bytes, 2 allocs
`)
	tr, err := parseInitTrace(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3666 * time.Microsecond; tr.total != want {
		t.Errorf("total %v, want %v", tr.total, want)
	}
	if want := 3140 * time.Microsecond; tr.sdk != want {
		t.Errorf("sdk %v, want %v", tr.sdk, want)
	}
	if len(tr.packages) != 5 || tr.packages[0].Package != "github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas" || tr.packages[1].Package != "runtime" {
		t.Errorf("packages %+v, want 5, largest first", tr.packages)
	}
	if _, err := parseInitTrace([]byte("no trace here\n")); err == nil {
		t.Error("output without a trace was read")
	}
}
