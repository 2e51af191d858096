package localcloud

import (
	"encoding/json"
	"net/http"

	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// HealthPath is where the Cloud answers GET with its Health.
const HealthPath = "/_localcloud/health"

// Health is the emulator's state: whether its writes reach the disk, and
// per service what it holds (queues and messages, topics and
// subscriptions, instances, tables and items, alarms), which tells a test
// suite at a glance whether a reset left anything behind.
type Health struct {
	Storage  storage.Status            `json:"storage"`
	Services map[string]map[string]int `json:"services"`
}

// Health reports the Cloud's state.
func (c *Cloud) Health() Health {
	return Health{Storage: c.storage.Status(), Services: map[string]map[string]int{
		"sqs":        c.SQS.Summary(),
		"sns":        c.SNS.Summary(),
		"ec2":        c.EC2.Summary(),
		"dynamodb":   c.DynamoDB.Summary(),
		"cloudwatch": c.CloudWatch.Summary(),
		"sts":        {},
	}}
}

// Storage is the state of the data directory's writes, nil in memory.
// Tests inject write failures through it.
func (c *Cloud) Storage() *storage.State { return c.storage }

// serveHealth answers 200 while writes succeed (or state is in memory)
// and 503 while they fail, so that a plain HTTP probe tells them apart.
func (c *Cloud) serveHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "localcloud health: use GET", http.StatusMethodNotAllowed)
		return
	}
	h := c.Health()
	body, _ := json.Marshal(h)
	w.Header().Set("Content-Type", "application/json")
	if h.Storage.State == "failing" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write(append(body, '\n')) //nolint:errcheck // the client went away
}
