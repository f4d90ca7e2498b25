package asl

import (
	"fmt"
	"strconv"
	"strings"
)

// Path is a parsed JSONPath expression in the subset Step Functions uses:
// "$" (or "$$" for the context object), ".name", "['name']", "[n]" (negative
// counts from the end), "[*]" and ".*", unions "[a,b]" and "['a','b']",
// slices "[start:end:step]", recursive descent "..name", and filters
// "[?(@.x == 1)]" with ==, !=, <, <=, >, >=, &&, ||, ! and existence tests.
//
// A path is definite when it can match at most one value (only names and
// single indexes). Evaluating a definite path yields the value; evaluating an
// indefinite one yields the array of all matches (possibly empty), as
// Jayway JsonPath, which Step Functions uses, does.
type Path struct {
	raw      string
	context  bool // starts with "$$"
	segs     []pathSeg
	definite bool
}

type segOp uint8

const (
	segName segOp = iota
	segIndex
	segWildcard
	segNames
	segIndexes
	segSlice
	segFilter
)

type pathSeg struct {
	op        segOp
	recursive bool
	hint      int32 // where name was found last (Object.getHinted)
	name      string
	names     []string
	index     int
	indexes   []int
	slice     [3]*int
	filter    *filterExpr
}

// String returns the path as written.
func (p *Path) String() string { return p.raw }

// Definite reports whether the path matches at most one value.
func (p *Path) Definite() bool { return p.definite }

// Context reports whether the path reads the context object ("$$").
func (p *Path) Context() bool { return p.context }

// isReference reports whether the path is a Reference Path: names and single
// indexes only (what ResultPath and Choice variables accept).
func (p *Path) isReference() bool { return p.definite }

// ParsePath parses a JSONPath expression.
func ParsePath(s string) (*Path, error) {
	ps := &pathParser{s: s}
	p, err := ps.parse()
	if err != nil {
		return nil, fmt.Errorf("invalid path %q: %w", s, err)
	}
	return p, nil
}

type pathParser struct {
	s   string
	pos int
}

func (ps *pathParser) parse() (*Path, error) {
	p := &Path{raw: ps.s, definite: true}
	if !strings.HasPrefix(ps.s, "$") {
		return nil, fmt.Errorf("must start with '$'")
	}
	ps.pos = 1
	if strings.HasPrefix(ps.s, "$$") {
		p.context = true
		ps.pos = 2
	}
	segs, err := ps.segments(false)
	if err != nil {
		return nil, err
	}
	if ps.pos != len(ps.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", ps.s[ps.pos:], ps.pos)
	}
	p.segs = segs
	for _, sg := range segs {
		if sg.recursive || (sg.op != segName && sg.op != segIndex) {
			p.definite = false
		}
	}
	return p, nil
}

// segments reads segments until the end of input or, inside a filter, until
// a character that cannot continue a path.
func (ps *pathParser) segments(inFilter bool) ([]pathSeg, error) {
	var segs []pathSeg
	for ps.pos < len(ps.s) {
		c := ps.s[ps.pos]
		switch c {
		case '.':
			recursive := false
			ps.pos++
			if ps.pos < len(ps.s) && ps.s[ps.pos] == '.' {
				recursive = true
				ps.pos++
			}
			if ps.pos < len(ps.s) && ps.s[ps.pos] == '[' {
				if !recursive {
					return nil, fmt.Errorf("unexpected '[' after '.' at offset %d", ps.pos)
				}
				sg, err := ps.bracket()
				if err != nil {
					return nil, err
				}
				sg.recursive = true
				segs = append(segs, sg)
				continue
			}
			start := ps.pos
			for ps.pos < len(ps.s) && !isNameStop(ps.s[ps.pos], inFilter) {
				ps.pos++
			}
			name := ps.s[start:ps.pos]
			if name == "" {
				return nil, fmt.Errorf("empty field name at offset %d", start)
			}
			if name == "*" {
				segs = append(segs, pathSeg{op: segWildcard, recursive: recursive})
			} else {
				segs = append(segs, pathSeg{op: segName, name: intern(name), recursive: recursive})
			}
		case '[':
			sg, err := ps.bracket()
			if err != nil {
				return nil, err
			}
			segs = append(segs, sg)
		default:
			if inFilter {
				return segs, nil
			}
			return nil, fmt.Errorf("unexpected %q at offset %d", string(c), ps.pos)
		}
	}
	return segs, nil
}

func isNameStop(c byte, inFilter bool) bool {
	if c == '.' || c == '[' || c == ']' {
		return true
	}
	if inFilter {
		return c == ' ' || c == ')' || c == '=' || c == '!' || c == '<' || c == '>' || c == '&' || c == '|' || c == ']'
	}
	return false
}

func (ps *pathParser) skipSpace() {
	for ps.pos < len(ps.s) && ps.s[ps.pos] == ' ' {
		ps.pos++
	}
}

// bracket parses "[...]" starting at '['.
func (ps *pathParser) bracket() (pathSeg, error) {
	ps.pos++ // '['
	ps.skipSpace()
	if ps.pos >= len(ps.s) {
		return pathSeg{}, fmt.Errorf("unterminated '['")
	}
	var sg pathSeg
	switch c := ps.s[ps.pos]; {
	case c == '*':
		ps.pos++
		sg.op = segWildcard
	case c == '?':
		ps.pos++
		ps.skipSpace()
		if ps.pos >= len(ps.s) || ps.s[ps.pos] != '(' {
			return sg, fmt.Errorf("filter must be written [?(...)]")
		}
		ps.pos++
		f, err := ps.filterOr()
		if err != nil {
			return sg, err
		}
		ps.skipSpace()
		if ps.pos >= len(ps.s) || ps.s[ps.pos] != ')' {
			return sg, fmt.Errorf("unterminated filter")
		}
		ps.pos++
		sg.op = segFilter
		sg.filter = f
	case c == '\'' || c == '"':
		var names []string
		for {
			ps.skipSpace()
			n, err := ps.quoted()
			if err != nil {
				return sg, err
			}
			names = append(names, n)
			ps.skipSpace()
			if ps.pos < len(ps.s) && ps.s[ps.pos] == ',' {
				ps.pos++
				continue
			}
			break
		}
		if len(names) == 1 {
			sg.op, sg.name = segName, intern(names[0])
		} else {
			sg.op, sg.names = segNames, names
		}
	default:
		// indexes, unions of indexes, or a slice
		var parts []*int
		colons := 0
		var idxs []int
		cur, err := ps.optInt()
		if err != nil {
			return sg, err
		}
		parts = append(parts, cur)
		for {
			ps.skipSpace()
			if ps.pos >= len(ps.s) {
				return sg, fmt.Errorf("unterminated '['")
			}
			c := ps.s[ps.pos]
			if c == ':' {
				colons++
				if colons > 2 || len(idxs) > 0 {
					return sg, fmt.Errorf("bad slice")
				}
				ps.pos++
				n, err := ps.optInt()
				if err != nil {
					return sg, err
				}
				parts = append(parts, n)
				continue
			}
			if c == ',' {
				if colons > 0 || cur == nil {
					return sg, fmt.Errorf("bad index union")
				}
				ps.pos++
				ps.skipSpace()
				n, err := ps.optInt()
				if err != nil {
					return sg, err
				}
				if n == nil {
					return sg, fmt.Errorf("bad index union")
				}
				if len(idxs) == 0 {
					idxs = append(idxs, *cur)
				}
				idxs = append(idxs, *n)
				continue
			}
			break
		}
		switch {
		case colons > 0:
			sg.op = segSlice
			copy(sg.slice[:], parts)
		case len(idxs) > 0:
			sg.op, sg.indexes = segIndexes, idxs
		case cur != nil:
			sg.op, sg.index = segIndex, *cur
		default:
			return sg, fmt.Errorf("empty brackets")
		}
	}
	ps.skipSpace()
	if ps.pos >= len(ps.s) || ps.s[ps.pos] != ']' {
		return sg, fmt.Errorf("expected ']' at offset %d", ps.pos)
	}
	ps.pos++
	return sg, nil
}

func (ps *pathParser) optInt() (*int, error) {
	ps.skipSpace()
	start := ps.pos
	if ps.pos < len(ps.s) && ps.s[ps.pos] == '-' {
		ps.pos++
	}
	for ps.pos < len(ps.s) && ps.s[ps.pos] >= '0' && ps.s[ps.pos] <= '9' {
		ps.pos++
	}
	if start == ps.pos {
		return nil, nil
	}
	n, err := strconv.Atoi(ps.s[start:ps.pos])
	if err != nil {
		return nil, fmt.Errorf("bad index %q", ps.s[start:ps.pos])
	}
	return &n, nil
}

// quoted reads a '...' or "..." string with backslash escapes.
func (ps *pathParser) quoted() (string, error) {
	if ps.pos >= len(ps.s) || (ps.s[ps.pos] != '\'' && ps.s[ps.pos] != '"') {
		return "", fmt.Errorf("expected a quoted name at offset %d", ps.pos)
	}
	q := ps.s[ps.pos]
	ps.pos++
	var b strings.Builder
	for ps.pos < len(ps.s) {
		c := ps.s[ps.pos]
		switch {
		case c == '\\' && ps.pos+1 < len(ps.s):
			b.WriteByte(ps.s[ps.pos+1])
			ps.pos += 2
		case c == q:
			ps.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			ps.pos++
		}
	}
	return "", fmt.Errorf("unterminated string")
}

// Eval evaluates the path against root (or ctx for "$$" paths). For a
// definite path it returns the value and whether it exists; for an indefinite
// path it returns the array of matches and true. root and ctx are in the
// engine's representation (see Normalize).
func (p *Path) Eval(root, ctx any) (any, bool) {
	start := root
	if p.context {
		start = ctx
	}
	if p.definite {
		v := start
		for i := range p.segs {
			sg := &p.segs[i]
			var ok bool
			if m, isObj := v.(*Object); isObj && sg.op == segName {
				v, ok = m.getHinted(sg.name, &sg.hint) // step1's common case
			} else {
				v, ok = step1(v, sg)
			}
			if !ok {
				return nil, false
			}
		}
		return v, true
	}
	cur := []any{start}
	for i := range p.segs {
		sg := &p.segs[i]
		var next []any
		for _, v := range cur {
			if sg.recursive {
				next = applyRecursive(next, v, sg, root)
			} else {
				next = apply(next, v, sg, root)
			}
		}
		cur = next
	}
	if cur == nil {
		cur = []any{}
	}
	return cur, true
}

func step1(v any, sg *pathSeg) (any, bool) {
	switch sg.op {
	case segName:
		m, ok := v.(*Object)
		if !ok {
			return nil, false
		}
		return m.getHinted(sg.name, &sg.hint)
	case segIndex:
		a, ok := v.([]any)
		if !ok {
			return nil, false
		}
		i := sg.index
		if i < 0 {
			i += len(a)
		}
		if i < 0 || i >= len(a) {
			return nil, false
		}
		return a[i], true
	}
	return nil, false
}

func apply(out []any, v any, sg *pathSeg, root any) []any {
	switch sg.op {
	case segName, segIndex:
		if e, ok := step1(v, sg); ok {
			out = append(out, e)
		}
	case segNames:
		if m, ok := v.(*Object); ok {
			for _, n := range sg.names {
				if e, ok := m.Get(n); ok {
					out = append(out, e)
				}
			}
		}
	case segIndexes:
		for _, i := range sg.indexes {
			if e, ok := step1(v, &pathSeg{op: segIndex, index: i}); ok {
				out = append(out, e)
			}
		}
	case segWildcard:
		out = appendChildren(out, v)
	case segSlice:
		a, ok := v.([]any)
		if !ok {
			break
		}
		step := 1
		if sg.slice[2] != nil {
			step = *sg.slice[2]
		}
		if step <= 0 {
			break
		}
		start, end := 0, len(a)
		if sg.slice[0] != nil {
			start = clampIndex(*sg.slice[0], len(a))
		}
		if sg.slice[1] != nil {
			end = clampIndex(*sg.slice[1], len(a))
		}
		for i := start; i < end; i += step {
			out = append(out, a[i])
		}
	case segFilter:
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if sg.filter.test(e, root) {
					out = append(out, e)
				}
			}
		case *Object:
			for _, m := range x.mems() {
				if sg.filter.test(m.Value, root) {
					out = append(out, m.Value)
				}
			}
		}
	}
	return out
}

func clampIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	if i < 0 {
		return 0
	}
	if i > n {
		return n
	}
	return i
}

func appendChildren(out []any, v any) []any {
	switch x := v.(type) {
	case []any:
		out = append(out, x...)
	case *Object:
		for _, m := range x.mems() {
			out = append(out, m.Value)
		}
	}
	return out
}

// applyRecursive applies sg to v and to every descendant of v, in document
// (pre-)order; object keys are visited in sorted order for determinism.
func applyRecursive(out []any, v any, sg *pathSeg, root any) []any {
	out = apply(out, v, sg, root)
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = applyRecursive(out, e, sg, root)
		}
	case *Object:
		for _, m := range x.mems() {
			out = applyRecursive(out, m.Value, sg, root)
		}
	}
	return out
}

// filterExpr is a filter predicate.
type filterExpr struct {
	op          string // "||", "&&", "!", "cmp", "exists"
	left, right *filterExpr
	lhs, rhs    *filterOperand
	cmp         string
}

type filterOperand struct {
	path    []pathSeg // relative to @ (current) or $ (root)
	root    bool
	literal any
	isLit   bool
}

func (ps *pathParser) filterOr() (*filterExpr, error) {
	l, err := ps.filterAnd()
	if err != nil {
		return nil, err
	}
	for {
		ps.skipSpace()
		if !strings.HasPrefix(ps.s[ps.pos:], "||") {
			return l, nil
		}
		ps.pos += 2
		r, err := ps.filterAnd()
		if err != nil {
			return nil, err
		}
		l = &filterExpr{op: "||", left: l, right: r}
	}
}

func (ps *pathParser) filterAnd() (*filterExpr, error) {
	l, err := ps.filterUnary()
	if err != nil {
		return nil, err
	}
	for {
		ps.skipSpace()
		if !strings.HasPrefix(ps.s[ps.pos:], "&&") {
			return l, nil
		}
		ps.pos += 2
		r, err := ps.filterUnary()
		if err != nil {
			return nil, err
		}
		l = &filterExpr{op: "&&", left: l, right: r}
	}
}

func (ps *pathParser) filterUnary() (*filterExpr, error) {
	ps.skipSpace()
	if ps.pos < len(ps.s) && ps.s[ps.pos] == '!' && !strings.HasPrefix(ps.s[ps.pos:], "!=") {
		ps.pos++
		e, err := ps.filterUnary()
		if err != nil {
			return nil, err
		}
		return &filterExpr{op: "!", left: e}, nil
	}
	if ps.pos < len(ps.s) && ps.s[ps.pos] == '(' {
		ps.pos++
		e, err := ps.filterOr()
		if err != nil {
			return nil, err
		}
		ps.skipSpace()
		if ps.pos >= len(ps.s) || ps.s[ps.pos] != ')' {
			return nil, fmt.Errorf("expected ')' in filter")
		}
		ps.pos++
		return e, nil
	}
	lhs, err := ps.operand()
	if err != nil {
		return nil, err
	}
	ps.skipSpace()
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(ps.s[ps.pos:], op) {
			ps.pos += len(op)
			rhs, err := ps.operand()
			if err != nil {
				return nil, err
			}
			return &filterExpr{op: "cmp", cmp: op, lhs: lhs, rhs: rhs}, nil
		}
	}
	if lhs.isLit {
		return nil, fmt.Errorf("a filter needs a path to test")
	}
	return &filterExpr{op: "exists", lhs: lhs}, nil
}

func (ps *pathParser) operand() (*filterOperand, error) {
	ps.skipSpace()
	if ps.pos >= len(ps.s) {
		return nil, fmt.Errorf("unterminated filter")
	}
	switch c := ps.s[ps.pos]; {
	case c == '@' || c == '$':
		ps.pos++
		segs, err := ps.segments(true)
		if err != nil {
			return nil, err
		}
		return &filterOperand{path: segs, root: c == '$'}, nil
	case c == '\'' || c == '"':
		s, err := ps.quoted()
		if err != nil {
			return nil, err
		}
		return &filterOperand{literal: s, isLit: true}, nil
	}
	start := ps.pos
	for ps.pos < len(ps.s) && !strings.ContainsRune(" )=!<>&|", rune(ps.s[ps.pos])) {
		ps.pos++
	}
	tok := ps.s[start:ps.pos]
	switch tok {
	case "true":
		return &filterOperand{literal: true, isLit: true}, nil
	case "false":
		return &filterOperand{literal: false, isLit: true}, nil
	case "null":
		return &filterOperand{literal: nil, isLit: true}, nil
	}
	if _, err := strconv.ParseFloat(tok, 64); err != nil || tok == "" {
		return nil, fmt.Errorf("bad filter operand %q", tok)
	}
	return &filterOperand{literal: numberLiteral(tok), isLit: true}, nil
}

func (o *filterOperand) value(cur, root any) (any, bool) {
	if o.isLit {
		return o.literal, true
	}
	v := cur
	if o.root {
		v = root
	}
	p := &Path{segs: o.path, definite: true}
	for _, sg := range o.path {
		if sg.recursive || (sg.op != segName && sg.op != segIndex) {
			p.definite = false
		}
	}
	return p.Eval(v, nil)
}

func (f *filterExpr) test(cur, root any) bool {
	switch f.op {
	case "||":
		return f.left.test(cur, root) || f.right.test(cur, root)
	case "&&":
		return f.left.test(cur, root) && f.right.test(cur, root)
	case "!":
		return !f.left.test(cur, root)
	case "exists":
		_, ok := f.lhs.value(cur, root)
		return ok
	}
	a, ok1 := f.lhs.value(cur, root)
	b, ok2 := f.rhs.value(cur, root)
	if !ok1 || !ok2 {
		return false
	}
	switch f.cmp {
	case "==":
		return jsonEqual(a, b)
	case "!=":
		return !jsonEqual(a, b)
	}
	var c int
	if isNumber(a) && isNumber(b) {
		c, _ = compareNumbers(a, b)
	} else if as, ok := a.(string); ok {
		bs, ok := b.(string)
		if !ok {
			return false
		}
		c = strings.Compare(as, bs)
	} else {
		return false
	}
	switch f.cmp {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	default:
		return c >= 0
	}
}

// setPath returns a copy of root with the value at the reference path p
// replaced by v, creating missing objects on the way. It fails when the path
// goes through a value that is not an object (or an array, for an index).
// The objects it makes come from a (nil: allocated on their own).
func setPath(a *objectArena, root any, segs []pathSeg, v any) (any, error) {
	if len(segs) == 0 {
		return v, nil
	}
	sg := &segs[0]
	switch sg.op {
	case segName:
		m, ok := root.(*Object)
		if !ok {
			return nil, fmt.Errorf("cannot set field %q on a %s", sg.name, typeName(root))
		}
		child := v
		if len(segs) > 1 {
			var err error
			if old, ok := m.Get(sg.name); ok {
				child, err = setPath(a, old, segs[1:], v)
			} else {
				child, err = buildPath(segs[1:], v)
			}
			if err != nil {
				return nil, err
			}
		}
		return m.with(a, sg.name, child), nil
	case segIndex:
		arr, ok := root.([]any)
		if !ok {
			return nil, fmt.Errorf("cannot set index %d on a %s", sg.index, typeName(root))
		}
		i := sg.index
		if i < 0 {
			i += len(arr)
		}
		if i < 0 || i >= len(arr) {
			return nil, fmt.Errorf("index %d out of range", sg.index)
		}
		out := append([]any(nil), arr...)
		child, err := setPath(a, out[i], segs[1:], v)
		if err != nil {
			return nil, err
		}
		out[i] = child
		return out, nil
	}
	return nil, fmt.Errorf("not a reference path")
}

// buildPath makes the objects a reference path needs below a missing field.
func buildPath(segs []pathSeg, v any) (any, error) {
	if len(segs) == 0 {
		return v, nil
	}
	if segs[0].op != segName {
		return nil, fmt.Errorf("index %d on a missing value", segs[0].index)
	}
	child, err := buildPath(segs[1:], v)
	if err != nil {
		return nil, err
	}
	o := newObject(1)
	o.ms[0] = Member{segs[0].name, child}
	return o, nil
}
