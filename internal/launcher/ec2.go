package launcher

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/eventchain/eventchain/internal/event"
)

// RunInstancesAPI is the EC2 call the launcher makes; *ec2.Client
// satisfies it.
type RunInstancesAPI interface {
	RunInstances(ctx context.Context, in *ec2.RunInstancesInput, optFns ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error)
}

var _ RunInstancesAPI = (*ec2.Client)(nil)

// Tag keys the launcher sets on every instance and volume.
const (
	TagRequestID     = "eventchain:request-id"
	TagCorrelationID = "eventchain:correlation-id"
)

// RunInstancesInput builds the RunInstances call for a request. It is a
// pure function of the request and its correlation id: EC2 treats a call
// with the same ClientToken but different parameters as
// IdempotentParameterMismatch, so nothing per-delivery may go in.
func RunInstancesInput(req event.LaunchRequested, correlationID string) *ec2.RunInstancesInput {
	tags := []ec2types.Tag{
		{Key: aws.String(TagRequestID), Value: aws.String(req.RequestID)},
		{Key: aws.String(TagCorrelationID), Value: aws.String(correlationID)},
	}
	keys := make([]string, 0, len(req.Tags))
	for k := range req.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		tags = append(tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(req.Tags[k])})
	}
	count := int32(req.Count)
	in := &ec2.RunInstancesInput{
		ClientToken:  aws.String(req.RequestID),
		ImageId:      aws.String(req.ImageID),
		InstanceType: ec2types.InstanceType(req.InstanceType),
		MinCount:     aws.Int32(count),
		MaxCount:     aws.Int32(count),
		TagSpecifications: []ec2types.TagSpecification{
			{ResourceType: ec2types.ResourceTypeInstance, Tags: tags},
			{ResourceType: ec2types.ResourceTypeVolume, Tags: tags},
		},
	}
	if req.SubnetID != "" {
		in.SubnetId = aws.String(req.SubnetID)
	}
	if req.KeyName != "" {
		in.KeyName = aws.String(req.KeyName)
	}
	if len(req.SecurityGroupIDs) > 0 {
		in.SecurityGroupIds = slices.Clone(req.SecurityGroupIDs)
	}
	if req.UserData != "" {
		in.UserData = aws.String(req.UserData) // already base64 (see the package doc)
	}
	return in
}

// Class is how the launcher treats an EC2 error.
type Class int

const (
	// Unclassified errors are retried until the redrive policy gives up.
	Unclassified Class = iota
	// Transient errors may succeed later: the record is retried.
	Transient
	// Permanent errors cannot succeed: the request fails with launch.failed.
	Permanent
)

func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case Permanent:
		return "permanent"
	}
	return "unclassified"
}

// The classification table. An EC2 error code not listed is Unclassified
// (retried until the last receive, then launch.failed RetriesExhausted).
// Every transient error backs off on the consumer's one retry schedule
// (consumer.Backoff: 2 s doubling to 60 s, ±20 %), for at least
// RetryWindow before the request fails.
//
//	code                                   class      why
//	RequestLimitExceeded, Throttling       transient  the API rate
//	InternalError, Unavailable,            transient  EC2 side
//	  ServiceUnavailable, timeouts
//	InsufficientInstanceCapacity,          transient  capacity often comes back within minutes
//	  InsufficientCapacity,
//	  InsufficientAddressCapacity,
//	  InsufficientFreeAddressesInSubnet
//	VcpuLimitExceeded, InstanceLimitExceeded permanent the account's quota: only a person (a quota
//	                                                  increase, other instances stopped) changes it, and
//	                                                  retrying for the queue's whole receive budget would
//	                                                  only delay the failure
//	InvalidParameter*, MissingParameter,   permanent  the request as sent can never succeed
//	  Unsupported, UnauthorizedOperation,
//	  IdempotentParameterMismatch,
//	  InvalidBlockDeviceMapping,
//	  InvalidAMIID.*, InvalidSubnetID.*, InvalidSubnetId.*, InvalidKeyPair.*,
//	  InvalidGroup.*, InvalidGroupId.*, InvalidSecurityGroupID.*, InvalidUserData.*
var (
	// transientCodes are the EC2 errors that retrying may cure.
	transientCodes = []string{
		"RequestLimitExceeded", "Throttling", "Unavailable", "ServiceUnavailable", "InternalError",
		"InsufficientInstanceCapacity", "InsufficientCapacity", "InsufficientAddressCapacity",
		"InsufficientFreeAddressesInSubnet",
	}
	// permanentCodes are exact codes; permanentPrefixes match families
	// such as InvalidAMIID.NotFound and InvalidAMIID.Malformed.
	permanentCodes = []string{
		"IdempotentParameterMismatch", "InvalidParameterValue", "InvalidParameter",
		"InvalidParameterCombination", "MissingParameter", "Unsupported", "UnauthorizedOperation",
		"VcpuLimitExceeded", "InstanceLimitExceeded", "InvalidBlockDeviceMapping",
	}
	permanentPrefixes = []string{
		"InvalidAMIID.", "InvalidSubnetID.", "InvalidSubnetId.", "InvalidKeyPair.", "InvalidGroup.", "InvalidGroupId.",
		"InvalidSecurityGroupID.", "InvalidUserData.",
	}
)

// throttled tells whether an EC2 error code refuses a call for the API
// rate, which the pacer answers by moving its calls (pacer.Throttled).
func throttled(code string) bool { return code == "RequestLimitExceeded" || code == "Throttling" }

// Classify tells transient EC2 failures (throttling, capacity, service
// errors, timeouts) from permanent ones (parameters EC2 refuses). It
// returns the EC2 error code and message when there is one.
func Classify(err error) (class Class, code, message string) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code, message = apiErr.ErrorCode(), apiErr.ErrorMessage()
		switch {
		case slices.Contains(transientCodes, code):
			return Transient, code, message
		case slices.Contains(permanentCodes, code):
			return Permanent, code, message
		}
		for _, p := range permanentPrefixes {
			if strings.HasPrefix(code, p) {
				return Permanent, code, message
			}
		}
		return Unclassified, code, message
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return Transient, "Timeout", err.Error()
	}
	return Unclassified, "", err.Error()
}
