package sqs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// moveTasks tracks message move tasks (StartMessageMoveTask). Tasks live
// in memory; each message they move is committed like any other change.
//
// As in SQS, a cancelled task is CANCELLING until its worker has stopped
// (a message may still be on its way) and CANCELLED after, so a caller that
// waits for CANCELLED reads the final ApproximateNumberOfMessagesMoved; and
// a moved message is a new message in its destination: a new message id,
// enqueued now (its retention starts again), never received.
type moveTasks struct {
	mu   sync.Mutex
	byID map[string]*moveTask
}

type moveTask struct {
	id, handle    string
	source, dest  string // ARNs; dest "" means each message's original source
	rate          *int
	started       int64
	status        string // RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED
	moved, toMove int64
	failure       string
	cancel        context.CancelFunc
}

func (t *moveTask) result(withHandle bool) moveTaskResult {
	toMove := t.toMove
	r := moveTaskResult{Status: t.status, SourceArn: t.source, DestinationArn: t.dest,
		MaxNumberOfMessagesPerSecond: t.rate, ApproximateNumberOfMessagesMoved: t.moved,
		ApproximateNumberOfMessagesToMove: &toMove, FailureReason: t.failure, StartedTimestamp: t.started}
	if withHandle {
		r.TaskHandle = t.handle
	}
	return r
}

func (s *Service) startMoveTask(_ context.Context, in *startMoveTaskInput) (*startMoveTaskOutput, *awsproto.Error) {
	if in.SourceArn == nil {
		return nil, errMissingParameter("SourceArn")
	}
	src := s.queueByARN(*in.SourceArn)
	if src == nil {
		return nil, errResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	if len(s.dlqSources(src.arn)) == 0 {
		return nil, errInvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
	}
	dest := str(in.DestinationArn)
	if dest != "" {
		dq := s.queueByARN(dest)
		if dq == nil {
			return nil, errResourceNotFound("The resource that you specified for the DestinationArn parameter doesn't exist.")
		}
		if dq == src {
			return nil, errInvalidParameterValue("Source queue and destination queue cannot be the same.")
		}
	}
	limit := 500
	if in.MaxNumberOfMessagesPerSecond != nil {
		limit = *in.MaxNumberOfMessagesPerSecond
		if limit < 1 || limit > 500 {
			return nil, errInvalidParameterValue("Value %d for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.", limit)
		}
	}
	s.tasks.mu.Lock()
	defer s.tasks.mu.Unlock()
	for _, t := range s.tasks.byID {
		if t.source == src.arn && (t.status == "RUNNING" || t.status == "CANCELLING") {
			return nil, errUnsupportedOperation("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
		}
	}
	src.mu.Lock()
	src.promote(s.now().UnixMilli())
	toMove := int64(src.counts[stateVisible])
	src.mu.Unlock()
	id := awsproto.UUID()
	handle, _ := json.Marshal(map[string]string{"taskId": id, "sourceArn": src.arn})
	ctx, cancel := context.WithCancel(context.Background())
	t := &moveTask{id: id, handle: base64.StdEncoding.EncodeToString(handle), source: src.arn, dest: dest,
		rate: in.MaxNumberOfMessagesPerSecond, started: s.now().UnixMilli(), status: "RUNNING", toMove: toMove, cancel: cancel}
	s.tasks.byID[id] = t
	s.workers.Add(1)
	go s.runMoveTask(ctx, t, src, limit)
	return &startMoveTaskOutput{TaskHandle: t.handle}, nil
}

// runMoveTask moves visible messages from the source, at most limit a
// second, until it has moved what the source held at the start, the source
// is empty, or the task is cancelled.
func (s *Service) runMoveTask(ctx context.Context, t *moveTask, src *queue, limit int) {
	defer s.workers.Done()
	lim := rate.NewLimiter(rate.Limit(limit), 1)
	finish := func(status, failure string) {
		s.tasks.mu.Lock()
		switch t.status {
		case "RUNNING":
			t.status, t.failure = status, failure
		case "CANCELLING":
			t.status = "CANCELLED"
		}
		s.tasks.mu.Unlock()
	}
	for {
		s.tasks.mu.Lock()
		done := t.moved >= t.toMove || t.status != "RUNNING"
		s.tasks.mu.Unlock()
		if done {
			finish("COMPLETED", "")
			return
		}
		select {
		case <-s.closing:
			finish("FAILED", "service closed")
			return
		default:
		}
		if err := lim.Wait(ctx); err != nil {
			finish("CANCELLED", "") // only a cancel ends ctx
			return
		}
		ok, failure := s.moveOne(src, t.dest)
		if failure != "" {
			finish("FAILED", failure)
			return
		}
		if !ok {
			finish("COMPLETED", "")
			return
		}
		s.tasks.mu.Lock()
		t.moved++
		s.tasks.mu.Unlock()
	}
}

// moveOne moves the next visible message of src to dest (or to its
// original source queue). It reports false when src has none. Both queues
// are locked while the message moves and its writes are queued, as in a
// receive that redrives (receiveOnce); the destination is looked up
// without a queue lock held.
func (s *Service) moveOne(src *queue, dest string) (bool, string) {
	nowMS := s.now().UnixMilli()
	for {
		src.mu.Lock()
		src.promote(nowMS)
		m := src.nextReceivable(nil)
		src.mu.Unlock()
		if m == nil {
			return false, ""
		}
		target := dest
		if target == "" {
			target = m.DLQSourceArn
		}
		dq := s.queueByARN(target)
		if dq == nil || dq == src {
			return false, "AWS.SimpleQueueService.NonExistentQueue"
		}
		unlock := lockQueues(src, dq)
		if src.deleted {
			unlock()
			return false, ""
		}
		if src.nextReceivable(nil) != m || dq.deleted {
			// Someone received, deleted or moved it meanwhile, or the
			// destination went away: look again.
			unlock()
			continue
		}
		snaps := []snapshot{snap(src, m)}
		src.remove(m)
		ws := []storage.Write{m.del(src)}
		moved := *m
		moved.heapIdx, moved.elem, moved.group = -1, nil, nil
		moved.ID, moved.Sent, moved.ReceiptNonce = awsproto.UUID(), nowMS, 0
		moved.Seq = dq.nextSeq(time.UnixMilli(nowMS))
		moved.State, moved.AvailableAt, moved.ReceiveCount, moved.FirstReceive = stateVisible, 0, 0, 0
		moved.DLQSourceArn = ""
		if dq.fifo {
			moved.SequenceNumber = fmt.Sprintf("%020d", moved.Seq)
		}
		dq.insert(&moved)
		snaps = append(snaps, added(dq, &moved))
		ws = append(ws, moved.put(dq))
		dq.wake()
		ch := s.log.Enqueue(ws...)
		unlock()
		// A failed write puts the message back in its source and takes
		// the copy out of the destination: the task fails, nothing moved.
		if err := waitOrRollback(ch, snaps, nil); err != nil {
			return false, err.Error()
		}
		s.counters.Resource(dq.arn).In.Add(1)
		return true, ""
	}
}

func (s *Service) listMoveTasks(_ context.Context, in *listMoveTasksInput) (*listMoveTasksOutput, *awsproto.Error) {
	if in.SourceArn == nil {
		return nil, errMissingParameter("SourceArn")
	}
	if s.queueByARN(*in.SourceArn) == nil {
		return nil, errResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	max := intOr(in.MaxResults, 1)
	if max < 1 || max > 10 {
		return nil, errInvalidParameterValue("Value %d for parameter MaxResults is invalid. Reason: Must be between 1 and 10.", max)
	}
	s.tasks.mu.Lock()
	defer s.tasks.mu.Unlock()
	var ts []*moveTask
	for _, t := range s.tasks.byID {
		if t.source == *in.SourceArn {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b *moveTask) int { return int(b.started - a.started) })
	results := []moveTaskResult{}
	for _, t := range ts[:min(max, len(ts))] {
		results = append(results, t.result(t.status == "RUNNING"))
	}
	return &listMoveTasksOutput{Results: results}, nil
}

func (s *Service) cancelMoveTask(_ context.Context, in *cancelMoveTaskInput) (*cancelMoveTaskOutput, *awsproto.Error) {
	if in.TaskHandle == nil {
		return nil, errMissingParameter("TaskHandle")
	}
	s.tasks.mu.Lock()
	defer s.tasks.mu.Unlock()
	var t *moveTask
	for _, c := range s.tasks.byID {
		if c.handle == *in.TaskHandle {
			t = c
		}
	}
	if t == nil {
		return nil, errResourceNotFound("Task does not exist.")
	}
	if t.status != "RUNNING" {
		return nil, errUnsupportedOperation("Only active tasks can be cancelled.")
	}
	t.status = "CANCELLING"
	t.cancel()
	return &cancelMoveTaskOutput{ApproximateNumberOfMessagesMoved: t.moved}, nil
}
