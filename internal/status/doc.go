// Package status records launch requests and their progress: a forward-only
// status with an appended history, and the Idempotency-Key claims that make
// a retried POST return the first request's id. One driver implements it,
// on DynamoDB, deployed and in the local mode alike (localcloud's
// DynamoDB); its conformance suite runs on localcloud and on moto_server.
package status
