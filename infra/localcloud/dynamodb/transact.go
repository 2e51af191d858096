package dynamodb

import (
	"context"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/expr"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

const maxTransactItems = 100

// transactOp is one item of TransactWriteItems, decoded and parsed.
type transactOp struct {
	kind      string // Put, Update, Delete, ConditionCheck
	table     string
	item      attr.Item // Put
	key       attr.Item // the others
	cond      expr.Cond
	upd       *expr.Update
	onFailure string
}

func parseTransactItem(ti transactWriteItem) (*transactOp, *awsproto.Error) {
	var op *transactOp
	var ex exprInput
	var condSrc, updSrc *string
	n := 0
	if p := ti.Put; p != nil {
		n++
		item, e := decodeItem(p.Item)
		if e != nil {
			return nil, e
		}
		if item == nil {
			return nil, errMissing("transactItems.member.put.item")
		}
		op = &transactOp{kind: "Put", table: p.TableName, item: item, onFailure: p.ReturnValuesOnConditionCheckFailure}
		ex, condSrc = p.exprInput, p.ConditionExpression
	}
	for kind, k := range map[string]*transactKeyed{"Update": ti.Update, "Delete": ti.Delete, "ConditionCheck": ti.ConditionCheck} {
		if k == nil {
			continue
		}
		n++
		key, e := decodeItem(k.Key)
		if e != nil {
			return nil, e
		}
		op = &transactOp{kind: kind, table: k.TableName, key: key, onFailure: k.ReturnValuesOnConditionCheckFailure}
		ex, condSrc = k.exprInput, k.ConditionExpression
		if kind == "Update" {
			if k.UpdateExpression == nil {
				return nil, errMissing("transactItems.member.update.updateExpression")
			}
			updSrc = k.UpdateExpression
		}
		if kind == "ConditionCheck" && k.ConditionExpression == nil {
			return nil, errMissing("transactItems.member.conditionCheck.conditionExpression")
		}
	}
	if n != 1 {
		return nil, errValidation("TransactItems can only contain one of Check, Put, Update or Delete")
	}
	if e := checkReturnOnFailure(op.onFailure); e != nil {
		return nil, e
	}
	x, e := newExprs(ex)
	if e != nil {
		return nil, e
	}
	if op.upd, e = x.update(updSrc); e != nil {
		return nil, e
	}
	if op.cond, e = x.condition(condSrc); e != nil {
		return nil, e
	}
	if e := x.done(); e != nil {
		return nil, e
	}
	return op, nil
}

// transactWriteItems checks every condition first and applies all of the
// writes, or none, as one commit. A transaction repeated with the same
// ClientRequestToken within ten minutes answers success without being
// applied again (idempotency.go).
func (s *Service) transactWriteItems(_ context.Context, in *transactWriteInput) (*struct{}, *awsproto.Error) {
	if len(in.TransactItems) == 0 {
		return nil, errMissing("transactItems")
	}
	if len(in.TransactItems) > maxTransactItems {
		return nil, errValidation("1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d", maxTransactItems)
	}
	ops := make([]*transactOp, len(in.TransactItems))
	for i, ti := range in.TransactItems {
		op, e := parseTransactItem(ti)
		if e != nil {
			return nil, e
		}
		ops[i] = op
	}
	var sum [32]byte
	token := ""
	if in.ClientRequestToken != nil {
		token, sum = *in.ClientRequestToken, requestSum(in.TransactItems)
	}
	s.mu.Lock()
	if token != "" {
		if done, e := s.tokens.seen(token, sum, s.now()); done || e != nil {
			s.mu.Unlock()
			return nil, e
		}
	}
	out, ch, e := s.transactLocked(ops)
	if e == nil && token != "" {
		s.tokens.add(token, sum, s.now())
	}
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}
	if err := wait(ch); err != nil {
		if token != "" {
			// Not applied after all: a retry must apply it.
			s.mu.Lock()
			delete(s.tokens, token)
			s.mu.Unlock()
		}
		return nil, errStorage(err)
	}
	return out, nil
}

func (s *Service) transactLocked(ops []*transactOp) (*struct{}, chan error, *awsproto.Error) {
	type step struct {
		t    *table
		key  string
		old  *record
		new  attr.Item
		keep bool // ConditionCheck: nothing to write
	}
	steps := make([]step, len(ops))
	seen := map[string]bool{}
	for i, op := range ops {
		t, e := s.tableFor(op.table)
		if e != nil {
			return nil, nil, e
		}
		if op.kind == "Put" {
			e = t.checkItem(op.item, false)
		} else {
			e = t.checkKey(op.key)
			if e == nil && op.kind == "Update" {
				e = t.checkUpdate(op.upd)
			}
		}
		if e != nil {
			return nil, nil, e
		}
		src := op.item
		if src == nil {
			src = op.key
		}
		key := t.schema.primaryKey(src)
		if id := op.table + "\x00" + key; seen[id] {
			return nil, nil, errValidation("Transaction request cannot include multiple operations on one item")
		} else {
			seen[id] = true
		}
		steps[i] = step{t: t, key: key, old: t.items[key]}
	}
	reasons := make([]cancellationReason, len(ops))
	canceled := false
	for i, op := range ops {
		st := &steps[i]
		reasons[i] = cancellationReason{Code: "None"}
		var failed bool
		switch op.kind {
		case "Update":
			p, e := st.t.planUpdate(op.key, op.upd, op.cond)
			if e != nil {
				reasons[i] = cancellationReason{Code: "ValidationError", Message: e.Message}
				canceled = true
				continue
			}
			failed, st.new = p.failed, p.new
		default:
			ok, e := holds(op.cond, itemOf(st.old))
			if e != nil {
				return nil, nil, e
			}
			failed = !ok
			switch op.kind {
			case "Put":
				st.new = op.item
			case "ConditionCheck":
				st.keep = true
			}
		}
		if failed {
			canceled = true
			reasons[i] = cancellationReason{Code: "ConditionalCheckFailed", Message: "The conditional request failed"}
			if op.onFailure == "ALL_OLD" && st.old != nil {
				reasons[i].Item = st.old.item
			}
		}
	}
	if canceled {
		return nil, nil, errTransactionCanceled(reasons)
	}
	cs := &changeSet{}
	for _, st := range steps {
		if st.keep || (st.new == nil && st.old == nil) {
			continue
		}
		s.setItem(cs, st.t, st.key, st.old, st.new)
	}
	return nil, s.commit(cs), nil
}

func (s *Service) transactGetItems(_ context.Context, in *transactGetInput) (*transactGetOutput, *awsproto.Error) {
	if len(in.TransactItems) == 0 {
		return nil, errMissing("transactItems")
	}
	if len(in.TransactItems) > maxTransactItems {
		return nil, errValidation("1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d", maxTransactItems)
	}
	type get struct {
		table string
		key   attr.Item
		proj  expr.Projection
	}
	gets := make([]get, len(in.TransactItems))
	for i, ti := range in.TransactItems {
		g := ti.Get
		if g == nil {
			return nil, errMissing("transactItems.member.get")
		}
		key, e := decodeItem(g.Key)
		if e != nil {
			return nil, e
		}
		x, e := newExprs(g.exprInput)
		if e != nil {
			return nil, e
		}
		proj, e := x.projection(g.ProjectionExpression)
		if e != nil {
			return nil, e
		}
		if e := x.done(); e != nil {
			return nil, e
		}
		gets[i] = get{table: g.TableName, key: key, proj: proj}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := &transactGetOutput{Responses: make([]itemResponse, len(gets))}
	for i, g := range gets {
		t, e := s.tableFor(g.table)
		if e != nil {
			return nil, e
		}
		if e := t.checkKey(g.key); e != nil {
			return nil, e
		}
		out.Responses[i].Item = project(g.proj, itemOf(t.items[t.schema.primaryKey(g.key)]))
	}
	return out, nil
}
