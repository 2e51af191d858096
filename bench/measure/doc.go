// Package measure runs the measurements behind `make bench`, each on the
// real parts: the local mode (infra/local) with its functions and
// localcloud, the AWS SDK over HTTP, and the Lambda Runtime Interface
// Emulator (infra/invoke).
//
//   - RateLimit: the pipeline against an EC2 limited to R calls per second,
//     and in the same run the naive design of a goroutine per request
//     calling RunInstances with the SDK's standard retryer, against a
//     fresh localcloud with the same limit. Both are read at the emulator,
//     from its counters.
//   - Accept: POST /launches at a fixed rate, open loop, and the latency of
//     each 202.
//   - EndToEnd: launches per second from POST to RUNNING, with what each
//     call to localcloud and each invocation cost, for Cost.
//   - ColdStart: each function's bootstrap, and a bare aws-lambda-go
//     handler built the same way, started cold under the RIE.
//   - Cost: AWS list prices applied to what EndToEnd counted.
//
// Every figure is computed from what a run did; the only constants are the
// prices (prices.go) and AWS's documented behaviour they depend on, each
// with its source.
package measure
