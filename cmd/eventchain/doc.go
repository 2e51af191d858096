// Command eventchain is the project's command line: `eventchain <command>
// [flags]`. Each command lives in its own file; main.go only dispatches on
// the first argument.
//
//	eventchain docs    print the event catalog as Markdown (docs/events.md)
package main
