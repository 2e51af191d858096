package sqs

import (
	"context"
	"encoding/json"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// queueRecord is a queue as stored.
type queueRecord struct {
	Name     string
	Fifo     bool
	Attrs    map[string]string
	Tags     map[string]string `json:",omitempty"`
	Created  int64
	Modified int64
}

func (q *queue) record() storage.Write {
	val, _ := json.Marshal(queueRecord{Name: q.name, Fifo: q.fifo, Attrs: q.attrs, Tags: q.tags, Created: q.created, Modified: q.modified})
	return storage.Write{Bucket: bucketQueues, Key: []byte(q.name), Val: val}
}

// validQueueName applies SQS's rule: 1-80 characters of alnum, - and _,
// plus the .fifo suffix for FIFO queues.
func validQueueName(name string) bool {
	base := strings.TrimSuffix(name, ".fifo")
	if name == "" || len(name) > 80 || base == "" {
		return false
	}
	for _, r := range base {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// settable lists the attributes a client may set, with their check.
var settable = map[string]func(v string, fifo bool) bool{
	"DelaySeconds":                  intRange(0, 900),
	"MaximumMessageSize":            intRange(1024, 1048576),
	"MessageRetentionPeriod":        intRange(60, 1209600),
	"ReceiveMessageWaitTimeSeconds": intRange(0, 20),
	"VisibilityTimeout":             intRange(0, 43200),
	"KmsDataKeyReusePeriodSeconds":  intRange(60, 86400),
	"Policy":                        jsonOrEmpty,
	"RedrivePolicy":                 func(string, bool) bool { return true }, // checked with the queues in hand
	"RedriveAllowPolicy":            jsonOrEmpty,
	"KmsMasterKeyId":                func(string, bool) bool { return true },
	"SqsManagedSseEnabled":          boolean,
	"FifoQueue":                     func(v string, fifo bool) bool { return v == "true" && fifo },
	"ContentBasedDeduplication":     fifoOnly(boolean),
	"DeduplicationScope":            fifoOnly(oneOf("messageGroup", "queue")),
	"FifoThroughputLimit":           fifoOnly(oneOf("perQueue", "perMessageGroupId")),
}

// fifoAttrs exist only on FIFO queues.
var fifoAttrs = []string{"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}

// readOnly lists the attributes GetQueueAttributes computes.
var readOnly = []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"}

func intRange(lo, hi int) func(string, bool) bool {
	return func(v string, _ bool) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n >= lo && n <= hi
	}
}

func boolean(v string, _ bool) bool { return v == "true" || v == "false" }

func oneOf(vals ...string) func(string, bool) bool {
	return func(v string, _ bool) bool { return slices.Contains(vals, v) }
}

func fifoOnly(f func(string, bool) bool) func(string, bool) bool {
	return func(v string, fifo bool) bool { return fifo && f(v, fifo) }
}

func jsonOrEmpty(v string, _ bool) bool { return v == "" || json.Valid([]byte(v)) }

// checkAttributes validates attributes to set on a queue.
func (s *Service) checkAttributes(name string, attrs map[string]string, fifo bool) *awsproto.Error {
	for k, v := range attrs {
		check, ok := settable[k]
		if !ok || (!fifo && slices.Contains(fifoAttrs, k)) {
			return errInvalidAttributeName("Unknown Attribute %s.", k)
		}
		if !check(v, fifo) {
			return errInvalidAttributeValue("Invalid value for the parameter %s.", k)
		}
		if k == "RedrivePolicy" && v != "" {
			p, err := parseRedrivePolicy(v)
			if err != nil {
				return errInvalidParameterValue("Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount.", v)
			}
			if p.maxReceive < 1 || p.maxReceive > 1000 {
				return errInvalidParameterValue("Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: %d, valid values are from 1 to 1000 both inclusive.", v, p.maxReceive)
			}
			dlq := s.queueByARN(p.arn)
			if dlq == nil {
				return errInvalidParameterValue("Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", v)
			}
			if dlq.fifo != fifo {
				return errInvalidParameterValue("Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.", v)
			}
			if dlq.name == name {
				return errInvalidParameterValue("Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter target can not be the same queue.", v)
			}
		}
	}
	return nil
}

func defaultAttributes(fifo bool) map[string]string {
	a := map[string]string{
		"DelaySeconds": "0", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
		"ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30", "SqsManagedSseEnabled": "true",
	}
	if fifo {
		a["FifoQueue"] = "true"
		a["ContentBasedDeduplication"] = "false"
		a["DeduplicationScope"] = "queue"
		a["FifoThroughputLimit"] = "perQueue"
	}
	return a
}

func checkTags(tags map[string]string) *awsproto.Error {
	if len(tags) > 50 {
		return errInvalidParameterValue("Too many tags added for queue. A queue can have at most 50 tags.")
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return errInvalidParameterValue("Tag key must be 1 to 128 characters and tag value at most 256 characters.")
		}
	}
	return nil
}

func (s *Service) createQueue(_ context.Context, in *createQueueInput) (*queueURLOutput, *awsproto.Error) {
	name := str(in.QueueName)
	if in.QueueName == nil {
		return nil, errMissingParameter("QueueName")
	}
	fifo := strings.HasSuffix(name, ".fifo")
	if fv, ok := in.Attributes["FifoQueue"]; ok && fv == "true" && !fifo {
		return nil, errInvalidParameterValue("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
	}
	if fifo && in.Attributes["FifoQueue"] != "true" {
		return nil, errInvalidQueueName()
	}
	if !validQueueName(name) {
		return nil, errInvalidQueueName()
	}
	if e := checkTags(in.Tags); e != nil {
		return nil, e
	}
	if e := s.checkAttributes(name, in.Attributes, fifo); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[name]; q != nil {
		q.mu.Lock()
		defer q.mu.Unlock()
		for k, v := range in.Attributes {
			if q.attrs[k] != v {
				return nil, errQueueNameExists(name)
			}
		}
		return &queueURLOutput{QueueURL: q.url}, nil
	}
	q := newQueue(name, s.arnOf(name), s.urlOf(name), fifo)
	for k, v := range defaultAttributes(fifo) {
		q.attrs[k] = v
	}
	for k, v := range in.Attributes {
		if v == "" && (k == "RedrivePolicy" || k == "Policy" || k == "RedriveAllowPolicy") {
			continue
		}
		q.attrs[k] = normalizeAttribute(k, v)
	}
	for k, v := range in.Tags {
		q.tags[k] = v
	}
	now := s.now().Unix()
	q.created, q.modified = now, now
	q.cfg = parseConfig(q.attrs)
	ch := s.log.Enqueue(q.record(), storage.Write{Bucket: msgBucket(name), CreateBucket: true})
	s.queues[name] = q
	if err := storage.Wait(ch); err != nil {
		// s.mu is held throughout: nobody has seen the queue yet.
		delete(s.queues, name)
		q.deleted = true
		return nil, errInternal(err)
	}
	return &queueURLOutput{QueueURL: q.url}, nil
}

func (s *Service) getQueueURL(_ context.Context, in *getQueueURLInput) (*queueURLOutput, *awsproto.Error) {
	if in.QueueName == nil {
		return nil, errMissingParameter("QueueName")
	}
	if o := str(in.QueueOwnerAWSAccountID); o != "" && o != s.opts.AccountID {
		return nil, errQueueDoesNotExist()
	}
	q, e := s.queueByName(*in.QueueName)
	if e != nil {
		return nil, e
	}
	return &queueURLOutput{QueueURL: q.url}, nil
}

func (s *Service) deleteQueue(_ context.Context, in *queueRef) (*empty, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	if s.queues[q.name] != q {
		s.mu.Unlock()
		return nil, errQueueDoesNotExist()
	}
	if err := s.dropQueues(q); err != nil {
		return nil, errInternal(err)
	}
	return nil, nil
}

// dropQueues deletes qs from memory and, in one commit, from disk. The
// caller holds s.mu, which dropQueues releases before it waits for the
// commit. When the write fails the queues come back as they were (unless
// a queue of the same name was created meanwhile), so memory never lacks
// what the disk still holds.
func (s *Service) dropQueues(qs ...*queue) error {
	var ws []storage.Write
	for _, q := range qs {
		delete(s.queues, q.name)
		q.mu.Lock()
		q.deleted = true
		q.wake()
		ws = append(ws,
			storage.Write{Bucket: bucketQueues, Key: []byte(q.name)},
			storage.Write{Bucket: msgBucket(q.name), DropBucket: true},
			storage.Write{Bucket: dedupBucket(q.name), DropBucket: true})
		q.mu.Unlock()
	}
	ch := s.log.Enqueue(ws...)
	s.mu.Unlock()
	err := storage.Wait(ch)
	if err == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range qs {
		if s.queues[q.name] == nil {
			q.mu.Lock()
			q.deleted = false
			q.mu.Unlock()
			s.queues[q.name] = q
		}
	}
	return err
}

func (s *Service) listQueues(_ context.Context, in *listQueuesInput) (*listQueuesOutput, *awsproto.Error) {
	max := intOr(in.MaxResults, 0)
	if in.MaxResults != nil && (max < 1 || max > 1000) {
		return nil, errInvalidParameterValue("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", max)
	}
	prefix := str(in.QueueNamePrefix)
	s.mu.RLock()
	var names []string
	for n := range s.queues {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	s.mu.RUnlock()
	slices.Sort(names)
	urls, next := s.pageOfNames(names, max, in.NextToken)
	return &listQueuesOutput{QueueURLs: urls, NextToken: next}, nil
}

// pageOfNames answers a name listing with MaxResults/NextToken; the
// token is the last name returned.
func (s *Service) pageOfNames(names []string, max int, token *string) (urls []string, next string) {
	if token != nil && *token == "" {
		token = nil
	}
	page, more := awsproto.Page(names, func(n string) string { return n }, token, max)
	urls = make([]string, 0, len(page))
	for _, n := range page {
		urls = append(urls, s.urlOf(n))
	}
	if more {
		next = page[len(page)-1]
	}
	return urls, next
}

func (s *Service) getQueueAttributes(_ context.Context, in *getQueueAttributesInput) (*attributesOutput, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	want := map[string]bool{}
	all := false
	for _, n := range in.AttributeNames {
		switch {
		case n == "All":
			all = true
		case settable[n] != nil || slices.Contains(readOnly, n):
			want[n] = true
		default:
			return nil, errInvalidAttributeName("Unknown Attribute %s.", n)
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.promote(s.now().UnixMilli())
	out := map[string]string{}
	for k, v := range q.attrs {
		if all || want[k] {
			out[k] = v
		}
	}
	computed := map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(q.counts[stateVisible]),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(q.counts[stateInflight]),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(q.counts[stateDelayed]),
		"CreatedTimestamp":                      strconv.FormatInt(q.created, 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(q.modified, 10),
		"QueueArn":                              q.arn,
	}
	for k, v := range computed {
		if all || want[k] {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return &attributesOutput{}, nil
	}
	return &attributesOutput{Attributes: out}, nil
}

func (s *Service) setQueueAttributes(_ context.Context, in *setQueueAttributesInput) (*empty, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	if _, ok := in.Attributes["FifoQueue"]; ok {
		return nil, errInvalidAttributeName("Unknown Attribute FifoQueue.")
	}
	if e := s.checkAttributes(q.name, in.Attributes, q.fifo); e != nil {
		return nil, e
	}
	err := s.changeRecord(q, func() *awsproto.Error {
		for k, v := range in.Attributes {
			if v == "" && (k == "RedrivePolicy" || k == "Policy" || k == "RedriveAllowPolicy") {
				delete(q.attrs, k)
				continue
			}
			q.attrs[k] = normalizeAttribute(k, v)
		}
		q.modified = s.now().Unix()
		q.cfg = parseConfig(q.attrs)
		q.wake() // a shorter wait or a new redrive policy changes what waiters do
		return nil
	})
	return nil, err
}

// recordState is what a queue's record holds besides its name: what
// changeRecord restores when the write of a change fails.
type recordState struct {
	attrs, tags map[string]string
	modified    int64
	cfg         queueConfig
}

// changeRecord applies change to q under its lock and commits q's record.
// When the write fails, q's attributes and tags come back as they were,
// unless another change of the record came after (whose own write then
// failed too, as every write queued behind a failed one does, and which
// restores the state it saw), so that memory never holds what the disk
// does not.
func (s *Service) changeRecord(q *queue, change func() *awsproto.Error) *awsproto.Error {
	q.mu.Lock()
	before := recordState{attrs: maps.Clone(q.attrs), tags: maps.Clone(q.tags), modified: q.modified, cfg: q.cfg}
	if e := change(); e != nil {
		q.mu.Unlock()
		return e
	}
	q.recordVersion++
	version := q.recordVersion
	ch := s.log.Enqueue(q.record())
	q.mu.Unlock()
	if err := storage.Wait(ch); err != nil {
		q.mu.Lock()
		if q.recordVersion == version {
			q.attrs, q.tags, q.modified, q.cfg = before.attrs, before.tags, before.modified, before.cfg
			q.wake()
		}
		q.mu.Unlock()
		return errInternal(err)
	}
	return nil
}

func (s *Service) tagQueue(_ context.Context, in *tagQueueInput) (*empty, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	if len(in.Tags) == 0 {
		return nil, errMissingParameter("Tags")
	}
	if e := checkTags(in.Tags); e != nil {
		return nil, e
	}
	return nil, s.changeRecord(q, func() *awsproto.Error {
		next := maps.Clone(q.tags)
		if next == nil {
			next = map[string]string{}
		}
		maps.Copy(next, in.Tags)
		if e := checkTags(next); e != nil {
			return e
		}
		q.tags = next
		return nil
	})
}

func (s *Service) untagQueue(_ context.Context, in *untagQueueInput) (*empty, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	if len(in.TagKeys) == 0 {
		return nil, errMissingParameter("TagKeys")
	}
	return nil, s.changeRecord(q, func() *awsproto.Error {
		q.tags = maps.Clone(q.tags)
		for _, k := range in.TagKeys {
			delete(q.tags, k)
		}
		return nil
	})
}

func (s *Service) listQueueTags(_ context.Context, in *queueRef) (*tagsOutput, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.tags) == 0 {
		return &tagsOutput{}, nil
	}
	tags := make(map[string]string, len(q.tags))
	for k, v := range q.tags {
		tags[k] = v
	}
	return &tagsOutput{Tags: tags}, nil
}

func (s *Service) purgeQueue(_ context.Context, in *queueRef) (*empty, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	now := s.now()
	q.mu.Lock()
	if !q.purgedAt.IsZero() && now.Sub(q.purgedAt) < 60*time.Second {
		q.mu.Unlock()
		return nil, errPurgeInProgress(q.name)
	}
	purgedBefore := q.purgedAt
	q.purgedAt = now
	ws := make([]storage.Write, 0, len(q.msgs))
	snaps := make([]snapshot, 0, len(q.msgs))
	for _, m := range q.msgs {
		ws = append(ws, storage.Write{Bucket: msgBucket(q.name), Key: seqKey(m.Seq)})
		snaps = append(snaps, snap(q, m))
		q.remove(m)
	}
	ch := s.log.Enqueue(ws...)
	q.mu.Unlock()
	if err := waitOrRollback(ch, snaps, func() {
		q.mu.Lock()
		q.purgedAt = purgedBefore
		q.mu.Unlock()
	}); err != nil {
		return nil, errInternal(err)
	}
	return nil, nil
}

// dlqSources lists the queues whose RedrivePolicy targets arn.
func (s *Service) dlqSources(arn string) []*queue {
	s.mu.RLock()
	qs := make([]*queue, 0, len(s.queues))
	for _, q := range s.queues {
		qs = append(qs, q)
	}
	s.mu.RUnlock()
	var out []*queue
	for _, q := range qs {
		q.mu.Lock()
		target := q.cfg.dlqArn
		q.mu.Unlock()
		if target == arn {
			out = append(out, q)
		}
	}
	slices.SortFunc(out, func(a, b *queue) int { return strings.Compare(a.name, b.name) })
	return out
}

func (s *Service) listDLQSources(_ context.Context, in *listDLQSourcesInput) (*listDLQSourcesOutput, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	max := intOr(in.MaxResults, 0)
	if in.MaxResults != nil && (max < 1 || max > 1000) {
		return nil, errInvalidParameterValue("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", max)
	}
	var names []string
	for _, src := range s.dlqSources(q.arn) {
		names = append(names, src.name)
	}
	urls, next := s.pageOfNames(names, max, in.NextToken)
	return &listDLQSourcesOutput{QueueURLs: urls, NextToken: next}, nil
}
