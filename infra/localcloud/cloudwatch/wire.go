package cloudwatch

import "github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"

// serviceName is CloudWatch's Smithy service name: the CBOR path segment
// and the JSON target prefix.
const serviceName = "GraniteServiceVersion20100801"

// errorNamespace qualifies error shapes in __type.
const errorNamespace = "com.amazonaws.cloudwatch"

// maxRequestBytes bounds a request body; the largest, a PutMetricAlarm
// with every list full, is a few KiB.
const maxRequestBytes = 1 << 20

// api declares CloudWatch on the wire: one operation table in RPC v2 CBOR
// and AWS JSON 1.0, with awsQueryCompatible errors. The query protocol
// (older botocore) is not served: the router answers it with an error
// naming what it does serve.
func (s *Service) api() *awsproto.Service {
	return &awsproto.Service{
		Name: "monitoring",
		Protocols: []awsproto.Protocol{
			awsproto.CBOR{ServiceName: serviceName, ErrorNamespace: errorNamespace, QueryCompatible: true},
			awsproto.JSON10{TargetPrefix: serviceName, ErrorNamespace: errorNamespace, QueryCompatible: true},
		},
		MaxBody:  maxRequestBytes,
		Counters: &s.counters,
		Ops: []awsproto.Operation{
			awsproto.Op("PutMetricAlarm", s.putMetricAlarm),
			awsproto.Op("DescribeAlarms", s.describeAlarms),
			awsproto.Op("DescribeAlarmsForMetric", s.describeAlarmsForMetric),
			awsproto.Op("DeleteAlarms", s.deleteAlarms),
			awsproto.Op("SetAlarmState", s.setAlarmState),
			awsproto.Op("EnableAlarmActions", s.enableAlarmActions),
			awsproto.Op("DisableAlarmActions", s.disableAlarmActions),
			awsproto.Op("DescribeAlarmHistory", s.describeAlarmHistory),
			awsproto.Op("TagResource", s.tagResource),
			awsproto.Op("UntagResource", s.untagResource),
			awsproto.Op("ListTagsForResource", s.listTagsForResource),
		},
	}
}

// Shapes, read and written by their json tags in both protocols.

// Dimension is a metric's name-value pair.
type Dimension struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type empty struct{}

type putMetricAlarmInput struct {
	AlarmName                        *string     `json:"AlarmName"`
	AlarmDescription                 *string     `json:"AlarmDescription"`
	ActionsEnabled                   *bool       `json:"ActionsEnabled"`
	OKActions                        []string    `json:"OKActions"`
	AlarmActions                     []string    `json:"AlarmActions"`
	InsufficientDataActions          []string    `json:"InsufficientDataActions"`
	MetricName                       *string     `json:"MetricName"`
	Namespace                        *string     `json:"Namespace"`
	Statistic                        *string     `json:"Statistic"`
	ExtendedStatistic                *string     `json:"ExtendedStatistic"`
	Dimensions                       []Dimension `json:"Dimensions"`
	Period                           *int32      `json:"Period"`
	Unit                             *string     `json:"Unit"`
	EvaluationPeriods                *int32      `json:"EvaluationPeriods"`
	DatapointsToAlarm                *int32      `json:"DatapointsToAlarm"`
	Threshold                        *float64    `json:"Threshold"`
	ComparisonOperator               *string     `json:"ComparisonOperator"`
	TreatMissingData                 *string     `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile *string     `json:"EvaluateLowSampleCountPercentile"`
	Tags                             []Tag       `json:"Tags"`

	// What the model has and the emulator does not evaluate: refused
	// when present (errNotEmulated).
	Metrics             []any   `json:"Metrics"`
	ThresholdMetricID   *string `json:"ThresholdMetricId"`
	EvaluationCriteria  any     `json:"EvaluationCriteria"`
	EvaluationInterval  *int32  `json:"EvaluationInterval"`
	EvaluationWindow    any     `json:"EvaluationWindow"`
	WarmUpConfiguration any     `json:"WarmUpConfiguration"`
	ActionConfiguration any     `json:"ActionConfiguration"`
}

type describeAlarmsInput struct {
	AlarmNames      []string `json:"AlarmNames"`
	AlarmNamePrefix *string  `json:"AlarmNamePrefix"`
	AlarmTypes      []string `json:"AlarmTypes"`
	StateValue      *string  `json:"StateValue"`
	ActionPrefix    *string  `json:"ActionPrefix"`
	MaxRecords      *int32   `json:"MaxRecords"`
	NextToken       *string  `json:"NextToken"`
	// Composite alarm relations: no composite alarm exists here, so a
	// request naming one finds nothing.
	ChildrenOfAlarmName *string `json:"ChildrenOfAlarmName"`
	ParentsOfAlarmName  *string `json:"ParentsOfAlarmName"`
}

// MetricAlarm is an alarm as DescribeAlarms answers it.
type MetricAlarm struct {
	AlarmName                          string             `json:"AlarmName"`
	AlarmArn                           string             `json:"AlarmArn"`
	AlarmDescription                   *string            `json:"AlarmDescription,omitempty"`
	AlarmConfigurationUpdatedTimestamp awsproto.Timestamp `json:"AlarmConfigurationUpdatedTimestamp"`
	ActionsEnabled                     bool               `json:"ActionsEnabled"`
	OKActions                          []string           `json:"OKActions"`
	AlarmActions                       []string           `json:"AlarmActions"`
	InsufficientDataActions            []string           `json:"InsufficientDataActions"`
	StateValue                         string             `json:"StateValue"`
	StateReason                        string             `json:"StateReason"`
	StateReasonData                    string             `json:"StateReasonData,omitempty"`
	StateUpdatedTimestamp              awsproto.Timestamp `json:"StateUpdatedTimestamp"`
	StateTransitionedTimestamp         awsproto.Timestamp `json:"StateTransitionedTimestamp"`
	MetricName                         string             `json:"MetricName,omitempty"`
	Namespace                          string             `json:"Namespace,omitempty"`
	Statistic                          string             `json:"Statistic,omitempty"`
	ExtendedStatistic                  string             `json:"ExtendedStatistic,omitempty"`
	Dimensions                         []Dimension        `json:"Dimensions"`
	Period                             int32              `json:"Period"`
	Unit                               string             `json:"Unit,omitempty"`
	EvaluationPeriods                  int32              `json:"EvaluationPeriods"`
	DatapointsToAlarm                  *int32             `json:"DatapointsToAlarm,omitempty"`
	Threshold                          float64            `json:"Threshold"`
	ComparisonOperator                 string             `json:"ComparisonOperator"`
	TreatMissingData                   string             `json:"TreatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile   string             `json:"EvaluateLowSampleCountPercentile,omitempty"`
}

type describeAlarmsOutput struct {
	MetricAlarms    []MetricAlarm `json:"MetricAlarms"`
	CompositeAlarms []any         `json:"CompositeAlarms"`
	NextToken       string        `json:"NextToken,omitempty"`
}

type describeAlarmsForMetricInput struct {
	MetricName        *string     `json:"MetricName"`
	Namespace         *string     `json:"Namespace"`
	Statistic         *string     `json:"Statistic"`
	ExtendedStatistic *string     `json:"ExtendedStatistic"`
	Dimensions        []Dimension `json:"Dimensions"`
	Period            *int32      `json:"Period"`
	Unit              *string     `json:"Unit"`
}

type describeAlarmsForMetricOutput struct {
	MetricAlarms []MetricAlarm `json:"MetricAlarms"`
}

type alarmNamesInput struct {
	AlarmNames []string `json:"AlarmNames"`
}

type setAlarmStateInput struct {
	AlarmName       *string `json:"AlarmName"`
	StateValue      *string `json:"StateValue"`
	StateReason     *string `json:"StateReason"`
	StateReasonData *string `json:"StateReasonData"`
}

type describeAlarmHistoryInput struct {
	AlarmName          *string             `json:"AlarmName"`
	AlarmContributorID *string             `json:"AlarmContributorId"`
	AlarmTypes         []string            `json:"AlarmTypes"`
	HistoryItemType    *string             `json:"HistoryItemType"`
	StartDate          *awsproto.Timestamp `json:"StartDate"`
	EndDate            *awsproto.Timestamp `json:"EndDate"`
	MaxRecords         *int32              `json:"MaxRecords"`
	NextToken          *string             `json:"NextToken"`
	ScanBy             *string             `json:"ScanBy"`
}

// AlarmHistoryItem is one entry of DescribeAlarmHistory's answer.
type AlarmHistoryItem struct {
	AlarmName       string             `json:"AlarmName"`
	AlarmType       string             `json:"AlarmType"`
	Timestamp       awsproto.Timestamp `json:"Timestamp"`
	HistoryItemType string             `json:"HistoryItemType"`
	HistorySummary  string             `json:"HistorySummary"`
	HistoryData     string             `json:"HistoryData"`
}

type describeAlarmHistoryOutput struct {
	AlarmHistoryItems []AlarmHistoryItem `json:"AlarmHistoryItems"`
	NextToken         string             `json:"NextToken,omitempty"`
}

type tagResourceInput struct {
	ResourceARN *string `json:"ResourceARN"`
	Tags        []Tag   `json:"Tags"`
}

type untagResourceInput struct {
	ResourceARN *string  `json:"ResourceARN"`
	TagKeys     []string `json:"TagKeys"`
}

type resourceInput struct {
	ResourceARN *string `json:"ResourceARN"`
}

type listTagsOutput struct {
	Tags []Tag `json:"Tags"`
}
