package status

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Status of a launch request. It only moves forward:
// PENDING → ACCEPTED → LAUNCHING → RUNNING | FAILED.
type Status string

const (
	Pending   Status = "PENDING"
	Accepted  Status = "ACCEPTED"
	Launching Status = "LAUNCHING"
	Running   Status = "RUNNING"
	Failed    Status = "FAILED"
)

// Rank orders statuses; a transition is accepted only to a higher rank.
// RUNNING and FAILED share the terminal rank, so the first terminal event wins.
func (s Status) Rank() int {
	switch s {
	case Pending:
		return 0
	case Accepted:
		return 1
	case Launching:
		return 2
	case Running, Failed:
		return 3
	}
	return -1
}

// Terminal reports whether no transition can follow s.
func (s Status) Terminal() bool { return s == Running || s == Failed }

// Valid reports whether s is one of the five statuses.
func (s Status) Valid() bool { return s.Rank() >= 0 }

// Errors a Store returns; callers test them with errors.Is.
var (
	ErrNotFound = errors.New("launch request not found")
	ErrExists   = errors.New("launch request already exists")
	// ErrNotForward means the transition was refused because the request is
	// already at or past the target status: under redelivery this is the
	// expected, harmless outcome.
	ErrNotForward = errors.New("status does not move forward")
)

// Failure is the error recorded on a FAILED request.
type Failure struct {
	Code    string `json:"code" dynamodbav:"code"`
	Message string `json:"message" dynamodbav:"message"`
}

// HistoryEntry records one status change: the event that made it and the
// status it moved the request to (or, for an entry recorded late, the
// status it would have moved it to; see Store.Advance).
type HistoryEntry struct {
	Event  string    `json:"event" dynamodbav:"event"`
	At     time.Time `json:"at" dynamodbav:"at"`
	Status Status    `json:"status,omitempty" dynamodbav:"status,omitempty"`
}

// Outcome is how a function's handling of one event ended.
type Outcome string

// Outcomes of a Hop.
const (
	OutcomeOK Outcome = "ok"
	// OutcomeRetry: the record goes back to its queue (a transient error,
	// or instances still pending) and will be received again.
	OutcomeRetry Outcome = "retry"
	// OutcomeFailed: the handling failed in a way SQS redelivers (an
	// unexpected error or a panic); its redrive policy dead-letters the
	// record after maxReceiveCount receives.
	OutcomeFailed Outcome = "failed"
	// OutcomeDeadLettered: the function sent the record to its DLQ.
	OutcomeDeadLettered Outcome = "dead_lettered"
)

// Hop is one handling of one event by one function: what a person
// following a request wants to see beside its status changes — retries
// and their reasons, which function did what, and how long it took.
type Hop struct {
	Function     string        `json:"function" dynamodbav:"function"`
	Event        string        `json:"event" dynamodbav:"event"`
	EventID      string        `json:"eventId" dynamodbav:"eventId"`
	ReceiveCount int           `json:"receiveCount" dynamodbav:"receiveCount"`
	Outcome      Outcome       `json:"outcome" dynamodbav:"outcome"`
	Code         string        `json:"code,omitempty" dynamodbav:"code,omitempty"`
	Reason       string        `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
	Duration     time.Duration `json:"durationNs" dynamodbav:"durationNs"`
	// At is when the handling ended.
	At time.Time `json:"at" dynamodbav:"at"`
	// QueuedAt is when the record was first received from its queue, for
	// the time it waited there (zero when unknown).
	QueuedAt time.Time `json:"queuedAt,omitzero" dynamodbav:"queuedAt,omitempty"`
	// RetryIn, on a retry, is when the record becomes visible again
	// (zero: after its queue's visibility timeout).
	RetryIn time.Duration `json:"retryInNs,omitempty" dynamodbav:"retryInNs,omitempty"`
}

// hopKey identifies a hop: a batch redelivered after a crash records the
// same handling again, and must not show it twice.
func hopKey(h Hop) string {
	return h.Function + "#" + h.EventID + "#" + strconv.Itoa(h.ReceiveCount)
}

// Request is the stored state of one launch request.
type Request struct {
	ID            string         `json:"requestId"`
	Status        Status         `json:"status"`
	CorrelationID string         `json:"correlationId"`
	Caller        string         `json:"caller,omitempty"`
	InstanceIDs   []string       `json:"instanceIds"`
	Error         *Failure       `json:"error,omitempty"`
	History       []HistoryEntry `json:"history"`
	// Hops are the latest handlings of the request's events by the
	// functions (at most MaxHops), in time order.
	Hops []Hop `json:"hops"`
	// Notified is set once the user notification for the terminal status
	// was published, so a redelivered terminal event does not notify twice.
	Notified bool `json:"notified,omitempty"`
	// Event is the launch.requested envelope as first published, kept so an
	// Idempotency-Key retry republishes exactly the same event.
	Event     []byte    `json:"event,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// ExpiresAt drives the DynamoDB TTL; zero means DefaultRequestTTL
	// after CreatedAt. It is kept in whole seconds (epoch seconds in the TTL
	// attribute); DynamoDB deletes expired requests eventually.
	ExpiresAt time.Time `json:"expiresAt"`
}

// Transition is a forward move of a request's status.
type Transition struct {
	To    Status
	Event string // event type appended to the history
	At    time.Time
	// InstanceIDs, when set, replaces the request's instance ids.
	InstanceIDs []string
	// Error, when set, is recorded (with To == Failed).
	Error *Failure
}

// Claim binds an Idempotency-Key (scoped to the caller) to the hash of the
// request body and the request ids it produced.
type Claim struct {
	Scope      string    // caller identity
	Key        string    // Idempotency-Key header
	BodyHash   string    // hex SHA-256 of the canonical request body
	RequestIDs []string  // one per launch (bulk requests have several)
	CreatedAt  time.Time // the claimant's clock; zero means now
	// ExpiresAt ends the claim (whole seconds); zero means ClaimTTL after
	// CreatedAt. A claim is replaced once its ExpiresAt is before the
	// CreatedAt of a new claimant.
	ExpiresAt time.Time
}

// Store is the status store. Implementations are safe for concurrent use
// by many goroutines and many processes (DynamoDB) and use conditional
// writes, never read-modify-write races.
type Store interface {
	// Create records new requests in PENDING, all or none. It fails with
	// ErrExists if any id is already recorded, and with ErrInvalid for an
	// empty id, an id given twice, a status other than PENDING or more than
	// MaxCreate requests. Zero CreatedAt, UpdatedAt and ExpiresAt get
	// defaults.
	Create(ctx context.Context, reqs ...Request) error
	// Get returns a request or ErrNotFound.
	Get(ctx context.Context, id string) (Request, error)
	// Advance moves a request forward and records t.Event in its history,
	// which is kept in time order. It returns the updated request,
	// ErrNotFound, or ErrNotForward with the current request when it is
	// already at or past t.To. A refused transition changes nothing, except
	// that one to an earlier stage whose event the history lacks still
	// records that event: writes from different functions may arrive in any
	// order, and none may be lost. A zero t.At means now; an unknown t.To is
	// ErrInvalid.
	Advance(ctx context.Context, id string, t Transition) (Request, error)
	// MarkNotified records that the terminal notification was published.
	// It is idempotent.
	MarkNotified(ctx context.Context, id string) error
	// List returns a page of requests, newest first, optionally of one
	// status, and a token for the next page. A bad query or token is
	// ErrInvalid. Requests created or moved while a caller pages may be
	// missed, never repeated.
	List(ctx context.Context, q ListQuery) (ListPage, error)
	// RecordHop adds h to the request's hops, replacing a hop of the same
	// function, event id and receive count, and drops the oldest beyond
	// MaxHops. It returns ErrNotFound for an unknown request and ErrInvalid
	// for a hop without function, event id or outcome.
	RecordHop(ctx context.Context, id string, h Hop) error
	// ClaimKey stores c unless a live claim for (Scope, Key) exists; it then
	// returns the existing claim and won == false. Among concurrent
	// claimants exactly one wins.
	ClaimKey(ctx context.Context, c Claim) (existing Claim, won bool, err error)
}
