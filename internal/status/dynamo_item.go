package status

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// requestItem is a request as the table stores it. The layout is the
// table's contract: the partition key, the numeric rank that conditional
// writes compare, and the TTL attribute in epoch seconds are not fields of
// Request. Times keep nanoseconds (RFC 3339 strings), so history order and
// UpdatedAt survive a round trip exactly.
type requestItem struct {
	PK            string         `dynamodbav:"pk"`
	ID            string         `dynamodbav:"id"`
	Status        Status         `dynamodbav:"status"`
	Rank          int            `dynamodbav:"rank"`
	CorrelationID string         `dynamodbav:"correlationId"`
	Caller        string         `dynamodbav:"caller,omitempty"`
	InstanceIDs   []string       `dynamodbav:"instanceIds"` // a list: a set cannot be empty and does not keep order
	Error         *Failure       `dynamodbav:"error,omitempty"`
	History       []HistoryEntry `dynamodbav:"history"` // a list, even empty: Advance appends to it
	Notified      bool           `dynamodbav:"notified"`
	Event         []byte         `dynamodbav:"event,omitempty"`
	CreatedAt     time.Time      `dynamodbav:"createdAt"`
	UpdatedAt     time.Time      `dynamodbav:"updatedAt"`
	ExpiresAt     time.Time      `dynamodbav:"expiresAt,unixtime"`
	Owner         string         `dynamodbav:"owner"`   // partition key of IndexByOwner
	ListKey       string         `dynamodbav:"listKey"` // sort key of IndexByOwner
	// Hops is a map by hopKey, so that recording a hop is one idempotent
	// SET of one path, with no read first.
	Hops map[string]Hop `dynamodbav:"hops"`
}

// claimItem is an Idempotency-Key claim as the table stores it.
type claimItem struct {
	PK         string    `dynamodbav:"pk"`
	Scope      string    `dynamodbav:"scope"`
	Key        string    `dynamodbav:"key"`
	BodyHash   string    `dynamodbav:"bodyHash"`
	RequestIDs []string  `dynamodbav:"requestIds"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
	ExpiresAt  time.Time `dynamodbav:"expiresAt,unixtime"`
}

func pkKey(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: &types.AttributeValueMemberS{Value: pk}}
}

func encodeRequest(r Request) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(requestItem{
		PK: requestPK(r.ID), ID: r.ID, Status: r.Status, Rank: r.Status.Rank(),
		CorrelationID: r.CorrelationID, Caller: r.Caller,
		InstanceIDs: nonNil(r.InstanceIDs), Error: r.Error, History: nonNil(r.History),
		Notified: r.Notified, Event: r.Event,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), ExpiresAt: r.ExpiresAt,
		Owner: ownerKey(r.Caller), ListKey: listKey(r), Hops: hopMap(r.Hops),
	})
	if err != nil {
		return nil, fmt.Errorf("encode request %s: %w", r.ID, err)
	}
	return item, nil
}

func decodeRequest(item map[string]types.AttributeValue) (Request, error) {
	var it requestItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return Request{}, err
	}
	if !it.Status.Valid() {
		return Request{}, fmt.Errorf("attribute %s: unknown status %q", attrStatus, it.Status)
	}
	return tidyRequest(Request{
		ID: it.ID, Status: it.Status, CorrelationID: it.CorrelationID, Caller: it.Caller,
		InstanceIDs: it.InstanceIDs, Error: it.Error, History: it.History, Notified: it.Notified,
		Event: it.Event, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, ExpiresAt: it.ExpiresAt,
		Hops: slices.Collect(maps.Values(it.Hops)), // tidyRequest orders them
	}), nil
}

func encodeClaim(pk string, c Claim) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(claimItem{
		PK: pk, Scope: c.Scope, Key: c.Key, BodyHash: c.BodyHash,
		RequestIDs: nonNil(c.RequestIDs), CreatedAt: c.CreatedAt.UTC(), ExpiresAt: c.ExpiresAt,
	})
	if err != nil {
		return nil, fmt.Errorf("encode claim %s: %w", pk, err)
	}
	return item, nil
}

func decodeClaim(item map[string]types.AttributeValue) (Claim, error) {
	var it claimItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return Claim{}, err
	}
	return tidyClaim(Claim{
		Scope: it.Scope, Key: it.Key, BodyHash: it.BodyHash, RequestIDs: it.RequestIDs,
		CreatedAt: it.CreatedAt, ExpiresAt: it.ExpiresAt,
	}), nil
}

// hopMap keys hops as the item stores them; never nil, since a hop is
// recorded by setting a path inside this map, which must exist.
func hopMap(hops []Hop) map[string]Hop {
	m := make(map[string]Hop, len(hops))
	for _, h := range hops {
		m[hopKey(h)] = h
	}
	return m
}

// mustAttr is one expression attribute value in the items' encoding.
// Every type passed here (strings, numbers, times, the item structs and
// slices of them) marshals without error, so a failure is a programming
// mistake worth a panic, not an error path every write must carry.
func mustAttr(v any) types.AttributeValue {
	av, err := attributevalue.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("status: marshal %T: %v", v, err))
	}
	return av
}

func numberAttr(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// nonNil keeps an empty slice a list: attributevalue stores a nil slice
// as NULL, to which list_append cannot append.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
