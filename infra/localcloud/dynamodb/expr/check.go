package expr

import (
	"strconv"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
)

// Error categories. DynamoDB validates a whole expression and then
// reports one error; which one wins when several apply follows a fixed
// order per expression kind, kept in the *Order slices below.
const (
	catParens    = "parens"
	catUnknownFn = "unknownFunction"
	catMisusedFn = "misusedFunction"
	catReserved  = "reserved"
	catName      = "name"
	catValue     = "value"
	catSection   = "section"
	catOverlap   = "overlap"
	catConflict  = "conflict"
	catOperand   = "operand"
	catDistinct  = "distinct"
	catFunction  = "function"
)

var (
	conditionOrder  = []string{catParens, catUnknownFn, catMisusedFn, catReserved, catName, catValue, catOperand, catDistinct, catFunction}
	updateOrder     = []string{catReserved, catUnknownFn, catSection, catName, catValue, catOverlap, catConflict, catOperand, catFunction}
	projectionOrder = []string{catReserved, catName, catOverlap, catConflict}
)

type checker struct {
	p    *Params
	kind Kind
	errs map[string]string
}

func (p *Params) newChecker(kind Kind) *checker {
	return &checker{p: p, kind: kind, errs: map[string]string{}}
}

func (c *checker) add(cat, msg string) {
	if _, ok := c.errs[cat]; !ok {
		c.errs[cat] = msg
	}
}

func (c *checker) result(order []string) error {
	for _, cat := range order {
		if msg, ok := c.errs[cat]; ok {
			return &Error{Kind: c.kind, Reason: msg}
		}
	}
	return nil
}

func isReserved(name string) bool {
	_, ok := reservedWords[strings.ToUpper(name)]
	return ok
}

// path resolves #placeholders in place and refuses reserved words.
func (c *checker) path(p Path) {
	for i := range p {
		e := &p[i]
		switch {
		case e.IsIndex:
		case e.Alias != "":
			name, ok := c.p.names[e.Alias]
			if !ok {
				c.add(catName, "An expression attribute name used in the document path is not defined; attribute name: "+e.Alias)
				continue
			}
			c.p.usedNames[e.Alias] = true
			e.Name = name
		case isReserved(e.Name):
			c.add(catReserved, "Attribute name is a reserved keyword; reserved keyword: "+e.Name)
		}
	}
}

func (c *checker) value(v *ValueRef) {
	val, ok := c.p.values[v.Name]
	if !ok {
		c.add(catValue, "An expression attribute value used in expression is not defined; attribute value: "+v.Name)
		return
	}
	c.p.usedValues[v.Name] = true
	v.Value = val
}

// overlap enforces that no two paths of one expression overlap (one is a
// prefix of the other) or conflict (one indexes a list where the other
// names a map member).
func (c *checker) overlap(seen *[]Path, p Path) {
	for _, q := range *seen {
		clash := true
		for i := 0; i < len(q) && i < len(p); i++ {
			if q[i].IsIndex != p[i].IsIndex {
				c.add(catConflict, "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: "+q.display()+", path two: "+p.display())
				clash = false
				break
			}
			if q[i].Name != p[i].Name || q[i].Index != p[i].Index {
				clash = false
				break
			}
		}
		if clash {
			c.add(catOverlap, "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: "+q.display()+", path two: "+p.display())
		}
	}
	*seen = append(*seen, p)
}

// ---- conditions ----

var condFuncs = map[string]int{
	"attribute_exists":     1,
	"attribute_not_exists": 1,
	"attribute_type":       2,
	"begins_with":          2,
	"contains":             2,
	"size":                 1,
}

// maxInOperands is the limit the Developer Guide gives for IN's list.
const maxInOperands = 100

func (c *checker) cond(x Cond) {
	switch x := x.(type) {
	case *And:
		c.cond(x.L)
		c.cond(x.R)
	case *Or:
		c.cond(x.L)
		c.cond(x.R)
	case *Not:
		c.cond(x.X)
	case *Compare:
		c.condOperand(x.L)
		c.condOperand(x.R)
		c.distinct(x.Op, x.L, x.R)
	case *Between:
		c.condOperand(x.X)
		c.condOperand(x.Lo)
		c.condOperand(x.Hi)
		c.between(x.Lo, x.Hi)
	case *In:
		c.condOperand(x.X)
		for _, o := range x.List {
			c.condOperand(o)
		}
		if len(x.List) > maxInOperands {
			c.add(catOperand, "The IN operator is provided with too many operands; number of operands: "+strconv.Itoa(len(x.List)))
		}
	case *Call:
		if x.Name == "size" {
			c.add(catMisusedFn, "The function is not allowed to be used this way in an expression; function: size")
		}
		c.condFunc(x)
	}
}

// condOperand checks an operand of a comparison: only size() may be a
// function there.
func (c *checker) condOperand(o Operand) {
	switch o := o.(type) {
	case Path:
		c.path(o)
	case *ValueRef:
		c.value(o)
	case *Call:
		if _, known := condFuncs[o.Name]; known && o.Name != "size" {
			c.add(catMisusedFn, "The function is not allowed to be used this way in an expression; function: "+o.Name)
		}
		c.condFunc(o)
	case *Arith:
		// The condition grammar has no arithmetic; only reachable for a
		// hand-built tree.
		c.add(catOperand, "Invalid operand")
	}
}

// staticType is an operand's type when it is known before evaluation.
func staticType(o Operand) string {
	switch o := o.(type) {
	case *ValueRef:
		if o.Value.Valid() {
			return o.Value.Type().String()
		}
	case *Call:
		if o.Name == "size" {
			return "N"
		}
	}
	return ""
}

func (c *checker) condFunc(f *Call) {
	want, known := condFuncs[f.Name]
	if !known {
		c.add(catUnknownFn, "Invalid function name; function: "+f.Name)
	}
	for _, a := range f.Args {
		c.condOperand(a)
	}
	if !known {
		return
	}
	if len(f.Args) != want {
		c.add(catOperand, "Incorrect number of operands for operator or function; operator or function: "+f.Name+", number of operands: "+strconv.Itoa(len(f.Args)))
		return
	}
	if want == 2 {
		c.distinct(f.Name, f.Args[0], f.Args[1])
	}
	badType := func(t string) {
		c.add(catFunction, "Incorrect operand type for operator or function; operator or function: "+f.Name+", operand type: "+t)
	}
	switch f.Name {
	case "attribute_exists", "attribute_not_exists":
		if _, ok := f.Args[0].(Path); !ok {
			c.add(catFunction, "Operator or function requires a document path; operator or function: "+f.Name)
		}
	case "begins_with":
		for _, a := range f.Args {
			if t := staticType(a); t != "" && t != "S" && t != "B" {
				badType(t)
				return
			}
		}
	case "attribute_type":
		switch t := staticType(f.Args[1]); {
		case t == "":
			if _, isPath := f.Args[1].(Path); isPath {
				badType("{NS,SS,L,BS,N,M,B,BOOL,NULL,S}")
			}
		case t != "S":
			badType(t)
		default:
			name := f.Args[1].(*ValueRef).Value.AsS()
			if _, ok := attr.ParseType(name); !ok {
				c.add(catFunction, "Invalid attribute type name found; type: "+name+", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
			}
		}
	case "size":
		if t := staticType(f.Args[0]); t == "N" || t == "BOOL" || t == "NULL" {
			badType(t)
		}
	}
}

func samePath(a, b Operand) (Path, bool) {
	p, ok1 := a.(Path)
	q, ok2 := b.(Path)
	if !ok1 || !ok2 || len(p) != len(q) {
		return nil, false
	}
	for i := range p {
		if p[i].IsIndex != q[i].IsIndex || p[i].Name != q[i].Name || p[i].Index != q[i].Index {
			return nil, false
		}
	}
	return p, true
}

func (c *checker) distinct(op string, a, b Operand) {
	if p, same := samePath(a, b); same {
		c.add(catDistinct, "The first operand must be distinct from the remaining operands for this operator or function; operator: "+op+", first operand: "+p.display())
	}
}

func scalarString(v attr.Value) string {
	switch v.Type() {
	case attr.TypeS:
		return v.AsS()
	case attr.TypeN:
		return v.AsN().String()
	}
	b, _ := v.MarshalJSON()
	return string(b)
}

// between checks literal bounds the way DynamoDB does before evaluating:
// same type, and lower not above upper.
func (c *checker) between(lo, hi Operand) {
	l, ok1 := lo.(*ValueRef)
	h, ok2 := hi.(*ValueRef)
	if !ok1 || !ok2 || !l.Value.Valid() || !h.Value.Valid() {
		return
	}
	bounds := "lower bound operand: AttributeValue: {" + l.Value.Type().String() + ":" + scalarString(l.Value) +
		"}, upper bound operand: AttributeValue: {" + h.Value.Type().String() + ":" + scalarString(h.Value) + "}"
	if l.Value.Type() != h.Value.Type() {
		c.add(catFunction, "The BETWEEN operator requires same data type for lower and upper bounds; "+bounds)
		return
	}
	if cmp, ok := attr.Compare(l.Value, h.Value); ok && cmp > 0 {
		c.add(catFunction, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "+bounds)
	}
}

// ---- update expressions ----

var updateFuncs = map[string]int{
	"if_not_exists": 2,
	"list_append":   2,
}

// Long type names DynamoDB uses in ADD and DELETE operand errors.
var longTypeNames = map[attr.Type]string{
	attr.TypeS: "STRING", attr.TypeN: "NUMBER", attr.TypeB: "BINARY", attr.TypeNULL: "NULL",
	attr.TypeBOOL: "BOOLEAN", attr.TypeL: "LIST", attr.TypeM: "MAP",
}

func (c *checker) update(u *Update) {
	var seen []Path
	for _, a := range u.Set {
		c.path(a.Path)
		c.overlap(&seen, a.Path)
		c.updateOperand(a.Value)
	}
	for _, p := range u.Remove {
		c.path(p)
		c.overlap(&seen, p)
	}
	for _, a := range u.Add {
		c.path(a.Path)
		c.overlap(&seen, a.Path)
		c.value(a.Value)
		if t := a.Value.Value.Type(); a.Value.Value.Valid() && t != attr.TypeN && !t.IsSet() {
			c.add(catOperand, "Incorrect operand type for operator or function; operator: ADD, operand type: "+longTypeNames[t])
		}
	}
	for _, a := range u.Delete {
		c.path(a.Path)
		c.overlap(&seen, a.Path)
		c.value(a.Value)
		if t := a.Value.Value.Type(); a.Value.Value.Valid() && !t.IsSet() {
			c.add(catOperand, "Incorrect operand type for operator or function; operator: DELETE, operand type: "+longTypeNames[t])
		}
	}
}

func (c *checker) updateOperand(o Operand) {
	switch o := o.(type) {
	case Path:
		c.path(o)
	case *ValueRef:
		c.value(o)
	case *Arith:
		c.updateOperand(o.L)
		c.updateOperand(o.R)
		for _, a := range []Operand{o.L, o.R} {
			if v, ok := a.(*ValueRef); ok && v.Value.Valid() && v.Value.Type() != attr.TypeN {
				c.add(catFunction, "Incorrect operand type for operator or function; operator or function: "+string(o.Op)+", operand type: "+v.Value.Type().String())
				return
			}
		}
	case *Call:
		want, known := updateFuncs[o.Name]
		if !known {
			c.add(catUnknownFn, "Invalid function name; function: "+o.Name)
		}
		for _, a := range o.Args {
			c.updateOperand(a)
		}
		if !known {
			return
		}
		if len(o.Args) != want {
			c.add(catFunction, "Incorrect number of operands for operator or function; operator or function: "+o.Name+", number of operands: "+strconv.Itoa(len(o.Args)))
			return
		}
		switch o.Name {
		case "if_not_exists":
			if _, ok := o.Args[0].(Path); !ok {
				c.add(catFunction, "Operator or function requires a document path; operator or function: if_not_exists")
			}
		case "list_append":
			for _, a := range o.Args {
				if v, ok := a.(*ValueRef); ok && v.Value.Valid() && v.Value.Type() != attr.TypeL {
					c.add(catFunction, "Incorrect operand type for operator or function; operator or function: list_append, operand type: "+v.Value.Type().String())
					return
				}
			}
		}
	}
}
