package dlq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/time/rate"
)

// RedriveOptions describe a redrive message by message: what a move task
// cannot do (a subscription's DLQ, a selection of messages).
type RedriveOptions struct {
	// SourceURL is the DLQ's URL.
	SourceURL string
	// Target is where the messages go: the queue they failed on (the
	// subscribed queue of a subscription's DLQ), never the topic, whose
	// other subscribers have had them already.
	Target QueueState
	// Select picks the messages to move; nil moves every one.
	Select func(*Message) bool
	// Rate caps the messages moved a second; 0 moves them as fast as SQS
	// takes them.
	Rate float64
	// DryRun reads and selects but moves nothing.
	DryRun bool
	// Scan tunes the reading; its Finish context bounds the delete of a
	// message already sent, so that an interrupt between send and delete
	// does not leave the message in both queues.
	Scan ScanOptions
	// Moved, when set, sees each message once it is in the target and no
	// longer in the DLQ.
	Moved func(*Message)
}

// RedriveResult says what a redrive did.
type RedriveResult struct {
	Scan ScanStats
	// Selected counts the messages Select picked (all of them in a dry
	// run), Moved those now in the target and no longer in the DLQ.
	Selected, Moved int
	// ByType counts the selected messages by event type.
	ByType map[string]int
	// InBoth, when set, is the message the redrive was moving when it
	// stopped: it is still in the DLQ and was sent to the target (or, when
	// Uncertain, its send ended without an answer and may have arrived).
	// It may be delivered twice; every other message is in one queue.
	InBoth    *Message
	Uncertain bool
}

// Redrive moves the selected messages of a DLQ to a target queue one by
// one: each is sent to the target, and deleted from the DLQ only once the
// target has it, so that nothing is lost. The messages it does not select
// stay in the DLQ, visible again when it ends. When ctx ends it finishes
// the message under way (delete included, unless the scan's Finish
// context ends too), stops, and the error wraps ErrInterrupted.
func Redrive(ctx context.Context, c SQS, opts RedriveOptions) (RedriveResult, error) {
	res := RedriveResult{ByType: map[string]int{}}
	if opts.Target.URL == "" || opts.Target.URL == opts.SourceURL {
		return res, fmt.Errorf("redrive %s: the target must be another queue", NameFromURL(opts.SourceURL))
	}
	opts.Scan = opts.Scan.withDefaults()
	finish := opts.Scan.Finish
	var lim *rate.Limiter
	if opts.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(opts.Rate), 1)
	}
	stop := func() error {
		return fmt.Errorf("redrive %s: %w: %w", NameFromURL(opts.SourceURL), ErrInterrupted, context.Cause(ctx))
	}
	stats, err := scan(ctx, c, opts.SourceURL, opts.Scan, func(h *holder, m *Message) error {
		if opts.Select != nil && !opts.Select(m) {
			return nil
		}
		res.Selected++
		res.ByType[m.Event().Type]++
		if opts.DryRun {
			return nil
		}
		if ctx.Err() != nil {
			return stop()
		}
		if lim != nil && lim.Wait(ctx) != nil {
			return stop()
		}
		sendCtx, cancel := context.WithTimeout(finish, 30*time.Second)
		_, err := c.SendMessage(sendCtx, redriveInput(opts.Target, m))
		cancel()
		if err != nil {
			if Classify(err) == KindUnreachable || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				// No answer: the target may have it.
				res.InBoth, res.Uncertain = m, true
			}
			return fmt.Errorf("send message %s to %s: %w", m.ID, opts.Target.Name, err)
		}
		delCtx, cancel := context.WithTimeout(finish, 30*time.Second)
		err = h.take(delCtx, m)
		cancel()
		if err != nil {
			res.InBoth = m
			return fmt.Errorf("delete message %s from %s after sending it to %s: %w", m.ID, NameFromURL(opts.SourceURL), opts.Target.Name, err)
		}
		res.Moved++
		if opts.Moved != nil {
			opts.Moved(m)
		}
		return nil
	})
	res.Scan = stats
	return res, err
}

// redriveInput is the SendMessage that puts m in the target as it was:
// body, message attributes (their error.* reason included) and trace
// header. A FIFO target gets the message's group and, as deduplication
// id, the DLQ message's id: a redrive repeated within SQS's five-minute
// window then cannot enqueue the same message twice.
func redriveInput(target QueueState, m *Message) *sqs.SendMessageInput {
	in := &sqs.SendMessageInput{QueueUrl: aws.String(target.URL), MessageBody: aws.String(m.Body), MessageAttributes: m.Attributes}
	if m.TraceHeader != "" {
		in.MessageSystemAttributes = map[string]sqstypes.MessageSystemAttributeValue{
			string(sqstypes.MessageSystemAttributeNameForSendsAWSTraceHeader): {DataType: aws.String("String"), StringValue: aws.String(m.TraceHeader)},
		}
	}
	if target.FIFO {
		group := m.GroupID
		if group == "" {
			group = "redrive"
		}
		in.MessageGroupId, in.MessageDeduplicationId = aws.String(group), aws.String(m.ID)
	}
	return in
}
