package awsenv

import (
	"context"
	"testing"
)

// BenchmarkLoad measures what a cold start pays for the SDK configuration,
// with the settings Lambda's runtime gives a function.
func BenchmarkLoad(b *testing.B) {
	env := map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for b.Loop() {
		if _, err := Load(context.Background(), lookup); err != nil {
			b.Fatal(err)
		}
	}
}
