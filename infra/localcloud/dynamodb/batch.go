package dynamodb

import (
	"context"
	"slices"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/expr"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// DynamoDB's limits on batches.
const (
	maxBatchGet   = 100
	maxBatchWrite = 25
)

func errDuplicateKeys() *awsproto.Error {
	return errValidation("Provided list of item keys contains duplicates")
}

// batchGetItem answers every key at once: localcloud never leaves keys
// unprocessed.
func (s *Service) batchGetItem(_ context.Context, in *batchGetInput) (*batchGetOutput, *awsproto.Error) {
	if len(in.RequestItems) == 0 {
		return nil, errMissing("requestItems")
	}
	type tableReq struct {
		name string
		keys []attr.Item
		proj expr.Projection
	}
	var reqs []tableReq
	total := 0
	for _, name := range slices.Sorted(mapKeys(in.RequestItems)) {
		ka := in.RequestItems[name]
		r := tableReq{name: name}
		x, e := newExprs(exprInput{ExpressionAttributeNames: ka.ExpressionAttributeNames})
		if e != nil {
			return nil, e
		}
		if r.proj, e = x.projection(ka.ProjectionExpression); e != nil {
			return nil, e
		}
		if e := x.done(); e != nil {
			return nil, e
		}
		if len(ka.Keys) == 0 {
			return nil, errValidation("1 validation error detected: Value null at 'requestItems.%s.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1", name)
		}
		for _, raw := range ka.Keys {
			k, e := decodeItem(raw)
			if e != nil {
				return nil, e
			}
			r.keys = append(r.keys, k)
		}
		total += len(r.keys)
		reqs = append(reqs, r)
	}
	if total > maxBatchGet {
		return nil, errValidation("Too many items requested for the BatchGetItem call")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := &batchGetOutput{Responses: map[string][]attr.Item{}, UnprocessedKeys: map[string]keysAndAttributes{}}
	for _, r := range reqs {
		t, e := s.tableFor(r.name)
		if e != nil {
			return nil, e
		}
		seen := map[string]bool{}
		items := []attr.Item{}
		for _, k := range r.keys {
			if e := t.checkKey(k); e != nil {
				return nil, e
			}
			pk := t.schema.primaryKey(k)
			if seen[pk] {
				return nil, errDuplicateKeys()
			}
			seen[pk] = true
			if rec := t.items[pk]; rec != nil {
				items = append(items, project(r.proj, rec.item))
			}
		}
		out.Responses[r.name] = items
	}
	return out, nil
}

// batchWriteItem applies every request at once and commits them
// together; unlike a transaction it has no conditions, and localcloud
// never leaves items unprocessed.
func (s *Service) batchWriteItem(_ context.Context, in *batchWriteInput) (*batchWriteOutput, *awsproto.Error) {
	if len(in.RequestItems) == 0 {
		return nil, errMissing("requestItems")
	}
	type op struct {
		table string
		put   attr.Item // nil: delete key
		key   attr.Item
	}
	var ops []op
	for _, name := range slices.Sorted(mapKeys(in.RequestItems)) {
		for _, wr := range in.RequestItems[name] {
			switch {
			case wr.PutRequest != nil && wr.DeleteRequest == nil:
				it, e := decodeItem(wr.PutRequest.Item)
				if e != nil {
					return nil, e
				}
				if it == nil {
					return nil, errMissing("item")
				}
				ops = append(ops, op{table: name, put: it})
			case wr.DeleteRequest != nil && wr.PutRequest == nil:
				k, e := decodeItem(wr.DeleteRequest.Key)
				if e != nil {
					return nil, e
				}
				ops = append(ops, op{table: name, key: k})
			default:
				return nil, errValidation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
		}
	}
	if len(ops) > maxBatchWrite {
		return nil, errValidation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
	}
	s.mu.Lock()
	// Check everything before changing anything.
	seen := map[string]bool{}
	keys := make([]string, len(ops))
	tables := make([]*table, len(ops))
	for i, o := range ops {
		t, e := s.tableFor(o.table)
		if e == nil {
			if o.put != nil {
				e = t.checkItem(o.put, false)
			} else {
				e = t.checkKey(o.key)
			}
		}
		if e != nil {
			s.mu.Unlock()
			return nil, e
		}
		src := o.put
		if src == nil {
			src = o.key
		}
		keys[i], tables[i] = t.schema.primaryKey(src), t
		if id := o.table + "\x00" + keys[i]; seen[id] {
			s.mu.Unlock()
			return nil, errDuplicateKeys()
		} else {
			seen[id] = true
		}
	}
	cs := &changeSet{}
	for i, o := range ops {
		t := tables[i]
		old := t.items[keys[i]]
		if o.put == nil && old == nil {
			continue
		}
		s.setItem(cs, t, keys[i], old, o.put)
	}
	ch := s.commit(cs)
	s.mu.Unlock()
	if e := finish(ch); e != nil {
		return nil, e
	}
	return &batchWriteOutput{UnprocessedItems: map[string][]writeRequest{}}, nil
}
