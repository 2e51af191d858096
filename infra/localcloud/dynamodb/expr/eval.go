package expr

import (
	"cmp"
	"errors"
	"slices"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"
)

// Get returns the value at the path in the item; ok is false when any
// step is missing or is not the map or list the path needs.
func (p Path) Get(item attr.Item) (v attr.Value, ok bool) {
	if len(p) == 0 || p[0].IsIndex {
		return attr.Value{}, false
	}
	v, ok = item[p[0].Name]
	for _, e := range p[1:] {
		if !ok {
			break
		}
		v, ok = step(v, e)
	}
	if !ok {
		return attr.Value{}, false
	}
	return v, true
}

func step(v attr.Value, e PathElem) (attr.Value, bool) {
	if e.IsIndex {
		l := v.AsL()
		if v.Type() != attr.TypeL || e.Index >= len(l) {
			return attr.Value{}, false
		}
		return l[e.Index], true
	}
	if v.Type() != attr.TypeM {
		return attr.Value{}, false
	}
	x, ok := v.AsM()[e.Name]
	return x, ok
}

// ---- conditions ----

// Eval evaluates a condition or filter expression against an item (nil
// for an item that does not exist). As in DynamoDB, comparing values of
// different types, or with a missing attribute, is false rather than an
// error.
func Eval(c Cond, item attr.Item) (bool, error) {
	switch c := c.(type) {
	case *And:
		l, err := Eval(c.L, item)
		if err != nil || !l {
			return false, err
		}
		return Eval(c.R, item)
	case *Or:
		l, err := Eval(c.L, item)
		if err != nil || l {
			return l, err
		}
		return Eval(c.R, item)
	case *Not:
		x, err := Eval(c.X, item)
		return !x && err == nil, err
	case *Compare:
		l, r := operand(c.L, item), operand(c.R, item)
		switch c.Op {
		case "=":
			return l.Valid() && attr.Equal(l, r), nil
		case "<>":
			return !attr.Equal(l, r), nil
		}
		n, ok := attr.Compare(l, r)
		if !ok {
			return false, nil
		}
		switch c.Op {
		case "<":
			return n < 0, nil
		case "<=":
			return n <= 0, nil
		case ">":
			return n > 0, nil
		case ">=":
			return n >= 0, nil
		}
		return false, plain("unknown comparator " + c.Op)
	case *Between:
		x := operand(c.X, item)
		lo, ok1 := attr.Compare(x, operand(c.Lo, item))
		hi, ok2 := attr.Compare(x, operand(c.Hi, item))
		return ok1 && ok2 && lo >= 0 && hi <= 0, nil
	case *In:
		x := operand(c.X, item)
		if !x.Valid() {
			return false, nil
		}
		for _, o := range c.List {
			if attr.Equal(x, operand(o, item)) {
				return true, nil
			}
		}
		return false, nil
	case *Call:
		return evalFunc(c, item)
	}
	return false, plain("unknown condition")
}

func evalFunc(f *Call, item attr.Item) (bool, error) {
	arg := func(i int) attr.Value { return operand(f.Args[i], item) }
	switch f.Name {
	case "attribute_exists":
		return arg(0).Valid(), nil
	case "attribute_not_exists":
		return !arg(0).Valid(), nil
	case "attribute_type":
		v, t := arg(0), arg(1)
		return v.Valid() && t.Type() == attr.TypeS && v.Type().String() == t.AsS(), nil
	case "begins_with":
		return attr.BeginsWith(arg(0), arg(1)), nil
	case "contains":
		v, x := arg(0), arg(1)
		return v.Valid() && x.Valid() && attr.Contains(v, x), nil
	}
	return false, plain("Invalid function name; function: " + f.Name)
}

// operand evaluates a condition operand; the zero Value stands for a
// missing attribute or a size() of something that has none.
func operand(o Operand, item attr.Item) attr.Value {
	switch o := o.(type) {
	case Path:
		v, _ := o.Get(item)
		return v
	case *ValueRef:
		return o.Value
	case *Call:
		if o.Name == "size" && len(o.Args) == 1 {
			if n, ok := operand(o.Args[0], item).Len(); ok {
				return attr.N(attr.NumberFromInt(int64(n)))
			}
		}
	}
	return attr.Value{}
}

// ---- updates ----

type write struct {
	path   Path
	value  attr.Value
	remove bool
}

// Apply runs an update expression on an item (nil or empty for an item
// that does not exist yet) and returns the updated item. It never changes
// item or anything reachable from it: containers on an updated path are
// copied, everything else is shared, so the caller can keep the old item
// for ReturnValues or to roll back.
//
// Every value on the right-hand side is computed from the item as it was
// before the update, as in DynamoDB; list indexes in SET and REMOVE refer
// to the list as it was, a SET past the end of a list appends, and a
// REMOVE of an element or attribute that is not there does nothing.
func Apply(u *Update, item attr.Item) (attr.Item, error) {
	var writes, removes []write
	for _, a := range u.Set {
		v, err := updateOperand(a.Value, item)
		if err != nil {
			return nil, err
		}
		writes = append(writes, write{path: a.Path, value: v})
	}
	for _, p := range u.Remove {
		removes = append(removes, write{path: p, remove: true})
	}
	for _, a := range u.Add {
		v := a.Value.Value
		old, ok := a.Path.Get(item)
		if ok {
			switch {
			case old.Type() == attr.TypeN && v.Type() == attr.TypeN:
				n, err := old.AsN().Add(v.AsN())
				if err != nil {
					return nil, numberError(err)
				}
				v = attr.N(n)
			default:
				var union bool
				if v, union = attr.Union(old, v); !union {
					return nil, plain(msgBadOperandType)
				}
			}
		}
		writes = append(writes, write{path: a.Path, value: v})
	}
	for _, a := range u.Delete {
		old, ok := a.Path.Get(item)
		if !ok {
			// Still refuse a path whose parent cannot hold it.
			removes = append(removes, write{path: a.Path, remove: true})
			continue
		}
		v, empty, same := attr.Difference(old, a.Value.Value)
		if !same {
			return nil, plain(msgBadOperandType)
		}
		if empty {
			removes = append(removes, write{path: a.Path, remove: true})
		} else {
			writes = append(writes, write{path: a.Path, value: v})
		}
	}

	out := make(attr.Item, len(item)+len(writes))
	for k, v := range item {
		out[k] = v
	}
	// Ascending order makes several SETs past the end of one list append
	// in index order; descending removals keep the indexes of elements
	// not yet removed pointing where they pointed in the original list.
	slices.SortStableFunc(writes, func(a, b write) int { return comparePaths(a.path, b.path) })
	slices.SortStableFunc(removes, func(a, b write) int { return comparePaths(b.path, a.path) })
	for _, w := range writes {
		if err := update(out, w); err != nil {
			return nil, err
		}
	}
	for _, w := range removes {
		if _, existed := w.path.Get(item); !existed {
			// Nothing to remove, but the path must still be one the item
			// could hold.
			if err := checkParent(item, w.path); err != nil {
				return nil, err
			}
			continue
		}
		if err := update(out, w); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func numberError(err error) error {
	var ae *attr.Error
	if errors.As(err, &ae) {
		return plain(ae.Message)
	}
	return plain(err.Error())
}

func comparePaths(a, b Path) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x.IsIndex != y.IsIndex {
			if x.IsIndex {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(x.Index, y.Index); x.IsIndex && c != 0 {
			return c
		}
		if c := cmp.Compare(x.Name, y.Name); !x.IsIndex && c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// checkParent fails when the path's parent is missing or is not the map
// or list the last step needs.
func checkParent(item attr.Item, p Path) error {
	if len(p) == 1 {
		return nil
	}
	parent, ok := p[:len(p)-1].Get(item)
	last := p[len(p)-1]
	if !ok || (last.IsIndex && parent.Type() != attr.TypeL) || (!last.IsIndex && parent.Type() != attr.TypeM) {
		return plain(msgInvalidPath)
	}
	return nil
}

func update(item attr.Item, w write) error {
	name := w.path[0].Name
	if len(w.path) == 1 {
		if w.remove {
			delete(item, name)
		} else {
			item[name] = w.value
		}
		return nil
	}
	top, ok := item[name]
	if !ok {
		return plain(msgInvalidPath)
	}
	v, err := updateIn(top, w.path[1:], w)
	if err != nil {
		return err
	}
	item[name] = v
	return nil
}

// updateIn returns cur with the write applied below it, copying each
// container it changes.
func updateIn(cur attr.Value, rest Path, w write) (attr.Value, error) {
	e := rest[0]
	if e.IsIndex {
		if cur.Type() != attr.TypeL {
			return attr.Value{}, plain(msgInvalidPath)
		}
		l := slices.Clone(cur.AsL())
		if len(rest) == 1 {
			switch {
			case w.remove && e.Index < len(l):
				l = slices.Delete(l, e.Index, e.Index+1)
			case w.remove:
			case e.Index >= len(l):
				l = append(l, w.value)
			default:
				l[e.Index] = w.value
			}
			return attr.L(l...), nil
		}
		if e.Index >= len(l) {
			return attr.Value{}, plain(msgInvalidPath)
		}
		child, err := updateIn(l[e.Index], rest[1:], w)
		if err != nil {
			return attr.Value{}, err
		}
		l[e.Index] = child
		return attr.L(l...), nil
	}
	if cur.Type() != attr.TypeM {
		return attr.Value{}, plain(msgInvalidPath)
	}
	m := make(map[string]attr.Value, len(cur.AsM())+1)
	for k, v := range cur.AsM() {
		m[k] = v
	}
	if len(rest) == 1 {
		if w.remove {
			delete(m, e.Name)
		} else {
			m[e.Name] = w.value
		}
		return attr.M(m), nil
	}
	child, ok := m[e.Name]
	if !ok {
		return attr.Value{}, plain(msgInvalidPath)
	}
	child, err := updateIn(child, rest[1:], w)
	if err != nil {
		return attr.Value{}, err
	}
	m[e.Name] = child
	return attr.M(m), nil
}

// updateOperand computes a SET value from the item before the update.
func updateOperand(o Operand, item attr.Item) (attr.Value, error) {
	switch o := o.(type) {
	case Path:
		v, ok := o.Get(item)
		if !ok {
			return attr.Value{}, plain(msgNoSuchAttr)
		}
		return v, nil
	case *ValueRef:
		return o.Value, nil
	case *Arith:
		l, err := updateOperand(o.L, item)
		if err != nil {
			return attr.Value{}, err
		}
		if l.Type() != attr.TypeN {
			return attr.Value{}, plain(msgBadOperandType)
		}
		r, err := updateOperand(o.R, item)
		if err != nil {
			return attr.Value{}, err
		}
		if r.Type() != attr.TypeN {
			return attr.Value{}, plain(msgBadOperandType)
		}
		var n attr.Number
		if o.Op == '+' {
			n, err = l.AsN().Add(r.AsN())
		} else {
			n, err = l.AsN().Sub(r.AsN())
		}
		if err != nil {
			return attr.Value{}, numberError(err)
		}
		return attr.N(n), nil
	case *Call:
		switch o.Name {
		case "if_not_exists":
			if p, ok := o.Args[0].(Path); ok {
				if v, ok := p.Get(item); ok {
					return v, nil
				}
			}
			return updateOperand(o.Args[1], item)
		case "list_append":
			l, err := updateOperand(o.Args[0], item)
			if err != nil {
				return attr.Value{}, err
			}
			if l.Type() != attr.TypeL {
				return attr.Value{}, plain(msgBadOperandType)
			}
			r, err := updateOperand(o.Args[1], item)
			if err != nil {
				return attr.Value{}, err
			}
			if r.Type() != attr.TypeL {
				return attr.Value{}, plain(msgBadOperandType)
			}
			return attr.L(slices.Concat(l.AsL(), r.AsL())...), nil
		}
		return attr.Value{}, plain("Invalid function name; function: " + o.Name)
	}
	return attr.Value{}, plain("unknown operand")
}

// ---- projections ----

type selection struct {
	whole   bool
	names   map[string]*selection
	indexes map[int]*selection
}

func (s *selection) child(e PathElem) *selection {
	if e.IsIndex {
		if s.indexes == nil {
			s.indexes = map[int]*selection{}
		}
		if s.indexes[e.Index] == nil {
			s.indexes[e.Index] = &selection{}
		}
		return s.indexes[e.Index]
	}
	if s.names == nil {
		s.names = map[string]*selection{}
	}
	if s.names[e.Name] == nil {
		s.names[e.Name] = &selection{}
	}
	return s.names[e.Name]
}

// Project returns the parts of the item the projection names. As in
// DynamoDB, nested selections keep their nesting, elements picked from a
// list come back as a shorter list in index order, and paths the item
// does not have are left out.
func Project(pr Projection, item attr.Item) attr.Item {
	if item == nil {
		return nil
	}
	root := &selection{}
	for _, p := range pr {
		s := root
		for _, e := range p {
			s = s.child(e)
		}
		s.whole = true
	}
	out := attr.Item{}
	for name, s := range root.names {
		if v, ok := item[name]; ok {
			if pv, ok := s.apply(v); ok {
				out[name] = pv
			}
		}
	}
	return out
}

func (s *selection) apply(v attr.Value) (attr.Value, bool) {
	if s.whole {
		return v, true
	}
	switch {
	case v.Type() == attr.TypeM && s.names != nil:
		m := map[string]attr.Value{}
		for name, sub := range s.names {
			if x, ok := v.AsM()[name]; ok {
				if px, ok := sub.apply(x); ok {
					m[name] = px
				}
			}
		}
		return attr.M(m), len(m) > 0
	case v.Type() == attr.TypeL && s.indexes != nil:
		idx := make([]int, 0, len(s.indexes))
		for i := range s.indexes {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		var l []attr.Value
		for _, i := range idx {
			if i < len(v.AsL()) {
				if px, ok := s.indexes[i].apply(v.AsL()[i]); ok {
					l = append(l, px)
				}
			}
		}
		return attr.L(l...), len(l) > 0
	}
	return attr.Value{}, false
}
