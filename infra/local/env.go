package local

import (
	"context"
	"fmt"
	"log/slog"
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/eventchain/eventchain/infra/samtemplate"
)

// What another host of the template's functions needs from local mode, so
// that it runs them with the same settings, on the same topology and with
// the same routes as `eventchain run` (`eventchain invoke` runs one
// function's bootstrap under the Lambda Runtime Interface Emulator).

// FunctionEnv is a function's environment in local mode: its resolved
// template Environment plus what Lambda's runtime sets, with dummy
// credentials and every SDK client pointed at localcloud (cloudURL). The
// template's variables win over the runtime's, as they do in Lambda for
// the variables it lets a template set.
func FunctionEnv(t *samtemplate.Resolved, f samtemplate.Function, cloudURL string) map[string]string {
	env := map[string]string{
		"AWS_ENDPOINT_URL":                cloudURL,
		"AWS_REGION":                      t.Region,
		"AWS_DEFAULT_REGION":              t.Region,
		"AWS_ACCESS_KEY_ID":               "test",
		"AWS_SECRET_ACCESS_KEY":           "test",
		"AWS_LAMBDA_FUNCTION_NAME":        f.FunctionName,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": fmt.Sprint(f.MemorySize),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     fmt.Sprint(f.Timeout),
	}
	maps.Copy(env, f.Environment)
	return env
}

// Provision creates in localcloud (cfg's endpoint) what the template
// declares, as `eventchain run` does at start: queues, topics, filtered
// subscriptions and DynamoDB tables. It is idempotent.
func Provision(ctx context.Context, cfg aws.Config, t *samtemplate.Resolved, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := provision(ctx, cfg, t, logger); err != nil {
		return fmt.Errorf("create the template's topology in localcloud: %w", err)
	}
	if err := provisionTables(ctx, cfg, t); err != nil {
		return fmt.Errorf("create the template's tables in localcloud: %w", err)
	}
	return nil
}

// Routes are a function's HttpApi events, as the local front serves them.
func Routes(f samtemplate.Function) []Route {
	var routes []Route
	for _, ev := range f.HTTPEvents {
		routes = append(routes, Route{Method: ev.Method, Path: ev.Path})
	}
	return routes
}

// MatchRoute finds the route API Gateway picks for a request, as the local
// front does: the most specific route, then $default. It returns the
// route key ("GET /launches/{requestId}", "$default") and the path
// parameters.
func MatchRoute(routes []Route, method, path string) (routeKey string, params map[string]string, ok bool) {
	return matchRoute(routes, method, path)
}
