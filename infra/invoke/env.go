package invoke

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/eventchain/eventchain/infra/samtemplate"
)

// EnvVars is a file of `sam local invoke --env-vars`: {"Parameters":
// {NAME: value}} for every function, and {"<LogicalId>": {NAME: value}}
// for one (its FunctionName works too), the function's own winning.
type EnvVars map[string]map[string]string

// ReadEnvVars reads an --env-vars file. Values may be strings, numbers or
// booleans, which SAM turns into their text.
func ReadEnvVars(r io.Reader) (EnvVars, error) {
	var raw map[string]map[string]json.RawMessage
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("env vars: want {\"Parameters\": {NAME: value}, \"<LogicalId>\": {NAME: value}}: %w", err)
	}
	out := EnvVars{}
	for scope, vars := range raw {
		out[scope] = map[string]string{}
		for name, v := range vars {
			s, err := envValue(v)
			if err != nil {
				return nil, fmt.Errorf("env vars: %s.%s: %w", scope, name, err)
			}
			out[scope][name] = s
		}
	}
	return out, nil
}

func envValue(v json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return "", err
	}
	switch x := x.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("want a string, number or boolean, got %s", v)
}

// Apply overrides f's variables in env: "Parameters" first, then the
// function's own object. As in SAM, only variables the template declares
// for the function are set; Apply returns the others, which it ignored.
func (e EnvVars) Apply(env map[string]string, f samtemplate.Function) (ignored []string) {
	own, ok := e[f.LogicalID]
	if !ok {
		own = e[f.FunctionName]
	}
	for _, vars := range []map[string]string{e["Parameters"], own} {
		for _, name := range slices.Sorted(maps.Keys(vars)) {
			if _, declared := f.Environment[name]; !declared {
				if !slices.Contains(ignored, name) {
					ignored = append(ignored, name)
				}
				continue
			}
			env[name] = vars[name]
		}
	}
	return ignored
}
