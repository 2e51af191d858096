// Package localcloud is eventchain's local stand-in for the AWS services the
// pipeline uses: SQS and DynamoDB (AWS JSON 1.0), SNS, EC2 and STS's
// GetCallerIdentity (query protocols) and CloudWatch's metric alarms (RPC
// v2 CBOR and AWS JSON 1.0) on one HTTP endpoint, so the official SDK
// clients and the aws CLI talk to it unchanged. It is generic: it knows
// nothing of eventchain.
//
// Alarms are live: they read the queues' metrics from SQS in process and
// publish their state changes through SNS's own API, so an alarm on a
// queue's depth changes state as messages arrive and leave, and its
// topic's subscribers receive the notification
// (Options.AlarmPeriodScale shortens the periods).
//
// Each service lives in its own package (sqs, sns, ec2, sts, dynamodb,
// cloudwatch) and keeps only its behaviour; the wire — routing, decoding, encoding, errors in
// each protocol, body limits — is package internal/awsproto. A request
// for a service localcloud does not emulate gets an error in its own
// protocol saying so. This package builds the services over one optional
// bbolt data directory and dispatches each request to the service it is
// for. Use New to serve the Cloud from an
// http.Server of your own, or Listen to bind a loopback address and serve
// it in the background. The emulator has no authentication, so Listen
// refuses addresses other machines can reach (CheckLoopback).
//
// Faults can be injected into any operation of any service (package
// faults): the next N calls answer an AWS error code, with AWS's status,
// in the service's own protocol, so SDK clients parse and retry it as
// they would a real one; SNS deliveries to an endpoint can be made to
// fail, sending them to the subscription's dead-letter queue. They are
// changed in process (InjectFaults, ClearFaults) or over HTTP at
// FaultsPath, beside the health check at HealthPath.
//
// Reset (ResetPath, and MotoResetPath for suites written for moto's
// server mode) wipes state between tests through each service's own
// delete paths, so memory and disk agree and a failed write rolls back
// as any other does.
package localcloud
