// Package report turns the driver's results into what people read: the
// Markdown tables of bench/results.md and the rate-limit chart.
package report

import (
	"errors"
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/eventchain/eventchain/bench/measure"
)

// Colours of the chart's designs, told apart by hue and, for the throttled
// calls, by dashes, so the chart reads in grey too.
var (
	pipelineColour = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	naiveColour    = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	limitColour    = color.RGBA{A: 0xff}
	dashes         = []vg.Length{vg.Points(5), vg.Points(3)}
)

// zoom is how far above the limit the lower panel reaches: the naive
// design's burst is tens of times the limit, which would flatten the
// pipeline's line against the axis.
const zoom = 2.5

// Chart draws the rate-limit run to a PNG at path: RunInstances calls per
// second over time for both designs, the throttled ones dashed, against
// the limit; the upper panel at full scale, the lower one around the
// limit.
func Chart(r *measure.RateLimitResult, path string) error {
	full, err := ratePlot(r)
	if err != nil {
		return err
	}
	full.Title.Text = fmt.Sprintf("RunInstances against an EC2 limit of %g calls/s (burst %d), %d launches posted at once", r.LimitPerSecond, r.Burst, r.Launches)
	near, err := ratePlot(r)
	if err != nil {
		return err
	}
	near.Title.Text = "the same, around the limit"
	near.Y.Max = zoom * r.LimitPerSecond
	near.Legend = plot.NewLegend() // one legend, on the upper panel

	img := vgimg.New(10*vg.Inch, 8*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8), PadY: vg.Points(16)}
	canvases := plot.Align([][]*plot.Plot{{full}, {near}}, tiles, dc)
	full.Draw(canvases[0][0])
	near.Draw(canvases[1][0])

	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		return errors.Join(fmt.Errorf("chart: write %s: %w", path, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("chart: write %s: %w", path, err)
	}
	return nil
}

// ratePlot is one panel: both designs' series and the limit.
func ratePlot(r *measure.RateLimitResult) (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text = "seconds since the design's first RunInstances call"
	p.Y.Label.Text = "calls per second (over the last second)"
	p.Legend.Top = true
	p.Add(plotter.NewGrid())

	end := 0.0
	for _, run := range []measure.DesignRun{r.Pipeline, r.Naive} {
		if n := len(run.Series); n > 0 {
			end = max(end, run.Series[n-1].At)
		}
	}
	limit, err := plotter.NewLine(plotter.XYs{{X: 0, Y: r.LimitPerSecond}, {X: end, Y: r.LimitPerSecond}})
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	limit.Color, limit.Width, limit.Dashes = limitColour, vg.Points(1), []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(limit)
	p.Legend.Add(fmt.Sprintf("limit: %g calls/s", r.LimitPerSecond), limit)

	for _, d := range []struct {
		run    measure.DesignRun
		label  string
		colour color.Color
	}{
		{r.Pipeline, "pipeline (queue, paced launcher)", pipelineColour},
		{r.Naive, "naive (goroutine per request, SDK retries)", naiveColour},
	} {
		if len(d.run.Series) == 0 {
			return nil, fmt.Errorf("chart: the %s run has no series", d.run.Design)
		}
		calls, throttled := make(plotter.XYs, len(d.run.Series)), make(plotter.XYs, len(d.run.Series))
		for i, s := range d.run.Series {
			calls[i] = plotter.XY{X: s.At, Y: s.CallsPerSecond}
			throttled[i] = plotter.XY{X: s.At, Y: s.ThrottledPerSecond}
		}
		all, err := plotter.NewLine(calls)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		all.Color, all.Width = d.colour, vg.Points(1.5)
		thr, err := plotter.NewLine(throttled)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		thr.Color, thr.Width, thr.Dashes = d.colour, vg.Points(1), dashes
		p.Add(all, thr)
		p.Legend.Add(d.label+": all calls", all)
		p.Legend.Add(d.label+": RequestLimitExceeded", thr)
	}
	p.Y.Min = 0
	return p, nil
}
