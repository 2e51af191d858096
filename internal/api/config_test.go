package api

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/eventchain/eventchain/internal/awsenv"
)

func lookupOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadConfig(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:123456789012:eventchain-events"
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{
			name: "defaults",
			env:  map[string]string{EnvEventsTopicARN: topic},
			want: Config{EventsTopicARN: topic, AllowedInstanceTypes: DefaultAllowedInstanceTypes, MaxInstancesPerRequest: 10, IdempotencyTTLHours: 24},
		},
		{
			name: "everything set",
			env: map[string]string{
				EnvEventsTopicARN: topic, EnvAllowedInstanceTypes: " m5.large , c5.xlarge,", EnvAllowedImageIDs: "ami-12345678,ami-0123456789abcdef0",
				EnvMaxInstancesPerRequest: "3", EnvIdempotencyTTLHours: "48",
			},
			want: Config{
				EventsTopicARN: topic, AllowedInstanceTypes: []string{"m5.large", "c5.xlarge"},
				AllowedImageIDs: []string{"ami-12345678", "ami-0123456789abcdef0"}, MaxInstancesPerRequest: 3, IdempotencyTTLHours: 48,
			},
		},
		{
			name: "empty lists and numbers keep defaults",
			env:  map[string]string{EnvEventsTopicARN: topic, EnvAllowedInstanceTypes: "", EnvAllowedImageIDs: "", EnvMaxInstancesPerRequest: ""},
			want: Config{EventsTopicARN: topic, AllowedInstanceTypes: DefaultAllowedInstanceTypes, MaxInstancesPerRequest: 10, IdempotencyTTLHours: 24},
		},
		{name: "topic missing", env: map[string]string{}, wantErr: EnvEventsTopicARN},
		{name: "topic empty", env: map[string]string{EnvEventsTopicARN: ""}, wantErr: EnvEventsTopicARN},
		{name: "max not a number", env: map[string]string{EnvEventsTopicARN: topic, EnvMaxInstancesPerRequest: "ten"}, wantErr: EnvMaxInstancesPerRequest},
		{name: "max zero", env: map[string]string{EnvEventsTopicARN: topic, EnvMaxInstancesPerRequest: "0"}, wantErr: EnvMaxInstancesPerRequest},
		{name: "ttl negative", env: map[string]string{EnvEventsTopicARN: topic, EnvIdempotencyTTLHours: "-1"}, wantErr: EnvIdempotencyTTLHours},
		{name: "malformed allowed image", env: map[string]string{EnvEventsTopicARN: topic, EnvAllowedImageIDs: "ami-12345678,ubuntu"}, wantErr: EnvAllowedImageIDs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadConfig(lookupOf(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestNewFromEnv(t *testing.T) {
	base := map[string]string{
		EnvEventsTopicARN:  "arn:aws:sns:us-east-1:123456789012:eventchain-events",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
	}
	tests := []struct {
		name    string
		extra   map[string]string
		wantErr bool
	}{
		{"emulator endpoint", nil, false},
		{"bad log level", map[string]string{awsenv.LogLevelKey: "chatty"}, true},
		{"missing topic", map[string]string{EnvEventsTopicARN: ""}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.extra {
				env[k] = v
			}
			h, err := NewFromEnv(context.Background(), lookupOf(env), newMemStore(), io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && h == nil {
				t.Fatal("nil handler")
			}
		})
	}
}
