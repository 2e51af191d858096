// Command launcher is the launcher Lambda function (it consumes launch.requested and starts EC2 instances): it only wires the
// status store and the handler of internal/launcher to the Lambda runtime.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/eventchain/eventchain/internal/launcher"
	"github.com/eventchain/eventchain/internal/status"
)

func main() {
	ctx := context.Background()
	store, err := status.NewDynamoFromEnv(ctx, os.LookupEnv)
	if err != nil {
		fail(err)
	}
	h, err := launcher.NewFromEnv(ctx, os.LookupEnv, store, os.Stderr)
	if err != nil {
		fail(err)
	}
	lambda.Start(h.Handle)
}

// fail reports a configuration error at init; Lambda shows it as an init
// failure and retries the cold start.
func fail(err error) {
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("launcher init failed",
		slog.String("function", "launcher"), slog.String("error", err.Error()))
	os.Exit(1)
}
