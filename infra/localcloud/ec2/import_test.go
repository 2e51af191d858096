package ec2

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestImportInstances: imported instances are described with their ids
// and tags, in the state their launch time gives; a malformed or known id
// refuses the whole import.
func TestImportInstances(t *testing.T) {
	clock := newFakeClock()
	svc, c := newService(t, Options{Clock: clock.Now, BootDelay: time.Minute})
	err := svc.ImportInstances([]InstanceSpec{
		{ID: "i-0a1b2c3d4e5f60718", ImageID: testImage, InstanceType: "t3.micro", Tags: map[string]string{"team": "core"}, LaunchTime: clock.Now().Add(-time.Hour)},
		{ID: "i-0f1e2d3c4b5a69788", ImageID: testImage, InstanceType: "t3.micro", LaunchTime: clock.Now()},
	})
	if err != nil {
		t.Fatalf("ImportInstances: %v", err)
	}
	out, err := c.DescribeInstances(context.Background(), &sdk.DescribeInstancesInput{InstanceIds: []string{"i-0a1b2c3d4e5f60718", "i-0f1e2d3c4b5a69788"}})
	if err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
	states := map[string]types.InstanceStateName{}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			states[aws.ToString(in.InstanceId)] = in.State.Name
			if aws.ToString(in.InstanceId) == "i-0a1b2c3d4e5f60718" && (len(in.Tags) != 1 || aws.ToString(in.Tags[0].Key) != "team") {
				t.Errorf("imported tags %v, want team", in.Tags)
			}
		}
	}
	if states["i-0a1b2c3d4e5f60718"] != types.InstanceStateNameRunning || states["i-0f1e2d3c4b5a69788"] != types.InstanceStateNamePending {
		t.Errorf("states %v, want the one launched an hour ago running, the other pending", states)
	}
	for _, bad := range []string{"i-0a1b2c3d4e5f60718", "i-nothex"} {
		if err := svc.ImportInstances([]InstanceSpec{{ID: "i-1234567890abcdef0", LaunchTime: clock.Now()}, {ID: bad, LaunchTime: clock.Now()}}); err == nil {
			t.Errorf("importing %s succeeded", bad)
		}
	}
	if _, ok := svc.instances["i-1234567890abcdef0"]; ok {
		t.Error("a refused import added an instance")
	}
}
