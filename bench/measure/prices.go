package measure

// AWS list prices in us-east-1 (N. Virginia), on-demand, beyond the free
// tiers, as published on the services' pricing pages in December 2026
// (aws.amazon.com/<service>/pricing). They are the only figures of the
// cost estimate not measured by the run; update them, and PricesAsOf,
// together.
const PricesAsOf = "2026-12, us-east-1 list prices"

const (
	// Amazon SNS, standard topics: per million API requests; each 64 KB
	// chunk of a request's payload is billed as one request. Deliveries
	// to SQS queues are not charged.
	snsPerMillionRequests = 0.50
	// Amazon SQS, standard queues: per million requests (after the
	// first million free); each 64 KB chunk of a request's payload is
	// billed as one request, and a batch of up to 10 messages is one
	// request.
	sqsPerMillionRequests = 0.40
	// AWS Lambda on arm64 (Graviton): per GB-second of duration (the
	// first tier, 7.5 billion GB-seconds a month) and per million
	// requests. Duration is billed rounded up to the millisecond, and an
	// OS-only runtime (provided.al2023) bills a cold start's init too.
	lambdaArmPerGBSecond     = 0.0000133334
	lambdaPerMillionRequests = 0.20
	// Amazon DynamoDB on-demand, standard table class: per million write
	// request units (one write of up to 1 KB) and per million read
	// request units (one strongly consistent read of up to 4 KB).
	dynamoPerMillionWRU = 0.625
	dynamoPerMillionRRU = 0.125
	// Amazon API Gateway HTTP APIs: per million requests (first 300
	// million a month), each 512 KB of a request or answer billed as one.
	httpAPIPerMillionRequests = 1.00
	// Amazon CloudWatch Logs, standard log class: per GB ingested, the
	// functions' log lines and Lambda's START, END and REPORT lines.
	logsPerGBIngested = 0.50
)

// Sizes the prices above are billed by.
const (
	billingChunkBytes   = 64 * 1024 // SNS and SQS payload chunk
	dynamoWriteUnitSize = 1024      // bytes per write request unit
	dynamoReadUnitSize  = 4096      // bytes per strongly consistent read request unit
	bytesPerGB          = 1 << 30
)

// The event source mappings' idle polling, as AWS documents it
// ("Configuring scaling behavior for SQS event source mappings", AWS
// Lambda Developer Guide): Lambda long-polls a standard queue until
// messages arrive, with five concurrent pollers when traffic is low (it
// may drop to two, but not when ScalingConfig.MaximumConcurrency is set,
// as on the launcher's), each ReceiveMessage waiting up to 20 s, the
// longest SQS allows. The estimate assumes five pollers on every mapping,
// each making three empty receives a minute, around the clock: an upper
// bound that holds whatever the traffic.
const (
	idlePollersPerMapping = 5
	idleReceivesPerMinute = 60 / 20
	minutesPerMonth       = 30 * 24 * 60
)
