package measure

import (
	"bytes"
	"fmt"
	"math"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// CPUShare is the part of a run's CPU time one layer of the process
// spent.
type CPUShare struct {
	Layer string `json:"layer"`
	// Percent is of all CPU samples of the run.
	Percent float64 `json:"percent"`
	// MsPerLaunch is that layer's CPU time divided by the launches.
	MsPerLaunch float64 `json:"msPerLaunch"`
}

// The layers a CPU sample is charged to. Everything runs in one process
// (callers, API, consumers, localcloud), so a profile of the run answers
// "where does a launch's CPU go" by layer.
const (
	LayerGC        = "garbage collector (background marking)"
	LayerSync      = "disk syncs (fdatasync)"
	LayerSDK       = "AWS SDK clients (build, sign, parse)"
	LayerNet       = "HTTP and loopback network"
	LayerCloud     = "localcloud (the emulator's services)"
	LayerRunner    = "local runner (pollers, invoke, API front)"
	LayerFunctions = "functions (handlers and domain code)"
	LayerOther     = "other (runtime, scheduler)"
)

// layerOf names the layer of one function of a stack, or "" for one that
// belongs to no layer of its own (the runtime, encoding/json, …), whose
// time is charged to the nearest caller that does.
func layerOf(fn string) string {
	switch {
	case strings.HasPrefix(fn, "syscall.Fdatasync"), strings.HasSuffix(fn, "storage.fdatasync"):
		return LayerSync
	case strings.HasPrefix(fn, "github.com/aws/"):
		return LayerSDK
	case strings.HasPrefix(fn, "github.com/eventchain/eventchain/infra/localcloud"):
		return LayerCloud
	case strings.HasPrefix(fn, "github.com/eventchain/eventchain/infra/local."),
		strings.HasPrefix(fn, "github.com/eventchain/eventchain/infra/local/"),
		strings.HasPrefix(fn, "github.com/eventchain/eventchain/bench/"):
		return LayerRunner
	case strings.HasPrefix(fn, "github.com/eventchain/eventchain/internal/"),
		strings.HasPrefix(fn, "github.com/eventchain/eventchain/functions/"),
		strings.HasPrefix(fn, "github.com/aws/aws-lambda-go/"):
		return LayerFunctions
	case strings.HasPrefix(fn, "net/"), strings.HasPrefix(fn, "net."), strings.HasPrefix(fn, "crypto/tls."):
		// Reads and writes (syscall, internal/poll, os) count for their
		// caller: a socket's for the network, a log file's for localcloud.
		return LayerNet
	}
	return ""
}

// Layers charges each sample of a CPU profile to the layer of the
// innermost function on its stack that has one, so that a JSON encoding
// or an allocation counts for whoever asked for it, and background GC
// marking to the garbage collector.
func Layers(raw []byte, launches int) ([]CPUShare, error) {
	p, err := profile.Parse(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("read the CPU profile: %w", err)
	}
	cpu := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			cpu = i
		}
	}
	if cpu < 0 {
		return nil, fmt.Errorf("the profile has no cpu samples")
	}
	ns := map[string]int64{}
	var total int64
	for _, s := range p.Sample {
		v := s.Value[cpu]
		total += v
		ns[sampleLayer(s)] += v
	}
	if total == 0 {
		return nil, fmt.Errorf("the profile holds no CPU time")
	}
	out := make([]CPUShare, 0, len(ns))
	for layer, v := range ns {
		out = append(out, CPUShare{
			Layer:       layer,
			Percent:     math.Round(float64(v)/float64(total)*1000) / 10,
			MsPerLaunch: round3(float64(v) / 1e6 / float64(max(launches, 1))),
		})
	}
	slices.SortFunc(out, func(a, b CPUShare) int {
		if a.MsPerLaunch != b.MsPerLaunch {
			if a.MsPerLaunch > b.MsPerLaunch {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Layer, b.Layer)
	})
	return out, nil
}

// sampleLayer walks a sample's stack from its innermost frame out.
func sampleLayer(s *profile.Sample) string {
	layer := ""
	for _, loc := range s.Location {
		// Inlined functions come innermost first within a location.
		for _, line := range loc.Line {
			if line.Function == nil {
				continue
			}
			name := line.Function.Name
			if strings.HasPrefix(name, "runtime.gcBgMarkWorker") {
				return LayerGC
			}
			if layer == "" {
				layer = layerOf(name)
			}
		}
	}
	if layer == "" {
		return LayerOther
	}
	return layer
}

// cpuProfile profiles this process from start to stop.
type cpuProfile struct {
	buf     bytes.Buffer
	running bool
}

func (c *cpuProfile) start() error {
	if err := pprof.StartCPUProfile(&c.buf); err != nil {
		return fmt.Errorf("start the CPU profile: %w", err)
	}
	c.running = true
	return nil
}

// stop ends the profile and returns it; it is safe to call twice.
func (c *cpuProfile) stop() []byte {
	if c.running {
		pprof.StopCPUProfile()
		c.running = false
	}
	return c.buf.Bytes()
}
