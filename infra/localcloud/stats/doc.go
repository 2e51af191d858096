// Package stats counts what the emulator does, per operation and per
// resource, so that tests and benchmarks can read how many calls were made,
// how many were throttled and how many messages went in and out.
package stats
