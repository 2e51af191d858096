//go:build race

package local

// raceDetector: the race detector slows the pipeline several times over,
// which time budgets must allow for.
const raceDetector = true
