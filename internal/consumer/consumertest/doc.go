// Package consumertest provides test doubles for code built on package
// consumer: an in-memory Queue that records dead letters and visibility
// changes, and a loader for the SQS event fixtures under events/.
package consumertest
