package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// stdDecode is what decodeJSON must agree with: encoding/json with
// UseNumber, and json.Valid for "one value and nothing but white space
// after it". (The Decoder-based version decodeJSON replaced accepted a
// stray closing bracket after the value, e.g. "0]"; see testdata/fuzz.)
func stdDecode(b []byte) (any, error) {
	if !json.Valid(b) {
		return nil, errJSONEnd
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

var jsonSeeds = []string{
	`{"a":1,"b":[true,false,null,"x"],"c":{"d":-0.5e+10}}`,
	`{"email_ok":true,"orders":3,"last_order_at":"2024-01-01T00:00:00Z","aov":42.5}`,
	`"h\u00e9llo \ud83d\ude00 \ud800 \udc00x \ud800\u0041 \"q\" \\ \/ \b\f\n\r\t"`,
	"\"caf\xc3\xa9 \xff bad utf-8\"",
	`{"a":1,"a":2}`, ` [ 1 , 2 ] `, `[]`, `{}`, `0`, `-0`, `1e5`, `1E-5`, `123.456`,
	`01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`,
	`[1 2]`, `tru`, `nul`, `falsey`, `"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\x01\"",
	`{"a":[1,{"b":null}]} x`, ``, ` `, `[`, `{"a":`, `"\ud800\u12"`,
}

func TestDecodeJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range jsonSeeds {
		t.Run(s, func(t *testing.T) { checkDecode(t, []byte(s)) })
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecode)
}

func checkDecode(t *testing.T, b []byte) {
	want, wantErr := stdDecode(b)
	got, gotErr := decodeJSON(b)
	if (wantErr != nil) != (gotErr != nil) {
		t.Fatalf("%q: encoding/json error %v, decodeJSON error %v", b, wantErr, gotErr)
	}
	if wantErr == nil && !reflect.DeepEqual(want, Plain(got)) {
		t.Fatalf("%q: encoding/json %#v, decodeJSON %#v", b, want, got)
	}
}

func BenchmarkDecodeJSON(b *testing.B) {
	doc := []byte(`{"email_ok":true,"orders":3,"first_name":"Ada","last_order_at":"2024-01-01T00:00:00Z","aov":42.5,"tags":["vip","eu"],"consent":{"email":"granted","at":"2024-01-01T00:00:00Z"}}`)
	b.Run("decodeJSON", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := decodeJSON(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := stdDecode(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestBoxedValues: the strings and numbers decodeJSON boxes into its slabs
// are ordinary values: type switches and assertions see string and
// json.Number, == and reflect.DeepEqual compare them by content,
// encoding/json writes them, and they keep their content after the
// collector runs and after the pooled decoder decodes other documents.
func TestBoxedValues(t *testing.T) {
	var doc bytes.Buffer
	doc.WriteString(`{`)
	for i := range 40 { // more values than one slab holds
		if i > 0 {
			doc.WriteString(`,`)
		}
		fmt.Fprintf(&doc, `"s%d":"v%d","n%d":%d.5`, i, i, i, i)
	}
	doc.WriteString(`,"e":"","esc":"a\nb"}`)
	got, err := decodeJSON(doc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := decodeJSON([]byte(`{"other":"x","n":1,"a":["y",2]}`)); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
	}
	m := Plain(got).(map[string]any)
	for i := range 40 {
		switch s := m[fmt.Sprintf("s%d", i)].(type) {
		case string:
			if want := fmt.Sprintf("v%d", i); s != want || m[fmt.Sprintf("s%d", i)] != any(want) {
				t.Errorf("s%d = %q, want %q", i, s, want)
			}
		default:
			t.Errorf("s%d is a %T", i, s)
		}
		n, ok := m[fmt.Sprintf("n%d", i)].(json.Number)
		if want := json.Number(fmt.Sprintf("%d.5", i)); !ok || n != want || m[fmt.Sprintf("n%d", i)] != any(want) {
			t.Errorf("n%d = %#v, want %q", i, m[fmt.Sprintf("n%d", i)], want)
		}
	}
	if m["e"] != any("") || m["esc"] != any("a\nb") {
		t.Errorf("e %#v, esc %#v", m["e"], m["esc"])
	}
	want, err := stdDecode(doc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, Plain(got)) {
		t.Error("not DeepEqual to encoding/json's value")
	}
	a, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(want)
	if !bytes.Equal(a, b) {
		t.Errorf("encoding/json writes %s, want %s", a, b)
	}
}

// TestSpecial8: special8's lowest set bit marks the first byte that str's
// fast path must stop at, for every byte value at every position after
// bytes that are not special, and for random words.
func TestSpecial8(t *testing.T) {
	isSpecial := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }
	first := func(w [8]byte) int {
		for i, c := range w {
			if isSpecial(c) {
				return i
			}
		}
		return 8
	}
	got := func(w [8]byte) int {
		t := special8(load64(string(w[:]), 0))
		if t == 0 {
			return 8
		}
		return bits.TrailingZeros64(t) >> 3
	}
	check := func(w [8]byte) {
		t.Helper()
		if g, want := got(w), first(w); g != want {
			t.Fatalf("%q: special8 stops at %d, want %d", w[:], g, want)
		}
	}
	for pos := range 8 {
		for c := range 256 {
			for _, fill := range []byte{'a', ' ', '!', '#', '[', ']', '~', 0x7f} {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[pos] = byte(c)
				check(w)
				for i := pos + 1; i < 8; i++ { // special bytes after the first
					w[i] = "\x00\x1f\"\\\x80\xff"[i%6]
				}
				check(w)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "\x00\x01\x1f\x20\x21\"#[\\]a\x7f\x80\x81\xc3\xff"
	for range 200000 {
		var w [8]byte
		for i := range w {
			if r.IntN(4) == 0 {
				w[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				w[i] = byte(r.IntN(256))
			}
		}
		check(w)
	}
}

// TestMembersObject: membersObject makes the Object objectOf makes, for
// members in any order, with keys that share their first 7 (or 8) bytes,
// repeated keys, keys that are prefixes of others, and more than 32
// members.
func TestMembersObject(t *testing.T) {
	keys := []string{"", "a", "b", "ab", "abcdefg", "abcdefgh", "abcdefgi", "abcdefg\x00", "abcdefgh1",
		"abcdef", "last_checkout", "last_checkout_at", "last_cart_at", "last_order_at", "\xff", "\x00", "é"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		n := r.IntN(40)
		if r.IntN(4) == 0 {
			n = r.IntN(5)
		}
		ms := make([]Member, n)
		for i := range ms {
			k := keys[r.IntN(len(keys))]
			if r.IntN(3) == 0 {
				k = fmt.Sprintf("k%d", r.IntN(50))
			}
			ms[i] = Member{k, i}
		}
		given := append([]Member(nil), ms...)
		got := membersObject(ms)
		// The reference: a stable sort by key, then the last member of
		// each run of one key.
		ref := append([]Member(nil), given...)
		slices.SortStableFunc(ref, func(a, b Member) int { return strings.Compare(a.Key, b.Key) })
		var want []Member
		for i := range ref {
			if i+1 < len(ref) && ref[i+1].Key == ref[i].Key {
				continue
			}
			want = append(want, ref[i])
		}
		if len(got.ms) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got.ms, want)) {
			t.Fatalf("%v: membersObject %v, want %v", given, got.ms, want)
		}
	}
}

// TestBoxedArrays: the arrays decodeJSON makes with their header and
// elements in one allocation are ordinary []any values of every length:
// type switches see []any of the right length and capacity, reflect and
// encoding/json read them, appending copies them, and they keep their
// elements after the collector runs.
func TestBoxedArrays(t *testing.T) {
	var got []any
	var docs []string
	for n := 1; n <= 10; n++ {
		var doc bytes.Buffer
		doc.WriteString(`[`)
		for i := range n {
			if i > 0 {
				doc.WriteString(`,`)
			}
			fmt.Fprintf(&doc, `["e%d",%d,{"k":[%d]}]`, i, i, i)
		}
		doc.WriteString(`]`)
		v, err := decodeJSON(doc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		got, docs = append(got, v), append(docs, doc.String())
	}
	for range 3 {
		runtime.GC()
		if _, err := decodeJSON([]byte(`[[1],[2,3],["x","y","z"]]`)); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range got {
		a, ok := v.([]any)
		if !ok || len(a) != i+1 || cap(a) != i+1 {
			t.Fatalf("%s: %T of length %d, capacity %d", docs[i], v, len(a), cap(a))
		}
		want, err := stdDecode([]byte(docs[i]))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(want, Plain(v)) {
			t.Errorf("%s: decoded %v", docs[i], v)
		}
		if b, err := json.Marshal(v); err != nil || string(b) != docs[i] {
			t.Errorf("%s: encoding/json writes %s, %v", docs[i], b, err)
		}
		if e, ok := a[0].([]any); !ok || len(e) != 3 || e[0] != any("e0") {
			t.Errorf("%s: first element %#v", docs[i], a[0])
		}
		b := append(a, "more")
		if &b[0] == &a[0] {
			t.Errorf("%s: append wrote into the decoded array", docs[i])
		}
	}
}

// TestShapedObjects decodes, with one decoder, a run of documents whose
// objects often repeat the previous one's keys in the same order (what
// shapedObject serves without sorting) and sometimes do not (other keys,
// another order, repeated keys, another length), each checked against
// encoding/json.
func TestShapedObjects(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	orders := [][]string{
		{"email", "first_name", "last_name", "timezone", "consent", "subscribed", "tags", "order_count", "spent"},
		{"spent", "order_count", "tags", "subscribed", "consent", "timezone", "last_name", "first_name", "email"},
		{"a", "b", "a", "c", "d", "e", "f", "g", "b", "h"},
		{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12"},
		{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k13"},
	}
	d := new(jsonDecoder)
	hits, misses := 0, 0
	for i := range 2000 {
		keys := orders[r.IntN(len(orders))]
		if r.IntN(10) == 0 {
			keys = keys[:len(keys)-1]
		}
		var doc bytes.Buffer
		doc.WriteString(`{`)
		for j, k := range keys {
			if j > 0 {
				doc.WriteString(`,`)
			}
			fmt.Fprintf(&doc, `%q:%d`, k, r.IntN(100))
		}
		doc.WriteString(`,"nested":{"x":1}}`)
		var k0 string
		if len(d.shape.keys) > 0 {
			k0 = d.shape.keys[0]
		}
		d.b, d.i = doc.String(), 0
		got, err := d.document()
		if err != nil {
			t.Fatal(err)
		}
		// A reused shape keeps its cloned keys; a new one clones again.
		if k0 != "" && unsafe.StringData(d.shape.keys[0]) == unsafe.StringData(k0) {
			hits++
		} else {
			misses++
		}
		want, _ := stdDecode(doc.Bytes())
		if !reflect.DeepEqual(Plain(got), want) {
			t.Fatalf("document %d %s: got %v, want %v", i, doc.String(), got, want)
		}
	}
	if hits < 100 || misses < 100 {
		t.Errorf("shape reused %d times, rebuilt %d times", hits, misses)
	}
}
