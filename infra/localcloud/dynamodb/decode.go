package dynamodb

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/expr"
	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// decodeItem reads an item, key or value map in DynamoDB JSON; absent
// (or null) is nil.
func decodeItem(raw rawItem) (attr.Item, *awsproto.Error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var it attr.Item
	if err := json.Unmarshal(raw, &it); err != nil {
		var ae *attr.Error
		if errors.As(err, &ae) {
			return nil, awsproto.Errorf(http.StatusBadRequest, ae.Code, "%s", ae.Message)
		}
		return nil, awsproto.Errorf(http.StatusBadRequest, "SerializationException", "cannot read request: %v", err)
	}
	if it == nil {
		it = attr.Item{}
	}
	return it, nil
}

// exprs parses one request's expressions against its placeholders.
type exprs struct {
	params *expr.Params
}

func newExprs(in exprInput) (*exprs, *awsproto.Error) {
	for name, raw := range map[string]rawItem{"Expected": in.Expected, "AttributeUpdates": in.AttributeUpdates,
		"AttributesToGet": in.AttributesToGet, "KeyConditions": in.KeyConditions, "QueryFilter": in.QueryFilter,
		"ScanFilter": in.ScanFilter, "ConditionalOperator": in.ConditionalOperator} {
		if len(raw) > 0 && string(raw) != "null" {
			return nil, errValidation("localcloud does not support the legacy parameter %s; use the expression parameters instead", name)
		}
	}
	values, e := decodeItem(in.ExpressionAttributeValues)
	if e != nil {
		return nil, e
	}
	var vals map[string]attr.Value
	if values != nil {
		vals = values
	}
	p, err := expr.NewParams(in.ExpressionAttributeNames, vals)
	if err != nil {
		return nil, fromExpr(err)
	}
	return &exprs{params: p}, nil
}

func (x *exprs) condition(src *string) (expr.Cond, *awsproto.Error) {
	if src == nil {
		return nil, nil
	}
	c, err := x.params.Condition(*src)
	if err != nil {
		return nil, fromExpr(err)
	}
	return c, nil
}

func (x *exprs) filter(src *string) (expr.Cond, *awsproto.Error) {
	if src == nil {
		return nil, nil
	}
	c, err := x.params.Filter(*src)
	if err != nil {
		return nil, fromExpr(err)
	}
	return c, nil
}

func (x *exprs) projection(src *string) (expr.Projection, *awsproto.Error) {
	if src == nil {
		return nil, nil
	}
	p, err := x.params.Projection(*src)
	if err != nil {
		return nil, fromExpr(err)
	}
	return p, nil
}

func (x *exprs) update(src *string) (*expr.Update, *awsproto.Error) {
	if src == nil {
		return nil, nil
	}
	u, err := x.params.Update(*src)
	if err != nil {
		return nil, fromExpr(err)
	}
	return u, nil
}

// done refuses placeholders no expression used, as DynamoDB does once it
// has read all of a request's expressions.
func (x *exprs) done() *awsproto.Error {
	if err := x.params.Unused(); err != nil {
		return fromExpr(err)
	}
	return nil
}

// holds tells whether the condition holds for item (nil when absent); no
// condition always holds.
func holds(c expr.Cond, item attr.Item) (bool, *awsproto.Error) {
	if c == nil {
		return true, nil
	}
	ok, err := expr.Eval(c, item)
	if err != nil {
		return false, fromExpr(err)
	}
	return ok, nil
}

// project applies a projection expression, if any.
func project(p expr.Projection, item attr.Item) attr.Item {
	if p == nil || item == nil {
		return item
	}
	return expr.Project(p, item)
}
