package journey

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/parcours/parcours/internal/asl"
)

// Context paths a condition can compare timestamps with.
const (
	pathStart = "$$.Execution.StartTime" // when the journey started
	pathNow   = "$$.State.EnteredTime"   // when the Choice state was entered
)

// Behavioural classes (see profile.View).
var (
	frequencies = []string{"prospect", "new", "repeat", "loyal", "vip"}
	recencies   = []string{"active", "inactive", "lost"}
)

var condKeys = []string{"all", "any", "not", "field", "present", "absent", "tag", "frequency", "recency", "aov",
	"favourite_category", "last_touch_channel", "last_touch_device"}

var operators = []string{"equals", "not_equals", "less_than", "greater_than", "at_most", "at_least", "before", "after", "in", "matches"}

// condParser turns a condition into a Choice rule (without Next).
type condParser struct {
	p       *parser
	trigger bool // a trigger filter: evaluated by the router over the execution input
	uses    uses
}

func (c *condParser) cond(n *yaml.Node) (asl.ChoiceRule, uses, bool) {
	c.uses = uses{}
	r, ok := c.node(n)
	return r, c.uses, ok
}

func (c *condParser) node(n *yaml.Node) (asl.ChoiceRule, bool) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		c.p.r.at(n, "e.g. {field: profile.subscribed, equals: false}", "a condition must be a mapping, not %s", describe(n))
		return asl.ChoiceRule{}, false
	}
	head := n.Content[0].Value
	if !slices.Contains(condKeys, head) {
		if slices.Contains(operators, head) {
			c.p.r.at(n.Content[0], "start with field: <name>, then the operator", "condition starts with operator %q", head)
		} else {
			c.p.r.at(n.Content[0], didYouMean(head, condKeys), "unknown condition %q", head)
		}
		return asl.ChoiceRule{}, false
	}
	if head == "field" {
		return c.comparison(n)
	}
	m := c.p.mapping(n, head+" condition", head)
	if m == nil {
		return asl.ChoiceRule{}, false
	}
	v := m[head]
	switch head {
	case "all", "any":
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			c.p.r.at(v, "e.g. "+head+": [{...}, {...}]", "%s needs a non-empty list of conditions", head)
			return asl.ChoiceRule{}, false
		}
		var rules []asl.ChoiceRule
		ok := true
		for _, e := range v.Content {
			r, rok := c.node(e)
			ok = ok && rok
			rules = append(rules, r)
		}
		if !ok {
			return asl.ChoiceRule{}, false
		}
		if len(rules) == 1 {
			return rules[0], true
		}
		var flat []asl.ChoiceRule
		for _, r := range rules { // all: [all: [a, b], c] is all: [a, b, c]
			if head == "all" && r.And != nil && r.Variable == "" {
				flat = append(flat, r.And...)
			} else if head == "any" && r.Or != nil && r.Variable == "" {
				flat = append(flat, r.Or...)
			} else {
				flat = append(flat, r)
			}
		}
		if head == "all" {
			return asl.ChoiceRule{And: flat}, true
		}
		return asl.ChoiceRule{Or: flat}, true
	case "not":
		r, ok := c.node(v)
		if !ok {
			return asl.ChoiceRule{}, false
		}
		return asl.ChoiceRule{Not: &r}, true
	case "present", "absent":
		name, ok := c.p.str(v, head)
		if !ok {
			return asl.ChoiceRule{}, false
		}
		src, fname, _, ok := c.ref(v, name)
		if !ok {
			return asl.ChoiceRule{}, false
		}
		return asl.ChoiceRule{Variable: jsonPath(src, fname), IsPresent: ptr(head == "present")}, true
	}
	// Behavioural classes read the profile.
	if c.trigger {
		c.p.r.at(n.Content[0], "the filter runs in the router before the journey starts; it can only test trigger fields", "%s cannot be used in a trigger filter", head)
		return asl.ChoiceRule{}, false
	}
	c.uses.profile = true
	switch head {
	case "tag":
		name, ok := c.p.str(v, "tag")
		if !ok {
			return asl.ChoiceRule{}, false
		}
		if !validKey(name) {
			c.p.r.at(v, "tags usable in journeys contain letters, digits, _ and -", "invalid tag %q", name)
			return asl.ChoiceRule{}, false
		}
		return asl.ChoiceRule{Variable: jsonPath(srcProfile, "tag."+name), IsPresent: ptr(true)}, true
	case "frequency":
		return c.oneOf(v, "frequency", frequencies, jsonPath(srcProfile, "frequency"), false)
	case "favourite_category":
		return c.oneOf(v, "favourite category", nil, jsonPath(srcProfile, "favourite_category"), true)
	case "last_touch_channel":
		return c.oneOf(v, "channel", nil, jsonPath(srcProfile, "last_touch.channel"), true)
	case "last_touch_device":
		return c.oneOf(v, "device", []string{"mobile", "tablet", "desktop"}, jsonPath(srcProfile, "last_touch.device"), true)
	case "recency":
		s, ok := c.p.str(v, "recency")
		if !ok {
			return asl.ChoiceRule{}, false
		}
		inactive, lost := jsonPath(srcProfile, "inactive_at"), jsonPath(srcProfile, "lost_at")
		reached := func(p string) asl.ChoiceRule { // p is set and not after now
			return asl.ChoiceRule{And: []asl.ChoiceRule{{Variable: p, IsPresent: ptr(true)}, {Variable: p, TimestampLessThanEqualsPath: pathNow}}}
		}
		switch s {
		case "active":
			return asl.ChoiceRule{And: []asl.ChoiceRule{{Variable: inactive, IsPresent: ptr(true)}, {Variable: inactive, TimestampGreaterThanPath: pathNow}}}, true
		case "inactive":
			notLost := reached(lost)
			return asl.ChoiceRule{And: []asl.ChoiceRule{reached(inactive), {Not: &notLost}}}, true
		case "lost":
			return reached(lost), true
		}
		c.p.r.at(v, didYouMean(s, recencies), "unknown recency %q", s)
		return asl.ChoiceRule{}, false
	case "aov":
		if v.Kind != yaml.MappingNode {
			c.p.r.at(v, "e.g. aov: {at_least: 80}", "aov needs a comparison")
			return asl.ChoiceRule{}, false
		}
		return c.compare(v, srcProfile, "aov", field{kNumber, true}, nil)
	}
	return asl.ChoiceRule{}, false
}

// oneOf is a string class: a value or a list of values.
func (c *condParser) oneOf(v *yaml.Node, what string, valid []string, path string, optional bool) (asl.ChoiceRule, bool) {
	vals := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		vals = v.Content
	}
	var rules []asl.ChoiceRule
	for _, e := range vals {
		s, ok := c.p.str(e, what)
		if !ok {
			return asl.ChoiceRule{}, false
		}
		if valid != nil && !slices.Contains(valid, s) {
			c.p.r.at(e, didYouMean(s, valid), "unknown %s %q", what, s)
			return asl.ChoiceRule{}, false
		}
		rules = append(rules, asl.ChoiceRule{Variable: path, StringEquals: ptr(s)})
	}
	r := rules[0]
	if len(rules) > 1 {
		r = asl.ChoiceRule{Or: rules}
	}
	return guard(path, optional, r), true
}

// ref resolves "profile.x", "trigger.x" or "order.x".
func (c *condParser) ref(n *yaml.Node, name string) (source, string, field, bool) {
	srcName, fname, _ := strings.Cut(name, ".")
	src := source(srcName)
	switch src {
	case srcProfile, srcOrder:
		if c.trigger {
			c.p.r.at(n, "the filter runs in the router before the journey starts; it can only test trigger fields", "%s fields cannot be used in a trigger filter", src)
			return "", "", field{}, false
		}
	case srcTrigger:
	default:
		c.p.r.at(n, "fields start with profile., trigger. or order., e.g. profile.last_order_at", "unknown field %q", name)
		return "", "", field{}, false
	}
	f, ok := lookupField(src, fname)
	if !ok {
		c.p.r.at(n, didYouMean(fname, fieldNames(src)), "unknown %s field %q", src, fname)
		return "", "", field{}, false
	}
	if src == srcOrder {
		for _, e := range c.p.j.Events {
			if !strings.HasPrefix(string(e), "order_") {
				c.p.r.at(n, "order. fields read the triggering order's item; trigger on order_* events only", "order fields need an order trigger, but %q is not one", e)
				return "", "", field{}, false
			}
		}
		c.uses.order = true
	}
	if src == srcProfile {
		c.uses.profile = true
	}
	return src, fname, f, true
}

// comparison is {field: <ref>, <operator>: <value>}.
func (c *condParser) comparison(n *yaml.Node) (asl.ChoiceRule, bool) {
	m := c.p.mapping(n, "comparison", append([]string{"field"}, operators...)...)
	if m == nil {
		return asl.ChoiceRule{}, false
	}
	name, ok := c.p.str(m["field"], "field")
	if !ok {
		return asl.ChoiceRule{}, false
	}
	src, fname, f, ok := c.ref(m["field"], name)
	if !ok {
		return asl.ChoiceRule{}, false
	}
	return c.compare(n, src, fname, f, m["field#key"])
}

// compare reads the one operator of mapping n and builds the rule.
func (c *condParser) compare(n *yaml.Node, src source, fname string, f field, fieldKey *yaml.Node) (asl.ChoiceRule, bool) {
	var op string
	var val *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k == fieldKey {
			continue
		}
		if !slices.Contains(operators, k.Value) {
			c.p.r.at(k, didYouMean(k.Value, operators), "unknown operator %q", k.Value)
			return asl.ChoiceRule{}, false
		}
		if op != "" {
			c.p.r.at(k, "combine comparisons with all: [...]", "comparison has two operators (%s and %s)", op, k.Value)
			return asl.ChoiceRule{}, false
		}
		op, val = k.Value, n.Content[i+1]
	}
	if op == "" {
		c.p.r.at(n, "add one of: "+strings.Join(operators, ", "), "comparison of %s.%s has no operator", src, fname)
		return asl.ChoiceRule{}, false
	}
	path := jsonPath(src, fname)
	switch f.kind {
	case kObject, kArray:
		c.p.r.at(val, "test it with present: or absent:", "%s.%s is a %s and cannot be compared", src, fname, f.kind)
		return asl.ChoiceRule{}, false
	}
	switch op {
	case "in":
		if val.Kind != yaml.SequenceNode || len(val.Content) == 0 {
			c.p.r.at(val, "e.g. in: [refunded, cancelled]", "in needs a non-empty list")
			return asl.ChoiceRule{}, false
		}
		var rules []asl.ChoiceRule
		for _, e := range val.Content {
			r, ok := c.literal(e, "equals", src, fname, f, path)
			if !ok {
				return asl.ChoiceRule{}, false
			}
			rules = append(rules, r)
		}
		r := rules[0]
		if len(rules) > 1 {
			r = asl.ChoiceRule{Or: rules}
		}
		return guard(path, f.optional, r), true
	case "not_equals":
		r, ok := c.literal(val, "equals", src, fname, f, path)
		if !ok {
			return asl.ChoiceRule{}, false
		}
		// Absent counts as "not equal".
		inner := guard(path, f.optional, r)
		return asl.ChoiceRule{Not: &inner}, true
	}
	r, ok := c.literal(val, op, src, fname, f, path)
	if !ok {
		return asl.ChoiceRule{}, false
	}
	return guard(path, f.optional || r.Variable != path, r), true
}

// literal builds one comparator rule for path against a value node: a
// literal, start/now, or {field: <ref>}.
func (c *condParser) literal(val *yaml.Node, op string, src source, fname string, f field, path string) (asl.ChoiceRule, bool) {
	r := asl.ChoiceRule{Variable: path}
	name := string(src) + "." + fname
	fail := func(hint, format string, args ...any) (asl.ChoiceRule, bool) {
		c.p.r.at(val, hint, format, args...)
		return asl.ChoiceRule{}, false
	}
	// A reference to another field or to start/now.
	var otherPath string
	var other field
	if val.Kind == yaml.MappingNode {
		m := c.p.mapping(val, "value", "field")
		if m == nil || m["field"] == nil {
			return asl.ChoiceRule{}, false
		}
		oname, ok := c.p.str(m["field"], "field")
		if !ok {
			return asl.ChoiceRule{}, false
		}
		osrc, ofname, of, ok := c.ref(m["field"], oname)
		if !ok {
			return asl.ChoiceRule{}, false
		}
		otherPath, other = jsonPath(osrc, ofname), of
		if other.kind != f.kind || f.kind == kDecimal || f.kind == kAny {
			return fail("compare fields of the same type", "cannot compare %s (%s) with %s (%s)", name, f.kind, oname, other.kind)
		}
	} else if val.Kind == yaml.ScalarNode && (val.Value == "start" || val.Value == "now") && val.Tag == "!!str" {
		if f.kind != kTimestamp {
			return fail("start and now are timestamps", "%s is a %s, not a timestamp", name, f.kind)
		}
		if c.trigger {
			return fail("the filter runs in the router, before the journey starts", "%s cannot be used in a trigger filter", val.Value)
		}
		otherPath = pathStart
		if val.Value == "now" {
			otherPath = pathNow
		}
	} else if val.Kind != yaml.ScalarNode || val.Tag == "!!null" {
		return fail("use a literal, start, now or {field: ...}", "invalid value %s for %s", describe(val), op)
	}

	kind := f.kind
	if kind == kAny {
		switch val.Tag {
		case "!!int", "!!float":
			kind = kNumber
		case "!!bool":
			kind = kBool
		default:
			kind = kString
		}
	}
	if kind == kDecimal {
		if val.Tag == "!!int" || val.Tag == "!!float" {
			// Money compared as a number: only trigger fields, converted once
			// per profile read (States.StringToJson), and required by the filter.
			if src != srcTrigger || c.trigger {
				return fail("compare money as a number on trigger fields inside the journey (e.g. trigger.checkout.total), or use profile.spent", "%s is a decimal string and cannot be compared as a number here", name)
			}
			r.Variable = numberPath(fname)
			c.p.j.addNumber(fname)
			c.uses.profile = true
			kind = kNumber
		} else {
			kind = kString
		}
	}
	if op == "before" || op == "after" {
		if kind != kTimestamp {
			return fail("before/after compare timestamps; use less_than/greater_than", "%s is a %s, not a timestamp", name, kind)
		}
		op = map[string]string{"before": "less_than", "after": "greater_than"}[op]
	}
	switch kind {
	case kString:
		if op == "matches" {
			if otherPath != "" {
				return fail("matches takes a pattern with * wildcards", "matches needs a literal pattern")
			}
			r.StringMatches = ptr(val.Value)
			return r, true
		}
		if otherPath != "" {
			setPath(&r, "String", op, otherPath)
			return r, true
		}
		if val.Tag != "!!str" {
			return fail(fmt.Sprintf("quote it: %q", val.Value), "%s is a string; %s is not", name, val.Value)
		}
		setLit(&r, "String", op, val.Value)
	case kNumber:
		if otherPath != "" {
			setPath(&r, "Numeric", op, otherPath)
			return r, true
		}
		if _, err := strconv.ParseFloat(val.Value, 64); err != nil || (val.Tag != "!!int" && val.Tag != "!!float") {
			return fail("write a number without quotes", "%s is a number; %s is not", name, describe(val))
		}
		setLit(&r, "Numeric", op, val.Value)
	case kBool:
		if op != "equals" {
			return fail("booleans support equals and not_equals", "%s is a boolean; %s does not apply", name, op)
		}
		if otherPath != "" {
			r.BooleanEqualsPath = otherPath
			return r, true
		}
		b, err := strconv.ParseBool(val.Value)
		if err != nil || val.Tag != "!!bool" {
			return fail("use true or false", "%s is a boolean; %s is not", name, describe(val))
		}
		r.BooleanEquals = &b
	case kTimestamp:
		if otherPath != "" {
			setPath(&r, "Timestamp", op, otherPath)
			if otherPath != pathStart && otherPath != pathNow && other.optional {
				return asl.ChoiceRule{And: []asl.ChoiceRule{{Variable: otherPath, IsPresent: ptr(true)}, r}}, true
			}
			return r, true
		}
		if _, err := time.Parse(time.RFC3339, val.Value); err != nil {
			return fail("use start, now, {field: ...} or an RFC 3339 time such as 2026-01-01T00:00:00Z", "invalid timestamp %s", describe(val))
		}
		setLit(&r, "Timestamp", op, val.Value)
	}
	if op == "matches" {
		return fail("matches applies to strings", "%s is a %s; matches does not apply", name, kind)
	}
	return r, true
}

func numberPath(fname string) string {
	return "$.profile.numbers." + strings.ReplaceAll(fname, ".", "_")
}

func (j *Journey) addNumber(fname string) {
	if !slices.Contains(j.numbers, fname) {
		j.numbers = append(j.numbers, fname)
	}
}

// guard tests presence before comparing: a Choice rule on a missing path
// fails the execution.
func guard(path string, optional bool, r asl.ChoiceRule) asl.ChoiceRule {
	if !optional {
		return r
	}
	return asl.ChoiceRule{And: []asl.ChoiceRule{{Variable: path, IsPresent: ptr(true)}, r}}
}

func ptr[T any](v T) *T { return &v }

// setLit sets the <Type><Op> comparator to a literal.
func setLit(r *asl.ChoiceRule, typ, op, v string) {
	switch typ + "/" + op {
	case "String/equals":
		r.StringEquals = ptr(v)
	case "String/less_than":
		r.StringLessThan = ptr(v)
	case "String/greater_than":
		r.StringGreaterThan = ptr(v)
	case "String/at_most":
		r.StringLessThanEquals = ptr(v)
	case "String/at_least":
		r.StringGreaterThanEquals = ptr(v)
	case "Numeric/equals":
		r.NumericEquals = jsonNumber(v)
	case "Numeric/less_than":
		r.NumericLessThan = jsonNumber(v)
	case "Numeric/greater_than":
		r.NumericGreaterThan = jsonNumber(v)
	case "Numeric/at_most":
		r.NumericLessThanEquals = jsonNumber(v)
	case "Numeric/at_least":
		r.NumericGreaterThanEquals = jsonNumber(v)
	case "Timestamp/equals":
		r.TimestampEquals = ptr(v)
	case "Timestamp/less_than":
		r.TimestampLessThan = ptr(v)
	case "Timestamp/greater_than":
		r.TimestampGreaterThan = ptr(v)
	case "Timestamp/at_most":
		r.TimestampLessThanEquals = ptr(v)
	case "Timestamp/at_least":
		r.TimestampGreaterThanEquals = ptr(v)
	default:
		panic("journey: no comparator " + typ + "/" + op)
	}
}

// setPath sets the <Type><Op>Path comparator.
func setPath(r *asl.ChoiceRule, typ, op, p string) {
	switch typ + "/" + op {
	case "String/equals":
		r.StringEqualsPath = p
	case "String/less_than":
		r.StringLessThanPath = p
	case "String/greater_than":
		r.StringGreaterThanPath = p
	case "String/at_most":
		r.StringLessThanEqualsPath = p
	case "String/at_least":
		r.StringGreaterThanEqualsPath = p
	case "Numeric/equals":
		r.NumericEqualsPath = p
	case "Numeric/less_than":
		r.NumericLessThanPath = p
	case "Numeric/greater_than":
		r.NumericGreaterThanPath = p
	case "Numeric/at_most":
		r.NumericLessThanEqualsPath = p
	case "Numeric/at_least":
		r.NumericGreaterThanEqualsPath = p
	case "Timestamp/equals":
		r.TimestampEqualsPath = p
	case "Timestamp/less_than":
		r.TimestampLessThanPath = p
	case "Timestamp/greater_than":
		r.TimestampGreaterThanPath = p
	case "Timestamp/at_most":
		r.TimestampLessThanEqualsPath = p
	case "Timestamp/at_least":
		r.TimestampGreaterThanEqualsPath = p
	default:
		panic("journey: no comparator " + typ + "/" + op + "Path")
	}
}
