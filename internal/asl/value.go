package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
)

// JSON values inside the engine are nil, bool, string, json.Number, []any
// and *Object (object.go): the values encoding/json produces with UseNumber,
// with Object for its maps. Values are never mutated in place: every
// transformation that changes a value copies the containers it changes
// (copy-on-write), so one value can be shared by many history events and
// executions.

// Normalize turns any Go value into the engine's JSON representation.
// Objects, slices and the scalar kinds above pass through (slices copied
// only where an element changes); a map[string]any becomes an Object; Go
// numbers become json.Number; other values (structs, typed maps)
// round-trip through encoding/json. Plain is the way back.
func Normalize(v any) (any, error) {
	out, _, err := normalize(v)
	return out, err
}

func normalize(v any) (any, bool, error) {
	switch x := v.(type) {
	case nil, bool, string, json.Number:
		return v, false, nil
	case float64:
		n, err := floatNumber(x)
		return n, true, err
	case float32:
		n, err := floatNumber(float64(x))
		return n, true, err
	case int:
		return json.Number(strconv.FormatInt(int64(x), 10)), true, nil
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), true, nil
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10)), true, nil
	case uint64:
		return json.Number(strconv.FormatUint(x, 10)), true, nil
	case *Object:
		if x == nil {
			return emptyObject, true, nil
		}
		return x, false, nil
	case map[string]any:
		o := objectFromMap(x)
		for i := range o.ms {
			n, _, err := normalize(o.ms[i].Value)
			if err != nil {
				return nil, false, err
			}
			o.ms[i].Value = n
		}
		if o != emptyObject {
			// The members' sizes are at hand (their objects' bounds
			// were just worked out): a task result's size is then
			// known without walking it again (fits).
			o.bound = clampBound(payloadBound(o, MaxPayloadBytes))
		}
		return o, true, nil
	case []any:
		var out []any
		for i, e := range x {
			n, changed, err := normalize(e)
			if err != nil {
				return nil, false, err
			}
			if changed {
				if out == nil {
					out = append([]any(nil), x...)
				}
				out[i] = n
			}
		}
		if out == nil {
			return x, false, nil
		}
		return out, true, nil
	case json.RawMessage:
		n, err := decodeJSON(x)
		return n, true, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false, fmt.Errorf("normalize %T: %w", v, err)
	}
	n, err := decodeJSON(b)
	return n, true, err
}

func floatNumber(f float64) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("number %v is not valid JSON", f)
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
}

// ParseJSON parses a JSON document into the engine's value representation.
func ParseJSON(b []byte) (any, error) { return decodeJSON(b) }

// encodeJSON writes a value compactly without HTML escaping.
func encodeJSON(v any) (string, error) {
	b, err := appendJSON(nil, v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// isNumber reports whether v is a JSON number in any Go representation.
func isNumber(v any) bool {
	switch v.(type) {
	case json.Number, float64, float32, int, int64, int32, uint64:
		return true
	}
	return false
}

// toFloat returns v as a float64.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil || isRangeErr(err)
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// toInt returns v as an int64 when it is a number with an integral value.
func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, true
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, false
		}
		return int64(f), true
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	}
	f, ok := toFloat(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// compareNumbers compares two JSON numbers exactly (integers of any size and
// decimals alike). ok is false when either is not a number.
func compareNumbers(a, b any) (int, bool) {
	if ai, ok := exactInt(a); ok {
		if bi, ok := exactInt(b); ok {
			switch {
			case ai < bi:
				return -1, true
			case ai > bi:
				return 1, true
			}
			return 0, true
		}
	}
	if af, ok := shortDecimal(a); ok {
		if bf, ok := shortDecimal(b); ok {
			switch {
			case af < bf:
				return -1, true
			case af > bf:
				return 1, true
			}
			return 0, true
		}
	}
	ar, ok1 := toRat(a)
	br, ok2 := toRat(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	return ar.Cmp(br), true
}

// shortDecimal returns a JSON number written in plain decimal notation (no
// exponent) with at most 15 significant digits and at most 32 characters as
// a float64. Such numbers convert to distinct float64s in the normal range,
// in order (conversion rounds monotonically, and 15 decimal digits survive
// a round trip through float64), so comparing the floats compares the
// numbers exactly.
func shortDecimal(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok || len(n) == 0 || len(n) > 32 {
		return 0, false
	}
	s := string(n)
	digits, leading := 0, true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '0' && leading:
		case c >= '0' && c <= '9':
			leading = false
			digits++
		case c == '.' || (c == '-' && i == 0):
		default:
			return 0, false
		}
	}
	if digits > 15 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// parseInt parses a decimal integer (an optional minus sign and digits)
// without allocating when s is not one.
func parseInt(s string) (int64, bool) {
	digits := s
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}

func exactInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		return parseInt(string(x))
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	}
	return 0, false
}

func toRat(v any) (*big.Rat, bool) {
	if n, ok := v.(json.Number); ok {
		r, ok := new(big.Rat).SetString(string(n))
		return r, ok
	}
	if i, ok := exactInt(v); ok {
		return new(big.Rat).SetInt64(i), true
	}
	f, ok := toFloat(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false
	}
	return new(big.Rat).SetFloat64(f), true
}

// intNumber makes a JSON number from an integer.
func intNumber(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }

// jsonEqual is deep JSON equality; numbers compare by value (1 == 1.0).
func jsonEqual(a, b any) bool {
	if isNumber(a) || isNumber(b) {
		c, ok := compareNumbers(a, b)
		return ok && c == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok {
			return false
		}
		xm, ym := x.mems(), y.mems()
		if len(xm) != len(ym) {
			return false
		}
		for i := range xm {
			if xm[i].Key != ym[i].Key || !jsonEqual(xm[i].Value, ym[i].Value) {
				return false
			}
		}
		return true
	}
	return false
}

// typeName names a value's JSON type for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case *Object, map[string]any:
		return "object"
	}
	if isNumber(v) {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func numberLiteral(s string) json.Number { return json.Number(s) }
