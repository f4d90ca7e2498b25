package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"
	"unique"
	"unsafe"
)

// Object is a JSON object in the engine's value representation: its
// members sorted by key (byte order, as encoding/json writes a map's), each
// key once. An Object is immutable once made: every change the engine makes
// (a ResultPath, a payload template's output) is a new Object, so one value
// is shared by the history events and states that hold it.
//
// Objects replace Go maps inside the engine because of what executions do
// with objects: make small ones (a template's output, a ResultPath's copy,
// a decoded profile) and read a few keys of each. A sorted slice is made in
// one allocation, copied with one memmove and read without hashing; a map
// costs a header, groups, a random seed and a hash per key.
type Object struct {
	// ms are the members of an object made by the engine (written only
	// by whoever made it, before anyone else sees it). Code reading an
	// Object it did not make calls mems: ms is nil while lazy is not.
	ms []Member
	// bound, when above 0, is an upper bound of the object's payload size
	// (payloadBound), worked out when the object was made from values
	// whose sizes were at hand (Normalize); 0 when not known.
	bound int32
	// lazy, when not nil, is the text States.StringToJson validated but
	// did not decode (lazy.go): Get reads a key from it, anything else
	// (mems) decodes it all, once.
	lazy *lazyObject
}

// mems returns the members, decoding a lazy object.
func (o *Object) mems() []Member {
	if o == nil {
		return nil
	}
	if o.lazy != nil {
		return o.lazy.object().ms
	}
	return o.ms
}

// Member is one key and its value.
type Member struct {
	Key   string
	Value any
}

// Len is the number of members.
func (o *Object) Len() int { return len(o.mems()) }

// Get returns the value of key.
func (o *Object) Get(key string) (any, bool) {
	if o != nil && o.lazy != nil {
		return o.lazy.get(key, nil)
	}
	i := o.index(key)
	if i < 0 {
		return nil, false
	}
	return o.ms[i].Value, true
}

// getHinted is Get for a path segment's name: it tries first the index
// where the segment found its name last (*hint, read and written
// atomically: one Path serves every execution). Objects a path reads are
// mostly alike (the state's data, a decoded profile view), so the name is
// usually where it was.
func (o *Object) getHinted(key string, hint *int32) (any, bool) {
	if o == nil {
		return nil, false
	}
	if o.lazy != nil {
		return o.lazy.get(key, hint)
	}
	if ms, h := o.ms, int(atomic.LoadInt32(hint)); h < len(ms) {
		// Keys of definitions (paths, templates) and of decoded shapes are
		// interned: a hit is usually the same string.
		if m := &ms[h]; len(m.Key) == len(key) && (unsafe.StringData(m.Key) == unsafe.StringData(key) || m.Key == key) {
			return m.Value, true
		}
	}
	i := o.index(key)
	if i < 0 {
		return nil, false
	}
	atomic.StoreInt32(hint, int32(i))
	return o.ms[i].Value, true
}

// intern returns the canonical copy of s: the keys and path names of
// definitions and the keys of decoded shapes share one string each, so
// comparing them (getHinted) usually ends at the pointer.
func intern(s string) string { return unique.Make(s).Value() }

// index returns key's index in o.mems(), or -1.
func (o *Object) index(key string) int {
	ms := o.mems()
	lo := 0
	if len(ms) > 8 {
		// Binary search down to a run of at most 8 members.
		hi := len(ms)
		for hi-lo > 8 {
			m := int(uint(lo+hi) >> 1)
			if ms[m].Key < key {
				lo = m + 1
			} else {
				hi = m + 1 // ms[m] may be key
			}
		}
		ms = ms[lo:hi]
	}
	// Equality compares lengths first, and the first bytes before calling
	// the runtime: no ordering call per member.
	for i := range ms {
		if k := ms[i].Key; len(k) == len(key) && (len(k) == 0 || k[0] == key[0]) && k == key {
			return lo + i
		}
	}
	return -1
}

// find returns key's index, or where it would be inserted.
func (o *Object) find(key string) (int, bool) {
	ms := o.mems()
	if len(ms) <= 8 {
		for i := range ms {
			switch c := strings.Compare(ms[i].Key, key); {
			case c == 0:
				return i, true
			case c > 0:
				return i, false
			}
		}
		return len(ms), false
	}
	return slices.BinarySearchFunc(ms, key, func(m Member, k string) int { return strings.Compare(m.Key, k) })
}

// All yields the members in key order.
func (o *Object) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for _, m := range o.mems() {
			if !yield(m.Key, m.Value) {
				return
			}
		}
	}
}

// with returns a copy of o with key set to v (added in its place, or
// replaced), made from a (nil: allocated on its own).
func (o *Object) with(a *objectArena, key string, v any) *Object {
	i, ok := o.find(key)
	ms := o.mems()
	if ok {
		out := a.object(len(ms))
		copy(out.ms, ms)
		out.ms[i].Value = v
		return out
	}
	out := a.object(len(ms) + 1)
	copy(out.ms, ms[:i])
	copy(out.ms[i+1:], ms[i:])
	out.ms[i] = Member{key, v}
	return out
}

// MarshalJSON writes the object compactly, members in key order.
func (o *Object) MarshalJSON() ([]byte, error) { return appendJSON(nil, o) }

// String is the object as JSON (for messages and test failures).
func (o *Object) String() string {
	b, err := appendJSON(nil, o)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

// emptyObject is {}: shared, as every Object is immutable.
var emptyObject = &Object{ms: []Member{}}

// newObject returns an Object of n members for the caller to fill in key
// order before anyone else sees it. Up to 32 members, the Object and its
// members are one allocation.
func newObject(n int) *Object {
	switch {
	case n == 0:
		return emptyObject
	case n == 1:
		x := new(struct {
			o Object
			a [1]Member
		})
		x.o.ms = x.a[:]
		return &x.o
	case n == 2:
		x := new(struct {
			o Object
			a [2]Member
		})
		x.o.ms = x.a[:]
		return &x.o
	case n <= 4:
		x := new(struct {
			o Object
			a [4]Member
		})
		x.o.ms = x.a[:n]
		return &x.o
	case n <= 6:
		x := new(struct {
			o Object
			a [6]Member
		})
		x.o.ms = x.a[:n]
		return &x.o
	case n <= 8:
		x := new(struct {
			o Object
			a [8]Member
		})
		x.o.ms = x.a[:n]
		return &x.o
	case n <= 12:
		x := new(struct {
			o Object
			a [12]Member
		})
		x.o.ms = x.a[:n]
		return &x.o
	case n <= 16:
		x := new(struct {
			o Object
			a [16]Member
		})
		x.o.ms = x.a[:n]
		return &x.o
	case n <= 24:
		x := new(struct {
			o Object
			a [24]Member
		})
		x.o.ms = x.a[:n]
		return &x.o
	case n <= 32:
		x := new(struct {
			o Object
			a [32]Member
		})
		x.o.ms = x.a[:n]
		return &x.o
	}
	return &Object{ms: make([]Member, n)}
}

// objectArena hands out small Objects and their members from shared
// blocks: a block is one allocation for many objects (a payload template
// makes a few per Task state, a decoded profile about seven). A block stays
// alive while any of its objects does. Blocks are small (2.6 KiB of
// members, 1.1 KiB of objects) so that an engine running one short
// execution wastes little of its last ones: measured on the welcome
// journey, doubling blocks up to 8 KiB saved allocations but added 5 KB
// per execution, and the extra garbage collection cost more time than the
// allocations saved. Both are over 512 bytes, the size up to which the
// allocator writes a pointer bitmap per allocation (blocks of 16 objects
// cost 2.6K more instructions per welcome execution than blocks of 32).
// Above 512 bytes an allocation with pointers also carries an 8-byte
// header, and is rounded up to a size class: 64 members (2,048 + 8 bytes)
// took 2,304, 32 objects 1,152. So a block is as many as fill its class:
// 35 objects (1,128 + 8 bytes: class 1,152) and 83 members (2,664: class
// 2,688; of the classes from 2,304 to 3,072, the one after which the five
// compiled journeys allocated least: 2.3–3.1 KB less per execution than
// 64 members for four of them, 0.8 KB more for browse-abandonment).
type objectArena struct {
	objs   []Object // the current blocks, used up to oi and mi
	ms     []Member
	oi, mi int
}

const (
	arenaObjects  = 35
	arenaMembers  = 83
	maxArenaShare = 32 // larger objects are allocated on their own
)

// object is newObject(n) from the arena (a nil arena allocates it).
func (a *objectArena) object(n int) *Object {
	if a == nil || n == 0 || n > maxArenaShare {
		return newObject(n)
	}
	if a.oi == len(a.objs) {
		a.objs, a.oi = make([]Object, arenaObjects), 0
	}
	if len(a.ms)-a.mi < n {
		a.ms, a.mi = make([]Member, arenaMembers), 0
	}
	o := &a.objs[a.oi]
	a.oi++
	o.ms = a.ms[a.mi : a.mi+n : a.mi+n]
	a.mi += n
	return o
}

// objectOf makes an Object of members in any order; of a key given more
// than once, the last value is kept (as encoding/json does). ms is scratch:
// objectOf may reorder it, and does not keep it.
func objectOf(ms []Member) *Object {
	sorted := true
	for i := 1; i < len(ms); i++ {
		if ms[i-1].Key >= ms[i].Key {
			sorted = false
			break
		}
	}
	if sorted {
		o := newObject(len(ms))
		copy(o.ms, ms)
		return o
	}
	if len(ms) > 32 {
		// A stable sort keeps a repeated key's values in the order
		// given; the last of each run wins.
		sortMembers(ms)
		n := 0
		for i := range ms {
			if i+1 < len(ms) && ms[i+1].Key == ms[i].Key {
				continue
			}
			ms[n] = ms[i]
			n++
		}
		o := newObject(n)
		copy(o.ms, ms[:n])
		return o
	}
	return membersObject(ms) // up to 32 members: jsondecode.go's sort
}

// sortMembers sorts members by key, stably (a repeated key's values stay
// in the order given). Decoded objects up to 32 members are sorted by
// membersOrder instead (jsondecode.go); this serves larger ones and maps.
func sortMembers(ms []Member) {
	slices.SortStableFunc(ms, func(a, b Member) int { return strings.Compare(a.Key, b.Key) })
}

// objectFromMap makes an Object of a map's members (values as they are).
func objectFromMap(m map[string]any) *Object {
	if len(m) == 0 {
		return emptyObject
	}
	o := newObject(len(m))
	i := 0
	for k, v := range m {
		o.ms[i] = Member{k, v}
		i++
	}
	sortMembers(o.ms)
	return o
}

// Plain returns v with every Object turned into a map[string]any (arrays
// copied only where an element changes): the form encoding/json's decoder
// makes, for code outside the engine that reads values with type
// assertions. Other values are returned as they are.
func Plain(v any) any {
	out, _ := plain(v)
	return out
}

func plain(v any) (any, bool) {
	switch x := v.(type) {
	case *Object:
		m := make(map[string]any, x.Len())
		if x != nil {
			for _, mb := range x.mems() {
				m[mb.Key], _ = plain(mb.Value)
			}
		}
		return m, true
	case []any:
		var out []any
		for i, e := range x {
			p, changed := plain(e)
			if changed {
				if out == nil {
					out = slices.Clone(x)
				}
				out[i] = p
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	}
	return v, false
}

// appendJSON appends v written compactly as encoding/json writes it with
// HTML escaping off: object members in key order; in strings '"', '\\' and
// control characters escaped, U+2028 and U+2029 escaped, bytes that are
// not UTF-8 written as U+FFFD.
func appendJSON(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		if x {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case string:
		return appendJSONString(dst, x), nil
	case json.Number:
		if x == "" {
			return append(dst, '0'), nil
		}
		if !validNumber(string(x)) {
			return nil, fmt.Errorf("json: invalid number literal %q", string(x))
		}
		return append(dst, x...), nil
	case *Object:
		dst = append(dst, '{')
		for i, m := range x.mems() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, m.Key)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSON(dst, m.Value); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSON(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(dst, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string (encoding/json's rules with
// HTML escaping off).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// validNumber reports whether s is a JSON number literal.
func validNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}
