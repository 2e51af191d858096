// Package cloudwatch emulates Amazon CloudWatch's metric alarms over the
// wire protocols current clients speak: Smithy RPC v2 CBOR (POST
// /service/GraniteServiceVersion20100801/operation/<Op>, the Go SDK) and
// AWS JSON 1.0 (X-Amz-Target: GraniteServiceVersion20100801.<Op>, newer
// botocore and the aws CLI), both with CloudWatch's awsQueryCompatible
// error codes.
//
// Alarms are live. An alarm on an AWS/SQS queue metric
// (ApproximateNumberOfMessagesVisible, ApproximateAgeOfOldestMessage, with
// the dimension QueueName) samples the queue through Queues several times
// per period, turns the samples of each period into one datapoint with
// the alarm's statistic, and at the end of each period evaluates the most
// recent datapoints as CloudWatch documents it (Period, EvaluationPeriods,
// DatapointsToAlarm, Threshold, ComparisonOperator, and TreatMissingData
// for the periods without data). Any other metric has no data here, so
// its alarms follow their missing-data treatment. Options.PeriodScale
// shortens every period for local runs and tests.
//
// A state change is recorded in the alarm's history and, when actions are
// enabled, published to the SNS topics of the new state's actions
// (AlarmActions, OKActions, InsufficientDataActions) in CloudWatch's alarm
// notification format, subject and all; each publish is an Action item of
// the history. With a data directory, alarms (configuration, state, tags)
// and their history are in its write-ahead log (package storage) before
// the response that acknowledges them; datapoints are not kept, as they
// are read from the live queues again.
//
// Files: wire.go declares the operation table and the shapes of inputs and
// outputs, errors.go the errors, alarm.go the model and its rules;
// alarms.go and tags.go hold the operations on alarms, history.go the
// history and its operation, evaluate.go the sampling and the evaluation,
// reason.go the state reasons, notify.go the notifications and their
// delivery, store.go the state on disk.
package cloudwatch
