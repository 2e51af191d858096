package sqs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
	"strconv"
	"strings"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// maxBatchBytes caps the total message size of one SendMessageBatch.
const maxBatchBytes = 1 << 20

func (m *message) put(q *queue) storage.Write {
	val, _ := json.Marshal(m)
	return storage.Write{Bucket: msgBucket(q.name), Key: seqKey(m.Seq), Val: val}
}

func (m *message) del(q *queue) storage.Write {
	return storage.Write{Bucket: msgBucket(q.name), Key: seqKey(m.Seq)}
}

// checkSend validates a send against the queue (without its lock: only
// immutable queue fields and a copy of the config are read).
func checkSend(q *queue, cfg queueConfig, in *sendMessageInput) (*message, *awsproto.Error) {
	if in.MessageBody == nil || *in.MessageBody == "" {
		return nil, errMissingParameter("MessageBody")
	}
	body := *in.MessageBody
	if !checkText(body) {
		return nil, errInvalidMessageContents("Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	attrs, attrSize, e := convertAttributes(in.MessageAttributes, false)
	if e != nil {
		return nil, e
	}
	sys, _, e := convertAttributes(in.MessageSystemAttributes, true)
	if e != nil {
		return nil, e
	}
	size := len(body) + attrSize
	if size > cfg.maxSize {
		return nil, errInvalidParameterValue("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", cfg.maxSize)
	}
	if in.DelaySeconds != nil {
		if *in.DelaySeconds < 0 || *in.DelaySeconds > 900 {
			return nil, errInvalidParameterValue("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", *in.DelaySeconds)
		}
		if q.fifo && *in.DelaySeconds != 0 {
			return nil, errInvalidParameterValue("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", *in.DelaySeconds)
		}
	}
	m := &message{Body: body, Attrs: attrs, MD5Body: md5Hex(body), MD5Attrs: md5OfAttributes(attrs), Size: size, heapIdx: -1}
	if tr, ok := sys["AWSTraceHeader"]; ok {
		if tr.DataType != "String" {
			return nil, errInvalidParameterValue("The message system attribute AWSTraceHeader must be of type String.")
		}
		m.TraceHeader = &tr
	}
	group, dedup := str(in.MessageGroupID), str(in.MessageDeduplicationID)
	if in.MessageGroupID != nil && !validFIFOToken(group) {
		return nil, errInvalidParameterValue("Value %s for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.", group)
	}
	if q.fifo {
		if in.MessageGroupID == nil {
			return nil, errMissingParameter("MessageGroupId")
		}
		if in.MessageDeduplicationID != nil && !validFIFOToken(dedup) {
			return nil, errInvalidParameterValue("Value %s for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.", dedup)
		}
		if dedup == "" {
			if !cfg.contentDedup {
				return nil, errNoDeduplicationID()
			}
			dedup = sha256Hex(body)
		}
	} else if in.MessageDeduplicationID != nil {
		return nil, errInvalidParameterValue("Value %s for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.", dedup)
	}
	m.GroupID, m.DedupID = group, dedup
	return m, nil
}

// send enqueues a validated message and returns the result to answer and
// commit, which waits (after the queue lock is released) until the
// message is on disk, or rolls the send back and fails.
func (s *Service) send(q *queue, in *sendMessageInput, _ int) (*sendResult, func() error, *awsproto.Error) {
	q.mu.Lock()
	cfg := q.cfg
	q.mu.Unlock()
	m, e := checkSend(q, cfg, in)
	if e != nil {
		return nil, nil, e
	}
	now := s.now()
	nowMS := now.UnixMilli()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil, nil, errQueueDoesNotExist()
	}
	var ws []storage.Write
	var dedupKey string
	if q.fifo {
		ws = q.expireDedup(nowMS, ws)
		key := m.DedupID
		if q.cfg.dedupScope == "messageGroup" {
			key = m.GroupID + "\x00" + key
		}
		if d, ok := q.dedup[key]; ok {
			// A duplicate is accepted and answered like the original,
			// but not enqueued again.
			res := &sendResult{MessageID: d.msgID, MD5OfMessageBody: m.MD5Body, MD5OfMessageAttributes: m.MD5Attrs, SequenceNumber: d.seqNum}
			if m.TraceHeader != nil {
				res.MD5OfMessageSystemAttributes = md5OfAttributes(map[string]awsmsgAttr{"AWSTraceHeader": *m.TraceHeader})
			}
			ch := s.log.Enqueue(ws...)
			return res, func() error { return storage.Wait(ch) }, nil
		}
		m.ID = awsproto.UUID()
		m.Seq = q.nextSeq(now)
		m.SequenceNumber = fmt.Sprintf("%020d", m.Seq)
		d := dedupEntry{msgID: m.ID, seqNum: m.SequenceNumber, expires: nowMS + dedupWindow.Milliseconds()}
		q.dedup[key] = d
		q.dedupLRU.PushBack(key)
		dedupKey = key
		val, _ := json.Marshal(dedupRecord{Key: key, MsgID: d.msgID, SeqNum: d.seqNum, Expires: d.expires})
		ws = append(ws, storage.Write{Bucket: dedupBucket(q.name), Key: []byte(key), Val: val})
	} else {
		m.ID = awsproto.UUID()
		m.Seq = q.nextSeq(now)
	}
	m.Sent = nowMS
	m.SenderID = s.opts.AccountID
	delay := q.cfg.delay
	if in.DelaySeconds != nil {
		delay = *in.DelaySeconds
	}
	if delay > 0 {
		m.State, m.AvailableAt = stateDelayed, nowMS+int64(delay)*1000
	}
	q.insert(m)
	ws = append(ws, m.put(q))
	if m.State == stateVisible {
		q.wake()
	} else if delay > 0 {
		q.wake() // waiters recompute when to look next
	}
	s.counters.Resource(q.arn).In.Add(1)
	res := &sendResult{MessageID: m.ID, MD5OfMessageBody: m.MD5Body, MD5OfMessageAttributes: m.MD5Attrs, SequenceNumber: m.SequenceNumber}
	if m.TraceHeader != nil {
		res.MD5OfMessageSystemAttributes = md5OfAttributes(map[string]awsmsgAttr{"AWSTraceHeader": *m.TraceHeader})
	}
	ch := s.log.Enqueue(ws...)
	sn := added(q, m)
	sn.dedupKey = dedupKey
	return res, func() error {
		return waitOrRollback(ch, []snapshot{sn}, func() { s.counters.Resource(q.arn).In.Add(-1) })
	}, nil
}

// dedupRecord is a FIFO deduplication entry as stored.
type dedupRecord struct {
	Key, MsgID, SeqNum string
	Expires            int64
}

// expireDedup forgets deduplication ids older than the window; entries
// were added in time order, so only the front of the list is looked at.
func (q *queue) expireDedup(nowMS int64, ws []storage.Write) []storage.Write {
	for e := q.dedupLRU.Front(); e != nil; e = q.dedupLRU.Front() {
		key := e.Value.(string)
		d, ok := q.dedup[key]
		if ok && d.expires > nowMS {
			break
		}
		q.dedupLRU.Remove(e)
		delete(q.dedup, key)
		ws = append(ws, storage.Write{Bucket: dedupBucket(q.name), Key: []byte(key)})
	}
	return ws
}

func (s *Service) sendMessage(_ context.Context, in *sendMessageInput) (*sendResult, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	res, commit, e := s.send(q, in, 0)
	if e != nil {
		return nil, e
	}
	if err := commit(); err != nil {
		return nil, errInternal(err)
	}
	return res, nil
}

// checkBatchIDs applies the batch rules shared by the three batch calls to
// their entries' ids.
func checkBatchIDs[E any](op string, entries []E, entryID func(E) *string) *awsproto.Error {
	if len(entries) == 0 {
		return errEmptyBatch(op)
	}
	if len(entries) > 10 {
		return errTooManyEntries(len(entries))
	}
	seen := make(map[string]bool, len(entries))
	for _, en := range entries {
		id := str(entryID(en))
		if !validBatchID(id) {
			return errInvalidBatchEntryID()
		}
		if seen[id] {
			return errBatchIDsNotDistinct(id)
		}
		seen[id] = true
	}
	return nil
}

func batchFailure(id string, e *awsproto.Error) batchErrorEntry {
	return batchErrorEntry{ID: id, SenderFault: e.Sender(), Code: e.Query(), Message: e.Message}
}

func (s *Service) sendMessageBatch(_ context.Context, in *sendMessageBatchInput) (*batchOutput[sendResult], *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	total := 0
	for _, en := range in.Entries {
		total += len(str(en.MessageBody))
		for n, a := range en.MessageAttributes {
			total += len(n) + len(a.DataType) + len(str(a.StringValue)) + len(a.BinaryValue)
		}
	}
	if e := checkBatchIDs("SendMessageBatch", in.Entries, func(en sendMessageBatchEntry) *string { return en.ID }); e != nil {
		return nil, e
	}
	if total > maxBatchBytes {
		return nil, errBatchTooLong(total, maxBatchBytes)
	}
	if q.fifo {
		// SQS refuses the whole batch, not the entry, when an entry lacks
		// the ids a FIFO queue needs.
		q.mu.Lock()
		contentDedup := q.cfg.contentDedup
		q.mu.Unlock()
		for _, en := range in.Entries {
			if en.MessageGroupID == nil {
				return nil, errMissingParameter("MessageGroupId")
			}
			if str(en.MessageDeduplicationID) == "" && !contentDedup {
				return nil, errNoDeduplicationID()
			}
		}
	}
	successful := []sendResult{}
	failed := []batchErrorEntry{}
	var commits []func() error
	for _, en := range in.Entries {
		en := en
		res, commit, e := s.send(q, &en.sendMessageInput, 0)
		if e != nil {
			if e.Code == "QueueDoesNotExist" {

				for _, commit := range commits {
					commit() //nolint:errcheck // the batch fails anyway; this rolls back what failed
				}
				return nil, e
			}
			failed = append(failed, batchFailure(str(en.ID), e))
			continue
		}
		res.ID = str(en.ID)
		successful = append(successful, *res)
		commits = append(commits, commit)
	}
	var failed1 error
	for _, commit := range commits {
		if err := commit(); err != nil && failed1 == nil {
			failed1 = err
		}
	}
	if failed1 != nil {
		return nil, errInternal(failed1)
	}
	return &batchOutput[sendResult]{Successful: successful, Failed: failed}, nil
}

// Receipt handles carry the queue, the message and the receive they came
// from: base64url("<queue>\n<message id>\n<receive nonce>").
func receiptHandle(q *queue, m *message) string {
	return base64.RawURLEncoding.EncodeToString([]byte(q.name + "\n" + m.ID + "\n" + strconv.FormatUint(m.ReceiptNonce, 10)))
}

type receipt struct {
	queue, msgID string
	nonce        uint64
}

func parseReceipt(h string) (receipt, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return receipt{}, false
	}
	parts := strings.Split(string(raw), "\n")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return receipt{}, false
	}
	n, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil {
		return receipt{}, false
	}
	return receipt{queue: parts[0], msgID: parts[1], nonce: n}, true
}

func (s *Service) receiveMessage(ctx context.Context, in *receiveMessageInput) (*receiveOutput, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	maxN := intOr(in.MaxNumberOfMessages, 1)
	if maxN < 1 || maxN > 10 {
		return nil, errInvalidParameterValue("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", maxN)
	}
	if in.VisibilityTimeout != nil && (*in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200) {
		return nil, errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.", *in.VisibilityTimeout)
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > 20) {
		return nil, errInvalidParameterValue("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *in.WaitTimeSeconds)
	}
	sysNames := append(append([]string{}, in.AttributeNames...), in.MessageSystemAttributeNames...)
	q.mu.Lock()
	wait := q.cfg.wait
	q.mu.Unlock()
	if in.WaitTimeSeconds != nil {
		wait = *in.WaitTimeSeconds
	}
	deadline := time.Now().Add(time.Duration(wait) * time.Second)
	for {
		msgs, notify, due, commit, e := s.receiveOnce(q, maxN, in.VisibilityTimeout, sysNames, in.MessageAttributeNames)
		if e != nil {
			return nil, e
		}
		if err := commit(); err != nil {
			return nil, errInternal(err)
		}
		if len(msgs) > 0 || !time.Now().Before(deadline) {
			return &receiveOutput{Messages: msgs}, nil
		}
		// Long poll: wait for a send (notify), the next delayed or
		// in-flight message to become visible (due), or the deadline.
		d := time.Until(deadline)
		if due > 0 {
			if untilDue := time.Duration(due-s.now().UnixMilli()) * time.Millisecond; untilDue < d {
				d = max(untilDue, time.Millisecond)
			}
		}
		t := time.NewTimer(d)
		select {
		case <-notify:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return &receiveOutput{Messages: []wireMessage{}}, nil
		case <-s.polls:
			t.Stop()
			return &receiveOutput{Messages: []wireMessage{}}, nil
		}
		t.Stop()
	}
}

// receiveOnce takes up to max messages. It returns them, the channel that
// signals a change, when the next pending message is due, and the commit.
func (s *Service) receiveOnce(q *queue, max int, visibility *int, sysNames, attrNames []string) ([]wireMessage, chan struct{}, int64, func() error, *awsproto.Error) {
	nowMS := s.now().UnixMilli()
	// A receive may move messages to the DLQ: it holds both queues' locks
	// while it changes them and queues their writes, so that the disk sees
	// the changes of both in memory order (see committer). The DLQ is
	// looked up before any queue lock is taken, since creating and
	// deleting queues take s.mu before a queue's lock.
	var dlq *queue
	for {
		q.mu.Lock()
		cfg := q.cfg
		q.mu.Unlock()
		dlq = nil
		if cfg.maxReceive > 0 {
			if dlq = s.queueByARN(cfg.dlqArn); dlq == q {
				dlq = nil
			}
		}
		unlock := lockQueues(q, dlq)
		if q.cfg.dlqArn == cfg.dlqArn && q.cfg.maxReceive == cfg.maxReceive {
			defer unlock()
			break
		}
		unlock() // the redrive policy changed meanwhile: look again
	}
	if q.deleted {
		return nil, nil, 0, nil, errQueueDoesNotExist()
	}
	if dlq != nil && dlq.deleted {
		dlq = nil
	}
	q.promote(nowMS)
	vis := q.cfg.visibility
	if visibility != nil {
		vis = *visibility
	}
	var (
		out     []wireMessage
		ws      []storage.Write
		snaps   []snapshot
		moved   int
		taken   = map[*group]bool{}
		retainM = int64(q.cfg.retention) * 1000
	)
	for len(out) < max {
		m := q.nextReceivable(taken)
		if m == nil {
			break
		}
		snaps = append(snaps, snap(q, m))
		if nowMS-m.Sent >= retainM {
			q.remove(m)
			ws = append(ws, m.del(q))
			continue
		}
		if dlq != nil && m.ReceiveCount >= q.cfg.maxReceive {
			q.remove(m)
			ws = append(ws, m.del(q), moveToDLQ(q, dlq, m, nowMS))
			snaps = append(snaps, snapshot{q: dlq, id: m.ID})
			moved++
			continue
		}
		m.ReceiveCount++
		if m.FirstReceive == 0 {
			m.FirstReceive = nowMS
		}
		m.ReceiptNonce++
		q.setState(m, stateInflight, nowMS+int64(vis)*1000)
		if q.fifo {
			taken[m.group] = true
		}
		ws = append(ws, m.put(q))
		out = append(out, s.wireMessage(q, m, sysNames, attrNames))
	}
	if len(out) > 0 {
		s.counters.Resource(q.arn).Out.Add(int64(len(out)))
	}
	if moved > 0 {
		s.counters.Resource(dlq.arn).In.Add(int64(moved))
		dlq.wake()
	}
	ch := s.log.Enqueue(ws...)
	outN := len(out)
	return out, q.notify, q.nextDue(), func() error {
		return waitOrRollback(ch, snaps, func() {
			s.counters.Resource(q.arn).Out.Add(-int64(outN))
			if moved > 0 {
				s.counters.Resource(dlq.arn).In.Add(-int64(moved))
			}
		})
	}, nil
}

// moveToDLQ inserts into dlq a copy of m, which the caller has removed
// from q after its last allowed receive, and returns its write; both
// queues are locked.
func moveToDLQ(q, dlq *queue, m *message, nowMS int64) storage.Write {
	moved := *m
	moved.heapIdx, moved.elem, moved.group = -1, nil, nil
	moved.Seq = dlq.nextSeq(time.UnixMilli(nowMS))
	moved.State, moved.AvailableAt = stateVisible, 0
	moved.ReceiveCount, moved.FirstReceive = 0, 0
	moved.DLQSourceArn = q.arn
	if dlq.fifo {
		moved.SequenceNumber = fmt.Sprintf("%020d", moved.Seq)
	}
	dlq.insert(&moved)
	return moved.put(dlq)
}

// lockQueues locks a and b (b may be nil or a itself) and returns the
// function that unlocks them. Whoever holds two queue locks takes them in
// ARN order, so that two receives redriving into each other's queues
// cannot deadlock.
func lockQueues(a, b *queue) (unlock func()) {
	if b == nil || b == a {
		a.mu.Lock()
		return a.mu.Unlock
	}
	first, second := a, b
	if b.arn < a.arn {
		first, second = b, a
	}
	first.mu.Lock()
	second.mu.Lock()
	return func() {
		second.mu.Unlock()
		first.mu.Unlock()
	}
}

// wireMessage renders a received message with the attributes asked for.
func (s *Service) wireMessage(q *queue, m *message, sysNames, attrNames []string) wireMessage {
	w := wireMessage{MessageID: m.ID, ReceiptHandle: receiptHandle(q, m), MD5OfBody: m.MD5Body, Body: m.Body}
	if sel := selectAttributes(m.Attrs, attrNames); len(sel) > 0 {
		w.MessageAttributes = toWire(sel)
		w.MD5OfMessageAttributes = md5OfAttributes(sel)
	}
	if len(sysNames) > 0 {
		all := map[string]string{
			"SenderId":                         m.SenderID,
			"SentTimestamp":                    strconv.FormatInt(m.Sent, 10),
			"ApproximateReceiveCount":          strconv.Itoa(m.ReceiveCount),
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.FirstReceive, 10),
		}
		if q.fifo {
			all["SequenceNumber"] = m.SequenceNumber
			all["MessageDeduplicationId"] = m.DedupID
		}
		if m.GroupID != "" {
			all["MessageGroupId"] = m.GroupID
		}
		if m.TraceHeader != nil {
			all["AWSTraceHeader"] = m.TraceHeader.StringValue
		}
		if m.DLQSourceArn != "" {
			all["DeadLetterQueueSourceArn"] = m.DLQSourceArn
		}
		w.Attributes = map[string]string{}
		for _, n := range sysNames {
			if n == "All" {
				w.Attributes = all
				break
			}
			if v, ok := all[n]; ok {
				w.Attributes[n] = v
			}
		}
	}
	return w
}

// findByReceipt resolves a receipt handle to its message, with q locked:
// nil when the message is gone, and whether the handle comes from the
// message's latest receive (a receive since makes older handles stale).
func (q *queue) findByReceipt(handle string) (m *message, latest bool, e *awsproto.Error) {
	r, ok := parseReceipt(handle)
	if !ok || r.queue != q.name {
		return nil, false, errReceiptHandleIsInvalid(handle)
	}
	m = q.msgs[r.msgID]
	return m, m != nil && m.ReceiptNonce == r.nonce, nil
}

// deleteOne deletes the message a receipt handle names, with q locked. A
// well-formed handle of a message already gone succeeds, as in SQS; so
// does a handle from an earlier receive of a message received again since,
// but it deletes nothing: SQS documents that DeleteMessage needs the most
// recent receipt handle, "otherwise, the request succeeds, but the message
// will not be deleted".
func (q *queue) deleteOne(handle string, ws []storage.Write, snaps *[]snapshot) ([]storage.Write, *awsproto.Error) {
	m, latest, e := q.findByReceipt(handle)
	if e != nil {
		return ws, e
	}
	if m == nil || !latest {
		return ws, nil
	}
	*snaps = append(*snaps, snap(q, m))
	q.remove(m)
	return append(ws, m.del(q)), nil
}

func (s *Service) deleteMessage(_ context.Context, in *deleteMessageInput) (*empty, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	if in.ReceiptHandle == nil {
		return nil, errMissingParameter("ReceiptHandle")
	}
	var snaps []snapshot
	q.mu.Lock()
	ws, e := q.deleteOne(*in.ReceiptHandle, nil, &snaps)
	ch := s.log.Enqueue(ws...)
	q.mu.Unlock()
	if e != nil {
		return nil, e
	}
	if err := waitOrRollback(ch, snaps, nil); err != nil {
		return nil, errInternal(err)
	}
	return nil, nil
}

func (s *Service) deleteMessageBatch(_ context.Context, in *deleteMessageBatchInput) (*batchOutput[idResult], *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	if e := checkBatchIDs("DeleteMessageBatch", in.Entries, func(en deleteMessageBatchEntry) *string { return en.ID }); e != nil {
		return nil, e
	}
	successful, failed := []idResult{}, []batchErrorEntry{}
	var ws []storage.Write
	var snaps []snapshot
	q.mu.Lock()
	for _, en := range in.Entries {
		var e *awsproto.Error
		ws, e = q.deleteOne(str(en.ReceiptHandle), ws, &snaps)
		if e != nil {
			failed = append(failed, batchFailure(str(en.ID), e))
			continue
		}
		successful = append(successful, idResult{ID: str(en.ID)})
	}
	ch := s.log.Enqueue(ws...)
	q.mu.Unlock()
	if err := waitOrRollback(ch, snaps, nil); err != nil {
		return nil, errInternal(err)
	}
	return &batchOutput[idResult]{Successful: successful, Failed: failed}, nil
}

// changeOne sets the visibility timeout of an in-flight message, q locked.
func (s *Service) changeOne(q *queue, handle string, timeout *int, nowMS int64, ws []storage.Write, snaps *[]snapshot) ([]storage.Write, *awsproto.Error) {
	if timeout == nil {
		return ws, errMissingParameter("VisibilityTimeout")
	}
	if *timeout < 0 || *timeout > 43200 {
		return ws, errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", *timeout)
	}
	m, latest, e := q.findByReceipt(handle)
	if e != nil {
		return ws, e
	}
	if m == nil || !latest {
		// What SQS answers for a message deleted, or received again since
		// this handle was issued: the handle no longer names an in-flight
		// receive it could extend.
		return ws, errStaleReceiptHandle(handle)
	}
	if m.State != stateInflight {
		return ws, errMessageNotInflight()
	}
	*snaps = append(*snaps, snap(q, m))
	if *timeout == 0 {
		q.setState(m, stateVisible, 0)
		q.wake()
	} else {
		q.setState(m, stateInflight, nowMS+int64(*timeout)*1000)
		q.wake() // waiters recompute when to look next
	}
	return append(ws, m.put(q)), nil
}

func (s *Service) changeVisibility(_ context.Context, in *changeVisibilityInput) (*empty, *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	if in.ReceiptHandle == nil {
		return nil, errMissingParameter("ReceiptHandle")
	}
	nowMS := s.now().UnixMilli()
	var snaps []snapshot
	q.mu.Lock()
	q.promote(nowMS)
	ws, e := s.changeOne(q, *in.ReceiptHandle, in.VisibilityTimeout, nowMS, nil, &snaps)
	ch := s.log.Enqueue(ws...)
	q.mu.Unlock()
	if e != nil {
		return nil, e
	}
	if err := waitOrRollback(ch, snaps, nil); err != nil {
		return nil, errInternal(err)
	}
	return nil, nil
}

func (s *Service) changeVisibilityBatch(_ context.Context, in *changeVisibilityBatchInput) (*batchOutput[idResult], *awsproto.Error) {
	q, e := s.queueByURL(in.QueueURL)
	if e != nil {
		return nil, e
	}
	if e := checkBatchIDs("ChangeMessageVisibilityBatch", in.Entries, func(en changeVisibilityBatchEntry) *string { return en.ID }); e != nil {
		return nil, e
	}
	successful, failed := []idResult{}, []batchErrorEntry{}
	var ws []storage.Write
	var snaps []snapshot
	nowMS := s.now().UnixMilli()
	q.mu.Lock()
	q.promote(nowMS)
	for _, en := range in.Entries {
		var e *awsproto.Error
		ws, e = s.changeOne(q, str(en.ReceiptHandle), en.VisibilityTimeout, nowMS, ws, &snaps)
		if e != nil {
			failed = append(failed, batchFailure(str(en.ID), e))
			continue
		}
		successful = append(successful, idResult{ID: str(en.ID)})
	}
	ch := s.log.Enqueue(ws...)
	q.mu.Unlock()
	if err := waitOrRollback(ch, snaps, nil); err != nil {
		return nil, errInternal(err)
	}
	return &batchOutput[idResult]{Successful: successful, Failed: failed}, nil
}
