package awsenv

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Lookup returns a configuration value and whether it is set.
type Lookup func(key string) (string, bool)

// EndpointKey names the setting that points every client at an emulator
// (the same name the SDK itself reads from the environment).
const EndpointKey = "AWS_ENDPOINT_URL"

// Config is the SDK configuration plus the endpoint override for clients.
type Config struct {
	AWS aws.Config
	// Endpoint, when set, is given to every client as BaseEndpoint.
	Endpoint string
}

// Load builds the configuration. In Lambda the region and credentials come
// from the runtime's environment as usual; when the lookup names an
// endpoint (local mode), the region defaults to us-east-1 and static
// credentials are used unless the lookup provides AWS_ACCESS_KEY_ID.
func Load(ctx context.Context, lookup Lookup) (Config, error) {
	endpoint, _ := lookup(EndpointKey)
	var opts []func(*config.LoadOptions) error
	if region, ok := lookup("AWS_REGION"); ok && region != "" {
		opts = append(opts, config.WithRegion(region))
	} else if endpoint != "" {
		opts = append(opts, config.WithRegion("us-east-1"))
	}
	if endpoint != "" {
		key, _ := lookup("AWS_ACCESS_KEY_ID")
		secret, _ := lookup("AWS_SECRET_ACCESS_KEY")
		if key == "" {
			key, secret = "test", "test"
		}
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, secret, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return Config{}, fmt.Errorf("load aws config: %w", err)
	}
	cfg.HTTPClient = wrapHTTPClient(cfg.HTTPClient) // see HTTPClient
	return Config{AWS: cfg, Endpoint: endpoint}, nil
}

// BaseEndpoint returns the endpoint override for a client's options, or nil.
func (c Config) BaseEndpoint() *string {
	if c.Endpoint == "" {
		return nil
	}
	return aws.String(c.Endpoint)
}

// Required returns a setting that must be present and non-empty.
func Required(lookup Lookup, key string) (string, error) {
	v, ok := lookup(key)
	if !ok || v == "" {
		return "", fmt.Errorf("setting %s is required", key)
	}
	return v, nil
}
