package measure

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Usage is what an end-to-end run asked of AWS, counted at localcloud and
// at the local mode's functions, for Cost.
type Usage struct {
	Launches int `json:"launches"`
	// HTTPAPIRequests are the requests through the HTTP API (the POSTs).
	HTTPAPIRequests int64 `json:"httpApiRequests"`
	// SNSRequests are SNS calls by operation.
	SNSRequests map[string]int64 `json:"snsRequests"`
	// SQSRequests are the SQS calls billed to the queues' owner, by
	// operation. ReceiveMessage counts the receives that returned
	// messages (one per batch invoked); SQSEmptyReceives are the others,
	// which the idle model prices instead (local long polls are 1 s, the
	// event source mappings' 20 s).
	SQSRequests      map[string]int64 `json:"sqsRequests"`
	SQSEmptyReceives int64            `json:"sqsEmptyReceives"`
	// SQSReceiveChunks is the 64 KB chunks of the receives that returned
	// messages, from the records' bodies and attributes.
	SQSReceiveChunks int64 `json:"sqsReceiveChunks"`
	// LargestBatchBytes is the largest batch handed to a function,
	// LargestEventBytes the largest event on the queues.
	LargestBatchBytes int64 `json:"largestBatchBytes"`
	LargestEventBytes int64 `json:"largestEventBytes"`
	// Lambda is each function's invocations and billed duration.
	Lambda []LambdaUsage `json:"lambda"`
	// DynamoDB are the status table's calls by operation.
	DynamoDB map[string]int64 `json:"dynamodb"`
	// Items are the status table's items at the end of the run, their
	// mean size, and the mean write and read request units one write or
	// one strongly consistent read of an item costs, with its index
	// entries.
	Items              int     `json:"items"`
	MeanItemBytes      float64 `json:"meanItemBytes"`
	WriteUnitsPerWrite float64 `json:"writeUnitsPerWrite"`
	ReadUnitsPerRead   float64 `json:"readUnitsPerRead"`
	// LogBytes are the functions' log lines at the template's LogLevel
	// and Lambda's START, END and REPORT lines of each invocation.
	LogBytes int64 `json:"logBytes"`
	// EventSourceMappings are the template's enabled SQS event sources.
	EventSourceMappings int `json:"eventSourceMappings"`
}

// LambdaUsage is one function's invocations in a run.
type LambdaUsage struct {
	Function    string `json:"function"`
	MemoryMB    int    `json:"memoryMB"`
	Invocations int64  `json:"invocations"`
	// BilledMs sums each invocation's duration rounded up to the
	// millisecond; MeanMs is the mean unrounded duration.
	BilledMs int64   `json:"billedMs"`
	MeanMs   float64 `json:"meanMs"`
	// Environments are the execution environments initialised (cold
	// starts); InitBilledMs their init, from the cold-start run's median
	// (0 when the run measured none).
	Environments int64 `json:"environments"`
	InitBilledMs int64 `json:"initBilledMs"`
}

// CostLine is one priced item of the estimate.
type CostLine struct {
	Service string `json:"service"`
	Item    string `json:"item"`
	// PerLaunch is the billed quantity per launch, Unit what it counts,
	// USDPerUnit the list price of one, Price the price as AWS states it.
	PerLaunch  float64 `json:"perLaunch"`
	Unit       string  `json:"unit"`
	USDPerUnit float64 `json:"usdPerUnit"`
	Price      string  `json:"price"`
	// USDPerMillionLaunches is PerLaunch × USDPerUnit × 1,000,000.
	USDPerMillionLaunches float64 `json:"usdPerMillionLaunches"`
}

// CostResult is the AWS bill of a million launches, priced from what the
// end-to-end run did, plus what the pipeline costs idle.
type CostResult struct {
	Prices                      string     `json:"prices"`
	FromRun                     string     `json:"fromRun"`
	Lines                       []CostLine `json:"lines"`
	USDPerMillionLaunches       float64    `json:"usdPerMillionLaunches"`
	IdleReceivesPerMonth        float64    `json:"idleReceivesPerMonth"`
	IdleUSDPerMonth             float64    `json:"idleUSDPerMonth"`
	Assumptions                 []string   `json:"assumptions"`
	NotCounted                  []string   `json:"notCounted"`
	EventSourceMappings         int        `json:"eventSourceMappings"`
	IdlePollersPerMapping       int        `json:"idlePollersPerMapping"`
	IdleReceivesPerPollerMinute int        `json:"idleReceivesPerPollerMinute"`
}

// dynamoWrites and dynamoReads are the status table's operations the
// estimate can price: single-item writes and strongly consistent
// single-item reads. Any other operation in a run stops the estimate,
// rather than leaving it out.
var (
	dynamoWrites = []string{"PutItem", "UpdateItem", "DeleteItem"}
	dynamoReads  = []string{"GetItem"}
)

// Cost prices a run's usage at the list prices of prices.go.
func Cost(run string, u Usage) (*CostResult, error) {
	if u.Launches <= 0 {
		return nil, fmt.Errorf("cost: the %s run counted no launches", run)
	}
	c := &CostResult{
		Prices: PricesAsOf, FromRun: run, EventSourceMappings: u.EventSourceMappings,
		IdlePollersPerMapping: idlePollersPerMapping, IdleReceivesPerPollerMinute: idleReceivesPerMinute,
	}
	n := float64(u.Launches)
	add := func(service, item string, quantity float64, unit string, price float64) {
		per := quantity / n
		text := "$" + strconv.FormatFloat(price, 'f', -1, 64) + " per " + unit
		if price >= 0.01 {
			text = fmt.Sprintf("$%.2f per %s", price, unit)
		}
		if price < 1e-3 && strings.HasSuffix(unit, "request") {
			text = fmt.Sprintf("$%.2f per million %ss", price*1e6, unit)
		}
		if strings.HasSuffix(unit, "RU") {
			text = fmt.Sprintf("$%.3f per million %ss", price*1e6, unit)
		}
		c.Lines = append(c.Lines, CostLine{Service: service, Item: item, PerLaunch: per, Unit: unit, USDPerUnit: price, Price: text,
			USDPerMillionLaunches: per * price * 1e6})
	}

	add("API Gateway", "HTTP API requests", float64(u.HTTPAPIRequests), "request", httpAPIPerMillionRequests/1e6)

	// An event is far below 64 KB, so a Publish is one billed request and
	// a PublishBatch of up to ten is ceil(10 × largest event / 64 KB).
	publishChunks := chunks(u.LargestEventBytes)
	batchChunks := chunks(10 * u.LargestEventBytes)
	var snsBilled float64
	for op, calls := range u.SNSRequests {
		switch op {
		case "Publish":
			snsBilled += float64(calls * publishChunks)
		case "PublishBatch":
			snsBilled += float64(calls * batchChunks)
		default:
			return nil, fmt.Errorf("cost: no price for sns:%s (%d calls)", op, calls)
		}
	}
	add("SNS", "Publish and PublishBatch requests (64 KB chunks)", snsBilled, "request", snsPerMillionRequests/1e6)

	var sqsBilled float64
	for op, calls := range u.SQSRequests {
		if op == "ReceiveMessage" {
			sqsBilled += float64(u.SQSReceiveChunks)
			continue
		}
		// Deletes, visibility changes and dead-letter sends carry receipt
		// handles or one event: one chunk each.
		sqsBilled += float64(calls)
	}
	add("SQS", "requests of the event source mappings and functions (64 KB chunks)", sqsBilled, "request", sqsPerMillionRequests/1e6)

	var invocations, gbSeconds float64
	for _, l := range u.Lambda {
		invocations += float64(l.Invocations)
		gbSeconds += float64(l.BilledMs+l.InitBilledMs) / 1000 * float64(l.MemoryMB) / 1024
	}
	add("Lambda", "invocations", invocations, "request", lambdaPerMillionRequests/1e6)
	add("Lambda", "duration on arm64, init of cold starts included", gbSeconds, "GB-second", lambdaArmPerGBSecond)

	var writes, reads int64
	for _, op := range slices.Sorted(maps.Keys(u.DynamoDB)) {
		switch calls := u.DynamoDB[op]; {
		case slices.Contains(dynamoWrites, op):
			writes += calls
		case slices.Contains(dynamoReads, op):
			reads += calls
		default:
			return nil, fmt.Errorf("cost: no request-unit model for dynamodb:%s (%d calls)", op, calls)
		}
	}
	add("DynamoDB", "write request units (item and ByOwner index entry)", float64(writes)*u.WriteUnitsPerWrite, "WRU", dynamoPerMillionWRU/1e6)
	add("DynamoDB", "read request units (strongly consistent)", float64(reads)*u.ReadUnitsPerRead, "RRU", dynamoPerMillionRRU/1e6)

	add("CloudWatch Logs", "ingestion of the functions' logs", float64(u.LogBytes)/bytesPerGB, "GB", logsPerGBIngested)

	for _, l := range c.Lines {
		c.USDPerMillionLaunches += l.USDPerMillionLaunches
	}
	c.IdleReceivesPerMonth = float64(u.EventSourceMappings * idlePollersPerMapping * idleReceivesPerMinute * minutesPerMonth)
	c.IdleUSDPerMonth = c.IdleReceivesPerMonth * sqsPerMillionRequests / 1e6
	c.Assumptions = []string{
		"list prices beyond the free tiers (" + PricesAsOf + "); see bench/measure/prices.go",
		fmt.Sprintf("idle: each of the %d SQS event source mappings long-polls with %d pollers, 20 s per ReceiveMessage (%d a minute each), around the clock, 30-day month",
			u.EventSourceMappings, idlePollersPerMapping, idleReceivesPerMinute),
		"SQS receives are counted when they returned messages; the empty ones are the idle cost's",
		"SNS deliveries to SQS queues are free; publishes are one 64 KB chunk each unless ten of the largest event exceed it",
		"Lambda durations are the local mode's, on this machine: an in-process call, so they leave out the network round trips to AWS services and include this machine's load",
		"DynamoDB writes are priced at the item's size at the end of the run (items only grow), plus one ByOwner index entry per write (projection ALL); reads are strongly consistent",
		fmt.Sprintf("the run's settings decide the batches: %d launches through the local mode, one per POST", u.Launches),
	}
	c.NotCounted = []string{
		"EC2 itself (instances, volumes); EC2 API calls are free",
		"storage (DynamoDB items, point-in-time recovery, CloudWatch Logs retention), data transfer, KMS",
		"CloudWatch alarms (a fixed monthly charge per alarm)",
	}
	for _, v := range []float64{c.USDPerMillionLaunches, c.IdleUSDPerMonth} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("cost: a figure is not a number: %v", c)
		}
	}
	return c, nil
}

// chunks is how many 64 KB billing chunks a payload of n bytes is (at
// least one).
func chunks(n int64) int64 {
	return max(1, (n+billingChunkBytes-1)/billingChunkBytes)
}

// AddInits bills each execution environment the run initialised with its
// function's median init from a cold-start run: an OS-only runtime bills
// the init of a cold start with its first invocation.
func (u *Usage) AddInits(c *ColdStartResult) {
	medians := map[string]float64{}
	for _, f := range c.Functions {
		medians[f.Name] = f.InitMedianMs
	}
	u.Lambda = slices.Clone(u.Lambda)
	for i, l := range u.Lambda {
		if m, ok := medians[l.Function]; ok {
			u.Lambda[i].InitBilledMs = l.Environments * int64(math.Ceil(m))
		}
	}
}
