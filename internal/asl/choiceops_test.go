package asl

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// evalRuleJSON compiles a Choice rule written as JSON and evaluates it
// against input (JSON) through EvalChoice.
func evalRuleJSON(t *testing.T, rule, input string) (bool, error) {
	t.Helper()
	var c ChoiceRule
	if err := json.Unmarshal([]byte(rule), &c); err != nil {
		t.Fatalf("rule %s: %v", rule, err)
	}
	var in any
	d := json.NewDecoder(strings.NewReader(input))
	d.UseNumber()
	if err := d.Decode(&in); err != nil {
		t.Fatalf("input %s: %v", input, err)
	}
	return EvalChoice(&c, in, nil)
}

// TestChoiceOrderedOperators runs every String, Numeric and Timestamp
// operator, with a literal operand and with its Path form, on a value less
// than, equal to and greater than the operand.
func TestChoiceOrderedOperators(t *testing.T) {
	rels := []struct {
		name string
		want func(c int) bool
	}{
		{"Equals", func(c int) bool { return c == 0 }},
		{"LessThan", func(c int) bool { return c < 0 }},
		{"GreaterThan", func(c int) bool { return c > 0 }},
		{"LessThanEquals", func(c int) bool { return c <= 0 }},
		{"GreaterThanEquals", func(c int) bool { return c >= 0 }},
	}
	families := []struct {
		name    string
		operand string    // JSON
		values  [3]string // JSON: less than, equal to, greater than operand
		other   string    // a Variable of another type: never matches
	}{
		{"String", `"m"`, [3]string{`"l"`, `"m"`, `"n"`}, `1`},
		{"Numeric", `10`, [3]string{`9.5`, `10.0`, `11`}, `"10"`},
		{"Timestamp", `"2024-01-01T00:00:00Z"`,
			[3]string{`"2023-12-31T23:59:59.999Z"`, `"2024-01-01T01:00:00+01:00"`, `"2024-01-01T00:00:01Z"`}, `"2024-01-01"`},
	}
	for _, f := range families {
		for _, rel := range rels {
			op := f.name + rel.name
			for i, v := range f.values {
				c := i - 1
				lit := fmt.Sprintf(`{"Variable": "$.v", %q: %s}`, op, f.operand)
				path := fmt.Sprintf(`{"Variable": "$.v", %q: "$.w"}`, op+"Path")
				input := fmt.Sprintf(`{"v": %s, "w": %s}`, v, f.operand)
				for _, rule := range []string{lit, path} {
					got, err := evalRuleJSON(t, rule, input)
					if err != nil || got != rel.want(c) {
						t.Errorf("%s on %s: got %v, %v; want %v", rule, input, got, err, rel.want(c))
					}
				}
			}
			// A Variable of another type does not match.
			input := fmt.Sprintf(`{"v": %s, "w": %s}`, f.other, f.operand)
			for _, rule := range []string{
				fmt.Sprintf(`{"Variable": "$.v", %q: %s}`, op, f.operand),
				fmt.Sprintf(`{"Variable": "$.v", %q: "$.w"}`, op+"Path"),
			} {
				if got, err := evalRuleJSON(t, rule, input); err != nil || got {
					t.Errorf("%s on %s: got %v, %v; want false", rule, input, got, err)
				}
			}
		}
	}
}

// TestChoicePathOperandType checks the error a *Path operand of the wrong
// type raises, for every family.
func TestChoicePathOperandType(t *testing.T) {
	tests := []struct{ op, w, msg string }{
		{"StringEqualsPath", `1`, "evaluated to 1, but StringEqualsPath needs a string"},
		{"StringLessThanPath", `true`, "evaluated to boolean, but StringLessThanPath needs a string"},
		{"NumericGreaterThanPath", `"1"`, "evaluated to string, but NumericGreaterThanPath needs a number"},
		{"BooleanEqualsPath", `"true"`, "evaluated to string, but BooleanEqualsPath needs a boolean"},
		{"TimestampGreaterThanPath", `"2024-01-01"`, "evaluated to string, but TimestampGreaterThanPath needs an RFC 3339 timestamp"},
		{"TimestampEqualsPath", `7`, "evaluated to 7, but TimestampEqualsPath needs an RFC 3339 timestamp"},
	}
	for _, tc := range tests {
		rule := fmt.Sprintf(`{"Variable": "$.v", %q: "$.w"}`, tc.op)
		_, err := evalRuleJSON(t, rule, fmt.Sprintf(`{"v": "x", "w": %s}`, tc.w))
		ae, ok := err.(*Error)
		if !ok || ae.Name != ErrRuntime || ae.Cause != "Path '$.w' in a Choice rule of state 'filter' "+tc.msg {
			t.Errorf("%s with %s: got %v", tc.op, tc.w, err)
		}
	}
}

// TestChoiceOtherOperators covers the operators outside the ordered
// families, and a Timestamp literal that is not a timestamp.
func TestChoiceOtherOperators(t *testing.T) {
	tests := []struct {
		rule, input string
		want        bool
	}{
		{`{"Variable": "$.v", "BooleanEquals": true}`, `{"v": true}`, true},
		{`{"Variable": "$.v", "BooleanEquals": false}`, `{"v": true}`, false},
		{`{"Variable": "$.v", "BooleanEquals": true}`, `{"v": "true"}`, false},
		{`{"Variable": "$.v", "BooleanEqualsPath": "$.w"}`, `{"v": false, "w": false}`, true},
		{`{"Variable": "$.v", "BooleanEqualsPath": "$.w"}`, `{"v": false, "w": true}`, false},
		{`{"Variable": "$.v", "StringMatches": "a*c"}`, `{"v": "abbc"}`, true},
		{`{"Variable": "$.v", "StringMatches": "a\\*c"}`, `{"v": "abbc"}`, false},
		{`{"Variable": "$.v", "StringMatches": "a\\*c"}`, `{"v": "a*c"}`, true},
		{`{"Variable": "$.v", "StringMatches": "*"}`, `{"v": 1}`, false},
		{`{"Variable": "$.v", "IsNull": true}`, `{"v": null}`, true},
		{`{"Variable": "$.v", "IsNull": false}`, `{"v": null}`, false},
		{`{"Variable": "$.v", "IsNumeric": true}`, `{"v": 1}`, true},
		{`{"Variable": "$.v", "IsNumeric": false}`, `{"v": "1"}`, true},
		{`{"Variable": "$.v", "IsString": true}`, `{"v": "1"}`, true},
		{`{"Variable": "$.v", "IsString": true}`, `{"v": 1}`, false},
		{`{"Variable": "$.v", "IsBoolean": true}`, `{"v": false}`, true},
		{`{"Variable": "$.v", "IsBoolean": false}`, `{"v": null}`, true},
		{`{"Variable": "$.v", "IsTimestamp": true}`, `{"v": "2024-01-01T00:00:00Z"}`, true},
		{`{"Variable": "$.v", "IsTimestamp": true}`, `{"v": "2024-01-01"}`, false},
		{`{"Variable": "$.v", "IsPresent": true}`, `{"v": null}`, true},
		{`{"Variable": "$.x", "IsPresent": false}`, `{"v": null}`, true},
		// A literal operand that is not a timestamp never matches.
		{`{"Variable": "$.v", "TimestampEquals": "yesterday"}`, `{"v": "yesterday"}`, false},
		{`{"Variable": "$.v", "TimestampLessThanEquals": "2024-01-01T00:00:00z"}`, `{"v": "2024-01-01T00:00:00Z"}`, false},
		{`{"Not": {"Variable": "$.v", "StringEquals": "a"}}`, `{"v": "b"}`, true},
		{`{"And": [{"Variable": "$.v", "StringEquals": "a"}, {"Variable": "$.n", "NumericLessThan": 2}]}`, `{"v": "a", "n": 1}`, true},
		{`{"Or": [{"Variable": "$.v", "StringEquals": "b"}, {"Variable": "$.n", "NumericLessThan": 1}]}`, `{"v": "a", "n": 1}`, false},
	}
	for _, tc := range tests {
		got, err := evalRuleJSON(t, tc.rule, tc.input)
		if err != nil || got != tc.want {
			t.Errorf("%s on %s: got %v, %v; want %v", tc.rule, tc.input, got, err, tc.want)
		}
	}
	if _, err := evalRuleJSON(t, `{"Variable": "$.v"}`, `{"v": 1}`); err == nil ||
		err.(*Error).Cause != "a Choice rule of state 'filter' has no comparison operator" {
		t.Errorf("no operator: got %v", err)
	}
}

// TestCmpOpNames checks that every operator name maps to its own cmpOp.
func TestCmpOpNames(t *testing.T) {
	for op := opNone + 1; op < numCmpOps; op++ {
		if cmpOpNames[op] == "" || cmpOpOf(cmpOpNames[op]) != op {
			t.Errorf("operator %d (%q) does not round-trip", op, cmpOpNames[op])
		}
	}
	if cmpOpOf("") != opNone || cmpOpOf("StringEqualsPath") != opNone {
		t.Error("unknown names must give opNone")
	}
}
