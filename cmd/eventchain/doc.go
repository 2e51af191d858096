// Command eventchain is the project's command line: `eventchain <command>
// [flags]`. Each command lives in its own file; main.go only dispatches on
// the first argument.
//
//	eventchain run          the whole pipeline locally (make run)
//	eventchain localcloud   the AWS emulator alone (SQS, SNS, EC2, DynamoDB, STS, CloudWatch alarms)
//	eventchain dlq          list, show, redrive, purge, export and import dead letters
//	eventchain trace        one request's timeline, its retries and where it is now
//	eventchain console      the chain live in a browser: requests, dead letters, EC2
//	eventchain invoke       one function's bootstrap under the Lambda Runtime Interface Emulator
//	eventchain event        an event in a function's input shape (the fixtures of events/)
//	eventchain validate     the template's rules, then cfn-lint
//	eventchain docs         print the event catalog as Markdown (docs/events.md)
package main
