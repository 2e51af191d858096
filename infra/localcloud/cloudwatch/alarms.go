package cloudwatch

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// putMetricAlarm creates an alarm, or replaces the configuration of one:
// as in CloudWatch, an update keeps the alarm's state and tags (the Tags
// of an update are ignored), and the next evaluation judges the new
// configuration. A new alarm starts in INSUFFICIENT_DATA.
func (s *Service) putMetricAlarm(_ context.Context, in *putMetricAlarmInput) (*empty, *awsproto.Error) {
	a, e := alarmFromInput(in)
	if e != nil {
		return nil, e
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a.ConfigUpdated = now
	old := s.alarms[a.Name]
	if old == nil {
		a.StateValue, a.StateReason = stateInsufficientData, initialReason
		a.StateUpdated, a.StateTransitioned = now, now
	} else {
		a.StateValue, a.StateReason, a.StateReasonData = old.StateValue, old.StateReason, old.StateReasonData
		a.StateUpdated, a.StateTransitioned = old.StateUpdated, old.StateTransitioned
		a.Tags = maps.Clone(old.Tags)
	}
	ch, ws, err := s.stageHistory(now, configHistory(a, s.alarmARN(a.Name), old == nil))
	if err != nil {
		return nil, errInternal(err)
	}
	if err := s.persist([]*alarm{a}, nil, ws); err != nil {
		return nil, errInternal(err)
	}
	s.alarms[a.Name] = a
	s.applyHistory(ch)
	if old == nil || !old.sameMetric(a) {
		s.evals[a.Name] = s.newEvaluation(a, now)
	}
	poke(s.wake)
	return nil, nil
}

// maxAlarmRecords bounds a DescribeAlarms page; 50 is the default.
const (
	maxAlarmRecords     = 100
	defaultAlarmRecords = 50
	maxAlarmNames       = 100
)

func (s *Service) describeAlarms(_ context.Context, in *describeAlarmsInput) (*describeAlarmsOutput, *awsproto.Error) {
	limit := defaultAlarmRecords
	if in.MaxRecords != nil {
		if *in.MaxRecords < 1 || *in.MaxRecords > maxAlarmRecords {
			return nil, errValidation("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and %d", *in.MaxRecords, maxAlarmRecords)
		}
		limit = int(*in.MaxRecords)
	}
	if len(in.AlarmNames) > maxAlarmNames {
		return nil, errLength("alarmNames", maxAlarmNames)
	}
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != nil {
		return nil, errInvalidParameterCombination("AlarmNames and AlarmNamePrefix cannot be specified together.")
	}
	if in.StateValue != nil && !slices.Contains(alarmStates, *in.StateValue) {
		return nil, errEnum("stateValue", *in.StateValue, alarmStates)
	}
	for _, t := range in.AlarmTypes {
		if !slices.Contains(alarmTypes, t) {
			return nil, errEnum("alarmTypes", t, alarmTypes)
		}
	}
	out := &describeAlarmsOutput{MetricAlarms: []MetricAlarm{}, CompositeAlarms: []any{}}
	// Only metric alarms exist here: a request for composite alarms, or
	// for the relations of one, finds nothing.
	if len(in.AlarmTypes) > 0 && !slices.Contains(in.AlarmTypes, "MetricAlarm") || in.ChildrenOfAlarmName != nil || in.ParentsOfAlarmName != nil {
		return out, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	names := slices.Sorted(maps.Keys(s.alarms))
	// The token is the name the last page ended with, opaque to
	// clients; the next page goes on after it even if that alarm was
	// deleted since.
	after := ""
	if in.NextToken != nil && *in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || len(b) == 0 {
			return nil, errInvalidNextToken()
		}
		after = string(b)
	}
	for _, name := range names {
		if after != "" && name <= after {
			continue
		}
		a := s.alarms[name]
		switch {
		case len(in.AlarmNames) > 0 && !slices.Contains(in.AlarmNames, name):
			continue
		case in.AlarmNamePrefix != nil && !strings.HasPrefix(name, *in.AlarmNamePrefix):
			continue
		case in.StateValue != nil && a.StateValue != *in.StateValue:
			continue
		case in.ActionPrefix != nil && !hasActionPrefix(a, *in.ActionPrefix):
			continue
		}
		if len(out.MetricAlarms) == limit {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(out.MetricAlarms[limit-1].AlarmName))
			break
		}
		out.MetricAlarms = append(out.MetricAlarms, a.wire(s.alarmARN(name)))
	}
	return out, nil
}

func hasActionPrefix(a *alarm, prefix string) bool {
	for _, list := range [][]string{a.OKActions, a.AlarmActions, a.InsufficientDataActions} {
		if slices.ContainsFunc(list, func(act string) bool { return strings.HasPrefix(act, prefix) }) {
			return true
		}
	}
	return false
}

func (s *Service) describeAlarmsForMetric(_ context.Context, in *describeAlarmsForMetricInput) (*describeAlarmsForMetricOutput, *awsproto.Error) {
	if in.MetricName == nil {
		return nil, errNull("metricName")
	}
	if in.Namespace == nil {
		return nil, errNull("namespace")
	}
	if in.Statistic != nil && !slices.Contains(statistics, *in.Statistic) {
		return nil, errEnum("statistic", *in.Statistic, statistics)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &describeAlarmsForMetricOutput{MetricAlarms: []MetricAlarm{}}
	for _, name := range slices.Sorted(maps.Keys(s.alarms)) {
		a := s.alarms[name]
		switch {
		case a.MetricName != *in.MetricName || a.Namespace != *in.Namespace:
			continue
		case in.Statistic != nil && a.Statistic != *in.Statistic:
			continue
		case in.ExtendedStatistic != nil && a.ExtendedStatistic != *in.ExtendedStatistic:
			continue
		case in.Period != nil && a.Period != *in.Period:
			continue
		case in.Unit != nil && a.Unit != *in.Unit:
			continue
		case len(in.Dimensions) > 0 && !sameDimensions(a.Dimensions, in.Dimensions):
			continue
		}
		out.MetricAlarms = append(out.MetricAlarms, a.wire(s.alarmARN(name)))
	}
	return out, nil
}

// sameDimensions compares dimension sets, in any order.
func sameDimensions(a, b []Dimension) bool {
	if len(a) != len(b) {
		return false
	}
	for _, d := range b {
		if !slices.Contains(a, d) {
			return false
		}
	}
	return true
}

// deleteAlarms deletes the named alarms; names of alarms that do not
// exist are passed over, as CloudWatch does. Their history stays until it
// ages out.
func (s *Service) deleteAlarms(_ context.Context, in *alarmNamesInput) (*empty, *awsproto.Error) {
	if len(in.AlarmNames) > maxAlarmNames {
		return nil, errLength("alarmNames", maxAlarmNames)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var del []string
	for _, name := range in.AlarmNames {
		if _, ok := s.alarms[name]; ok && !slices.Contains(del, name) {
			del = append(del, name)
		}
	}
	if err := s.persist(nil, del, nil); err != nil {
		return nil, errInternal(err)
	}
	for _, name := range del {
		delete(s.alarms, name)
		delete(s.evals, name)
	}
	return nil, nil
}

// setAlarmState sets an alarm's state until its next evaluation says
// otherwise, running the new state's actions, as CloudWatch does to let
// actions be tested. Setting the state it already has changes only its
// reason.
func (s *Service) setAlarmState(_ context.Context, in *setAlarmStateInput) (*empty, *awsproto.Error) {
	switch {
	case in.AlarmName == nil:
		return nil, errNull("alarmName")
	case in.StateValue == nil:
		return nil, errNull("stateValue")
	case in.StateReason == nil:
		return nil, errNull("stateReason")
	case !slices.Contains(alarmStates, *in.StateValue):
		return nil, errEnum("stateValue", *in.StateValue, alarmStates)
	case len(*in.StateReason) > 1023:
		return nil, errLength("stateReason", 1023)
	}
	reasonData := ""
	if in.StateReasonData != nil && *in.StateReasonData != "" {
		if len(*in.StateReasonData) > 4000 {
			return nil, errLength("stateReasonData", 4000)
		}
		if !json.Valid([]byte(*in.StateReasonData)) {
			return nil, errInvalidFormat("StateReasonData is not valid JSON.")
		}
		reasonData = *in.StateReasonData
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.alarms[*in.AlarmName]
	if a == nil {
		return nil, errAlarmNotFound(*in.AlarmName)
	}
	if a.StateValue != *in.StateValue {
		if err := s.changeState(a, *in.StateValue, *in.StateReason, reasonData, now); err != nil {
			return nil, errInternal(err)
		}
		return nil, nil
	}
	next := a.clone()
	next.StateReason, next.StateReasonData, next.StateUpdated = *in.StateReason, reasonData, now
	if err := s.persist([]*alarm{next}, nil, nil); err != nil {
		return nil, errInternal(err)
	}
	s.alarms[a.Name] = next
	return nil, nil
}

func (s *Service) enableAlarmActions(_ context.Context, in *alarmNamesInput) (*empty, *awsproto.Error) {
	return s.setActionsEnabled(in.AlarmNames, true)
}

func (s *Service) disableAlarmActions(_ context.Context, in *alarmNamesInput) (*empty, *awsproto.Error) {
	return s.setActionsEnabled(in.AlarmNames, false)
}

// setActionsEnabled turns the actions of the named alarms on or off;
// names of alarms that do not exist are passed over.
func (s *Service) setActionsEnabled(names []string, enabled bool) (*empty, *awsproto.Error) {
	if len(names) > maxAlarmNames {
		return nil, errLength("alarmNames", maxAlarmNames)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var put []*alarm
	for _, name := range names {
		if a := s.alarms[name]; a != nil && a.ActionsEnabled != enabled {
			next := a.clone()
			next.ActionsEnabled = enabled
			put = append(put, next)
		}
	}
	if err := s.persist(put, nil, nil); err != nil {
		return nil, errInternal(err)
	}
	for _, a := range put {
		s.alarms[a.Name] = a
	}
	return nil, nil
}
