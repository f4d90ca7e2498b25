package asl

import (
	"strings"
	"time"
)

// choose evaluates a Choice state's rules in order and returns the Next of
// the first match, the Default, or States.NoChoiceMatched.
func (e *Engine) choose(r *run, st *State, input any) (string, error) {
	rules := r.plan.choices
	for i := range rules {
		ok, err := e.evalRule(r, &rules[i], input)
		if err != nil {
			return "", err
		}
		if ok {
			return st.Choices[i].Next, nil
		}
	}
	if st.Default != "" {
		return st.Default, nil
	}
	return "", newError(ErrNoChoiceMatched, "No Choice Rule matched in state '%s' and no Default was set", r.name)
}

// comparator returns the rule's operator (without the Path suffix), its
// operand, and whether the operand is a path.
func comparator(c *ChoiceRule) (string, any, bool) {
	switch {
	case c.StringEquals != nil:
		return "StringEquals", *c.StringEquals, false
	case c.StringEqualsPath != "":
		return "StringEquals", c.StringEqualsPath, true
	case c.StringLessThan != nil:
		return "StringLessThan", *c.StringLessThan, false
	case c.StringLessThanPath != "":
		return "StringLessThan", c.StringLessThanPath, true
	case c.StringGreaterThan != nil:
		return "StringGreaterThan", *c.StringGreaterThan, false
	case c.StringGreaterThanPath != "":
		return "StringGreaterThan", c.StringGreaterThanPath, true
	case c.StringLessThanEquals != nil:
		return "StringLessThanEquals", *c.StringLessThanEquals, false
	case c.StringLessThanEqualsPath != "":
		return "StringLessThanEquals", c.StringLessThanEqualsPath, true
	case c.StringGreaterThanEquals != nil:
		return "StringGreaterThanEquals", *c.StringGreaterThanEquals, false
	case c.StringGreaterThanEqualsPath != "":
		return "StringGreaterThanEquals", c.StringGreaterThanEqualsPath, true
	case c.StringMatches != nil:
		return "StringMatches", *c.StringMatches, false
	case c.NumericEquals != nil:
		return "NumericEquals", *c.NumericEquals, false
	case c.NumericEqualsPath != "":
		return "NumericEquals", c.NumericEqualsPath, true
	case c.NumericLessThan != nil:
		return "NumericLessThan", *c.NumericLessThan, false
	case c.NumericLessThanPath != "":
		return "NumericLessThan", c.NumericLessThanPath, true
	case c.NumericGreaterThan != nil:
		return "NumericGreaterThan", *c.NumericGreaterThan, false
	case c.NumericGreaterThanPath != "":
		return "NumericGreaterThan", c.NumericGreaterThanPath, true
	case c.NumericLessThanEquals != nil:
		return "NumericLessThanEquals", *c.NumericLessThanEquals, false
	case c.NumericLessThanEqualsPath != "":
		return "NumericLessThanEquals", c.NumericLessThanEqualsPath, true
	case c.NumericGreaterThanEquals != nil:
		return "NumericGreaterThanEquals", *c.NumericGreaterThanEquals, false
	case c.NumericGreaterThanEqualsPath != "":
		return "NumericGreaterThanEquals", c.NumericGreaterThanEqualsPath, true
	case c.BooleanEquals != nil:
		return "BooleanEquals", *c.BooleanEquals, false
	case c.BooleanEqualsPath != "":
		return "BooleanEquals", c.BooleanEqualsPath, true
	case c.TimestampEquals != nil:
		return "TimestampEquals", *c.TimestampEquals, false
	case c.TimestampEqualsPath != "":
		return "TimestampEquals", c.TimestampEqualsPath, true
	case c.TimestampLessThan != nil:
		return "TimestampLessThan", *c.TimestampLessThan, false
	case c.TimestampLessThanPath != "":
		return "TimestampLessThan", c.TimestampLessThanPath, true
	case c.TimestampGreaterThan != nil:
		return "TimestampGreaterThan", *c.TimestampGreaterThan, false
	case c.TimestampGreaterThanPath != "":
		return "TimestampGreaterThan", c.TimestampGreaterThanPath, true
	case c.TimestampLessThanEquals != nil:
		return "TimestampLessThanEquals", *c.TimestampLessThanEquals, false
	case c.TimestampLessThanEqualsPath != "":
		return "TimestampLessThanEquals", c.TimestampLessThanEqualsPath, true
	case c.TimestampGreaterThanEquals != nil:
		return "TimestampGreaterThanEquals", *c.TimestampGreaterThanEquals, false
	case c.TimestampGreaterThanEqualsPath != "":
		return "TimestampGreaterThanEquals", c.TimestampGreaterThanEqualsPath, true
	case c.IsNull != nil:
		return "IsNull", *c.IsNull, false
	case c.IsNumeric != nil:
		return "IsNumeric", *c.IsNumeric, false
	case c.IsString != nil:
		return "IsString", *c.IsString, false
	case c.IsBoolean != nil:
		return "IsBoolean", *c.IsBoolean, false
	case c.IsTimestamp != nil:
		return "IsTimestamp", *c.IsTimestamp, false
	}
	return "", nil, false
}

// cmpOp is a Choice rule's comparison operator without its Path suffix,
// resolved from its name when the rule is compiled. The String, Numeric and
// Timestamp operators each come in the order of cmpRel.
type cmpOp uint8

const (
	opNone cmpOp = iota
	opIsNull
	opIsNumeric
	opIsString
	opIsBoolean
	opIsTimestamp
	opBooleanEquals
	opStringMatches
	opStringEquals
	opStringLessThan
	opStringGreaterThan
	opStringLessThanEquals
	opStringGreaterThanEquals
	opNumericEquals
	opNumericLessThan
	opNumericGreaterThan
	opNumericLessThanEquals
	opNumericGreaterThanEquals
	opTimestampEquals
	opTimestampLessThan
	opTimestampGreaterThan
	opTimestampLessThanEquals
	opTimestampGreaterThanEquals
	numCmpOps
)

var cmpOpNames = [numCmpOps]string{
	opIsNull: "IsNull", opIsNumeric: "IsNumeric", opIsString: "IsString",
	opIsBoolean: "IsBoolean", opIsTimestamp: "IsTimestamp",
	opBooleanEquals: "BooleanEquals", opStringMatches: "StringMatches",
	opStringEquals: "StringEquals", opStringLessThan: "StringLessThan",
	opStringGreaterThan: "StringGreaterThan", opStringLessThanEquals: "StringLessThanEquals",
	opStringGreaterThanEquals: "StringGreaterThanEquals",
	opNumericEquals:           "NumericEquals", opNumericLessThan: "NumericLessThan",
	opNumericGreaterThan: "NumericGreaterThan", opNumericLessThanEquals: "NumericLessThanEquals",
	opNumericGreaterThanEquals: "NumericGreaterThanEquals",
	opTimestampEquals:          "TimestampEquals", opTimestampLessThan: "TimestampLessThan",
	opTimestampGreaterThan: "TimestampGreaterThan", opTimestampLessThanEquals: "TimestampLessThanEquals",
	opTimestampGreaterThanEquals: "TimestampGreaterThanEquals",
}

// cmpOpOf returns the operator named op (as comparator returns it), or
// opNone.
func cmpOpOf(op string) cmpOp {
	for i, n := range cmpOpNames {
		if n != "" && n == op {
			return cmpOp(i)
		}
	}
	return opNone
}

func (op cmpOp) isString() bool  { return op >= opStringEquals && op <= opStringGreaterThanEquals }
func (op cmpOp) isNumeric() bool { return op >= opNumericEquals && op <= opNumericGreaterThanEquals }
func (op cmpOp) isTimestamp() bool {
	return op >= opTimestampEquals && op <= opTimestampGreaterThanEquals
}

// holds reports whether a String, Numeric or Timestamp operator holds for
// c, the comparison of the value with the operand (-1, 0 or 1).
func (op cmpOp) holds(c int) bool {
	var rel cmpOp
	switch {
	case op.isString():
		rel = op - opStringEquals
	case op.isNumeric():
		rel = op - opNumericEquals
	default:
		rel = op - opTimestampEquals
	}
	switch rel {
	case 0: // Equals
		return c == 0
	case 1: // LessThan
		return c < 0
	case 2: // GreaterThan
		return c > 0
	case 3: // LessThanEquals
		return c <= 0
	}
	return c >= 0 // GreaterThanEquals
}

// comparandType reports whether w is a valid comparand of op.
func comparandType(op cmpOp, w any) bool {
	switch {
	case op.isString() || op == opStringMatches:
		_, ok := w.(string)
		return ok
	case op.isNumeric():
		return isNumber(w)
	case op == opBooleanEquals:
		_, ok := w.(bool)
		return ok
	case op.isTimestamp():
		s, ok := w.(string)
		if ok {
			_, ok = parseTimestamp(s)
		}
		return ok
	}
	return true
}

func comparandKind(op cmpOp) string {
	switch {
	case op.isString() || op == opStringMatches:
		return "a string"
	case op.isNumeric():
		return "a number"
	case op == opBooleanEquals:
		return "a boolean"
	}
	return "an RFC 3339 timestamp"
}

// compare applies the operator named op (tests use it).
func compare(op string, v, want any) bool { return compareOp(cmpOpOf(op), v, want) }

// compareOp applies an operator. Operands of the wrong type make it false.
func compareOp(op cmpOp, v, want any) bool {
	switch op {
	case opIsNull:
		return (v == nil) == want.(bool)
	case opIsNumeric:
		return isNumber(v) == want.(bool)
	case opIsString:
		_, ok := v.(string)
		return ok == want.(bool)
	case opIsBoolean:
		_, ok := v.(bool)
		return ok == want.(bool)
	case opIsTimestamp:
		s, ok := v.(string)
		if ok {
			_, ok = parseTimestamp(s)
		}
		return ok == want.(bool)
	case opBooleanEquals:
		a, ok1 := v.(bool)
		b, ok2 := want.(bool)
		return ok1 && ok2 && a == b
	case opStringMatches:
		a, ok1 := v.(string)
		p, ok2 := want.(string)
		return ok1 && ok2 && wildcardMatch(p, a)
	case opStringEquals:
		a, ok1 := v.(string)
		b, ok2 := want.(string)
		return ok1 && ok2 && a == b
	}
	switch {
	case op.isString():
		a, ok1 := v.(string)
		b, ok2 := want.(string)
		return ok1 && ok2 && op.holds(strings.Compare(a, b))
	case op.isNumeric():
		if !isNumber(v) || !isNumber(want) {
			return false
		}
		c, ok := compareNumbers(v, want)
		return ok && op.holds(c)
	case op.isTimestamp():
		b, ok := want.(string)
		if !ok {
			return false
		}
		tb, ok := parseTimestamp(b)
		return ok && compareTime(op, v, tb)
	}
	return false
}

// compareTime applies a Timestamp operator to v and a parsed operand.
func compareTime(op cmpOp, v any, tb time.Time) bool {
	a, ok := v.(string)
	if !ok {
		return false
	}
	ta, ok := parseTimestamp(a)
	return ok && op.holds(ta.Compare(tb))
}

// wildcardMatch matches s against a StringMatches pattern: "*" matches any
// run of characters; "\*" is a literal asterisk and "\\" a literal
// backslash.
func wildcardMatch(pattern, s string) bool {
	type tok struct {
		star bool
		lit  byte
	}
	var toks []tok
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c == '\\' && i+1 < len(pattern) {
			toks = append(toks, tok{lit: pattern[i+1]})
			i++
			continue
		}
		toks = append(toks, tok{star: c == '*', lit: c})
	}
	// Iterative glob match with backtracking to the last star.
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(s) {
		switch {
		case ti < len(toks) && !toks[ti].star && toks[ti].lit == s[si]:
			ti++
			si++
		case ti < len(toks) && toks[ti].star:
			starT, starS = ti, si
			ti++
		case starT >= 0:
			ti = starT + 1
			starS++
			si = starS
		default:
			return false
		}
	}
	for ti < len(toks) && toks[ti].star {
		ti++
	}
	return ti == len(toks)
}
