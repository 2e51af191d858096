package dlq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// ErrInterrupted wraps the error of an operation stopped by its context:
// what it finished stays finished.
var ErrInterrupted = errors.New("interrupted")

// ScanOptions tunes how a scan reads a queue.
type ScanOptions struct {
	// Visibility is the visibility timeout of what the scan receives,
	// extended while the scan goes on (default 30 s). It is short so that
	// the messages of a scan that dies come back soon.
	Visibility time.Duration
	// Wait is the long poll of each page (default 2 s, at least 1 s: a
	// short poll samples only some SQS servers and may find nothing in a
	// queue that is not empty). A page that finds nothing ends the scan.
	Wait time.Duration
	// Finish is the context of the work that must complete once started,
	// even after the operation's context ended: making held messages
	// visible again, deleting a message already sent elsewhere. Ending it
	// abandons that work too (a second Ctrl-C). Nil: never ends.
	Finish context.Context
	// Progress, when set, is called after every page.
	Progress func(seen, expected int)
	// Logger receives what goes wrong on the way (visibility extensions
	// refused, releases that failed); nil discards it.
	Logger *slog.Logger
}

func (o ScanOptions) withDefaults() ScanOptions {
	if o.Visibility <= 0 {
		o.Visibility = 30 * time.Second
	}
	o.Visibility = max(o.Visibility.Round(time.Second), time.Second)
	if o.Wait < time.Second {
		o.Wait = 2 * time.Second
	}
	o.Wait = min(o.Wait.Round(time.Second), 20*time.Second)
	if o.Finish == nil {
		o.Finish = context.Background()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// ScanStats says what a scan read.
type ScanStats struct {
	// Expected is ApproximateNumberOfMessages when the scan began: it
	// reads until it has seen as many.
	Expected int
	// InFlight is ApproximateNumberOfMessagesNotVisible when the scan
	// began: messages someone else holds, which it cannot see.
	InFlight int
	// Seen counts distinct messages.
	Seen int
	// Rereceived counts receives of a message the scan already held,
	// whose visibility timeout lapsed before an extension reached it.
	Rereceived int
	// Released counts messages made visible again at the end; Unreleased
	// those whose release failed (visible again within Visibility).
	Released, Unreleased int
}

// Visit sees each distinct message once, in the order received. An error
// ends the scan.
type Visit func(m *Message) error

// Scan reads every visible message of a queue without deleting any: it
// receives page after page, holding what it received invisible (extending
// the visibility timeout while it goes on) so that no message comes twice,
// until it has seen as many messages as the queue held visible when it
// began or a page finds nothing. Then, also when ctx ends or visit fails,
// it makes what it holds visible again.
//
// Each receive counts towards a message's ApproximateReceiveCount, and
// while the scan holds them the queue's visible count (what a depth alarm
// watches) drops.
func Scan(ctx context.Context, c SQS, url string, opts ScanOptions, visit Visit) (ScanStats, error) {
	return scan(ctx, c, url, opts, func(_ *holder, m *Message) error { return visit(m) })
}

// scan is Scan with a visit that may take messages out of the queue
// (holder.take).
func scan(ctx context.Context, c SQS, url string, opts ScanOptions, visit func(*holder, *Message) error) (stats ScanStats, err error) {
	opts = opts.withDefaults()
	q, err := Describe(ctx, c, url)
	if err != nil {
		return stats, err
	}
	stats.Expected, stats.InFlight = q.Visible, q.InFlight
	if stats.Expected == 0 {
		return stats, nil
	}
	h := &holder{c: c, url: url, visibility: opts.Visibility, log: opts.Logger, held: map[string]*held{}}
	extendCtx, stopExtending := context.WithCancel(opts.Finish)
	var extending sync.WaitGroup
	extending.Go(func() { h.extendLoop(extendCtx) })
	defer func() {
		stopExtending()
		extending.Wait()
		released, failed, rerr := h.releaseAll(opts.Finish)
		stats.Released, stats.Unreleased = released, failed
		if rerr != nil {
			err = errors.Join(err, fmt.Errorf("%d messages of %s stay invisible for up to %s: %w", failed, q.Name, opts.Visibility, rerr))
		}
	}()

	for stats.Seen < stats.Expected {
		if ctx.Err() != nil {
			return stats, fmt.Errorf("read %s: %w: %w", q.Name, ErrInterrupted, ctx.Err())
		}
		msgs, at, err := h.receivePage(opts.Finish, opts.Wait)
		if err != nil {
			return stats, fmt.Errorf("receive from %s: %w", q.Name, err)
		}
		if len(msgs) == 0 {
			break
		}
		// Hold the whole page before visiting any of it: a visit that
		// fails must not leave the rest of the page invisible.
		var fresh []*Message
		for _, sm := range msgs {
			if h.rereceived(sm, at) {
				stats.Rereceived++
				continue
			}
			m := newMessage(sm)
			h.hold(m, at)
			fresh = append(fresh, m)
		}
		for _, m := range fresh {
			stats.Seen++
			if err := visit(h, m); err != nil {
				return stats, err
			}
		}
		if opts.Progress != nil {
			opts.Progress(stats.Seen, stats.Expected)
		}
	}
	return stats, nil
}

// held is a message a scan holds invisible until deadline.
type held struct {
	m        *Message
	deadline time.Time
}

// holder keeps the messages of a scan invisible and makes them visible
// again at its end.
type holder struct {
	c          SQS
	url        string
	visibility time.Duration
	log        *slog.Logger

	mu   sync.Mutex
	held map[string]*held
}

// receivePage receives one page. It runs under ctx (the Finish context),
// not the operation's: a receive cut off half way may have taken messages
// that the scan then could not release.
func (h *holder) receivePage(ctx context.Context, wait time.Duration) ([]sqstypes.Message, time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, wait+30*time.Second)
	defer cancel()
	at := time.Now()
	out, err := h.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(h.url),
		MaxNumberOfMessages:         10,
		VisibilityTimeout:           int32(h.visibility / time.Second),
		WaitTimeSeconds:             int32(wait / time.Second),
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		return nil, at, err
	}
	return out.Messages, at, nil
}

func (h *holder) hold(m *Message, at time.Time) {
	h.mu.Lock()
	h.held[m.ID] = &held{m: m, deadline: at.Add(h.visibility)}
	h.mu.Unlock()
}

// rereceived takes a new receive of a message already held: its new
// receipt handle replaces the stale one. It reports false for a message
// the scan has not seen.
func (h *holder) rereceived(sm sqstypes.Message, at time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	x, ok := h.held[aws.ToString(sm.MessageId)]
	if !ok {
		return false
	}
	x.m.receipt = aws.ToString(sm.ReceiptHandle)
	x.m.own++
	x.m.received(sm)
	x.deadline = at.Add(h.visibility)
	return true
}

// take deletes a held message from the queue. The scan forgets it first,
// so that no extension races the delete; if the delete fails, the message
// is held again and made visible at the end like the others.
func (h *holder) take(ctx context.Context, m *Message) error {
	h.mu.Lock()
	x := h.held[m.ID]
	delete(h.held, m.ID)
	h.mu.Unlock()
	_, err := h.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(h.url), ReceiptHandle: aws.String(m.receipt)})
	if err != nil && x != nil {
		h.mu.Lock()
		h.held[m.ID] = x
		h.mu.Unlock()
	}
	return err
}

// receipt is a held message's current receipt handle.
func (h *holder) receipt(m *Message) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return m.receipt
}

// extendLoop pushes back the visibility timeout of every held message
// whose timeout is less than half its length away, until ctx ends.
func (h *holder) extendLoop(ctx context.Context) {
	tick := time.NewTicker(min(max(h.visibility/8, 100*time.Millisecond), time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		var due []*held
		h.mu.Lock()
		for _, x := range h.held {
			if x.deadline.Sub(now) < h.visibility/2 {
				due = append(due, x)
			}
		}
		h.mu.Unlock()
		if len(due) == 0 {
			continue
		}
		ok, failed, err := h.changeVisibility(ctx, due, h.visibility)
		h.mu.Lock()
		for _, x := range ok {
			x.deadline = now.Add(h.visibility)
		}
		h.mu.Unlock()
		if failed > 0 {
			// Such a message becomes visible and may be received again
			// (counted in Rereceived), or by someone else.
			h.log.Warn("visibility timeout not extended", "queue", NameFromURL(h.url), "messages", failed, "error", err)
		}
	}
}

// releaseAll makes every held message visible again.
func (h *holder) releaseAll(ctx context.Context) (released, failed int, err error) {
	h.mu.Lock()
	all := make([]*held, 0, len(h.held))
	for _, x := range h.held {
		all = append(all, x)
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	ok, failed, err := h.changeVisibility(ctx, all, 0)
	return len(ok), failed, err
}

// changeVisibility sets the visibility timeout of xs, ten to a call and
// eight calls at a time (a large scan holds thousands). It returns those
// changed, how many were not and the first error.
func (h *holder) changeVisibility(ctx context.Context, xs []*held, to time.Duration) (ok []*held, failed int, err error) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		slots = make(chan struct{}, 8)
	)
	for start := 0; start < len(xs); start += 10 {
		batch := xs[start:min(start+10, len(xs))]
		entries := make([]sqstypes.ChangeMessageVisibilityBatchRequestEntry, len(batch))
		for i, x := range batch {
			entries[i] = sqstypes.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h.receipt(x.m)), VisibilityTimeout: int32(to / time.Second),
			}
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			out, cerr := h.c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(h.url), Entries: entries})
			mu.Lock()
			defer mu.Unlock()
			if cerr != nil {
				failed += len(batch)
				err = firstErr(err, cerr)
				return
			}
			bad := map[string]bool{}
			for _, f := range out.Failed {
				if to == 0 && lapsed(aws.ToString(f.Code)) {
					continue // visible already: released
				}
				bad[aws.ToString(f.Id)] = true
				err = firstErr(err, fmt.Errorf("%s: %s", aws.ToString(f.Code), aws.ToString(f.Message)))
			}
			for i, x := range batch {
				if bad[strconv.Itoa(i)] {
					failed++
				} else {
					ok = append(ok, x)
				}
			}
		})
	}
	wg.Wait()
	return ok, failed, err
}

// lapsed says whether a visibility change failed because the message is
// no longer held: its timeout ran out (MessageNotInflight), or it was
// received again or deleted since (SQS answers InvalidParameterValue).
func lapsed(code string) bool {
	switch code {
	case "AWS.SimpleQueueService.MessageNotInflight", "MessageNotInflight", "InvalidParameterValue":
		return true
	}
	return false
}

// firstErr keeps the first error.
func firstErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}
