package dlq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// MaxMoveRate is the highest MaxNumberOfMessagesPerSecond SQS accepts.
const MaxMoveRate = 500

// Move task statuses, as SQS spells them.
const (
	TaskRunning    = "RUNNING"
	TaskCompleted  = "COMPLETED"
	TaskCancelling = "CANCELLING"
	TaskCancelled  = "CANCELLED"
	TaskFailed     = "FAILED"
)

// MoveTask is a message move task as ListMessageMoveTasks reports it.
type MoveTask struct {
	Handle         string // only while RUNNING
	Status         string
	SourceARN      string
	DestinationARN string // "" when each message went back to its own source
	Rate           int    // 0: SQS chose
	Moved, ToMove  int64
	Failure        string
	Started        time.Time
}

// Active says whether the task still runs.
func (t MoveTask) Active() bool { return t.Status == TaskRunning || t.Status == TaskCancelling }

func moveTask(r sqstypes.ListMessageMoveTasksResultEntry) MoveTask {
	return MoveTask{
		Handle:         aws.ToString(r.TaskHandle),
		Status:         aws.ToString(r.Status),
		SourceARN:      aws.ToString(r.SourceArn),
		DestinationARN: aws.ToString(r.DestinationArn),
		Rate:           int(aws.ToInt32(r.MaxNumberOfMessagesPerSecond)),
		Moved:          r.ApproximateNumberOfMessagesMoved,
		ToMove:         aws.ToInt64(r.ApproximateNumberOfMessagesToMove),
		Failure:        aws.ToString(r.FailureReason),
		Started:        time.UnixMilli(r.StartedTimestamp),
	}
}

// MoveTasks lists the most recent move tasks of a source queue (up to
// ten), newest first.
func MoveTasks(ctx context.Context, c SQS, sourceARN string) ([]MoveTask, error) {
	out, err := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(sourceARN), MaxResults: aws.Int32(10)})
	if err != nil {
		return nil, fmt.Errorf("list the move tasks of %s: %w", NameFromARN(sourceARN), err)
	}
	ts := make([]MoveTask, len(out.Results))
	for i, r := range out.Results {
		ts[i] = moveTask(r)
	}
	return ts, nil
}

// ErrTaskActive is the error of a move started while another task of the
// same source queue runs (SQS allows one at a time).
var ErrTaskActive = errors.New("a move task of this queue is already running")

// MoveOptions describe a message move task.
type MoveOptions struct {
	SourceARN string
	// DestinationARN is always set by the callers of this package: without
	// it SQS sends each message back to the queue whose redrive policy
	// moved it, and a message a consumer sent to its DLQ itself has none,
	// which fails the task (AWS.SimpleQueueService.NonExistentQueue).
	DestinationARN string
	// Rate is MaxNumberOfMessagesPerSecond, 1 to MaxMoveRate; 0 lets SQS
	// choose.
	Rate int
	// Poll is how often the task's progress is read (default 1 s).
	Poll time.Duration
	// Finish bounds the cancel of a task whose ctx ended, and the wait for
	// it to stop; nil never ends.
	Finish context.Context
	// Progress, when set, sees the task at every poll.
	Progress func(MoveTask)
}

// Move runs a message move task from a DLQ to a destination queue until
// it ends. When ctx ends first, Move cancels the task and waits until SQS
// reports it stopped: what it moved stays moved, the rest stays in the
// DLQ, and the error wraps ErrInterrupted. A failed task is an error that
// carries SQS's FailureReason.
func Move(ctx context.Context, c SQS, opts MoveOptions) (MoveTask, error) {
	if opts.Rate < 0 || opts.Rate > MaxMoveRate {
		return MoveTask{}, fmt.Errorf("move rate %d: SQS moves 1 to %d messages a second", opts.Rate, MaxMoveRate)
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Finish == nil {
		opts.Finish = context.Background()
	}
	// A task lists its handle only while RUNNING, and a small one may be
	// done before the first poll: the task is also known as the first one
	// started after every task listed before it.
	before, err := MoveTasks(ctx, c, opts.SourceARN)
	if err != nil {
		return MoveTask{}, err
	}
	var prior time.Time
	if len(before) > 0 {
		prior = before[0].Started
	}
	in := &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(opts.SourceARN)}
	if opts.DestinationARN != "" {
		in.DestinationArn = aws.String(opts.DestinationARN)
	}
	if opts.Rate > 0 {
		in.MaxNumberOfMessagesPerSecond = aws.Int32(int32(opts.Rate))
	}
	out, err := c.StartMessageMoveTask(ctx, in)
	if err != nil {
		if code := errorCode(err); code == "UnsupportedOperation" || code == "AWS.SimpleQueueService.UnsupportedOperation" {
			if ts, lerr := MoveTasks(ctx, c, opts.SourceARN); lerr == nil && len(ts) > 0 && ts[0].Active() {
				return ts[0], fmt.Errorf("%w: %s since %s, %d of %d moved", ErrTaskActive, ts[0].Status, ts[0].Started.Format(time.DateTime), ts[0].Moved, ts[0].ToMove)
			}
		}
		return MoveTask{}, fmt.Errorf("start moving %s: %w", NameFromARN(opts.SourceARN), err)
	}
	handle := aws.ToString(out.TaskHandle)
	var (
		started     time.Time // identifies the task once it no longer lists its handle
		task        MoveTask
		interrupted error
	)
	pollCtx := ctx
	tick := time.NewTicker(opts.Poll)
	defer tick.Stop()
	for {
		ts, err := MoveTasks(pollCtx, c, opts.SourceARN)
		if err != nil && interrupted == nil && ctx.Err() != nil {
			err = nil // the poll was cut off by the interrupt: cancel below
		}
		if err != nil {
			return task, errors.Join(err, interrupted)
		}
		for _, t := range ts {
			if t.Handle == handle || (!started.IsZero() && t.Started.Equal(started)) ||
				(started.IsZero() && t.Handle == "" && t.Started.After(prior)) {
				task, started = t, t.Started
				break
			}
		}
		if opts.Progress != nil && !started.IsZero() {
			opts.Progress(task)
		}
		if !started.IsZero() && !task.Active() {
			switch {
			case task.Status == TaskCompleted:
				return task, nil // finished before the cancel reached it
			case interrupted != nil:
				return task, interrupted
			case task.Status == TaskFailed:
				return task, fmt.Errorf("move task from %s failed after moving %d: %s", NameFromARN(opts.SourceARN), task.Moved, task.Failure)
			case task.Status == TaskCancelled:
				return task, fmt.Errorf("move task from %s was cancelled after moving %d: %w", NameFromARN(opts.SourceARN), task.Moved, ErrInterrupted)
			}
			return task, fmt.Errorf("move task from %s ended %s", NameFromARN(opts.SourceARN), task.Status)
		}
		select {
		case <-tick.C:
		case <-pollCtx.Done():
			if interrupted != nil { // the finish context ended too: stop waiting
				return task, errors.Join(interrupted, fmt.Errorf("task %s may still be stopping", task.Status))
			}
			interrupted = fmt.Errorf("move task from %s: %w: %w", NameFromARN(opts.SourceARN), ErrInterrupted, ctx.Err())
			finish, cancel := context.WithTimeout(opts.Finish, time.Minute)
			defer cancel()
			pollCtx = finish
			if _, err := c.CancelMessageMoveTask(finish, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String(handle)}); err != nil {
				// Ended meanwhile (SQS refuses to cancel a task that is no
				// longer RUNNING): the next poll says how.
				if code := errorCode(err); code != "UnsupportedOperation" && code != "AWS.SimpleQueueService.UnsupportedOperation" {
					return task, errors.Join(interrupted, fmt.Errorf("cancel the move task: %w", err))
				}
			}
		}
	}
}

// CancelMove cancels a running move task by its handle.
func CancelMove(ctx context.Context, c SQS, handle string) (moved int64, err error) {
	out, err := c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String(handle)})
	if err != nil {
		return 0, fmt.Errorf("cancel move task: %w", err)
	}
	return out.ApproximateNumberOfMessagesMoved, nil
}
