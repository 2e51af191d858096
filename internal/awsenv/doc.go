// Package awsenv reads what every function builds from its settings, the
// AWS SDK configuration and the logger, from a lookup function
// (os.LookupEnv in Lambda, the template's resolved Environment in local
// mode), never from process-wide state, so several functions with
// different settings can share one process.
package awsenv
