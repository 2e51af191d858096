package expr

import (
	"strconv"
	"strings"
)

// parser is a recursive-descent parser over a pre-lexed token slice. It
// only checks syntax; names, values, functions and types are checked by
// the checker afterwards, because DynamoDB reports a syntax error before
// any of those.
//
// Productions return ok=false after recording an error; the error kept is
// the one furthest into the input, since where the grammar backtracks
// (a parenthesis opening a condition or an operand) the furthest attempt
// is the one that explains the input best.
type parser struct {
	src  string
	toks []token
	pos  int

	errAt  int
	failed bool

	// A repeated clause is not a syntax error in DynamoDB; it is kept for
	// the checker.
	dupSection string
}

func newParser(src string) *parser {
	return &parser{src: src, toks: lex(src)}
}

func (p *parser) peek() token        { return p.toks[p.pos] }
func (p *parser) peekAt(k int) token { return p.toks[min(p.pos+k, len(p.toks)-1)] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	return t
}

func (p *parser) fail() bool {
	if !p.failed || p.pos > p.errAt {
		p.errAt = p.pos
		p.failed = true
	}
	return false
}

func (p *parser) expect(k tokKind) bool {
	if p.peek().kind != k {
		return p.fail()
	}
	p.next()
	return true
}

func (p *parser) isWord(t token, word string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, word)
}

// syntaxError quotes the offending token and its neighbours, as DynamoDB
// does: Syntax error; token: "x", near: "a x b".
func (p *parser) syntaxError() string {
	i := p.errAt
	t := p.toks[i]
	tok := t.text
	if t.kind == tEOF {
		tok = "<EOF>"
	}
	start := t.pos
	if i > 0 {
		start = p.toks[i-1].pos
	}
	end := t.end
	if i+1 < len(p.toks) && p.toks[i+1].kind != tEOF {
		end = p.toks[i+1].end
	}
	return `Syntax error; token: "` + tok + `", near: "` + p.src[start:end] + `"`
}

var condKeywords = []string{"AND", "OR", "NOT", "BETWEEN", "IN"}
var updateKeywords = []string{"SET", "REMOVE", "ADD", "DELETE"}

func isOneOf(t token, words []string) bool {
	if t.kind != tIdent {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(t.text, w) {
			return true
		}
	}
	return false
}

// ---- conditions ----

func (p *parser) parseConditionTop() (Cond, bool) {
	c, ok := p.parseOr()
	if !ok {
		return nil, false
	}
	if p.peek().kind != tEOF {
		return nil, p.fail()
	}
	return c, true
}

func (p *parser) parseOr() (Cond, bool) {
	l, ok := p.parseAnd()
	if !ok {
		return nil, false
	}
	for p.isWord(p.peek(), "OR") {
		p.next()
		r, ok := p.parseAnd()
		if !ok {
			return nil, false
		}
		l = &Or{L: l, R: r}
	}
	return l, true
}

func (p *parser) parseAnd() (Cond, bool) {
	l, ok := p.parseNot()
	if !ok {
		return nil, false
	}
	for p.isWord(p.peek(), "AND") {
		p.next()
		r, ok := p.parseNot()
		if !ok {
			return nil, false
		}
		l = &And{L: l, R: r}
	}
	return l, true
}

func (p *parser) parseNot() (Cond, bool) {
	if p.isWord(p.peek(), "NOT") {
		p.next()
		x, ok := p.parseNot()
		if !ok {
			return nil, false
		}
		return &Not{X: x}, true
	}
	return p.parsePrimary()
}

func (p *parser) startsComparison(t token) bool {
	switch t.kind {
	case tEq, tNe, tLt, tLe, tGt, tGe:
		return true
	}
	return p.isWord(t, "BETWEEN") || p.isWord(t, "IN")
}

func (p *parser) parsePrimary() (Cond, bool) {
	if p.peek().kind == tLParen {
		// "(" opens either a nested condition or a parenthesised operand
		// ("(a) = :v"); try the condition first and fall back.
		save := p.pos
		p.next()
		if c, ok := p.parseOr(); ok && p.expect(tRParen) && !p.startsComparison(p.peek()) {
			return c, true
		}
		p.pos = save
	}
	l, ok := p.parseOperand(condKeywords, false)
	if !ok {
		return nil, false
	}
	t := p.peek()
	switch {
	case t.kind == tEq || t.kind == tNe || t.kind == tLt || t.kind == tLe || t.kind == tGt || t.kind == tGe:
		p.next()
		r, ok := p.parseOperand(condKeywords, false)
		if !ok {
			return nil, false
		}
		return &Compare{Op: t.text, L: l, R: r}, true
	case p.isWord(t, "BETWEEN"):
		p.next()
		lo, ok := p.parseOperand(condKeywords, false)
		if !ok {
			return nil, false
		}
		if !p.isWord(p.peek(), "AND") {
			return nil, p.fail()
		}
		p.next()
		hi, ok := p.parseOperand(condKeywords, false)
		if !ok {
			return nil, false
		}
		return &Between{X: l, Lo: lo, Hi: hi}, true
	case p.isWord(t, "IN"):
		p.next()
		if !p.expect(tLParen) {
			return nil, false
		}
		list, ok := p.parseOperandList(condKeywords, false)
		if !ok || !p.expect(tRParen) {
			return nil, false
		}
		return &In{X: l, List: list}, true
	}
	if c, isCall := l.(*Call); isCall {
		return c, true
	}
	return nil, p.fail()
}

// ---- operands and paths ----

// parseOperand reads a path, a :value, a function call or a parenthesised
// operand. arith allows a + b and a - b inside parentheses (SET only).
func (p *parser) parseOperand(keywords []string, arith bool) (Operand, bool) {
	t := p.peek()
	switch t.kind {
	case tLParen:
		p.next()
		var o Operand
		var ok bool
		if arith {
			o, ok = p.parseSetValue()
		} else {
			o, ok = p.parseOperand(keywords, false)
		}
		if !ok || !p.expect(tRParen) {
			return nil, false
		}
		return o, true
	case tValue:
		p.next()
		return &ValueRef{Name: t.text}, true
	case tIdent:
		if isOneOf(t, keywords) {
			return nil, p.fail()
		}
		if p.peekAt(1).kind == tLParen {
			p.next()
			p.next()
			args, ok := p.parseOperandList(keywords, arith)
			if !ok || !p.expect(tRParen) {
				return nil, false
			}
			return &Call{Name: t.text, Args: args}, true
		}
		return p.parsePath(keywords)
	case tName:
		return p.parsePath(keywords)
	}
	return nil, p.fail()
}

func (p *parser) parseOperandList(keywords []string, arith bool) ([]Operand, bool) {
	var list []Operand
	for {
		o, ok := p.parseOperand(keywords, arith)
		if !ok {
			return nil, false
		}
		list = append(list, o)
		if p.peek().kind != tComma {
			return list, true
		}
		p.next()
	}
}

func (p *parser) parseName(keywords []string) (PathElem, bool) {
	t := p.peek()
	switch {
	case t.kind == tName:
		p.next()
		return PathElem{Alias: t.text}, true
	case t.kind == tIdent && !isOneOf(t, keywords):
		p.next()
		return PathElem{Name: t.text}, true
	}
	return PathElem{}, p.fail()
}

func (p *parser) parsePath(keywords []string) (Path, bool) {
	first, ok := p.parseName(keywords)
	if !ok {
		return nil, false
	}
	path := Path{first}
	for {
		switch p.peek().kind {
		case tDot:
			p.next()
			// After a dot nothing is a keyword; a reserved word there is
			// still refused, by the reserved-word check.
			e, ok := p.parseName(nil)
			if !ok {
				return nil, false
			}
			path = append(path, e)
		case tLBrack:
			p.next()
			t := p.peek()
			if t.kind != tNumber {
				return nil, p.fail()
			}
			i, err := strconv.Atoi(t.text)
			if err != nil || i > 1<<31-1 {
				return nil, p.fail()
			}
			p.next()
			if !p.expect(tRBrack) {
				return nil, false
			}
			path = append(path, PathElem{Index: i, IsIndex: true})
		default:
			return path, true
		}
	}
}

// ---- update expressions ----

func (p *parser) parseUpdateTop() (*Update, bool) {
	u := &Update{}
	seen := map[string]bool{}
	for {
		t := p.peek()
		if !isOneOf(t, updateKeywords) {
			return nil, p.fail()
		}
		section := strings.ToUpper(t.text)
		if seen[section] && p.dupSection == "" {
			p.dupSection = section
		}
		seen[section] = true
		p.next()
		for {
			path, ok := p.parsePath(updateKeywords)
			if !ok {
				return nil, false
			}
			switch section {
			case "SET":
				if !p.expect(tEq) {
					return nil, false
				}
				v, ok := p.parseSetValue()
				if !ok {
					return nil, false
				}
				u.Set = append(u.Set, SetAction{Path: path, Value: v})
			case "REMOVE":
				u.Remove = append(u.Remove, path)
			case "ADD", "DELETE":
				vt := p.peek()
				if vt.kind != tValue {
					return nil, p.fail()
				}
				p.next()
				ref := &ValueRef{Name: vt.text}
				if section == "ADD" {
					u.Add = append(u.Add, AddAction{Path: path, Value: ref})
				} else {
					u.Delete = append(u.Delete, DeleteAction{Path: path, Value: ref})
				}
			}
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
		if p.peek().kind == tEOF {
			return u, true
		}
	}
}

// parseSetValue reads operand [(+|-) operand].
func (p *parser) parseSetValue() (Operand, bool) {
	l, ok := p.parseOperand(updateKeywords, true)
	if !ok {
		return nil, false
	}
	t := p.peek()
	if t.kind != tPlus && t.kind != tMinus {
		return l, true
	}
	p.next()
	r, ok := p.parseOperand(updateKeywords, true)
	if !ok {
		return nil, false
	}
	return &Arith{Op: t.text[0], L: l, R: r}, true
}

// ---- projection expressions ----

func (p *parser) parseProjectionTop() (Projection, bool) {
	var ps Projection
	for {
		path, ok := p.parsePath(nil)
		if !ok {
			return nil, false
		}
		ps = append(ps, path)
		switch p.peek().kind {
		case tComma:
			p.next()
		case tEOF:
			return ps, true
		default:
			return nil, p.fail()
		}
	}
}

// redundantParens finds "((x))" in a condition: a parenthesis whose whole
// content is another parenthesised group. Parentheses of a function call
// or of IN's list are not groups.
func redundantParens(toks []token) bool {
	match := make([]int, len(toks))
	var stack []int
	for i, t := range toks {
		switch t.kind {
		case tLParen:
			stack = append(stack, i)
		case tRParen:
			if len(stack) == 0 {
				return false
			}
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			match[open] = i
		}
	}
	isGroup := func(i int) bool {
		if i == 0 {
			return true
		}
		prev := toks[i-1]
		return prev.kind != tIdent || isOneOf(prev, []string{"AND", "OR", "NOT", "BETWEEN"})
	}
	for i, t := range toks {
		if t.kind != tLParen || !isGroup(i) || i+1 >= len(toks) || toks[i+1].kind != tLParen {
			continue
		}
		if match[i+1] == match[i]-1 {
			return true
		}
	}
	return false
}
