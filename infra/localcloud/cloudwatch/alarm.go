package cloudwatch

import (
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// Alarm states.
const (
	stateOK               = "OK"
	stateAlarm            = "ALARM"
	stateInsufficientData = "INSUFFICIENT_DATA"
)

// Missing-data treatments; "" is missing, CloudWatch's default.
const (
	missingMissing      = "missing"
	missingIgnore       = "ignore"
	missingBreaching    = "breaching"
	missingNotBreaching = "notBreaching"
)

// initialReason is the state reason of an alarm CloudWatch has not
// evaluated yet.
const initialReason = "Unchecked: Initial alarm creation"

// alarm is one metric alarm: configuration, state and tags; its exported
// fields are persisted. An alarm in Service.alarms is never changed in
// place: a change builds a copy, writes it, and only then replaces the
// old one, so a failed write leaves memory as it was.
type alarm struct {
	Name                             string
	Description                      *string `json:",omitempty"`
	ActionsEnabled                   bool
	OKActions                        []string    `json:",omitempty"`
	AlarmActions                     []string    `json:",omitempty"`
	InsufficientDataActions          []string    `json:",omitempty"`
	Namespace                        string      `json:",omitempty"`
	MetricName                       string      `json:",omitempty"`
	Dimensions                       []Dimension `json:",omitempty"`
	Statistic                        string      `json:",omitempty"`
	ExtendedStatistic                string      `json:",omitempty"`
	Unit                             string      `json:",omitempty"`
	Period                           int32
	EvaluationPeriods                int32
	DatapointsToAlarm                int32 `json:",omitempty"` // 0: EvaluationPeriods
	Threshold                        float64
	ComparisonOperator               string
	TreatMissingData                 string            `json:",omitempty"`
	EvaluateLowSampleCountPercentile string            `json:",omitempty"`
	Tags                             map[string]string `json:",omitempty"`
	ConfigUpdated                    time.Time

	StateValue        string
	StateReason       string
	StateReasonData   string `json:",omitempty"`
	StateUpdated      time.Time
	StateTransitioned time.Time
}

// clone returns a copy to change: the lists are replaced, never changed
// in place, so sharing them is safe; the tag map is not shared.
func (a *alarm) clone() *alarm {
	cp := *a
	cp.Tags = maps.Clone(a.Tags)
	return &cp
}

// datapointsToAlarm is M of "M out of N".
func (a *alarm) datapointsToAlarm() int {
	if a.DatapointsToAlarm > 0 {
		return int(a.DatapointsToAlarm)
	}
	return int(a.EvaluationPeriods)
}

// treatMissing is the alarm's missing-data treatment, defaulted.
func (a *alarm) treatMissing() string {
	if a.TreatMissingData == "" {
		return missingMissing
	}
	return a.TreatMissingData
}

// statistic names what the alarm computes per period: Statistic or the
// percentile of ExtendedStatistic.
func (a *alarm) statistic() string {
	if a.ExtendedStatistic != "" {
		return a.ExtendedStatistic
	}
	return a.Statistic
}

// breaches tells whether a datapoint is on the wrong side of the
// threshold.
func (a *alarm) breaches(v float64) bool {
	switch a.ComparisonOperator {
	case "GreaterThanOrEqualToThreshold":
		return v >= a.Threshold
	case "GreaterThanThreshold":
		return v > a.Threshold
	case "LessThanThreshold":
		return v < a.Threshold
	case "LessThanOrEqualToThreshold":
		return v <= a.Threshold
	}
	return false
}

// actions returns the actions of a state.
func (a *alarm) actions(state string) []string {
	switch state {
	case stateOK:
		return a.OKActions
	case stateAlarm:
		return a.AlarmActions
	case stateInsufficientData:
		return a.InsufficientDataActions
	}
	return nil
}

// sameMetric reports whether two alarms watch the same data, so that a
// changed configuration starts its datapoints afresh only when it must.
func (a *alarm) sameMetric(b *alarm) bool {
	return a.Namespace == b.Namespace && a.MetricName == b.MetricName && slices.Equal(a.Dimensions, b.Dimensions) &&
		a.statistic() == b.statistic() && a.Unit == b.Unit && a.Period == b.Period
}

// wire is the alarm as DescribeAlarms answers it.
func (a *alarm) wire(arn string) MetricAlarm {
	m := MetricAlarm{
		AlarmName:                          a.Name,
		AlarmArn:                           arn,
		AlarmDescription:                   a.Description,
		AlarmConfigurationUpdatedTimestamp: awsproto.TimestampOf(a.ConfigUpdated),
		ActionsEnabled:                     a.ActionsEnabled,
		OKActions:                          orEmpty(a.OKActions),
		AlarmActions:                       orEmpty(a.AlarmActions),
		InsufficientDataActions:            orEmpty(a.InsufficientDataActions),
		StateValue:                         a.StateValue,
		StateReason:                        a.StateReason,
		StateReasonData:                    a.StateReasonData,
		StateUpdatedTimestamp:              awsproto.TimestampOf(a.StateUpdated),
		StateTransitionedTimestamp:         awsproto.TimestampOf(a.StateTransitioned),
		MetricName:                         a.MetricName,
		Namespace:                          a.Namespace,
		Statistic:                          a.Statistic,
		ExtendedStatistic:                  a.ExtendedStatistic,
		Dimensions:                         orEmpty(a.Dimensions),
		Period:                             a.Period,
		Unit:                               a.Unit,
		EvaluationPeriods:                  a.EvaluationPeriods,
		Threshold:                          a.Threshold,
		ComparisonOperator:                 a.ComparisonOperator,
		TreatMissingData:                   a.TreatMissingData,
		EvaluateLowSampleCountPercentile:   a.EvaluateLowSampleCountPercentile,
	}
	if a.DatapointsToAlarm > 0 {
		m.DatapointsToAlarm = &a.DatapointsToAlarm
	}
	return m
}

// orEmpty answers an absent list as an empty one, as CloudWatch does.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Limits and enumerations of the model.
const (
	maxNameLength        = 255
	maxDescriptionLength = 1024
	maxActions           = 5
	maxActionLength      = 1024
	maxDimensions        = 30
	maxDimensionValue    = 1024
	maxTags              = 50
)

var (
	statistics          = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
	staticComparisons   = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"}
	anomalyComparisons  = []string{"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}
	missingTreatments   = []string{missingBreaching, missingNotBreaching, missingIgnore, missingMissing}
	lowSampleTreatments = []string{"evaluate", "ignore"}
	alarmStates         = []string{stateOK, stateAlarm, stateInsufficientData}
	units               = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
		"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
		"Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
		"Gigabits/Second", "Terabits/Second", "Count/Second", "None"}
	// percentileRE is the one extended statistic evaluated here: pNN or
	// pNN.NN, 0 to 100.
	percentileRE = regexp.MustCompile(`^p(100(\.0+)?|\d{1,2}(\.\d{1,10})?)$`)
	arnRE        = regexp.MustCompile(`^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:\d*:.+$`)
)

// errNull is the model's answer to a required member left out.
func errNull(member string) *awsproto.Error {
	return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

// errEnum is the model's answer to a value outside an enumeration.
func errEnum(member, value string, allowed []string) *awsproto.Error {
	return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
		value, member, strings.Join(allowed, ", "))
}

func errLength(member string, limit int) *awsproto.Error {
	return errValidation("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", member, limit)
}

// alarmFromInput checks a PutMetricAlarm request and builds the alarm's
// configuration from it.
func alarmFromInput(in *putMetricAlarmInput) (*alarm, *awsproto.Error) {
	switch {
	case len(in.Metrics) > 0:
		return nil, errNotEmulated("metric math alarms (Metrics)")
	case in.ThresholdMetricID != nil:
		return nil, errNotEmulated("anomaly detection alarms (ThresholdMetricId)")
	case in.EvaluationCriteria != nil:
		return nil, errNotEmulated("EvaluationCriteria")
	case in.EvaluationInterval != nil:
		return nil, errNotEmulated("EvaluationInterval")
	case in.EvaluationWindow != nil:
		return nil, errNotEmulated("EvaluationWindow")
	case in.WarmUpConfiguration != nil:
		return nil, errNotEmulated("WarmUpConfiguration")
	case in.ActionConfiguration != nil:
		return nil, errNotEmulated("ActionConfiguration")
	}
	a := &alarm{ActionsEnabled: true}
	if in.AlarmName == nil {
		return nil, errNull("alarmName")
	}
	if a.Name = *in.AlarmName; a.Name == "" || len(a.Name) > maxNameLength {
		return nil, errValidation("1 validation error detected: Value '%s' at 'alarmName' failed to satisfy constraint: Member must have length between 1 and %d", a.Name, maxNameLength)
	}
	if in.AlarmDescription != nil {
		if len(*in.AlarmDescription) > maxDescriptionLength {
			return nil, errLength("alarmDescription", maxDescriptionLength)
		}
		d := *in.AlarmDescription
		a.Description = &d
	}
	if in.ActionsEnabled != nil {
		a.ActionsEnabled = *in.ActionsEnabled
	}
	for _, l := range []struct {
		member string
		in     []string
		dst    *[]string
	}{
		{"oKActions", in.OKActions, &a.OKActions},
		{"alarmActions", in.AlarmActions, &a.AlarmActions},
		{"insufficientDataActions", in.InsufficientDataActions, &a.InsufficientDataActions},
	} {
		if len(l.in) > maxActions {
			return nil, errLength(l.member, maxActions)
		}
		for _, act := range l.in {
			if len(act) > maxActionLength || !arnRE.MatchString(act) {
				return nil, errValidation("Invalid arn syntax: %s", act)
			}
		}
		*l.dst = slices.Clone(l.in)
	}

	if in.Namespace == nil || *in.Namespace == "" {
		return nil, errMissingParameter("Namespace")
	}
	if in.MetricName == nil || *in.MetricName == "" {
		return nil, errMissingParameter("MetricName")
	}
	a.Namespace, a.MetricName = *in.Namespace, *in.MetricName
	if len(a.Namespace) > maxNameLength || len(a.MetricName) > maxNameLength {
		return nil, errLength("metricName", maxNameLength)
	}
	if len(in.Dimensions) > maxDimensions {
		return nil, errLength("dimensions", maxDimensions)
	}
	for _, d := range in.Dimensions {
		if d.Name == "" || len(d.Name) > maxNameLength || d.Value == "" || len(d.Value) > maxDimensionValue {
			return nil, errInvalidParameterValue("The dimension %q=%q is not valid: a name of 1 to %d characters and a value of 1 to %d.", d.Name, d.Value, maxNameLength, maxDimensionValue)
		}
	}
	a.Dimensions = slices.Clone(in.Dimensions)

	switch {
	case (in.Statistic == nil) == (in.ExtendedStatistic == nil):
		return nil, errInvalidParameterCombination("Exactly one element of the Statistic and ExtendedStatistic parameters must be specified.")
	case in.Statistic != nil:
		if !slices.Contains(statistics, *in.Statistic) {
			return nil, errEnum("statistic", *in.Statistic, statistics)
		}
		a.Statistic = *in.Statistic
	default:
		if !percentileRE.MatchString(*in.ExtendedStatistic) {
			return nil, errInvalidParameterValue("The value %s for parameter ExtendedStatistic is not supported: localcloud evaluates percentiles (p0 to p100).", *in.ExtendedStatistic)
		}
		a.ExtendedStatistic = *in.ExtendedStatistic
	}
	if in.Unit != nil {
		if !slices.Contains(units, *in.Unit) {
			return nil, errEnum("unit", *in.Unit, units)
		}
		a.Unit = *in.Unit
	}

	if in.Period == nil {
		return nil, errMissingParameter("Period")
	}
	a.Period = *in.Period
	if p := a.Period; p != 10 && p != 20 && p != 30 && (p < 60 || p%60 != 0) {
		return nil, errValidation("Period must be 10, 20, 30 or a multiple of 60, not %d.", p)
	}
	if in.EvaluationPeriods == nil {
		return nil, errNull("evaluationPeriods")
	}
	if a.EvaluationPeriods = *in.EvaluationPeriods; a.EvaluationPeriods < 1 {
		return nil, errValidation("1 validation error detected: Value '%d' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1", a.EvaluationPeriods)
	}
	if in.DatapointsToAlarm != nil {
		if a.DatapointsToAlarm = *in.DatapointsToAlarm; a.DatapointsToAlarm < 1 {
			return nil, errValidation("1 validation error detected: Value '%d' at 'datapointsToAlarm' failed to satisfy constraint: Member must have value greater than or equal to 1", a.DatapointsToAlarm)
		}
		if a.DatapointsToAlarm > a.EvaluationPeriods {
			return nil, errValidation("DatapointsToAlarm (%d) must be less than or equal to EvaluationPeriods (%d).", a.DatapointsToAlarm, a.EvaluationPeriods)
		}
	}
	// CloudWatch evaluates at most a day of data, a week for periods of
	// an hour or more.
	limit := int64(24 * 3600)
	if a.Period >= 3600 {
		limit = 7 * 24 * 3600
	}
	if int64(a.Period)*int64(a.EvaluationPeriods) > limit {
		return nil, errValidation("The evaluation period (Period × EvaluationPeriods) of %d seconds exceeds %d seconds.", int64(a.Period)*int64(a.EvaluationPeriods), limit)
	}

	if in.ComparisonOperator == nil {
		return nil, errNull("comparisonOperator")
	}
	switch op := *in.ComparisonOperator; {
	case slices.Contains(anomalyComparisons, op):
		return nil, errNotEmulated("anomaly detection thresholds (ComparisonOperator " + op + ")")
	case !slices.Contains(staticComparisons, op):
		return nil, errEnum("comparisonOperator", op, append(slices.Clone(staticComparisons), anomalyComparisons...))
	default:
		a.ComparisonOperator = op
	}
	if in.Threshold == nil {
		return nil, errMissingParameter("Threshold")
	}
	if a.Threshold = *in.Threshold; math.IsNaN(a.Threshold) || math.IsInf(a.Threshold, 0) {
		return nil, errInvalidParameterValue("The threshold %v is not a number.", a.Threshold)
	}
	if in.TreatMissingData != nil {
		if !slices.Contains(missingTreatments, *in.TreatMissingData) {
			return nil, errEnum("treatMissingData", *in.TreatMissingData, missingTreatments)
		}
		a.TreatMissingData = *in.TreatMissingData
	}
	if in.EvaluateLowSampleCountPercentile != nil && *in.EvaluateLowSampleCountPercentile != "" {
		if !slices.Contains(lowSampleTreatments, *in.EvaluateLowSampleCountPercentile) {
			return nil, errValidation("Option %s is not supported. Supported options for parameter EvaluateLowSampleCountPercentile are evaluate and ignore.", *in.EvaluateLowSampleCountPercentile)
		}
		a.EvaluateLowSampleCountPercentile = *in.EvaluateLowSampleCountPercentile
	}
	if len(in.Tags) > 0 {
		if e := validateTags(in.Tags); e != nil {
			return nil, e
		}
		a.Tags = map[string]string{}
		for _, t := range in.Tags {
			a.Tags[t.Key] = t.Value
		}
	}
	return a, nil
}

// validateTags applies CloudWatch's tag rules.
func validateTags(tags []Tag) *awsproto.Error {
	if len(tags) > maxTags {
		return errInvalidParameterValue("The number of tags (%d) exceeds the limit of %d.", len(tags), maxTags)
	}
	for _, t := range tags {
		switch {
		case t.Key == "" || len(t.Key) > 128:
			return errInvalidParameterValue("Tag key %q must be 1 to 128 characters long.", t.Key)
		case len(t.Value) > 256:
			return errInvalidParameterValue("The value of tag %q must be at most 256 characters long.", t.Key)
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return errInvalidParameterValue("Tag keys starting with aws: are reserved: %s", t.Key)
		}
	}
	return nil
}

// describeConfig is the configuration part of an alarm for history data.
func (a *alarm) describeConfig(arn string) map[string]any {
	m := map[string]any{
		"alarmName":               a.Name,
		"alarmArn":                arn,
		"actionsEnabled":          a.ActionsEnabled,
		"namespace":               a.Namespace,
		"metricName":              a.MetricName,
		"period":                  a.Period,
		"evaluationPeriods":       a.EvaluationPeriods,
		"threshold":               a.Threshold,
		"comparisonOperator":      a.ComparisonOperator,
		"treatMissingData":        a.treatMissing(),
		"okactions":               orEmpty(a.OKActions),
		"alarmActions":            orEmpty(a.AlarmActions),
		"insufficientDataActions": orEmpty(a.InsufficientDataActions),
	}
	dims := make([]map[string]string, 0, len(a.Dimensions))
	for _, d := range a.Dimensions {
		dims = append(dims, map[string]string{"name": d.Name, "value": d.Value})
	}
	m["dimensions"] = dims
	if a.Description != nil {
		m["alarmDescription"] = *a.Description
	}
	if a.ExtendedStatistic != "" {
		m["extendedStatistic"] = a.ExtendedStatistic
	} else {
		m["statistic"] = strings.ToUpper(a.Statistic)
	}
	if a.DatapointsToAlarm > 0 {
		m["datapointsToAlarm"] = a.DatapointsToAlarm
	}
	if a.Unit != "" {
		m["unit"] = a.Unit
	}
	return m
}
