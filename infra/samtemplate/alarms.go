package samtemplate

import "fmt"

// MetricAlarm is an AWS::CloudWatch::Alarm with everything PutMetricAlarm
// takes, for the local mode to create it: the Alarms view keeps only what
// the template rules check. Absent properties keep CloudWatch's defaults:
// ActionsEnabled true, DatapointsToAlarm equal to EvaluationPeriods
// (0 here means unset), TreatMissingData missing ("" here).
type MetricAlarm struct {
	LogicalID   string
	Name        string // physical name: AlarmName, or <stack>-<LogicalId>
	Description string

	Namespace  string
	MetricName string
	// Dimensions in template order, as PutMetricAlarm lists them.
	Dimensions        []Dimension
	Statistic         string
	ExtendedStatistic string
	Unit              string
	Period            int

	EvaluationPeriods  int
	DatapointsToAlarm  int
	Threshold          float64
	ComparisonOperator string
	TreatMissingData   string

	ActionsEnabled          bool
	AlarmActions            []string
	OKActions               []string
	InsufficientDataActions []string

	// MetricMath is set when the alarm watches a metric math expression
	// (Metrics), which the fields above do not describe.
	MetricMath bool
}

// Dimension is one name-value pair of a metric.
type Dimension struct{ Name, Value string }

// MetricAlarms reads every AWS::CloudWatch::Alarm of the resolved
// template, in template order.
func (r *Resolved) MetricAlarms() ([]MetricAlarm, error) {
	var out []MetricAlarm
	for _, res := range r.Resources {
		if res.Type != "AWS::CloudWatch::Alarm" {
			continue
		}
		a, err := buildMetricAlarm(res)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", res.Type, res.LogicalID, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func buildMetricAlarm(res ResolvedResource) (MetricAlarm, error) {
	p := res.Properties
	a := MetricAlarm{LogicalID: res.LogicalID, Name: res.Name, ActionsEnabled: true}
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"AlarmDescription", &a.Description},
		{"Namespace", &a.Namespace},
		{"MetricName", &a.MetricName},
		{"Statistic", &a.Statistic},
		{"ExtendedStatistic", &a.ExtendedStatistic},
		{"Unit", &a.Unit},
		{"ComparisonOperator", &a.ComparisonOperator},
		{"TreatMissingData", &a.TreatMissingData},
	} {
		s, err := scalarString(p[f.key])
		if err != nil {
			return a, fmt.Errorf("property %s: %w", f.key, err)
		}
		*f.dst = s
	}
	for _, f := range []struct {
		key string
		dst *int
	}{
		{"Period", &a.Period},
		{"EvaluationPeriods", &a.EvaluationPeriods},
		{"DatapointsToAlarm", &a.DatapointsToAlarm},
	} {
		n, err := intProp(p, f.key, 0)
		if err != nil {
			return a, err
		}
		*f.dst = n
	}
	if th, ok := p["Threshold"]; ok {
		f, err := toFloat(th)
		if err != nil {
			return a, fmt.Errorf("property Threshold: %w", err)
		}
		a.Threshold = f
	}
	if _, ok := p["ActionsEnabled"]; ok {
		enabled, err := boolProp(p, "ActionsEnabled")
		if err != nil {
			return a, err
		}
		a.ActionsEnabled = enabled
	}
	if p["Dimensions"] != nil {
		dims, ok := p["Dimensions"].([]any)
		if !ok {
			return a, fmt.Errorf("property Dimensions: %v is not a list", p["Dimensions"])
		}
		for i, d := range dims {
			m, ok := d.(map[string]any)
			if !ok {
				return a, fmt.Errorf("property Dimensions[%d]: %v is not a Name and a Value", i, d)
			}
			name, err := scalarString(m["Name"])
			if err != nil {
				return a, fmt.Errorf("property Dimensions[%d].Name: %w", i, err)
			}
			value, err := scalarString(m["Value"])
			if err != nil {
				return a, fmt.Errorf("property Dimensions[%d].Value: %w", i, err)
			}
			a.Dimensions = append(a.Dimensions, Dimension{Name: name, Value: value})
		}
	}
	for _, f := range []struct {
		key string
		dst *[]string
	}{
		{"AlarmActions", &a.AlarmActions},
		{"OKActions", &a.OKActions},
		{"InsufficientDataActions", &a.InsufficientDataActions},
	} {
		list, err := toStrings(p[f.key])
		if err != nil {
			return a, fmt.Errorf("property %s: %w", f.key, err)
		}
		*f.dst = list
	}
	a.MetricMath = p["Metrics"] != nil
	return a, nil
}
