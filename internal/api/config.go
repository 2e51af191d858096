package api

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/eventchain/eventchain/internal/awsenv"
)

// Setting names read by LoadConfig (template.yaml sets them).
const (
	EnvEventsTopicARN         = "EVENTS_TOPIC_ARN"
	EnvAllowedInstanceTypes   = "ALLOWED_INSTANCE_TYPES"
	EnvAllowedImageIDs        = "ALLOWED_IMAGE_IDS"
	EnvMaxInstancesPerRequest = "MAX_INSTANCES_PER_REQUEST"
	EnvIdempotencyTTLHours    = "IDEMPOTENCY_TTL_HOURS"
)

// Defaults (docs/architecture.md, "Names").
var DefaultAllowedInstanceTypes = []string{"t3.micro", "t3.small", "t4g.micro", "t4g.small"}

const (
	DefaultMaxInstancesPerRequest = 10
	DefaultIdempotencyTTLHours    = 24
)

// Config is the API function's configuration.
type Config struct {
	EventsTopicARN       string
	AllowedInstanceTypes []string
	// AllowedImageIDs empty means any well-formed image id.
	AllowedImageIDs        []string
	MaxInstancesPerRequest int
	IdempotencyTTLHours    int
}

// LoadConfig reads the configuration from lookup. EVENTS_TOPIC_ARN is
// required; the rest have defaults. A malformed value is an error, never
// silently replaced by its default.
func LoadConfig(lookup awsenv.Lookup) (Config, error) {
	topic, err := awsenv.Required(lookup, EnvEventsTopicARN)
	if err != nil {
		return Config{}, fmt.Errorf("api config: %w", err)
	}
	cfg := Config{
		EventsTopicARN:         topic,
		AllowedInstanceTypes:   DefaultAllowedInstanceTypes,
		MaxInstancesPerRequest: DefaultMaxInstancesPerRequest,
		IdempotencyTTLHours:    DefaultIdempotencyTTLHours,
	}
	if v := commaList(lookup, EnvAllowedInstanceTypes); len(v) > 0 {
		cfg.AllowedInstanceTypes = v
	}
	cfg.AllowedImageIDs = commaList(lookup, EnvAllowedImageIDs)
	for _, id := range cfg.AllowedImageIDs {
		if !validImageID(id) {
			return Config{}, fmt.Errorf("api config: %s: %q is not an image id (ami- and 8 or 17 hex digits)", EnvAllowedImageIDs, id)
		}
	}
	if cfg.MaxInstancesPerRequest, err = positiveInt(lookup, EnvMaxInstancesPerRequest, cfg.MaxInstancesPerRequest); err != nil {
		return Config{}, err
	}
	if cfg.IdempotencyTTLHours, err = positiveInt(lookup, EnvIdempotencyTTLHours, cfg.IdempotencyTTLHours); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func commaList(lookup awsenv.Lookup, key string) []string {
	v, _ := lookup(key)
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func positiveInt(lookup awsenv.Lookup, key string, def int) (int, error) {
	v, ok := lookup(key)
	if !ok || strings.TrimSpace(v) == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("api config: %s=%q: want a positive integer", key, v)
	}
	return n, nil
}
