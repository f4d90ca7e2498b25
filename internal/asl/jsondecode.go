package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

// decodeJSON parses one JSON document into the engine's values (nil, bool,
// string, json.Number, []any, *Object), exactly as encoding/json with
// UseNumber does — duplicate keys keep the last value, invalid UTF-8 and
// lone surrogates become U+FFFD — but in one pass without reflection:
// States.StringToJson runs it on every profile read of a journey.
// FuzzDecodeJSON checks it against encoding/json.
func decodeJSON(b []byte) (any, error) { return decodeJSONString(string(b)) }

// decodeJSONString is decodeJSON on a string. Strings without escapes are
// substrings of s (no copy), objects and arrays are made at their final
// size from a pooled scratch stack, and string and number values are boxed
// into interfaces that point into a few shared slabs (boxSlab), so a decoded
// document costs about one allocation per container plus one per 16 string
// or number values.
func decodeJSONString(s string) (any, error) {
	d := decoderPool.Get().(*jsonDecoder)
	d.b, d.i = s, 0
	v, err := d.document()
	clear(d.kv)
	clear(d.arr)
	d.kv, d.arr, d.b = d.kv[:0], d.arr[:0], ""
	// The slab's unused tail is not carried over: it would keep this
	// document's strings (and the text they are substrings of) alive for
	// as long as the next document's values.
	d.slab = nil
	if cap(d.kv) <= maxPooledScratch && cap(d.arr) <= maxPooledScratch {
		decoderPool.Put(d)
	}
	return v, err
}

// maxPooledScratch bounds the scratch a pooled decoder keeps.
const maxPooledScratch = 4096

var decoderPool = sync.Pool{New: func() any { return new(jsonDecoder) }}

func (d *jsonDecoder) document() (any, error) {
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i < len(d.b) {
		return nil, d.errorf("unexpected data after the JSON value")
	}
	return v, nil
}

type jsonDecoder struct {
	b    string
	i    int
	kv   []Member // members of the objects being decoded, innermost last
	arr  []any    // elements of the arrays being decoded, innermost last
	slab []string // the current document's boxed strings and numbers (box)
}

// slabSize is how many string or number values share one allocation.
const slabSize = 16

// Interface values are a type word and a data word; a string (or
// json.Number) in an interface is a pointer to its string header. Boxing
// one with any(s) allocates that header on its own; box writes it into the
// document's slab instead and makes the interface point there. The runtime
// keeps the whole slab alive while any of its values is referenced, and
// values are never mutated (the engine's rule), so the sharing is
// invisible. TestBoxedValues and FuzzDecodeJSON check the values behave as
// ordinary strings and json.Numbers (type switches, ==, reflect.DeepEqual,
// encoding/json).
var (
	stringTypeWord = typeWord("")
	numberTypeWord = typeWord(json.Number(""))
)

func typeWord(v any) unsafe.Pointer { return (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[0] }

// box returns s as an interface value of the type whose type word is typ
// (stringTypeWord or numberTypeWord), its header stored in the slab.
func (d *jsonDecoder) box(typ unsafe.Pointer, s string) any {
	if len(d.slab) == cap(d.slab) {
		d.slab = make([]string, 0, slabSize)
	}
	d.slab = append(d.slab, s)
	var v any
	w := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))
	w[0], w[1] = typ, unsafe.Pointer(&d.slab[len(d.slab)-1])
	return v
}

// The error texts are encoding/json's (users of `parcours asl run` see them).
var errJSONEnd = errors.New("unexpected EOF")

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

func (d *jsonDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if d.i >= len(d.b) {
		return nil, errJSONEnd
	}
	switch c := d.b[d.i]; {
	case c == '{':
		if depth >= maxJSONDepth {
			return nil, d.errorf("exceeded max depth")
		}
		return d.object(depth + 1)
	case c == '[':
		if depth >= maxJSONDepth {
			return nil, d.errorf("exceeded max depth")
		}
		return d.array(depth + 1)
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return d.box(stringTypeWord, s), nil
	case c == '-' || (c >= '0' && c <= '9'):
		n, err := d.number()
		if err != nil {
			return nil, err
		}
		return d.box(numberTypeWord, n), nil
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	default:
		return nil, d.errorf("invalid character %q looking for beginning of value", c)
	}
}

func (d *jsonDecoder) literal(lit string) error {
	for k := 0; k < len(lit); k++ {
		if d.i+k >= len(d.b) {
			return errJSONEnd
		}
		if c := d.b[d.i+k]; c != lit[k] {
			d.i += k
			return d.errorf("invalid character %q in literal %s (expecting %q)", c, lit, lit[k])
		}
	}
	d.i += len(lit)
	return nil
}

func (d *jsonDecoder) object(depth int) (any, error) {
	d.i++ // {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return emptyObject, nil
	}
	mark := len(d.kv)
	for {
		if d.i >= len(d.b) {
			return nil, errJSONEnd
		}
		if d.b[d.i] != '"' {
			return nil, d.errorf("invalid character %q looking for beginning of object key string", d.b[d.i])
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.i >= len(d.b) {
			return nil, errJSONEnd
		}
		if d.b[d.i] != ':' {
			return nil, d.errorf("invalid character %q after object key", d.b[d.i])
		}
		d.i++
		d.space()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.kv = append(d.kv, Member{k, v})
		d.space()
		if d.i >= len(d.b) {
			return nil, errJSONEnd
		}
		switch d.b[d.i] {
		case ',':
			d.i++
			d.space()
		case '}':
			d.i++
			m := objectOf(d.kv[mark:]) // a duplicate key keeps the last value
			clear(d.kv[mark:])
			d.kv = d.kv[:mark]
			return m, nil
		default:
			return nil, d.errorf("invalid character %q after object key:value pair", d.b[d.i])
		}
	}
}

func (d *jsonDecoder) array(depth int) (any, error) {
	d.i++ // [
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return []any{}, nil
	}
	mark := len(d.arr)
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.arr = append(d.arr, v)
		d.space()
		if d.i >= len(d.b) {
			return nil, errJSONEnd
		}
		switch d.b[d.i] {
		case ',':
			d.i++
			d.space()
		case ']':
			d.i++
			a := append([]any(nil), d.arr[mark:]...)
			clear(d.arr[mark:])
			d.arr = d.arr[:mark]
			return a, nil
		default:
			return nil, d.errorf("invalid character %q after array element", d.b[d.i])
		}
	}
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (d *jsonDecoder) number() (string, error) {
	start := d.i
	b := d.b
	if b[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(b) && b[d.i] >= '0' && b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i >= len(b) {
		return "", errJSONEnd
	}
	switch {
	case b[d.i] == '0':
		d.i++
	case b[d.i] >= '1' && b[d.i] <= '9':
		digits()
	default:
		return "", d.errorf("invalid character %q in numeric literal", b[d.i])
	}
	if d.i < len(b) && b[d.i] == '.' {
		d.i++
		if d.i >= len(b) {
			return "", errJSONEnd
		}
		if digits() == 0 {
			return "", d.errorf("invalid character %q after decimal point in numeric literal", b[d.i])
		}
	}
	if d.i < len(b) && (b[d.i] == 'e' || b[d.i] == 'E') {
		d.i++
		if d.i < len(b) && (b[d.i] == '+' || b[d.i] == '-') {
			d.i++
		}
		if d.i >= len(b) {
			return "", errJSONEnd
		}
		if digits() == 0 {
			return "", d.errorf("invalid character %q in exponent of numeric literal", b[d.i])
		}
	}
	return b[start:d.i], nil
}

// str reads a string starting at its opening quote.
func (d *jsonDecoder) str() (string, error) {
	d.i++ // "
	start := d.i
	b := d.b
	// Fast path: no escapes, ASCII only.
	for d.i < len(b) {
		c := b[d.i]
		if c == '"' {
			s := b[start:d.i]
			d.i++
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		d.i++
	}
	buf := append(make([]byte, 0, d.i-start+16), b[start:d.i]...)
	for d.i < len(b) {
		c := b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(buf), nil
		case c < 0x20:
			return "", d.errorf("invalid character %q in string literal", c)
		case c == '\\':
			d.i++
			if d.i >= len(b) {
				return "", errJSONEnd
			}
			e := b[d.i]
			d.i++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, err := d.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.i+1 < len(b) && b[d.i] == '\\' && b[d.i+1] == 'u' {
						save := d.i
						d.i += 2
						r2, err = d.hex4()
						if err != nil {
							return "", err
						}
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							continue
						}
						d.i = save // not a pair: the second escape stands alone
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				d.i--
				return "", d.errorf("invalid character %q in string escape code", e)
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			d.i++
		default:
			r, size := utf8.DecodeRuneInString(b[d.i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, b[d.i:d.i+size]...)
			}
			d.i += size
		}
	}
	return "", errJSONEnd
}

func (d *jsonDecoder) hex4() (rune, error) {
	if len(d.b)-d.i < 4 {
		for k := d.i; k < len(d.b); k++ {
			if c := d.b[k]; !isHexDigit(c) {
				return 0, d.errorf("invalid character %q in \\u hexadecimal character escape", c)
			}
		}
		return 0, errJSONEnd
	}
	var r rune
	for k := range 4 {
		v, ok := hexDigit(d.b[d.i+k])
		if !ok {
			d.i += k
			return 0, d.errorf("invalid character %q in \\u hexadecimal character escape", d.b[d.i])
		}
		r = r<<4 | rune(v)
	}
	d.i += 4
	return r, nil
}

func isHexDigit(c byte) bool { _, ok := hexDigit(c); return ok }

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
