package awsenv

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func lookupOf(env map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestLoad(t *testing.T) {
	lambda := map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
	}
	tests := []struct {
		name         string
		env          map[string]string
		wantErr      string // substring; "" = no error
		wantRegion   string
		wantEndpoint string
		wantCreds    aws.Credentials
	}{
		{
			name: "lambda runtime", env: lambda, wantRegion: "eu-west-1",
			wantCreds: aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret", SessionToken: "token"},
		},
		{
			name: "default region only", env: map[string]string{
				"AWS_DEFAULT_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
			},
			wantRegion: "eu-central-1", wantCreds: aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"},
		},
		{
			name: "emulator with nothing else", env: map[string]string{EndpointKey: "http://127.0.0.1:4566"},
			wantRegion: "us-east-1", wantEndpoint: "http://127.0.0.1:4566",
			wantCreds: aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"},
		},
		{
			name: "emulator with region and keys", env: map[string]string{
				EndpointKey: "http://127.0.0.1:4566", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
			},
			wantRegion: "eu-west-1", wantEndpoint: "http://127.0.0.1:4566",
			wantCreds: aws.Credentials{AccessKeyID: "k", SecretAccessKey: "s"},
		},
		{
			name:    "no region",
			env:     map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"},
			wantErr: "AWS_REGION is required",
		},
		{
			name:    "no credentials",
			env:     map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID"},
			wantErr: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(context.Background(), lookupOf(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AWS.Region != tt.wantRegion {
				t.Errorf("region = %q, want %q", cfg.AWS.Region, tt.wantRegion)
			}
			creds, err := cfg.AWS.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if creds.AccessKeyID != tt.wantCreds.AccessKeyID || creds.SecretAccessKey != tt.wantCreds.SecretAccessKey ||
				creds.SessionToken != tt.wantCreds.SessionToken {
				t.Errorf("credentials = %+v, want %+v", creds, tt.wantCreds)
			}
			// A client built from the configuration alone must reach the
			// endpoint: no per-client option is needed.
			got := aws.ToString(sqs.NewFromConfig(cfg.AWS).Options().BaseEndpoint)
			if got != tt.wantEndpoint {
				t.Errorf("client endpoint = %q, want %q", got, tt.wantEndpoint)
			}
		})
	}
}

func TestNewLogger(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    slog.Level
		wantErr bool
	}{
		{name: "unset", env: nil, want: slog.LevelInfo},
		{name: "empty", env: map[string]string{LogLevelKey: ""}, want: slog.LevelInfo},
		{name: "template DEBUG", env: map[string]string{LogLevelKey: "DEBUG"}, want: slog.LevelDebug},
		{name: "template INFO", env: map[string]string{LogLevelKey: "INFO"}, want: slog.LevelInfo},
		{name: "template WARN", env: map[string]string{LogLevelKey: "WARN"}, want: slog.LevelWarn},
		{name: "template ERROR", env: map[string]string{LogLevelKey: "ERROR"}, want: slog.LevelError},
		{name: "lower case", env: map[string]string{LogLevelKey: "error"}, want: slog.LevelError},
		{name: "mixed case", env: map[string]string{LogLevelKey: "Warn"}, want: slog.LevelWarn},
		{name: "unknown name", env: map[string]string{LogLevelKey: "chatty"}, wantErr: true},
		{name: "long form", env: map[string]string{LogLevelKey: "WARNING"}, wantErr: true},
		{name: "slog offset", env: map[string]string{LogLevelKey: "INFO+2"}, wantErr: true},
		{name: "padded", env: map[string]string{LogLevelKey: " INFO"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger, err := NewLogger(&buf, lookupOf(tt.env))
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error, want a configuration error")
				}
				for _, want := range []string{LogLevelKey, tt.env[LogLevelKey], "DEBUG, INFO, WARN or ERROR"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not name %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if !logger.Enabled(ctx, tt.want) || logger.Enabled(ctx, tt.want-1) {
				t.Errorf("logger does not log from %v exactly", tt.want)
			}
			logger.Log(ctx, tt.want, "hello")
			if !strings.HasPrefix(buf.String(), `{"time":`) {
				t.Errorf("log line %q is not JSON", buf.String())
			}
		})
	}
}
