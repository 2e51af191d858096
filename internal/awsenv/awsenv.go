package awsenv

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"
)

// Lookup returns a configuration value and whether it is set.
type Lookup func(key string) (string, bool)

// EndpointKey names the setting that points every client at an emulator
// (the same name the SDK itself reads from the environment).
const EndpointKey = "AWS_ENDPOINT_URL"

// Config is the SDK configuration of one function.
type Config struct {
	// AWS carries the endpoint override as BaseEndpoint, so every client
	// built from it with NewFromConfig talks to the emulator in local mode.
	AWS aws.Config
}

// Load builds the configuration from the lookup alone. In Lambda the
// runtime puts the region and the execution role's credentials in the
// environment (AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN). The SDK's default loader would look further, in the
// process environment and shared files (which functions sharing one process
// in local mode must not see), and would link its SSO, STS and IMDS
// providers into every function for nothing. When the lookup names an
// endpoint (local mode, tests), the region defaults to us-east-1 and the
// credentials to test/test. Nothing is fetched, so ctx is unused.
func Load(_ context.Context, lookup Lookup) (Config, error) {
	endpoint, _ := lookup(EndpointKey)
	region := first(lookup, "AWS_REGION", "AWS_DEFAULT_REGION")
	key, _ := lookup("AWS_ACCESS_KEY_ID")
	secret, _ := lookup("AWS_SECRET_ACCESS_KEY")
	token, _ := lookup("AWS_SESSION_TOKEN")
	if endpoint != "" {
		if region == "" {
			region = "us-east-1"
		}
		if key == "" {
			key, secret, token = "test", "test", ""
		}
	}
	var errs []error
	if region == "" {
		errs = append(errs, errors.New("setting AWS_REGION is required"))
	}
	if endpoint == "" && (key == "" || secret == "") {
		errs = append(errs, errors.New("settings AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required"))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("aws config: %w", err)
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, token),
		HTTPClient:  HTTPClient(),
		// What the default loader sets when nothing configures it, so
		// clients behave as they did with it.
		Logger:                      logging.NewStandardLogger(os.Stderr),
		AccountIDEndpointMode:       aws.AccountIDEndpointModePreferred,
		RequestChecksumCalculation:  aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation:  aws.ResponseChecksumValidationWhenSupported,
		RequestMinCompressSizeBytes: 10240,
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return Config{AWS: cfg}, nil
}

// Required returns a setting that must be present and non-empty.
func Required(lookup Lookup, key string) (string, error) {
	v, ok := lookup(key)
	if !ok || v == "" {
		return "", fmt.Errorf("setting %s is required", key)
	}
	return v, nil
}

// first returns the first non-empty value of keys, or "".
func first(lookup Lookup, keys ...string) string {
	for _, k := range keys {
		if v, ok := lookup(k); ok && v != "" {
			return v
		}
	}
	return ""
}
