package cloudwatch

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Times as CloudWatch writes them: in state reason data and notifications
// (ISO 8601 with milliseconds and a numeric zone), and in state reasons
// (day first, two-digit year).
const (
	isoMillis   = "2006-01-02T15:04:05.000-0700"
	reasonStamp = "02/01/06 15:04:05"
)

// comparisonWords says a comparison operator as state reasons do.
var comparisonWords = map[string]string{
	"GreaterThanOrEqualToThreshold": "greater than or equal to",
	"GreaterThanThreshold":          "greater than",
	"LessThanThreshold":             "less than",
	"LessThanOrEqualToThreshold":    "less than or equal to",
}

// reason writes the state reason of a verdict, and its reason data, in
// CloudWatch's words and shape.
func (s *Service) reason(a *alarm, v verdict, now time.Time) (reason, data string) {
	n, m := int(a.EvaluationPeriods), a.datapointsToAlarm()
	treatedAs := "NonBreaching"
	if a.treatMissing() == missingBreaching {
		treatedAs = "Breaching"
	}
	switch {
	case v.state == stateInsufficientData:
		unknown := n - len(v.evaluated)
		reason = fmt.Sprintf("Insufficient Data: %s %s unknown.", plural(unknown, "datapoint"), wasWere(unknown))
	case len(v.evaluated) == 0:
		reason = fmt.Sprintf("Threshold Crossed: no datapoints were received for %s and %s %s treated as [%s].",
			plural(v.filled, "period"), plural(v.filled, "missing datapoint"), wasWere(v.filled), treatedAs)
	default:
		// The datapoints that speak for the new state, most recent first.
		var speaking []datapoint
		for _, p := range slices.Backward(v.evaluated) {
			if a.breaches(p.value) == (v.state == stateAlarm) {
				speaking = append(speaking, p)
			}
		}
		words := comparisonWords[a.ComparisonOperator]
		minimum, from := m, a.StateValue
		if v.state == stateOK {
			words = "not " + words
			minimum = n - m + 1
		}
		reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] %s %s the threshold (%s) (minimum %s for %s -> %s transition).",
			len(speaking), len(v.evaluated), listDatapoints(speaking), wasWere(len(speaking)), words, javaDouble(a.Threshold),
			plural(minimum, "datapoint"), from, v.state)
		if v.filled > 0 {
			reason = strings.TrimSuffix(reason, ".") + fmt.Sprintf(" and %s %s treated as [%s].", plural(v.filled, "missing datapoint"), wasWere(v.filled), treatedAs)
		}
	}
	return reason, s.reasonData(a, v, now)
}

// reasonData is the JSON of StateReasonData: what was evaluated, when.
func (s *Service) reasonData(a *alarm, v verdict, now time.Time) string {
	type evaluated struct {
		Timestamp   string  `json:"timestamp"`
		SampleCount float64 `json:"sampleCount"`
		Value       float64 `json:"value"`
	}
	doc := struct {
		Version             string      `json:"version"`
		QueryDate           string      `json:"queryDate"`
		StartDate           string      `json:"startDate,omitempty"`
		Statistic           string      `json:"statistic,omitempty"`
		ExtendedStatistic   string      `json:"extendedStatistic,omitempty"`
		Unit                string      `json:"unit,omitempty"`
		Period              int32       `json:"period"`
		RecentDatapoints    []float64   `json:"recentDatapoints"`
		Threshold           float64     `json:"threshold"`
		EvaluatedDatapoints []evaluated `json:"evaluatedDatapoints"`
	}{
		Version: "1.0", QueryDate: now.UTC().Format(isoMillis), Statistic: a.Statistic, ExtendedStatistic: a.ExtendedStatistic,
		Unit: a.Unit, Period: a.Period, RecentDatapoints: []float64{}, Threshold: a.Threshold, EvaluatedDatapoints: []evaluated{},
	}
	if len(v.evaluated) > 0 {
		doc.StartDate = v.evaluated[0].start.Format(isoMillis)
	}
	for _, p := range v.evaluated {
		doc.RecentDatapoints = append(doc.RecentDatapoints, p.value)
	}
	for _, p := range slices.Backward(v.evaluated) {
		doc.EvaluatedDatapoints = append(doc.EvaluatedDatapoints, evaluated{Timestamp: p.start.Format(isoMillis), SampleCount: float64(p.samples), Value: p.value})
	}
	b, _ := json.Marshal(doc) // strings and numbers only
	return string(b)
}

func listDatapoints(dps []datapoint) string {
	parts := make([]string, len(dps))
	for i, p := range dps {
		parts[i] = fmt.Sprintf("%s (%s)", javaDouble(p.value), p.start.Format(reasonStamp))
	}
	return strings.Join(parts, ", ")
}

// javaDouble writes a number as CloudWatch's reasons do: always with a
// fractional part (1.0, 0.5).
func javaDouble(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eENI") { // NaN, Inf
		s += ".0"
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
