package ec2

import (
	"strconv"
	"strings"
	"time"
)

// defaultInstanceType is what EC2 launches when InstanceType is not given.
const defaultInstanceType = "m1.small"

// instanceTypes is the set of instance types RunInstances accepts, with
// their architecture. It is a representative subset of what AWS offers:
// enough for callers to tell a typo from a real type.
var instanceTypes = func() map[string]string {
	m := map[string]string{defaultInstanceType: "x86_64"}
	sizes := []string{"nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"}
	for _, family := range []string{"t2", "t3", "t3a"} {
		for _, s := range sizes {
			m[family+"."+s] = "x86_64"
		}
	}
	for _, s := range sizes {
		m["t4g."+s] = "arm64"
	}
	big := []string{"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"}
	for _, family := range []string{"m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "r6i", "r7i"} {
		for _, s := range big {
			m[family+"."+s] = "x86_64"
		}
	}
	for _, family := range []string{"m6g", "m7g", "c6g", "c7g", "r6g", "r7g"} {
		m[family+".medium"] = "arm64"
		for _, s := range big[:len(big)-1] {
			m[family+"."+s] = "arm64"
		}
	}
	return m
}()

// Instance state codes and names as EC2 reports them.
const (
	statePending      = "pending"
	stateRunning      = "running"
	stateShuttingDown = "shutting-down"
	stateTerminated   = "terminated"
)

var stateCodes = map[string]int{
	statePending:      0,
	stateRunning:      16,
	stateShuttingDown: 32,
	stateTerminated:   48,
}

// StateReason says why an instance changed state, as EC2's stateReason.
type StateReason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// instance is one emulated instance. Its state is not stored: it is derived
// from LaunchTime, LaunchFailure and TerminatedAt with the service clock.
type instance struct {
	ID             string    `json:"id"`
	Seq            uint64    `json:"seq"` // launch order, for stable pagination
	ReservationID  string    `json:"reservationId"`
	ImageID        string    `json:"imageId"`
	InstanceType   string    `json:"instanceType"`
	KeyName        string    `json:"keyName,omitempty"`
	SubnetID       string    `json:"subnetId"`
	VpcID          string    `json:"vpcId"`
	SecurityGroups []string  `json:"securityGroups,omitempty"`
	PrivateIP      string    `json:"privateIp"`
	AZ             string    `json:"az"`
	LaunchIndex    int       `json:"launchIndex"`
	ClientToken    string    `json:"clientToken,omitempty"`
	Tags           []tag     `json:"tags,omitempty"`
	VolumeTags     []tag     `json:"volumeTags,omitempty"`
	LaunchTime     time.Time `json:"launchTime"`
	// LaunchFailure, when set, makes the instance die at the end of its
	// boot instead of running.
	LaunchFailure *StateReason `json:"launchFailure,omitempty"`
	// TerminatedAt is when TerminateInstances was called; zero if never.
	TerminatedAt time.Time `json:"terminatedAt,omitzero"`
}

// reservation groups the instances of one RunInstances call.
type reservation struct {
	ID          string   `json:"id"`
	OwnerID     string   `json:"ownerId"`
	InstanceIDs []string `json:"instanceIds"`
	ClientToken string   `json:"clientToken,omitempty"`
	Fingerprint string   `json:"fingerprint,omitempty"`
}

// timing holds the durations that drive the state machine.
type timing struct {
	boot, terminate, retention time.Duration
}

// observed is an instance's state at one moment.
type observed struct {
	State      string
	Reason     *StateReason
	Transition string // stateTransitionReason
	// Gone reports a terminated instance past the retention period: AWS no
	// longer describes it.
	Gone bool
}

// stateAt computes the instance's state at now.
//
//	pending ──BootDelay──▶ running ──Terminate──▶ shutting-down ──TerminateDelay──▶ terminated
//	pending ──BootDelay (launch failure)──▶ shutting-down ──TerminateDelay──▶ terminated
func (in *instance) stateAt(now time.Time, t timing) observed {
	booted := in.LaunchTime.Add(t.boot)
	// The moment the instance began to shut down, if it did.
	var downAt time.Time
	var reason *StateReason
	var transition string
	switch {
	case !in.TerminatedAt.IsZero() && (in.LaunchFailure == nil || in.TerminatedAt.Before(booted)):
		downAt = in.TerminatedAt
		reason = &StateReason{Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown"}
		transition = "User initiated (" + in.TerminatedAt.UTC().Format("2006-01-02 15:04:05 MST") + ")"
	case in.LaunchFailure != nil && !now.Before(booted):
		downAt = booted
		reason = in.LaunchFailure
		transition = in.LaunchFailure.Code
	}
	if !downAt.IsZero() {
		doneAt := downAt.Add(t.terminate)
		if now.Before(doneAt) {
			return observed{State: stateShuttingDown, Reason: reason, Transition: transition}
		}
		return observed{State: stateTerminated, Reason: reason, Transition: transition,
			Gone: t.retention > 0 && !now.Before(doneAt.Add(t.retention))}
	}
	if now.Before(booted) {
		return observed{State: statePending}
	}
	return observed{State: stateRunning}
}

// knownFilter reports whether DescribeInstances supports a filter name.
func knownFilter(name string) bool {
	if strings.HasPrefix(name, "tag:") && len(name) > len("tag:") {
		return true
	}
	switch name {
	case "instance-state-name", "instance-state-code", "instance-id", "instance-type", "image-id",
		"tag-key", "tag-value", "client-token", "reservation-id", "key-name", "subnet-id", "vpc-id",
		"availability-zone", "private-ip-address", "architecture", "state-reason-code", "owner-id":
		return true
	}
	return false
}

// filterValues returns the instance's values for a filter name.
func (in *instance) filterValues(name string, st observed, ownerID string) []string {
	if key, ok := strings.CutPrefix(name, "tag:"); ok {
		for _, t := range in.Tags {
			if t.Key == key {
				return []string{t.Value}
			}
		}
		return nil
	}
	switch name {
	case "instance-state-name":
		return []string{st.State}
	case "instance-state-code":
		return []string{strconv.Itoa(stateCodes[st.State])}
	case "instance-id":
		return []string{in.ID}
	case "instance-type":
		return []string{in.InstanceType}
	case "image-id":
		return []string{in.ImageID}
	case "tag-key", "tag-value":
		out := make([]string, 0, len(in.Tags))
		for _, t := range in.Tags {
			if name == "tag-key" {
				out = append(out, t.Key)
			} else {
				out = append(out, t.Value)
			}
		}
		return out
	case "client-token":
		return []string{in.ClientToken}
	case "reservation-id":
		return []string{in.ReservationID}
	case "key-name":
		return []string{in.KeyName}
	case "subnet-id":
		return []string{in.SubnetID}
	case "vpc-id":
		return []string{in.VpcID}
	case "availability-zone":
		return []string{in.AZ}
	case "private-ip-address":
		return []string{in.PrivateIP}
	case "architecture":
		return []string{instanceTypes[in.InstanceType]}
	case "state-reason-code":
		if st.Reason != nil {
			return []string{st.Reason.Code}
		}
		return nil
	case "owner-id":
		return []string{ownerID}
	}
	return nil
}

// matches reports whether the instance passes every filter.
func (in *instance) matches(filters []filter, st observed, ownerID string) bool {
	for _, f := range filters {
		have := in.filterValues(f.Name, st, ownerID)
		if !anyMatch(have, f.Values) {
			return false
		}
	}
	return true
}

func anyMatch(have, patterns []string) bool {
	for _, p := range patterns {
		for _, h := range have {
			if wildcardMatch(p, h) {
				return true
			}
		}
	}
	return false
}

// wildcardMatch matches EC2 filter values: * is any run of characters, ? is
// one character, and \ escapes either.
func wildcardMatch(pattern, s string) bool {
	p := []rune(pattern)
	r := []rune(s)
	// Iterative matching with backtracking on the last star.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(r) {
		switch {
		case pi < len(p) && p[pi] == '\\' && pi+1 < len(p) && p[pi+1] == r[si]:
			pi += 2
			si++
		case pi < len(p) && p[pi] != '\\' && (p[pi] == '?' || (p[pi] != '*' && p[pi] == r[si])):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
