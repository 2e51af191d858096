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
// commit's frame to a preallocated log segment syncs data once, so the log
// is the storage for acknowledged writes and bbolt is where the log is
// folded. It began as SQS's own; every service of a data directory now
// writes through one Log (localcloud opens it and hands it to each), so
// one sync acknowledges the writes of all of them — an SNS publish and
// its deliveries, a DynamoDB update and the SQS messages of the same
// moment — and replay, damage checks and salvage are the same for all.
//
// With the shared log, the same 4 SDK clients (median of three runs of
// make bench, 2 cores, operations or messages per second, memory →
// data directory, and moto_server):
//
//	SendMessage          7429 → 2098 (28 %)     moto 158
//	ReceiveDeleteBatch  27733 → 8987 (32 %)     moto 30
//	PublishFanout        6860 → 1916 (28 %)     moto 144
//	PublishBatchFanout3 41317 → 21677 (52 %)    moto 94
//	CondUpdateItem       6453 → 2262 (35 %)     moto 164
//	TransactWriteItems   6489 → 2310 (36 %)     moto 59
//	GetItem              6454 → 7804            moto 231
//
// A durable call waits for one fdatasync, about 1 ms on the measuring
// machine's disk even with four overlapping (BenchmarkCommit): with 4
// clients, each waiting for its own answer, a durable workload of single
// writes is bounded near 4 / (its memory latency + 1 ms), whatever the
// grouping, and only batches (PublishBatchFanout3) reach half the
// in-memory rate.
package storage
