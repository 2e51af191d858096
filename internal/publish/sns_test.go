package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/eventchain/eventchain/internal/event"
)

const testTopic = "arn:aws:sns:us-east-1:123456789012:events"

// fakeSNS records every call. failEntry decides, per batch entry id, the
// error code SNS reports for it ("" = success); callErr fails whole calls.
type fakeSNS struct {
	mu        sync.Mutex
	publishes []*sns.PublishInput
	batches   []*sns.PublishBatchInput
	failEntry func(id string) string
	callErr   func(call int) error
	// silent lists entry ids reported neither as successful nor failed.
	silent map[string]bool
}

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.publishes = append(f.publishes, in)
	if f.callErr != nil {
		if err := f.callErr(len(f.publishes) - 1); err != nil {
			return nil, err
		}
	}
	return &sns.PublishOutput{MessageId: aws.String("m")}, nil
}

func (f *fakeSNS) PublishBatch(_ context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, in)
	if f.callErr != nil {
		if err := f.callErr(len(f.batches) - 1); err != nil {
			return nil, err
		}
	}
	out := &sns.PublishBatchOutput{}
	for _, e := range in.PublishBatchRequestEntries {
		id := aws.ToString(e.Id)
		switch {
		case f.silent[id]:
		case f.failEntry != nil && f.failEntry(id) != "":
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{
				Id: e.Id, Code: aws.String(f.failEntry(id)), Message: aws.String("entry refused"), SenderFault: true,
			})
		default:
			out.Successful = append(out.Successful, types.PublishBatchResultEntry{Id: e.Id, MessageId: aws.String("m-" + id)})
		}
	}
	return out, nil
}

func envelopes(t testing.TB, n int) []event.Envelope {
	t.Helper()
	out := make([]event.Envelope, n)
	for i := range out {
		id := event.NewID()
		ev, err := event.New(event.TypeLaunchRequested, event.Meta{
			Source: "eventchain/api", Subject: id, CorrelationID: event.NewID(),
		}, event.LaunchRequested{RequestID: id, ImageID: "ami-12345678", InstanceType: "t3.micro", Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = ev
	}
	return out
}

func TestPublishSingleUsesPublishWithAttributes(t *testing.T) {
	fake := &fakeSNS{}
	evs := envelopes(t, 1)
	if err := NewSNS(fake, testTopic).Publish(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	if len(fake.publishes) != 1 || len(fake.batches) != 0 {
		t.Fatalf("calls: %d Publish, %d PublishBatch; want 1, 0", len(fake.publishes), len(fake.batches))
	}
	in := fake.publishes[0]
	if got := aws.ToString(in.TopicArn); got != testTopic {
		t.Errorf("topic %q", got)
	}
	var got event.Envelope
	if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &got); err != nil {
		t.Fatalf("message is not an envelope: %v", err)
	}
	if got.ID != evs[0].ID || got.Subject != evs[0].Subject || string(got.Data) != string(evs[0].Data) {
		t.Errorf("message envelope %+v, want %+v", got, evs[0])
	}
	checkAttrs(t, in.MessageAttributes, evs[0])
}

func checkAttrs(t *testing.T, attrs map[string]types.MessageAttributeValue, ev event.Envelope) {
	t.Helper()
	if len(attrs) != 2 {
		t.Errorf("attributes %v, want exactly type and correlationid", attrs)
	}
	for name, want := range map[string]string{event.AttrType: ev.Type, event.AttrCorrelationID: ev.CorrelationID} {
		a, ok := attrs[name]
		if !ok {
			t.Errorf("attribute %s missing", name)
			continue
		}
		if aws.ToString(a.DataType) != "String" || aws.ToString(a.StringValue) != want {
			t.Errorf("attribute %s = %s %q, want String %q", name, aws.ToString(a.DataType), aws.ToString(a.StringValue), want)
		}
	}
}

func TestPublishSingleErrorIsWrapped(t *testing.T) {
	boom := &smithy.GenericAPIError{Code: "Throttled", Message: "slow down"}
	fake := &fakeSNS{callErr: func(int) error { return boom }}
	err := NewSNS(fake, testTopic).Publish(context.Background(), envelopes(t, 1)...)
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want it to wrap the SDK error", err)
	}
	var be *BatchError
	if errors.As(err, &be) {
		t.Errorf("single publish returned a BatchError: %v", err)
	}
}

func TestPublishNothing(t *testing.T) {
	fake := &fakeSNS{}
	if err := NewSNS(fake, testTopic).Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(fake.publishes)+len(fake.batches) != 0 {
		t.Error("publishing no envelopes called SNS")
	}
}

func TestPublishBatchChunking(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		chunks []int
	}{
		{"two", 2, []int{2}},
		{"ten", 10, []int{10}},
		{"eleven", 11, []int{10, 1}},
		{"twenty-five", 25, []int{10, 10, 5}},
		{"hundred", 100, []int{10, 10, 10, 10, 10, 10, 10, 10, 10, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSNS{}
			evs := envelopes(t, tt.n)
			if err := NewSNS(fake, testTopic).Publish(context.Background(), evs...); err != nil {
				t.Fatal(err)
			}
			if len(fake.publishes) != 0 {
				t.Errorf("%d single Publish calls, want none", len(fake.publishes))
			}
			var sizes []int
			seen := 0
			for _, b := range fake.batches {
				sizes = append(sizes, len(b.PublishBatchRequestEntries))
				if aws.ToString(b.TopicArn) != testTopic {
					t.Errorf("topic %q", aws.ToString(b.TopicArn))
				}
				ids := map[string]bool{}
				for _, e := range b.PublishBatchRequestEntries {
					if ids[aws.ToString(e.Id)] {
						t.Errorf("duplicate entry id %q in one batch", aws.ToString(e.Id))
					}
					ids[aws.ToString(e.Id)] = true
					var got event.Envelope
					if err := json.Unmarshal([]byte(aws.ToString(e.Message)), &got); err != nil {
						t.Fatal(err)
					}
					// Order is preserved across chunks.
					if got.ID != evs[seen].ID {
						t.Errorf("entry %d carries %s, want %s", seen, got.ID, evs[seen].ID)
					}
					checkAttrs(t, e.MessageAttributes, evs[seen])
					seen++
				}
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tt.chunks) {
				t.Errorf("chunk sizes %v, want %v", sizes, tt.chunks)
			}
			if seen != tt.n {
				t.Errorf("published %d, want %d", seen, tt.n)
			}
		})
	}
}

func TestPublishBatchSplitsBySize(t *testing.T) {
	evs := envelopes(t, 4)
	big := `"` + strings.Repeat("x", 100*1024) + `"`
	for i := range evs {
		evs[i].Data = json.RawMessage(big)
	}
	fake := &fakeSNS{}
	if err := NewSNS(fake, testTopic).Publish(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	// ~100 KiB each: two fit under 256 KiB, a third does not.
	var sizes []int
	for _, b := range fake.batches {
		total := 0
		for _, e := range b.PublishBatchRequestEntries {
			total += len(aws.ToString(e.Message))
		}
		if total > maxBatchBytes {
			t.Errorf("batch of %d bytes exceeds %d", total, maxBatchBytes)
		}
		sizes = append(sizes, len(b.PublishBatchRequestEntries))
	}
	if fmt.Sprint(sizes) != "[2 2]" {
		t.Errorf("chunk sizes %v, want [2 2]", sizes)
	}
}

func TestPublishBatchPartialFailure(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		failEntry func(id string) string
		callErr   func(call int) error
		silent    map[string]bool
		want      []int
		wantCode  string
	}{
		{
			name: "entries refused in two chunks",
			n:    15,
			failEntry: func(id string) string {
				return map[string]string{"3": "InvalidParameter", "12": "InvalidParameter"}[id]
			},
			want:     []int{3, 12},
			wantCode: "InvalidParameter",
		},
		{
			name: "second call fails whole",
			n:    13,
			callErr: func(call int) error {
				return map[int]error{1: &smithy.GenericAPIError{Code: "InternalError", Message: "x"}}[call]
			},
			want:     []int{10, 11, 12},
			wantCode: "InternalError",
		},
		{
			name:     "entry without a result",
			n:        3,
			silent:   map[string]bool{"1": true},
			want:     []int{1},
			wantCode: "NoResult",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSNS{failEntry: tt.failEntry, callErr: tt.callErr, silent: tt.silent}
			evs := envelopes(t, tt.n)
			err := NewSNS(fake, testTopic).Publish(context.Background(), evs...)
			var be *BatchError
			if !errors.As(err, &be) {
				t.Fatalf("err %v, want *BatchError", err)
			}
			if fmt.Sprint(be.Failed()) != fmt.Sprint(tt.want) {
				t.Errorf("failed %v, want %v", be.Failed(), tt.want)
			}
			if be.Total != tt.n {
				t.Errorf("total %d, want %d", be.Total, tt.n)
			}
			for _, f := range be.Failures {
				if f.EnvelopeID != evs[f.Index].ID {
					t.Errorf("failure %d names envelope %s, want %s", f.Index, f.EnvelopeID, evs[f.Index].ID)
				}
				if f.Code != tt.wantCode || f.Message == "" {
					t.Errorf("failure %+v, want code %s and a message", f, tt.wantCode)
				}
			}
			// Every chunk was attempted even after a failure.
			total := 0
			for _, b := range fake.batches {
				total += len(b.PublishBatchRequestEntries)
			}
			if total != tt.n {
				t.Errorf("attempted %d entries, want %d", total, tt.n)
			}
		})
	}
}

func TestAttributesOmitEmptyCorrelationID(t *testing.T) {
	ev := envelopes(t, 1)[0]
	ev.CorrelationID = ""
	attrs := attributes(ev)
	if _, ok := attrs[event.AttrCorrelationID]; ok {
		t.Error("empty correlation id sent as an attribute")
	}
	if aws.ToString(attrs[event.AttrType].StringValue) != ev.Type {
		t.Error("type attribute missing")
	}
}
