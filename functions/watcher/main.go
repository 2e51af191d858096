// Command watcher is the watcher Lambda function (it consumes
// instance.launched and waits for the instances to run): it only wires the
// status store (read only: the watcher leaves closed requests alone) and
// the handler of internal/watcher to the Lambda runtime.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/watcher"
)

func main() {
	ctx := context.Background()
	store, err := status.NewDynamoFromEnv(ctx, os.LookupEnv)
	if err != nil {
		fail(err)
	}
	h, err := watcher.NewFromEnv(ctx, os.LookupEnv, store, os.Stderr)
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
