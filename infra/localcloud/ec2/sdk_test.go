package ec2

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
	"github.com/eventchain/eventchain/internal/awsenv"
)

const testImage = "ami-0123456789abcdef0"

// fakeClock is a settable clock shared by the service and the test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newService starts svc behind an HTTP server and returns an SDK client that
// does not retry, so each call is one request the test can reason about.
func newService(t *testing.T, opts Options) (*Service, *sdk.Client) {
	svc, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc, clientFor(t, svc, aws.NopRetryer{})
}

func clientFor(t *testing.T, svc *Service, retryer aws.Retryer) *sdk.Client {
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return sdk.New(sdk.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:      retryer,
		HTTPClient:   awsenv.HTTPClient(), // see its doc: a request-body race with fast servers
	})
}

// apiCode returns the error code and HTTP status of an SDK error.
func apiCode(t *testing.T, err error) (string, int) {
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

func wantCode(t *testing.T, err error, code string, status int) {
	got, gotStatus := apiCode(t, err)
	if got != code || gotStatus != status {
		t.Fatalf("error = %s (HTTP %d), want %s (HTTP %d): %v", got, gotStatus, code, status, err)
	}
}

func runInput(token string, tags ...types.Tag) *sdk.RunInstancesInput {
	in := &sdk.RunInstancesInput{
		ImageId:      aws.String(testImage),
		InstanceType: types.InstanceTypeT3Micro,
		MinCount:     aws.Int32(1),
		MaxCount:     aws.Int32(1),
	}
	if token != "" {
		in.ClientToken = aws.String(token)
	}
	if len(tags) > 0 {
		in.TagSpecifications = []types.TagSpecification{
			{ResourceType: types.ResourceTypeInstance, Tags: tags},
			{ResourceType: types.ResourceTypeVolume, Tags: tags},
		}
	}
	return in
}

func describeAll(t *testing.T, c *sdk.Client, in *sdk.DescribeInstancesInput) []types.Instance {
	if in == nil {
		in = &sdk.DescribeInstancesInput{}
	}
	out, err := c.DescribeInstances(context.Background(), in)
	if err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
	var all []types.Instance
	for _, r := range out.Reservations {
		all = append(all, r.Instances...)
	}
	return all
}

func stateOf(t *testing.T, c *sdk.Client, id string) types.Instance {
	got := describeAll(t, c, &sdk.DescribeInstancesInput{InstanceIds: []string{id}})
	if len(got) != 1 {
		t.Fatalf("describe %s: %d instances, want 1", id, len(got))
	}
	return got[0]
}

var longInstanceID = regexp.MustCompile(`^i-[0-9a-f]{17}$`)

func TestRunInstancesAnswersTheReservationAsTheSDKReadsIt(t *testing.T) {
	clock := newFakeClock()
	_, c := newService(t, Options{Clock: clock.Now, BootDelay: time.Minute})
	in := runInput("tok-1", types.Tag{Key: aws.String("team"), Value: aws.String("infra")})
	in.MinCount, in.MaxCount = aws.Int32(2), aws.Int32(3)
	in.KeyName = aws.String("deploy")
	in.SubnetId = aws.String("subnet-0123456789abcdef0")
	in.SecurityGroupIds = []string{"sg-0123456789abcdef0"}
	in.UserData = aws.String("IyEvYmluL3NoCmVjaG8gaGk=")
	out, err := c.RunInstances(context.Background(), in)
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	if !regexp.MustCompile(`^r-[0-9a-f]{17}$`).MatchString(aws.ToString(out.ReservationId)) {
		t.Errorf("reservation id %q", aws.ToString(out.ReservationId))
	}
	if aws.ToString(out.OwnerId) != awsproto.DefaultAccountID {
		t.Errorf("owner %q", aws.ToString(out.OwnerId))
	}
	if len(out.Instances) != 3 {
		t.Fatalf("%d instances, want MaxCount 3", len(out.Instances))
	}
	for i, inst := range out.Instances {
		if !longInstanceID.MatchString(aws.ToString(inst.InstanceId)) {
			t.Errorf("instance id %q", aws.ToString(inst.InstanceId))
		}
		if inst.State == nil || inst.State.Name != types.InstanceStateNamePending || aws.ToInt32(inst.State.Code) != 0 {
			t.Errorf("state %+v, want pending/0", inst.State)
		}
		if inst.InstanceType != types.InstanceTypeT3Micro || aws.ToString(inst.ImageId) != testImage {
			t.Errorf("type %s image %s", inst.InstanceType, aws.ToString(inst.ImageId))
		}
		if !aws.ToTime(inst.LaunchTime).Equal(clock.Now()) {
			t.Errorf("launch time %v, want %v", aws.ToTime(inst.LaunchTime), clock.Now())
		}
		if aws.ToInt32(inst.AmiLaunchIndex) != int32(i) {
			t.Errorf("launch index %d, want %d", aws.ToInt32(inst.AmiLaunchIndex), i)
		}
		if aws.ToString(inst.ClientToken) != "tok-1" || aws.ToString(inst.KeyName) != "deploy" {
			t.Errorf("client token %q key %q", aws.ToString(inst.ClientToken), aws.ToString(inst.KeyName))
		}
		if aws.ToString(inst.SubnetId) != "subnet-0123456789abcdef0" || aws.ToString(inst.PrivateIpAddress) == "" {
			t.Errorf("subnet %q ip %q", aws.ToString(inst.SubnetId), aws.ToString(inst.PrivateIpAddress))
		}
		if inst.Placement == nil || aws.ToString(inst.Placement.AvailabilityZone) != "us-east-1a" {
			t.Errorf("placement %+v", inst.Placement)
		}
		if len(inst.SecurityGroups) != 1 || aws.ToString(inst.SecurityGroups[0].GroupId) != "sg-0123456789abcdef0" {
			t.Errorf("groups %+v", inst.SecurityGroups)
		}
		if len(inst.Tags) != 1 || aws.ToString(inst.Tags[0].Key) != "team" || aws.ToString(inst.Tags[0].Value) != "infra" {
			t.Errorf("tags %+v", inst.Tags)
		}
	}
}

func TestClientTokenReturnsTheSameReservationWithoutLaunching(t *testing.T) {
	svc, c := newService(t, Options{})
	ctx := context.Background()
	first, err := c.RunInstances(ctx, runInput("req-42", types.Tag{Key: aws.String("a"), Value: aws.String("1")}))
	if err != nil {
		t.Fatalf("first RunInstances: %v", err)
	}
	again, err := c.RunInstances(ctx, runInput("req-42", types.Tag{Key: aws.String("a"), Value: aws.String("1")}))
	if err != nil {
		t.Fatalf("retried RunInstances: %v", err)
	}
	if aws.ToString(again.ReservationId) != aws.ToString(first.ReservationId) {
		t.Errorf("retry reservation %s, want %s", aws.ToString(again.ReservationId), aws.ToString(first.ReservationId))
	}
	if len(again.Instances) != 1 || aws.ToString(again.Instances[0].InstanceId) != aws.ToString(first.Instances[0].InstanceId) {
		t.Errorf("retry instances differ: %+v", again.Instances)
	}
	if n := len(describeAll(t, c, nil)); n != 1 {
		t.Errorf("%d instances exist after a retried launch, want 1", n)
	}
	_, res := svc.Counters().Snapshot()
	if res["instances"].In != 1 {
		t.Errorf("instances launched counter %d, want 1", res["instances"].In)
	}

	tests := []struct {
		name string
		in   *sdk.RunInstancesInput
	}{
		{"other tag value", runInput("req-42", types.Tag{Key: aws.String("a"), Value: aws.String("2")})},
		{"no tags", runInput("req-42")},
		{"other type", func() *sdk.RunInstancesInput {
			in := runInput("req-42", types.Tag{Key: aws.String("a"), Value: aws.String("1")})
			in.InstanceType = types.InstanceTypeT3Small
			return in
		}()},
		{"other count", func() *sdk.RunInstancesInput {
			in := runInput("req-42", types.Tag{Key: aws.String("a"), Value: aws.String("1")})
			in.MaxCount = aws.Int32(2)
			return in
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.RunInstances(ctx, tt.in)
			wantCode(t, err, "IdempotentParameterMismatch", 400)
		})
	}
	if n := len(describeAll(t, c, nil)); n != 1 {
		t.Errorf("%d instances exist after mismatched retries, want 1", n)
	}
}

func TestClientTokenReplayShowsCurrentState(t *testing.T) {
	clock := newFakeClock()
	_, c := newService(t, Options{Clock: clock.Now, BootDelay: 10 * time.Second})
	ctx := context.Background()
	if _, err := c.RunInstances(ctx, runInput("tok")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(11 * time.Second)
	again, err := c.RunInstances(ctx, runInput("tok"))
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Instances[0].State.Name; got != types.InstanceStateNameRunning {
		t.Errorf("replayed reservation shows %s, want running", got)
	}
}

func TestDryRun(t *testing.T) {
	_, c := newService(t, Options{})
	ctx := context.Background()
	launched, err := c.RunInstances(ctx, runInput(""))
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(launched.Instances[0].InstanceId)

	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"run would succeed", func() error {
			in := runInput("dry-token")
			in.DryRun = aws.Bool(true)
			_, err := c.RunInstances(ctx, in)
			return err
		}, "DryRunOperation", 412},
		{"run with a bad type fails validation first", func() error {
			in := runInput("")
			in.DryRun, in.InstanceType = aws.Bool(true), "t3.huge"
			_, err := c.RunInstances(ctx, in)
			return err
		}, "InvalidParameterValue", 400},
		{"describe", func() error {
			_, err := c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation", 412},
		{"terminate", func() error {
			_, err := c.TerminateInstances(ctx, &sdk.TerminateInstancesInput{DryRun: aws.Bool(true), InstanceIds: []string{id}})
			return err
		}, "DryRunOperation", 412},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code, tt.status) })
	}
	all := describeAll(t, c, nil)
	if len(all) != 1 || all[0].State.Name != types.InstanceStateNameRunning {
		t.Errorf("dry runs changed state: %+v", all)
	}
	// The dry run's client token was not recorded: a real call with it launches.
	if _, err := c.RunInstances(ctx, runInput("dry-token")); err != nil {
		t.Errorf("launch with the dry run's token: %v", err)
	}
}

func TestRunInstancesValidation(t *testing.T) {
	tagN := func(n int) []types.Tag {
		var tags []types.Tag
		for i := range n {
			tags = append(tags, types.Tag{Key: aws.String("k" + string(rune('a'+i/26)) + string(rune('a'+i%26))), Value: aws.String("v")})
		}
		return tags
	}
	tests := []struct {
		name   string
		modify func(*sdk.RunInstancesInput)
		code   string
	}{
		{"malformed image", func(in *sdk.RunInstancesInput) { in.ImageId = aws.String("ami-xyz") }, "InvalidAMIID.Malformed"},
		{"image with 9 hex digits", func(in *sdk.RunInstancesInput) { in.ImageId = aws.String("ami-0123456789") }, "InvalidAMIID.Malformed"},
		{"missing image", func(in *sdk.RunInstancesInput) { in.ImageId = nil }, "MissingParameter"},
		{"unknown type", func(in *sdk.RunInstancesInput) { in.InstanceType = "t3.enormous" }, "InvalidParameterValue"},
		{"min above max", func(in *sdk.RunInstancesInput) { in.MinCount, in.MaxCount = aws.Int32(3), aws.Int32(2) }, "InvalidParameterValue"},
		{"min zero", func(in *sdk.RunInstancesInput) { in.MinCount = aws.Int32(0) }, "InvalidParameterValue"},
		{"min above the instance limit", func(in *sdk.RunInstancesInput) { in.MinCount, in.MaxCount = aws.Int32(1001), aws.Int32(1001) }, "InstanceLimitExceeded"},
		{"aws: tag key", func(in *sdk.RunInstancesInput) {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("aws:cloudformation"), Value: aws.String("x")}}}}
		}, "InvalidParameterValue"},
		{"51 tags", func(in *sdk.RunInstancesInput) {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: tagN(51)}}
		}, "TagLimitExceeded"},
		{"tag key too long", func(in *sdk.RunInstancesInput) {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String(string(make([]byte, 129))), Value: aws.String("x")}}}}
		}, "InvalidParameterValue"},
		{"untaggable resource type", func(in *sdk.RunInstancesInput) {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVpc, Tags: tagN(1)}}
		}, "InvalidParameterValue"},
		{"user data not base64", func(in *sdk.RunInstancesInput) { in.UserData = aws.String("not base64!") }, "InvalidParameterValue"},
		{"user data over 16 KiB", func(in *sdk.RunInstancesInput) {
			in.UserData = aws.String(string(make([]byte, 0)) + b64(make([]byte, 16*1024+1)))
		}, "InvalidParameterValue"},
		{"malformed subnet", func(in *sdk.RunInstancesInput) { in.SubnetId = aws.String("subnet-zz") }, "InvalidSubnetID.Malformed"},
		{"malformed security group", func(in *sdk.RunInstancesInput) { in.SecurityGroupIds = []string{"default"} }, "InvalidGroupId.Malformed"},
		{"client token too long", func(in *sdk.RunInstancesInput) { in.ClientToken = aws.String(string(make([]byte, 65))) }, "InvalidParameterValue"},
	}
	_, c := newService(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := runInput("")
			tt.modify(in)
			_, err := c.RunInstances(context.Background(), in)
			wantCode(t, err, tt.code, 400)
		})
	}
	if n := len(describeAll(t, c, nil)); n != 0 {
		t.Errorf("%d instances launched by invalid requests", n)
	}
	// The limits themselves are accepted: 50 tags, 16 KiB of user data,
	// an 8-digit image id.
	in := runInput("", tagN(50)...)
	in.UserData = aws.String(b64(make([]byte, 16*1024)))
	in.ImageId = aws.String("ami-12345678")
	if _, err := c.RunInstances(context.Background(), in); err != nil {
		t.Errorf("launch at the limits: %v", err)
	}
}

func TestPendingBecomesRunningAfterBootDelay(t *testing.T) {
	tests := []struct {
		name      string
		bootDelay time.Duration
		states    []types.InstanceStateName // at 0, +bootDelay-1ms, +bootDelay
	}{
		{"zero delay runs on the next describe", 0, []types.InstanceStateName{"running", "running", "running"}},
		{"thirty seconds", 30 * time.Second, []types.InstanceStateName{"pending", "pending", "running"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			start := clock.Now()
			_, c := newService(t, Options{Clock: clock.Now, BootDelay: tt.bootDelay})
			out, err := c.RunInstances(context.Background(), runInput(""))
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(out.Instances[0].InstanceId)
			for i, at := range []time.Duration{0, tt.bootDelay - time.Millisecond, tt.bootDelay} {
				if at < 0 {
					at = 0
				}
				clock.mu.Lock()
				clock.now = start.Add(at)
				clock.mu.Unlock()
				if got := stateOf(t, c, id).State.Name; got != tt.states[i] {
					t.Errorf("at +%v: %s, want %s", at, got, tt.states[i])
				}
			}
		})
	}
}

func TestDescribeFilters(t *testing.T) {
	clock := newFakeClock()
	_, c := newService(t, Options{Clock: clock.Now, BootDelay: time.Minute})
	ctx := context.Background()
	launch := func(token, typ, image, team string) string {
		in := runInput(token, types.Tag{Key: aws.String("team"), Value: aws.String(team)})
		in.InstanceType, in.ImageId = types.InstanceType(typ), aws.String(image)
		out, err := c.RunInstances(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Instances[0].InstanceId)
	}
	a := launch("tok-a", "t3.micro", "ami-0123456789abcdef0", "blue")
	clock.Advance(2 * time.Minute) // a runs
	b := launch("tok-b", "t4g.small", "ami-11111111", "green")
	cID := launch("tok-c", "t3.micro", "ami-11111111", "blue-team")

	f := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}
	tests := []struct {
		name    string
		filters []types.Filter
		want    []string
	}{
		{"state running", []types.Filter{f("instance-state-name", "running")}, []string{a}},
		{"state pending", []types.Filter{f("instance-state-name", "pending")}, []string{b, cID}},
		{"state code", []types.Filter{f("instance-state-code", "16")}, []string{a}},
		{"either state", []types.Filter{f("instance-state-name", "pending", "running")}, []string{a, b, cID}},
		{"instance id", []types.Filter{f("instance-id", b)}, []string{b}},
		{"instance type", []types.Filter{f("instance-type", "t3.micro")}, []string{a, cID}},
		{"image id", []types.Filter{f("image-id", "ami-11111111")}, []string{b, cID}},
		{"tag value", []types.Filter{f("tag:team", "blue")}, []string{a}},
		{"tag wildcard", []types.Filter{f("tag:team", "blue*")}, []string{a, cID}},
		{"tag single-char wildcard", []types.Filter{f("tag:team", "gree?")}, []string{b}},
		{"tag absent key", []types.Filter{f("tag:owner", "*")}, nil},
		{"tag-key", []types.Filter{f("tag-key", "team")}, []string{a, b, cID}},
		{"tag-value", []types.Filter{f("tag-value", "green")}, []string{b}},
		{"client token", []types.Filter{f("client-token", "tok-c")}, []string{cID}},
		{"architecture", []types.Filter{f("architecture", "arm64")}, []string{b}},
		{"filters combine with and", []types.Filter{f("instance-type", "t3.micro"), f("image-id", "ami-11111111")}, []string{cID}},
		{"no match", []types.Filter{f("instance-type", "m5.large")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, in := range describeAll(t, c, &sdk.DescribeInstancesInput{Filters: tt.filters}) {
				got = append(got, aws.ToString(in.InstanceId))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("unknown filter", func(t *testing.T) {
		_, err := c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{Filters: []types.Filter{f("colour", "red")}})
		wantCode(t, err, "InvalidParameterValue", 400)
	})
	t.Run("ids and filters", func(t *testing.T) {
		got := describeAll(t, c, &sdk.DescribeInstancesInput{InstanceIds: []string{a, b}, Filters: []types.Filter{f("instance-state-name", "running")}})
		if len(got) != 1 || aws.ToString(got[0].InstanceId) != a {
			t.Errorf("got %+v, want only %s", got, a)
		}
	})
}

func TestDescribeGroupsInstancesByReservation(t *testing.T) {
	_, c := newService(t, Options{})
	ctx := context.Background()
	in := runInput("")
	in.MaxCount = aws.Int32(3)
	first, err := c.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.RunInstances(ctx, runInput(""))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Reservations) != 2 {
		t.Fatalf("%d reservations, want 2", len(out.Reservations))
	}
	if aws.ToString(out.Reservations[0].ReservationId) != aws.ToString(first.ReservationId) || len(out.Reservations[0].Instances) != 3 {
		t.Errorf("first reservation %+v", out.Reservations[0])
	}
	if aws.ToString(out.Reservations[1].ReservationId) != aws.ToString(second.ReservationId) || len(out.Reservations[1].Instances) != 1 {
		t.Errorf("second reservation %+v", out.Reservations[1])
	}
}

func TestDescribePagination(t *testing.T) {
	_, c := newService(t, Options{})
	ctx := context.Background()
	var launched []string
	for range 4 {
		in := runInput("")
		in.MaxCount = aws.Int32(3)
		out, err := c.RunInstances(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range out.Instances {
			launched = append(launched, aws.ToString(i.InstanceId))
		}
	}
	var pages []int
	var seen []string
	p := sdk.NewDescribeInstancesPaginator(c, &sdk.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("page: %v", err)
		}
		n := 0
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				seen = append(seen, aws.ToString(i.InstanceId))
				n++
			}
		}
		pages = append(pages, n)
	}
	if !slices.Equal(pages, []int{5, 5, 2}) {
		t.Errorf("page sizes %v, want [5 5 2]", pages)
	}
	if !slices.Equal(seen, launched) {
		t.Errorf("paged ids %v, want launch order %v", seen, launched)
	}

	tests := []struct {
		name string
		in   *sdk.DescribeInstancesInput
		code string
	}{
		{"max results below 5", &sdk.DescribeInstancesInput{MaxResults: aws.Int32(4)}, "InvalidParameterValue"},
		{"max results above 1000", &sdk.DescribeInstancesInput{MaxResults: aws.Int32(1001)}, "InvalidParameterValue"},
		{"max results with ids", &sdk.DescribeInstancesInput{MaxResults: aws.Int32(5), InstanceIds: launched[:1]}, "InvalidParameterCombination"},
		{"forged token", &sdk.DescribeInstancesInput{MaxResults: aws.Int32(5), NextToken: aws.String("bm90LWEtdG9rZW4")}, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.DescribeInstances(ctx, tt.in)
			wantCode(t, err, tt.code, 400)
		})
	}
}

func TestDescribeUnknownAndMalformedIDs(t *testing.T) {
	_, c := newService(t, Options{})
	ctx := context.Background()
	out, err := c.RunInstances(ctx, runInput(""))
	if err != nil {
		t.Fatal(err)
	}
	known := aws.ToString(out.Instances[0].InstanceId)
	const unknown1, unknown2 = "i-0000000000000000a", "i-0000000b"
	tests := []struct {
		name    string
		ids     []string
		code    string
		mention []string
	}{
		{"one unknown", []string{unknown1}, "InvalidInstanceID.NotFound", []string{unknown1}},
		{"known and unknown", []string{known, unknown1, unknown2}, "InvalidInstanceID.NotFound", []string{unknown1, unknown2}},
		{"malformed", []string{"i-xyz"}, "InvalidInstanceID.Malformed", []string{"i-xyz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: tt.ids})
			wantCode(t, err, tt.code, 400)
			var ae smithy.APIError
			errors.As(err, &ae)
			for _, id := range tt.mention {
				if !regexp.MustCompile(regexp.QuoteMeta(id)).MatchString(ae.ErrorMessage()) {
					t.Errorf("message %q does not name %s", ae.ErrorMessage(), id)
				}
			}
			if tt.code == "InvalidInstanceID.NotFound" && regexp.MustCompile(known).MatchString(ae.ErrorMessage()) {
				t.Errorf("message %q names the known id", ae.ErrorMessage())
			}
		})
	}
}

func TestNotFoundForModelsEventualConsistency(t *testing.T) {
	clock := newFakeClock()
	_, c := newService(t, Options{Clock: clock.Now, NotFoundFor: 2 * time.Second})
	ctx := context.Background()
	out, err := c.RunInstances(ctx, runInput(""))
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	_, err = c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, "InvalidInstanceID.NotFound", 400)
	if n := len(describeAll(t, c, nil)); n != 0 {
		t.Errorf("young instance listed: %d instances", n)
	}
	clock.Advance(2 * time.Second)
	if got := stateOf(t, c, id); aws.ToString(got.InstanceId) != id {
		t.Errorf("after the window: %+v", got)
	}
}

func TestTerminateInstances(t *testing.T) {
	clock := newFakeClock()
	_, c := newService(t, Options{Clock: clock.Now, BootDelay: 10 * time.Second, TerminateDelay: 5 * time.Second, TerminatedRetention: time.Hour})
	ctx := context.Background()
	in := runInput("")
	in.MaxCount = aws.Int32(2)
	out, err := c.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	pendingID, runningID := aws.ToString(out.Instances[0].InstanceId), aws.ToString(out.Instances[1].InstanceId)

	// Terminate one while pending.
	term, err := c.TerminateInstances(ctx, &sdk.TerminateInstancesInput{InstanceIds: []string{pendingID}})
	if err != nil {
		t.Fatal(err)
	}
	change := term.TerminatingInstances[0]
	if change.PreviousState.Name != types.InstanceStateNamePending || change.CurrentState.Name != types.InstanceStateNameShuttingDown {
		t.Errorf("pending → %s/%s, want pending → shutting-down", change.PreviousState.Name, change.CurrentState.Name)
	}

	clock.Advance(10 * time.Second)
	term, err = c.TerminateInstances(ctx, &sdk.TerminateInstancesInput{InstanceIds: []string{runningID}})
	if err != nil {
		t.Fatal(err)
	}
	change = term.TerminatingInstances[0]
	if aws.ToString(change.InstanceId) != runningID || change.PreviousState.Name != types.InstanceStateNameRunning ||
		aws.ToInt32(change.PreviousState.Code) != 16 || change.CurrentState.Name != types.InstanceStateNameShuttingDown || aws.ToInt32(change.CurrentState.Code) != 32 {
		t.Errorf("running change %+v → %+v", change.PreviousState, change.CurrentState)
	}
	got := stateOf(t, c, runningID)
	if got.State.Name != types.InstanceStateNameShuttingDown {
		t.Errorf("inside TerminateDelay: %s, want shutting-down", got.State.Name)
	}
	if got.StateReason == nil || aws.ToString(got.StateReason.Code) != "Client.UserInitiatedShutdown" {
		t.Errorf("state reason %+v", got.StateReason)
	}
	clock.Advance(5 * time.Second)
	if got := stateOf(t, c, runningID).State.Name; got != types.InstanceStateNameTerminated {
		t.Errorf("after TerminateDelay: %s, want terminated", got)
	}

	// Terminating again is harmless and reports terminated → terminated.
	term, err = c.TerminateInstances(ctx, &sdk.TerminateInstancesInput{InstanceIds: []string{runningID, pendingID}})
	if err != nil {
		t.Fatalf("terminate again: %v", err)
	}
	for _, ch := range term.TerminatingInstances {
		if ch.PreviousState.Name != types.InstanceStateNameTerminated || ch.CurrentState.Name != types.InstanceStateNameTerminated {
			t.Errorf("%s: %s → %s, want terminated → terminated", aws.ToString(ch.InstanceId), ch.PreviousState.Name, ch.CurrentState.Name)
		}
	}

	// Terminated instances stay describable for the retention period.
	clock.Advance(59 * time.Minute)
	if got := stateOf(t, c, pendingID).State.Name; got != types.InstanceStateNameTerminated {
		t.Errorf("within retention: %s", got)
	}
	clock.Advance(time.Minute)
	_, err = c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{InstanceIds: []string{pendingID}})
	wantCode(t, err, "InvalidInstanceID.NotFound", 400)

	t.Run("unknown id", func(t *testing.T) {
		_, err := c.TerminateInstances(ctx, &sdk.TerminateInstancesInput{InstanceIds: []string{"i-0123456789abcdef9"}})
		wantCode(t, err, "InvalidInstanceID.NotFound", 400)
	})
}

func TestRateLimitAnswersRequestLimitExceeded(t *testing.T) {
	clock := newFakeClock()
	svc, c := newService(t, Options{Clock: clock.Now, RateLimit: 1, Burst: 3})
	ctx := context.Background()
	for i := range 3 {
		if _, err := c.RunInstances(ctx, runInput("")); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	_, err := c.RunInstances(ctx, runInput(""))
	wantCode(t, err, "RequestLimitExceeded", 503)
	// Each action has a bucket of its own, as on EC2: describing is not
	// throttled by the launches.
	for i := range 3 {
		if _, err := c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{}); err != nil {
			t.Fatalf("DescribeInstances %d with RunInstances' bucket empty: %v", i+1, err)
		}
	}
	clock.Advance(time.Second)
	if _, err := c.RunInstances(ctx, runInput("")); err != nil {
		t.Fatalf("after one token refilled: %v", err)
	}
	ops, _ := svc.Counters().Snapshot()
	if got := ops["RunInstances"]; got.Calls != 5 || got.Throttled != 1 || got.Errors != 1 {
		t.Errorf("RunInstances counters %+v, want 5 calls, 1 throttled, 1 error", got)
	}
	if got := ops["DescribeInstances"]; got.Calls != 3 || got.Throttled != 0 {
		t.Errorf("DescribeInstances counters %+v", got)
	}
}

func TestSDKRetriesThrottlingAndCapacityErrors(t *testing.T) {
	tests := []struct {
		name   string
		inject func(*Service)
	}{
		{"RequestLimitExceeded", func(s *Service) { s.InjectFailure("RunInstances", "RequestLimitExceeded", 1) }},
		{"InsufficientInstanceCapacity", func(s *Service) { s.InjectFailure("RunInstances", "InsufficientInstanceCapacity", 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			tt.inject(svc)
			// The SDK's standard retryer, as production clients use it.
			c := clientFor(t, svc, nil)
			if _, err := c.RunInstances(context.Background(), runInput("tok")); err != nil {
				t.Fatalf("RunInstances with the standard retryer: %v", err)
			}
			ops, _ := svc.Counters().Snapshot()
			if got := ops["RunInstances"]; got.Calls != 2 || got.Errors != 1 {
				t.Errorf("counters %+v, want one failed call then one retry", got)
			}
		})
	}
}

func TestInjectedFailures(t *testing.T) {
	svc, c := newService(t, Options{})
	ctx := context.Background()
	svc.InjectFailure("RunInstances", "InsufficientInstanceCapacity", 2)
	svc.InjectFailure("RunInstances", "InvalidAMIID.NotFound", 1)

	// Validation and dry runs do not consume injected failures.
	bad := runInput("")
	bad.InstanceType = "nope"
	_, err := c.RunInstances(ctx, bad)
	wantCode(t, err, "InvalidParameterValue", 400)
	dry := runInput("")
	dry.DryRun = aws.Bool(true)
	_, err = c.RunInstances(ctx, dry)
	wantCode(t, err, "DryRunOperation", 412)

	for _, want := range []struct {
		code   string
		status int
	}{{"InsufficientInstanceCapacity", 500}, {"InsufficientInstanceCapacity", 500}, {"InvalidAMIID.NotFound", 400}} {
		_, err := c.RunInstances(ctx, runInput(""))
		wantCode(t, err, want.code, want.status)
	}
	if _, err := c.RunInstances(ctx, runInput("")); err != nil {
		t.Fatalf("after the injected failures: %v", err)
	}

	svc.InjectFailure("DescribeInstances", "Unavailable", 1)
	_, err = c.DescribeInstances(ctx, &sdk.DescribeInstancesInput{})
	wantCode(t, err, "Unavailable", 503)

	svc.InjectFailure("RunInstances", "InsufficientInstanceCapacity", 5)
	svc.ClearFailures()
	if _, err := c.RunInstances(ctx, runInput("")); err != nil {
		t.Fatalf("after ClearFailures: %v", err)
	}
}

func TestFailLaunchesTerminatesWithStateReason(t *testing.T) {
	clock := newFakeClock()
	svc, c := newService(t, Options{Clock: clock.Now, BootDelay: 20 * time.Second, TerminateDelay: 3 * time.Second})
	ctx := context.Background()
	const doomed = "ami-0dead0000000beef0"
	svc.FailLaunches(doomed, StateReason{Code: "Server.InternalError", Message: "Server.InternalError: Internal error on launch"})
	in := runInput("")
	in.ImageId = aws.String(doomed)
	out, err := c.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	healthy, err := c.RunInstances(ctx, runInput(""))
	if err != nil {
		t.Fatal(err)
	}
	id, okID := aws.ToString(out.Instances[0].InstanceId), aws.ToString(healthy.Instances[0].InstanceId)

	steps := []struct {
		advance time.Duration
		want    types.InstanceStateName
	}{
		{0, types.InstanceStateNamePending},
		{20 * time.Second, types.InstanceStateNameShuttingDown},
		{3 * time.Second, types.InstanceStateNameTerminated},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		got := stateOf(t, c, id)
		if got.State.Name != s.want {
			t.Fatalf("after %v more: %s, want %s", s.advance, got.State.Name, s.want)
		}
		if s.want != types.InstanceStateNamePending && (got.StateReason == nil || aws.ToString(got.StateReason.Code) != "Server.InternalError") {
			t.Errorf("state reason %+v", got.StateReason)
		}
	}
	if got := stateOf(t, c, okID).State.Name; got != types.InstanceStateNameRunning {
		t.Errorf("an instance of another image: %s, want running", got)
	}
	failed := describeAll(t, c, &sdk.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("state-reason-code"), Values: []string{"Server.InternalError"}}}})
	if len(failed) != 1 || aws.ToString(failed[0].InstanceId) != id {
		t.Errorf("state-reason-code filter: %+v", failed)
	}
}

func TestStateSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	clock := newFakeClock()
	open := func() (*bbolt.DB, *Service, *sdk.Client) {
		db, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		svc, c := newService(t, Options{DB: db, Clock: clock.Now, BootDelay: time.Minute})
		return db, svc, c
	}
	ctx := context.Background()
	db, _, c := open()
	in := runInput("durable", types.Tag{Key: aws.String("k"), Value: aws.String("v")})
	in.MaxCount = aws.Int32(2)
	first, err := c.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{aws.ToString(first.Instances[0].InstanceId), aws.ToString(first.Instances[1].InstanceId)}
	if _, err := c.TerminateInstances(ctx, &sdk.TerminateInstancesInput{InstanceIds: ids[1:]}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, _, c = open()
	defer db.Close()
	clock.Advance(time.Minute)
	all := describeAll(t, c, nil)
	if len(all) != 2 {
		t.Fatalf("%d instances after reopen, want 2", len(all))
	}
	if all[0].State.Name != types.InstanceStateNameRunning || all[1].State.Name != types.InstanceStateNameTerminated {
		t.Errorf("states after reopen: %s, %s", all[0].State.Name, all[1].State.Name)
	}
	if len(all[0].Tags) != 1 || aws.ToString(all[0].Tags[0].Value) != "v" {
		t.Errorf("tags after reopen: %+v", all[0].Tags)
	}
	again, err := c.RunInstances(ctx, in)
	if err != nil {
		t.Fatalf("retry after reopen: %v", err)
	}
	if aws.ToString(again.ReservationId) != aws.ToString(first.ReservationId) {
		t.Errorf("client token forgotten across reopen: %s vs %s", aws.ToString(again.ReservationId), aws.ToString(first.ReservationId))
	}
	in.InstanceType = types.InstanceTypeT3Large
	_, err = c.RunInstances(ctx, in)
	wantCode(t, err, "IdempotentParameterMismatch", 400)
	// New launches continue the launch order after the reloaded ones.
	more, err := c.RunInstances(ctx, runInput(""))
	if err != nil {
		t.Fatal(err)
	}
	all = describeAll(t, c, nil)
	if len(all) != 3 || aws.ToString(all[2].InstanceId) != aws.ToString(more.Instances[0].InstanceId) {
		t.Errorf("launch order after reopen: %+v", all)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
