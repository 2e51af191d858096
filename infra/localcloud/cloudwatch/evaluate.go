package cloudwatch

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// samplesPerPeriod is how many times a period's metric is read: a
// datapoint's statistic (Maximum, Average…) is over these samples, as
// CloudWatch's is over what the service reported within the period.
const samplesPerPeriod = 5

// idleWait is how long the evaluation sleeps with no alarm to sample; a
// new alarm wakes it at once.
const idleWait = time.Minute

// evaluation is the live side of an alarm: the samples of the period in
// progress and the datapoints of the periods before it. It is not
// persisted: after a restart, datapoints come from the live metrics
// again, and the alarm keeps its state until they say otherwise.
type evaluation struct {
	period  time.Duration // the alarm's period, scaled
	every   time.Duration // between samples
	index   int64         // the period in progress: the clock's time / period
	samples []float64     // of the period in progress
	points  []datapoint   // oldest first, at most evaluationRange of them
	next    time.Time     // when to sample next
}

// datapoint is one period's value of the alarm's statistic, or its
// absence.
type datapoint struct {
	start   time.Time
	present bool
	value   float64
	samples int
}

// evaluationRange is how many recent periods an evaluation looks at: more
// than EvaluationPeriods, so that a few missing datapoints are made up by
// older real ones. CloudWatch's documented example retrieves 5 for 3.
func evaluationRange(a *alarm) int { return int(a.EvaluationPeriods) + 2 }

func (s *Service) scaledPeriod(a *alarm) time.Duration {
	d := time.Duration(float64(a.Period) * s.opts.PeriodScale * float64(time.Second))
	return max(d, MinScaledPeriod)
}

// newEvaluation starts an alarm's datapoints afresh; its first sample is
// due now.
func (s *Service) newEvaluation(a *alarm, now time.Time) *evaluation {
	p := s.scaledPeriod(a)
	return &evaluation{period: p, every: p / samplesPerPeriod, index: periodIndex(now, p), next: now}
}

// periodIndex numbers periods from the epoch, so that periods start on
// the clock's boundaries (every whole minute for 60 s), as CloudWatch's
// do.
func periodIndex(t time.Time, period time.Duration) int64 { return t.UnixNano() / int64(period) }

func periodStart(index int64, period time.Duration) time.Time {
	return time.Unix(0, index*int64(period)).UTC()
}

// evaluateLoop samples every alarm when its sample is due and evaluates
// it when a period ends, until Close.
func (s *Service) evaluateLoop() {
	defer s.workers.Done()
	defer close(s.evaluated)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-s.wake:
		case <-timer.C:
		}
		timer.Reset(s.evaluateDue())
	}
}

// evaluateDue does what is due for every alarm and returns how long to
// wait for the next thing due.
func (s *Service) evaluateDue() time.Duration {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	wait := idleWait
	for name, ev := range s.evals {
		a := s.alarms[name]
		if a == nil {
			delete(s.evals, name)
			continue
		}
		if !now.Before(ev.next) {
			s.step(a, ev, now)
			ev.next = now.Add(ev.every)
		}
		wait = min(wait, ev.next.Sub(now))
	}
	return max(wait, time.Millisecond)
}

// step closes the periods that ended since the last sample, evaluating
// the alarm if any did, then samples the period in progress. Callers hold
// s.mu.
func (s *Service) step(a *alarm, ev *evaluation, now time.Time) {
	if idx := periodIndex(now, ev.period); idx > ev.index {
		keep := evaluationRange(a)
		ev.push(ev.close(a.statistic()), keep)
		// Periods the loop slept through entirely had no samples.
		for k := max(ev.index+1, idx-int64(keep)); k < idx; k++ {
			ev.push(datapoint{start: periodStart(k, ev.period)}, keep)
		}
		ev.index = idx
		s.judge(a, ev, now)
	}
	if v, ok := s.sample(a); ok {
		ev.samples = append(ev.samples, v)
	}
}

// close turns the samples of the period in progress into its datapoint.
func (ev *evaluation) close(statistic string) datapoint {
	dp := datapoint{start: periodStart(ev.index, ev.period), samples: len(ev.samples)}
	if len(ev.samples) > 0 {
		dp.present, dp.value = true, aggregate(statistic, ev.samples)
	}
	ev.samples = ev.samples[:0]
	return dp
}

func (ev *evaluation) push(dp datapoint, keep int) {
	ev.points = append(ev.points, dp)
	if over := len(ev.points) - keep; over > 0 {
		ev.points = slices.Delete(ev.points, 0, over)
	}
}

// sample reads the alarm's metric now. Only the AWS/SQS queue metrics
// have data here, and only for the exact dimensions SQS publishes them
// with (QueueName) and their own unit, as CloudWatch matches a metric by
// namespace, name, dimensions and unit.
func (s *Service) sample(a *alarm) (float64, bool) {
	if a.Namespace != "AWS/SQS" || s.opts.Queues == nil || len(a.Dimensions) != 1 || a.Dimensions[0].Name != "QueueName" {
		return 0, false
	}
	var unit string
	switch a.MetricName {
	case "ApproximateNumberOfMessagesVisible":
		unit = "Count"
	case "ApproximateAgeOfOldestMessage":
		unit = "Seconds"
	default:
		return 0, false
	}
	if a.Unit != "" && a.Unit != unit {
		return 0, false
	}
	visible, age, ok := s.opts.Queues.QueueMetrics(a.Dimensions[0].Value)
	if !ok {
		return 0, false
	}
	if unit == "Seconds" {
		return math.Floor(age.Seconds()), true
	}
	return float64(visible), true
}

// aggregate computes a statistic over a period's samples: one of
// CloudWatch's statistics, or a percentile (pNN, nearest rank).
func aggregate(statistic string, samples []float64) float64 {
	switch statistic {
	case "SampleCount":
		return float64(len(samples))
	case "Sum", "Average":
		var sum float64
		for _, v := range samples {
			sum += v
		}
		if statistic == "Average" {
			return sum / float64(len(samples))
		}
		return sum
	case "Minimum":
		return slices.Min(samples)
	case "Maximum":
		return slices.Max(samples)
	}
	p, err := strconv.ParseFloat(statistic[1:], 64) // pNN, checked when the alarm was put
	if err != nil {
		return math.NaN()
	}
	sorted := slices.Sorted(slices.Values(samples))
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// verdict is what an evaluation concludes.
type verdict struct {
	// state is the state the data calls for; "" keeps the current one
	// (TreatMissingData ignore with nothing to go on).
	state string
	// evaluated are the real datapoints weighed, oldest first.
	evaluated []datapoint
	breaching int // among evaluated, plus missing ones treated as breaching
	filled    int // missing datapoints the treatment filled in
	premature bool
}

// decide evaluates an alarm's recent datapoints (oldest first, the last
// one the period just ended) as CloudWatch documents it ("How alarm state
// is evaluated when data is missing"): with at least N real datapoints in
// the evaluation range the N most recent decide; with fewer, the missing
// ones are filled in by the treatment (breaching, notBreaching), or left
// out (missing, ignore), in which case an alarm with nothing breaching
// enough and nothing not breaching has insufficient data (missing) or
// keeps its state (ignore). M breaching datapoints of those weighed make
// ALARM, fewer OK. Under missing, an alarm also goes to ALARM when its
// only real datapoints breach and the oldest is at least M periods old
// (CloudWatch's rule against a premature return to OK).
func decide(points []datapoint, n, m int, breaches func(float64) bool, treat string) verdict {
	var present []datapoint
	oldestAge := 0
	for i, p := range points {
		if p.present {
			present = append(present, p)
			if oldestAge == 0 {
				oldestAge = len(points) - i
			}
		}
	}
	count := func(dps []datapoint) int {
		b := 0
		for _, p := range dps {
			if breaches(p.value) {
				b++
			}
		}
		return b
	}
	judge := func(b int) string {
		if b >= m {
			return stateAlarm
		}
		return stateOK
	}
	if len(present) >= n {
		ev := present[len(present)-n:]
		b := count(ev)
		return verdict{state: judge(b), evaluated: ev, breaching: b}
	}
	b := count(present)
	switch treat {
	case missingBreaching, missingNotBreaching:
		filled := n - len(present)
		if treat == missingBreaching {
			b += filled
		}
		return verdict{state: judge(b), evaluated: present, breaching: b, filled: filled}
	}
	v := verdict{evaluated: present, breaching: b}
	switch {
	case len(present) > 0 && b >= m:
		v.state = stateAlarm
	case treat == missingMissing && len(present) > 0 && b == len(present) && oldestAge >= m:
		v.state, v.premature = stateAlarm, true
	case len(present) > b:
		v.state = stateOK
	case treat == missingMissing:
		v.state = stateInsufficientData
	}
	return v
}

// judge evaluates an alarm at the end of a period and makes the state
// change the data calls for. Callers hold s.mu.
func (s *Service) judge(a *alarm, ev *evaluation, now time.Time) {
	v := decide(ev.points, int(a.EvaluationPeriods), a.datapointsToAlarm(), a.breaches, a.treatMissing())
	if v.state == "" || v.state == a.StateValue {
		return
	}
	reason, data := s.reason(a, v, now)
	err := s.changeState(a, v.state, reason, data, now)
	s.noteWrite(err, "cloudwatch: alarm state change not saved; the next evaluation tries again", "alarm", a.Name, "state", v.state)
}

// noteWrite logs the first of a run of failed writes the evaluation and
// the notifier make on their own, not each one: with the disk failing,
// every period of every alarm would otherwise log. The storage state
// reports the failure too. Callers hold s.mu.
func (s *Service) noteWrite(err error, msg string, args ...any) {
	switch {
	case err == nil:
		s.writeFailing = false
	case !s.writeFailing:
		s.writeFailing = true
		s.logger.Warn(msg, append(args, "error", err)...)
	}
}
