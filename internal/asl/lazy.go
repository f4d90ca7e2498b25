package asl

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync/atomic"
	"unsafe"
)

// States.StringToJson decodes on demand. A journey reads the customer's
// profile view before every email and decodes it, but its Choice states
// then read one or two keys of it (subscribed, last_order_at); the rest is
// carried along and never looked at. So an object's text is validated and
// its top-level members located in one pass that makes nothing
// (scanLazy), and the Object keeps the text: Get decodes the one value it
// is asked for; anything else that needs the members (iterating, writing
// JSON, a ResultPath into it, comparing) decodes the whole text once
// (lazyObject.object), with the same decoder as before, so the values are
// those an eager decode makes. The text is valid by then: decoding it
// cannot fail. FuzzLazyObject checks a lazy object against the eager
// decode of the same text.
//
// Validating a profile byte by byte costs as much as decoding it (5.6K
// instructions, the decoder 5.4K): scanShaped matches it against the
// profile before it instead (a lazyShape), 2.9K with the Object's
// allocation.

// lazyObject is the text of a JSON object that States.StringToJson
// validated and has not decoded. Its members are located one of two ways:
// by a lazyShape the text matched (sp, pos), or one by one (members).
type lazyObject struct {
	text string
	// sp, when not nil, is the shape the text matched, and pos where
	// each of its ops started (lazyShape.keyAt).
	sp      *lazyShape
	pos     []int32
	members []lazyMember // the top-level members, in the text's order (sp nil)
	decoded atomic.Pointer[Object]
	// vals are the last values read that cost to make (strings,
	// numbers, objects and arrays), member i's in vals[i%4]: a
	// journey reads the same few keys of a profile again and again (an
	// execution of abandoned-cart 54 times: last_checkout 18, its id 12,
	// last_order_at 12), and a string read anew is validated and boxed
	// (an allocation) each time.
	vals   [4]atomic.Pointer[lazyVal]
	unique bool // no key repeats (known from a shape)
}

// lazyVal is the value of member i; s is the string v holds when it is a
// string or a json.Number (v points at s, as box's values point into a
// slab: one allocation for both).
type lazyVal struct {
	i int32
	v any
	s string
}

// lazyMember locates one member in the text: its key (without the quotes;
// only keys without escapes and non-ASCII bytes are kept lazy, so the
// bytes are the key) and its value.
type lazyMember struct{ k0, k1, v0, v1 int32 }

// maxLazyMembers bounds the members scanGeneric locates on the stack; more
// are copied to the heap as they come.
const maxLazyMembers = 32

// decodeLazy is decodeJSONIn for States.StringToJson: an object whose
// top-level keys are plain is returned lazy; any other text, and every
// text that is not valid JSON, is decoded as before (so an error is the
// decoder's own). An object, lazy or not, keeps its text's bound
// (textBound).
func decodeLazy(s string, a *objectArena) (any, error) {
	if o := scanLazy(s); o != nil {
		return o, nil
	}
	v, err := decodeJSONIn(s, a)
	if o, ok := v.(*Object); ok && o != emptyObject {
		o.bound = textBound(s) // new: no one else holds it yet
	}
	return v, err
}

// scanLazy returns s as a lazy Object when s is a valid JSON object with
// at least one member and top-level keys without escapes or non-ASCII
// bytes; nil otherwise. It validates exactly what the decoder accepts.
//
// A text is first matched against the kept shapes whose first key it has
// (scanShaped); one that matches none is read member by member
// (scanGeneric), and its members become a shape.
func scanLazy(s string) *Object {
	if len(s) > math.MaxInt32 {
		return nil
	}
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return nil
	}
	i = skipSpace(s, i+1)
	if i >= len(s) || s[i] == '}' {
		return nil // {} is emptyObject; a text that ends is an error
	}
	for j := range lazyShapes {
		if sp := lazyShapes[j].Load(); sp != nil && sp.ops[0].match(s, i) {
			if o := scanShaped(s, i, sp); o != nil {
				return o
			}
		}
	}
	return scanGeneric(s, i)
}

// textBound is the payload bound of an object decoded from text s
// (Object.bound): its JSON takes at most 3 bytes per byte of the text (a
// byte that is not UTF-8 becomes U+FFFD; every escape and token is written
// back no longer than it was), so a payload holding it is not walked
// (payloadBound), nor a lazy one decoded. A lazy object's is set before
// the object is published.
func textBound(s string) int32 { return clampBound(3 * len(s)) }

// A lazyShape is a compact object's text with its strings' contents, its
// numbers and its literals taken out (the holes): the top-level keys of
// an object scanLazy read, and for each member its value as far as it is
// made of brackets, braces, commas, colons and keys. A profile view is
//
//	{"email":"…","first_name":"…",…,"consent":{"state":"…","updated_at":"…"},"subscribed":…,…}
//
// and the next profile has the same bytes outside the holes: scanShaped
// compares those bytes a word at a time (as the decoder's shape compares
// keys) and scans only the holes, where reading the text byte by byte
// costs as much as decoding it (5.6K instructions for a profile: finding
// each key's and each string's end looks at every word).
//
// Shapes are made once and never changed; a few are kept, so that texts
// of a few kinds read by turns each keep theirs.
type lazyShape struct {
	// ops are every member's, in order, and a last one, the closing
	// brace (holeEnd). Member m's are from mstart[m] to mstart[m+1]: the
	// first has its key, after a comma if m > 0; every op is one
	// member's (a literal after a member's value, its closing brackets,
	// is an op of its own), so that a member that departs from the shape
	// is read again from its start alone (memberAlone).
	ops    []tmplOp
	mstart []int32  // len(keys)+1 entries
	keys   []string // the members' keys, interned
	unique bool     // no key repeats
}

// keyAt is the position of the opening quote of member m's key in a
// text that matched sp, pos being where its ops started.
func (sp *lazyShape) keyAt(pos []int32, m int) int {
	i := int(pos[sp.mstart[m]])
	if m > 0 {
		i++ // the comma
	}
	return i
}

// valueEnd is the position after member m's value (the comma or the
// closing brace that follows it).
func (sp *lazyShape) valueEnd(pos []int32, m int) int { return int(pos[sp.mstart[m+1]]) }

// tmplOp is a literal, the bytes up to a hole (or the end of a member),
// and the hole that follows it. A member's first literal starts with its
// key, `"key":`.
type tmplOp struct {
	// As shapeKey's: lit's first, middle (from midAt: 8 if lit has more
	// than 16 bytes, else 0) and last 8 bytes (from lastAt), or its
	// first only, masked, up to 8 bytes; need is the bytes these loads
	// read, max(n, 8), and more than any text has for a literal of more
	// than 24 bytes (one test tells the words will do).
	first, mid, last, mask uint64
	midAt, lastAt, n, need int32
	hole                   uint8 // what follows lit
	m                      uint8 // the member whose op it is (the member count for the last)
	lit                    string
}

// The holes.
const (
	holeNone uint8 = iota // nothing: a member's value ends with the literal
	holeStr               // a string's contents and its closing quote
	holeNum               // a number
	holeLit               // true, false or null
	holeAny               // any value (a member whose value has no template)
	holeEnd               // the end of the object: lit is its closing brace
)

// match reports whether s has op's literal at i.
func (op *tmplOp) match(s string, i int) bool {
	if len(s)-i < int(op.need) {
		return op.matchSlow(s, i)
	}
	return ((loadU64(s, i)^op.first)|(loadU64(s, i+int(op.midAt))^op.mid)|(loadU64(s, i+int(op.lastAt))^op.last))&op.mask == 0
}

// matchSlow is match near the end of s or for a literal of more than 24
// bytes.
//
//go:noinline
func (op *tmplOp) matchSlow(s string, i int) bool {
	return len(s)-i >= int(op.n) && s[i:i+int(op.n)] == op.lit
}

// scanShaped is scanLazy for a text whose first key, at i, is sp's: nil
// if the text is not sp's (other keys, white space between the members),
// or not valid JSON. A member whose key is sp's but whose value departs
// from sp's (another kind of value, an array of another length) is read
// on its own (memberAlone).
func scanShaped(s string, i int, sp *lazyShape) *Object {
	// As shapedMembers, the loop keeps few values live (the text, the
	// position, the op and where its position goes): a literal is three
	// word compares, a hole a few instructions (a string's a word
	// compare per 8 bytes); the rest takes calls out of it. Every op's
	// position is stored, not only each member's start: a store costs
	// less than telling the ops apart (2.9K instructions for a profile,
	// where ending members in the loop cost 3.2K). Go keeps the
	// special8 constants in no register: a string costs 20 instructions
	// a word, a third of the profile's.
	x := newLazy(len(sp.ops))
	pp := unsafe.Pointer(unsafe.SliceData(x.l.pos)) // &x.l.pos[k] for op k
	p := unsafe.Pointer(unsafe.SliceData(sp.ops))
loop:
	for {
		op := (*tmplOp)(p)
		*(*int32)(pp) = int32(i)
		if len(s)-i >= int(op.need) {
			if ((loadU64(s, i)^op.first)|(loadU64(s, i+int(op.midAt))^op.mid)|(loadU64(s, i+int(op.lastAt))^op.last))&op.mask != 0 {
				i = -1
			} else {
				i += int(op.n)
			}
		} else if op.matchSlow(s, i) {
			i += int(op.n)
		} else {
			i = -1
		}
		if i >= 0 {
			switch op.hole {
			case holeStr:
				// strEnd, inlined while 8 bytes remain; a string
				// with escapes or bytes that are not ASCII is read by
				// skipString.
				e := i
				for {
					if len(s)-e < 8 {
						e, _ = strEnd(s, e)
						break
					}
					if t := special8(loadU64(s, e)); t != 0 {
						e += bits.TrailingZeros64(t) >> 3
						break
					}
					e += 8
				}
				if e < len(s) && s[e] == '"' {
					i = e + 1
				} else {
					i = stringEnd(s, i)
				}
			case holeNum:
				// A number of digits only here, the others by
				// numberEnd.
				if uint(i) < uint(len(s)) && s[i]-'1' <= 8 {
					j := i + 1
					for uint(j) < uint(len(s)) && s[j]-'0' <= 9 {
						j++
					}
					if uint(j) < uint(len(s)) && (s[j] == '.' || s[j]|0x20 == 'e') {
						i = numberEnd(s, i)
					} else {
						i = j
					}
				} else {
					i = numberEnd(s, i)
				}
			case holeLit:
				switch {
				case len(s)-i >= 4 && (s[i:i+4] == "true" || s[i:i+4] == "null"):
					i += 4
				case len(s)-i >= 5 && s[i:i+5] == "false":
					i += 5
				default:
					i = -1
				}
			case holeAny:
				i = valueEnd(s, i)
			case holeEnd:
				break loop
			}
		}
		if i < 0 {
			// The member departs from the shape: it is read on its
			// own, and the next one's ops follow.
			var k int
			if i, k = sp.memberAlone(s, x.l.pos, int(op.m)); i < 0 {
				return nil
			}
			p, pp = unsafe.Pointer(&sp.ops[k]), unsafe.Pointer(&x.l.pos[k])
			continue
		}
		p, pp = unsafe.Add(p, unsafe.Sizeof(tmplOp{})), unsafe.Add(pp, 4)
	}
	if skipSpace(s, i) != len(s) {
		return nil
	}
	x.l.text, x.l.sp, x.l.unique = s, sp, sp.unique
	x.o.lazy = &x.l
	x.o.bound = textBound(s)
	return &x.o
}

// memberAlone reads member m of a shaped object that departs from the
// shape, from where its first op started: it returns the position after
// its value and the index of the next member's first op, if the key is
// the shape's, compact, and the value valid; else -1. m may be the
// shape's member count, for the closing brace's op: a text with more
// members than the shape's, -1.
//
//go:noinline
func (sp *lazyShape) memberAlone(s string, pos []int32, m int) (int, int) {
	if m >= len(sp.keys) {
		return -1, 0
	}
	i := int(pos[sp.mstart[m]])
	if m > 0 {
		if i >= len(s) || s[i] != ',' {
			return -1, 0
		}
		i++
	}
	key := sp.keys[m]
	v0 := i + len(key) + 3
	if v0 > len(s) || s[i] != '"' || s[i+1:i+1+len(key)] != key || s[v0-2] != '"' || s[v0-1] != ':' {
		return -1, 0
	}
	return valueEnd(s, v0), int(sp.mstart[m+1])
}

// stringEnd, numberEnd and valueEnd are skipString, skipNumber and
// skipValue (at depth 1) out of line, -1 for an invalid value.
//
//go:noinline
func stringEnd(s string, i int) int {
	if i, ok := skipString(s, i); ok {
		return i
	}
	return -1
}

//go:noinline
func numberEnd(s string, i int) int {
	if i < len(s) && (s[i] == '-' || s[i]-'0' <= 9) {
		if i, ok := skipNumber(s, i); ok {
			return i
		}
	}
	return -1
}

//go:noinline
func valueEnd(s string, i int) int {
	if i, ok := skipValue(s, i, 1); ok {
		return i
	}
	return -1
}

// lazyAlloc is a lazy Object and its lazyObject, in one allocation.
type lazyAlloc struct {
	o Object
	l lazyObject
}

// newLazy returns a lazyAlloc whose l.pos has n entries, in the same
// allocation up to 48 (a profile's shape has 26 ops).
func newLazy(n int) *lazyAlloc {
	switch {
	case n <= 16:
		x := new(struct {
			lazyAlloc
			a [16]int32
		})
		x.l.pos = x.a[:n]
		return &x.lazyAlloc
	case n <= 32:
		x := new(struct {
			lazyAlloc
			a [32]int32
		})
		x.l.pos = x.a[:n]
		return &x.lazyAlloc
	case n <= 48:
		x := new(struct {
			lazyAlloc
			a [48]int32
		})
		x.l.pos = x.a[:n]
		return &x.lazyAlloc
	}
	x := new(lazyAlloc)
	x.l.pos = make([]int32, n)
	return x
}

// scanGeneric is scanLazy without a shape, from the first key (i).
func scanGeneric(s string, i int) *Object {
	var buf [maxLazyMembers]lazyMember
	ms := buf[:0]
	for {
		if s[i] != '"' {
			return nil
		}
		k0 := i + 1
		k1, ok := strEnd(s, k0)
		if !ok {
			return nil
		}
		if i = k1 + 1; i >= len(s) || s[i] != ':' {
			if i = skipSpace(s, i); i >= len(s) || s[i] != ':' {
				return nil
			}
		}
		v0 := skipSpace(s, i+1)
		if i, ok = skipValue(s, v0, 1); !ok {
			return nil
		}
		ms = append(ms, lazyMember{int32(k0), int32(k1), int32(v0), int32(i)})
		if i = skipSpace(s, i); i >= len(s) {
			return nil
		}
		if c := s[i]; c == '}' {
			break
		} else if c != ',' {
			return nil
		}
		if i = skipSpace(s, i+1); i >= len(s) {
			return nil
		}
	}
	if skipSpace(s, i+1) != len(s) {
		return nil
	}
	x := new(lazyAlloc)
	x.l.text = s
	x.l.members = slices.Clone(ms)
	newLazyShape(s, x.l.members)
	x.o.lazy = &x.l
	x.o.bound = textBound(s)
	return &x.o
}

var (
	lazyShapes    [4]atomic.Pointer[lazyShape]
	lazyShapeNext atomic.Uint32
)

// newLazyShape keeps the members of s as a shape, in place of the oldest,
// for objects of minShaped to 32 members (the decoder's bounds: a smaller
// object, a nested one such as last_checkout, is read as cheaply without).
func newLazyShape(s string, lms []lazyMember) {
	if len(lms) < minShaped || len(lms) > 32 {
		return
	}
	sp := &lazyShape{unique: true}
	var b tmplBuilder
	for m, lm := range lms {
		key := s[lm.k0:lm.k1]
		for _, k := range sp.keys {
			if k == key {
				sp.unique = false
			}
		}
		sp.keys = append(sp.keys, intern(key))
		start := len(b.ops)
		sp.mstart = append(sp.mstart, int32(start))
		b.lit = b.lit[:0]
		if m > 0 {
			b.lit = append(b.lit, ',')
		}
		b.lit = append(append(append(b.lit, '"'), key...), `":`...)
		head := string(b.lit)
		v := s[lm.v0:lm.v1]
		if end, ok := b.value(v, 0, 0); !ok || end != len(v) || len(b.ops)-start >= maxMemberOps {
			b.ops, b.lit = b.ops[:start], append(b.lit[:0], head...)
			b.emit(holeAny)
		} else if len(b.lit) > 0 {
			b.emit(holeNone)
		}
		for k := start; k < len(b.ops); k++ {
			b.ops[k].m = uint8(m)
		}
	}
	sp.mstart = append(sp.mstart, int32(len(b.ops)))
	b.lit = append(b.lit[:0], '}')
	b.emit(holeEnd)
	b.ops[len(b.ops)-1].m = uint8(len(lms))
	sp.ops = b.ops
	lazyShapes[lazyShapeNext.Add(1)%uint32(len(lazyShapes))].Store(sp)
}

// maxMemberOps and maxTemplateDepth bound a member's template: a value
// that needs more is read by skipValue (holeAny).
const (
	maxMemberOps     = 16
	maxTemplateDepth = 4
)

// tmplBuilder makes a member's ops from its compact value.
type tmplBuilder struct {
	lit []byte // the literal since the last hole
	ops []tmplOp
}

// emit ends the literal with hole h.
func (b *tmplBuilder) emit(h uint8) {
	lit := string(b.lit)
	b.lit = b.lit[:0]
	op := tmplOp{n: int32(len(lit)), need: int32(max(len(lit), 8)), hole: h, lit: lit, mask: ^uint64(0)}
	var w [8]byte
	copy(w[:], lit)
	op.first = load64(string(w[:]), 0)
	if len(lit) < 8 {
		op.mask = 1<<(8*len(lit)) - 1
		op.last = op.first
	} else {
		op.lastAt, op.last = int32(len(lit)-8), load64(lit, len(lit)-8)
	}
	op.mid = op.first
	if len(lit) > 16 {
		op.midAt, op.mid = 8, load64(lit, 8)
	}
	if len(lit) > 24 {
		op.need = math.MaxInt32
	}
	b.ops = append(b.ops, op)
}

// value adds the value at v[i] (valid JSON) and returns the position
// after it; false if the value is not compact or is too deep.
func (b *tmplBuilder) value(v string, i, depth int) (int, bool) {
	if i >= len(v) || depth > maxTemplateDepth {
		return i, false
	}
	switch c := v[i]; {
	case c == '"':
		b.lit = append(b.lit, '"')
		b.emit(holeStr)
		return skipString(v, i+1)
	case c == 't' || c == 'n':
		b.emit(holeLit)
		return i + 4, true
	case c == 'f':
		b.emit(holeLit)
		return i + 5, true
	case c == '-' || c-'0' <= 9:
		b.emit(holeNum)
		return skipNumber(v, i)
	case c == '[':
		b.lit = append(b.lit, '[')
		if i++; i < len(v) && v[i] == ']' {
			b.lit = append(b.lit, ']')
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = b.value(v, i, depth+1); !ok || i >= len(v) {
				return i, false
			}
			b.lit = append(b.lit, v[i])
			switch v[i] {
			case ',':
				i++
			case ']':
				return i + 1, true
			default:
				return i, false
			}
		}
	case c == '{':
		b.lit = append(b.lit, '{')
		if i++; i < len(v) && v[i] == '}' {
			b.lit = append(b.lit, '}')
			return i + 1, true
		}
		for {
			// A key is literal: one without escapes or bytes that are
			// not ASCII, and its colon right after it.
			if i >= len(v) || v[i] != '"' {
				return i, false
			}
			e, ok := strEnd(v, i+1)
			if !ok || e+1 >= len(v) || v[e+1] != ':' {
				return i, false
			}
			b.lit = append(b.lit, v[i:e+2]...)
			if i, ok = b.value(v, e+2, depth+1); !ok || i >= len(v) {
				return i, false
			}
			b.lit = append(b.lit, v[i])
			switch v[i] {
			case ',':
				i++
			case '}':
				return i + 1, true
			default:
				return i, false
			}
		}
	}
	return i, false
}

// get returns the value of key: the last member of that key, as the
// decoder keeps the last of a repeated key. hint, if not nil, is where a
// path segment found its key last (getHinted); it is tried first when no
// key repeats.
func (l *lazyObject) get(key string, hint *int32) (any, bool) {
	if sp := l.sp; sp != nil && hint != nil && l.unique {
		// A path segment's key where it was last: the journey's reads.
		keys := sp.keys
		if h := int(atomic.LoadInt32(hint)); h < len(keys) {
			// Both are usually interned: the same string.
			if k := keys[h]; len(k) == len(key) && (unsafe.StringData(k) == unsafe.StringData(key) || k == key) {
				if x := l.vals[h%len(l.vals)].Load(); x != nil && int(x.i) == h {
					return x.v, true
				}
				return l.shapedAt(h), true
			}
		}
	}
	if o := l.decoded.Load(); o != nil {
		if hint == nil {
			return o.Get(key)
		}
		return o.getHinted(key, hint)
	}
	if sp := l.sp; sp != nil {
		keys := sp.keys
		for i := len(keys) - 1; i >= 0; i-- {
			if keys[i] == key {
				if hint != nil {
					atomic.StoreInt32(hint, int32(i))
				}
				return l.shapedAt(i), true
			}
		}
		return nil, false
	}
	s, ms := l.text, l.members
	if hint != nil && l.unique {
		if h := int(atomic.LoadInt32(hint)); h < len(ms) {
			if m := &ms[h]; int(m.k1-m.k0) == len(key) && s[m.k0:m.k1] == key {
				return l.at(h, int(m.v0), int(m.v1)), true
			}
		}
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if m := &ms[i]; int(m.k1-m.k0) == len(key) && s[m.k0:m.k1] == key {
			if hint != nil {
				atomic.StoreInt32(hint, int32(i))
			}
			return l.at(i, int(m.v0), int(m.v1)), true
		}
	}
	return nil, false
}

// shapedAt returns the value of member i of a shaped object.
func (l *lazyObject) shapedAt(i int) any {
	sp := l.sp
	return l.at(i, sp.keyAt(l.pos, i)+len(sp.keys[i])+3, sp.valueEnd(l.pos, i))
}

// at returns the value of member i, text[v0:v1].
func (l *lazyObject) at(i, v0, v1 int) any {
	v := l.text[v0:v1]
	switch c := v[0]; c {
	case 't':
		return true
	case 'f':
		return false
	case 'n':
		return nil
	}
	slot := &l.vals[i%len(l.vals)]
	if x := slot.Load(); x != nil && int(x.i) == i {
		return x.v
	}
	x := &lazyVal{i: int32(i)}
	switch c := v[0]; {
	case c == '{' || c == '[':
		// An object is itself lazy.
		if o := scanLazy(v); o != nil {
			x.v = o
		} else {
			x.v = mustDecode(v)
		}
	case c == '-' || c-'0' <= 9:
		x.s = v
		x.v = boxed(numberTypeWord, &x.s)
	default: // a string
		if e, ok := strEnd(v, 1); ok && e == len(v)-1 {
			x.s = v[1:e]
			x.v = boxed(stringTypeWord, &x.s)
		} else {
			x.v = mustDecode(v)
		}
	}
	slot.Store(x)
	return x.v
}

// object returns the decoded object (decoding it on the first call; calls
// racing to be first decode it each, and keep equal values).
func (l *lazyObject) object() *Object {
	if o := l.decoded.Load(); o != nil {
		return o
	}
	o, ok := mustDecode(l.text).(*Object)
	if !ok {
		panic("asl: a lazy object's text is not an object")
	}
	l.decoded.Store(o)
	return o
}

// mustDecode decodes text scanLazy validated.
func mustDecode(text string) any {
	v, err := decodeJSONString(text)
	if err != nil {
		panic(fmt.Sprintf("asl: text validated for a lazy object does not decode: %v", err))
	}
	return v
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space. Compact text has none: one comparison tells.
func skipSpace(s string, i int) int {
	if i < len(s) && s[i] > ' ' {
		return i
	}
	return skipSpaceSlow(s, i)
}

func skipSpaceSlow(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the index after the value at i, and whether it is one
// the decoder accepts; depth is the decoder's for a value there (a
// container at depth maxJSONDepth is too deep).
func skipValue(s string, i, depth int) (int, bool) {
	if i >= len(s) {
		return i, false
	}
	switch c := s[i]; {
	case c == '"':
		return skipString(s, i+1)
	case c == '{':
		if depth >= maxJSONDepth {
			return i, false
		}
		return skipObject(s, i+1, depth+1)
	case c == '[':
		if depth >= maxJSONDepth {
			return i, false
		}
		return skipArray(s, i+1, depth+1)
	case c == '-' || c-'0' <= 9:
		return skipNumber(s, i)
	case c == 't':
		return i + 4, len(s)-i >= 4 && s[i:i+4] == "true"
	case c == 'f':
		return i + 5, len(s)-i >= 5 && s[i:i+5] == "false"
	case c == 'n':
		return i + 4, len(s)-i >= 4 && s[i:i+4] == "null"
	}
	return i, false
}

// skipString returns the index after the string whose contents start at
// i. As the decoder: control characters are refused, escapes must be
// JSON's, and any other byte is taken (a byte that is not UTF-8 decodes
// to U+FFFD).
func skipString(s string, i int) (int, bool) {
	for {
		e, ok := strEnd(s, i)
		if ok {
			return e + 1, true
		}
		if e >= len(s) {
			return e, false
		}
		switch c := s[e]; {
		case c < 0x20:
			return e, false
		case c == '\\':
			if e+1 >= len(s) {
				return e, false
			}
			switch s[e+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i = e + 2
			case 'u':
				if len(s)-e < 6 || !isHexDigit(s[e+2]) || !isHexDigit(s[e+3]) || !isHexDigit(s[e+4]) || !isHexDigit(s[e+5]) {
					return e, false
				}
				i = e + 6
			default:
				return e, false
			}
		default: // not ASCII
			i = e + 1
		}
	}
}

// skipNumber returns the index after the number at i:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func skipNumber(s string, i int) (int, bool) {
	if s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return i, false
	}
	switch c := s[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i = skipDigits(s, i+1)
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		if i+1 >= len(s) || s[i+1]-'0' > 9 {
			return i, false
		}
		i = skipDigits(s, i+2)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i]-'0' > 9 {
			return i, false
		}
		i = skipDigits(s, i+1)
	}
	return i, true
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i]-'0' <= 9 {
		i++
	}
	return i
}

// skipObject returns the index after the object whose first byte after
// the brace is at i.
func skipObject(s string, i, depth int) (int, bool) {
	if i = skipSpace(s, i); i < len(s) && s[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return i, false
		}
		var ok bool
		if i, ok = skipString(s, i+1); !ok {
			return i, false
		}
		if i = skipSpace(s, i); i >= len(s) || s[i] != ':' {
			return i, false
		}
		if i, ok = skipValue(s, skipSpace(s, i+1), depth); !ok {
			return i, false
		}
		if i = skipSpace(s, i); i >= len(s) {
			return i, false
		}
		switch s[i] {
		case '}':
			return i + 1, true
		case ',':
			i = skipSpace(s, i+1)
		default:
			return i, false
		}
	}
}

// skipArray returns the index after the array whose first byte after the
// bracket is at i.
func skipArray(s string, i, depth int) (int, bool) {
	if i = skipSpace(s, i); i < len(s) && s[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = skipValue(s, i, depth); !ok {
			return i, false
		}
		if i = skipSpace(s, i); i >= len(s) {
			return i, false
		}
		switch s[i] {
		case ']':
			return i + 1, true
		case ',':
			i = skipSpace(s, i+1)
		default:
			return i, false
		}
	}
}
