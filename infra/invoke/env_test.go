package invoke_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/eventchain/eventchain/infra/invoke"
	"github.com/eventchain/eventchain/infra/samtemplate"
)

func TestEnvVars(t *testing.T) {
	fn := samtemplate.Function{LogicalID: "ApiFunction", FunctionName: "eventchain-api",
		Environment: map[string]string{"LOG_LEVEL": "INFO", "MAX_INSTANCES_PER_REQUEST": "10", "STATUS_TABLE": "t"}}
	tests := []struct {
		name        string
		file        string
		want        map[string]string
		wantIgnored []string
		wantErr     string
	}{
		{name: "global then the function's own", file: `{"Parameters": {"LOG_LEVEL": "DEBUG", "STATUS_TABLE": "g"}, "ApiFunction": {"STATUS_TABLE": "own"}}`,
			want: map[string]string{"LOG_LEVEL": "DEBUG", "MAX_INSTANCES_PER_REQUEST": "10", "STATUS_TABLE": "own"}},
		{name: "by function name", file: `{"eventchain-api": {"LOG_LEVEL": "WARN"}}`,
			want: map[string]string{"LOG_LEVEL": "WARN", "MAX_INSTANCES_PER_REQUEST": "10", "STATUS_TABLE": "t"}},
		{name: "logical id wins over function name", file: `{"eventchain-api": {"LOG_LEVEL": "WARN"}, "ApiFunction": {"LOG_LEVEL": "ERROR"}}`,
			want: map[string]string{"LOG_LEVEL": "ERROR", "MAX_INSTANCES_PER_REQUEST": "10", "STATUS_TABLE": "t"}},
		{name: "numbers and booleans as text", file: `{"ApiFunction": {"MAX_INSTANCES_PER_REQUEST": 3, "LOG_LEVEL": true}}`,
			want: map[string]string{"LOG_LEVEL": "true", "MAX_INSTANCES_PER_REQUEST": "3", "STATUS_TABLE": "t"}},
		{name: "undeclared variables ignored, as SAM does", file: `{"Parameters": {"AWS_ENDPOINT_URL": "http://elsewhere"}, "ApiFunction": {"NEW": "x"}, "LauncherFunction": {"LOG_LEVEL": "DEBUG"}}`,
			want: map[string]string{"LOG_LEVEL": "INFO", "MAX_INSTANCES_PER_REQUEST": "10", "STATUS_TABLE": "t"}, wantIgnored: []string{"AWS_ENDPOINT_URL", "NEW"}},
		{name: "object value refused", file: `{"ApiFunction": {"LOG_LEVEL": {"a": 1}}}`, wantErr: "ApiFunction.LOG_LEVEL"},
		{name: "not SAM's shape", file: `{"LOG_LEVEL": "DEBUG"}`, wantErr: "want {"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars, err := invoke.ReadEnvVars(strings.NewReader(tt.file))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			env := maps.Clone(fn.Environment)
			ignored := vars.Apply(env, fn)
			if !maps.Equal(env, tt.want) {
				t.Errorf("environment %v, want %v", env, tt.want)
			}
			if !slices.Equal(ignored, tt.wantIgnored) {
				t.Errorf("ignored %v, want %v", ignored, tt.wantIgnored)
			}
		})
	}
}

func TestCPUEmulator(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no qemu-aarch64-static anywhere
	if path, err := invoke.CPUEmulator(""); err != nil || path != "" {
		t.Errorf("this machine's architecture: %q %v, want none", path, err)
	}
	other := "arm64"
	if _, err := invoke.CPUEmulator("arm64"); err == nil {
		other = "amd64" // this machine is arm64
	}
	if other == "arm64" {
		_, err := invoke.CPUEmulator("arm64")
		if err != invoke.ErrNoQEMU || !strings.Contains(err.Error(), "apt-get install qemu-user-static") {
			t.Errorf("arm64 without qemu: %v, want how to install it", err)
		}
	}
	if _, err := invoke.CPUEmulator("riscv64"); err == nil {
		t.Error("riscv64 accepted: Lambda runs x86_64 and arm64")
	}
}

func TestReportLine(t *testing.T) {
	tests := []struct {
		name string
		r    invoke.Report
		want string
	}{
		{"cold start bills init", invoke.Report{RequestID: "r", Init: 60_400_000, Duration: 2_500_000, MemorySizeMB: 128, MaxMemoryUsedKiB: 13 * 1024},
			"REPORT RequestId: r\tInit Duration: 60.40 ms\tDuration: 2.50 ms\tBilled Duration: 63 ms\tMemory Size: 128 MB\tMax Memory Used: 13 MB\t"},
		{"warm, memory rounded up", invoke.Report{RequestID: "r", Duration: 1_000_000, MemorySizeMB: 256, MaxMemoryUsedKiB: 13*1024 + 1},
			"REPORT RequestId: r\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\tMax Memory Used: 14 MB\t"},
		{"timeout", invoke.Report{RequestID: "r", Duration: 3_000_100_000, MemorySizeMB: 128, MaxMemoryUsedKiB: 1024, Status: "timeout"},
			"REPORT RequestId: r\tDuration: 3000.10 ms\tBilled Duration: 3001 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB\tStatus: timeout\t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.String(); got != tt.want {
				t.Errorf("\ngot  %q\nwant %q", got, tt.want)
			}
		})
	}
}
