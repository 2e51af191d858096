package templaterules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventchain/eventchain/infra/templaterules"
)

const templatePath = "../../template.yaml"

// TestRealTemplateKeepsEveryRule: template.yaml breaks no rule, neither on
// its defaults nor under the short settings tests and local runs use.
func TestRealTemplateKeepsEveryRule(t *testing.T) {
	tests := []struct {
		name           string
		overrides      map[string]string
		wantOnDefaults bool
	}{
		{name: "defaults", wantOnDefaults: true},
		// samconfig.toml's deploy overrides repeat the defaults.
		{name: "overrides equal to the defaults", overrides: map[string]string{"LogLevel": "INFO"}, wantOnDefaults: true},
		{name: "short local timeouts", overrides: map[string]string{
			"ApiTimeout": "1", "FunctionTimeout": "1", "LauncherTimeout": "1",
			"QueueVisibilityTimeout": "7", "BatchingWindowSeconds": "0",
			"MaxReceiveCount": "2", "WatchTimeoutSeconds": "5",
			"WatchBackoffBaseSeconds": "1", "WatchBackoffMaxSeconds": "1", "WatchMaxReceiveCount": "10",
		}},
		{name: "higher launcher concurrency", overrides: map[string]string{"LauncherConcurrency": "50"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := templaterules.CheckFile(templatePath, tc.overrides)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.Findings {
				t.Errorf("%v", f)
			}
			if rep.OnDefaults != tc.wantOnDefaults {
				t.Errorf("OnDefaults = %v, want %v", rep.OnDefaults, tc.wantOnDefaults)
			}
		})
	}
}

// TestEachRuleRejectsItsBrokenTemplate runs every rule on templates of
// testdata/ that each break one rule, and wants that rule to name the
// resource to change; every rule has at least one such template.
func TestEachRuleRejectsItsBrokenTemplate(t *testing.T) {
	tests := []struct {
		file     string
		rule     string
		resource string
		want     string
	}{
		{"queue-redrive.yaml", "queue-redrive", "JobQueue", "has no RedrivePolicy"},
		{"dlq-holds-dead-letters.yaml", "dlq-holds-dead-letters", "JobDLQ", "MaximumMessageSize 262144 is not above JobQueue's 262144"},
		{"dlq-outlives-source.yaml", "dlq-outlives-source", "JobQueue", "keeps messages 1209600 s and its DLQ JobDLQ only 345600 s"},
		{"batch-item-failures.yaml", "batch-item-failures", "WorkerFunction", "SQS event Jobs lacks FunctionResponseTypes ReportBatchItemFailures"},
		{"maximum-concurrency.yaml", "maximum-concurrency", "WorkerFunction", "MaximumConcurrency 5 is above the reserved concurrency 2"},
		{"maximum-concurrency-range.yaml", "maximum-concurrency", "WorkerFunction", "MaximumConcurrency 1 is outside the 2–1000"},
		{"receive-count-setting.yaml", "receive-count-setting", "WorkerFunction", `LAUNCH_MAX_RECEIVE_COUNT="7" but its queue JobQueue has maxReceiveCount 5`},
		{"subscription-raw-delivery.yaml", "subscription-raw-delivery", "JobSubscription", "RawMessageDelivery is off"},
		{"subscription-dlq.yaml", "subscription-dlq", "JobSubscription", "has no RedrivePolicy"},
		{"subscription-dlq-shared.yaml", "subscription-dlq", "JobSubscription", "shares its DLQ JobDLQ with [JobQueue]"},
		{"subscription-queue-policy.yaml", "subscription-queue-policy", "JobSubscription", "no queue policy lets topic EventsTopic send to JobSubscriptionDLQ"},
		{"subscription-queue-policy-source.yaml", "subscription-queue-policy", "JobSubscription", "no queue policy lets topic EventsTopic send to JobQueue"},
		{"depth-alarm.yaml", "depth-alarm", "JobDLQ", "is a DLQ but has no depth alarm"},
		{"depth-alarm-unconsumed.yaml", "depth-alarm", "ParkedQueue", "is consumed by no function but has no depth alarm"},
		{"lambda-runtime.yaml", "lambda-runtime", "WorkerFunction", `Runtime "provided.al2", Architectures [x86_64], Handler "main"`},
		{"function-limits.yaml", "function-limits", "WorkerFunction", "sets no MemorySize:"},
		{"function-log-group.yaml", "function-log-group", "WorkerFunction", "has no AWS::Logs::LogGroup named /aws/lambda/eventchain-worker"},
		{"function-log-group-retention.yaml", "function-log-group", "WorkerLogGroup", "sets no RetentionInDays"},
		{"iam-wildcard-action.yaml", "iam-wildcard-action", "WorkerFunction", "statement AnythingOnJobs allows sqs:*"},
		{"iam-wildcard-write.yaml", "iam-wildcard-write", "WorkerFunction", `statement PublishAnywhere allows sns:Publish on Resource "*"`},
		{"run-instances-conditions.yaml", "run-instances-conditions", "LauncherFunction", "statement RunInstancesOfAllowedTypes allows ec2:RunInstances on instances without the eventchain:request-id request tag"},
		{"run-instances-conditions-types.yaml", "run-instances-conditions", "LauncherFunction", "allows instance types [t3.micro] but the API accepts [t3.micro t3.small]"},
		{"run-instances-conditions-mixed.yaml", "run-instances-conditions", "LauncherFunction", "on instances (arn:aws:ec2:us-east-1:123456789012:instance/*) and on other resources together"},
		{"visibility-timeout.yaml", "visibility-timeout", "JobQueue", "VisibilityTimeout 300 s < 6 × WorkerFunction's timeout 60 s + batching window 1 s = 361 s"},
		{"limited-consumer-receives.yaml", "limited-consumer-receives", "JobQueue", "maxReceiveCount 3 < 5 while its consumer WorkerFunction is concurrency-limited"},
		{"transient-retry-window.yaml", "transient-retry-window", "LaunchQueue", "maxReceiveCount 5: LauncherFunction retries a transient failure on a 2s..1m0s backoff (±20 %), and needs 18 receives"},
		{"watch-receive-budget.yaml", "watch-receive-budget", "WatchQueue", "the watcher needs 14 receives to wait WATCH_TIMEOUT_SECONDS=600s (backoff 5..60s) plus a margin of 3, but maxReceiveCount 15 stops its waiting at receive 14"},
	}
	tested := map[string]bool{}
	files := map[string]bool{}
	for _, tc := range tests {
		tested[tc.rule], files[tc.file] = true, true
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			rep, err := templaterules.CheckFile(filepath.Join("testdata", tc.file), nil)
			if err != nil {
				t.Fatal(err)
			}
			var mine []templaterules.Finding
			for _, f := range rep.Findings {
				if f.Rule == tc.rule {
					mine = append(mine, f)
				}
			}
			found := false
			for _, f := range mine {
				if f.Resource != tc.resource {
					t.Errorf("%s names %s, want %s:\n%v", tc.rule, f.Resource, tc.resource, f)
				}
				if f.Fix == "" {
					t.Errorf("finding without a fix:\n%v", f)
				}
				found = found || strings.Contains(f.Problem, tc.want)
			}
			if !found {
				t.Errorf("rule %s found %d problems, none saying %q:\n%v", tc.rule, len(mine), tc.want, mine)
			}
		})
	}
	for _, r := range templaterules.Rules {
		if !tested[r.Name] {
			t.Errorf("rule %s has no broken template in testdata/", r.Name)
		}
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !files[e.Name()] {
			t.Errorf("testdata/%s is checked by no test case", e.Name())
		}
	}
}

func TestRulesAreNamedOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range templaterules.Rules {
		if r.Name == "" || r.Summary == "" || seen[r.Name] {
			t.Errorf("rule %q: want a unique name and a summary", r.Name)
		}
		seen[r.Name] = true
	}
}

func TestWarningsFailOnlyOnTheDefaults(t *testing.T) {
	warning := templaterules.Finding{Rule: "visibility-timeout", Severity: templaterules.Warning, Resource: "JobQueue"}
	failure := templaterules.Finding{Rule: "queue-redrive", Severity: templaterules.Error, Resource: "JobQueue"}
	onDefaults := templaterules.Report{OnDefaults: true, Findings: []templaterules.Finding{warning, failure}}
	overridden := templaterules.Report{Findings: []templaterules.Finding{warning, failure}}
	if !onDefaults.Fails(warning) || !onDefaults.Fails(failure) || onDefaults.Failures() != 2 {
		t.Errorf("on the defaults every finding should fail: Fails(warning)=%v Fails(error)=%v Failures()=%d",
			onDefaults.Fails(warning), onDefaults.Fails(failure), onDefaults.Failures())
	}
	if overridden.Fails(warning) || !overridden.Fails(failure) || overridden.Failures() != 1 {
		t.Errorf("with overrides only errors should fail: Fails(warning)=%v Fails(error)=%v Failures()=%d",
			overridden.Fails(warning), overridden.Fails(failure), overridden.Failures())
	}
}

func TestCheckFileRefusesWhatItCannotResolve(t *testing.T) {
	if _, err := templaterules.CheckFile(templatePath, map[string]string{"NoSuchParameter": "1"}); err == nil || !strings.Contains(err.Error(), "NoSuchParameter") {
		t.Errorf("CheckFile with an unknown parameter = %v, want an error naming it", err)
	}
	if _, err := templaterules.CheckFile(filepath.Join(t.TempDir(), "missing.yaml"), nil); err == nil {
		t.Error("CheckFile of a missing file: no error")
	}
}
