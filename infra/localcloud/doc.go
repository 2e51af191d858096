// Package localcloud is eventchain's local stand-in for the AWS services the
// pipeline uses: SQS (AWS JSON 1.0), SNS and EC2 (query protocols) on one
// HTTP endpoint, so the official SDK clients and the aws CLI talk to it
// unchanged. It is generic: it knows nothing of eventchain.
//
// Each service lives in its own package (sqs, sns, ec2); this package
// builds them over one optional bbolt data directory and dispatches each
// request to the service it is for. Use New to serve the Cloud from an
// http.Server of your own, or Listen to bind a loopback address and serve
// it in the background. The emulator has no authentication, so Listen
// refuses addresses other machines can reach (CheckLoopback).
package localcloud
