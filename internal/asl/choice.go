package asl

import (
	"strings"
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

// comparandType reports whether w is a valid comparand of op (a comparator
// name without its Path suffix).
func comparandType(op string, w any) bool {
	switch {
	case strings.HasPrefix(op, "String"):
		_, ok := w.(string)
		return ok
	case strings.HasPrefix(op, "Numeric"):
		return isNumber(w)
	case strings.HasPrefix(op, "Boolean"):
		_, ok := w.(bool)
		return ok
	case strings.HasPrefix(op, "Timestamp"):
		s, ok := w.(string)
		if ok {
			_, ok = parseTimestamp(s)
		}
		return ok
	}
	return true
}

func comparandKind(op string) string {
	switch {
	case strings.HasPrefix(op, "String"):
		return "a string"
	case strings.HasPrefix(op, "Numeric"):
		return "a number"
	case strings.HasPrefix(op, "Boolean"):
		return "a boolean"
	}
	return "an RFC 3339 timestamp"
}

// compare applies an operator. Operands of the wrong type make it false.
func compare(op string, v, want any) bool {
	switch op {
	case "IsNull":
		return (v == nil) == want.(bool)
	case "IsNumeric":
		return isNumber(v) == want.(bool)
	case "IsString":
		_, ok := v.(string)
		return ok == want.(bool)
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == want.(bool)
	case "IsTimestamp":
		s, ok := v.(string)
		if ok {
			_, ok = parseTimestamp(s)
		}
		return ok == want.(bool)
	case "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := want.(bool)
		return ok1 && ok2 && a == b
	case "StringMatches":
		a, ok1 := v.(string)
		p, ok2 := want.(string)
		return ok1 && ok2 && wildcardMatch(p, a)
	}
	var c int
	switch {
	case strings.HasPrefix(op, "String"):
		a, ok1 := v.(string)
		b, ok2 := want.(string)
		if !ok1 || !ok2 {
			return false
		}
		c = strings.Compare(a, b)
		op = strings.TrimPrefix(op, "String")
	case strings.HasPrefix(op, "Numeric"):
		if !isNumber(v) || !isNumber(want) {
			return false
		}
		var ok bool
		c, ok = compareNumbers(v, want)
		if !ok {
			return false
		}
		op = strings.TrimPrefix(op, "Numeric")
	case strings.HasPrefix(op, "Timestamp"):
		a, ok1 := v.(string)
		b, ok2 := want.(string)
		if !ok1 || !ok2 {
			return false
		}
		ta, ok1 := parseTimestamp(a)
		tb, ok2 := parseTimestamp(b)
		if !ok1 || !ok2 {
			return false
		}
		c = ta.Compare(tb)
		op = strings.TrimPrefix(op, "Timestamp")
	default:
		return false
	}
	switch op {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
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
