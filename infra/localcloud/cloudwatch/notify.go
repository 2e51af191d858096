package cloudwatch

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"
)

// changeState moves an alarm to a new state: the alarm and the
// StateUpdate history item are written, then applied, then the new
// state's actions are queued for the notifier. Callers hold s.mu.
func (s *Service) changeState(a *alarm, state, reason, reasonData string, now time.Time) error {
	next := a.clone()
	next.StateValue, next.StateReason, next.StateReasonData = state, reason, reasonData
	next.StateUpdated, next.StateTransitioned = now, now
	item := stateHistory(a.Name, now,
		stateSnapshot{Value: a.StateValue, Reason: a.StateReason, ReasonData: a.StateReasonData},
		stateSnapshot{Value: state, Reason: reason, ReasonData: reasonData})
	ch, ws, err := s.stageHistory(now, item)
	if err != nil {
		return err
	}
	if err := s.persist([]*alarm{next}, nil, ws); err != nil {
		return err
	}
	s.alarms[a.Name] = next
	s.applyHistory(ch)
	s.queueActions(next, a.StateValue, now)
	return nil
}

// notification is one action of a state change, waiting to be executed.
type notification struct {
	alarm   string
	action  string
	subject string
	message string
	at      time.Time
}

// queueActions queues the actions of an alarm's new state, unless its
// actions are disabled. Callers hold s.mu.
func (s *Service) queueActions(a *alarm, oldState string, at time.Time) {
	if !a.ActionsEnabled || len(a.actions(a.StateValue)) == 0 {
		return
	}
	subject, message := s.notificationOf(a, oldState, at)
	for _, action := range a.actions(a.StateValue) {
		s.outbox = append(s.outbox, notification{alarm: a.Name, action: action, subject: subject, message: message, at: at})
	}
	poke(s.notify)
}

// notifyLoop executes queued actions in the order of the state changes,
// one at a time, and records each in the alarm's history. At Close it
// executes what the evaluation queued before it stopped.
func (s *Service) notifyLoop() {
	defer s.workers.Done()
	for {
		s.mu.Lock()
		var n notification
		ok := len(s.outbox) > 0
		if ok {
			n = s.outbox[0]
			s.outbox = s.outbox[1:]
		}
		s.mu.Unlock()
		if !ok {
			select {
			case <-s.notify:
				continue
			case <-s.closing:
				// One last look once the evaluation has stopped: it
				// may have queued actions on its way out.
				<-s.evaluated
				s.mu.Lock()
				left := len(s.outbox)
				s.mu.Unlock()
				if left == 0 {
					return
				}
				continue
			}
		}
		s.recordAction(n, s.execute(n))
	}
}

// execute publishes a notification to the SNS topic its action names;
// other actions (Auto Scaling, EC2) are not emulated and fail.
func (s *Service) execute(n notification) error {
	if !strings.HasPrefix(n.action, "arn:aws:sns:") {
		return errors.New("localcloud executes SNS actions only")
	}
	if s.opts.Topics == nil {
		return errors.New("no SNS to publish to")
	}
	return s.opts.Topics.Publish(n.action, n.subject, n.message)
}

// recordAction adds the Action item of an executed notification to the
// history, as CloudWatch records each action with its outcome.
func (s *Service) recordAction(n notification, err error) {
	data := map[string]any{
		"actionState":          "Succeeded",
		"stateUpdateTimestamp": n.at.UnixMilli(),
		"notificationResource": n.action,
		"publishedMessage":     n.message,
	}
	summary := "Successfully executed action " + n.action
	if err != nil {
		data["actionState"], data["error"] = "Failed", err.Error()
		delete(data, "publishedMessage")
		summary = fmt.Sprintf("Failed to execute action %s. Received error: %q", n.action, err.Error())
		s.logger.Warn("cloudwatch: alarm action failed", "alarm", n.alarm, "action", n.action, "error", err)
	}
	b, _ := json.Marshal(data) // strings and numbers only
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	ch, ws, serr := s.stageHistory(now, &historyItem{AlarmName: n.alarm, Timestamp: now, Type: historyAction, Summary: summary, Data: string(b)})
	if serr == nil {
		serr = s.persist(nil, nil, ws)
	}
	s.noteWrite(serr, "cloudwatch: alarm action not recorded in history", "alarm", n.alarm, "action", n.action)
	if serr == nil {
		s.applyHistory(ch)
	}
}

// alarmNotification is the message CloudWatch publishes to an alarm's
// SNS actions, field for field (see the CloudWatch user guide's alarm
// notifications, and aws-lambda-go's events.CloudWatchAlarmSNSPayload,
// which reads it). Absent values are null, as CloudWatch writes them.
type alarmNotification struct {
	AlarmName                          string       `json:"AlarmName"`
	AlarmDescription                   *string      `json:"AlarmDescription"`
	AWSAccountID                       string       `json:"AWSAccountId"`
	AlarmConfigurationUpdatedTimestamp string       `json:"AlarmConfigurationUpdatedTimestamp"`
	NewStateValue                      string       `json:"NewStateValue"`
	NewStateReason                     string       `json:"NewStateReason"`
	StateChangeTime                    string       `json:"StateChangeTime"`
	Region                             string       `json:"Region"`
	AlarmArn                           string       `json:"AlarmArn"`
	OldStateValue                      string       `json:"OldStateValue"`
	OKActions                          []string     `json:"OKActions"`
	AlarmActions                       []string     `json:"AlarmActions"`
	InsufficientDataActions            []string     `json:"InsufficientDataActions"`
	Trigger                            alarmTrigger `json:"Trigger"`
}

type alarmTrigger struct {
	MetricName                       string                  `json:"MetricName"`
	Namespace                        string                  `json:"Namespace"`
	StatisticType                    string                  `json:"StatisticType"`
	Statistic                        string                  `json:"Statistic,omitempty"`
	ExtendedStatistic                string                  `json:"ExtendedStatistic,omitempty"`
	Unit                             *string                 `json:"Unit"`
	Dimensions                       []notificationDimension `json:"Dimensions"`
	Period                           int32                   `json:"Period"`
	EvaluationPeriods                int32                   `json:"EvaluationPeriods"`
	DatapointsToAlarm                int                     `json:"DatapointsToAlarm"`
	ComparisonOperator               string                  `json:"ComparisonOperator"`
	Threshold                        float64                 `json:"Threshold"`
	TreatMissingData                 string                  `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile string                  `json:"EvaluateLowSampleCountPercentile"`
}

// notificationDimension is a dimension as notifications spell it: lower
// case, value first.
type notificationDimension struct {
	Value string `json:"value"`
	Name  string `json:"name"`
}

// maxSubject is SNS's limit on a subject.
const maxSubject = 100

// notificationOf builds the subject and message of an alarm's change to
// its current state.
func (s *Service) notificationOf(a *alarm, oldState string, at time.Time) (subject, message string) {
	n := alarmNotification{
		AlarmName:                          a.Name,
		AlarmDescription:                   a.Description,
		AWSAccountID:                       s.acct.ID,
		AlarmConfigurationUpdatedTimestamp: a.ConfigUpdated.UTC().Format(isoMillis),
		NewStateValue:                      a.StateValue,
		NewStateReason:                     a.StateReason,
		StateChangeTime:                    at.UTC().Format(isoMillis),
		Region:                             regionName(s.acct.Region),
		AlarmArn:                           s.alarmARN(a.Name),
		OldStateValue:                      oldState,
		OKActions:                          orEmpty(a.OKActions),
		AlarmActions:                       orEmpty(a.AlarmActions),
		InsufficientDataActions:            orEmpty(a.InsufficientDataActions),
		Trigger: alarmTrigger{
			MetricName:                       a.MetricName,
			Namespace:                        a.Namespace,
			StatisticType:                    "Statistic",
			Statistic:                        strings.ToUpper(a.Statistic),
			Dimensions:                       []notificationDimension{},
			Period:                           a.Period,
			EvaluationPeriods:                a.EvaluationPeriods,
			DatapointsToAlarm:                a.datapointsToAlarm(),
			ComparisonOperator:               a.ComparisonOperator,
			Threshold:                        a.Threshold,
			TreatMissingData:                 a.treatMissing(),
			EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile,
		},
	}
	if a.ExtendedStatistic != "" {
		n.Trigger.StatisticType, n.Trigger.Statistic, n.Trigger.ExtendedStatistic = "ExtendedStatistic", "", a.ExtendedStatistic
	}
	if a.Unit != "" {
		unit := a.Unit
		n.Trigger.Unit = &unit
	}
	for _, d := range a.Dimensions {
		n.Trigger.Dimensions = append(n.Trigger.Dimensions, notificationDimension{Value: d.Value, Name: d.Name})
	}
	b, _ := json.Marshal(n) // strings and numbers only
	return notificationSubject(a.StateValue, a.Name, regionName(s.acct.Region)), string(b)
}

// notificationSubject is CloudWatch's subject, `ALARM: "name" in US East
// (N. Virginia)`, made to fit SNS's rule for subjects: printable ASCII,
// at most 100 characters.
func notificationSubject(state, name, region string) string {
	subject := []byte(strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, fmt.Sprintf("%s: \"%s\" in %s", state, name, region)))
	return string(subject[:min(len(subject), maxSubject)])
}

// regionNames are the names CloudWatch's notifications give regions.
var regionNames = map[string]string{
	"us-east-1":      "US East (N. Virginia)",
	"us-east-2":      "US East (Ohio)",
	"us-west-1":      "US West (N. California)",
	"us-west-2":      "US West (Oregon)",
	"ca-central-1":   "Canada (Central)",
	"eu-west-1":      "EU (Ireland)",
	"eu-west-2":      "EU (London)",
	"eu-west-3":      "EU (Paris)",
	"eu-central-1":   "EU (Frankfurt)",
	"eu-north-1":     "EU (Stockholm)",
	"eu-south-1":     "EU (Milan)",
	"ap-northeast-1": "Asia Pacific (Tokyo)",
	"ap-northeast-2": "Asia Pacific (Seoul)",
	"ap-northeast-3": "Asia Pacific (Osaka)",
	"ap-southeast-1": "Asia Pacific (Singapore)",
	"ap-southeast-2": "Asia Pacific (Sydney)",
	"ap-south-1":     "Asia Pacific (Mumbai)",
	"sa-east-1":      "South America (Sao Paulo)",
}

func regionName(region string) string {
	if n, ok := regionNames[region]; ok {
		return n
	}
	return region
}

// SNSEndpoint publishes notifications through an SNS API handler in
// process (the emulator's own SNS), in the query protocol any client
// uses, so a notification takes the path of every Publish: the topic's
// subscriptions, filter policies, delivery faults and injected Publish
// faults.
type SNSEndpoint struct{ Handler http.Handler }

var _ Topics = SNSEndpoint{}

// Publish sends one message and reports SNS's error, if any, by its code
// and message.
func (e SNSEndpoint) Publish(topicARN, subject, message string) error {
	form := url.Values{"Action": {"Publish"}, "Version": {"2010-03-31"}, "TopicArn": {topicARN}, "Message": {message}}
	if subject != "" {
		form.Set("Subject", subject)
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	if rec.Code == http.StatusOK {
		return nil
	}
	var doc struct {
		Code    string `xml:"Error>Code"`
		Message string `xml:"Error>Message"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.Code == "" {
		return fmt.Errorf("publish to %s: HTTP %d", topicARN, rec.Code)
	}
	return fmt.Errorf("publish to %s: %s: %s", topicARN, doc.Code, doc.Message)
}
