package measure

import (
	"bytes"
	"testing"

	"github.com/google/pprof/profile"
)

// TestLayers charges hand-made stacks (innermost frame first) to their
// layers through a real profile encoding.
func TestLayers(t *testing.T) {
	stacks := []struct {
		frames []string
		ns     int64
		want   string
	}{
		{[]string{"internal/runtime/syscall/linux.Syscall6", "syscall.Syscall", "syscall.Fdatasync", "github.com/eventchain/eventchain/infra/localcloud/storage.fdatasync"}, 10, LayerSync},
		{[]string{"internal/runtime/syscall/linux.Syscall6", "syscall.Write", "internal/poll.(*FD).Write", "os.(*File).Write", "github.com/eventchain/eventchain/infra/localcloud/storage.(*segmentFile).write"}, 20, LayerCloud},
		{[]string{"internal/runtime/syscall/linux.Syscall6", "syscall.Read", "internal/poll.(*FD).Read", "net.(*conn).Read", "net/http.(*persistConn).Read"}, 30, LayerNet},
		{[]string{"runtime.mallocgc", "encoding/json.Marshal", "github.com/aws/aws-sdk-go-v2/service/sqs.(*Client).SendMessage", "github.com/eventchain/eventchain/internal/publish.(*SNS).Publish"}, 40, LayerSDK},
		{[]string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"}, 50, LayerGC},
		{[]string{"runtime.futex", "runtime.findRunnable", "runtime.schedule"}, 60, LayerOther},
		{[]string{"encoding/json.Unmarshal", "github.com/eventchain/eventchain/internal/event.Decode", "github.com/eventchain/eventchain/internal/consumer.(*Runner).process", "github.com/eventchain/eventchain/infra/local.(*Poller).invoke"}, 70, LayerFunctions},
	}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
	}
	fns := map[string]*profile.Function{}
	for _, st := range stacks {
		var locs []*profile.Location
		for _, name := range st.frames {
			fn := fns[name]
			if fn == nil {
				fn = &profile.Function{ID: uint64(len(fns) + 1), Name: name}
				fns[name] = fn
				p.Function = append(p.Function, fn)
			}
			loc := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: fn}}}
			p.Location = append(p.Location, loc)
			locs = append(locs, loc)
		}
		p.Sample = append(p.Sample, &profile.Sample{Location: locs, Value: []int64{1, st.ns * 1e6}})
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Layers(buf.Bytes(), 10)
	if err != nil {
		t.Fatal(err)
	}
	byLayer := map[string]CPUShare{}
	for _, c := range got {
		byLayer[c.Layer] = c
	}
	for _, st := range stacks {
		c, ok := byLayer[st.want]
		if !ok {
			t.Errorf("%v: no %q in %+v", st.frames, st.want, got)
			continue
		}
		// st.ns milliseconds over 10 launches.
		if want := float64(st.ns) / 10; c.MsPerLaunch != want {
			t.Errorf("%s: %.3f ms per launch, want %.3f", st.want, c.MsPerLaunch, want)
		}
	}
	if got[0].Layer != LayerFunctions || got[len(got)-1].Layer != LayerSync {
		t.Errorf("want largest first: %+v", got)
	}
	if _, err := Layers([]byte("not a profile"), 1); err == nil {
		t.Error("a damaged profile was read")
	}
}
