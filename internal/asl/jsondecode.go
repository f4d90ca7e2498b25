package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strings"
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
// into interfaces that point into a few shared slabs (box), so a decoded
// document costs about one allocation per container plus one per slab (the
// first sized by the document's length, one for a profile).
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
	b     string
	i     int
	kv    []Member    // members of the objects being decoded, innermost last
	arr   []any       // elements of the arrays being decoded, innermost last
	slab  []string    // the current document's boxed strings and numbers (box)
	shape objectShape // the last large object's keys and their order (shapedObject)
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
		n := slabSize
		if d.slab == nil {
			// A document's first slab: about one value per 24 bytes of
			// text (a profile has one per 32), so that most documents
			// need one slab.
			n = min(max(len(d.b)/24, slabSize), 4*slabSize)
		}
		d.slab = make([]string, 0, n)
	}
	d.slab = append(d.slab, s)
	var v any
	w := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))
	w[0], w[1] = typ, unsafe.Pointer(&d.slab[len(d.slab)-1])
	return v
}

var arrayTypeWord = typeWord([]any(nil))

// boxedArray returns a copy of elems as an interface value holding a []any.
// any(a) would allocate a's slice header apart from its elements; up to 8
// elements, header and elements are one allocation instead (as box, the
// interface points at the header).
func boxedArray(elems []any) any {
	var h *[]any
	switch n := len(elems); {
	case n == 1:
		x := new(struct {
			h []any
			a [1]any
		})
		x.h, h = x.a[:], &x.h
	case n == 2:
		x := new(struct {
			h []any
			a [2]any
		})
		x.h, h = x.a[:], &x.h
	case n <= 4:
		x := new(struct {
			h []any
			a [4]any
		})
		x.h, h = x.a[:n:n], &x.h
	case n <= 8:
		x := new(struct {
			h []any
			a [8]any
		})
		x.h, h = x.a[:n:n], &x.h
	default:
		return append([]any(nil), elems...)
	}
	copy(*h, elems)
	var v any
	w := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))
	w[0], w[1] = arrayTypeWord, unsafe.Pointer(h)
	return v
}

// The error texts are encoding/json's (users of `parcours asl run` see them).
var errJSONEnd = errors.New("unexpected EOF")

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// space skips white space. Compact documents have none: one comparison
// tells.
func (d *jsonDecoder) space() {
	if d.i < len(d.b) && d.b[d.i] > ' ' {
		return
	}
	d.spaceSlow()
}

func (d *jsonDecoder) spaceSlow() {
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
			m := d.shapedObject(d.kv[mark:]) // a duplicate key keeps the last value
			clear(d.kv[mark:])
			d.kv = d.kv[:mark]
			return m, nil
		default:
			return nil, d.errorf("invalid character %q after object key:value pair", d.b[d.i])
		}
	}
}

// membersObject is objectOf(ms) (members in key order, the last value of
// a repeated key kept) for a decoded object. Up to 32 members, it sorts
// words that hold a key's first 7 bytes and the member's index instead of
// the 32-byte members (membersOrder), compares whole keys only among
// members whose keys share those 7 bytes, and copies each member once,
// into its place in the new Object. ms is scratch, as for objectOf.
func membersObject(ms []Member) *Object {
	n := len(ms)
	switch {
	case n == 1:
		o := newObject(1)
		o.members[0] = ms[0]
		return o
	case n > 32:
		return objectOf(ms)
	}
	var order [32]uint8
	k := membersOrder(ms, &order)
	o := newObject(k)
	for j := range o.members {
		o.members[j] = ms[order[j]]
	}
	return o
}

// membersOrder writes into order the indexes of ms (at most 32 members)
// whose members an Object keeps, in key order: the last of a repeated key.
// It returns how many.
func membersOrder(ms []Member, order *[32]uint8) int {
	n := len(ms)
	var w [32]uint64
	for i := range ms {
		w[i] = keyPrefix7(ms[i].Key)<<8 | uint64(i)
	}
	// Sort by prefix, then index: an insertion sort of the words, as every
	// word before w[i] has a smaller index.
	shared := false // some keys have the same prefix
	for i := 1; i < n; i++ {
		x := w[i]
		j := i
		for ; j > 0 && w[j-1] > x; j-- {
			w[j] = w[j-1]
		}
		w[j] = x
		if j > 0 && w[j-1]>>8 == x>>8 || j+1 <= i && w[j+1]>>8 == x>>8 {
			shared = true
		}
	}
	if shared {
		// Within each run of one prefix, sort by key, stably (the index
		// orders the words of one key as they were given).
		for i := 1; i < n; i++ {
			x := w[i]
			j := i
			for ; j > 0 && w[j-1]>>8 == x>>8 && ms[w[j-1]&0xff].Key > ms[x&0xff].Key; j-- {
				w[j] = w[j-1]
			}
			w[j] = x
		}
	}
	out := 0
	for k := range n {
		if shared && k+1 < n && w[k]>>8 == w[k+1]>>8 && ms[w[k]&0xff].Key == ms[w[k+1]&0xff].Key {
			continue // a later value of the same key follows
		}
		order[out] = uint8(w[k])
		out++
	}
	return out
}

// objectShape remembers the keys of the last large object a decoder built,
// in the order the document gave them, and the order membersOrder found
// for them. Documents of one kind (every profile view a journey reads)
// give the same keys in the same order: the next such object is put in
// key order by comparing its keys with these, without sorting. Keys are
// copied, so the shape keeps no document alive.
type objectShape struct {
	keys  []string
	order [32]uint8
	n     int // members kept
}

// minShaped is the smallest object the shape serves: below it, sorting
// costs about as little as comparing the keys.
const minShaped = 8

// shapedObject is membersObject(ms), through the decoder's shape when ms
// has its keys.
func (d *jsonDecoder) shapedObject(ms []Member) *Object {
	if len(ms) < minShaped || len(ms) > 32 {
		return membersObject(ms)
	}
	sh := &d.shape
	same := len(sh.keys) == len(ms)
	for i := 0; same && i < len(ms); i++ {
		same = ms[i].Key == sh.keys[i]
	}
	if !same {
		sh.keys = sh.keys[:0]
		for i := range ms {
			sh.keys = append(sh.keys, strings.Clone(ms[i].Key))
		}
		sh.n = membersOrder(ms, &sh.order)
	}
	o := newObject(sh.n)
	for j := range o.members {
		o.members[j] = ms[sh.order[j]]
	}
	return o
}

// keyPrefix7 is s's first 7 bytes as a big-endian integer, zeros past its
// end: keyPrefix7(a) < keyPrefix7(b) implies a < b.
func keyPrefix7(s string) uint64 {
	if len(s) >= 8 {
		return bits.ReverseBytes64(load64(s, 0)) >> 8
	}
	var p uint64
	for i := 0; i < len(s); i++ {
		p |= uint64(s[i]) << (48 - 8*i)
	}
	return p
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
			a := boxedArray(d.arr[mark:])
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
	// Fast path: no escapes, ASCII only. Eight bytes at a time first, up to
	// the first byte that is a quote, a backslash, a control character or
	// not ASCII (special); the byte loop below takes it from there.
	for d.i+8 <= len(b) {
		if t := special8(load64(b, d.i)); t != 0 {
			d.i += bits.TrailingZeros64(t) >> 3
			if b[d.i] == '"' {
				s := b[start:d.i]
				d.i++
				return s, nil
			}
			break
		}
		d.i += 8
	}
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
	return d.strSlow(start)
}

// strSlow is str from the first byte its fast path does not take (an
// escape, a control character, a byte that is not ASCII), start being the
// string's first byte. Kept apart so that str, called for every key and
// string value, stays small.
//
//go:noinline
func (d *jsonDecoder) strSlow(start int) (string, error) {
	b := d.b
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

// SWAR constants: every byte 0x01, every byte 0x80.
const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

// load64 is s[i:i+8] as a little-endian word (the compiler makes it one
// load).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// special8 returns a word whose lowest set bit, if any, is the top bit of
// the first byte of x (little-endian) that is '"', '\\', below 0x20, or
// 0x80 and above. These are the usual has-zero-byte tricks: a borrow only
// starts at a byte that matches, so bits above the lowest may be false,
// the lowest is not.
func special8(x uint64) uint64 {
	q := x ^ (lsb8 * '"')
	bs := x ^ (lsb8 * '\\')
	return ((x-lsb8*0x20)&^x | (q-lsb8)&^q | (bs-lsb8)&^bs | x) & msb8
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
