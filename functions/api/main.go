// Command api is the HTTP API Lambda function: it only wires the status
// store and the handler of internal/api to the Lambda runtime.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/eventchain/eventchain/internal/api"
	"github.com/eventchain/eventchain/internal/status"
)

func main() {
	ctx := context.Background()
	store, err := status.NewDynamoFromEnv(ctx, os.LookupEnv)
	if err != nil {
		fail(err)
	}
	h, err := api.NewFromEnv(ctx, os.LookupEnv, store, os.Stderr)
	if err != nil {
		fail(err)
	}
	lambda.Start(h.Handle)
}

// fail reports a configuration error at init; Lambda shows it as an init
// failure and retries the cold start.
func fail(err error) {
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("api init failed",
		slog.String("function", "api"), slog.String("error", err.Error()))
	os.Exit(1)
}
