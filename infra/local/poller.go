package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// receiveRetryDelay paces receives after a failed one, so an unreachable
// queue is not hammered.
const receiveRetryDelay = 200 * time.Millisecond

// SQSAPI is what a poller needs of an SQS client.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// SQSHandler is a function that consumes SQS batches with partial batch
// responses.
type SQSHandler func(context.Context, lambdaevents.SQSEvent) (lambdaevents.SQSEventResponse, error)

// EventSource is one SQS event of a function in the template.
type EventSource struct {
	QueueURL string
	QueueARN string
	Region   string
	// BatchSize is 1..10000 (AWS default 10); batches over 10 need a window.
	BatchSize int
	// BatchingWindow is MaximumBatchingWindowInSeconds.
	BatchingWindow time.Duration
	// MaximumConcurrency is the ScalingConfig cap (0 = none).
	MaximumConcurrency int
	// ReportBatchItemFailures is set when FunctionResponseTypes has it;
	// otherwise a returned response is ignored and success deletes all.
	ReportBatchItemFailures bool
}

// BatchOutcome describes one invocation of a poller, for logging and tests.
type BatchOutcome struct {
	Function  string
	RequestID string
	Records   []lambdaevents.SQSMessage
	// Failed holds the message ids left on the queue for redelivery.
	Failed []string
	Err    error
	Took   time.Duration
}

// Poller does for one event source what Lambda's SQS event source mapping
// does: long-poll, invoke with a batch, delete what succeeded, leave the
// rest for redelivery after its visibility timeout.
type Poller struct {
	fn      *Function
	src     EventSource
	client  SQSAPI
	handler SQSHandler
	logger  *slog.Logger
	// observe, when set, sees every batch outcome.
	observe func(BatchOutcome)
	// pollWait bounds each long poll so that shutdown is prompt.
	pollWait int32
	// sem holds the event source's MaximumConcurrency: taken before a
	// receive, given back when the invocation's goroutine returns, so an
	// abandoned invocation counts against it as against reserved concurrency.
	sem chan struct{}
}

// pollers returns how many concurrent pollers serve the source: the
// event's maximum concurrency, capped by the function's slots. Lambda
// starts with five pollers for a queue and scales up; five is our default
// when neither cap is set.
func (p *Poller) pollers() int {
	n := 5
	if p.src.MaximumConcurrency > 0 {
		n = p.src.MaximumConcurrency
	}
	if c := cap(p.fn.slots); c < n {
		n = c
	}
	return n
}

// Run polls until ctx ends. Each worker takes a concurrency slot before it
// receives, so no message is received that the function cannot run (on
// AWS, throttled polls would burn receive counts).
func (p *Poller) Run(ctx context.Context) {
	n := p.pollers()
	p.sem = make(chan struct{}, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { p.work(ctx) })
	}
	wg.Wait()
}

func (p *Poller) work(ctx context.Context) {
	for ctx.Err() == nil {
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		if err := p.fn.acquire(ctx); err != nil {
			<-p.sem
			return
		}
		msgs, err := p.receive(ctx)
		if err != nil || len(msgs) == 0 {
			<-p.fn.slots
			<-p.sem
			if err != nil && ctx.Err() == nil {
				p.logger.Warn("receive failed", "function", p.fn.Name, "queue", p.src.QueueURL, "error", err)
				sleepCtx(ctx, receiveRetryDelay)
			}
			continue
		}
		p.invoke(ctx, msgs)
	}
}

// receive gathers one batch: up to BatchSize messages, waiting at most the
// batching window once the first message has arrived.
func (p *Poller) receive(ctx context.Context) ([]sqstypes.Message, error) {
	batch := max(p.src.BatchSize, 1)
	var out []sqstypes.Message
	var windowEnd time.Time
	for len(out) < batch {
		wait := p.pollWait
		if len(out) > 0 {
			left := time.Until(windowEnd)
			if left <= 0 {
				break
			}
			// Long polls wait whole seconds: for the last fraction of the
			// window, wait it out and take one short poll, so the window
			// is kept without a loop of empty receives.
			if left < time.Second {
				sleepCtx(ctx, left)
				wait = 0
				windowEnd = time.Now()
			} else {
				wait = min(int32(left/time.Second), p.pollWait)
			}
		}
		res, err := p.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.src.QueueURL),
			MaxNumberOfMessages:         int32(min(batch-len(out), 10)),
			WaitTimeSeconds:             wait,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			if len(out) > 0 && ctx.Err() == nil {
				return out, nil // hand over what we hold; it is in flight already
			}
			return out, err
		}
		if len(out) == 0 && len(res.Messages) > 0 {
			windowEnd = time.Now().Add(p.src.BatchingWindow)
		}
		out = append(out, res.Messages...)
		if len(out) == 0 {
			return nil, nil
		}
		if p.src.BatchingWindow <= 0 {
			break
		}
	}
	return out, nil
}

func (p *Poller) invoke(ctx context.Context, msgs []sqstypes.Message) {
	ev := lambdaevents.SQSEvent{Records: make([]lambdaevents.SQSMessage, len(msgs))}
	receipts := make(map[string]string, len(msgs))
	for i, m := range msgs {
		ev.Records[i] = toRecord(m, p.src)
		receipts[aws.ToString(m.MessageId)] = aws.ToString(m.ReceiptHandle)
	}
	start := time.Now()
	resp, reqID, err := invoke(ctx, p.fn, func(ictx context.Context) (lambdaevents.SQSEventResponse, error) {
		return p.handler(ictx, ev)
	}, func() { <-p.sem })
	out := BatchOutcome{Function: p.fn.Name, RequestID: reqID, Records: ev.Records, Err: err, Took: time.Since(start)}

	keep := map[string]bool{}
	switch {
	case err != nil:
		for id := range receipts {
			keep[id] = true
		}
	case p.src.ReportBatchItemFailures:
		for _, f := range resp.BatchItemFailures {
			if _, known := receipts[f.ItemIdentifier]; !known {
				// AWS treats an empty or unknown identifier as a failure of
				// the whole batch.
				out.Err = fmt.Errorf("batch item failure with unknown item identifier %q: whole batch failed", f.ItemIdentifier)
				for id := range receipts {
					keep[id] = true
				}
				break
			}
			keep[f.ItemIdentifier] = true
		}
	}
	for id := range keep {
		out.Failed = append(out.Failed, id)
	}
	if err := p.delete(ctx, receipts, keep); err != nil {
		p.logger.Warn("delete after invoke failed; messages will be redelivered", "function", p.fn.Name, "error", err)
	}
	if p.observe != nil {
		p.observe(out)
	}
}

// delete removes the messages that succeeded, ten per call.
func (p *Poller) delete(ctx context.Context, receipts map[string]string, keep map[string]bool) error {
	var entries []sqstypes.DeleteMessageBatchRequestEntry
	for id, rh := range receipts {
		if !keep[id] {
			entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(len(entries))), ReceiptHandle: aws.String(rh)})
		}
	}
	var errs []error
	for len(entries) > 0 {
		n := min(len(entries), 10)
		res, err := p.client.DeleteMessageBatch(context.WithoutCancel(ctx), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.src.QueueURL), Entries: entries[:n]})
		if err != nil {
			errs = append(errs, err)
		} else {
			for _, f := range res.Failed {
				errs = append(errs, fmt.Errorf("delete %s: %s", aws.ToString(f.Code), aws.ToString(f.Message)))
			}
		}
		entries = entries[n:]
	}
	return errors.Join(errs...)
}

// toRecord shapes an SQS message as Lambda hands it to a function.
func toRecord(m sqstypes.Message, src EventSource) lambdaevents.SQSMessage {
	r := lambdaevents.SQSMessage{
		MessageId:              aws.ToString(m.MessageId),
		ReceiptHandle:          aws.ToString(m.ReceiptHandle),
		Body:                   aws.ToString(m.Body),
		Md5OfBody:              aws.ToString(m.MD5OfBody),
		Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
		Attributes:             map[string]string{},
		MessageAttributes:      map[string]lambdaevents.SQSMessageAttribute{},
		EventSourceARN:         src.QueueARN,
		EventSource:            "aws:sqs",
		AWSRegion:              src.Region,
	}
	for k, v := range m.Attributes {
		r.Attributes[k] = v
	}
	for k, v := range m.MessageAttributes {
		r.MessageAttributes[k] = lambdaevents.SQSMessageAttribute{
			StringValue:      v.StringValue,
			BinaryValue:      v.BinaryValue,
			StringListValues: []string{},
			BinaryListValues: [][]byte{},
			DataType:         aws.ToString(v.DataType),
		}
	}
	return r
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
