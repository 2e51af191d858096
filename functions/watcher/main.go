// Command watcher is the watcher Lambda function (it consumes
// instance.launched and waits for the instances to run): it only wires the
// handler of internal/watcher to the Lambda runtime. The watcher never
// touches the status store, so none is built (and the function needs no
// table permission).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/eventchain/eventchain/internal/watcher"
)

func main() {
	ctx := context.Background()
	h, err := watcher.NewFromEnv(ctx, os.LookupEnv, nil)
	if err != nil {
		fail(err)
	}
	lambda.Start(h.Handle)
}

// fail reports a configuration error at init; Lambda shows it as an init
// failure and retries the cold start.
func fail(err error) {
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("watcher init failed",
		slog.String("function", "watcher"), slog.String("error", err.Error()))
	os.Exit(1)
}
