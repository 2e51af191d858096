// Package local runs the eventchain pipeline on one machine: it reads
// template.yaml, creates the topology in localcloud, hosts the functions
// in-process with Lambda's semantics (context, deadline, reserved
// concurrency, panics), polls their SQS queues as Lambda's event source
// mapping does, and fronts the API function with an HTTP server shaped like
// `sam local start-api`.
package local
