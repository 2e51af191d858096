// Command eventchain is the project's command line: `eventchain <command>
// [flags]`. Each command lives in its own file; main.go only dispatches on
// the first argument.
//
//	eventchain run          the whole pipeline locally (make run)
//	eventchain localcloud   the SQS, SNS and EC2 emulator alone
//	eventchain docs         print the event catalog as Markdown (docs/events.md)
package main
