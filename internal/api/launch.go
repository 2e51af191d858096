package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
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

// launchSpec is one validated launch. Its JSON form (fixed field order,
// sorted tags, empty collections omitted) is the canonical body an
// Idempotency-Key's hash is computed over.
type launchSpec struct {
	ImageID          string            `json:"imageId"`
	InstanceType     string            `json:"instanceType"`
	Count            int               `json:"count"`
	Tags             map[string]string `json:"tags,omitempty"`
	SubnetID         string            `json:"subnetId,omitempty"`
	KeyName          string            `json:"keyName,omitempty"`
	SecurityGroupIDs []string          `json:"securityGroupIds,omitempty"`
	UserData         string            `json:"userData,omitempty"`
}

// launchRequest is a validated POST body: one launch, or a bulk request.
type launchRequest struct {
	Bulk     bool
	Launches []launchSpec
}

// canonical returns the bytes an Idempotency-Key's body hash covers: two
// bodies that differ only in whitespace, key order or escaping hash alike,
// a single and a one-item bulk request do not.
func (r launchRequest) canonical() []byte {
	var b []byte
	if r.Bulk {
		b, _ = json.Marshal(struct {
			Launches []launchSpec `json:"launches"`
		}{r.Launches})
	} else {
		b, _ = json.Marshal(r.Launches[0])
	}
	return b
}

// validator checks launches against the configured allow-lists.
type validator struct {
	instanceTypes map[string]bool
	imageIDs      map[string]bool // empty: any well-formed id
	maxCount      int
}

func newValidator(cfg Config) validator {
	v := validator{instanceTypes: map[string]bool{}, imageIDs: map[string]bool{}, maxCount: cfg.MaxInstancesPerRequest}
	for _, t := range cfg.AllowedInstanceTypes {
		v.instanceTypes[t] = true
	}
	for _, id := range cfg.AllowedImageIDs {
		v.imageIDs[id] = true
	}
	return v
}

// parse validates a POST body. A bulk request with bad items is refused
// whole: the error names the first bad field and Details has one entry per
// bad item.
func (v validator) parse(body []byte) (launchRequest, *apiError) {
	tree, perr := parseStrict(body)
	if perr != nil {
		return launchRequest{}, perr
	}
	obj, ok := tree.(*object)
	if !ok {
		return launchRequest{}, invalid(CodeWrongType, "", "the body must be a JSON object, not "+jsonType(tree))
	}
	items, isBulk := obj.values["launches"]
	if !isBulk {
		spec, err := v.launch(obj, "")
		if err != nil {
			return launchRequest{}, err
		}
		return launchRequest{Launches: []launchSpec{spec}}, nil
	}
	for _, k := range obj.keys {
		if k != "launches" {
			return launchRequest{}, invalid(CodeUnknownField, k, fmt.Sprintf("unknown field %q (a bulk request holds only launches)", k))
		}
	}
	arr, ok := items.([]any)
	if !ok {
		return launchRequest{}, invalid(CodeWrongType, "launches", "launches must be an array, not "+jsonType(items))
	}
	if len(arr) < 1 || len(arr) > MaxBulkLaunches {
		return launchRequest{}, invalid(CodeInvalidValue, "launches", fmt.Sprintf("launches must hold 1 to %d items, not %d", MaxBulkLaunches, len(arr)))
	}
	req := launchRequest{Bulk: true, Launches: make([]launchSpec, len(arr))}
	var bad []fieldError
	for i, item := range arr {
		path := joinIndex("launches", i)
		o, ok := item.(*object)
		if !ok {
			bad = append(bad, fieldError{Code: CodeWrongType, Field: path, Message: path + " must be an object, not " + jsonType(item)})
			continue
		}
		spec, err := v.launch(o, path)
		if err != nil {
			bad = append(bad, fieldError{Code: err.Code, Field: err.Field, Message: err.Message})
			continue
		}
		req.Launches[i] = spec
	}
	if len(bad) > 0 {
		msg := fmt.Sprintf("%d of %d launches are invalid; nothing was accepted", len(bad), len(arr))
		if len(bad) == 1 {
			msg = fmt.Sprintf("1 of %d launches is invalid; nothing was accepted", len(arr))
		}
		return launchRequest{}, &apiError{
			Status: http.StatusBadRequest, Code: bad[0].Code, Field: bad[0].Field,
			Message: msg + ": " + bad[0].Message, Details: bad,
		}
	}
	return req, nil
}

type launchField struct {
	name     string
	required bool
}

// launchFields lists the accepted fields in the order they are checked.
var launchFields = []launchField{
	{"imageId", true}, {"instanceType", true}, {"count", true},
	{"subnetId", false}, {"keyName", false}, {"securityGroupIds", false},
	{"userData", false}, {"tags", false},
}

// launch validates one launch object; path prefixes field names ("" or
// "launches[3]"). It returns the first problem found.
func (v validator) launch(o *object, path string) (launchSpec, *apiError) {
	for _, k := range o.keys {
		if !slices.ContainsFunc(launchFields, func(f launchField) bool { return f.name == k }) {
			return launchSpec{}, invalid(CodeUnknownField, joinKey(path, k), fmt.Sprintf("unknown field %q", k))
		}
	}
	for _, f := range launchFields {
		if _, ok := o.values[f.name]; !ok && f.required {
			field := joinKey(path, f.name)
			return launchSpec{}, invalid(CodeMissingField, field, field+" is required")
		}
	}
	var s launchSpec
	var err *apiError
	for _, f := range launchFields {
		raw, ok := o.values[f.name]
		if !ok {
			continue
		}
		field := joinKey(path, f.name)
		switch f.name {
		case "imageId":
			s.ImageID, err = v.imageID(raw, field)
		case "instanceType":
			s.InstanceType, err = v.instanceType(raw, field)
		case "count":
			s.Count, err = v.count(raw, field)
		case "subnetId":
			s.SubnetID, err = resourceID(raw, field, "subnet-")
		case "keyName":
			s.KeyName, err = keyName(raw, field)
		case "securityGroupIds":
			s.SecurityGroupIDs, err = securityGroups(raw, field)
		case "userData":
			s.UserData, err = userData(raw, field)
		case "tags":
			s.Tags, err = tags(raw, field)
		}
		if err != nil {
			return launchSpec{}, err
		}
	}
	return s, nil
}

func str(raw any, field string) (string, *apiError) {
	s, ok := raw.(string)
	if !ok {
		return "", invalid(CodeWrongType, field, field+" must be a string, not "+jsonType(raw))
	}
	return s, nil
}

func (v validator) imageID(raw any, field string) (string, *apiError) {
	s, err := str(raw, field)
	if err != nil {
		return "", err
	}
	if !validImageID(s) {
		return "", invalid(CodeInvalidValue, field, field+" must be ami- followed by 8 or 17 lowercase hex digits")
	}
	if len(v.imageIDs) > 0 && !v.imageIDs[s] {
		return "", invalid(CodeNotAllowed, field, field+" is not an allowed image")
	}
	return s, nil
}

func (v validator) instanceType(raw any, field string) (string, *apiError) {
	s, err := str(raw, field)
	if err != nil {
		return "", err
	}
	if !v.instanceTypes[s] {
		return "", invalid(CodeNotAllowed, field, field+" is not an allowed instance type")
	}
	return s, nil
}

func (v validator) count(raw any, field string) (int, *apiError) {
	n, ok := raw.(json.Number)
	if !ok {
		return 0, invalid(CodeWrongType, field, field+" must be an integer, not "+jsonType(raw))
	}
	c, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, invalid(CodeWrongType, field, field+" must be an integer")
	}
	if err != nil || c < 1 || c > int64(v.maxCount) {
		return 0, invalid(CodeInvalidValue, field, fmt.Sprintf("%s must be between 1 and %d", field, v.maxCount))
	}
	return int(c), nil
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

func resourceID(raw any, field, prefix string) (string, *apiError) {
	s, err := str(raw, field)
	if err != nil {
		return "", err
	}
	if !hexID(s, prefix) {
		return "", invalid(CodeInvalidValue, field, field+" must be "+prefix+" followed by 8 or 17 lowercase hex digits")
	}
	return s, nil
}

func keyName(raw any, field string) (string, *apiError) {
	s, err := str(raw, field)
	if err != nil {
		return "", err
	}
	if len(s) < 1 || len(s) > maxKeyNameLen {
		return "", invalid(CodeInvalidValue, field, fmt.Sprintf("%s must be 1 to %d characters", field, maxKeyNameLen))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return "", invalid(CodeInvalidValue, field, field+" must be printable ASCII")
		}
	}
	return s, nil
}

func securityGroups(raw any, field string) ([]string, *apiError) {
	arr, ok := raw.([]any)
	if !ok {
		return nil, invalid(CodeWrongType, field, field+" must be an array of strings, not "+jsonType(raw))
	}
	if len(arr) > MaxSecurityGroups {
		return nil, invalid(CodeInvalidValue, field, fmt.Sprintf("%s holds at most %d security groups", field, MaxSecurityGroups))
	}
	var out []string
	for i, item := range arr {
		id, err := resourceID(item, joinIndex(field, i), "sg-")
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, id) {
			return nil, invalid(CodeInvalidValue, joinIndex(field, i), joinIndex(field, i)+" repeats a security group")
		}
		out = append(out, id)
	}
	return out, nil
}

func userData(raw any, field string) (string, *apiError) {
	s, err := str(raw, field)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", invalid(CodeInvalidValue, field, field+" must not be empty (omit it instead)")
	}
	// Cheap bound first, so a huge value is not decoded to be refused.
	if len(s) > base64.StdEncoding.EncodedLen(MaxUserDataBytes) {
		return "", invalid(CodeInvalidValue, field, fmt.Sprintf("%s must be at most %d bytes once decoded", field, MaxUserDataBytes))
	}
	dec, derr := base64.StdEncoding.Strict().DecodeString(s)
	if derr != nil {
		return "", invalid(CodeInvalidValue, field, field+" must be standard base64")
	}
	if len(dec) > MaxUserDataBytes {
		return "", invalid(CodeInvalidValue, field, fmt.Sprintf("%s must be at most %d bytes once decoded", field, MaxUserDataBytes))
	}
	return s, nil
}

func tags(raw any, field string) (map[string]string, *apiError) {
	o, ok := raw.(*object)
	if !ok {
		return nil, invalid(CodeWrongType, field, field+" must be an object of strings, not "+jsonType(raw))
	}
	if len(o.keys) > MaxTags {
		return nil, invalid(CodeInvalidValue, field, fmt.Sprintf("%s holds at most %d tags", field, MaxTags))
	}
	if len(o.keys) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(o.keys))
	for _, k := range o.keys {
		kf := joinKey(field, k)
		n := utf8.RuneCountInString(k)
		if n < 1 || n > maxTagKeyLen {
			return nil, invalid(CodeInvalidValue, kf, fmt.Sprintf("tag keys must be 1 to %d characters", maxTagKeyLen))
		}
		for _, p := range reservedTagPrefixes {
			if len(k) >= len(p) && strings.EqualFold(k[:len(p)], p) {
				return nil, invalid(CodeInvalidValue, kf, "tag keys must not start with "+p)
			}
		}
		val, err := str(o.values[k], kf)
		if err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(val) > maxTagValueLen {
			return nil, invalid(CodeInvalidValue, kf, fmt.Sprintf("tag values must be at most %d characters", maxTagValueLen))
		}
		out[k] = val
	}
	return out, nil
}
