package launcher

import (
	"fmt"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/consumer"
)

// Defaults for settings the template may leave out.
const (
	DefaultRatePerSecond = 2.0
	DefaultConcurrency   = 2
)

// RetryWindow is how long a launch that keeps failing transiently is
// retried before its request fails: the launch queue's maxReceiveCount
// must be at least consumer.DefaultBackoff.ReceivesFor(RetryWindow), 18
// (the arithmetic is in consumer.DefaultBackoff's comment), so that the
// last receive, which ends the request with RetriesExhausted, comes no
// sooner whatever the jitter. Capacity shortages and EC2 incidents
// commonly last minutes; a request failed sooner would only be retried by
// its caller.
const RetryWindow = 10 * time.Minute

// Config is the launcher's configuration.
type Config struct {
	EventsTopicARN string // EVENTS_TOPIC_ARN: where instance.launched and launch.failed go
	QueueURL       string // QUEUE_URL: the launch queue
	DLQURL         string // DLQ_URL: its dead-letter queue
	// RatePerSecond is the RunInstances rate allowed to all launcher
	// instances together (LAUNCH_RATE_PER_SECOND).
	RatePerSecond float64
	// Concurrency is the launcher's reserved concurrency
	// (LAUNCHER_CONCURRENCY); each instance paces itself at
	// RatePerSecond / Concurrency.
	Concurrency int
	// MaxReceiveCount is the launch queue's maxReceiveCount
	// (LAUNCH_MAX_RECEIVE_COUNT; 0 when unset: no receive is treated as
	// the last). On the last receive a launch that would be retried ends
	// the request with launch.failed (RetriesExhausted) instead, so the
	// request does not stay ACCEPTED once the record is dead-lettered.
	MaxReceiveCount int
	// Backoff is the retry schedule of transient failures (the zero
	// value is consumer.DefaultBackoff; consumer.LoadBackoff reads it).
	Backoff consumer.Backoff
}

// LoadConfig reads the launcher's settings.
func LoadConfig(lookup awsenv.Lookup) (Config, error) {
	cfg := Config{RatePerSecond: DefaultRatePerSecond, Concurrency: DefaultConcurrency}
	var err error
	if cfg.EventsTopicARN, err = awsenv.Required(lookup, "EVENTS_TOPIC_ARN"); err != nil {
		return Config{}, err
	}
	cfg.QueueURL, _ = lookup("QUEUE_URL")
	cfg.DLQURL, _ = lookup("DLQ_URL")
	if v, ok := lookup("LAUNCH_RATE_PER_SECOND"); ok && v != "" {
		if cfg.RatePerSecond, err = strconv.ParseFloat(v, 64); err != nil || cfg.RatePerSecond <= 0 {
			return Config{}, fmt.Errorf("LAUNCH_RATE_PER_SECOND %q: want a positive number", v)
		}
	}
	if v, ok := lookup("LAUNCHER_CONCURRENCY"); ok && v != "" {
		if cfg.Concurrency, err = strconv.Atoi(v); err != nil || cfg.Concurrency < 1 {
			return Config{}, fmt.Errorf("LAUNCHER_CONCURRENCY %q: want a positive integer", v)
		}
	}
	if v, ok := lookup("LAUNCH_MAX_RECEIVE_COUNT"); ok && v != "" {
		if cfg.MaxReceiveCount, err = strconv.Atoi(v); err != nil || cfg.MaxReceiveCount < 1 {
			return Config{}, fmt.Errorf("LAUNCH_MAX_RECEIVE_COUNT %q: want a positive integer", v)
		}
	}
	if cfg.Backoff, err = consumer.LoadBackoff(lookup); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// PerInstanceRate is the pacer's rate: this instance's share of the limit.
func (c Config) PerInstanceRate() rate.Limit {
	return rate.Limit(c.RatePerSecond / float64(c.Concurrency))
}
