package status

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits and defaults of the store, which its callers may rely on.
const (
	// MaxCreate is the most requests one Create call records: a bulk POST
	// carries at most 100 items and a DynamoDB transaction holds at most
	// 100 writes.
	MaxCreate = 100
	// DefaultRequestTTL is how long a request is kept when Request.ExpiresAt
	// is zero.
	DefaultRequestTTL = 30 * 24 * time.Hour
	// ClaimTTL is how long an Idempotency-Key claim lives when
	// Claim.ExpiresAt is zero.
	ClaimTTL = 24 * time.Hour
	// MaxHops bounds a request's hops, so a request stuck in retries
	// cannot outgrow a DynamoDB item (400 KB): the oldest go first.
	MaxHops = 50
	// maxHopReason bounds a hop's reason; error texts can be long.
	maxHopReason = 512
)

// ErrInvalid marks input a Store refuses before writing anything (empty id,
// unknown status, too many requests); it is a caller bug, not a conflict.
var ErrInvalid = errors.New("invalid status store input")

// prepareRequests validates the requests of one Create call and fills in
// their defaults. Times are stored in UTC, and ExpiresAt in whole seconds
// because the DynamoDB TTL attribute holds epoch seconds.
func prepareRequests(reqs []Request, now time.Time) ([]Request, error) {
	if len(reqs) > MaxCreate {
		return nil, fmt.Errorf("create %d requests (at most %d): %w", len(reqs), MaxCreate, ErrInvalid)
	}
	seen := make(map[string]bool, len(reqs))
	out := make([]Request, len(reqs))
	for i, r := range reqs {
		if r.ID == "" {
			return nil, fmt.Errorf("create request %d: empty id: %w", i, ErrInvalid)
		}
		if seen[r.ID] {
			return nil, fmt.Errorf("create request %s: id given twice: %w", r.ID, ErrInvalid)
		}
		seen[r.ID] = true
		if r.Status != "" && r.Status != Pending {
			return nil, fmt.Errorf("create request %s in %q: new requests start %s: %w", r.ID, r.Status, Pending, ErrInvalid)
		}
		r.Status = Pending
		if r.CreatedAt.IsZero() {
			r.CreatedAt = now
		}
		r.CreatedAt = r.CreatedAt.UTC()
		if r.UpdatedAt.IsZero() {
			r.UpdatedAt = r.CreatedAt
		}
		r.UpdatedAt = r.UpdatedAt.UTC()
		if r.ExpiresAt.IsZero() {
			r.ExpiresAt = r.CreatedAt.Add(DefaultRequestTTL)
		}
		r.ExpiresAt = r.ExpiresAt.UTC().Truncate(time.Second)
		r.InstanceIDs = append([]string{}, r.InstanceIDs...)
		r.Hops = []Hop{}
		r.History = make([]HistoryEntry, len(r.History))
		for j, h := range reqs[i].History {
			r.History[j] = HistoryEntry{Event: h.Event, At: h.At.UTC(), Status: h.Status}
		}
		if r.Error != nil {
			e := *r.Error
			r.Error = &e
		}
		if len(r.Event) == 0 {
			r.Event = nil
		} else {
			r.Event = append([]byte(nil), r.Event...)
		}
		out[i] = r
	}
	return out, nil
}

// prepareTransition validates t and fills in its time.
func prepareTransition(id string, t Transition, now time.Time) (Transition, error) {
	if id == "" {
		return t, fmt.Errorf("advance: empty id: %w", ErrInvalid)
	}
	if !t.To.Valid() {
		return t, fmt.Errorf("advance %s to %q: unknown status: %w", id, t.To, ErrInvalid)
	}
	if t.At.IsZero() {
		t.At = now
	}
	t.At = t.At.UTC()
	return t, nil
}

// prepareHop validates h and fills in its time.
func prepareHop(id string, h Hop, now time.Time) (Hop, error) {
	if id == "" || h.Function == "" || h.EventID == "" || h.Outcome == "" {
		return h, fmt.Errorf("record hop of request %q: id, function, event id and outcome are required: %w", id, ErrInvalid)
	}
	if h.At.IsZero() {
		h.At = now
	}
	h.At = h.At.UTC()
	if !h.QueuedAt.IsZero() {
		h.QueuedAt = h.QueuedAt.UTC()
	}
	if len(h.Reason) > maxHopReason {
		h.Reason = strings.ToValidUTF8(h.Reason[:maxHopReason], "") + "…"
	}
	return h, nil
}

// lateEntry reports whether t, refused because r is already at or past
// t.To, must still be recorded in r's history. Writes from different
// functions arrive in any order: the API marks a request ACCEPTED after its
// publish returns, and by then the launcher may have moved it to LAUNCHING.
// The status rightly stays LAUNCHING, but launch.requested did happen, so a
// transition to an earlier stage adds its event once (nothing else of it).
// A refused transition to the same stage or a later one is a redelivery or
// a losing terminal event: it records nothing.
func lateEntry(r Request, t Transition) bool {
	if t.To.Rank() >= r.Status.Rank() {
		return false
	}
	return !slices.ContainsFunc(r.History, func(h HistoryEntry) bool { return h.Event == t.Event })
}

// historyOrder is time order; entries of the same instant (clocks are
// coarse on some machines) follow the chain's stages.
func historyOrder(a, b HistoryEntry) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return cmp.Compare(a.Status.Rank(), b.Status.Rank())
}

// entry is the history entry a transition records.
func (t Transition) entry() HistoryEntry {
	return HistoryEntry{Event: t.Event, At: t.At, Status: t.To}
}

// prepareClaim validates c, fills in its defaults and returns the instant
// against which an existing claim's expiry is judged: the claim's own
// CreatedAt, so that callers with an injected clock get consistent answers.
func prepareClaim(c Claim, now time.Time) (Claim, time.Time, error) {
	if c.Scope == "" || c.Key == "" {
		return c, time.Time{}, fmt.Errorf("claim key: scope and key are required: %w", ErrInvalid)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	c.CreatedAt = c.CreatedAt.UTC()
	if c.ExpiresAt.IsZero() {
		c.ExpiresAt = c.CreatedAt.Add(ClaimTTL)
	}
	c.ExpiresAt = c.ExpiresAt.UTC().Truncate(time.Second)
	c.RequestIDs = append([]string{}, c.RequestIDs...)
	return c, c.CreatedAt, nil
}

// maxPlainClaimKey bounds the readable form of a claim's storage key;
// longer ones are hashed (a DynamoDB partition key holds at most 2048 bytes).
const maxPlainClaimKey = 512

// claimStorageKey names the stored claim for (scope, key). The readable
// form key#<scope>#<key> is used only when the scope holds no '#', so two
// different pairs never share a name; otherwise the pair is hashed. A
// hashed name has a single '#', a readable one at least two, so the two
// forms never collide either.
func claimStorageKey(scope, key string) string {
	if !strings.Contains(scope, "#") && len(scope)+len(key) <= maxPlainClaimKey {
		return "key#" + scope + "#" + key
	}
	// The scope's length prefixes it, so no two pairs hash the same input.
	sum := sha256.Sum256([]byte(strconv.Itoa(len(scope)) + ":" + scope + key))
	return "key#sha256:" + hex.EncodeToString(sum[:])
}

// tidyRequest gives a request read back from storage the shape callers
// get: UTC times, non-nil slices, nil Event when empty, entries in order.
func tidyRequest(r Request) Request {
	r.CreatedAt = r.CreatedAt.UTC()
	r.UpdatedAt = r.UpdatedAt.UTC()
	r.ExpiresAt = r.ExpiresAt.UTC()
	if r.InstanceIDs == nil {
		r.InstanceIDs = []string{}
	}
	if r.History == nil {
		r.History = []HistoryEntry{}
	}
	for i := range r.History {
		r.History[i].At = r.History[i].At.UTC()
	}
	// A store that can only append (DynamoDB's list_append) keeps entries
	// in the order their writes arrived; readers get them in time order.
	slices.SortStableFunc(r.History, historyOrder)
	if r.Hops == nil {
		r.Hops = []Hop{}
	}
	for i := range r.Hops {
		r.Hops[i].At = r.Hops[i].At.UTC()
		if r.Hops[i].QueuedAt.IsZero() {
			r.Hops[i].QueuedAt = time.Time{}
		} else {
			r.Hops[i].QueuedAt = r.Hops[i].QueuedAt.UTC()
		}
	}
	slices.SortStableFunc(r.Hops, func(a, b Hop) int { return a.At.Compare(b.At) })
	if len(r.Event) == 0 {
		r.Event = nil
	}
	return r
}

// tidyClaim does the same for a claim.
func tidyClaim(c Claim) Claim {
	c.CreatedAt = c.CreatedAt.UTC()
	c.ExpiresAt = c.ExpiresAt.UTC()
	if c.RequestIDs == nil {
		c.RequestIDs = []string{}
	}
	return c
}
