package localcloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Reset paths. MotoResetPath is the one moto's server mode answers, so
// that a test suite written for moto switches to localcloud by changing
// its endpoint alone.
const (
	ResetPath     = "/_localcloud/reset"
	MotoResetPath = "/moto-api/reset"
)

// resetters are the services Reset knows, in the order it resets them:
// CloudWatch first, so that no alarm notification starts towards a topic
// about to go, then SNS, so that no delivery starts towards a queue about
// to go. STS holds no state.
func (c *Cloud) resetters() []struct {
	name  string
	reset func() error
} {
	return []struct {
		name  string
		reset func() error
	}{
		{"cloudwatch", c.CloudWatch.Reset},
		{"sns", c.SNS.Reset},
		{"sqs", c.SQS.Reset},
		{"ec2", c.EC2.Reset},
		{"dynamodb", c.DynamoDB.Reset},
	}
}

// errUnknownService marks a reset naming a service localcloud does not
// reset: the caller's mistake, answered 400.
var errUnknownService = errors.New("unknown service")

// ResetServices lists the services Reset accepts by name.
func (c *Cloud) ResetServices() []string {
	var names []string
	for _, r := range c.resetters() {
		names = append(names, r.name)
	}
	return names
}

// Reset wipes the state of the named services (all when none is named),
// in memory and on disk, through each service's own delete paths: every
// queue with its messages and move tasks, every topic and subscription,
// every instance, every table with its items, every alarm with its
// history. Injected faults stay; they are cleared through FaultsPath.
func (c *Cloud) Reset(services ...string) error {
	known := c.ResetServices()
	for _, name := range services {
		if !slices.Contains(known, name) {
			return fmt.Errorf("reset: %w %q; localcloud resets %s", errUnknownService, name, strings.Join(known, ", "))
		}
	}
	var errs []error
	for _, r := range c.resetters() {
		if len(services) == 0 || slices.Contains(services, r.name) {
			errs = append(errs, r.reset())
		}
	}
	return errors.Join(errs...)
}

// serveReset answers POST on ResetPath and MotoResetPath, resetting the
// services named by ?service= (repeated or comma-separated; all when
// absent), with a JSON body listing them.
func (c *Cloud) serveReset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "localcloud reset: use POST"})
		return
	}
	var services []string
	for _, v := range r.URL.Query()["service"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				services = append(services, name)
			}
		}
	}
	if err := c.Reset(services...); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, errUnknownService) {
			status = http.StatusBadRequest
		}
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	if len(services) == 0 {
		services = c.ResetServices()
	}
	writeJSON(w, http.StatusOK, map[string]any{"reset": services})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n')) //nolint:errcheck // the client went away
}
