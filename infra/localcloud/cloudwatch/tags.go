package cloudwatch

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// alarmByARN finds the alarm an ARN of this account and region names.
// Alarms are the only taggable resources here (besides Contributor
// Insights rules, which are not emulated).
func (s *Service) alarmByARN(arn *string) (*alarm, *awsproto.Error) {
	if arn == nil {
		return nil, errNull("resourceARN")
	}
	name, ok := strings.CutPrefix(*arn, s.acct.ARNPrefix("cloudwatch")+"alarm:")
	if !ok {
		return nil, errResourceNotFoundException(*arn)
	}
	a := s.alarms[name]
	if a == nil {
		return nil, errResourceNotFoundException(*arn)
	}
	return a, nil
}

func (s *Service) tagResource(_ context.Context, in *tagResourceInput) (*empty, *awsproto.Error) {
	if e := validateTags(in.Tags); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, e := s.alarmByARN(in.ResourceARN)
	if e != nil {
		return nil, e
	}
	next := a.clone()
	if next.Tags == nil {
		next.Tags = map[string]string{}
	}
	for _, t := range in.Tags {
		next.Tags[t.Key] = t.Value
	}
	if len(next.Tags) > maxTags {
		return nil, errInvalidParameterValue("The alarm would have %d tags; the limit is %d.", len(next.Tags), maxTags)
	}
	if err := s.persist([]*alarm{next}, nil, nil); err != nil {
		return nil, errInternal(err)
	}
	s.alarms[a.Name] = next
	return nil, nil
}

func (s *Service) untagResource(_ context.Context, in *untagResourceInput) (*empty, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, e := s.alarmByARN(in.ResourceARN)
	if e != nil {
		return nil, e
	}
	next := a.clone()
	for _, k := range in.TagKeys {
		delete(next.Tags, k)
	}
	if err := s.persist([]*alarm{next}, nil, nil); err != nil {
		return nil, errInternal(err)
	}
	s.alarms[a.Name] = next
	return nil, nil
}

func (s *Service) listTagsForResource(_ context.Context, in *resourceInput) (*listTagsOutput, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, e := s.alarmByARN(in.ResourceARN)
	if e != nil {
		return nil, e
	}
	out := &listTagsOutput{Tags: []Tag{}}
	for _, k := range slices.Sorted(maps.Keys(a.Tags)) {
		out.Tags = append(out.Tags, Tag{Key: k, Value: a.Tags[k]})
	}
	return out, nil
}
