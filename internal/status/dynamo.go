package status

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/eventchain/eventchain/internal/awsenv"
)

var _ Store = (*Dynamo)(nil)

// TableEnv names the setting that holds the DynamoDB table name.
const TableEnv = "STATUS_TABLE"

// DynamoAPI is the part of the DynamoDB client the store uses.
type DynamoAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// IndexByOwner names the table's global secondary index that List
// queries: partition key "owner" (the caller), sort key "listKey"
// (creation time, then id), every attribute projected. Only request items
// have both keys, so Idempotency-Key claims stay out of it.
const IndexByOwner = "ByOwner"

// Dynamo is the Store on a DynamoDB table whose only key is the string
// partition key "pk" and whose TTL attribute is "expiresAt" (epoch
// seconds); CreateTable makes one. Every write is conditional, so many
// functions in many processes can share the table.
type Dynamo struct {
	client DynamoAPI
	table  string
	now    func() time.Time
}

// NewDynamo returns a store on table through client.
func NewDynamo(client DynamoAPI, table string) *Dynamo {
	return &Dynamo{client: client, table: table, now: time.Now}
}

// NewDynamoFromEnv builds the client from the lookup (awsenv.Load, which
// points it at the emulator when one is set) and reads the table name from
// STATUS_TABLE.
func NewDynamoFromEnv(ctx context.Context, lookup awsenv.Lookup) (*Dynamo, error) {
	table, err := awsenv.Required(lookup, TableEnv)
	if err != nil {
		return nil, fmt.Errorf("status store: %w", err)
	}
	cfg, err := awsenv.Load(ctx, lookup)
	if err != nil {
		return nil, fmt.Errorf("status store: %w", err)
	}
	client := dynamodb.NewFromConfig(cfg.AWS)
	return NewDynamo(client, table), nil
}

// Attribute names that update and condition expressions name; the item
// layout itself is the tagged requestItem and claimItem.
const (
	attrPK          = "pk"
	attrStatus      = "status"
	attrRank        = "rank"
	attrInstanceIDs = "instanceIds"
	attrError       = "error"
	attrHistory     = "history"
	attrNotified    = "notified"
	attrUpdatedAt   = "updatedAt"
	attrExpiresAt   = "expiresAt"
	attrListKey     = "listKey"
	attrOwner       = "owner"
	attrHops        = "hops"
)

func requestPK(id string) string { return "req#" + id }

// maxConflictRetries bounds retries of a transaction cancelled only
// because another transaction touched the same items at the same time
// (TransactionConflict): the retry then meets the other's outcome.
const maxConflictRetries = 5

// Create records new requests in PENDING, all or none. One request is a
// conditional PutItem; several are one TransactWriteItems of conditional
// Puts (at most MaxCreate), which DynamoDB applies all or none.
func (d *Dynamo) Create(ctx context.Context, reqs ...Request) error {
	prepared, err := prepareRequests(reqs, d.now())
	if err != nil {
		return err
	}
	switch len(prepared) {
	case 0:
		return nil
	case 1:
		r := prepared[0]
		item, err := encodeRequest(r)
		if err != nil {
			return err
		}
		_, err = d.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:           aws.String(d.table),
			Item:                item,
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return fmt.Errorf("create request %s: %w", r.ID, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("create request %s: %w", r.ID, err)
		}
		return nil
	}
	items := make([]types.TransactWriteItem, len(prepared))
	for i, r := range prepared {
		item, err := encodeRequest(r)
		if err != nil {
			return err
		}
		items[i] = types.TransactWriteItem{Put: &types.Put{
			TableName:           aws.String(d.table),
			Item:                item,
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}}
	}
	for attempt := 0; ; attempt++ {
		_, err := d.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return nil
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			return fmt.Errorf("create %d requests: %w", len(prepared), err)
		}
		conflict := false
		for i, reason := range tce.CancellationReasons {
			switch aws.ToString(reason.Code) {
			case "ConditionalCheckFailed":
				return fmt.Errorf("create request %s: %w", prepared[i].ID, ErrExists)
			case "TransactionConflict":
				conflict = true
			}
		}
		if !conflict || attempt >= maxConflictRetries {
			return fmt.Errorf("create %d requests: %w", len(prepared), err)
		}
		if err := sleep(ctx, time.Duration(attempt+1)*20*time.Millisecond); err != nil {
			return fmt.Errorf("create %d requests: %w", len(prepared), err)
		}
	}
}

// Get returns a request (strongly consistent read) or ErrNotFound.
func (d *Dynamo) Get(ctx context.Context, id string) (Request, error) {
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(d.table),
		Key:            pkKey(requestPK(id)),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Request{}, fmt.Errorf("get request %s: %w", id, err)
	}
	if len(out.Item) == 0 {
		return Request{}, fmt.Errorf("request %s: %w", id, ErrNotFound)
	}
	r, err := decodeRequest(out.Item)
	if err != nil {
		return Request{}, fmt.Errorf("decode request %s: %w", id, err)
	}
	return r, nil
}

// Advance is one UpdateItem conditioned on the stored rank being lower than
// the target's; when the condition fails, the item as it was comes back
// with the error (ALL_OLD) and tells ErrNotForward from ErrNotFound, and a
// late entry for an earlier stage takes a second write (recordLate).
func (d *Dynamo) Advance(ctx context.Context, id string, t Transition) (Request, error) {
	t, err := prepareTransition(id, t, d.now())
	if err != nil {
		return Request{}, err
	}
	names := map[string]string{
		"#st": attrStatus, "#rk": attrRank, "#ua": attrUpdatedAt, "#hi": attrHistory,
	}
	values := map[string]types.AttributeValue{
		":to":   &types.AttributeValueMemberS{Value: string(t.To)},
		":rank": numberAttr(int64(t.To.Rank())),
		":at":   mustAttr(t.At),
		":h":    mustAttr([]HistoryEntry{t.entry()}),
	}
	update := "SET #st = :to, #rk = :rank, #ua = :at, #hi = list_append(#hi, :h)"
	if len(t.InstanceIDs) > 0 {
		names["#ids"] = attrInstanceIDs
		values[":ids"] = mustAttr(t.InstanceIDs)
		update += ", #ids = :ids"
	}
	if t.Error != nil {
		names["#er"] = attrError
		values[":er"] = mustAttr(*t.Error)
		update += ", #er = :er"
	}
	out, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(d.table),
		Key:                                 pkKey(requestPK(id)),
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String("attribute_exists(pk) AND #rk < :rank"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		cur, err := d.refusedState(ctx, id, ccf)
		if err != nil {
			return Request{}, err
		}
		return d.recordLate(ctx, id, cur, t)
	}
	if err != nil {
		return Request{}, fmt.Errorf("advance request %s to %s: %w", id, t.To, err)
	}
	r, err := decodeRequest(out.Attributes)
	if err != nil {
		return Request{}, fmt.Errorf("decode request %s: %w", id, err)
	}
	return r, nil
}

// refusedState is the request as it was when a conditional write on it
// failed: the item returned with the failure (ALL_OLD), or ErrNotFound.
func (d *Dynamo) refusedState(ctx context.Context, id string, ccf *types.ConditionalCheckFailedException) (Request, error) {
	if len(ccf.Item) == 0 {
		// An emulator that ignores ReturnValuesOnConditionCheckFailure
		// still gets a correct answer, at the price of one read.
		return d.Get(ctx, id)
	}
	cur, err := decodeRequest(ccf.Item)
	if err != nil {
		return Request{}, fmt.Errorf("decode request %s: %w", id, err)
	}
	return cur, nil
}

// recordLate answers a refused transition: ErrNotForward with the current
// request, after appending the event to the history when lateEntry says it
// belongs there. The append is conditioned on the history's length being
// the one just read, so of two concurrent late writers of the same event
// only one appends; the other reads again and finds the event recorded.
func (d *Dynamo) recordLate(ctx context.Context, id string, cur Request, t Transition) (Request, error) {
	for attempt := 0; ; attempt++ {
		refused := fmt.Errorf("advance request %s from %s to %s: %w", id, cur.Status, t.To, ErrNotForward)
		if !lateEntry(cur, t) {
			return cur, refused
		}
		out, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           aws.String(d.table),
			Key:                                 pkKey(requestPK(id)),
			UpdateExpression:                    aws.String("SET #hi = list_append(#hi, :h)"),
			ConditionExpression:                 aws.String("attribute_exists(pk) AND size(#hi) = :n"),
			ExpressionAttributeNames:            map[string]string{"#hi": attrHistory},
			ExpressionAttributeValues:           map[string]types.AttributeValue{":h": mustAttr([]HistoryEntry{t.entry()}), ":n": numberAttr(int64(len(cur.History)))},
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			r, err := decodeRequest(out.Attributes)
			if err != nil {
				return Request{}, fmt.Errorf("decode request %s: %w", id, err)
			}
			return r, refused
		case !errors.As(err, &ccf):
			return Request{}, fmt.Errorf("record late %s of request %s: %w", t.Event, id, err)
		case attempt >= maxConflictRetries:
			return Request{}, fmt.Errorf("record late %s of request %s: history kept changing: %w", t.Event, id, err)
		}
		if cur, err = d.refusedState(ctx, id, ccf); err != nil {
			return Request{}, err
		}
	}
}

// List queries the caller's partition of the ByOwner index, newest first,
// filtering by status. DynamoDB applies Limit before the filter, so it
// reads on until the page is full, at most maxListReads items, and then
// returns what it has with a token to go on. The index is eventually
// consistent, as a listing may be; Get reads a request exactly.
func (d *Dynamo) List(ctx context.Context, q ListQuery) (ListPage, error) {
	q, after, err := prepareList(q)
	if err != nil {
		return ListPage{}, err
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(d.table),
		IndexName:                 aws.String(IndexByOwner),
		KeyConditionExpression:    aws.String("#ow = :ow"),
		ExpressionAttributeNames:  map[string]string{"#ow": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":ow": &types.AttributeValueMemberS{Value: ownerKey(q.Caller)}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(q.Limit + 1)), // one more tells whether a next page exists
	}
	if after != "" {
		in.KeyConditionExpression = aws.String("#ow = :ow AND #lk < :after")
		in.ExpressionAttributeNames["#lk"] = attrListKey
		in.ExpressionAttributeValues[":after"] = &types.AttributeValueMemberS{Value: after}
	}
	if q.Status != "" {
		in.FilterExpression = aws.String("#st = :st")
		in.ExpressionAttributeNames["#st"] = attrStatus
		in.ExpressionAttributeValues[":st"] = &types.AttributeValueMemberS{Value: string(q.Status)}
	}
	var page []Request
	for read := 0; ; {
		out, err := d.client.Query(ctx, in)
		if err != nil {
			return ListPage{}, fmt.Errorf("list requests: %w", err)
		}
		for _, item := range out.Items {
			r, err := decodeRequest(item)
			if err != nil {
				return ListPage{}, fmt.Errorf("list requests: %w", err)
			}
			page = append(page, r)
		}
		read += int(out.ScannedCount)
		switch {
		case len(page) > q.Limit || len(out.LastEvaluatedKey) == 0:
			return cutPage(page, q, false), nil
		case read >= maxListReads:
			// Go on after the last item read, whether or not it matched.
			p := cutPage(page, q, false)
			var last requestItem
			if err := attributevalue.UnmarshalMap(out.LastEvaluatedKey, &last); err != nil {
				return ListPage{}, fmt.Errorf("list requests: %w", err)
			}
			p.Next = pageToken(last.ListKey)
			return p, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// maxListReads bounds the index items one List reads when a status filter
// matches few of them.
const maxListReads = 1000

// RecordHop sets one path of the hops map (idempotent: the same hop
// twice is one hop). Every handled record passes this way, so the usual
// case is one write that answers nothing: it applies while the map has
// room. When it does not (the request is unknown, or its hops are at
// MaxHops), recordHopAndTrim sets the hop and removes the oldest.
func (d *Dynamo) RecordHop(ctx context.Context, id string, h Hop) error {
	h, err := prepareHop(id, h, d.now())
	if err != nil {
		return err
	}
	_, err = d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(d.table),
		Key:                      pkKey(requestPK(id)),
		UpdateExpression:         aws.String("SET #hops.#k = :h"),
		ConditionExpression:      aws.String("attribute_exists(pk) AND size(#hops) < :max"),
		ExpressionAttributeNames: map[string]string{"#hops": attrHops, "#k": hopKey(h)},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h": mustAttr(h), ":max": &types.AttributeValueMemberN{Value: strconv.Itoa(MaxHops)},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ccf):
		return d.recordHopAndTrim(ctx, id, h)
	}
	return fmt.Errorf("record hop of request %s: %w", id, err)
}

// recordHopAndTrim sets the hop, then, when the map holds more than
// MaxHops, removes the oldest. Trimming is unconditional: a concurrent
// writer's trim, or a hop already gone, makes it a harmless no-op.
func (d *Dynamo) recordHopAndTrim(ctx context.Context, id string, h Hop) error {
	out, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.table),
		Key:                       pkKey(requestPK(id)),
		UpdateExpression:          aws.String("SET #hops.#k = :h"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#hops": attrHops, "#k": hopKey(h)},
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": mustAttr(h)},
		ReturnValues:              types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("record hop of request %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("record hop of request %s: %w", id, err)
	}
	stored, ok := out.Attributes[attrHops].(*types.AttributeValueMemberM)
	if !ok {
		return fmt.Errorf("decode request %s: attribute %s is not a map", id, attrHops)
	}
	if len(stored.Value) <= MaxHops {
		return nil
	}
	var byKey map[string]Hop
	if err := attributevalue.Unmarshal(stored, &byKey); err != nil {
		return fmt.Errorf("decode hops of request %s: %w", id, err)
	}
	hops := slices.SortedStableFunc(maps.Values(byKey), func(a, b Hop) int { return a.At.Compare(b.At) })
	oldest := hops[:len(hops)-MaxHops]
	names := map[string]string{"#hops": attrHops}
	paths := make([]string, len(oldest))
	for i, o := range oldest {
		name := "#d" + strconv.Itoa(i)
		names[name] = hopKey(o)
		paths[i] = "#hops." + name
	}
	_, err = d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(d.table),
		Key:                      pkKey(requestPK(id)),
		UpdateExpression:         aws.String("REMOVE " + strings.Join(paths, ", ")),
		ConditionExpression:      aws.String("attribute_exists(pk)"), // an update never recreates a deleted request
		ExpressionAttributeNames: names,
	})
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("trim hops of request %s: %w", id, err)
	}
	return nil
}

// MarkNotified sets the notified flag; setting it twice is harmless.
func (d *Dynamo) MarkNotified(ctx context.Context, id string) error {
	_, err := d.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.table),
		Key:                       pkKey(requestPK(id)),
		UpdateExpression:          aws.String("SET #n = :t"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#n": attrNotified},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("request %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("mark request %s notified: %w", id, err)
	}
	return nil
}

// ClaimKey is one PutItem conditioned on no claim existing for the key or
// the existing one having expired (the TTL deletes expired items only
// eventually, so the condition must not rely on it). A losing claimant gets
// the live claim back with the conditional failure (ALL_OLD).
func (d *Dynamo) ClaimKey(ctx context.Context, c Claim) (Claim, bool, error) {
	c, now, err := prepareClaim(c, d.now())
	if err != nil {
		return Claim{}, false, err
	}
	pk := claimStorageKey(c.Scope, c.Key)
	item, err := encodeClaim(pk, c)
	if err != nil {
		return Claim{}, false, err
	}
	// Two attempts: a claim that expires between the failed put and the
	// fallback read (emulators without ALL_OLD) is simply claimed again.
	for attempt := 0; attempt < 2; attempt++ {
		_, err = d.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                           aws.String(d.table),
			Item:                                item,
			ConditionExpression:                 aws.String("attribute_not_exists(pk) OR #ex < :now"),
			ExpressionAttributeNames:            map[string]string{"#ex": attrExpiresAt},
			ExpressionAttributeValues:           map[string]types.AttributeValue{":now": numberAttr(now.Unix())},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			return c, true, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return Claim{}, false, fmt.Errorf("claim key %s: %w", pk, err)
		}
		item := ccf.Item
		if len(item) == 0 {
			out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
				TableName:      aws.String(d.table),
				Key:            pkKey(pk),
				ConsistentRead: aws.Bool(true),
			})
			if err != nil {
				return Claim{}, false, fmt.Errorf("read claim %s: %w", pk, err)
			}
			item = out.Item
		}
		if len(item) == 0 {
			continue
		}
		existing, err := decodeClaim(item)
		if err != nil {
			return Claim{}, false, fmt.Errorf("decode claim %s: %w", pk, err)
		}
		return existing, false, nil
	}
	return Claim{}, false, fmt.Errorf("claim key %s: claim vanished between conditional put and read", pk)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
