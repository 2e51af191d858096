package cloudwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// History item types.
const (
	historyConfiguration = "ConfigurationUpdate"
	historyState         = "StateUpdate"
	historyAction        = "Action"
)

// historyRetention is how long CloudWatch keeps alarm history: two weeks.
const historyRetention = 14 * 24 * time.Hour

// maxHistory bounds the history kept, oldest items dropped first: with
// periods scaled down an alarm may change state every few hundred
// milliseconds, and two weeks of that would not fit in memory.
const maxHistory = 10000

// historyItem is one entry of the history, persisted as it is.
type historyItem struct {
	Seq       uint64
	AlarmName string
	Timestamp time.Time
	Type      string
	Summary   string
	Data      string
}

func (h *historyItem) wire() AlarmHistoryItem {
	return AlarmHistoryItem{AlarmName: h.AlarmName, AlarmType: "MetricAlarm", Timestamp: awsproto.TimestampOf(h.Timestamp),
		HistoryItemType: h.Type, HistorySummary: h.Summary, HistoryData: h.Data}
}

// historyChange is what adding items does to the history: the items with
// their sequence numbers, and how many of the oldest items go.
type historyChange struct {
	add  []*historyItem
	drop int
}

// stageHistory numbers new items and works out the writes that add them
// and drop what falls out of retention, without changing the history:
// the caller persists the writes, then applies the change. Callers hold
// s.mu.
func (s *Service) stageHistory(now time.Time, items ...*historyItem) (historyChange, []storage.Write, error) {
	ch := historyChange{add: items}
	var ws []storage.Write
	for i, h := range items {
		h.Seq = s.seq + uint64(i) + 1
		if s.log != nil {
			v, err := json.Marshal(h)
			if err != nil {
				return ch, nil, fmt.Errorf("encode history item of %s: %w", h.AlarmName, err)
			}
			ws = append(ws, storage.Write{Bucket: bucketHistory, Key: historyKey(h.Seq), Val: v})
		}
	}
	cutoff := now.Add(-historyRetention)
	overflow := len(s.history) + len(items) - maxHistory
	for _, h := range s.history {
		if ch.drop >= overflow && !h.Timestamp.Before(cutoff) {
			break
		}
		ch.drop++
		if s.log != nil {
			ws = append(ws, storage.Write{Bucket: bucketHistory, Key: historyKey(h.Seq)})
		}
	}
	return ch, ws, nil
}

// applyHistory makes a staged change, once its writes are durable.
func (s *Service) applyHistory(ch historyChange) {
	s.history = append(s.history[ch.drop:], ch.add...)
	if n := len(ch.add); n > 0 {
		s.seq = ch.add[n-1].Seq
	}
}

func historyKey(seq uint64) []byte { return fmt.Appendf(nil, "%020d", seq) }

// stateHistory is the StateUpdate item of a transition, with CloudWatch's
// history data: both states with their reasons.
func stateHistory(name string, at time.Time, old, next stateSnapshot) *historyItem {
	data, _ := json.Marshal(map[string]any{
		"version":  "1.0",
		"oldState": old.historyData(),
		"newState": next.historyData(),
	})
	return &historyItem{AlarmName: name, Timestamp: at, Type: historyState,
		Summary: fmt.Sprintf("Alarm updated from %s to %s", old.Value, next.Value), Data: string(data)}
}

// stateSnapshot is an alarm's state at a moment.
type stateSnapshot struct {
	Value, Reason, ReasonData string
}

func (st stateSnapshot) historyData() map[string]any {
	m := map[string]any{"stateValue": st.Value, "stateReason": st.Reason}
	if st.ReasonData != "" {
		var data any
		if json.Unmarshal([]byte(st.ReasonData), &data) == nil {
			m["stateReasonData"] = data
		}
	}
	return m
}

// configHistory is the ConfigurationUpdate item of a created or updated
// alarm.
func configHistory(a *alarm, arn string, created bool) *historyItem {
	kind, verb, key := "Update", "updated", "updatedAlarm"
	if created {
		kind, verb, key = "Create", "created", "createdAlarm"
	}
	data, _ := json.Marshal(map[string]any{"version": "1.0", "type": kind, key: a.describeConfig(arn)})
	return &historyItem{AlarmName: a.Name, Timestamp: a.ConfigUpdated, Type: historyConfiguration,
		Summary: fmt.Sprintf("Alarm %q %s", a.Name, verb), Data: string(data)}
}

var (
	historyItemTypes = []string{historyConfiguration, historyState, historyAction, "AlarmContributorStateUpdate", "AlarmContributorAction"}
	alarmTypes       = []string{"CompositeAlarm", "MetricAlarm"}
	scanOrders       = []string{"TimestampDescending", "TimestampAscending"}
)

const maxHistoryRecords = 100

func (s *Service) describeAlarmHistory(_ context.Context, in *describeAlarmHistoryInput) (*describeAlarmHistoryOutput, *awsproto.Error) {
	limit := maxHistoryRecords
	if in.MaxRecords != nil {
		if *in.MaxRecords < 1 || *in.MaxRecords > maxHistoryRecords {
			return nil, errValidation("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and %d", *in.MaxRecords, maxHistoryRecords)
		}
		limit = int(*in.MaxRecords)
	}
	for _, t := range in.AlarmTypes {
		if !slices.Contains(alarmTypes, t) {
			return nil, errEnum("alarmTypes", t, alarmTypes)
		}
	}
	if in.HistoryItemType != nil && !slices.Contains(historyItemTypes, *in.HistoryItemType) {
		return nil, errEnum("historyItemType", *in.HistoryItemType, historyItemTypes)
	}
	ascending := false
	if in.ScanBy != nil {
		if !slices.Contains(scanOrders, *in.ScanBy) {
			return nil, errEnum("scanBy", *in.ScanBy, scanOrders)
		}
		ascending = *in.ScanBy == "TimestampAscending"
	}
	var after uint64
	if in.NextToken != nil && *in.NextToken != "" {
		n, err := strconv.ParseUint(*in.NextToken, 10, 64)
		if err != nil {
			return nil, errInvalidNextToken()
		}
		after = n
	}
	match := func(h *historyItem) bool {
		switch {
		case len(in.AlarmTypes) > 0 && !slices.Contains(in.AlarmTypes, "MetricAlarm"):
			return false
		case in.AlarmContributorID != nil:
			return false // metric alarms have no contributors
		case in.AlarmName != nil && h.AlarmName != *in.AlarmName:
			return false
		case in.HistoryItemType != nil && h.Type != *in.HistoryItemType:
			return false
		case in.StartDate != nil && h.Timestamp.Before(in.StartDate.Time):
			return false
		case in.EndDate != nil && h.Timestamp.After(in.EndDate.Time):
			return false
		}
		return true
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	out := &describeAlarmHistoryOutput{AlarmHistoryItems: []AlarmHistoryItem{}}
	var lastSeq uint64
	n := len(s.history)
	for i := range n {
		h := s.history[n-1-i]
		if ascending {
			h = s.history[i]
		}
		if after != 0 && (ascending && h.Seq <= after || !ascending && h.Seq >= after) {
			continue
		}
		if !match(h) {
			continue
		}
		if len(out.AlarmHistoryItems) == limit {
			// More match: the next page starts after the last item of
			// this one.
			out.NextToken = strconv.FormatUint(lastSeq, 10)
			break
		}
		out.AlarmHistoryItems = append(out.AlarmHistoryItems, h.wire())
		lastSeq = h.Seq
	}
	return out, nil
}
