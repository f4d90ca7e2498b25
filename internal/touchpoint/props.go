package touchpoint

import (
	"encoding/json"
	"unicode/utf8"
)

// decodeNumbered decodes b, one JSON value that encoding/json has already
// validated (a json.RawMessage it filled), into what a json.Decoder with
// UseNumber gives for an any: map[string]any, []any, json.Number, string,
// bool or nil, a later duplicate key winning. It reads b once, where the
// Decoder copied it into a buffer and scanned it twice more; strings
// without escapes and in valid UTF-8 are taken as they are, the others are
// unquoted by encoding/json itself. ok is false if b is not one JSON value.
// FuzzDecodeNumbered compares it with the Decoder.
func decodeNumbered(b []byte) (v any, ok bool) {
	r := numberedReader{b: b}
	v, ok = r.value()
	if !ok {
		return nil, false
	}
	r.space()
	return v, r.i == len(b)
}

type numberedReader struct {
	b []byte
	i int
}

func (r *numberedReader) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *numberedReader) value() (any, bool) {
	r.space()
	if r.i >= len(r.b) {
		return nil, false
	}
	switch c := r.b[r.i]; {
	case c == '{':
		return r.object()
	case c == '[':
		return r.array()
	case c == '"':
		if s, ok := r.str(); ok {
			return s, true
		}
		return nil, false
	case c == '-' || c >= '0' && c <= '9':
		start := r.i
		for r.i++; r.i < len(r.b) && numberByte(r.b[r.i]); r.i++ {
		}
		return json.Number(r.b[start:r.i]), true
	default:
		for _, lit := range [...]struct {
			text string
			v    any
		}{{"true", true}, {"false", false}, {"null", nil}} {
			if len(r.b)-r.i >= len(lit.text) && string(r.b[r.i:r.i+len(lit.text)]) == lit.text {
				r.i += len(lit.text)
				return lit.v, true
			}
		}
		return nil, false
	}
}

func numberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

func (r *numberedReader) object() (any, bool) {
	m := map[string]any{}
	if r.empty('}') {
		return m, true
	}
	for {
		r.space()
		if r.i >= len(r.b) || r.b[r.i] != '"' {
			return nil, false
		}
		k, ok := r.str()
		if !ok {
			return nil, false
		}
		r.space()
		if r.i >= len(r.b) || r.b[r.i] != ':' {
			return nil, false
		}
		r.i++
		v, ok := r.value()
		if !ok {
			return nil, false
		}
		m[k] = v
		if more, ok := r.more('}'); !ok || !more {
			return m, ok
		}
	}
}

func (r *numberedReader) array() (any, bool) {
	a := []any{}
	if r.empty(']') {
		return a, true
	}
	for {
		v, ok := r.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if more, ok := r.more(']'); !ok || !more {
			return a, ok
		}
	}
}

// empty steps over the opening bracket at r.i and says whether close
// follows at once (and steps over it too).
func (r *numberedReader) empty(close byte) bool {
	r.i++
	r.space()
	if r.i < len(r.b) && r.b[r.i] == close {
		r.i++
		return true
	}
	return false
}

// more reads what follows a member or an element: more is true after a
// comma, false after close; ok is false for anything else.
func (r *numberedReader) more(close byte) (more, ok bool) {
	r.space()
	if r.i < len(r.b) {
		switch r.b[r.i] {
		case ',':
			r.i++
			return true, true
		case close:
			r.i++
			return false, true
		}
	}
	return false, false
}

// str reads the string at r.i (its opening quote).
func (r *numberedReader) str() (string, bool) {
	start := r.i
	escaped := false
	for r.i++; r.i < len(r.b); r.i++ {
		switch r.b[r.i] {
		case '\\':
			escaped = true
			r.i++
		case '"':
			r.i++
			text := r.b[start+1 : r.i-1]
			if !escaped && utf8.Valid(text) {
				return string(text), true
			}
			var s string
			if err := json.Unmarshal(r.b[start:r.i], &s); err != nil {
				return "", false
			}
			return s, true
		}
	}
	return "", false
}
