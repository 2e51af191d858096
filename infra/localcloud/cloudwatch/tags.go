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
	return nil, s.retag(in.ResourceARN, func(tags map[string]string) *awsproto.Error {
		for _, t := range in.Tags {
			tags[t.Key] = t.Value
		}
		if len(tags) > maxTags {
			return errInvalidParameterValue("The alarm would have %d tags; the limit is %d.", len(tags), maxTags)
		}
		return nil
	})
}

func (s *Service) untagResource(_ context.Context, in *untagResourceInput) (*empty, *awsproto.Error) {
	return nil, s.retag(in.ResourceARN, func(tags map[string]string) *awsproto.Error {
		for _, k := range in.TagKeys {
			delete(tags, k)
		}
		return nil
	})
}

// retag edits a copy of the tags of the alarm arn names and keeps it, on
// disk then in memory, unless edit refuses it.
func (s *Service) retag(arn *string, edit func(tags map[string]string) *awsproto.Error) *awsproto.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, e := s.alarmByARN(arn)
	if e != nil {
		return e
	}
	next := a.clone()
	if next.Tags == nil {
		next.Tags = map[string]string{}
	}
	if e := edit(next.Tags); e != nil {
		return e
	}
	if err := s.persist([]*alarm{next}, nil, nil); err != nil {
		return errInternal(err)
	}
	s.alarms[a.Name] = next
	return nil
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
