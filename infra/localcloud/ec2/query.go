package ec2

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// The EC2 query protocol flattens every list: InstanceId.1, InstanceId.2,
// Filter.1.Name, Filter.1.Value.1, TagSpecification.1.Tag.1.Key. The
// parsers below read members in index order (awsproto.Form) and ignore
// gaps.

// Limits AWS documents for the parameters we validate.
const (
	maxTagsPerResource = 50
	maxTagKeyLen       = 128
	maxTagValueLen     = 256
	maxUserDataBytes   = 16 * 1024
	maxClientTokenLen  = 64
	maxInstancesPerRun = 1000
)

var (
	imageIDPattern    = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)
	instanceIDPattern = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)
	subnetIDPattern   = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	groupIDPattern    = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// tag is one EC2 tag.
type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// runRequest is a parsed RunInstances call.
type runRequest struct {
	ImageID          string   `json:"imageId"`
	InstanceType     string   `json:"instanceType"`
	MinCount         int      `json:"minCount"`
	MaxCount         int      `json:"maxCount"`
	KeyName          string   `json:"keyName,omitempty"`
	SubnetID         string   `json:"subnetId,omitempty"`
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	InstanceTags     []tag    `json:"instanceTags,omitempty"`
	VolumeTags       []tag    `json:"volumeTags,omitempty"`
	UserData         string   `json:"userData,omitempty"` // as sent (base64)
	ClientToken      string   `json:"-"`
	DryRun           bool     `json:"-"`
}

// fingerprint identifies the request's parameters other than ClientToken and
// DryRun, so that a retry with the same token can be told apart from a
// different request reusing it (IdempotentParameterMismatch).
func (r *runRequest) fingerprint() string {
	c := *r
	c.SecurityGroupIDs = slices.Clone(r.SecurityGroupIDs)
	slices.Sort(c.SecurityGroupIDs)
	c.InstanceTags = sortedTags(r.InstanceTags)
	c.VolumeTags = sortedTags(r.VolumeTags)
	b, _ := json.Marshal(c) // a struct of strings and ints cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func sortedTags(tags []tag) []tag {
	out := slices.Clone(tags)
	slices.SortFunc(out, func(a, b tag) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// filter is one DescribeInstances filter: the instance matches when any of
// the values matches; filters combine with AND.
type filter struct {
	Name   string
	Values []string
}

// describeRequest is a parsed DescribeInstances call.
type describeRequest struct {
	InstanceIDs []string
	Filters     []filter
	MaxResults  int // 0: not given
	NextToken   string
	DryRun      bool
}

// terminateRequest is a parsed TerminateInstances call.
type terminateRequest struct {
	InstanceIDs []string
	DryRun      bool
}

// FromQuery reads and validates a RunInstances call.
func (r *runRequest) FromQuery(f awsproto.Form) *awsproto.Error {
	parsed, e := parseRun(f)
	if e == nil {
		*r = *parsed
	}
	return e
}

// FromQuery reads and validates a DescribeInstances call.
func (d *describeRequest) FromQuery(f awsproto.Form) *awsproto.Error {
	parsed, e := parseDescribe(f)
	if e == nil {
		*d = *parsed
	}
	return e
}

// FromQuery reads and validates a TerminateInstances call.
func (t *terminateRequest) FromQuery(f awsproto.Form) *awsproto.Error {
	parsed, e := parseTerminate(f)
	if e == nil {
		*t = *parsed
	}
	return e
}

// parseRun reads and validates a RunInstances call.
func parseRun(form awsproto.Form) (*runRequest, *awsproto.Error) {
	r := &runRequest{
		ImageID:      form.Get("ImageId"),
		InstanceType: form.Get("InstanceType"),
		KeyName:      form.Get("KeyName"),
		SubnetID:     form.Get("SubnetId"),
		ClientToken:  form.Get("ClientToken"),
		UserData:     form.Get("UserData"),
	}
	var aerr *awsproto.Error
	if r.DryRun, aerr = form.Bool("DryRun"); aerr != nil {
		return nil, aerr
	}
	if r.ImageID == "" {
		return nil, missingParam("ImageId")
	}
	if !imageIDPattern.MatchString(r.ImageID) {
		return nil, errorf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", r.ImageID)
	}
	if r.InstanceType == "" {
		r.InstanceType = defaultInstanceType
	}
	if _, ok := instanceTypes[r.InstanceType]; !ok {
		return nil, invalidValue("InstanceType", r.InstanceType)
	}
	minCount, ok, aerr := form.Int("MinCount")
	if aerr != nil {
		return nil, aerr
	}
	if !ok {
		return nil, missingParam("MinCount")
	}
	maxCount, ok, aerr := form.Int("MaxCount")
	if aerr != nil {
		return nil, aerr
	}
	if !ok {
		return nil, missingParam("MaxCount")
	}
	switch {
	case minCount < 1:
		return nil, errorf("InvalidParameterValue", "Value (%d) for parameter minCount is invalid. Expected a positive integer.", minCount)
	case maxCount < 1:
		return nil, errorf("InvalidParameterValue", "Value (%d) for parameter maxCount is invalid. Expected a positive integer.", maxCount)
	case minCount > maxCount:
		return nil, errorf("InvalidParameterValue", "Value (%d) for parameter minCount is invalid. Expected a value less than or equal to maxCount (%d).", minCount, maxCount)
	case minCount > maxInstancesPerRun:
		return nil, errorf("InstanceLimitExceeded", "You have requested more instances (%d) than your current instance limit of %d allows for the specified instance type.", minCount, maxInstancesPerRun)
	}
	r.MinCount, r.MaxCount = minCount, min(maxCount, maxInstancesPerRun)
	if len(r.ClientToken) > maxClientTokenLen {
		return nil, errorf("InvalidParameterValue", "Value for parameter clientToken is invalid: it must be at most %d characters.", maxClientTokenLen)
	}
	if r.SubnetID != "" && !subnetIDPattern.MatchString(r.SubnetID) {
		return nil, errorf("InvalidSubnetID.Malformed", "Invalid id: \"%s\" (expecting \"subnet-...\")", r.SubnetID)
	}
	if r.SecurityGroupIDs, aerr = form.List("SecurityGroupId"); aerr != nil {
		return nil, aerr
	}
	for _, g := range r.SecurityGroupIDs {
		if !groupIDPattern.MatchString(g) {
			return nil, errorf("InvalidGroupId.Malformed", "Invalid id: \"%s\" (expecting \"sg-...\")", g)
		}
	}
	if r.UserData != "" {
		decoded, err := base64.StdEncoding.DecodeString(r.UserData)
		if err != nil {
			return nil, errorf("InvalidParameterValue", "Invalid BASE64 encoding of user data.")
		}
		if len(decoded) > maxUserDataBytes {
			return nil, errorf("InvalidParameterValue", "User data is limited to %d bytes", maxUserDataBytes)
		}
	}
	if aerr := parseTagSpecs(form, r); aerr != nil {
		return nil, aerr
	}
	return r, nil
}

// parseTagSpecs reads TagSpecification.N.ResourceType and
// TagSpecification.N.Tag.M.Key/Value.
func parseTagSpecs(form awsproto.Form, r *runRequest) *awsproto.Error {
	specs, aerr := form.Indexes("TagSpecification")
	if aerr != nil {
		return aerr
	}
	seenType := map[string]bool{}
	for _, n := range specs {
		prefix := "TagSpecification." + strconv.Itoa(n)
		rt := form.Get(prefix + ".ResourceType")
		var dst *[]tag
		switch rt {
		case "instance":
			dst = &r.InstanceTags
		case "volume":
			dst = &r.VolumeTags
		case "":
			return missingParam(prefix + ".ResourceType")
		default:
			return errorf("InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt)
		}
		if seenType[rt] {
			return errorf("InvalidParameterValue", "The same resource type may not be specified more than once in tag specifications: %s", rt)
		}
		seenType[rt] = true
		tags, aerr := form.Indexes(prefix + ".Tag")
		if aerr != nil {
			return aerr
		}
		if len(tags) > maxTagsPerResource {
			return errorf("TagLimitExceeded", "The maximum number of Tags for a resource has been reached (%d).", maxTagsPerResource)
		}
		keys := map[string]bool{}
		for _, m := range tags {
			tp := prefix + ".Tag." + strconv.Itoa(m)
			t := tag{Key: form.Get(tp + ".Key"), Value: form.Get(tp + ".Value")}
			if aerr := validateTag(t); aerr != nil {
				return aerr
			}
			if keys[t.Key] {
				return errorf("InvalidParameterValue", "Duplicate tag key '%s' specified.", t.Key)
			}
			keys[t.Key] = true
			*dst = append(*dst, t)
		}
	}
	return nil
}

func validateTag(t tag) *awsproto.Error {
	switch {
	case t.Key == "":
		return errorf("InvalidParameterValue", "Tag key cannot be empty.")
	case len(t.Key) > maxTagKeyLen:
		return errorf("InvalidParameterValue", "Tag key exceeds the maximum length of %d characters.", maxTagKeyLen)
	case len(t.Value) > maxTagValueLen:
		return errorf("InvalidParameterValue", "Tag value exceeds the maximum length of %d characters.", maxTagValueLen)
	case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
		return errorf("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
	}
	return nil
}

// parseInstanceIDs reads InstanceId.N, refusing malformed ids.
func parseInstanceIDs(form awsproto.Form) ([]string, *awsproto.Error) {
	ids, aerr := form.List("InstanceId")
	if aerr != nil {
		return nil, aerr
	}
	for _, id := range ids {
		if !instanceIDPattern.MatchString(id) {
			return nil, errorf("InvalidInstanceID.Malformed", "Invalid id: \"%s\" (expecting \"i-...\")", id)
		}
	}
	return dedupe(ids), nil
}

// dedupe drops repeated ids, keeping the first occurrence of each.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// parseDescribe reads and validates a DescribeInstances call.
func parseDescribe(form awsproto.Form) (*describeRequest, *awsproto.Error) {
	d := &describeRequest{NextToken: form.Get("NextToken")}
	var aerr *awsproto.Error
	if d.DryRun, aerr = form.Bool("DryRun"); aerr != nil {
		return nil, aerr
	}
	if d.InstanceIDs, aerr = parseInstanceIDs(form); aerr != nil {
		return nil, aerr
	}
	maxResults, ok, aerr := form.Int("MaxResults")
	if aerr != nil {
		return nil, aerr
	}
	if ok {
		if len(d.InstanceIDs) > 0 {
			return nil, errorf("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
		}
		if maxResults < 5 || maxResults > 1000 {
			return nil, errorf("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", maxResults)
		}
		d.MaxResults = maxResults
	}
	fidx, aerr := form.Indexes("Filter")
	if aerr != nil {
		return nil, aerr
	}
	for _, n := range fidx {
		prefix := "Filter." + strconv.Itoa(n)
		f := filter{Name: form.Get(prefix + ".Name")}
		if f.Name == "" {
			return nil, missingParam(prefix + ".Name")
		}
		if !knownFilter(f.Name) {
			return nil, errorf("InvalidParameterValue", "The filter '%s' is invalid", f.Name)
		}
		if f.Values, aerr = form.List(prefix + ".Value"); aerr != nil {
			return nil, aerr
		}
		d.Filters = append(d.Filters, f)
	}
	return d, nil
}

// parseTerminate reads and validates a TerminateInstances call.
func parseTerminate(form awsproto.Form) (*terminateRequest, *awsproto.Error) {
	t := &terminateRequest{}
	var aerr *awsproto.Error
	if t.DryRun, aerr = form.Bool("DryRun"); aerr != nil {
		return nil, aerr
	}
	if t.InstanceIDs, aerr = parseInstanceIDs(form); aerr != nil {
		return nil, aerr
	}
	if len(t.InstanceIDs) == 0 {
		return nil, missingParam("InstanceId")
	}
	return t, nil
}
