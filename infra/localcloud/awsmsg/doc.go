// Package awsmsg holds the message attribute shape that SNS and SQS share,
// so that the emulated SNS can hand a message to the emulated SQS in-process.
package awsmsg
