package publish

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/eventchain/eventchain/internal/event"
)

// SNS limits a PublishBatch call to 10 entries and 256 KiB in all (message
// bodies and attributes together).
const (
	maxBatchEntries = 10
	maxBatchBytes   = 256 * 1024
)

// SNSAPI is the part of the SNS client the publisher uses; *sns.Client
// satisfies it.
type SNSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
	PublishBatch(ctx context.Context, in *sns.PublishBatchInput, optFns ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
}

var _ SNSAPI = (*sns.Client)(nil)

// SNS publishes envelopes to one topic. It is safe for concurrent use if
// its client is (the SDK's is).
type SNS struct {
	client   SNSAPI
	topicARN string
}

// NewSNS returns a publisher to topicARN.
func NewSNS(client SNSAPI, topicARN string) *SNS {
	return &SNS{client: client, topicARN: topicARN}
}

// Failure is one envelope that SNS did not accept.
type Failure struct {
	// Index is the envelope's position in the Publish call's arguments.
	Index      int
	EnvelopeID string
	Code       string
	Message    string
	// SenderFault is SNS's verdict that the entry itself is bad (retrying
	// it unchanged cannot succeed); false for call-level failures.
	SenderFault bool
}

// BatchError reports the envelopes of a multi-envelope Publish that were
// not published; every other envelope was. A caller that needs to know
// which ones to retry uses errors.As.
type BatchError struct {
	Total    int
	Failures []Failure
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "publish: %d of %d envelopes failed", len(e.Failures), e.Total)
	for i, f := range e.Failures {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Failures)-i)
			break
		}
		fmt.Fprintf(&b, "; [%d] %s: %s", f.Index, f.Code, f.Message)
	}
	return b.String()
}

// Failed returns the indexes of the failed envelopes.
func (e *BatchError) Failed() []int {
	out := make([]int, len(e.Failures))
	for i, f := range e.Failures {
		out[i] = f.Index
	}
	return out
}

// Publish sends the envelopes: one with Publish, several with PublishBatch
// in chunks of at most 10 entries and 256 KiB. A chunk that fails does not
// stop the others, so as much as possible is published; the envelopes that
// were not are listed in a *BatchError. With a single envelope the error is
// the SDK's, wrapped.
func (p *SNS) Publish(ctx context.Context, evs ...event.Envelope) error {
	switch len(evs) {
	case 0:
		return nil
	case 1:
		msg, err := json.Marshal(evs[0])
		if err != nil {
			return fmt.Errorf("publish %s %s: encode envelope: %w", evs[0].Type, evs[0].ID, err)
		}
		_, err = p.client.Publish(ctx, &sns.PublishInput{
			TopicArn:          aws.String(p.topicARN),
			Message:           aws.String(string(msg)),
			MessageAttributes: attributes(evs[0]),
		})
		if err != nil {
			return fmt.Errorf("publish %s %s: %w", evs[0].Type, evs[0].ID, err)
		}
		return nil
	}

	batchErr := &BatchError{Total: len(evs)}
	var chunk []types.PublishBatchRequestEntry
	var chunkIdx []int
	size := 0
	flush := func() {
		if len(chunk) > 0 {
			batchErr.Failures = append(batchErr.Failures, p.publishChunk(ctx, evs, chunk, chunkIdx)...)
		}
		chunk, chunkIdx, size = nil, nil, 0
	}
	for i, ev := range evs {
		msg, err := json.Marshal(ev)
		if err != nil {
			batchErr.Failures = append(batchErr.Failures, Failure{
				Index: i, EnvelopeID: ev.ID, Code: "EncodeFailed", Message: err.Error(), SenderFault: true,
			})
			continue
		}
		attrs := attributes(ev)
		n := len(msg) + attributesSize(attrs)
		if len(chunk) == maxBatchEntries || (len(chunk) > 0 && size+n > maxBatchBytes) {
			flush()
		}
		chunk = append(chunk, types.PublishBatchRequestEntry{
			// Entry ids only need to be unique within the call; the
			// argument index also maps a failure back to its envelope.
			Id:                aws.String(strconv.Itoa(i)),
			Message:           aws.String(string(msg)),
			MessageAttributes: attrs,
		})
		chunkIdx = append(chunkIdx, i)
		size += n
	}
	flush()
	if len(batchErr.Failures) == 0 {
		return nil
	}
	return batchErr
}

// publishChunk sends one PublishBatch call and returns its failures.
func (p *SNS) publishChunk(ctx context.Context, evs []event.Envelope, entries []types.PublishBatchRequestEntry, idx []int) []Failure {
	out, err := p.client.PublishBatch(ctx, &sns.PublishBatchInput{
		TopicArn:                   aws.String(p.topicARN),
		PublishBatchRequestEntries: entries,
	})
	if err != nil {
		code := "PublishBatchFailed"
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			code = apiErr.ErrorCode()
		}
		fails := make([]Failure, len(idx))
		for k, i := range idx {
			fails[k] = Failure{Index: i, EnvelopeID: evs[i].ID, Code: code, Message: err.Error()}
		}
		return fails
	}
	pending := make(map[string]bool, len(idx))
	for _, i := range idx {
		pending[strconv.Itoa(i)] = true
	}
	for _, s := range out.Successful {
		delete(pending, aws.ToString(s.Id))
	}
	var fails []Failure
	for _, f := range out.Failed {
		id := aws.ToString(f.Id)
		if !pending[id] {
			continue // an id we did not send, or reported twice
		}
		delete(pending, id)
		i, _ := strconv.Atoi(id)
		fails = append(fails, Failure{
			Index: i, EnvelopeID: evs[i].ID,
			Code: aws.ToString(f.Code), Message: aws.ToString(f.Message), SenderFault: f.SenderFault,
		})
	}
	// An entry SNS reported neither way cannot be assumed published.
	for _, i := range idx {
		if pending[strconv.Itoa(i)] {
			fails = append(fails, Failure{
				Index: i, EnvelopeID: evs[i].ID,
				Code: "NoResult", Message: "PublishBatch reported no result for this entry",
			})
		}
	}
	slices.SortFunc(fails, func(a, b Failure) int { return cmp.Compare(a.Index, b.Index) })
	return fails
}

// attributes returns the message attributes subscribers filter and
// correlate on. SNS refuses empty attribute values, so an empty
// correlation id is left out rather than sent blank.
func attributes(ev event.Envelope) map[string]types.MessageAttributeValue {
	attrs := map[string]types.MessageAttributeValue{
		event.AttrType: {DataType: aws.String("String"), StringValue: aws.String(ev.Type)},
	}
	if ev.CorrelationID != "" {
		attrs[event.AttrCorrelationID] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(ev.CorrelationID)}
	}
	return attrs
}

// attributesSize counts attributes as SNS does toward the message size:
// name, data type and value.
func attributesSize(attrs map[string]types.MessageAttributeValue) int {
	n := 0
	for name, v := range attrs {
		n += len(name) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
	}
	return n
}
