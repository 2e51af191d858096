package watcher

import (
	"fmt"
	"strconv"
	"time"

	"github.com/eventchain/eventchain/internal/awsenv"
	"github.com/eventchain/eventchain/internal/consumer"
)

// Defaults for settings the template may leave out.
const (
	DefaultTimeout     = 600 * time.Second
	DefaultBackoffBase = 5 * time.Second
	DefaultBackoffMax  = 60 * time.Second
)

// Config is the watcher's configuration.
type Config struct {
	EventsTopicARN string        // EVENTS_TOPIC_ARN
	QueueURL       string        // QUEUE_URL: the watch queue (visibility changes)
	DLQURL         string        // DLQ_URL
	Timeout        time.Duration // WATCH_TIMEOUT_SECONDS
	// BackoffBase and BackoffMax shape the wait for instances still
	// booting (WATCH_BACKOFF_BASE_SECONDS, WATCH_BACKOFF_MAX_SECONDS).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Retry is the retry schedule of errors (throttling, EC2 service
	// errors, timeouts): the consumer's one schedule (the zero value is
	// consumer.DefaultBackoff; consumer.LoadBackoff reads it).
	Retry consumer.Backoff
	// MaxReceiveCount is the watch queue's maxReceiveCount
	// (WATCH_MAX_RECEIVE_COUNT; 0 when unset: no receive budget is
	// enforced). From receive MaxReceiveCount-1 on the watcher stops
	// waiting and takes the timeout path, so a record whose receives were
	// spent on errors is not dead-lettered with its instances running.
	MaxReceiveCount int
}

// LoadConfig reads the watcher's settings.
func LoadConfig(lookup awsenv.Lookup) (Config, error) {
	cfg := Config{Timeout: DefaultTimeout, BackoffBase: DefaultBackoffBase, BackoffMax: DefaultBackoffMax}
	var err error
	if cfg.EventsTopicARN, err = awsenv.Required(lookup, "EVENTS_TOPIC_ARN"); err != nil {
		return Config{}, err
	}
	cfg.QueueURL, _ = lookup("QUEUE_URL")
	cfg.DLQURL, _ = lookup("DLQ_URL")
	for _, s := range []struct {
		key string
		dst *time.Duration
	}{
		{"WATCH_TIMEOUT_SECONDS", &cfg.Timeout},
		{"WATCH_BACKOFF_BASE_SECONDS", &cfg.BackoffBase},
		{"WATCH_BACKOFF_MAX_SECONDS", &cfg.BackoffMax},
	} {
		v, ok := lookup(s.key)
		if !ok || v == "" {
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 {
			return Config{}, fmt.Errorf("%s %q: want a positive number of seconds", s.key, v)
		}
		*s.dst = time.Duration(n * float64(time.Second))
	}
	if v, ok := lookup("WATCH_MAX_RECEIVE_COUNT"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			return Config{}, fmt.Errorf("WATCH_MAX_RECEIVE_COUNT %q: want an integer of at least 2", v)
		}
		cfg.MaxReceiveCount = n
	}
	if cfg.BackoffMax < cfg.BackoffBase {
		return Config{}, fmt.Errorf("WATCH_BACKOFF_MAX_SECONDS (%v) is below WATCH_BACKOFF_BASE_SECONDS (%v)", cfg.BackoffMax, cfg.BackoffBase)
	}
	if cfg.Retry, err = consumer.LoadBackoff(lookup); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Backoff is the wait for booting instances after the receiveCount-th
// receive: base doubled per earlier receive, capped at max. It is not the
// retry schedule of errors (consumer.Backoff): a boot takes a known tens
// of seconds, so the first look is worth waiting 5 s for, and the
// watcher caps each wait at its deadline.
func Backoff(receiveCount int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < receiveCount; i++ {
		if d >= max/2 {
			return max
		}
		d *= 2
	}
	return min(d, max)
}
