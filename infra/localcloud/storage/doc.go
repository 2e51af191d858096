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
//	SendMessage          6906 → 2343 (34 %)     moto 141
//	ReceiveDeleteBatch  32067 → 8310 (26 %)     moto 31
//	PublishFanout        7078 → 2039 (29 %)     moto 142
//	PublishBatchFanout3 38623 → 20092 (52 %)    moto 77
//	CondUpdateItem       6182 → 2129 (34 %)     moto 131
//	TransactWriteItems   5822 → 2132 (37 %)     moto 54
//	GetItem              6673 → 7542            moto 225
//
// A durable call waits for one fdatasync. On the measuring machine's
// disk an fdatasync of an overwritten block takes 0.25-0.4 ms and about
// 130 µs of kernel CPU (O_DSYNC writes cost the same), while a whole
// in-memory request costs about 270 µs of CPU on the same 2 cores. With
// 4 clients, each waiting for its own answer, the commits hold about one
// request each (the log measured 1.05 writes per sync), so every durable
// request pays a sync's latency and CPU: single writes stay near a third
// of the in-memory rate, whatever the grouping (1, 2 or 4 syncs in
// flight measured the same within the runs' spread), and only batches
// (PublishBatchFanout3) reach half. What would change that is a disk
// whose syncs cost tens of microseconds, or an acknowledgement before
// the sync, which this package does not give.
//
// Two things keep the log's syncs from waiting behind other disk work.
// The next segment is written and synced in the background while the
// current one fills (a 4 MiB segment took 10 ms to create on a quiet disk,
// and every writer waited for it). A fold applies only the writes that
// decide the result (compact): most of a segment's changes are
// overridden within it, and bbolt's writeback of the pages they dirtied
// delayed the log's syncs.
package storage
