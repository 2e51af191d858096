package dlq

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// CloudWatch is the part of the CloudWatch API a listing uses: alarm
// states, and the age of a queue's oldest message (SQS itself does not
// tell it without receiving messages, which would count as receives).
type CloudWatch interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// Unknown is what a listing says of what CloudWatch could not tell.
const Unknown = "unknown"

// Row is one DLQ in a listing.
type Row struct {
	Queue   Queue
	Sources []Source
	// State is the queue now; Err says why it could not be read.
	State QueueState
	Err   error
	// Oldest is ApproximateAgeOfOldestMessage, when CloudWatch has it.
	Oldest      time.Duration
	OldestKnown bool
	// AlarmState is the state of the alarm on the queue (OK, ALARM,
	// INSUFFICIENT_DATA), Unknown when CloudWatch could not tell, "" when
	// no alarm of the stack watches it.
	AlarmState string
	// Alarm is that alarm's name, when known.
	Alarm string
	// Task is the move task running from the queue, nil for none.
	Task *MoveTask
}

// Inspect reads every DLQ of the topology: its depth, its running move
// task, and from CloudWatch (when cw is not nil and answers) its alarm's
// state and the age of its oldest message. CloudWatch failing is no
// error: what it would tell is Unknown, and cwErr says why.
func Inspect(ctx context.Context, c SQS, cw CloudWatch, t *Topology) (rows []Row, cwErr error) {
	dlqs := t.DLQs()
	rows = make([]Row, len(dlqs))
	var wg sync.WaitGroup
	for i, q := range dlqs {
		rows[i] = Row{Queue: q, Sources: t.Sources(q.LogicalID), Alarm: q.Alarm}
		if len(t.Alarms) > 0 {
			rows[i].AlarmState = Unknown // until CloudWatch says
		}
		wg.Go(func() {
			r := &rows[i]
			r.State, r.Err = Describe(ctx, c, q.URL)
			if r.Err != nil {
				return
			}
			if ts, err := MoveTasks(ctx, c, r.State.ARN); err == nil && len(ts) > 0 && ts[0].Active() {
				r.Task = &ts[0]
			}
		})
	}
	wg.Wait()
	if cw == nil {
		return rows, nil
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := alarmStates(cctx, cw, t.Alarms, rows); err != nil {
		cwErr = err
	}
	if err := oldestAges(cctx, cw, rows); err != nil && cwErr == nil {
		cwErr = err
	}
	return rows, cwErr
}

// alarmStates matches the stack's alarms to the rows by the QueueName
// dimension they watch; a row no alarm watches gets "".
func alarmStates(ctx context.Context, cw CloudWatch, names []string, rows []Row) error {
	type found struct{ name, state string }
	byQueue := map[string]found{}
	for start := 0; start < len(names); start += 100 {
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names[start:min(start+100, len(names))]})
		if err != nil {
			return fmt.Errorf("alarm states: %w", err)
		}
		for _, a := range out.MetricAlarms {
			for _, d := range a.Dimensions {
				if aws.ToString(d.Name) == "QueueName" && aws.ToString(a.Namespace) == "AWS/SQS" {
					byQueue[aws.ToString(d.Value)] = found{aws.ToString(a.AlarmName), string(a.StateValue)}
				}
			}
		}
	}
	for i := range rows {
		name := rows[i].Queue.Name
		if rows[i].Err == nil {
			name = rows[i].State.Name
		}
		f, ok := byQueue[name]
		rows[i].Alarm, rows[i].AlarmState = f.name, f.state
		if !ok {
			rows[i].Alarm, rows[i].AlarmState = "", ""
		}
	}
	return nil
}

func oldestAges(ctx context.Context, cw CloudWatch, rows []Row) error {
	var queries []cwtypes.MetricDataQuery
	for i, r := range rows {
		if r.Err != nil {
			continue
		}
		queries = append(queries, cwtypes.MetricDataQuery{
			Id: aws.String("q" + strconv.Itoa(i)),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/SQS"), MetricName: aws.String("ApproximateAgeOfOldestMessage"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("QueueName"), Value: aws.String(r.State.Name)}}},
				Period: aws.Int32(60),
				Stat:   aws.String("Maximum"),
			},
		})
	}
	if len(queries) == 0 {
		return nil
	}
	now := time.Now()
	in := &cloudwatch.GetMetricDataInput{MetricDataQueries: queries, StartTime: aws.Time(now.Add(-15 * time.Minute)), EndTime: aws.Time(now),
		ScanBy: cwtypes.ScanByTimestampDescending}
	for {
		out, err := cw.GetMetricData(ctx, in)
		if err != nil {
			return fmt.Errorf("age of the oldest messages: %w", err)
		}
		for _, res := range out.MetricDataResults {
			i, err := strconv.Atoi(aws.ToString(res.Id)[1:])
			if err != nil || i >= len(rows) || len(res.Values) == 0 || rows[i].OldestKnown {
				continue
			}
			rows[i].Oldest, rows[i].OldestKnown = time.Duration(res.Values[0]*float64(time.Second)), true
		}
		if out.NextToken == nil {
			return nil
		}
		in.NextToken = out.NextToken
	}
}
