package invoke

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/eventchain/eventchain/infra/local"
	"github.com/eventchain/eventchain/infra/localcloud"
	"github.com/eventchain/eventchain/infra/samtemplate"
)

// Package is a function's main package, as the Makefile's build targets
// name it: functions/<short name>.
func Package(f samtemplate.Function) string { return "./functions/" + f.Name }

// Environment is the function's environment under the RIE: what local
// mode gives it (infra/local.FunctionEnv: its template variables, dummy
// credentials, every SDK client pointed at cloudURL), with vars applied
// over its template variables. It returns the names of vars it ignored.
func Environment(t *samtemplate.Resolved, f samtemplate.Function, cloudURL string, vars EnvVars) (env map[string]string, ignored []string) {
	env = local.FunctionEnv(t, f, cloudURL)
	return env, vars.Apply(env, f)
}

// Services lists the AWS services a function calls, from the actions its
// policies allow ("SNS", "DynamoDB", …).
func Services(f samtemplate.Function) []string {
	names := map[string]string{"sns": "SNS", "sqs": "SQS", "dynamodb": "DynamoDB", "ec2": "EC2", "sts": "STS"}
	var out []string
	for _, st := range f.Policies {
		for _, a := range st.Action {
			prefix, _, _ := strings.Cut(a, ":")
			name, ok := names[prefix]
			if !ok {
				name = prefix
			}
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// CloudReachable reports whether localcloud answers at cloudURL.
func CloudReachable(ctx context.Context, cloudURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cloudURL, "/")+localcloud.HealthPath, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answers %s", localcloud.HealthPath, resp.Status)
	}
	return nil
}
