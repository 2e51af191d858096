package sns

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// maxTags is SNS's limit of tags per topic.
const maxTags = 50

func validateTags(tags []tag) *awsproto.Error {
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 {
			return errInvalidParameter("Invalid parameter: Tags Reason: Tag key must be between 1 and 128 characters long")
		}
		if len(t.Value) > 256 {
			return errInvalidParameter("Invalid parameter: Tags Reason: Tag value must be at most 256 characters long")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return errInvalidParameter("Invalid parameter: Tags Reason: Tag keys may not start with aws:")
		}
	}
	if len(tags) > maxTags {
		return errCode(400, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	return nil
}

func (s *Service) tagResource(_ context.Context, in *tagResourceInput) (*empty, *awsproto.Error) {
	tags := in.Tags
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[in.ResourceArn]
	if !ok {
		return nil, errResourceNotFound()
	}
	next := maps.Clone(t.Tags)
	for _, tg := range tags {
		next[tg.Key] = tg.Value
	}
	if len(next) > maxTags {
		return nil, errCode(400, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	cp := t.persisted()
	cp.Tags = next
	if err := s.persist([]*topic{cp}, nil, nil, nil); err != nil {
		return nil, errInternal(err)
	}
	t.Tags = next
	return nil, nil
}

func (s *Service) untagResource(_ context.Context, in *untagResourceInput) (*empty, *awsproto.Error) {
	keys := in.TagKeys
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[in.ResourceArn]
	if !ok {
		return nil, errResourceNotFound()
	}
	next := maps.Clone(t.Tags)
	for _, k := range keys {
		delete(next, k)
	}
	cp := t.persisted()
	cp.Tags = next
	if err := s.persist([]*topic{cp}, nil, nil, nil); err != nil {
		return nil, errInternal(err)
	}
	t.Tags = next
	return nil, nil
}

func (s *Service) listTagsForResource(_ context.Context, in *resourceRef) (*listTagsOutput, *awsproto.Error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.topics[in.ResourceArn]
	if !ok {
		return nil, errResourceNotFound()
	}
	out := &listTagsOutput{}
	for _, k := range slices.Sorted(maps.Keys(t.Tags)) {
		out.Tags.Members = append(out.Tags.Members, tag{Key: k, Value: t.Tags[k]})
	}
	return out, nil
}
