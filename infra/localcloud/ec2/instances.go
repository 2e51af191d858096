package ec2

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// Network defaults for instances launched without a subnet: the account's
// default VPC, as EC2 uses.
const (
	defaultVpcID    = "vpc-0a1b2c3d4e5f60718"
	defaultSubnetID = "subnet-0a1b2c3d4e5f60718"
)

func (s *Service) runInstances(ctx context.Context, req *runRequest) (*runResponse, *awsproto.Error) {
	if req.DryRun {
		return nil, dryRunOK()
	}
	fp := req.fingerprint()
	now := s.opts.Clock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if req.ClientToken != "" {
		if res, ok := s.tokens[req.ClientToken]; ok {
			// A retry of a call EC2 already carried out: the same
			// reservation, whatever state its instances are in now.
			if res.Fingerprint != fp {
				return nil, errorf("IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
			}
			return s.reservationResponse(res, now, false), nil
		}
	}
	if aerr := takeFault(ctx, req.InstanceType); aerr != nil {
		return nil, aerr
	}

	res := &reservation{ID: awsproto.HexID("r-"), OwnerID: s.opts.AccountID, ClientToken: req.ClientToken, Fingerprint: fp}
	subnet, vpc := req.SubnetID, defaultVpcID
	if subnet == "" {
		subnet = defaultSubnetID
	}
	var launched []*instance
	for i := range req.MaxCount {
		seq := s.nextSeq + uint64(i)
		in := &instance{
			ID:             awsproto.HexID("i-"),
			Seq:            seq,
			ReservationID:  res.ID,
			ImageID:        req.ImageID,
			InstanceType:   req.InstanceType,
			KeyName:        req.KeyName,
			SubnetID:       subnet,
			VpcID:          vpc,
			SecurityGroups: slices.Clone(req.SecurityGroupIDs),
			PrivateIP:      privateIP(seq),
			AZ:             s.opts.Region + "a",
			LaunchIndex:    i,
			ClientToken:    req.ClientToken,
			Tags:           slices.Clone(req.InstanceTags),
			VolumeTags:     slices.Clone(req.VolumeTags),
			LaunchTime:     now.UTC().Truncate(time.Millisecond),
		}
		if reason, ok := s.imageFaults[req.ImageID]; ok {
			in.LaunchFailure = &reason
		}
		launched = append(launched, in)
		res.InstanceIDs = append(res.InstanceIDs, in.ID)
	}
	if err := s.add(launched, res); err != nil {
		return nil, errorf("InternalError", "An internal error has occurred: %v", err)
	}
	s.counters.Resource("instances").In.Add(int64(len(launched)))
	return s.reservationResponse(res, now, true), nil
}

// add keeps a reservation and its instances, on disk first, then in
// memory, taking their sequence numbers from nextSeq. The caller holds
// s.mu.
func (s *Service) add(instances []*instance, res *reservation) error {
	if s.store != nil {
		if err := s.store.put(instances, res); err != nil {
			return err
		}
	}
	s.nextSeq += uint64(len(instances))
	for _, in := range instances {
		s.instances[in.ID] = in
		s.order = append(s.order, in)
	}
	s.reservations[res.ID] = res
	if res.ClientToken != "" {
		s.tokens[res.ClientToken] = res
	}
	return nil
}

// reservationResponse renders a RunInstances answer. A fresh launch always
// reads pending, as on AWS, even when the boot delay is zero.
func (s *Service) reservationResponse(res *reservation, now time.Time, fresh bool) *runResponse {
	out := &runResponse{xmlReservation: xmlReservation{ReservationID: res.ID, OwnerID: res.OwnerID}}
	for _, id := range res.InstanceIDs {
		in := s.instances[id]
		st := in.stateAt(now, s.timing)
		if fresh {
			st = observed{State: statePending}
		}
		out.Instances = append(out.Instances, in.toXML(st))
	}
	return out
}

func privateIP(seq uint64) string {
	return fmt.Sprintf("10.0.%d.%d", (seq/250)%256, seq%250+4)
}

// young reports whether an instance is still inside the eventual-consistency
// window in which DescribeInstances does not know it.
func (s *Service) young(in *instance, now time.Time) bool {
	return s.opts.NotFoundFor > 0 && now.Sub(in.LaunchTime) < s.opts.NotFoundFor
}

func (s *Service) describeInstances(ctx context.Context, req *describeRequest) (*describeResponse, *awsproto.Error) {
	if req.DryRun {
		return nil, dryRunOK()
	}
	now := s.opts.Clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if aerr := takeFault(ctx, ""); aerr != nil {
		return nil, aerr
	}

	var candidates []*instance
	if len(req.InstanceIDs) > 0 {
		var missing []string
		for _, id := range req.InstanceIDs {
			in, ok := s.instances[id]
			if !ok || in.stateAt(now, s.timing).Gone || s.young(in, now) {
				missing = append(missing, id)
				continue
			}
			candidates = append(candidates, in)
		}
		if len(missing) > 0 {
			return nil, instancesNotFound(missing)
		}
		slices.SortFunc(candidates, func(a, b *instance) int { return compareSeq(a.Seq, b.Seq) })
	} else {
		candidates = s.order
	}

	var after *uint64
	if req.NextToken != "" {
		seq, ok := decodeToken(req.NextToken)
		if !ok {
			return nil, errorf("InvalidParameterValue", "The token '%s' is invalid.", req.NextToken)
		}
		after = &seq
	}
	limit := req.MaxResults
	if limit == 0 && req.NextToken != "" {
		limit = 1000
	}

	type seen struct {
		in *instance
		st observed
	}
	var matching []seen
	for _, in := range candidates {
		st := in.stateAt(now, s.timing)
		if st.Gone || (len(req.InstanceIDs) == 0 && s.young(in, now)) || !in.matches(req.Filters, st, s.opts.AccountID) {
			continue
		}
		matching = append(matching, seen{in, st})
	}
	page, more := awsproto.Page(matching, func(m seen) uint64 { return m.in.Seq }, after, limit)
	out := &describeResponse{}
	if more {
		out.NextToken = encodeToken(page[len(page)-1].in.Seq)
	}
	byReservation := map[string]int{}
	for _, m := range page {
		i, ok := byReservation[m.in.ReservationID]
		if !ok {
			i = len(out.Reservations)
			byReservation[m.in.ReservationID] = i
			out.Reservations = append(out.Reservations, xmlReservation{ReservationID: m.in.ReservationID, OwnerID: s.opts.AccountID})
		}
		out.Reservations[i].Instances = append(out.Reservations[i].Instances, m.in.toXML(m.st))
	}
	return out, nil
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// A NextToken names the launch sequence number of the last instance
// returned; it is opaque to clients.
const tokenPrefix = "ec2page:"

func encodeToken(after uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.FormatUint(after, 10)))
}

func decodeToken(tok string) (uint64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), tokenPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	return n, err == nil
}

func (s *Service) terminateInstances(ctx context.Context, req *terminateRequest) (*terminateResponse, *awsproto.Error) {
	if req.DryRun {
		return nil, dryRunOK()
	}
	now := s.opts.Clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	var missing []string
	var targets []*instance
	for _, id := range req.InstanceIDs {
		in, ok := s.instances[id]
		if !ok || in.stateAt(now, s.timing).Gone {
			missing = append(missing, id)
			continue
		}
		targets = append(targets, in)
	}
	if len(missing) > 0 {
		return nil, instancesNotFound(missing)
	}
	if aerr := takeFault(ctx, ""); aerr != nil {
		return nil, aerr
	}

	out := &terminateResponse{}
	var changed []*instance
	for _, in := range targets {
		prev := in.stateAt(now, s.timing)
		cur := prev
		if prev.State == statePending || prev.State == stateRunning {
			c := *in
			c.TerminatedAt = now.UTC()
			changed = append(changed, &c)
			// AWS answers shutting-down; the instance reads terminated
			// once TerminateDelay has passed.
			cur = observed{State: stateShuttingDown}
		}
		out.Changes = append(out.Changes, xmlStateChange{
			InstanceID:    in.ID,
			CurrentState:  xmlState{Code: stateCodes[cur.State], Name: cur.State},
			PreviousState: xmlState{Code: stateCodes[prev.State], Name: prev.State},
		})
	}
	if len(changed) > 0 {
		if s.store != nil {
			if err := s.store.put(changed, nil); err != nil {
				return nil, errorf("InternalError", "An internal error has occurred: %v", err)
			}
		}
		for _, c := range changed {
			*s.instances[c.ID] = *c
		}
		s.counters.Resource("instances").Out.Add(int64(len(changed)))
	}
	return out, nil
}
