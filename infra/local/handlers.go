package local

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/eventchain/eventchain/internal/api"
	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/launcher"
	"github.com/eventchain/eventchain/internal/notifier"
	"github.com/eventchain/eventchain/internal/status"
	"github.com/eventchain/eventchain/internal/watcher"
)

// handlers builds each function's handler by its short name (the template's
// logical id without "Function", as functions/<name> is named), exactly as
// its main.go does in Lambda, but with the template's resolved Environment
// as lookup (its status store is DynamoDB in localcloud, through its own
// STATUS_TABLE), and the runner's reader of the function's log in place of
// stderr. lambda.NewHandler wraps the handler as lambda.Start does, so the
// runner invokes it through Lambda's bytes contract, JSON in and JSON out,
// and a payload or answer that does not survive JSON fails here as it
// would deployed.
var handlers = map[string]func(ctx context.Context, lookup awsenv.Lookup, store status.Store, logs io.Writer) (lambda.Handler, error){
	"api": func(ctx context.Context, lookup awsenv.Lookup, store status.Store, logs io.Writer) (lambda.Handler, error) {
		h, err := api.NewFromEnv(ctx, lookup, store, logs)
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(h.Handle), nil
	},
	"launcher": func(ctx context.Context, lookup awsenv.Lookup, store status.Store, logs io.Writer) (lambda.Handler, error) {
		h, err := launcher.NewFromEnv(ctx, lookup, store, logs)
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(h.Handle), nil
	},
	"watcher": func(ctx context.Context, lookup awsenv.Lookup, store status.Store, logs io.Writer) (lambda.Handler, error) {
		h, err := watcher.NewFromEnv(ctx, lookup, store, logs)
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(h.Handle), nil
	},
	"notifier": func(ctx context.Context, lookup awsenv.Lookup, store status.Store, logs io.Writer) (lambda.Handler, error) {
		h, err := notifier.NewFromEnv(ctx, lookup, store, logs)
		if err != nil {
			return nil, err
		}
		return lambda.NewHandler(h.Handle), nil
	},
}

// buildHandler runs what a function's main does before lambda.Start: the
// init of one execution environment.
func buildHandler(ctx context.Context, name string, lookup awsenv.Lookup, logs io.Writer) (lambda.Handler, error) {
	build, ok := handlers[name]
	if !ok {
		return nil, fmt.Errorf("template function %q has no handler in this build (known: api, launcher, watcher, notifier)", name)
	}
	store, err := status.NewDynamoFromEnv(ctx, lookup)
	if err != nil {
		return nil, err
	}
	return build(ctx, lookup, store, logs)
}
