package asl

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ValidationError lists every problem found in a definition.
type ValidationError struct {
	Problems []string
}

func (v *ValidationError) Error() string {
	return "invalid definition: " + strings.Join(v.Problems, "; ")
}

// Validate checks the rules of the States Language that do not depend on
// input: StartAt and every Next, Default and Catch target exist; every
// state is reachable; transitions (Next/End) fit the state type; Choice
// rules have exactly one operator; Retry and Catch have States.ALL alone and
// last; paths, payload templates and intrinsic functions parse; field values
// are in range. Messages name the state.
func Validate(sm *StateMachine) error {
	v := &validator{}
	if sm == nil {
		return &ValidationError{Problems: []string{"no definition"}}
	}
	if sm.QueryLanguage != "" && sm.QueryLanguage != "JSONPath" {
		v.add("", "QueryLanguage %q is not supported (only JSONPath)", sm.QueryLanguage)
	}
	if sm.TimeoutSeconds != nil && *sm.TimeoutSeconds <= 0 {
		v.add("", "TimeoutSeconds must be a positive integer")
	}
	v.machine("", sm)
	if len(v.problems) > 0 {
		return &ValidationError{Problems: v.problems}
	}
	return nil
}

type validator struct {
	problems []string
}

func (v *validator) add(where, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if where != "" {
		msg = where + ": " + msg
	}
	v.problems = append(v.problems, msg)
}

func (v *validator) machine(prefix string, sm *StateMachine) {
	where := strings.TrimSuffix(prefix, ": ")
	if sm.States.Len() == 0 {
		v.add(where, "States must not be empty")
		return
	}
	if sm.StartAt == "" {
		v.add(where, "StartAt is missing")
	} else if sm.States.Get(sm.StartAt) == nil {
		v.add(where, "StartAt %q is not a state", sm.StartAt)
	}
	for _, name := range sm.States.Names() {
		v.state(prefix, name, sm)
	}
	// reachability
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		st := sm.States.Get(n)
		if st == nil || seen[n] {
			return
		}
		seen[n] = true
		visit(st.Next)
		visit(st.Default)
		for _, c := range st.Choices {
			visit(c.Next)
		}
		for _, c := range st.Catch {
			visit(c.Next)
		}
	}
	visit(sm.StartAt)
	if sm.States.Get(sm.StartAt) != nil {
		for _, n := range sm.States.Names() {
			if !seen[n] {
				v.add(fmt.Sprintf("%sstate %q", prefix, n), "is not reachable from StartAt")
			}
		}
	}
}

var stateTypes = map[string]bool{"Pass": true, "Task": true, "Choice": true, "Wait": true, "Succeed": true, "Fail": true, "Parallel": true, "Map": true}

func (v *validator) state(prefix, name string, sm *StateMachine) {
	st := sm.States.Get(name)
	where := fmt.Sprintf("%sstate %q", prefix, name)
	if len(name) > 80 {
		v.add(where, "the name is longer than 80 characters")
	}
	if !stateTypes[st.Type] {
		v.add(where, "Type %q is not a state type", st.Type)
		return
	}
	exists := func(field, target string) {
		if target != "" && sm.States.Get(target) == nil {
			v.add(where, "%s %q is not a state", field, target)
		}
	}
	switch st.Type {
	case "Choice", "Succeed", "Fail":
		if st.Next != "" || st.End {
			v.add(where, "a %s state must not have Next or End", st.Type)
		}
	default:
		if st.Next != "" && st.End {
			v.add(where, "has both Next and End")
		} else if st.Next == "" && !st.End {
			v.add(where, "needs Next or \"End\": true")
		}
		exists("Next", st.Next)
	}
	if st.Type != "Fail" {
		v.path(where, "InputPath", st.InputPath, false)
		v.path(where, "OutputPath", st.OutputPath, false)
	}
	switch st.Type {
	case "Pass", "Task", "Parallel", "Map":
		v.path(where, "ResultPath", st.ResultPath, true)
		if st.Parameters != nil {
			v.template(where, "Parameters", st.Parameters)
		}
	default:
		if st.ResultPath != nil {
			v.add(where, "a %s state has no ResultPath", st.Type)
		}
		if st.Parameters != nil {
			v.add(where, "a %s state has no Parameters", st.Type)
		}
	}
	if st.ResultSelector != nil {
		if st.Type != "Task" && st.Type != "Parallel" && st.Type != "Map" {
			v.add(where, "a %s state has no ResultSelector", st.Type)
		} else {
			v.template(where, "ResultSelector", st.ResultSelector)
		}
	}
	if (len(st.Retry) > 0 || len(st.Catch) > 0) && st.Type != "Task" && st.Type != "Parallel" && st.Type != "Map" {
		v.add(where, "only Task, Parallel and Map states have Retry and Catch")
	}
	for i, r := range st.Retry {
		w := fmt.Sprintf("%s Retry[%d]", where, i)
		v.errorEquals(w, r.ErrorEquals, i == len(st.Retry)-1)
		if r.IntervalSeconds != nil && *r.IntervalSeconds < 1 {
			v.add(w, "IntervalSeconds must be at least 1")
		}
		if r.MaxAttempts != nil && *r.MaxAttempts < 0 {
			v.add(w, "MaxAttempts must not be negative")
		}
		if r.BackoffRate != nil && *r.BackoffRate < 1 {
			v.add(w, "BackoffRate must be at least 1.0")
		}
		if r.MaxDelaySeconds != nil && *r.MaxDelaySeconds < 1 {
			v.add(w, "MaxDelaySeconds must be at least 1")
		}
		if r.JitterStrategy != "" && r.JitterStrategy != "FULL" && r.JitterStrategy != "NONE" {
			v.add(w, "JitterStrategy must be FULL or NONE, not %q", r.JitterStrategy)
		}
	}
	for i, c := range st.Catch {
		w := fmt.Sprintf("%s Catch[%d]", where, i)
		v.errorEquals(w, c.ErrorEquals, i == len(st.Catch)-1)
		if c.Next == "" {
			v.add(w, "Next is missing")
		}
		exists("Catch Next", c.Next)
		v.path(w, "ResultPath", c.ResultPath, true)
	}
	switch st.Type {
	case "Task":
		if st.Resource == "" {
			v.add(where, "Resource is missing")
		}
		if st.TimeoutSeconds != nil && st.TimeoutSecondsPath != "" {
			v.add(where, "has both TimeoutSeconds and TimeoutSecondsPath")
		}
		if st.TimeoutSeconds != nil && *st.TimeoutSeconds <= 0 {
			v.add(where, "TimeoutSeconds must be a positive integer")
		}
		if st.TimeoutSecondsPath != "" {
			v.refPath(where, "TimeoutSecondsPath", st.TimeoutSecondsPath)
		}
		if st.HeartbeatSeconds != nil && st.HeartbeatSecondsPath != "" {
			v.add(where, "has both HeartbeatSeconds and HeartbeatSecondsPath")
		}
	case "Choice":
		if len(st.Choices) == 0 {
			v.add(where, "Choices must not be empty")
		}
		for i := range st.Choices {
			c := &st.Choices[i]
			w := fmt.Sprintf("%s Choices[%d]", where, i)
			if c.Next == "" {
				v.add(w, "Next is missing")
			}
			exists(fmt.Sprintf("Choices[%d] Next", i), c.Next)
			v.rule(w, c, true)
		}
		exists("Default", st.Default)
	case "Wait":
		n := 0
		if st.Seconds != nil {
			n++
			if *st.Seconds < 0 {
				v.add(where, "Seconds must not be negative")
			}
		}
		if st.SecondsPath != "" {
			n++
			v.refPath(where, "SecondsPath", st.SecondsPath)
		}
		if st.Timestamp != "" {
			n++
			if _, ok := parseTimestamp(st.Timestamp); !ok {
				v.add(where, "Timestamp %q is not an RFC 3339 timestamp", st.Timestamp)
			}
		}
		if st.TimestampPath != "" {
			n++
			v.refPath(where, "TimestampPath", st.TimestampPath)
		}
		if n != 1 {
			v.add(where, "needs exactly one of Seconds, SecondsPath, Timestamp and TimestampPath")
		}
	case "Fail":
		if st.Error != "" && st.ErrorPath != "" {
			v.add(where, "has both Error and ErrorPath")
		}
		if st.Cause != "" && st.CausePath != "" {
			v.add(where, "has both Cause and CausePath")
		}
		for _, f := range [][2]string{{"ErrorPath", st.ErrorPath}, {"CausePath", st.CausePath}} {
			field, p := f[0], f[1]
			if p == "" {
				continue
			}
			if IsIntrinsic(p) {
				if _, err := ParseIntrinsic(p); err != nil {
					v.add(where, "%s: %v", field, err)
				}
				continue
			}
			v.anyPath(where, field, p)
		}
	case "Parallel":
		if len(st.Branches) == 0 {
			v.add(where, "Branches must not be empty")
		}
		for i := range st.Branches {
			v.machine(fmt.Sprintf("%s branch %d: ", where, i), &st.Branches[i])
		}
	case "Map":
		proc := st.ItemProcessor
		if st.ItemProcessor != nil && st.Iterator != nil {
			v.add(where, "has both ItemProcessor and Iterator")
		}
		if proc == nil {
			proc = st.Iterator
		}
		if proc == nil {
			v.add(where, "needs ItemProcessor (or Iterator)")
		} else {
			v.machine(where+" ItemProcessor: ", proc)
		}
		if st.ItemSelector != nil && st.Parameters != nil {
			v.add(where, "has both ItemSelector and Parameters")
		}
		if st.ItemSelector != nil {
			v.template(where, "ItemSelector", st.ItemSelector)
		}
		if st.ItemsPath != "" {
			v.refPath(where, "ItemsPath", st.ItemsPath)
		}
		if st.MaxConcurrency != nil && *st.MaxConcurrency < 0 {
			v.add(where, "MaxConcurrency must not be negative")
		}
	}
}

func (v *validator) errorEquals(where string, names []string, last bool) {
	if len(names) == 0 {
		v.add(where, "ErrorEquals must not be empty")
	}
	for _, n := range names {
		if n == ErrAll {
			if len(names) != 1 {
				v.add(where, "States.ALL must appear alone in ErrorEquals")
			}
			if !last {
				v.add(where, "the States.ALL retrier or catcher must be the last one")
			}
		}
	}
}

func (v *validator) path(where, field string, p *string, reference bool) {
	if p == nil || IsNullPath(p) {
		return
	}
	if reference {
		v.refPath(where, field, *p)
		return
	}
	v.anyPath(where, field, *p)
}

func (v *validator) anyPath(where, field, p string) {
	if _, err := ParsePath(p); err != nil {
		v.add(where, "%s: %v", field, err)
	}
}

// refPath requires a Reference Path: definite, on the input (not $$) — for
// ResultPath and ItemsPath; for other fields $$ is accepted.
func (v *validator) refPath(where, field, p string) {
	path, err := ParsePath(p)
	if err != nil {
		v.add(where, "%s: %v", field, err)
		return
	}
	if !path.isReference() {
		v.add(where, "%s %q must be a reference path (names and single indexes only)", field, p)
	}
	if field == "ResultPath" && path.context {
		v.add(where, "ResultPath %q must not refer to the context object", p)
	}
}

func (v *validator) template(where, field string, t any) {
	switch x := t.(type) {
	case map[string]any:
		for k, e := range x {
			if strings.HasSuffix(k, ".$") {
				s, ok := e.(string)
				if !ok {
					v.add(where, "%s field %q must be a string path or intrinsic function", field, k)
					continue
				}
				if IsIntrinsic(s) {
					if _, err := ParseIntrinsic(s); err != nil {
						v.add(where, "%s field %q: %v", field, k, err)
					}
				} else if _, err := ParsePath(s); err != nil {
					v.add(where, "%s field %q: %v", field, k, err)
				}
				continue
			}
			v.template(where, field, e)
		}
	case []any:
		for _, e := range x {
			v.template(where, field, e)
		}
	}
}

func (v *validator) rule(where string, c *ChoiceRule, top bool) {
	if !top && c.Next != "" {
		v.add(where, "a nested rule must not have Next")
	}
	n := 0
	if len(c.And) > 0 {
		n++
	}
	if len(c.Or) > 0 {
		n++
	}
	if c.Not != nil {
		n++
	}
	op, operand, isPath := comparator(c)
	count := countOperators(c)
	if n+count != 1 {
		v.add(where, "needs exactly one comparison operator or one of And, Or, Not (found %d)", n+count)
		return
	}
	if n == 1 {
		if c.Variable != "" {
			v.add(where, "And, Or and Not rules take no Variable")
		}
		for i := range c.And {
			v.rule(fmt.Sprintf("%s And[%d]", where, i), &c.And[i], false)
		}
		for i := range c.Or {
			v.rule(fmt.Sprintf("%s Or[%d]", where, i), &c.Or[i], false)
		}
		if c.Not != nil {
			v.rule(where+" Not", c.Not, false)
		}
		return
	}
	if c.Variable == "" {
		v.add(where, "Variable is missing")
	} else if p, err := ParsePath(c.Variable); err != nil {
		v.add(where, "Variable: %v", err)
	} else if !p.isReference() {
		v.add(where, "Variable %q must be a reference path", c.Variable)
	}
	if isPath {
		if _, err := ParsePath(operand.(string)); err != nil {
			v.add(where, "%sPath: %v", op, err)
		}
	} else if strings.HasPrefix(op, "Timestamp") {
		if _, ok := parseTimestamp(operand.(string)); !ok {
			v.add(where, "%s %q is not an RFC 3339 timestamp", op, operand)
		}
	}
}

// countOperators counts the comparison operators set in a rule.
func countOperators(c *ChoiceRule) int {
	n := 0
	strs := []*string{c.StringEquals, c.StringLessThan, c.StringGreaterThan, c.StringLessThanEquals, c.StringGreaterThanEquals, c.StringMatches,
		c.TimestampEquals, c.TimestampLessThan, c.TimestampGreaterThan, c.TimestampLessThanEquals, c.TimestampGreaterThanEquals}
	for _, s := range strs {
		if s != nil {
			n++
		}
	}
	paths := []string{c.StringEqualsPath, c.StringLessThanPath, c.StringGreaterThanPath, c.StringLessThanEqualsPath, c.StringGreaterThanEqualsPath,
		c.NumericEqualsPath, c.NumericLessThanPath, c.NumericGreaterThanPath, c.NumericLessThanEqualsPath, c.NumericGreaterThanEqualsPath,
		c.BooleanEqualsPath, c.TimestampEqualsPath, c.TimestampLessThanPath, c.TimestampGreaterThanPath, c.TimestampLessThanEqualsPath,
		c.TimestampGreaterThanEqualsPath}
	for _, p := range paths {
		if p != "" {
			n++
		}
	}
	for _, x := range []*json.Number{c.NumericEquals, c.NumericLessThan, c.NumericGreaterThan, c.NumericLessThanEquals, c.NumericGreaterThanEquals} {
		if x != nil {
			n++
		}
	}
	for _, b := range []*bool{c.BooleanEquals, c.IsNull, c.IsPresent, c.IsNumeric, c.IsString, c.IsBoolean, c.IsTimestamp} {
		if b != nil {
			n++
		}
	}
	return n
}
