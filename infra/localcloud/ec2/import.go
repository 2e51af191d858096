package ec2

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// InstanceSpec describes an instance to import: one launched elsewhere,
// whose id a test fixture or a recorded event already names.
type InstanceSpec struct {
	ID           string
	ImageID      string
	InstanceType string
	Tags         map[string]string
	// LaunchTime drives the state as for a launched instance: pending for
	// the boot delay after it, running after.
	LaunchTime time.Time
}

// ImportInstances adds instances with the given ids, in one reservation,
// as if RunInstances had launched them at their LaunchTime. It is how a
// test sets up the EC2 state a recorded event refers to (the watcher's
// fixtures name their instances), since RunInstances picks ids of its own.
// An id already known, or malformed, refuses the whole import.
func (s *Service) ImportInstances(specs []InstanceSpec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sp := range specs {
		if !instanceIDPattern.MatchString(sp.ID) {
			return fmt.Errorf("import instance %q: want i- and 8 or 17 lowercase hex digits", sp.ID)
		}
		if _, ok := s.instances[sp.ID]; ok {
			return fmt.Errorf("import instance %s: the id is in use", sp.ID)
		}
	}
	res := &reservation{ID: awsproto.HexID("r-"), OwnerID: s.opts.AccountID}
	var imported []*instance
	for i, sp := range specs {
		seq := s.nextSeq + uint64(i)
		var tags []tag
		for _, k := range slices.Sorted(maps.Keys(sp.Tags)) {
			tags = append(tags, tag{Key: k, Value: sp.Tags[k]})
		}
		imported = append(imported, &instance{
			ID: sp.ID, Seq: seq, ReservationID: res.ID, ImageID: sp.ImageID, InstanceType: sp.InstanceType,
			SubnetID: defaultSubnetID, VpcID: defaultVpcID, PrivateIP: privateIP(seq), AZ: s.opts.Region + "a",
			LaunchIndex: i, Tags: tags, LaunchTime: sp.LaunchTime.UTC().Truncate(time.Millisecond),
		})
		res.InstanceIDs = append(res.InstanceIDs, sp.ID)
	}
	return s.add(imported, res)
}
