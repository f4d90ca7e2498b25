package asl

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// shapeKeys are the keys of the documents TestShapedMembers decodes: the
// profile's, keys that share their first 8 bytes and differ past them,
// a key that is a prefix of another, a repeated key, keys of up to 3, 8,
// 16 and more than 16 bytes once quoted (shapeKey.match's cases), an
// empty key and one that is not ASCII.
var shapeKeys = []string{
	"email", "first_name", "last_name", "timezone", "consent", "subscribed", "tags",
	"tag", "order_count", "total_spent", "average_order_value", "spent", "first_order_at",
	"last_order_at", "last_checkout", "last_checkout_at", "last_cart_at", "frequency",
	"abcdefgh_1", "abcdefgh_2", "email", "", "k", "é", "abcdefghijklmnopqrstuvwxyz_0123456789",
}

// shapeValues are member values: every kind, strings the fast string scan
// does not take, and objects of 8 members or more, whose keys are the
// shape's or not (decoded while shapedMembers reads the shape).
var shapeValues = []string{
	`"x"`, `""`, `"2023-06-01T10:00:00Z"`, `"a\"b"`, `"caf` + "\xc3\xa9" + `"`, "\"\xff\"", `"\u00e9\ud800"`,
	`0`, `-1.5e+3`, `true`, `false`, `null`, `[]`, `{}`, `["newsletter"]`, `{"EUR":"90.00"}`,
	`[1,{"a":[2]}]`, `{"state":"subscribed","updated_at":"2023-06-01T10:00:00Z"}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}`,
	`{"email":1,"first_name":2,"last_name":3,"timezone":4,"consent":5,"subscribed":6,"tags":7,"tag":8}`,
	`180`, `2.50`, `12e3`, `7E+1`, `90`, `{ "b" : 1 , "a" : 2 }`, `{"b":{"a":1,"a":[2]},"a":{}}`, `{"id":"co-1","id":"\u0041"}`,
}

// shapeDoc writes an object of keys, value i of it from shapeValues as r
// picks, with sep between members (and after the braces) and colon
// between key and value.
func shapeDoc(r *rand.Rand, keys []string, sep, colon string) string {
	var b strings.Builder
	b.WriteString("{" + sep)
	for i, k := range keys {
		if i > 0 {
			b.WriteString("," + sep)
		}
		fmt.Fprintf(&b, "%q%s%s", k, colon, shapeValues[r.IntN(len(shapeValues))])
	}
	b.WriteString(sep + "}")
	return b.String()
}

// checkWith decodes doc with d and checks the value against encoding/json
// and, value and error text, against a decoder without a shape (the
// members path alone). It reports whether the shape's fast path decoded
// the top-level object: its keys are then the shape's strings.
func checkWith(t *testing.T, d *jsonDecoder, doc string) bool {
	t.Helper()
	var pats []string
	if d.shape.fast {
		for _, p := range d.shape.pats {
			pats = append(pats, p.key)
		}
	}
	got, err := d.decode(doc)
	want, wantErr := stdDecode([]byte(doc))
	plain, plainErr := new(jsonDecoder).decode(doc)
	if (err != nil) != (wantErr != nil) || fmt.Sprint(err) != fmt.Sprint(plainErr) {
		t.Fatalf("%s: error %v, encoding/json %v, without a shape %v", doc, err, wantErr, plainErr)
	}
	if err != nil {
		return false
	}
	if !reflect.DeepEqual(Plain(got), want) || !reflect.DeepEqual(got, plain) {
		t.Fatalf("%s: got %v, want %v", doc, got, want)
	}
	o, ok := got.(*Object)
	if !ok || o.Len() == 0 || len(pats) == 0 {
		return false
	}
	k := o.ms[0].Key
	for _, p := range pats {
		if len(p) == len(k) && unsafe.StringData(p) == unsafe.StringData(k) {
			return true
		}
	}
	return false
}

// TestShapedMembers decodes, with one decoder, documents of the shape's
// keys (which the fast path must take) and documents that depart from
// them at every member: another key that differs in its last byte, or
// only past its first 8 bytes, or is a prefix of it, or is a repeat of
// an earlier key, or is the same key written with an escape; white space
// before the colon; a member left out, added, or the object ending early.
// Each must decode as encoding/json does and as a decoder without a shape
// does.
func TestShapedMembers(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	d := new(jsonDecoder)
	base := shapeKeys
	prime := func() {
		t.Helper()
		checkWith(t, d, shapeDoc(r, base, "", ":"))
		if !checkWith(t, d, shapeDoc(r, base, "", ":")) {
			t.Fatal("the fast path does not decode the shape's keys")
		}
	}
	prime()
	for _, sep := range []string{" ", "\n  ", "\t"} {
		if !checkWith(t, d, shapeDoc(r, base, sep, ":"+sep)) {
			t.Errorf("the fast path does not take white space around members (%q)", sep)
		}
	}
	with := func(k int, key string) []string {
		keys := append([]string(nil), base...)
		keys[k] = key
		return keys
	}
	for k := range base {
		var variants [][]string
		key := base[k]
		if key != "" {
			last := key[:len(key)-1] + string(key[len(key)-1]^1)
			variants = append(variants, with(k, last), with(k, key[:len(key)-1]))
		}
		if len(key) > 8 {
			variants = append(variants, with(k, key[:8]+"X"+key[9:]))
		}
		variants = append(variants,
			with(k, key+"x"), with(k, base[(k+1)%len(base)]), with(k, base[0]),
			append(append([]string(nil), base[:k]...), base[k+1:]...), // left out
			append(append(append([]string(nil), base[:k]...), "new"), base[k:]...),
			base[:k+1], // ends early
		)
		for _, keys := range variants {
			prime()
			checkWith(t, d, shapeDoc(r, keys, "", ":"))
			checkWith(t, d, shapeDoc(r, keys, "", ":")) // the variant as the shape
			prime()
		}
		// The key escaped, or followed by white space: another text of
		// the same key, so the same object.
		escaped := []byte(shapeDoc(r, base, "", ":"))
		i := bytes.Index(escaped, []byte(fmt.Sprintf(",%q:", key)))
		if k == 0 {
			i = 0
		}
		if key != "" && key[0] < 0x80 && i >= 0 {
			doc := fmt.Sprintf(`%s"\u%04x%s`, escaped[:i+1], key[0], escaped[i+3:])
			prime()
			checkWith(t, d, doc)
			doc = fmt.Sprintf(`%s"%s" %s`, escaped[:i+1], key, escaped[i+len(key)+3:])
			prime()
			checkWith(t, d, doc)
		}
	}
	prime()
	checkWith(t, d, shapeDoc(r, append(base[:len(base):len(base)], "last"), "", ":"))
	// Keys with quotes, backslashes or control characters: no fast path.
	odd := with(3, "a\"b\\c\n")
	checkWith(t, d, shapeDoc(r, odd, "", ":"))
	if checkWith(t, d, shapeDoc(r, odd, "", ":")) {
		t.Error("the fast path decodes a key that needs escapes")
	}
}

// TestShapedMembersErrors: a document of the shape's keys, cut short at
// every byte or with a byte replaced by one that makes it invalid there,
// fails as encoding/json does, with the error text of a decoder without a
// shape.
func TestShapedMembersErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	d := new(jsonDecoder)
	doc := shapeDoc(r, shapeKeys, "", ":")
	for n := range len(doc) {
		checkWith(t, d, doc)
		checkWith(t, d, doc[:n])
		for _, c := range []byte("x}],:\" \x00") {
			checkWith(t, d, doc)
			checkWith(t, d, doc[:n]+string(c)+doc[n+1:])
		}
	}
}

// FuzzDecodeJSONShaped decodes two documents with one decoder, the first
// leaving the shape the second is decoded with, and checks the second as
// checkWith does.
func FuzzDecodeJSONShaped(f *testing.F) {
	r := rand.New(rand.NewPCG(11, 12))
	doc := shapeDoc(r, shapeKeys, "", ":")
	f.Add([]byte(doc), []byte(shapeDoc(r, shapeKeys, "", ":")))
	f.Add([]byte(doc), []byte(shapeDoc(r, shapeKeys[:12], "", ":")))
	f.Add([]byte(doc), []byte(shapeDoc(r, shapeKeys[1:], "", ":")))
	f.Add([]byte(doc), []byte(shapeDoc(r, shapeKeys, " ", " : ")))
	f.Add([]byte(`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8}`), []byte(`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}`))
	f.Add([]byte(`{"a":1,"b":2,"a":3,"d":4,"e":5,"f":6,"g":7,"h":8}`), []byte(`{"a":1,"b":2,"a":3,"d":4,"e":5,"f":6,"g":7,"h":8,"a":0}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		d := new(jsonDecoder)
		d.decode(string(a))
		checkWith(t, d, string(b))
	})
}

// TestNewSlab: a document's first slab holds at least one value per 24
// bytes of text (16 to 64), later ones at least slabSize, and a slab
// takes no more memory than a slice of exactly that many strings.
func TestNewSlab(t *testing.T) {
	for size := range 2000 {
		d := &jsonDecoder{b: strings.Repeat(" ", size)}
		want := min(max(size/24, slabSize), 4*slabSize)
		first := d.newSlab()
		if len(first) != 0 || cap(first) < want {
			t.Fatalf("text of %d bytes: first slab of length %d, capacity %d, want 0, %d", size, len(first), cap(first), want)
		}
		d.slab = first
		if next := d.newSlab(); len(next) != 0 || cap(next) < slabSize {
			t.Fatalf("next slab of length %d, capacity %d", len(next), cap(next))
		}
		got := testing.AllocsPerRun(10, func() { d.slab = nil; d.slab = d.newSlab() })
		if got != 1 {
			t.Fatalf("text of %d bytes: %v allocations", size, got)
		}
	}
}

// TestDecoderScratchCleared: after a document, decoded or failed, the
// decoder's scratch holds no value of it (a pooled decoder would keep
// them alive).
func TestDecoderScratchCleared(t *testing.T) {
	d := new(jsonDecoder)
	r := rand.New(rand.NewPCG(13, 14))
	doc := shapeDoc(r, shapeKeys, "", ":")
	docs := []string{doc, doc, `[[1,2,3],{"a":[4,5,{"b":6,"c":[7]}]}]`, `{"a":{"b":{"c":1,"d":2,"e":[1,2,3,4`, doc[:len(doc)/2], `[1,2,{"a":1,"b":2}`}
	for _, s := range docs {
		d.decode(s)
		for i, m := range d.kv[:cap(d.kv)] {
			if m != (Member{}) {
				t.Fatalf("after %s: kv[%d] = %v", s, i, m)
			}
		}
		for i, v := range d.arr[:cap(d.arr)] {
			if v != nil {
				t.Fatalf("after %s: arr[%d] = %v", s, i, v)
			}
		}
	}
}

// TestObjectSizes decodes objects of 1 to 40 members (members holds the
// first apart from d.kv, orders two by one comparison, sorts up to 32 and
// serves 8 to 32 through the shape), some with repeated keys, nested in
// objects and arrays and after other members, each checked against
// encoding/json and a decoder without a shape.
func TestObjectSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	d := new(jsonDecoder)
	for range 3000 {
		n := 1 + r.IntN(40)
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("k%d", r.IntN(2*n))
		}
		doc := shapeDoc(r, keys, "", ":")
		switch r.IntN(4) {
		case 1:
			doc = `{"a":` + doc + `,"b":` + doc + `}`
		case 2:
			doc = `[` + doc + `,` + doc + `]`
		case 3:
			doc = doc[:len(doc)-1] + `,"x":` + doc + `}`
		}
		checkWith(t, d, doc)
	}
}
