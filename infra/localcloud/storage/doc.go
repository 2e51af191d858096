// Package storage holds what the services of a data directory share
// about keeping their state on disk: the write-ahead log every
// acknowledged change goes through (Log), opening the bbolt database it
// is folded into without ever losing its content quietly, and the state
// of the writes.
//
// Nothing is discarded silently. OpenDB refuses a database that is empty,
// cut short or fails bbolt's consistency check with a *Damage naming the
// file, the byte offset and what was found there; bbolt's panics and
// faults on such files become that error. With salvage, the damaged file
// is moved aside (never deleted), what can be read is copied into a new
// database and what could not be is logged. OpenDB also compacts a
// database whose free pages outweigh its data, since bbolt never shrinks
// its file.
//
// State records failed writes: the first of a run is logged once with
// its cause, the health endpoint reports it, and tests inject failures
// through it (InjectFault) instead of filling a disk.
//
// # Group commit: the log, not bbolt's Batch
//
// A write is acknowledged only once it is on disk. Two ways of sharing
// that cost between concurrent requests were measured with
// BenchmarkWorkloads (4 SDK clients, 2000 operations, messages per
// second, memory → data directory):
//
//	                     SQS log + group commit    bbolt DB.Batch
//	SendMessage          2598 → 1352 (52%)          2745 → 227 (8%)
//	ReceiveDeleteBatch   7246 → 4310 (59%)          5938 → 1069 (18%)
//	PublishFanout         993 →  933 (94%)           980 → 208 (21%)
//	PublishBatchFanout3  5303 → 6231 (117%)         5905 → 3122 (53%)
//
// A bbolt commit syncs twice and rewrites whole pages; appending a
// commit's frame to a preallocated log segment syncs data once. The log
// keeps durable mode at half the speed of memory or better on every
// workload, bbolt's Batch does not, so the write-ahead log (log.go,
// wal.go) is the storage for acknowledged writes and bbolt is where the
// log is folded. It began as SQS's own; every service of a data directory
// now writes through one Log (localcloud opens it and hands it to each),
// so one sync acknowledges the writes of all of them — an SNS publish and
// its deliveries, a DynamoDB update and the SQS messages of the same
// moment — and replay, damage checks and salvage are the same for all.
package storage
