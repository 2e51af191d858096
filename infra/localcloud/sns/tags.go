package sns

import (
	"maps"
	"slices"
	"strings"
)

// maxTags is SNS's limit of tags per topic.
const maxTags = 50

func validateTags(tags []tag) *apiError {
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

func (s *Service) tagResource(q query) (string, *apiError) {
	tags := q.tags("Tags.member")
	if err := validateTags(tags); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[q.get("ResourceArn")]
	if !ok {
		return "", errResourceNotFound()
	}
	next := maps.Clone(t.Tags)
	for _, tg := range tags {
		next[tg.Key] = tg.Value
	}
	if len(next) > maxTags {
		return "", errCode(400, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	cp := t.persisted()
	cp.Tags = next
	if err := s.persist([]*topic{cp}, nil, nil, nil); err != nil {
		return "", errInternal(err)
	}
	t.Tags = next
	return "", nil
}

func (s *Service) untagResource(q query) (string, *apiError) {
	keys := q.list("TagKeys.member")
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[q.get("ResourceArn")]
	if !ok {
		return "", errResourceNotFound()
	}
	next := maps.Clone(t.Tags)
	for _, k := range keys {
		delete(next, k)
	}
	cp := t.persisted()
	cp.Tags = next
	if err := s.persist([]*topic{cp}, nil, nil, nil); err != nil {
		return "", errInternal(err)
	}
	t.Tags = next
	return "", nil
}

func (s *Service) listTagsForResource(q query) (string, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.topics[q.get("ResourceArn")]
	if !ok {
		return "", errResourceNotFound()
	}
	var b strings.Builder
	b.WriteString("<Tags>")
	for _, k := range slices.Sorted(maps.Keys(t.Tags)) {
		b.WriteString("<member>")
		el(&b, "Key", k)
		el(&b, "Value", t.Tags[k])
		b.WriteString("</member>")
	}
	b.WriteString("</Tags>")
	return b.String(), nil
}
