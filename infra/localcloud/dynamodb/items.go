package dynamodb

import (
	"context"
	"slices"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/expr"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// setItem puts item (nil deletes) where old (nil for none) was, in memory
// and in cs.
func (s *Service) setItem(cs *changeSet, t *table, key string, old *record, item attr.Item) {
	var rec *record
	if item != nil {
		rec = &record{key: key, item: item, size: item.Size()}
	}
	t.replace(old, rec)
	cs.add(change{table: t.meta.Name, key: key, item: item, isItem: true}, func() { t.replace(rec, old) })
}

func itemOf(rec *record) attr.Item {
	if rec == nil {
		return nil
	}
	return rec.item
}

// checkReturnValues refuses a ReturnValues the operation does not take
// (beyond NONE) and a ReturnValuesOnConditionCheckFailure outside its set.
func checkReturnValues(v, onFailure string, allowed ...string) *awsproto.Error {
	if v != "" && v != "NONE" && !slices.Contains(allowed, v) {
		return errInvalidReturnValues()
	}
	return checkReturnOnFailure(onFailure)
}

func checkReturnOnFailure(v string) *awsproto.Error {
	switch v {
	case "", "NONE", "ALL_OLD":
		return nil
	}
	return errValidation("1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]", v)
}

// conditionFailed is the answer to a failed condition: with the item
// when ReturnValuesOnConditionCheckFailure is ALL_OLD and it exists.
func conditionFailed(onFailure string, old *record) *awsproto.Error {
	if onFailure == "ALL_OLD" && old != nil {
		return errConditionFailed(old.item)
	}
	return errConditionFailed(nil)
}

func (s *Service) putItem(_ context.Context, in *putItemInput) (*itemOutput, *awsproto.Error) {
	item, e := decodeItem(in.Item)
	if e != nil {
		return nil, e
	}
	if item == nil {
		return nil, errMissing("item")
	}
	x, e := newExprs(in.exprInput)
	if e != nil {
		return nil, e
	}
	cond, e := x.condition(in.ConditionExpression)
	if e != nil {
		return nil, e
	}
	if e := x.done(); e != nil {
		return nil, e
	}
	if e := checkReturnValues(in.ReturnValues, in.ReturnValuesOnConditionCheckFailure, "ALL_OLD"); e != nil {
		return nil, e
	}
	old, e := s.writeIfHolds(in.TableName, item, func(t *table) *awsproto.Error { return t.checkItem(item, false) },
		cond, in.ReturnValuesOnConditionCheckFailure, item)
	if e != nil {
		return nil, e
	}
	out := &itemOutput{}
	if in.ReturnValues == "ALL_OLD" {
		out.Attributes = itemOf(old)
	}
	return out, nil
}

// writeIfHolds puts item (nil deletes) where keyAttrs point, when cond
// holds on what is there, and returns what was there; check validates the
// request against the table first. PutItem and DeleteItem are this one
// write.
func (s *Service) writeIfHolds(tableName string, keyAttrs attr.Item, check func(*table) *awsproto.Error,
	cond expr.Cond, onFailure string, item attr.Item) (*record, *awsproto.Error) {
	s.mu.Lock()
	t, e := s.tableFor(tableName)
	if e == nil {
		e = check(t)
	}
	if e != nil {
		s.mu.Unlock()
		return nil, e
	}
	key := t.schema.primaryKey(keyAttrs)
	old := t.items[key]
	ok, e := holds(cond, itemOf(old))
	if e == nil && !ok {
		e = conditionFailed(onFailure, old)
	}
	if e != nil {
		s.mu.Unlock()
		return nil, e
	}
	cs := &changeSet{}
	if item != nil || old != nil {
		s.setItem(cs, t, key, old, item)
	}
	ch := s.commit(cs)
	s.mu.Unlock()
	if e := finish(ch); e != nil {
		return nil, e
	}
	return old, nil
}

func (s *Service) getItem(_ context.Context, in *getItemInput) (*itemOutput, *awsproto.Error) {
	key, e := decodeItem(in.Key)
	if e != nil {
		return nil, e
	}
	x, e := newExprs(in.exprInput)
	if e != nil {
		return nil, e
	}
	proj, e := x.projection(in.ProjectionExpression)
	if e != nil {
		return nil, e
	}
	if e := x.done(); e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, e := s.tableFor(in.TableName)
	if e != nil {
		return nil, e
	}
	if e := t.checkKey(key); e != nil {
		return nil, e
	}
	return &itemOutput{Item: project(proj, itemOf(t.items[t.schema.primaryKey(key)]))}, nil
}

// updatePlan is an UpdateItem (or a transaction's Update) checked and
// computed against the item as it is.
type updatePlan struct {
	key      string
	old      *record
	new      attr.Item
	failed   bool // the condition does not hold
	paths    expr.Projection
	upd      *expr.Update
	cond     expr.Cond
	keyAttrs attr.Item
}

// checkUpdate refuses an update of a key attribute, which DynamoDB
// refuses before it looks at the item.
func (t *table) checkUpdate(u *expr.Update) *awsproto.Error {
	if u == nil {
		return nil
	}
	for _, p := range u.Paths() {
		if len(p) > 0 && !p[0].IsIndex && t.isKeyAttr(p[0].Name) {
			return errValidation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", p[0].Name)
		}
	}
	return nil
}

// planUpdate checks the condition and applies the update to a copy of
// the item; the caller holds s.mu.
func (t *table) planUpdate(key attr.Item, u *expr.Update, cond expr.Cond) (*updatePlan, *awsproto.Error) {
	if e := t.checkKey(key); e != nil {
		return nil, e
	}
	if e := t.checkUpdate(u); e != nil {
		return nil, e
	}
	p := &updatePlan{key: t.schema.primaryKey(key), upd: u, cond: cond, keyAttrs: key}
	p.old = t.items[p.key]
	ok, e := holds(cond, itemOf(p.old))
	if e != nil {
		return nil, e
	}
	if !ok {
		p.failed = true
		return p, nil
	}
	base := itemOf(p.old)
	if base == nil {
		base = key
	}
	p.new = base
	if u != nil {
		n, err := expr.Apply(u, base)
		if err != nil {
			return nil, fromExpr(err)
		}
		p.new = n
		p.paths = expr.Projection(u.Paths())
	}
	if e := t.checkItem(p.new, true); e != nil {
		return nil, e
	}
	return p, nil
}

func (s *Service) updateItem(_ context.Context, in *updateItemInput) (*itemOutput, *awsproto.Error) {
	key, e := decodeItem(in.Key)
	if e != nil {
		return nil, e
	}
	x, e := newExprs(in.exprInput)
	if e != nil {
		return nil, e
	}
	upd, e := x.update(in.UpdateExpression)
	if e != nil {
		return nil, e
	}
	cond, e := x.condition(in.ConditionExpression)
	if e != nil {
		return nil, e
	}
	if e := x.done(); e != nil {
		return nil, e
	}
	if e := checkReturnValues(in.ReturnValues, in.ReturnValuesOnConditionCheckFailure, "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"); e != nil {
		return nil, e
	}
	s.mu.Lock()
	t, e := s.tableFor(in.TableName)
	var p *updatePlan
	if e == nil {
		p, e = t.planUpdate(key, upd, cond)
	}
	if e == nil && p.failed {
		e = conditionFailed(in.ReturnValuesOnConditionCheckFailure, p.old)
	}
	if e != nil {
		s.mu.Unlock()
		return nil, e
	}
	cs := &changeSet{}
	s.setItem(cs, t, p.key, p.old, p.new)
	ch := s.commit(cs)
	s.mu.Unlock()
	if e := finish(ch); e != nil {
		return nil, e
	}
	out := &itemOutput{}
	switch in.ReturnValues {
	case "ALL_OLD":
		out.Attributes = itemOf(p.old)
	case "ALL_NEW":
		out.Attributes = p.new
	case "UPDATED_OLD":
		if p.paths != nil {
			out.Attributes = expr.Project(p.paths, itemOf(p.old))
		}
	case "UPDATED_NEW":
		if p.paths != nil {
			out.Attributes = expr.Project(p.paths, p.new)
		}
	}
	return out, nil
}

func (s *Service) deleteItem(_ context.Context, in *deleteItemInput) (*itemOutput, *awsproto.Error) {
	key, e := decodeItem(in.Key)
	if e != nil {
		return nil, e
	}
	x, e := newExprs(in.exprInput)
	if e != nil {
		return nil, e
	}
	cond, e := x.condition(in.ConditionExpression)
	if e != nil {
		return nil, e
	}
	if e := x.done(); e != nil {
		return nil, e
	}
	if e := checkReturnValues(in.ReturnValues, in.ReturnValuesOnConditionCheckFailure, "ALL_OLD"); e != nil {
		return nil, e
	}
	old, e := s.writeIfHolds(in.TableName, key, func(t *table) *awsproto.Error { return t.checkKey(key) },
		cond, in.ReturnValuesOnConditionCheckFailure, nil)
	if e != nil {
		return nil, e
	}
	out := &itemOutput{}
	if in.ReturnValues == "ALL_OLD" {
		out.Attributes = itemOf(old)
	}
	return out, nil
}
