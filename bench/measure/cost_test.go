package measure

import (
	"math"
	"strings"
	"testing"
)

func TestCost(t *testing.T) {
	u := Usage{
		Launches:          1000,
		HTTPAPIRequests:   1000,
		SNSRequests:       map[string]int64{"Publish": 3000, "PublishBatch": 100},
		SQSRequests:       map[string]int64{"ReceiveMessage": 300, "DeleteMessageBatch": 300},
		SQSReceiveChunks:  310,
		LargestEventBytes: 1000,
		Lambda: []LambdaUsage{
			{Function: "api", MemoryMB: 128, Invocations: 1000, BilledMs: 10_000, Environments: 2},
			{Function: "launcher", MemoryMB: 256, Invocations: 100, BilledMs: 4_000, Environments: 1},
		},
		DynamoDB:            map[string]int64{"PutItem": 1000, "UpdateItem": 2000, "GetItem": 500},
		WriteUnitsPerWrite:  4,
		ReadUnitsPerRead:    1,
		LogBytes:            1 << 30,
		EventSourceMappings: 3,
	}
	u.AddInits(&ColdStartResult{Functions: []FunctionRun{{Name: "api", InitMedianMs: 40.2}}})
	if u.Lambda[0].InitBilledMs != 2*41 || u.Lambda[1].InitBilledMs != 0 {
		t.Errorf("init billed: %+v", u.Lambda)
	}
	c, err := Cost("memory", u)
	if err != nil {
		t.Fatal(err)
	}
	perMillion := func(item string) float64 {
		for _, l := range c.Lines {
			if strings.HasPrefix(l.Item, item) {
				return l.USDPerMillionLaunches
			}
		}
		t.Fatalf("no line %q in %+v", item, c.Lines)
		return 0
	}
	gbs := (10_000.0+82)/1000*128/1024 + 4_000.0/1000*256/1024
	for _, tc := range []struct {
		item string
		want float64
	}{
		// Per launch, times a million, at the price.
		{"HTTP API", 1 * 1.00},
		{"Publish", (3000 + 100) / 1000.0 * 0.50},
		{"requests of the event source", (310 + 300) / 1000.0 * 0.40},
		{"invocations", 1100 / 1000.0 * 0.20},
		{"duration", gbs / 1000 * 1e6 * 0.0000133334},
		{"write request units", 3000 * 4 / 1000.0 * 0.625},
		{"read request units", 500 * 1 / 1000.0 * 0.125},
		{"ingestion", 1.0 / 1000 * 1e6 * 0.50},
	} {
		if got := perMillion(tc.item); math.Abs(got-tc.want) > 1e-9*max(1, tc.want) {
			t.Errorf("%s: $%v per million launches, want $%v", tc.item, got, tc.want)
		}
	}
	if want := 3 * 5 * 3 * 43200.0; c.IdleReceivesPerMonth != want || math.Abs(c.IdleUSDPerMonth-want*0.40/1e6) > 1e-12 {
		t.Errorf("idle: %v receives, $%v a month; want %v, $%v", c.IdleReceivesPerMonth, c.IdleUSDPerMonth, want, want*0.40/1e6)
	}
}

func TestCostRefusesWhatItCannotPrice(t *testing.T) {
	for _, tc := range []struct {
		name string
		u    Usage
	}{
		{"no launches", Usage{}},
		{"a DynamoDB operation without a model", Usage{Launches: 1, DynamoDB: map[string]int64{"TransactWriteItems": 1}}},
		{"an SNS operation without a price", Usage{Launches: 1, SNSRequests: map[string]int64{"Subscribe": 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := Cost("memory", tc.u); err == nil {
				t.Errorf("Cost = %+v, want an error", c)
			}
		})
	}
}
