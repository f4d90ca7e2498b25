package asl

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxPayloadBytes is Step Functions' quota on the input or output of a task,
// a state or an execution: "262,144 bytes of data as a UTF-8 encoded string.
// This quota affects tasks (activity, Lambda function, or integrated
// service), state or execution output, and input data when scheduling a
// task, entering a state, or starting an execution" (AWS Step Functions
// Developer Guide, "Step Functions service quotas"). A payload of exactly
// this size is accepted (the API's length constraints say "Maximum length of
// 262144").
const MaxPayloadBytes = 262144

// PayloadSize is the size in bytes of v written as Step Functions writes a
// payload: compact JSON in UTF-8, with only '"', '\\' and the control
// characters escaped (\b \f \n \r \t in two bytes, the others as \u00XX);
// '<', '>', '&', U+2028 and U+2029 are written as they are, not escaped as
// encoding/json does. A byte that is not valid UTF-8 counts as U+FFFD (3
// bytes). Numbers count as their literal text. v is a value in the engine's
// representation (see Normalize); another Go value counts as encoding/json
// writes it.
func PayloadSize(v any) int {
	switch x := v.(type) {
	case nil:
		return 4
	case bool:
		if x {
			return 4
		}
		return 5
	case string:
		return stringSize(x)
	case json.Number:
		return len(x)
	case *Object:
		n := 2 + max(x.Len()-1, 0) // braces and commas
		for k, e := range x.All() {
			n += stringSize(k) + 1 + PayloadSize(e)
		}
		return n
	case map[string]any:
		n := 2 + max(len(x)-1, 0)
		for k, e := range x {
			n += stringSize(k) + 1 + PayloadSize(e)
		}
		return n
	case []any:
		n := 2 + max(len(x)-1, 0)
		for _, e := range x {
			n += PayloadSize(e)
		}
		return n
	}
	s, err := encodeJSON(v)
	if err != nil {
		return 0
	}
	return len(s)
}

// stringSize is the size of s written as a JSON string, quotes included.
func stringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			n += 3 // written as U+FFFD
		} else {
			n += size
		}
		i += size
	}
	return n
}

// payloadBound is an upper bound of PayloadSize(v) that costs O(1) per
// string: every byte of a string counts as 6, the most one byte can take
// (a control character written \u00XX; a UTF-8 sequence never takes more
// bytes than it has, an invalid byte takes 3). It stops adding once the
// bound passes limit (the result is then only known to be over limit).
func payloadBound(v any, limit int) int {
	switch x := v.(type) {
	case nil, bool:
		return 5
	case string:
		return 2 + 6*len(x)
	case json.Number:
		return len(x)
	case *Object:
		if x != nil && x.bound > 0 {
			return int(x.bound)
		}
		ms := x.mems()
		n := 2 + 2*len(ms) // braces, commas and colons
		for _, m := range ms {
			n += 2 + 6*len(m.Key) + payloadBound(m.Value, limit)
			if n > limit {
				return n
			}
		}
		return n
	case []any:
		n := 2 + len(x)
		for _, e := range x {
			n += payloadBound(e, limit)
			if n > limit {
				return n
			}
		}
		return n
	}
	return PayloadSize(v)
}

// fits reports whether v's payload is within MaxPayloadBytes and returns a
// bound of its size. bound, when above 0, is a bound already known (from
// the sizes of the values v was made of); within the limit, it decides
// without looking at v. Otherwise payloadBound decides small payloads, and
// only a payload whose bound passes the limit has its exact size computed.
// None of this allocates.
func fits(v any, bound int32) (int32, bool) {
	if verifyBound != nil {
		verifyBound(v, bound)
	}
	if bound > 0 && bound <= MaxPayloadBytes {
		return bound, true
	}
	if b := payloadBound(v, MaxPayloadBytes); b <= MaxPayloadBytes {
		return int32(b), true
	}
	n := PayloadSize(v)
	return clampBound(n), n <= MaxPayloadBytes
}

// verifyBound, when set (by tests), is given every payload fits checks
// with the bound it was given.
var verifyBound func(v any, bound int32)

// clampBound converts a size to a bound: sizes past the limit are all
// MaxPayloadBytes+1 (sums of a few bounds then stay far from overflowing).
func clampBound(n int) int32 { return int32(min(n, MaxPayloadBytes+1)) }

// addBounds adds two bounds; 0 (not known) wins.
func addBounds(a, b int32) int32 {
	if a == 0 || b == 0 {
		return 0
	}
	return clampBound(int(a) + int(b))
}

// valueBound bounds v's payload size: a scalar's costs nothing to bound; a
// container's is in when in is above 0 (the caller knows v is part of a
// payload of that bound), or else is walked.
func valueBound(v any, in int32) int32 {
	switch v.(type) {
	case *Object, []any:
		if in > 0 {
			return in
		}
	}
	return clampBound(payloadBound(v, MaxPayloadBytes))
}

// pathEffect is how an InputPath or OutputPath changes a size bound.
type pathEffect uint8

const (
	pathKeep    pathEffect = iota // absent, or one value of the payload: never larger
	pathEmpty                     // null: {} (2 bytes)
	pathUnknown                   // may select many values ($..a, $[*]) or read $$
)

func pathEffectOf(p *string) pathEffect {
	switch {
	case p == nil:
		return pathKeep
	case IsNullPath(p):
		return pathEmpty
	}
	parsed, err := parsePathCached(*p)
	if err != nil || !parsed.definite || parsed.context {
		return pathUnknown
	}
	return pathKeep
}

func (e pathEffect) apply(b int32) int32 {
	switch e {
	case pathKeep:
		return b
	case pathEmpty:
		return 2
	}
	return 0
}

func (p *statePlan) inputPathBound(b int32) int32  { return p.inputPath.apply(b) }
func (p *statePlan) outputPathBound(b int32) int32 { return p.outputPath.apply(b) }

// rpEffect is how a ResultPath combines the input's and the result's size
// bounds.
type rpEffect uint8

const (
	rpReplace rpEffect = iota // absent or "$": the result
	rpDiscard                 // null: the input
	rpMerge                   // a path: the input with the result set in it
)

// rpEffectOf returns a ResultPath's effect and, for a path, a bound of the
// bytes setting a value there adds besides the value: per field, a new
// object holding it ({"name":…} and a comma: 6 bytes and the name escaped,
// at most 6 bytes per byte); an index replaces an existing element.
func rpEffectOf(p *string) (rpEffect, int32) {
	switch {
	case p == nil || *p == "$":
		return rpReplace, 0
	case IsNullPath(p):
		return rpDiscard, 0
	}
	parsed, err := parsePathCached(*p)
	if err != nil {
		return rpMerge, MaxPayloadBytes + 1 // the engine raises the error
	}
	n := 0
	for _, sg := range parsed.segs {
		if sg.op == segName {
			n += 6 + 6*len(sg.name)
		}
	}
	return rpMerge, clampBound(n)
}

// resultPathBound bounds the output of ResultPath from the bounds of the
// state's input (in) and result (rb); 0 for either means not known (the
// result's is then computed).
func (p *statePlan) resultPathBound(in int32, result any, rb int32) int32 {
	if p.resultPath == rpDiscard {
		return in
	}
	if rb == 0 {
		rb = clampBound(payloadBound(result, MaxPayloadBytes))
	}
	if p.resultPath == rpReplace {
		return rb
	}
	if in == 0 {
		return 0
	}
	return in + rb + p.rpOverhead
}

// Causes of States.DataLimitExceeded. The first is the text AWS reports for
// a task's result and for a state's output (GetExecutionHistory as recorded
// against AWS: "The state/task 'lambda' returned a result with a size
// exceeding the maximum number of bytes service limit." for an
// arn:aws:states:::lambda:invoke task, the function's ARN for a Lambda
// called by its ARN, the state's name for a state's output). AWS's text for
// a state's input after Parameters is not documented; the second is
// parcours' own, in the same form.
const (
	causeResultTooLarge = "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit."
	causeInputTooLarge  = "The state/task '%s' was given an input after %s with a size exceeding the maximum number of bytes service limit."
)

// resultTooLarge is the error of a task whose result is over the limit: a
// task failure like any other (Retry and Catch match it, States.ALL
// included, as AWS does; see errors.go).
func resultTooLarge(resource string) *Error {
	name := resource
	if rt, ok := strings.CutPrefix(resource, "arn:aws:states:::"); ok {
		rt = strings.TrimPrefix(rt, "aws-sdk:")
		name, _, _ = strings.Cut(rt, ":")
	}
	return &Error{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf(causeResultTooLarge, name)}
}

// outputTooLarge is the terminal error of a state whose output is over the
// limit: no Retry or Catch of the state handles it.
func outputTooLarge(state string) *Error {
	return &Error{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf(causeResultTooLarge, state), terminal: true}
}

// inputTooLarge is the terminal error of a state whose input after
// Parameters (or a Map iteration's after ItemSelector) is over the limit.
func inputTooLarge(state, field string) *Error {
	return &Error{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf(causeInputTooLarge, state, field), terminal: true}
}
