package asl

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// fastValues are member values for TestFastPaths: the ones the loops of
// shapedMembers and smallMembers read themselves (strings, whole numbers,
// true, false, null, small objects, arrays of one element) and the ones
// next to them that they must leave to value: literals misspelled or cut
// short, numbers with a fraction, an exponent, a leading zero or a minus,
// numbers and literals run into other bytes, strings with escapes or
// not ASCII, values after white space.
var fastValues = []string{
	`true`, `false`, `null`, `tru`, `fals`, `nul`, `t`, `f`, `n`, `trUe`, `falsE`, `nulL`, `True`,
	`truex`, `true1`, `nullx`, `false"`, `truefalse`,
	`1`, `7`, `12`, `180`, `1234567890123456789012`, `0`, `-1`, `-0`, `01`, `00`, `-01`,
	`1.5`, `2.50`, `1.`, `1.x`, `1.e5`, `1e5`, `1E+5`, `1e-5`, `12e3`, `7E+1`, `1e`, `1e+`, `1ex`,
	`-`, `-x`, `--1`, `1x`, `1-`, `1"`, `1 `, `1}`, `1]`,
	`"x"`, `""`, `"ada@example.com"`, `"2023-06-01T10:00:00Z"`, `"a\"b"`, `"\u00e9"`, `"caf` + "\xc3\xa9" + `"`,
	"\"\xff\"", `"abc`, "\"a\x01\"", `"\x"`,
	`{"x":1}`, `{"x":"y"}`, `{"x":true}`, `{"x":tru}`, `{"x":nul}`, `{"x":1.5}`, `{"x":-1}`, `{"x":01}`,
	`{"x":1e}`, `{"x":1,"w":false}`, `{"x":true,"x":null}`, `{}`, `{ }`, `{"x"}`, `{"x":}`, `{"x":1,}`,
	`{"x":1`, `{"x"`, `{`, `["a"]`, `["a",1]`, `[true]`, `[]`, `["a"`, `["a" ]`, `[ "a"]`,
	` 1`, ` true`, ` "x"`, ` {"x":1}`, "\ttrue", "\n-1.5",
}

// fastDocs are documents with v as a member's value: in small objects
// (first, last, only member, before white space, nested) and in objects
// of the shape's keys (shapedKeys: first, middle and last member).
func fastDocs(v string) (small, shaped []string) {
	small = []string{
		`{"a":` + v + `}`, `{"a":` + v + `,"b":2}`, `{"b":"c","a":` + v + `}`, `{"a":` + v + ` }`,
		`{"a":` + v + ` ,"b":2}`, `[{"a":` + v + `}]`, `{"z":1,"a":{"b":` + v + `}}`,
		`{"a":1,"b":2,"c":3,"d":` + v + `,"e":5}`,
	}
	for _, at := range []int{0, 4, len(shapedKeys) - 1} {
		var b strings.Builder
		b.WriteString("{")
		for i, k := range shapedKeys {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"` + k + `":`)
			if i == at {
				b.WriteString(v)
			} else {
				b.WriteString(`"v"`)
			}
		}
		b.WriteString("}")
		shaped = append(shaped, b.String())
	}
	return small, shaped
}

// shapedKeys are the keys of TestFastPaths' shaped objects (minShaped or
// more: a decoder makes them its shape).
var shapedKeys = []string{"email", "first_name", "tags", "tag", "order_count", "consent", "spent", "subscribed", "frequency"}

// TestFastPaths: every value of fastValues, in small and in shaped
// objects, and every document cut short, decodes as encoding/json does:
// the same values, and errors where it fails with its error text; and a
// compact shaped object that decodes takes the shape's fast path.
func TestFastPaths(t *testing.T) {
	d := new(jsonDecoder)
	var base strings.Builder
	base.WriteString("{")
	for i, k := range shapedKeys {
		if i > 0 {
			base.WriteString(",")
		}
		base.WriteString(`"` + k + `":1`)
	}
	base.WriteString("}")
	for _, v := range fastValues {
		small, shaped := fastDocs(v)
		for _, doc := range small {
			for n := len(doc); n > 0; n-- {
				checkFastDoc(t, nil, doc[:n])
			}
		}
		for _, doc := range shaped {
			for n := len(doc); n > 0; n-- {
				if _, err := d.decode(base.String()); err != nil || !d.shape.fast {
					t.Fatalf("%s: error %v, shape %v", base.String(), err, d.shape.keys)
				}
				if fast := checkFastDoc(t, d, doc[:n]); n == len(doc) && json.Valid([]byte(doc)) &&
					!strings.ContainsAny(v, " \t\n") && !fast {
					t.Fatalf("%s: not decoded by the shape's fast path", doc)
				}
			}
		}
	}
}

// checkFastDoc decodes doc with d (nil: decodeJSONString) and checks it
// against encoding/json: the value if it is valid, the error text if not
// (where encoding/json's Decoder fails on it). It reports whether doc's
// top-level object has the shape's keys (shapedMembers made it).
func checkFastDoc(t *testing.T, d *jsonDecoder, doc string) bool {
	t.Helper()
	var pats []string
	var got any
	var err error
	if d == nil {
		got, err = decodeJSONString(doc)
	} else {
		for _, p := range d.shape.pats {
			pats = append(pats, p.key)
		}
		got, err = d.decode(doc)
	}
	if !json.Valid([]byte(doc)) {
		if err == nil {
			t.Fatalf("%q: decoded to %v, encoding/json fails", doc, Plain(got))
		}
		if stdErr := stdDecodeErr(doc); stdErr != nil && err.Error() != stdErr.Error() {
			t.Fatalf("%q: error %q, encoding/json %q", doc, err, stdErr)
		}
		return false
	}
	want, _ := stdDecode([]byte(doc))
	if err != nil {
		t.Fatalf("%q: error %v, encoding/json %v", doc, err, want)
	}
	if !reflect.DeepEqual(Plain(got), want) {
		t.Fatalf("%q: got %#v, want %#v", doc, Plain(got), want)
	}
	checkObjectsSorted(t, doc, got)
	o, ok := got.(*Object)
	if !ok || len(pats) == 0 || o.Len() != len(pats) {
		return false
	}
	for _, m := range o.ms {
		found := false
		for _, p := range pats {
			found = found || len(p) == len(m.Key) && unsafe.StringData(p) == unsafe.StringData(m.Key)
		}
		if !found {
			return false
		}
	}
	return true
}
