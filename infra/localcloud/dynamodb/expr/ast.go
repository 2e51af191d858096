package expr

import (
	"strconv"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
)

// PathElem is one step of a document path: a name (an attribute at the
// top, a map key below) or a list index.
type PathElem struct {
	// Name is the attribute name or map key, resolved from
	// ExpressionAttributeNames when Alias is set.
	Name string
	// Alias is the #placeholder the name was written as, if any.
	Alias   string
	Index   int
	IsIndex bool
}

// Path is a document path such as a.b[2].#c.
type Path []PathElem

// Operand is a value in an expression: a Path, a ValueRef, a Call
// (size, if_not_exists, list_append) or, in SET only, an Arith.
type Operand interface {
	String() string
	isOperand()
}

// ValueRef is a :placeholder and the value it stands for.
type ValueRef struct {
	Name  string
	Value attr.Value
}

// Call is a function call. It is an Operand (size, if_not_exists,
// list_append) and a Cond (attribute_exists, begins_with, …).
type Call struct {
	Name string
	Args []Operand
}

// Arith is SET's a + b or a - b.
type Arith struct {
	Op   byte // '+' or '-'
	L, R Operand
}

func (Path) isOperand()      {}
func (*ValueRef) isOperand() {}
func (*Call) isOperand()     {}
func (*Arith) isOperand()    {}

// Cond is a condition: a condition or filter expression, or a key
// condition before its key-specific checks.
type Cond interface {
	String() string
	isCond()
}

// And is l AND r.
type And struct{ L, R Cond }

// Or is l OR r.
type Or struct{ L, R Cond }

// Not is NOT x.
type Not struct{ X Cond }

// Compare is l op r with op one of = <> < <= > >=.
type Compare struct {
	Op   string
	L, R Operand
}

// Between is x BETWEEN lo AND hi.
type Between struct{ X, Lo, Hi Operand }

// In is x IN (list…).
type In struct {
	X    Operand
	List []Operand
}

func (*And) isCond()     {}
func (*Or) isCond()      {}
func (*Not) isCond()     {}
func (*Compare) isCond() {}
func (*Between) isCond() {}
func (*In) isCond()      {}
func (*Call) isCond()    {}

// Update is a parsed update expression. Each slice holds its clause's
// actions in source order.
type Update struct {
	Set    []SetAction
	Remove []Path
	Add    []AddAction
	Delete []DeleteAction
}

// SetAction is path = value.
type SetAction struct {
	Path  Path
	Value Operand
}

// AddAction is ADD path :value.
type AddAction struct {
	Path  Path
	Value *ValueRef
}

// DeleteAction is DELETE path :value.
type DeleteAction struct {
	Path  Path
	Value *ValueRef
}

// Projection is a parsed projection expression.
type Projection []Path

// String prints the path as it can be written in an expression, with its
// placeholders.
func (p Path) String() string {
	var b strings.Builder
	for i, e := range p {
		switch {
		case e.IsIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.Index))
			b.WriteByte(']')
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			if e.Alias != "" {
				b.WriteString(e.Alias)
			} else {
				b.WriteString(e.Name)
			}
		}
	}
	return b.String()
}

// display is the form DynamoDB quotes paths in its messages: [a, b, [2]].
func (p Path) display() string {
	parts := make([]string, len(p))
	for i, e := range p {
		if e.IsIndex {
			parts[i] = "[" + strconv.Itoa(e.Index) + "]"
		} else {
			parts[i] = e.Name
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (v *ValueRef) String() string { return v.Name }

func (c *Call) String() string {
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = operandString(a)
	}
	return c.Name + "(" + strings.Join(args, ", ") + ")"
}

func (a *Arith) String() string {
	return operandString(a.L) + " " + string(a.Op) + " " + operandString(a.R)
}

// operandString parenthesises arithmetic nested inside another operand,
// the only place the grammar needs parentheses around an operand.
func operandString(o Operand) string {
	if a, ok := o.(*Arith); ok {
		return "(" + a.String() + ")"
	}
	return o.String()
}

// Binding strength, for printing only the parentheses the grammar needs.
func prec(c Cond) int {
	switch c.(type) {
	case *Or:
		return 1
	case *And:
		return 2
	case *Not:
		return 3
	}
	return 4
}

func wrap(c Cond, min int) string {
	if prec(c) < min {
		return "(" + c.String() + ")"
	}
	return c.String()
}

func (c *Or) String() string  { return wrap(c.L, 1) + " OR " + wrap(c.R, 2) }
func (c *And) String() string { return wrap(c.L, 2) + " AND " + wrap(c.R, 3) }
func (c *Not) String() string { return "NOT " + wrap(c.X, 3) }

func (c *Compare) String() string { return c.L.String() + " " + c.Op + " " + c.R.String() }

func (c *Between) String() string {
	return c.X.String() + " BETWEEN " + c.Lo.String() + " AND " + c.Hi.String()
}

func (c *In) String() string {
	list := make([]string, len(c.List))
	for i, o := range c.List {
		list[i] = o.String()
	}
	return c.X.String() + " IN (" + strings.Join(list, ", ") + ")"
}

// String prints the update in canonical form: clauses in the order SET,
// REMOVE, ADD, DELETE.
func (u *Update) String() string {
	var parts []string
	if len(u.Set) > 0 {
		s := make([]string, len(u.Set))
		for i, a := range u.Set {
			s[i] = a.Path.String() + " = " + a.Value.String()
		}
		parts = append(parts, "SET "+strings.Join(s, ", "))
	}
	if len(u.Remove) > 0 {
		s := make([]string, len(u.Remove))
		for i, p := range u.Remove {
			s[i] = p.String()
		}
		parts = append(parts, "REMOVE "+strings.Join(s, ", "))
	}
	if len(u.Add) > 0 {
		s := make([]string, len(u.Add))
		for i, a := range u.Add {
			s[i] = a.Path.String() + " " + a.Value.String()
		}
		parts = append(parts, "ADD "+strings.Join(s, ", "))
	}
	if len(u.Delete) > 0 {
		s := make([]string, len(u.Delete))
		for i, a := range u.Delete {
			s[i] = a.Path.String() + " " + a.Value.String()
		}
		parts = append(parts, "DELETE "+strings.Join(s, ", "))
	}
	return strings.Join(parts, " ")
}

// Paths lists every path the update writes or removes, in clause order,
// which is what ReturnValues UPDATED_OLD and UPDATED_NEW report on.
func (u *Update) Paths() []Path {
	var ps []Path
	for _, a := range u.Set {
		ps = append(ps, a.Path)
	}
	ps = append(ps, u.Remove...)
	for _, a := range u.Add {
		ps = append(ps, a.Path)
	}
	for _, a := range u.Delete {
		ps = append(ps, a.Path)
	}
	return ps
}

func (p Projection) String() string {
	s := make([]string, len(p))
	for i, x := range p {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}
