package dlq

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Record is one message in an export: one JSON object a line. Body,
// attributes, trace header and FIFO ids are what an import sends again,
// byte for byte; the rest says where and when the message was.
type Record struct {
	MessageID              string               `json:"messageId"`
	Body                   string               `json:"body"`
	Attributes             map[string]Attribute `json:"attributes,omitempty"`
	MessageGroupID         string               `json:"messageGroupId,omitempty"`
	MessageDeduplicationID string               `json:"messageDeduplicationId,omitempty"`
	TraceHeader            string               `json:"awsTraceHeader,omitempty"`
	SentTimestamp          int64                `json:"sentTimestamp,omitempty"` // ms
	DeadLetterSourceARN    string               `json:"deadLetterQueueSourceArn,omitempty"`
}

// Attribute is a message attribute; BinaryValue is base64 in JSON.
type Attribute struct {
	DataType    string  `json:"dataType"`
	StringValue *string `json:"stringValue,omitempty"`
	BinaryValue []byte  `json:"binaryValue,omitempty"`
}

// NewRecord describes m for an export.
func NewRecord(m *Message) Record {
	r := Record{MessageID: m.ID, Body: m.Body, MessageGroupID: m.GroupID, MessageDeduplicationID: m.DeduplicationID,
		TraceHeader: m.TraceHeader, DeadLetterSourceARN: m.SourceARN}
	if !m.Sent.IsZero() {
		r.SentTimestamp = m.Sent.UnixMilli()
	}
	if len(m.Attributes) > 0 {
		r.Attributes = make(map[string]Attribute, len(m.Attributes))
		for name, v := range m.Attributes {
			r.Attributes[name] = Attribute{DataType: aws.ToString(v.DataType), StringValue: v.StringValue, BinaryValue: v.BinaryValue}
		}
	}
	return r
}

// Export writes every visible message of a queue to w, one Record a line,
// deleting none (it reads as Scan does).
func Export(ctx context.Context, c SQS, url string, w io.Writer, opts ScanOptions) (ScanStats, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	// Bodies are data, not HTML: keep <, > and & as they are.
	enc.SetEscapeHTML(false)
	stats, err := Scan(ctx, c, url, opts, func(m *Message) error {
		if err := enc.Encode(NewRecord(m)); err != nil {
			return fmt.Errorf("write message %s: %w", m.ID, err)
		}
		return nil
	})
	if ferr := bw.Flush(); ferr != nil {
		err = errors.Join(err, fmt.Errorf("write export: %w", ferr))
	}
	return stats, err
}

// ImportResult says what an import sent.
type ImportResult struct {
	// Sent counts the records the target accepted. Lines is how many
	// lines were read; when the import fails, the records of the lines
	// after Sent's were not sent (a batch is sent whole or reported).
	Sent, Lines int
	// DroppedFIFOIDs counts records whose group and deduplication ids a
	// standard target cannot take.
	DroppedFIFOIDs int
}

// maxBatchBytes is what one SendMessageBatch may carry in all (SQS's
// message size limit, which also bounds a batch).
const maxBatchBytes = 256 << 10

// maxLineBytes bounds one line of an export: a 256 KiB message escaped in
// JSON, with its attributes in base64, stays well below.
const maxLineBytes = 8 << 20

// Import sends the Records read from r to the queue target, ten to a
// batch, in the order of the lines. A FIFO target gets each record's group
// and deduplication ids as they were, so SQS drops a record whose
// deduplication id it has seen in the last five minutes (an import
// repeated within that window enqueues nothing twice); a standard target
// gets neither (DroppedFIFOIDs). progress, when set, sees the running
// count of records sent.
func Import(ctx context.Context, c SQS, target QueueState, r io.Reader, progress func(sent int)) (ImportResult, error) {
	var res ImportResult
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	var (
		batch []sqstypes.SendMessageBatchRequestEntry
		lines []int
		size  int
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(target.URL), Entries: batch})
		if err != nil {
			return fmt.Errorf("send lines %d to %d to %s: %w", lines[0], lines[len(lines)-1], target.Name, err)
		}
		if len(out.Failed) > 0 {
			f := out.Failed[0]
			i, _ := strconv.Atoi(aws.ToString(f.Id))
			res.Sent += len(out.Successful)
			return fmt.Errorf("line %d refused by %s: %s: %s (%d of the batch of lines %d to %d sent)",
				lines[i], target.Name, aws.ToString(f.Code), aws.ToString(f.Message), len(out.Successful), lines[0], lines[len(lines)-1])
		}
		res.Sent += len(batch)
		if progress != nil {
			progress(res.Sent)
		}
		batch, lines, size = batch[:0], lines[:0], 0
		return nil
	}
	for sc.Scan() {
		res.Lines++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var rec Record
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return res, fmt.Errorf("line %d: %w", res.Lines, err)
		}
		entry, n, dropped, err := importEntry(target, rec, len(batch))
		if err != nil {
			return res, fmt.Errorf("line %d: %w", res.Lines, err)
		}
		if dropped {
			res.DroppedFIFOIDs++
		}
		if len(batch) == 10 || (len(batch) > 0 && size+n > maxBatchBytes) {
			if err := flush(); err != nil {
				return res, err
			}
			entry.Id = aws.String("0")
		}
		batch, lines, size = append(batch, entry), append(lines, res.Lines), size+n
		if ctx.Err() != nil {
			return res, fmt.Errorf("import into %s: %w: %w", target.Name, ErrInterrupted, ctx.Err())
		}
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("read line %d: %w", res.Lines+1, err)
	}
	return res, flush()
}

// importEntry is the batch entry of a record and its size in bytes.
func importEntry(target QueueState, rec Record, index int) (sqstypes.SendMessageBatchRequestEntry, int, bool, error) {
	e := sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(index)), MessageBody: aws.String(rec.Body)}
	size := len(rec.Body)
	if len(rec.Attributes) > 0 {
		e.MessageAttributes = make(map[string]sqstypes.MessageAttributeValue, len(rec.Attributes))
		for name, a := range rec.Attributes {
			if a.DataType == "" {
				return e, 0, false, fmt.Errorf("attribute %s has no dataType", name)
			}
			e.MessageAttributes[name] = sqstypes.MessageAttributeValue{DataType: aws.String(a.DataType), StringValue: a.StringValue, BinaryValue: a.BinaryValue}
			size += len(name) + len(a.DataType) + len(aws.ToString(a.StringValue)) + len(a.BinaryValue)
		}
	}
	if rec.TraceHeader != "" {
		e.MessageSystemAttributes = map[string]sqstypes.MessageSystemAttributeValue{
			string(sqstypes.MessageSystemAttributeNameForSendsAWSTraceHeader): {DataType: aws.String("String"), StringValue: aws.String(rec.TraceHeader)},
		}
	}
	dropped := false
	switch {
	case target.FIFO:
		if rec.MessageGroupID == "" {
			return e, 0, false, fmt.Errorf("message %s has no messageGroupId, which FIFO queue %s needs", rec.MessageID, target.Name)
		}
		e.MessageGroupId = aws.String(rec.MessageGroupID)
		if rec.MessageDeduplicationID != "" {
			e.MessageDeduplicationId = aws.String(rec.MessageDeduplicationID)
		}
	case rec.MessageGroupID != "" || rec.MessageDeduplicationID != "":
		dropped = true
	}
	return e, size, dropped, nil
}

// DedupWindow is how long a FIFO queue remembers deduplication ids.
const DedupWindow = 5 * time.Minute
