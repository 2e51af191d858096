package measure

import "time"

// Results is everything one run of the driver measured; bench/results.json
// is its JSON.
type Results struct {
	// Quick marks a shortened run (a smoke test), not figures to quote.
	Quick     bool      `json:"quick"`
	StartedAt time.Time `json:"startedAt"`
	Machine   Machine   `json:"machine"`

	RateLimit *RateLimitResult `json:"rateLimit,omitempty"`
	Accept    []AcceptResult   `json:"accept,omitempty"`
	EndToEnd  []EndToEndResult `json:"endToEnd,omitempty"`
	ColdStart *ColdStartResult `json:"coldStart,omitempty"`
	Cost      *CostResult      `json:"cost,omitempty"`
}

// Machine says where the figures were measured.
type Machine struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"goVersion"`
	// LoadAverage is the 1-minute load average when the run started
	// (Linux), so a reader can tell a quiet machine from a busy one.
	LoadAverage float64 `json:"loadAverage"`
}

// Goal is a target a figure is held to, and whether the run met it.
type Goal struct {
	Want string `json:"want"`
	Met  bool   `json:"met"`
}

// Sample is one point of a rate over time, RunInstances calls per second
// over the second before At (seconds since the run's first call).
type Sample struct {
	At                 float64 `json:"at"`
	CallsPerSecond     float64 `json:"callsPerSecond"`
	SucceededPerSecond float64 `json:"succeededPerSecond"`
	ThrottledPerSecond float64 `json:"throttledPerSecond"`
}

// DesignRun is one design's launches against the rate-limited EC2, as the
// emulator saw them.
type DesignRun struct {
	Design   string `json:"design"`
	Launches int    `json:"launches"`
	// Calls counts every RunInstances call, Throttled those answered
	// RequestLimitExceeded, Succeeded those that launched.
	Calls     int64 `json:"calls"`
	Succeeded int64 `json:"succeeded"`
	Throttled int64 `json:"throttled"`
	// ThrottledShare is Throttled / Calls.
	ThrottledShare float64 `json:"throttledShare"`
	// AchievedPerSecond is the rate of successful calls after the first
	// burst (the bucket's Burst tokens): from the first call to the
	// last success, the calls past the burst over that time.
	AchievedPerSecond float64 `json:"achievedPerSecond"`
	// Utilisation is AchievedPerSecond / the limit.
	Utilisation float64 `json:"utilisation"`
	// AttemptedPerSecond is the rate of all calls after the first burst,
	// over the same time: what the design asked of EC2, throttled calls
	// included.
	AttemptedPerSecond float64 `json:"attemptedPerSecond"`
	// Seconds is from the first RunInstances call to the last success.
	Seconds float64 `json:"seconds"`
	// FailedRequests are requests that ended without instances: FAILED in
	// the pipeline, an error returned to the goroutine in the naive design.
	FailedRequests int `json:"failedRequests"`
	// DeadLetters counts messages in the dead-letter and unrouted queues
	// (the pipeline; the naive design has none: a failure is only logged).
	DeadLetters int `json:"deadLetters"`
	// Lost counts requests in no terminal state at the end.
	Lost int `json:"lost"`
	// OtherEC2Throttled counts other EC2 calls answered
	// RequestLimitExceeded (the watcher's DescribeInstances).
	OtherEC2Throttled int64 `json:"otherEC2Throttled"`
	// OtherEC2Calls counts the other EC2 calls, each action drawing on a
	// token bucket of its own, as on EC2.
	OtherEC2Calls int64    `json:"otherEC2Calls"`
	Series        []Sample `json:"series"`
}

// RateLimitResult is the rate-limit run: the pipeline and the naive
// design, each against a localcloud EC2 limited to LimitPerSecond calls
// per second with a bucket of Burst.
type RateLimitResult struct {
	LimitPerSecond      float64   `json:"limitPerSecond"`
	Burst               int       `json:"burst"`
	LauncherConcurrency int       `json:"launcherConcurrency"`
	Launches            int       `json:"launches"`
	SampleEveryMs       float64   `json:"sampleEveryMs"`
	Pipeline            DesignRun `json:"pipeline"`
	Naive               DesignRun `json:"naive"`
	UtilisationGoal     Goal      `json:"utilisationGoal"`
	ThrottledGoal       Goal      `json:"throttledGoal"`
	FailuresGoal        Goal      `json:"failuresGoal"`
}

// AcceptResult is POST /launches at a fixed rate against the local mode's
// API: how long each 202 took.
type AcceptResult struct {
	RatePerSecond float64 `json:"ratePerSecond"`
	Seconds       float64 `json:"seconds"`
	Storage       string  `json:"storage"`
	Sent          int     `json:"sent"`
	Accepted      int     `json:"accepted"`
	Errors        int     `json:"errors"`
	// ErrorKinds counts the errors by what came back: an HTTP status and
	// the answer's error code, or the transport's failure.
	ErrorKinds map[string]int `json:"errorKinds,omitempty"`
	P50Ms      float64        `json:"p50Ms"`
	P99Ms      float64        `json:"p99Ms"`
	MaxMs      float64        `json:"maxMs"`
	// AchievedPerSecond is how many POSTs were sent per second: below
	// RatePerSecond when the machine could not keep the schedule.
	AchievedPerSecond float64 `json:"achievedPerSecond"`
	LatencyGoal       Goal    `json:"latencyGoal"`
	ErrorsGoal        Goal    `json:"errorsGoal"`
}

// EndToEndResult is launches from POST to RUNNING through the whole local
// pipeline, with no boot delay and no EC2 limit.
type EndToEndResult struct {
	Storage           string  `json:"storage"`
	Launches          int     `json:"launches"`
	Callers           int     `json:"callers"`
	Seconds           float64 `json:"seconds"`
	LaunchesPerSecond float64 `json:"launchesPerSecond"`
	// PeakRSSBytes is the highest resident set of this process during the
	// run (pipeline, localcloud and callers together).
	PeakRSSBytes int64 `json:"peakRSSBytes"`
	// DataDirBytes is what the data directory held at the end (0 in
	// memory).
	DataDirBytes int64 `json:"dataDirBytes"`
	// HopMeansMs is the mean time between consecutive steps of the
	// requests' histories.
	HopMeansMs map[string]float64 `json:"hopMeansMs"`
	// CPU is where the process's CPU time went during the run, by layer,
	// largest first.
	CPU []CPUShare `json:"cpu"`
	// Usage is what the run asked of AWS, for the cost estimate.
	Usage Usage `json:"usage"`
}

// ColdStartResult is each function's bootstrap, and a bare handler built
// the same way, started cold under the RIE Runs times, interleaved.
type ColdStartResult struct {
	Runs      int           `json:"runs"`
	HostArch  string        `json:"hostArch"`
	Functions []FunctionRun `json:"functions"`
	// Bare is a bare aws-lambda-go handler (bench/testdata/bare).
	Bare FunctionRun `json:"bare"`
}

// FunctionRun is one bootstrap's sizes and cold starts.
type FunctionRun struct {
	Name      string `json:"name"`
	LogicalID string `json:"logicalId,omitempty"`
	MemoryMB  int    `json:"memoryMB"`
	// Sizes of the stripped bootstrap (-s -w, -trimpath, lambda.norpc),
	// for arm64 (deployed) and this machine's architecture (measured).
	SizeArm64Bytes int64 `json:"sizeArm64Bytes"`
	SizeHostBytes  int64 `json:"sizeHostBytes"`
	// InitMs are the cold starts' init durations, InitMedianMs their
	// median; DurationMedianMs the median of the first invocation.
	InitMs           []float64 `json:"initMs"`
	InitMedianMs     float64   `json:"initMedianMs"`
	DurationMedianMs float64   `json:"durationMedianMs"`
	// PeakRSSKiB is the median of the bootstrap's peak resident set.
	PeakRSSKiB int64 `json:"peakRSSKiB"`
	// PackageInitMedianMs is the median time the initialisation of the
	// bootstrap's Go packages took (GODEBUG=inittrace=1, outside the
	// RIE), SDKPackageInitMedianMs the part of it in the AWS SDK for Go
	// and smithy-go, and SlowestPackageInits the three slowest packages
	// of the last run.
	PackageInitMedianMs    float64       `json:"packageInitMedianMs"`
	SDKPackageInitMedianMs float64       `json:"sdkPackageInitMedianMs"`
	SlowestPackageInits    []PackageInit `json:"slowestPackageInits"`
}
