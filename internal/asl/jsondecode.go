package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
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
func decodeJSONString(s string) (any, error) { return decodeJSONIn(s, nil) }

// decodeJSONIn is decodeJSONString with the document's objects made from
// a (nil: allocated on their own).
func decodeJSONIn(s string, a *objectArena) (any, error) {
	d := lastDecoder.Swap(nil)
	if d == nil {
		d = decoderPool.Get().(*jsonDecoder)
	}
	d.arena = a
	v, err := d.decode(s)
	d.arena = nil
	switch {
	case cap(d.kv) <= maxLastScratch && cap(d.arr) <= maxLastScratch && lastDecoder.CompareAndSwap(nil, d):
	case cap(d.kv) <= maxPooledScratch && cap(d.arr) <= maxPooledScratch:
		decoderPool.Put(d)
	}
	return v, err
}

// lastDecoder holds the decoder the last decodeJSONIn put back, if no
// other call has taken it since: one exchange, where decoderPool's Get and
// Put pin the goroutine to its P and find the P's cache. Calls that find
// it empty (another goroutine decoding) use decoderPool. Unlike the pool's,
// its decoder stays across garbage collections: only one with little
// scratch (maxLastScratch) goes there.
var lastDecoder atomic.Pointer[jsonDecoder]

// maxLastScratch bounds the scratch of lastDecoder's decoder (its kv and
// arr: 12 KiB).
const maxLastScratch = 256

// decode decodes s with d, leaving d ready for the next document (its
// shape kept).
func (d *jsonDecoder) decode(s string) (any, error) {
	d.b, d.i = s, 0
	v, err := d.document()
	d.shape.busy = false // an error can leave shapedMembers midway
	clear(d.kv[:max(len(d.kv), d.kvUsed)])
	clear(d.arr[:max(len(d.arr), d.arrUsed)])
	d.kv, d.arr, d.b = d.kv[:0], d.arr[:0], ""
	d.kvUsed, d.arrUsed = 0, 0
	// The slab's unused tail is not carried over: it would keep this
	// document's strings (and the text they are substrings of) alive for
	// as long as the next document's values.
	d.slab = nil
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
	// The most of kv and arr this document has used: what decode clears
	// (once, rather than after each object and array).
	kvUsed, arrUsed int
	// arena, when not nil, makes the document's objects (an engine's,
	// for States.StringToJson); decode leaves it nil.
	arena *objectArena
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
	n := len(d.slab)
	if n == cap(d.slab) {
		d.slab, n = d.newSlab(), 0
	}
	d.slab = d.slab[:n+1]
	p := &d.slab[n]
	*p = s
	return boxed(typ, p)
}

// boxed is the interface value of type typ whose data word is p.
func boxed(typ unsafe.Pointer, p *string) any {
	var v any
	w := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))
	w[0], w[1] = typ, unsafe.Pointer(p)
	return v
}

// newSlab returns an empty slab for box: a document's first holds about
// one value per 24 bytes of text (a profile has one per 32), so that most
// documents need one slab; the next ones hold slabSize.
//
// Up to 32 strings (512 bytes), a slab is an array of an even length: an
// allocation of that size has an even length's size class anyway (every
// multiple of 32 bytes up to 512 is one), and the allocator writes an
// array's pointer bitmap in one step but a slice's one element at a time.
func (d *jsonDecoder) newSlab() []string {
	n := slabSize
	if d.slab == nil {
		n = min(max(len(d.b)/24, slabSize), 4*slabSize)
	}
	switch (n + 1) / 2 * 2 {
	case 16:
		return new([16]string)[:0]
	case 18:
		return new([18]string)[:0]
	case 20:
		return new([20]string)[:0]
	case 22:
		return new([22]string)[:0]
	case 24:
		return new([24]string)[:0]
	case 26:
		return new([26]string)[:0]
	case 28:
		return new([28]string)[:0]
	case 30:
		return new([30]string)[:0]
	case 32:
		return new([32]string)[:0]
	}
	return make([]string, 0, n)
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
	return arrayValue(h)
}

// arrayValue is the interface value holding *h.
func arrayValue(h *[]any) any {
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

func (d *jsonDecoder) spaceSlow() { d.i = skipSpaceSlow(d.b, d.i) }

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
	// The literals: one comparison of their bytes, literal for what
	// fails it.
	case c == 't':
		if i := d.i; len(d.b)-i >= 4 && d.b[i:i+4] == "true" {
			d.i = i + 4
			return true, nil
		}
		return true, d.literal("true")
	case c == 'f':
		if i := d.i; len(d.b)-i >= 5 && d.b[i:i+5] == "false" {
			d.i = i + 5
			return false, nil
		}
		return false, d.literal("false")
	case c == 'n':
		if i := d.i; len(d.b)-i >= 4 && d.b[i:i+4] == "null" {
			d.i = i + 4
			return nil, nil
		}
		return nil, d.literal("null")
	default:
		return nil, d.errorf("invalid character %q looking for beginning of value", c)
	}
}

// literal reads lit (true, false or null) at d.i.
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
	if sh := &d.shape; sh.fast && !sh.busy && sh.pats[0].match(d.b, d.i) {
		return d.shapedMembers(depth)
	}
	return d.smallMembers(depth)
}

// smallMax is the most members smallMembers holds.
const smallMax = 4

// smallMembers is members for an object that is likely small (a nested
// one: a consent, a price): it decodes the members from the first byte of
// a key (d.i) into an array on the stack and makes the Object from there,
// without d.kv. At the key of a member past smallMax, the members decoded
// so far move to d.kv, in document order, and members takes over: the
// result, and an error's text, are always what members alone makes.
func (d *jsonDecoder) smallMembers(depth int) (any, error) {
	// As shapedMembers, the loop is a compact document's: white space,
	// strings with escapes and values other than strings, whole numbers,
	// literals take the paths around it.
	var ms [smallMax]Member
	n := 0
	b := d.b
	i := d.i
	for {
		if uint(i) >= uint(len(b)) || b[i] != '"' || n == smallMax {
			if i = spaceEnd(b, i); i >= len(b) {
				return nil, errJSONEnd
			}
			if b[i] != '"' {
				return nil, d.errorf("invalid character %q looking for beginning of object key string", b[i])
			}
			if n == smallMax {
				mark := len(d.kv)
				d.kv = append(d.kv, ms[:]...)
				d.i = i
				return d.members(depth, mark, nil)
			}
		}
		// n < smallMax.
		m := (*Member)(unsafe.Add(unsafe.Pointer(&ms), uintptr(n)*unsafe.Sizeof(Member{})))
		// strEnd, inlined while 8 bytes remain.
		e, ok := i+1, false
		for {
			if len(b)-e < 8 {
				e, ok = strEnd(b, e)
				break
			}
			if t := special8(loadU64(b, e)); t != 0 {
				e += bits.TrailingZeros64(t) >> 3
				ok = b[e] == '"'
				break
			}
			e += 8
		}
		if ok {
			// b[i+1:e] (i < e < len(b)).
			*(*stringWords)(unsafe.Pointer(&m.Key)) = stringWords{unsafe.Add(unsafe.Pointer(unsafe.StringData(b)), i+1), e - (i + 1)}
			i = e + 1
		} else {
			d.i = e
			var err error
			if m.Key, err = d.strSlow(i + 1); err != nil {
				return nil, err
			}
			i = d.i
		}
		if uint(i) < uint(len(b)) && b[i] == ':' {
			i++
		} else {
			if i = spaceEnd(b, i); i >= len(b) {
				return nil, errJSONEnd
			}
			if b[i] != ':' {
				return nil, d.errorf("invalid character %q after object key", b[i])
			}
			i++
		}
		var c byte
		if uint(i) < uint(len(b)) {
			c = b[i]
		}
		switch {
		case c == '"':
			// strEnd, inlined while 8 bytes remain.
			e, ok := i+1, false
			for {
				if len(b)-e < 8 {
					e, ok = strEnd(b, e)
					break
				}
				if t := special8(loadU64(b, e)); t != 0 {
					e += bits.TrailingZeros64(t) >> 3
					ok = b[e] == '"'
					break
				}
				e += 8
			}
			if !ok {
				d.i = e
				s, err := d.strSlow(i + 1)
				if err != nil {
					return nil, err
				}
				m.Value, i = d.box(stringTypeWord, s), d.i
				break
			}
			// box, inlined.
			if len(d.slab) == cap(d.slab) {
				d.nextSlab()
			}
			slot := d.take()
			*(*stringWords)(unsafe.Pointer(slot)) = stringWords{unsafe.Add(unsafe.Pointer(unsafe.StringData(b)), i+1), e - (i + 1)}
			*(*[2]unsafe.Pointer)(unsafe.Pointer(&m.Value)) = [2]unsafe.Pointer{stringTypeWord, unsafe.Pointer(slot)}
			i = e + 1
		case c-'1' <= 8:
			// As shapedMembers: a number of digits only.
			j := i + 1
			for uint(j) < uint(len(b)) && b[j]-'0' <= 9 {
				j++
			}
			if uint(j) < uint(len(b)) && (b[j] == '.' || b[j]|0x20 == 'e') {
				d.i = i
				var err error
				if m.Value, err = d.value(depth); err != nil {
					return nil, err
				}
				i = d.i
				break
			}
			if len(d.slab) == cap(d.slab) {
				d.nextSlab()
			}
			slot := d.take()
			*(*stringWords)(unsafe.Pointer(slot)) = stringWords{unsafe.Add(unsafe.Pointer(unsafe.StringData(b)), i), j - i}
			*(*[2]unsafe.Pointer)(unsafe.Pointer(&m.Value)) = [2]unsafe.Pointer{numberTypeWord, unsafe.Pointer(slot)}
			i = j
		case c == 't' && len(b)-i >= 4 && b[i:i+4] == "true":
			m.Value = true
			i += 4
		case c == 'f' && len(b)-i >= 5 && b[i:i+5] == "false":
			m.Value = false
			i += 5
		case c == 'n' && len(b)-i >= 4 && b[i:i+4] == "null":
			i += 4
		default:
			d.i = i
			d.space()
			var err error
			if m.Value, err = d.value(depth); err != nil {
				return nil, err
			}
			i = d.i
		}
		n++
		if c = 0; uint(i) < uint(len(b)) {
			c = b[i]
		}
		if c != ',' && c != '}' {
			if i = spaceEnd(b, i); i >= len(b) {
				return nil, errJSONEnd
			}
			if c = b[i]; c != ',' && c != '}' {
				return nil, d.errorf("invalid character %q after object key:value pair", c)
			}
		}
		if c == ',' {
			i++
			continue
		}
		d.i = i + 1
		if n == 1 {
			o := d.arena.object(1)
			o.ms[0] = ms[0]
			return o, nil
		}
		return smallObject(ms[:n], d.arena), nil
	}
}

// smallObject is membersObjectIn(ms, nil, a) for the 1 to smallMax
// members of smallMembers.
func smallObject(ms []Member, a *objectArena) *Object {
	switch len(ms) {
	case 1:
		o := a.object(1)
		o.ms[0] = ms[0]
		return o
	case 2:
		k0, k1 := ms[0].Key, ms[1].Key
		// Keys mostly differ in their first byte.
		var less bool
		if len(k0) > 0 && len(k1) > 0 && k0[0] != k1[0] {
			less = k0[0] < k1[0]
		} else if k0 == k1 {
			o := a.object(1)
			o.ms[0] = ms[1]
			return o
		} else {
			less = k0 < k1
		}
		o := a.object(2)
		if less {
			o.ms[0], o.ms[1] = ms[0], ms[1]
		} else {
			o.ms[0], o.ms[1] = ms[1], ms[0]
		}
		return o
	}
	return membersObjectIn(ms, nil, a)
}

// members decodes an object's members from the first byte of a key on
// (d.i), appending them to d.kv past mark (members already decoded may be
// there), and makes the Object, into spare if it is not nil and has room.
func (d *jsonDecoder) members(depth, mark int, spare *Object) (any, error) {
	// As shapedMembers, the position is a local, in d.i only around calls
	// that read or move it; errors do not tell it.
	//
	// An object's first member waits in first (if there are none in d.kv
	// yet): an object of one member, the most common, is made from it
	// without d.kv.
	b := d.b
	i := d.i
	var first Member
	held, hold := false, len(d.kv) == mark
	for {
		if i >= len(b) {
			return nil, errJSONEnd
		}
		if b[i] != '"' {
			return nil, d.errorf("invalid character %q looking for beginning of object key string", b[i])
		}
		var k string
		if e, ok := strEnd(b, i+1); ok {
			k, i = b[i+1:e], e+1
		} else {
			d.i = e
			var err error
			if k, err = d.strSlow(i + 1); err != nil {
				return nil, err
			}
			i = d.i
		}
		if i < len(b) && b[i] <= ' ' {
			d.i = i
			d.spaceSlow()
			i = d.i
		}
		if i >= len(b) {
			return nil, errJSONEnd
		}
		if b[i] != ':' {
			return nil, d.errorf("invalid character %q after object key", b[i])
		}
		i++
		if i < len(b) && b[i] <= ' ' {
			d.i = i
			d.spaceSlow()
			i = d.i
		}
		var v any
		if i < len(b) && b[i] == '"' {
			if e, ok := strEnd(b, i+1); ok {
				// box, inlined.
				used := len(d.slab)
				if used == cap(d.slab) {
					d.slab, used = d.newSlab(), 0
				}
				d.slab = d.slab[:used+1]
				slot := &d.slab[used]
				*slot = b[i+1 : e]
				v, i = boxed(stringTypeWord, slot), e+1
			} else {
				d.i = e
				s, err := d.strSlow(i + 1)
				if err != nil {
					return nil, err
				}
				v, i = d.box(stringTypeWord, s), d.i
			}
		} else {
			d.i = i
			var err error
			if v, err = d.value(depth); err != nil {
				return nil, err
			}
			i = d.i
		}
		switch {
		case hold:
			first, held, hold = Member{k, v}, true, false
		case held:
			d.kv = append(d.kv, first, Member{k, v})
			first, held = Member{}, false
		default:
			d.kv = append(d.kv, Member{k, v})
		}
		if i < len(b) && b[i] <= ' ' {
			d.i = i
			d.spaceSlow()
			i = d.i
		}
		if i >= len(b) {
			return nil, errJSONEnd
		}
		switch b[i] {
		case ',':
			i++
			if i < len(b) && b[i] <= ' ' {
				d.i = i
				d.spaceSlow()
				i = d.i
			}
		case '}':
			d.i = i + 1
			if held {
				o := objectIn(1, spare, d.arena)
				o.ms[0] = first
				return o, nil
			}
			return d.finishObject(mark, spare), nil
		default:
			return nil, d.errorf("invalid character %q after object key:value pair", b[i])
		}
	}
}

// finishObject makes the Object of the members in d.kv past mark (a
// duplicate key keeps the last value) and drops them from d.kv.
func (d *jsonDecoder) finishObject(mark int, spare *Object) *Object {
	ms := d.kv[mark:]
	var m *Object
	if len(ms) < minShaped {
		m = membersObjectIn(ms, spare, d.arena)
	} else {
		m = d.shapedObject(ms, spare)
	}
	d.kvUsed = max(d.kvUsed, len(d.kv))
	d.kv = d.kv[:mark]
	return m
}

// shapedMembers decodes the members of an object whose first key, at d.i,
// matched the shape's first pattern (sh.pats), straight into their places
// in a new Object (shapeKey.pos) while each key matches the shape's
// pattern of its index and the object ends after the shape's last key. Where the
// object departs from the shape (another key, white space before a colon,
// fewer or more members), the members decoded so far move to d.kv in
// document order and members takes over, the new Object as its spare: the
// result is always what members alone makes.
//
// A key matches its pattern when the document has the pattern's bytes at
// that point: the pattern is the quoted key (without escapes: the shape is
// fast only if no key has a quote, a backslash or a control character)
// and its colon, so such a key decodes to the shape's key.
//
// The shape is busy meanwhile: objects nested in this one neither take
// the fast path nor rebuild the shape this loop reads.
func (d *jsonDecoder) shapedMembers(depth int) (any, error) {
	// The loop keeps few values live (the text, the position, the
	// pattern, where the members go and d): everything that is not a
	// compact document's key, string, whole number, literal or small
	// object, and every byte of white space, takes a call out of it.
	sh := &d.shape
	sh.busy = true
	o := d.arena.object(sh.n)
	// Where the members go: every pattern's pos is below sh.n (rebuild).
	base := unsafe.Pointer(unsafe.SliceData(o.ms))
	// Nothing changes the shape while it is busy. p walks sh.pats: it
	// moves on only while p.more.
	p := &sh.pats[0]
	b := d.b
	i := d.i
	for {
		// match, for a pattern of up to 24 bytes that the text holds
		// with a byte to spare (p.fastNeed): b[i] is then the byte after
		// the pattern. shapeKey skips white space and matches the rest.
		if len(b)-i < p.fastNeed ||
			((loadU64(b, i)^p.first)|(loadU64(b, i+p.midAt)^p.mid)|(loadU64(b, i+p.lastAt)^p.last))&p.mask != 0 {
			var ok bool
			if i, ok = shapeKeyAt(b, i, p); !ok {
				d.i = i
				return d.shapeMiss(depth, o, sh.index(p), true)
			}
		} else {
			i += p.patLen
		}
		// The key is the shape's (the document's has the same bytes). A
		// repeated key's later value overwrites.
		m := (*Member)(unsafe.Add(base, uintptr(p.pos)*unsafe.Sizeof(Member{})))
		// i < len(b) (fastNeed; shapeKeyAt).
		switch c := *(*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(b)), i)); {
		case c == '"':
			// strEnd, inlined while 8 bytes remain.
			e, ok := i+1, false
			for {
				if len(b)-e < 8 {
					e, ok = strEnd(b, e)
					break
				}
				if t := special8(loadU64(b, e)); t != 0 {
					e += bits.TrailingZeros64(t) >> 3
					ok = *(*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(b)), e)) == '"'
					break
				}
				e += 8
			}
			if !ok {
				var err error
				if i, err = d.shapedValue(depth, i, m, p); err != nil {
					return nil, err
				}
				break
			}
			// box, inlined; the string is b[i+1:e] (i < e < len(b)).
			if len(d.slab) == cap(d.slab) {
				d.nextSlab()
			}
			slot := d.take()
			*(*stringWords)(unsafe.Pointer(slot)) = stringWords{unsafe.Add(unsafe.Pointer(unsafe.StringData(b)), i+1), e - (i + 1)}
			*(*memberWords)(unsafe.Pointer(m)) = memberWords{p.keyData, p.keyLen, stringTypeWord, unsafe.Pointer(slot)}
			i = e + 1
		case c-'1' <= 8:
			// value's case of a number, inlined for one of digits only
			// (number's first two cases); shapedValue reads the others.
			j := i + 1
			for uint(j) < uint(len(b)) && b[j]-'0' <= 9 {
				j++
			}
			if uint(j) < uint(len(b)) && (b[j] == '.' || b[j]|0x20 == 'e') {
				var err error
				if i, err = d.shapedValue(depth, i, m, p); err != nil {
					return nil, err
				}
				break
			}
			if len(d.slab) == cap(d.slab) {
				d.nextSlab()
			}
			slot := d.take()
			*(*stringWords)(unsafe.Pointer(slot)) = stringWords{unsafe.Add(unsafe.Pointer(unsafe.StringData(b)), i), j - i}
			*(*memberWords)(unsafe.Pointer(m)) = memberWords{p.keyData, p.keyLen, numberTypeWord, unsafe.Pointer(slot)}
			i = j
		case c == '{' && depth < maxJSONDepth && uint(i+1) < uint(len(b)) && b[i+1] > ' ' && b[i+1] != '}':
			// value's case of an object, without value; and object's
			// case of a key right after the brace (the shape is busy).
			d.i = i + 1
			v, err := d.smallMembers(depth + 1)
			if err != nil {
				return nil, err
			}
			m.Key, m.Value = p.key, v
			i = d.i
		case c == 't' && len(b)-i >= 4 && b[i:i+4] == "true":
			m.Key, m.Value = p.key, true
			i += 4
		case c == 'f' && len(b)-i >= 5 && b[i:i+5] == "false":
			m.Key, m.Value = p.key, false
			i += 5
		case c == 'n' && len(b)-i >= 4 && b[i:i+4] == "null":
			m.Key, m.Value = p.key, nil
			i += 4
		default:
			var err error
			if i, err = d.shapedValue(depth, i, m, p); err != nil {
				return nil, err
			}
		}
		// c is the byte at i, 0 past the end (a 0 in the document takes
		// the same paths: shapeMiss tells it).
		var c byte
		if uint(i) < uint(len(b)) {
			c = b[i]
		}
		if c == ',' && p.more {
			i++
			p = (*shapeKey)(unsafe.Add(unsafe.Pointer(p), unsafe.Sizeof(shapeKey{})))
			continue
		}
		if c == '}' && !p.more {
			d.i = i + 1
			sh.busy = false
			return o, nil
		}
		if i = spaceEnd(b, i); i < len(b) && b[i] == ',' && p.more {
			i++
			p = (*shapeKey)(unsafe.Add(unsafe.Pointer(p), unsafe.Sizeof(shapeKey{})))
			continue
		}
		if i >= len(b) {
			return nil, errJSONEnd
		}
		d.i = i
		return d.shapeMiss(depth, o, sh.index(p)+1, false)
	}
}

// stringWords and memberWords are a string's and a Member's words, their
// pointers as unsafe.Pointer (so that writing them has the write barriers
// writing a string or a Member has): shapedMembers writes them whole,
// without unsafe.String's checks and without an interface made on the
// stack.
type stringWords struct {
	data unsafe.Pointer
	len  int
}

type memberWords struct {
	key      unsafe.Pointer
	keyLen   int
	typ, val unsafe.Pointer
}

// take is box's slab slot for the next value; the slab has room
// (callers check len(d.slab) < cap(d.slab), else call nextSlab).
func (d *jsonDecoder) take() *string {
	n := len(d.slab)
	d.slab = d.slab[:n+1]
	return (*string)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(d.slab)), uintptr(n)*unsafe.Sizeof("")))
}

// nextSlab is d.slab = d.newSlab(), out of line.
//
//go:noinline
func (d *jsonDecoder) nextSlab() { d.slab = d.newSlab() }

// shapedValue is shapedMembers for a value it does not read itself (after
// white space, or a string with escapes, a number with a fraction or an
// exponent, an array, an object that is empty or nested too deep): value
// reads it into m, with p's key. It returns the position after the value.
//
//go:noinline
func (d *jsonDecoder) shapedValue(depth, i int, m *Member, p *shapeKey) (int, error) {
	d.i = i
	d.space()
	v, err := d.value(depth)
	if err != nil {
		return 0, err
	}
	m.Key, m.Value = p.key, v
	return d.i, nil
}

// shapeKeyAt is shapedMembers' match of p at i when the fast test fails:
// after white space, for a pattern of more than 24 bytes or near the end
// of b. It returns the position after the pattern, if it is there and a
// byte follows it, else the position of the key (after the white space).
//
//go:noinline
func shapeKeyAt(b string, i int, p *shapeKey) (int, bool) {
	i = spaceEnd(b, i)
	if p.match(b, i) && len(b)-i > len(p.pat) {
		return i + len(p.pat), true
	}
	return i, false
}

// spaceEnd is the position of the first byte at or after i that is not
// white space.
//
//go:noinline
func spaceEnd(b string, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return i
		}
	}
	return i
}

// index is the index of p in sh.pats.
func (sh *objectShape) index(p *shapeKey) int {
	return int((uintptr(unsafe.Pointer(p)) - uintptr(unsafe.Pointer(unsafe.SliceData(sh.pats)))) / unsafe.Sizeof(shapeKey{}))
}

// shapeMiss is where shapedMembers hands over to members: the object's
// first k members are in o, at d.i either the k-th member's key (atKey)
// or the byte after the (k-1)-th member's value.
func (d *jsonDecoder) shapeMiss(depth int, o *Object, k int, atKey bool) (any, error) {
	sh := &d.shape
	sh.busy = false
	mark := len(d.kv)
	for j := range k {
		// Of a repeated key, every copy has the last value decoded: the
		// Object keeps the last one.
		d.kv = append(d.kv, o.ms[sh.pats[j].pos])
	}
	clear(o.ms)
	if atKey {
		return d.members(depth, mark, o)
	}
	switch c := d.b[d.i]; c {
	case ',':
		d.i++
		d.space()
	case '}':
		d.i++
		return d.finishObject(mark, o), nil
	default:
		return nil, d.errorf("invalid character %q after object key:value pair", c)
	}
	return d.members(depth, mark, o)
}

// membersObject is objectOf(ms) (members in key order, the last value of
// a repeated key kept) for a decoded object. Up to 32 members, it sorts
// words that hold a key's first 7 bytes and the member's index instead of
// the 32-byte members (membersOrder), compares whole keys only among
// members whose keys share those 7 bytes, and copies each member once,
// into its place in the new Object. ms is scratch, as for objectOf.
func membersObject(ms []Member) *Object { return membersObjectIn(ms, nil, nil) }

// membersObjectIn is membersObject, the Object made in spare if it is not
// nil and has room (up to 32 members).
func membersObjectIn(ms []Member, spare *Object, a *objectArena) *Object {
	n := len(ms)
	switch {
	case n == 1:
		o := objectIn(1, spare, a)
		o.ms[0] = ms[0]
		return o
	case n == 2:
		switch c := strings.Compare(ms[0].Key, ms[1].Key); {
		case c == 0:
			o := objectIn(1, spare, a)
			o.ms[0] = ms[1]
			return o
		case c > 0:
			ms[0], ms[1] = ms[1], ms[0]
		}
		o := objectIn(2, spare, a)
		o.ms[0], o.ms[1] = ms[0], ms[1]
		return o
	case n > 32:
		return objectOf(ms)
	}
	var order [32]uint8
	k := membersOrder(ms, &order)
	o := objectIn(k, spare, a)
	for j := range o.ms {
		o.ms[j] = ms[order[j]]
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
// key order by comparing its keys with these, without sorting, or, when
// its keys are written as the shape's patterns, decoded straight into its
// Object (shapedMembers). Keys are copied, so the shape keeps no document
// alive.
type objectShape struct {
	keys  []string
	order [32]uint8
	n     int // members kept
	// pats[k] is keys[k] as a compact document writes it, `"key":`, and
	// where its member goes in the Object.
	pats []shapeKey
	fast bool // the keys have patterns: no key needs an escape
	busy bool // shapedMembers is reading the shape
}

// shapeKey is a key's pattern and the words match compares.
type shapeKey struct {
	pat    string
	key    string // pat without its quotes and colon
	need   int    // max(len(pat), 8): the bytes match loads
	midAt  int    // 8 if pat has more than 16 bytes, else 0
	lastAt int    // where pat's last 8 bytes start (0 if it is shorter)
	first  uint64 // pat's first 8 bytes, little-endian, zeros past its end
	mid    uint64 // pat's 8 bytes from midAt
	last   uint64 // pat's 8 bytes from lastAt (first if it is shorter)
	mask   uint64 // the bits of first that are pat's (all, unless it is shorter)
	long   bool   // pat has more than 24 bytes: matchMiddle checks the rest
	pos    uint8  // the index of the key's member in the Object
	more   bool   // another pattern follows
	// What shapedMembers reads: fastNeed is len(pat)+1, at least 8, for
	// a pattern of up to 24 bytes (its words are then all of it), and
	// more than any text's length for a longer one; patLen is len(pat),
	// keyData and keyLen key's words.
	fastNeed, patLen int
	keyData          unsafe.Pointer
	keyLen           int
}

// match reports whether b has k's pattern at i. Up to 24 bytes, the
// pattern is its first, middle and last 8 (overlapping: up to 16 bytes,
// the middle word is the first), or its first only, masked.
func (k *shapeKey) match(b string, i int) bool {
	if len(b)-i < k.need {
		return strings.HasPrefix(b[i:], k.pat)
	}
	return ((loadU64(b, i)^k.first)|(loadU64(b, i+k.midAt)^k.mid)|(loadU64(b, i+k.lastAt)^k.last))&k.mask == 0 &&
		(!k.long || k.matchMiddle(b, i))
}

// matchMiddle is match for the bytes of a pattern of more than 24 bytes
// between its first and last 8.
func (k *shapeKey) matchMiddle(b string, i int) bool {
	for j := 8; j < len(k.pat)-8; j += 8 {
		if loadU64(b, i+j) != loadU64(k.pat, j) {
			return false
		}
	}
	return true
}

// minShaped is the smallest object the shape serves: below it, sorting
// costs about as little as comparing the keys.
const minShaped = 8

// shapedObject is membersObject(ms), through the decoder's shape when ms
// has its keys, and in spare if it is not nil and has room.
func (d *jsonDecoder) shapedObject(ms []Member, spare *Object) *Object {
	if len(ms) < minShaped || len(ms) > 32 {
		return membersObjectIn(ms, spare, d.arena)
	}
	sh := &d.shape
	same := len(sh.keys) == len(ms)
	for i := 0; same && i < len(ms); i++ {
		same = ms[i].Key == sh.keys[i]
	}
	if !same {
		if sh.busy {
			return membersObjectIn(ms, spare, d.arena)
		}
		sh.rebuild(ms)
	}
	o := objectIn(sh.n, spare, d.arena)
	for j := range o.ms {
		o.ms[j] = ms[sh.order[j]]
	}
	return o
}

// rebuild makes ms's keys the shape.
func (sh *objectShape) rebuild(ms []Member) {
	size := 0
	for i := range ms {
		size += len(ms[i].Key) + 3
	}
	var all strings.Builder // every pattern, in one allocation
	all.Grow(size)
	sh.fast = true
	for i := range ms {
		all.WriteByte('"')
		all.WriteString(ms[i].Key)
		all.WriteString(`":`)
		for _, c := range []byte(ms[i].Key) {
			if c == '"' || c == '\\' || c < 0x20 {
				sh.fast = false
			}
		}
	}
	pats := all.String()
	sh.keys, sh.pats = sh.keys[:0], sh.pats[:0]
	for i := range ms {
		pat := pats[:len(ms[i].Key)+3]
		pats = pats[len(pat):]
		sh.keys = append(sh.keys, pat[1:len(pat)-2])
		var w [8]byte
		copy(w[:], pat)
		k := shapeKey{pat: pat, key: intern(pat[1 : len(pat)-2]), need: max(len(pat), 8),
			first: load64(string(w[:]), 0), mask: ^uint64(0)}
		if len(pat) < 8 {
			k.mask = 1<<(8*len(pat)) - 1
			k.last = k.first
		} else {
			k.lastAt, k.last = len(pat)-8, load64(pat, len(pat)-8)
		}
		k.mid = k.first
		if len(pat) > 16 {
			k.midAt, k.mid = 8, load64(pat, 8)
		}
		k.long = len(pat) > 24
		k.more = i+1 < len(ms)
		k.fastNeed, k.patLen = max(len(pat)+1, 8), len(pat)
		if k.long {
			k.fastNeed = math.MaxInt
		}
		k.keyData, k.keyLen = unsafe.Pointer(unsafe.StringData(k.key)), len(k.key)
		sh.pats = append(sh.pats, k)
	}
	sh.n = membersOrder(ms, &sh.order)
	// Every key's place: the kept member's, for a repeated key too.
	for i := range ms {
		for j := range sh.n {
			if sh.keys[i] == sh.keys[sh.order[j]] {
				sh.pats[i].pos = uint8(j)
				break
			}
		}
	}
}

// objectIn is newObject(n), made in spare instead if it is not nil and
// has room for n members (spare's members are zero), else from a (nil:
// allocated on its own).
func objectIn(n int, spare *Object, a *objectArena) *Object {
	if spare != nil && n <= cap(spare.ms) {
		spare.ms = spare.ms[:n]
		return spare
	}
	return a.object(n)
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
		var v any
		if i, b := d.i, d.b; uint(i) < uint(len(b)) && b[i] == '"' {
			// value's case of a string, str and box inlined.
			e, ok := strEnd(b, i+1)
			d.i = e
			if ok {
				used := len(d.slab)
				if used == cap(d.slab) {
					d.slab, used = d.newSlab(), 0
				}
				d.slab = d.slab[:used+1]
				slot := &d.slab[used]
				*slot = b[i+1 : e]
				v = boxed(stringTypeWord, slot)
				d.i++
			} else {
				s, err := d.strSlow(i + 1)
				if err != nil {
					return nil, err
				}
				v = d.box(stringTypeWord, s)
			}
		} else {
			var err error
			if v, err = d.value(depth); err != nil {
				return nil, err
			}
		}
		d.space()
		if d.i >= len(d.b) {
			return nil, errJSONEnd
		}
		if len(d.arr) == mark && d.b[d.i] == ']' {
			// An array of one element (the most common after the empty
			// one): boxedArray's allocation, without d.arr.
			d.i++
			x := new(struct {
				h []any
				a [1]any
			})
			x.a[0] = v
			x.h = x.a[:]
			return arrayValue(&x.h), nil
		}
		d.arr = append(d.arr, v)
		switch d.b[d.i] {
		case ',':
			d.i++
			d.space()
		case ']':
			d.i++
			a := boxedArray(d.arr[mark:])
			d.arrUsed = max(d.arrUsed, len(d.arr))
			d.arr = d.arr[:mark]
			return a, nil
		default:
			return nil, d.errorf("invalid character %q after array element", d.b[d.i])
		}
	}
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (d *jsonDecoder) number() (string, error) {
	b := d.b
	start := d.i
	i := start
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return "", errJSONEnd
	}
	switch c := b[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i++
		for i < len(b) && b[i]-'0' <= 9 {
			i++
		}
	default:
		return "", d.errorf("invalid character %q in numeric literal", c)
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) {
			return "", errJSONEnd
		}
		if b[i]-'0' > 9 {
			return "", d.errorf("invalid character %q after decimal point in numeric literal", b[i])
		}
		for i < len(b) && b[i]-'0' <= 9 {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) {
			return "", errJSONEnd
		}
		if b[i]-'0' > 9 {
			return "", d.errorf("invalid character %q in exponent of numeric literal", b[i])
		}
		for i < len(b) && b[i]-'0' <= 9 {
			i++
		}
	}
	d.i = i
	return b[start:i], nil
}

// str reads a string starting at its opening quote.
func (d *jsonDecoder) str() (string, error) {
	start := d.i + 1
	e, ok := strEnd(d.b, start)
	d.i = e
	if ok {
		d.i++
		return d.b[start:e], nil
	}
	return d.strSlow(start)
}

// strEnd is the fast path of str: from i, the first byte of a string's
// contents, it finds the first byte that is a quote, a backslash, a control
// character or not ASCII (special), eight bytes at a time first, and
// reports whether that is the closing quote of a string without escapes.
func strEnd(b string, i int) (int, bool) {
	for i+8 <= len(b) {
		if t := special8(loadU64(b, i)); t != 0 {
			i += bits.TrailingZeros64(t) >> 3
			return i, b[i] == '"'
		}
		i += 8
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c == '"' {
			return i, true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	return i, false
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

// loadU64 is load64 without bounds checks: the caller makes sure that
// i+8 <= len(s).
func loadU64(s string, i int) uint64 {
	p := (*[8]byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
	return uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
		uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56
}

// special8 returns a word whose lowest set bit, if any, is the top bit of
// the first byte of x (little-endian) that is '"', '\\', below 0x20, or
// 0x80 and above. These are the usual has-zero-byte tricks: a borrow only
// starts at a byte that matches, so bits above the lowest may be false,
// the lowest is not. y = x^0x02 keeps the bytes below 0x20 below it and
// makes a quote (0x22) 0x20, while every other byte below 0x80 becomes
// 0x21 or above: y-0x21 finds control characters and quotes at once, and
// bs-1 (bs = x^'\\') backslashes. Without a borrow, a byte below 0x80
// sets its top bit only if it matches; a byte of 0x80 and above sets it in
// x anyway, so the usual &^y and &^bs, which tell a match from a byte
// above 0x80, are not needed.
func special8(x uint64) uint64 {
	y := x ^ (lsb8 * 0x02)
	bs := x ^ (lsb8 * '\\')
	return ((y - lsb8*0x21) | (bs - lsb8) | x) & msb8
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
