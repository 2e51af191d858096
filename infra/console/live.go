package console

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/eventchain/eventchain/internal/dlq"
)

// QueueLive is a queue now, from its attributes.
type QueueLive struct {
	LogicalID string `json:"id"`
	Name      string `json:"name"`
	Visible   int    `json:"visible"`
	InFlight  int    `json:"inFlight"`
	Delayed   int    `json:"delayed"`
	// OldestSeconds is the age of its oldest message, nil when unknown.
	OldestSeconds *float64 `json:"oldestSeconds"`
	Error         string   `json:"error,omitempty"`
}

// DLQLive is a dead-letter queue now: depth, where its messages come
// from, its alarm and any move task out of it.
type DLQLive struct {
	QueueLive
	Sources []string `json:"sources"`
	Alarm   string   `json:"alarm,omitempty"`
	// AlarmState is CloudWatch's (OK, ALARM, INSUFFICIENT_DATA),
	// "unknown" when CloudWatch did not answer, "" when no alarm watches
	// the queue.
	AlarmState string `json:"alarmState"`
	Task       string `json:"task,omitempty"`
}

// Live is the chain's numbers at one instant.
type Live struct {
	At        time.Time                 `json:"at"`
	Queues    []QueueLive               `json:"queues"`
	DLQs      []DLQLive                 `json:"dlqs"`
	Functions map[string]FunctionCounts `json:"functions"`
	// CountsSince is when the function counts began, nil when the
	// console does not count (it runs apart from the functions).
	CountsSince *time.Time `json:"countsSince"`
	Notes       []string   `json:"notes"`
}

// liveCache keeps the latest Live for a short while: several tabs polling
// every second then cost one round of AWS calls a second.
type liveCache struct {
	mu   sync.Mutex
	at   time.Time
	live Live
}

const liveTTL = 800 * time.Millisecond

// errNotAsked stands for a CloudWatch call the console does not make
// (the local mode reads the ages from localcloud).
var errNotAsked = errors.New("not asked")

// alarmsOnly lets dlq.Inspect read alarm states without the metric query
// it would make for the ages, which the console reads elsewhere.
type alarmsOnly struct{ dlq.CloudWatch }

func (alarmsOnly) GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	return nil, errNotAsked
}

// readLive reads every queue of the topology, the DLQs' alarms and move
// tasks (dlq.Inspect, as `eventchain dlq list`), the ages and the counts.
func (s *Server) readLive(ctx context.Context) Live {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	if time.Since(s.live.at) < liveTTL {
		return s.live.live
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	l := Live{At: time.Now(), Queues: []QueueLive{}, DLQs: []DLQLive{}, Notes: []string{}}
	topo := s.opts.Topology

	var cw dlq.CloudWatch
	if s.opts.CloudWatch != nil {
		cw = alarmsOnly{s.opts.CloudWatch}
	}
	rows, cwErr := dlq.Inspect(ctx, s.opts.SQS, cw, topo)
	isDLQ := map[string]bool{}
	for _, r := range rows {
		isDLQ[r.Queue.LogicalID] = true
	}
	queues := make([]QueueLive, len(topo.Queues))
	var wg sync.WaitGroup
	for i, q := range topo.Queues {
		queues[i] = QueueLive{LogicalID: q.LogicalID, Name: q.Name}
		if isDLQ[q.LogicalID] {
			continue // dlq.Inspect read it
		}
		ql := &queues[i]
		wg.Go(func() {
			st, err := dlq.Describe(ctx, s.opts.SQS, q.URL)
			if err != nil {
				ql.Error = err.Error()
				return
			}
			ql.Visible, ql.InFlight, ql.Delayed = st.Visible, st.InFlight, st.Delayed
		})
	}
	wg.Wait()
	unknownAlarm := false
	for _, r := range rows {
		d := DLQLive{QueueLive: QueueLive{LogicalID: r.Queue.LogicalID, Name: r.Queue.Name, Visible: r.State.Visible, InFlight: r.State.InFlight, Delayed: r.State.Delayed},
			Sources: []string{}, Alarm: r.Alarm, AlarmState: r.AlarmState}
		if r.Err != nil {
			d.Error = r.Err.Error()
		}
		for _, src := range r.Sources {
			d.Sources = append(d.Sources, src.Describe())
		}
		if t := r.Task; t != nil {
			d.Task = fmt.Sprintf("%s %d/%d", t.Status, t.Moved, t.ToMove)
		}
		if d.AlarmState == dlq.Unknown {
			unknownAlarm = true
		}
		l.DLQs = append(l.DLQs, d)
		for i := range queues {
			if queues[i].LogicalID == d.LogicalID {
				queues[i] = d.QueueLive
			}
		}
	}
	switch {
	case s.opts.CloudWatch == nil && len(topo.Alarms) > 0:
		for i := range l.DLQs {
			l.DLQs[i].AlarmState = dlq.Unknown
		}
		l.Notes = append(l.Notes, "alarm state unknown: no CloudWatch client")
	case unknownAlarm && cwErr != nil && !errors.Is(cwErr, errNotAsked):
		l.Notes = append(l.Notes, "alarm state unknown: CloudWatch did not answer: "+cwErr.Error())
	}

	if s.opts.Ages != nil {
		names := make([]string, len(queues))
		for i, q := range queues {
			names[i] = q.Name
		}
		ages, err := s.opts.Ages.OldestAges(ctx, names)
		if err != nil {
			l.Notes = append(l.Notes, "oldest message ages unknown: "+err.Error())
		}
		for i := range queues {
			if a, ok := ages[queues[i].Name]; ok {
				sec := a.Seconds()
				queues[i].OldestSeconds = &sec
			}
		}
		for i := range l.DLQs {
			if a, ok := ages[l.DLQs[i].Name]; ok {
				sec := a.Seconds()
				l.DLQs[i].OldestSeconds = &sec
			}
		}
	}
	l.Queues = queues
	if s.opts.Counters != nil {
		counts, since := s.opts.Counters.Snapshot()
		l.Functions, l.CountsSince = counts, &since
	} else {
		l.Notes = append(l.Notes, "delivered, ok, retried and dead-lettered counts per function are local-only: the functions' record logs reach the console of `eventchain run` alone")
	}
	s.live.at, s.live.live = time.Now(), l
	return l
}
