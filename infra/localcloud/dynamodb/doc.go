// Package dynamodb emulates Amazon DynamoDB over its AWS JSON 1.0 wire
// protocol (X-Amz-Target: DynamoDB_20120810.<Op>): tables with global and
// local secondary indexes, single-item reads and writes with condition,
// update and projection expressions and every ReturnValues, batches,
// transactions, Query and Scan with pagination, tags and time to live.
// Attribute values are package attr, expressions package expr.
//
// Every write holds the service's lock while it checks its conditions and
// changes memory, so each PutItem, UpdateItem, DeleteItem, batch and
// transaction is atomic and isolated from all others, as DynamoDB makes
// them per item and per transaction. Tables are ACTIVE as soon as they
// are created; capacity settings are kept and reported, never enforced.
// Expired items are deleted by a background sweep (Options.TTLInterval,
// a second by default, where DynamoDB takes up to days); until then reads
// return them, as DynamoDB's do.
//
// # Storage
//
// With Options.DB, every change an answer acknowledges is on disk
// before the answer is written, in the data directory's write-ahead log
// (package storage), which is folded into bbolt: tables in one bucket,
// each table's items in a bucket of its own, keyed by the encoded primary
// key, in DynamoDB JSON. Commits are grouped: writes queue while a group
// is being synced and share the next one, and the log groups them with
// every other service's writes, so a burst costs one sync per group, not
// per request. A commit that fails is undone in memory (with every write
// queued behind it, newest first) and answered with an
// InternalServerError, and storage.State reports it. Reads never touch
// the disk: the state is loaded at start.
//
// Not emulated: PartiQL, streams, backups and exports, global tables,
// the legacy non-expression parameters (Expected, AttributeUpdates,
// KeyConditions, QueryFilter, ScanFilter, AttributesToGet),
// ReturnConsumedCapacity and ReturnItemCollectionMetrics (accepted,
// answered with nothing), throttling. TransactWriteItems' ClientRequestToken
// is honoured for ten minutes, but in memory: a restart forgets it.
//
// Files: wire.go declares the operation table and the shapes of inputs
// and outputs, errors.go the errors, decode.go reading items and
// expressions; table.go holds the table model and its key rules,
// index.go the ordering Query and Scan walk; the operations are in
// tables.go, items.go, batch.go, transact.go and query.go (Query and
// Scan); idempotency.go remembers transaction tokens, ttl.go is the
// expiry sweep and store.go keeps state on disk.
package dynamodb
