package localcloud_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/eventchain/eventchain/infra/localcloud"
	localec2 "github.com/eventchain/eventchain/infra/localcloud/ec2"
)

// EC2 protocol tests. moto_server implements RunInstances,
// DescribeInstances (ids and the common filters) and TerminateInstances but
// not ClientToken idempotency, MaxResults pagination, parameter validation
// (malformed ids, unknown instance types), boot delays or throttling: tests
// of those run on localcloud only, each saying so.

const ec2TestImage = "ami-0123456789abcdef0"

var (
	ec2InstanceIDPattern    = regexp.MustCompile(`^i-[0-9a-f]{17}$`)
	ec2ReservationIDPattern = regexp.MustCompile(`^r-[0-9a-f]{17}$`)
)

// ec2Err returns the API error code and HTTP status of err.
func ec2Err(t *testing.T, err error) (string, int) {
	if err == nil {
		t.Fatal("expected an error, got none")
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

func ec2WantErr(t *testing.T, err error, code string, status int) {
	gotCode, gotStatus := ec2Err(t, err)
	if gotCode != code || gotStatus != status {
		t.Fatalf("error %s (HTTP %d), want %s (HTTP %d): %v", gotCode, gotStatus, code, status, err)
	}
}

func ec2Tag(k, v string) ec2types.Tag { return ec2types.Tag{Key: aws.String(k), Value: aws.String(v)} }

func ec2RunInput(count int32, token string, tags ...ec2types.Tag) *ec2.RunInstancesInput {
	in := &ec2.RunInstancesInput{
		ImageId:      aws.String(ec2TestImage),
		InstanceType: ec2types.InstanceTypeT3Micro,
		// moto launches MinCount instances, AWS up to MaxCount: ask for
		// exactly count.
		MinCount: aws.Int32(count),
		MaxCount: aws.Int32(count),
	}
	if token != "" {
		in.ClientToken = aws.String(token)
	}
	if len(tags) > 0 {
		in.TagSpecifications = []ec2types.TagSpecification{
			{ResourceType: ec2types.ResourceTypeInstance, Tags: tags},
			{ResourceType: ec2types.ResourceTypeVolume, Tags: tags},
		}
	}
	return in
}

func ec2Run(t *testing.T, b backend, c *ec2.Client, in *ec2.RunInstancesInput) (*ec2.RunInstancesOutput, []string) {
	out, err := c.RunInstances(b.Ctx(t), in)
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	var ids []string
	for _, i := range out.Instances {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	return out, ids
}

func ec2Describe(t *testing.T, b backend, c *ec2.Client, in *ec2.DescribeInstancesInput) []ec2types.Instance {
	out, err := c.DescribeInstances(b.Ctx(t), in)
	if err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
	var all []ec2types.Instance
	for _, r := range out.Reservations {
		all = append(all, r.Instances...)
	}
	return all
}

func ec2IDs(instances []ec2types.Instance) []string {
	var ids []string
	for _, i := range instances {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	slices.Sort(ids)
	return ids
}

func ec2TagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

func TestEC2RunDescribeTerminate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.EC2()
		out, ids := ec2Run(t, b, c, ec2RunInput(2, "", ec2Tag("eventchain:request-id", "req-1"), ec2Tag("team", "blue")))
		if !ec2ReservationIDPattern.MatchString(aws.ToString(out.ReservationId)) || aws.ToString(out.OwnerId) != testAccount {
			t.Errorf("reservation %q owner %q", aws.ToString(out.ReservationId), aws.ToString(out.OwnerId))
		}
		if len(out.Instances) != 2 {
			t.Fatalf("%d instances, want 2", len(out.Instances))
		}
		for _, i := range out.Instances {
			if !ec2InstanceIDPattern.MatchString(aws.ToString(i.InstanceId)) {
				t.Errorf("instance id %q", aws.ToString(i.InstanceId))
			}
			if i.State == nil || i.State.Name != ec2types.InstanceStateNamePending || aws.ToInt32(i.State.Code) != 0 {
				t.Errorf("launch state %+v, want pending/0", i.State)
			}
			if i.InstanceType != ec2types.InstanceTypeT3Micro || aws.ToString(i.ImageId) != ec2TestImage || i.LaunchTime == nil {
				t.Errorf("type %s image %s launch %v", i.InstanceType, aws.ToString(i.ImageId), i.LaunchTime)
			}
		}

		got := ec2Describe(t, b, c, &ec2.DescribeInstancesInput{InstanceIds: ids})
		if !slices.Equal(ec2IDs(got), slices.Sorted(slices.Values(ids))) {
			t.Fatalf("described %v, want %v", ec2IDs(got), ids)
		}
		for _, i := range got {
			if i.State.Name != ec2types.InstanceStateNameRunning {
				t.Errorf("%s: %s, want running", aws.ToString(i.InstanceId), i.State.Name)
			}
			if ec2TagValue(i.Tags, "eventchain:request-id") != "req-1" || ec2TagValue(i.Tags, "team") != "blue" {
				t.Errorf("%s tags %+v", aws.ToString(i.InstanceId), i.Tags)
			}
		}

		term, err := c.TerminateInstances(b.Ctx(t), &ec2.TerminateInstancesInput{InstanceIds: ids[:1]})
		if err != nil {
			t.Fatalf("TerminateInstances: %v", err)
		}
		if len(term.TerminatingInstances) != 1 {
			t.Fatalf("state changes %+v", term.TerminatingInstances)
		}
		ch := term.TerminatingInstances[0]
		if aws.ToString(ch.InstanceId) != ids[0] || ch.PreviousState.Name != ec2types.InstanceStateNameRunning || ch.CurrentState.Name != ec2types.InstanceStateNameShuttingDown {
			t.Errorf("terminate %s: %s → %s, want running → shutting-down", aws.ToString(ch.InstanceId), ch.PreviousState.Name, ch.CurrentState.Name)
		}
		gone := ec2Describe(t, b, c, &ec2.DescribeInstancesInput{InstanceIds: ids[:1]})
		if len(gone) != 1 || gone[0].State.Name != ec2types.InstanceStateNameTerminated {
			t.Fatalf("after terminate: %+v, want terminated and still described", gone)
		}
		if gone[0].StateReason == nil || aws.ToString(gone[0].StateReason.Code) != "Client.UserInitiatedShutdown" {
			t.Errorf("state reason %+v", gone[0].StateReason)
		}

		again, err := c.TerminateInstances(b.Ctx(t), &ec2.TerminateInstancesInput{InstanceIds: ids[:1]})
		if err != nil {
			t.Fatalf("terminate again: %v", err)
		}
		ch = again.TerminatingInstances[0]
		if ch.PreviousState.Name != ec2types.InstanceStateNameTerminated {
			t.Errorf("terminate again: previous %s, want terminated", ch.PreviousState.Name)
		}
		// moto answers shutting-down again; AWS (and localcloud) leave a
		// terminated instance terminated.
		if b.IsLocal && ch.CurrentState.Name != ec2types.InstanceStateNameTerminated {
			t.Errorf("terminate again: current %s, want terminated", ch.CurrentState.Name)
		}
	})
}

func TestEC2DescribeFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.EC2()
		_, blue := ec2Run(t, b, c, ec2RunInput(1, "", ec2Tag("team", "blue")))
		big := ec2RunInput(1, "", ec2Tag("team", "blue-green"))
		big.InstanceType, big.ImageId = ec2types.InstanceTypeT3Small, aws.String("ami-12345678")
		_, blueGreen := ec2Run(t, b, c, big)
		_, red := ec2Run(t, b, c, ec2RunInput(1, "", ec2Tag("team", "red")))
		if _, err := c.TerminateInstances(b.Ctx(t), &ec2.TerminateInstancesInput{InstanceIds: red}); err != nil {
			t.Fatal(err)
		}
		f := func(name string, values ...string) ec2types.Filter {
			return ec2types.Filter{Name: aws.String(name), Values: values}
		}
		sorted := func(ids ...[]string) []string { return slices.Sorted(slices.Values(slices.Concat(ids...))) }
		tests := []struct {
			name    string
			filters []ec2types.Filter
			want    []string
		}{
			{"tag exact", []ec2types.Filter{f("tag:team", "blue")}, blue},
			{"tag wildcard", []ec2types.Filter{f("tag:team", "blue*")}, sorted(blue, blueGreen)},
			{"tag any of", []ec2types.Filter{f("tag:team", "blue", "red")}, sorted(blue, red)},
			{"state running", []ec2types.Filter{f("instance-state-name", "running")}, sorted(blue, blueGreen)},
			{"state terminated", []ec2types.Filter{f("instance-state-name", "terminated")}, red},
			{"instance type", []ec2types.Filter{f("instance-type", "t3.small")}, blueGreen},
			{"image id", []ec2types.Filter{f("image-id", ec2TestImage)}, sorted(blue, red)},
			{"instance id", []ec2types.Filter{f("instance-id", red[0])}, red},
			{"tag-key", []ec2types.Filter{f("tag-key", "team")}, sorted(blue, blueGreen, red)},
			{"and of filters", []ec2types.Filter{f("tag:team", "blue*"), f("image-id", ec2TestImage)}, blue},
			{"nothing", []ec2types.Filter{f("tag:team", "purple")}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := ec2IDs(ec2Describe(t, b, c, &ec2.DescribeInstancesInput{Filters: tt.filters}))
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	})
}

func TestEC2UnknownInstanceID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.EC2()
		const unknown = "i-0123456789abcdef9"
		_, err := c.DescribeInstances(b.Ctx(t), &ec2.DescribeInstancesInput{InstanceIds: []string{unknown}})
		ec2WantErr(t, err, "InvalidInstanceID.NotFound", 400)
		var ae smithy.APIError
		if errors.As(err, &ae) && !strings.Contains(ae.ErrorMessage(), unknown) {
			t.Errorf("message %q does not name %s", ae.ErrorMessage(), unknown)
		}
		_, err = c.TerminateInstances(b.Ctx(t), &ec2.TerminateInstancesInput{InstanceIds: []string{unknown}})
		ec2WantErr(t, err, "InvalidInstanceID.NotFound", 400)
	})
}

func TestEC2DryRun(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		c := b.EC2()
		_, ids := ec2Run(t, b, c, ec2RunInput(1, ""))
		run := ec2RunInput(1, "")
		run.DryRun = aws.Bool(true)
		_, err := c.RunInstances(b.Ctx(t), run)
		ec2WantErr(t, err, "DryRunOperation", 412)
		_, err = c.DescribeInstances(b.Ctx(t), &ec2.DescribeInstancesInput{DryRun: aws.Bool(true)})
		ec2WantErr(t, err, "DryRunOperation", 412)
		_, err = c.TerminateInstances(b.Ctx(t), &ec2.TerminateInstancesInput{InstanceIds: ids, DryRun: aws.Bool(true)})
		ec2WantErr(t, err, "DryRunOperation", 412)
		all := ec2Describe(t, b, c, &ec2.DescribeInstancesInput{})
		if len(all) != 1 || all[0].State.Name != ec2types.InstanceStateNameRunning {
			t.Errorf("dry runs changed something: %+v", all)
		}
	})
}

// moto ignores ClientToken: every call launches new instances.
func TestEC2ClientTokenIdempotency(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		c := b.EC2()
		in := ec2RunInput(2, "req-7f3a", ec2Tag("eventchain:request-id", "req-7f3a"))
		first, ids := ec2Run(t, b, c, in)
		again, againIDs := ec2Run(t, b, c, ec2RunInput(2, "req-7f3a", ec2Tag("eventchain:request-id", "req-7f3a")))
		if aws.ToString(again.ReservationId) != aws.ToString(first.ReservationId) || !slices.Equal(againIDs, ids) {
			t.Errorf("retry answered %s %v, want %s %v", aws.ToString(again.ReservationId), againIDs, aws.ToString(first.ReservationId), ids)
		}
		if n := len(ec2Describe(t, b, c, &ec2.DescribeInstancesInput{})); n != 2 {
			t.Errorf("%d instances after a retried launch, want 2", n)
		}
		byToken := ec2Describe(t, b, c, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("client-token"), Values: []string{"req-7f3a"}}}})
		if !slices.Equal(ec2IDs(byToken), slices.Sorted(slices.Values(ids))) {
			t.Errorf("client-token filter: %v", ec2IDs(byToken))
		}
		_, err := c.RunInstances(b.Ctx(t), ec2RunInput(2, "req-7f3a", ec2Tag("eventchain:request-id", "other")))
		ec2WantErr(t, err, "IdempotentParameterMismatch", 400)
	})
}

// moto accepts malformed ids and unknown instance types.
func TestEC2Validation(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		c := b.EC2()
		tests := []struct {
			name string
			call func() error
			code string
		}{
			{"malformed image", func() error {
				in := ec2RunInput(1, "")
				in.ImageId = aws.String("ami-xyz")
				_, err := c.RunInstances(b.Ctx(t), in)
				return err
			}, "InvalidAMIID.Malformed"},
			{"unknown instance type", func() error {
				in := ec2RunInput(1, "")
				in.InstanceType = "t3.gigantic"
				_, err := c.RunInstances(b.Ctx(t), in)
				return err
			}, "InvalidParameterValue"},
			{"aws: tag", func() error {
				_, err := c.RunInstances(b.Ctx(t), ec2RunInput(1, "", ec2Tag("aws:owner", "x")))
				return err
			}, "InvalidParameterValue"},
			{"malformed instance id", func() error {
				_, err := c.DescribeInstances(b.Ctx(t), &ec2.DescribeInstancesInput{InstanceIds: []string{"i-xyz"}})
				return err
			}, "InvalidInstanceID.Malformed"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { ec2WantErr(t, tt.call(), tt.code, 400) })
		}
	})
}

// moto ignores MaxResults and answers every instance in one page.
func TestEC2DescribePagination(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		c := b.EC2()
		_, ids := ec2Run(t, b, c, ec2RunInput(7, ""))
		_, more := ec2Run(t, b, c, ec2RunInput(4, ""))
		ids = append(ids, more...)
		var seen []string
		pages := 0
		p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
		for p.HasMorePages() {
			out, err := p.NextPage(b.Ctx(t))
			if err != nil {
				t.Fatalf("page %d: %v", pages+1, err)
			}
			pages++
			for _, r := range out.Reservations {
				for _, i := range r.Instances {
					seen = append(seen, aws.ToString(i.InstanceId))
				}
			}
		}
		if pages != 3 || !slices.Equal(seen, ids) {
			t.Errorf("%d pages with %v, want 3 pages with %v", pages, seen, ids)
		}
	})
}

// ec2FakeClock is a settable clock for the boot and throttling tests.
type ec2FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *ec2FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *ec2FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// forEachLocalEC2Backend runs fn on the localcloud backends configured with
// opts.
func forEachLocalEC2Backend(t *testing.T, opts localcloud.Options, fn func(t *testing.T, b backend)) {
	for _, kind := range []string{"localcloud-memory", "localcloud-disk"} {
		t.Run(kind, func(t *testing.T) { fn(t, newBackend(t, kind, opts)) })
	}
}

// moto runs instances at once; the boot delay is localcloud's.
func TestEC2BootDelay(t *testing.T) {
	clock := &ec2FakeClock{now: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)}
	forEachLocalEC2Backend(t, localcloud.Options{EC2BootDelay: 45 * time.Second, Clock: clock.Now}, func(t *testing.T, b backend) {
		c := b.EC2()
		_, ids := ec2Run(t, b, c, ec2RunInput(1, ""))
		state := func() ec2types.InstanceStateName {
			return ec2Describe(t, b, c, &ec2.DescribeInstancesInput{InstanceIds: ids})[0].State.Name
		}
		if got := state(); got != ec2types.InstanceStateNamePending {
			t.Errorf("at launch: %s, want pending", got)
		}
		clock.Advance(44 * time.Second)
		if got := state(); got != ec2types.InstanceStateNamePending {
			t.Errorf("after 44s: %s, want pending", got)
		}
		clock.Advance(time.Second)
		if got := state(); got != ec2types.InstanceStateNameRunning {
			t.Errorf("after 45s: %s, want running", got)
		}
	})
}

// moto does not throttle.
func TestEC2RateLimit(t *testing.T) {
	clock := &ec2FakeClock{now: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)}
	forEachLocalEC2Backend(t, localcloud.Options{EC2RateLimit: 2, EC2Burst: 3, Clock: clock.Now}, func(t *testing.T, b backend) {
		c := b.EC2(func(o *ec2.Options) { o.Retryer = aws.NopRetryer{} })
		for i := range 3 {
			if _, err := c.RunInstances(b.Ctx(t), ec2RunInput(1, "")); err != nil {
				t.Fatalf("call %d within the burst: %v", i+1, err)
			}
		}
		_, err := c.RunInstances(b.Ctx(t), ec2RunInput(1, ""))
		ec2WantErr(t, err, "RequestLimitExceeded", 503)
		// Each action has its own bucket, as on EC2.
		if _, err := c.DescribeInstances(b.Ctx(t), &ec2.DescribeInstancesInput{}); err != nil {
			t.Fatalf("DescribeInstances with RunInstances' bucket empty: %v", err)
		}
		clock.Advance(500 * time.Millisecond)
		if _, err := c.RunInstances(b.Ctx(t), ec2RunInput(1, "")); err != nil {
			t.Fatalf("after a token refilled: %v", err)
		}
		ops, _ := b.Cloud.EC2.Counters().Snapshot()
		if got := ops["RunInstances"]; got.Calls != 5 || got.Throttled != 1 {
			t.Errorf("RunInstances counters %+v, want 5 calls, 1 throttled", got)
		}
	})
}

// Failure injection is localcloud's own control surface.
func TestEC2InjectedFailures(t *testing.T) {
	forEachLocalBackend(t, func(t *testing.T, b backend) {
		c := b.EC2(func(o *ec2.Options) { o.Retryer = aws.NopRetryer{} })
		b.Cloud.EC2.InjectFailure("RunInstances", "InsufficientInstanceCapacity", 1)
		b.Cloud.EC2.InjectFailure("RunInstances", "InvalidAMIID.NotFound", 1)
		_, err := c.RunInstances(b.Ctx(t), ec2RunInput(1, ""))
		ec2WantErr(t, err, "InsufficientInstanceCapacity", 500)
		_, err = c.RunInstances(b.Ctx(t), ec2RunInput(1, ""))
		ec2WantErr(t, err, "InvalidAMIID.NotFound", 400)

		const doomed = "ami-00000000000000bad"
		b.Cloud.EC2.FailLaunches(doomed, localec2.StateReason{Code: "Client.VolumeLimitExceeded", Message: "Client.VolumeLimitExceeded: Volume limit exceeded"})
		in := ec2RunInput(1, "")
		in.ImageId = aws.String(doomed)
		_, ids := ec2Run(t, b, c, in)
		got := ec2Describe(t, b, c, &ec2.DescribeInstancesInput{InstanceIds: ids})[0]
		if got.State.Name != ec2types.InstanceStateNameTerminated || got.StateReason == nil || aws.ToString(got.StateReason.Code) != "Client.VolumeLimitExceeded" {
			t.Errorf("failed launch: %s %+v, want terminated with Client.VolumeLimitExceeded", got.State.Name, got.StateReason)
		}
	})
}

// A restart on the same data directory is localcloud's durability.
func TestEC2SurvivesRestart(t *testing.T) {
	b := newBackend(t, "localcloud-disk", localcloud.Options{})
	c := b.EC2()
	in := ec2RunInput(2, "req-restart", ec2Tag("team", "blue"))
	first, ids := ec2Run(t, b, c, in)
	if _, err := c.TerminateInstances(b.Ctx(t), &ec2.TerminateInstancesInput{InstanceIds: ids[1:]}); err != nil {
		t.Fatal(err)
	}
	b = restartLocal(t, b)
	got := ec2Describe(t, b, c, &ec2.DescribeInstancesInput{InstanceIds: ids})
	states := map[string]ec2types.InstanceStateName{}
	for _, i := range got {
		states[aws.ToString(i.InstanceId)] = i.State.Name
	}
	if states[ids[0]] != ec2types.InstanceStateNameRunning || states[ids[1]] != ec2types.InstanceStateNameTerminated {
		t.Errorf("after restart: %v", states)
	}
	again, _ := ec2Run(t, b, c, ec2RunInput(2, "req-restart", ec2Tag("team", "blue")))
	if aws.ToString(again.ReservationId) != aws.ToString(first.ReservationId) {
		t.Errorf("client token lost in the restart: %s, want %s", aws.ToString(again.ReservationId), aws.ToString(first.ReservationId))
	}
}

// moto has no terminate delay, terminated retention or eventual
// consistency window; these are localcloud's Options, passed to ec2.
func TestEC2TimingOptions(t *testing.T) {
	clock := &ec2FakeClock{now: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)}
	opts := localcloud.Options{EC2NotFoundFor: 10 * time.Second, EC2TerminateDelay: 20 * time.Second, EC2TerminatedRetention: 30 * time.Second, Clock: clock.Now}
	forEachLocalEC2Backend(t, opts, func(t *testing.T, b backend) {
		c := b.EC2()
		_, ids := ec2Run(t, b, c, ec2RunInput(1, ""))
		describe := func() (ec2types.InstanceStateName, error) {
			out, err := c.DescribeInstances(b.Ctx(t), &ec2.DescribeInstancesInput{InstanceIds: ids})
			if err != nil {
				return "", err
			}
			return out.Reservations[0].Instances[0].State.Name, nil
		}
		_, err := describe()
		ec2WantErr(t, err, "InvalidInstanceID.NotFound", 400)
		clock.Advance(10 * time.Second)
		if state, err := describe(); err != nil || state != ec2types.InstanceStateNameRunning {
			t.Fatalf("after the not-found window: %s, %v; want running", state, err)
		}
		if _, err := c.TerminateInstances(b.Ctx(t), &ec2.TerminateInstancesInput{InstanceIds: ids}); err != nil {
			t.Fatalf("TerminateInstances: %v", err)
		}
		clock.Advance(19 * time.Second)
		if state, err := describe(); err != nil || state != ec2types.InstanceStateNameShuttingDown {
			t.Errorf("19 s into the terminate delay: %s, %v; want shutting-down", state, err)
		}
		clock.Advance(time.Second)
		if state, err := describe(); err != nil || state != ec2types.InstanceStateNameTerminated {
			t.Errorf("after the terminate delay: %s, %v; want terminated", state, err)
		}
		clock.Advance(31 * time.Second)
		_, err = describe()
		ec2WantErr(t, err, "InvalidInstanceID.NotFound", 400)
	})
}
