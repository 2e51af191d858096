package expr

import (
	"regexp"
	"slices"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
)

// Params holds one request's ExpressionAttributeNames and
// ExpressionAttributeValues and parses the request's expressions against
// them. It records which placeholders the expressions used, because
// DynamoDB refuses a request whose maps hold a placeholder none of its
// expressions uses (see Unused).
//
// A Params is for one request and is not safe for concurrent use.
type Params struct {
	names      map[string]string
	values     map[string]attr.Value
	usedNames  map[string]bool
	usedValues map[string]bool
}

var (
	nameKey  = regexp.MustCompile(`^#[0-9A-Za-z_]+$`)
	valueKey = regexp.MustCompile(`^:[0-9A-Za-z_]+$`)
)

// NewParams validates the placeholder maps as DynamoDB does before it
// looks at any expression. A nil map means the parameter was absent; an
// empty non-nil map is an error, as it is in DynamoDB.
func NewParams(names map[string]string, values map[string]attr.Value) (*Params, error) {
	if names != nil && len(names) == 0 {
		return nil, plain("ExpressionAttributeNames must not be empty")
	}
	for _, k := range sortedKeys(names) {
		if !nameKey.MatchString(k) {
			return nil, plain(`ExpressionAttributeNames contains invalid key: Syntax error; key: "` + k + `"`)
		}
	}
	if values != nil && len(values) == 0 {
		return nil, plain("ExpressionAttributeValues must not be empty")
	}
	for _, k := range sortedKeys(values) {
		if !valueKey.MatchString(k) {
			return nil, plain(`ExpressionAttributeValues contains invalid key: Syntax error; key: "` + k + `"`)
		}
		if !values[k].Valid() {
			return nil, plain("ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key " + k)
		}
	}
	return &Params{
		names:      names,
		values:     values,
		usedNames:  map[string]bool{},
		usedValues: map[string]bool{},
	}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Unused reports placeholders that no expression parsed through p used,
// names first, as DynamoDB does. Call it after parsing all of a request's
// expressions.
func (p *Params) Unused() error {
	var names, values []string
	for _, k := range sortedKeys(p.names) {
		if !p.usedNames[k] {
			names = append(names, k)
		}
	}
	if len(names) > 0 {
		return plain("Value provided in ExpressionAttributeNames unused in expressions: keys: {" + strings.Join(names, ", ") + "}")
	}
	for _, k := range sortedKeys(p.values) {
		if !p.usedValues[k] {
			values = append(values, k)
		}
	}
	if len(values) > 0 {
		return plain("Value provided in ExpressionAttributeValues unused in expressions: keys: {" + strings.Join(values, ", ") + "}")
	}
	return nil
}

func emptyError(kind Kind) error {
	return &Error{Kind: kind, Reason: "The expression can not be empty;"}
}

// Condition parses a ConditionExpression.
func (p *Params) Condition(src string) (Cond, error) { return p.condition(src, ConditionExpression) }

// Filter parses a FilterExpression; the language is the condition one.
func (p *Params) Filter(src string) (Cond, error) { return p.condition(src, FilterExpression) }

func (p *Params) condition(src string, kind Kind) (Cond, error) {
	if src == "" {
		return nil, emptyError(kind)
	}
	ps := newParser(src)
	c, ok := ps.parseConditionTop()
	if !ok {
		return nil, &Error{Kind: kind, Reason: ps.syntaxError()}
	}
	ch := p.newChecker(kind)
	if redundantParens(ps.toks) {
		ch.add(catParens, "The expression has redundant parentheses;")
	}
	ch.cond(c)
	if err := ch.result(conditionOrder); err != nil {
		return nil, err
	}
	return c, nil
}

// Update parses an UpdateExpression.
func (p *Params) Update(src string) (*Update, error) {
	const kind = UpdateExpression
	if src == "" {
		return nil, emptyError(kind)
	}
	ps := newParser(src)
	u, ok := ps.parseUpdateTop()
	if !ok {
		return nil, &Error{Kind: kind, Reason: ps.syntaxError()}
	}
	ch := p.newChecker(kind)
	if ps.dupSection != "" {
		ch.add(catSection, `The "`+ps.dupSection+`" section can only be used once in an update expression;`)
	}
	ch.update(u)
	if err := ch.result(updateOrder); err != nil {
		return nil, err
	}
	return u, nil
}

// Projection parses a ProjectionExpression.
func (p *Params) Projection(src string) (Projection, error) {
	const kind = ProjectionExpression
	if src == "" {
		return nil, emptyError(kind)
	}
	ps := newParser(src)
	pr, ok := ps.parseProjectionTop()
	if !ok {
		return nil, &Error{Kind: kind, Reason: ps.syntaxError()}
	}
	ch := p.newChecker(kind)
	var seen []Path
	for _, path := range pr {
		ch.path(path)
		ch.overlap(&seen, path)
	}
	if err := ch.result(projectionOrder); err != nil {
		return nil, err
	}
	return pr, nil
}
