package api

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/eventchain/eventchain/internal/event"
)

// EC2 and API limits the validation enforces.
const (
	// MaxBulkLaunches is the most launches one bulk POST carries.
	MaxBulkLaunches = 100
	// MaxTags is the caller's share of EC2's 50 tags per resource; the
	// other two are eventchain:request-id and eventchain:correlation-id.
	MaxTags        = 48
	maxTagKeyLen   = 128 // characters
	maxTagValueLen = 256 // characters
	// MaxSecurityGroups is EC2's default quota of security groups per
	// network interface.
	MaxSecurityGroups = 5
	// MaxUserDataBytes is EC2's limit on user data before base64 encoding.
	MaxUserDataBytes = 16 * 1024
	maxKeyNameLen    = 255
)

// reservedTagPrefixes are refused in caller tag keys (compared without
// regard to case, as AWS reserves aws: in any case).
var reservedTagPrefixes = []string{"aws:", "eventchain:"}

// launchInput is one launch as the caller sends it. Pointers tell a member
// left out from one sent empty: a missing count is MissingField, a count
// of 0 InvalidValue. Once validated, its JSON form (fixed member order,
// sorted tags, absent and empty members omitted) is the canonical body an
// Idempotency-Key's hash is computed over.
type launchInput struct {
	ImageID          *string           `json:"imageId"`
	InstanceType     *string           `json:"instanceType"`
	Count            *int              `json:"count"`
	Tags             map[string]string `json:"tags,omitempty"`
	SubnetID         *string           `json:"subnetId,omitempty"`
	KeyName          *string           `json:"keyName,omitempty"`
	SecurityGroupIDs []string          `json:"securityGroupIds,omitempty"`
	UserData         *string           `json:"userData,omitempty"`
}

// bulkInput is a bulk request. Its launches are decoded one by one, so
// that every bad one is named.
type bulkInput struct {
	Launches []jsontext.Value `json:"launches"`
}

// launchRequest is a validated POST body: one launch, or a bulk request.
type launchRequest struct {
	Bulk bool
	// Launches are the launch.requested payloads, request ids not yet
	// assigned.
	Launches []event.LaunchRequested
	inputs   []launchInput // as sent, for the canonical form
}

// canonical returns the bytes an Idempotency-Key's body hash covers: two
// bodies that differ only in whitespace, key order or escaping hash alike,
// a single and a one-item bulk request do not. It is encoding/json's
// output (sorted map keys, HTML escaped), as when the keys still stored
// were claimed.
func (r launchRequest) canonical() []byte {
	var b []byte
	if r.Bulk {
		b, _ = json.Marshal(struct {
			Launches []launchInput `json:"launches"`
		}{r.inputs})
	} else {
		b, _ = json.Marshal(r.inputs[0])
	}
	return b
}

// validator checks launches against the configured allow-lists.
type validator struct {
	instanceTypes map[string]bool
	// allowedTypes lists instanceTypes in configuration order, for the
	// refusal message: a caller cannot read the deployment's settings.
	allowedTypes string
	imageIDs     map[string]bool // empty: any well-formed id
	maxCount     int
}

func newValidator(cfg Config) validator {
	v := validator{instanceTypes: map[string]bool{}, imageIDs: map[string]bool{}, maxCount: cfg.MaxInstancesPerRequest}
	var allowed []string
	for _, t := range cfg.AllowedInstanceTypes {
		if !v.instanceTypes[t] {
			allowed = append(allowed, t)
		}
		v.instanceTypes[t] = true
	}
	v.allowedTypes = strings.Join(allowed, ", ")
	for _, id := range cfg.AllowedImageIDs {
		v.imageIDs[id] = true
	}
	return v
}

// parse validates a POST body. A bulk request with bad items is refused
// whole: the error names the first bad field and Details has one entry per
// bad item.
func (v validator) parse(body []byte) (launchRequest, *apiError) {
	if err := checkSyntax(body); err != nil {
		return launchRequest{}, err
	}
	var in launchInput
	if err := unmarshal(body, &in); err != nil {
		// A launches member is unknown to a single launch; it makes the
		// body a bulk request, whatever else is wrong with it.
		if hasLaunches(body) {
			return v.parseBulk(body)
		}
		return launchRequest{}, v.decodeError(err, "")
	}
	l, err := v.launch(in, "")
	if err != nil {
		return launchRequest{}, err
	}
	return launchRequest{Launches: []event.LaunchRequested{l}, inputs: []launchInput{in}}, nil
}

func (v validator) parseBulk(body []byte) (launchRequest, *apiError) {
	var bulk bulkInput
	if err := unmarshal(body, &bulk); err != nil {
		aerr := v.decodeError(err, "")
		if aerr.Code == CodeUnknownField {
			aerr.Message += " (a bulk request holds only launches)"
		}
		return launchRequest{}, aerr
	}
	n := len(bulk.Launches)
	if n < 1 || n > MaxBulkLaunches {
		return launchRequest{}, invalid(CodeInvalidValue, "launches", fmt.Sprintf("launches must hold 1 to %d items, not %d", MaxBulkLaunches, n))
	}
	req := launchRequest{Bulk: true, Launches: make([]event.LaunchRequested, n), inputs: make([]launchInput, n)}
	var bad []fieldError
	for i, raw := range bulk.Launches {
		path := joinIndex("launches", i)
		var err *apiError
		if derr := unmarshal(raw, &req.inputs[i]); derr != nil {
			err = v.decodeError(derr, path)
		} else {
			req.Launches[i], err = v.launch(req.inputs[i], path)
		}
		if err != nil {
			bad = append(bad, fieldError{Code: err.Code, Field: err.Field, Message: err.Message})
		}
	}
	if len(bad) > 0 {
		msg := fmt.Sprintf("%d of %d launches are invalid; nothing was accepted", len(bad), n)
		if len(bad) == 1 {
			msg = fmt.Sprintf("1 of %d launches is invalid; nothing was accepted", n)
		}
		return launchRequest{}, &apiError{
			Status: http.StatusBadRequest, Code: bad[0].Code, Field: bad[0].Field,
			Message: msg + ": " + bad[0].Message, Details: bad,
		}
	}
	return req, nil
}

// launch validates one decoded launch; path prefixes field names ("" or
// "launches[3]"). It returns the first problem found.
func (v validator) launch(in launchInput, path string) (event.LaunchRequested, *apiError) {
	field := func(name string) string { return joinKey(path, name) }
	for _, m := range []struct {
		name string
		sent bool
	}{{"imageId", in.ImageID != nil}, {"instanceType", in.InstanceType != nil}, {"count", in.Count != nil}} {
		if !m.sent {
			return event.LaunchRequested{}, invalid(CodeMissingField, field(m.name), field(m.name)+" is required")
		}
	}
	// In this order, so that the problem named is the same whatever the
	// order of the members.
	if err := cmp.Or(
		v.imageID(*in.ImageID, field("imageId")),
		v.instanceType(*in.InstanceType, field("instanceType")),
		v.count(*in.Count, field("count")),
		ifSent(in.SubnetID, field("subnetId"), subnetID),
		ifSent(in.KeyName, field("keyName"), keyName),
		securityGroups(in.SecurityGroupIDs, field("securityGroupIds")),
		ifSent(in.UserData, field("userData"), userData),
		tags(in.Tags, field("tags")),
	); err != nil {
		return event.LaunchRequested{}, err
	}
	return event.LaunchRequested{
		ImageID: *in.ImageID, InstanceType: *in.InstanceType, Count: *in.Count, Tags: in.Tags,
		SubnetID: orEmpty(in.SubnetID), KeyName: orEmpty(in.KeyName),
		SecurityGroupIDs: in.SecurityGroupIDs, UserData: orEmpty(in.UserData),
	}, nil
}

// ifSent checks an optional member only when the caller sent it: sent
// empty, it is refused.
func ifSent(s *string, field string, check func(s, field string) *apiError) *apiError {
	if s == nil {
		return nil
	}
	return check(*s, field)
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (v validator) imageID(s, field string) *apiError {
	if !validImageID(s) {
		return invalid(CodeInvalidValue, field, field+" must be ami- followed by 8 or 17 lowercase hex digits")
	}
	if len(v.imageIDs) > 0 && !v.imageIDs[s] {
		return invalid(CodeNotAllowed, field, field+" is not an allowed image")
	}
	return nil
}

func (v validator) instanceType(s, field string) *apiError {
	if !v.instanceTypes[s] {
		return invalid(CodeNotAllowed, field, field+" is not an allowed instance type; allowed: "+v.allowedTypes)
	}
	return nil
}

func (v validator) count(n int, field string) *apiError {
	if n < 1 || n > v.maxCount {
		return invalid(CodeInvalidValue, field, fmt.Sprintf("%s must be between 1 and %d", field, v.maxCount))
	}
	return nil
}

// validImageID reports whether s is ami- and 8 or 17 lowercase hex digits.
func validImageID(s string) bool { return hexID(s, "ami-") }

// hexID reports whether s is prefix followed by 8 or 17 lowercase hex
// digits, the two forms of EC2 resource ids.
func hexID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || (len(rest) != 8 && len(rest) != 17) {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func resourceID(s, field, prefix string) *apiError {
	if !hexID(s, prefix) {
		return invalid(CodeInvalidValue, field, field+" must be "+prefix+" followed by 8 or 17 lowercase hex digits")
	}
	return nil
}

func subnetID(s, field string) *apiError { return resourceID(s, field, "subnet-") }

func keyName(s, field string) *apiError {
	if len(s) < 1 || len(s) > maxKeyNameLen {
		return invalid(CodeInvalidValue, field, fmt.Sprintf("%s must be 1 to %d characters", field, maxKeyNameLen))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return invalid(CodeInvalidValue, field, field+" must be printable ASCII")
		}
	}
	return nil
}

func securityGroups(ids []string, field string) *apiError {
	if len(ids) > MaxSecurityGroups {
		return invalid(CodeInvalidValue, field, fmt.Sprintf("%s holds at most %d security groups", field, MaxSecurityGroups))
	}
	for i, id := range ids {
		f := joinIndex(field, i)
		if err := resourceID(id, f, "sg-"); err != nil {
			return err
		}
		if slices.Contains(ids[:i], id) {
			return invalid(CodeInvalidValue, f, f+" repeats a security group")
		}
	}
	return nil
}

func userData(s, field string) *apiError {
	if s == "" {
		return invalid(CodeInvalidValue, field, field+" must not be empty (omit it instead)")
	}
	// Cheap bound first, so a huge value is not decoded to be refused.
	if len(s) > base64.StdEncoding.EncodedLen(MaxUserDataBytes) {
		return invalid(CodeInvalidValue, field, fmt.Sprintf("%s must be at most %d bytes once decoded", field, MaxUserDataBytes))
	}
	dec, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return invalid(CodeInvalidValue, field, field+" must be standard base64")
	}
	if len(dec) > MaxUserDataBytes {
		return invalid(CodeInvalidValue, field, fmt.Sprintf("%s must be at most %d bytes once decoded", field, MaxUserDataBytes))
	}
	return nil
}

// tags checks tags in key order, so that the tag named is the same
// whatever the order of the members.
func tags(m map[string]string, field string) *apiError {
	if len(m) > MaxTags {
		return invalid(CodeInvalidValue, field, fmt.Sprintf("%s holds at most %d tags", field, MaxTags))
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		kf := joinKey(field, k)
		n := utf8.RuneCountInString(k)
		if n < 1 || n > maxTagKeyLen {
			return invalid(CodeInvalidValue, kf, fmt.Sprintf("tag keys must be 1 to %d characters", maxTagKeyLen))
		}
		for _, p := range reservedTagPrefixes {
			if len(k) >= len(p) && strings.EqualFold(k[:len(p)], p) {
				return invalid(CodeInvalidValue, kf, "tag keys must not start with "+p)
			}
		}
		if utf8.RuneCountInString(m[k]) > maxTagValueLen {
			return invalid(CodeInvalidValue, kf, fmt.Sprintf("tag values must be at most %d characters", maxTagValueLen))
		}
	}
	return nil
}
