// Command bare is a bare aws-lambda-go handler: no AWS SDK, no
// configuration, nothing done at init. The functions' cold starts are
// measured beside its own (make bench), built the same way, so the
// figures say what the functions add to the runtime's floor.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (map[string]any, error) {
		return map[string]any{"ok": true}, nil
	})
}
