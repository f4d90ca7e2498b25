package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// smallKeys are keys of the small objects TestSmallObjects writes: keys
// out of order, keys that share a first byte or are prefixes of others,
// an empty key, escaped keys (one that decodes to a plain key, "b"), keys
// that are not ASCII or not valid UTF-8, and keys of 8 bytes or more
// (strEnd's word at a time scan).
var smallKeys = []string{
	`"b"`, `"a"`, `"ab"`, `"a"`, `""`, `"\u0062"`, `"q\"k"`, `"é"`, "\"\xff\"",
	`"updated_at"`, `"state"`, `"newsletter"`, `"EUR"`, `"id"`, `"abcdefgh"`, `"abcdefghi"`,
}

// smallValues are their values: every kind, strings with escapes and of
// 8 bytes or more, and objects small and not.
var smallValues = []string{
	`"x"`, `""`, `"2023-06-01T10:00:00Z"`, `"a\"b"`, `"caf\u00e9"`, "\"\xff\"", `0`, `-1.5e+3`,
	`true`, `false`, `null`, `[]`, `{}`, `["newsletter"]`, `{"EUR":"90.00"}`, `[{"a":1},{"b":2,"a":3}]`, `["a\"b","\u00e9","",1,"2023-06-01T10:00:00Z"]`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5}`, `{"b":{"a":{"c":1,"c":2}},"a":1}`,
}

// smallDoc writes an object of n members (keys and values as r picks),
// sep around its tokens, often nested in an array or another object.
func smallDoc(r *rand.Rand, n int, sep string) string {
	var b strings.Builder
	b.WriteString("{" + sep)
	for i := range n {
		if i > 0 {
			b.WriteString(sep + "," + sep)
		}
		b.WriteString(smallKeys[r.IntN(len(smallKeys))] + sep + ":" + sep)
		if r.IntN(8) == 0 {
			b.WriteString(smallDoc(r, r.IntN(4), sep))
		} else {
			b.WriteString(smallValues[r.IntN(len(smallValues))])
		}
	}
	b.WriteString(sep + "}")
	switch r.IntN(4) {
	case 0:
		return `[1,` + b.String() + `]`
	case 1:
		return `{"z":` + b.String() + `,"a":` + b.String() + `}`
	}
	return b.String() // a small object at the end of the document
}

// stdDecodeErr is encoding/json's error for doc (Decoder, UseNumber).
func stdDecodeErr(doc string) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.UseNumber()
	var v any
	return dec.Decode(&v)
}

// TestSmallObjects: objects of 1 to 6 members (smallMembers, and past
// smallMax members), with repeated keys, keys out of order, escapes and
// nested objects, decode as encoding/json decodes them, into Objects in
// key order; and documents cut short or with a byte replaced inside
// them fail as encoding/json fails, with its error text.
func TestSmallObjects(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for range 3000 {
		doc := smallDoc(r, 1+r.IntN(6), []string{"", "", " ", "\n\t"}[r.IntN(4)])
		got, err := decodeJSONString(doc)
		want, wantErr := stdDecode([]byte(doc))
		if err != nil || wantErr != nil {
			t.Fatalf("%s: error %v, encoding/json %v", doc, err, wantErr)
		}
		if !reflect.DeepEqual(Plain(got), want) {
			t.Fatalf("%s: got %v, want %v", doc, Plain(got), want)
		}
		checkObjectsSorted(t, doc, got)
	}
	for range 300 {
		doc := smallDoc(r, 1+r.IntN(5), []string{"", " "}[r.IntN(2)])
		for n := range len(doc) {
			for _, bad := range []string{doc[:n], doc[:n] + "x" + doc[n+1:], doc[:n] + "}" + doc[n+1:],
				doc[:n] + "," + doc[n+1:], doc[:n] + ":" + doc[n+1:], doc[:n] + "\"" + doc[n+1:]} {
				_, err := decodeJSONString(bad)
				stdErr := stdDecodeErr(bad)
				if json.Valid([]byte(bad)) || strings.TrimSpace(bad) == "" {
					continue
				}
				if err == nil {
					t.Fatalf("%s: no error, encoding/json %v", bad, stdErr)
				}
				if stdErr != nil && err.Error() != stdErr.Error() {
					t.Fatalf("%s: error %q, encoding/json %q", bad, err, stdErr)
				}
			}
		}
	}
}

// checkObjectsSorted checks that every Object in v has its members in
// strictly increasing key order.
func checkObjectsSorted(t *testing.T, doc string, v any) {
	t.Helper()
	switch x := v.(type) {
	case *Object:
		for i, m := range x.ms {
			if i > 0 && x.ms[i-1].Key >= m.Key {
				t.Fatalf("%s: members %v not in key order", doc, x.ms)
			}
			checkObjectsSorted(t, doc, m.Value)
		}
	case []any:
		for _, e := range x {
			checkObjectsSorted(t, doc, e)
		}
	}
}

// TestSmallObjectsExamples: cases of smallMembers written out.
func TestSmallObjectsExamples(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"b":1,"a":2}`, `{"a":2,"b":1}`},
		{`{"a":1,"a":2}`, `{"a":2}`},
		{`{"b":1,"\u0062":2}`, `{"b":2}`},
		{`{"ab":1,"a":2}`, `{"a":2,"ab":1}`},
		{`{"":1,"a":2}`, `{"":1,"a":2}`},
		{`{"c":1,"b":2,"a":3}`, `{"a":3,"b":2,"c":1}`},
		{`{"b":1,"a":2,"b":3,"a":4}`, `{"a":4,"b":3}`},
		{`{"d":1,"c":2,"b":3,"a":4,"a":5}`, `{"a":5,"b":3,"c":2,"d":1}`},
		{`{"d":1,"c":2,"b":3,"a":4,"e":5,"a":6}`, `{"a":6,"b":3,"c":2,"d":1,"e":5}`},
		{`{"x":{"b":{"d":1,"c":2},"a":[{"z":1,"y":2}]}}`, `{"x":{"a":[{"y":2,"z":1}],"b":{"c":2,"d":1}}}`},
		{`[{"b":"é\n","a":"a\"b"}]`, `[{"a":"a\"b","b":"é\n"}]`},
		{` { "b" : 1 , "a" : 2 } `, `{"a":2,"b":1}`},
	} {
		v, err := decodeJSONString(c.doc)
		if err != nil {
			t.Fatalf("%s: %v", c.doc, err)
		}
		b, _ := json.Marshal(Plain(v))
		if string(b) != c.want {
			t.Errorf("%s: got %s, want %s", c.doc, b, c.want)
		}
	}
	for _, c := range []struct{ doc, want string }{
		{`{"a":1,"b"}`, `invalid character '}' after object key`},
		{`{"a":1,"b":}`, `invalid character '}' looking for beginning of value`},
		{`{"a":1 "b":2}`, `invalid character '"' after object key:value pair`},
		{`{"a":1,}`, `invalid character '}' looking for beginning of object key string`},
		{`{"a":{"b":1,2}}`, `invalid character '2' looking for beginning of object key string`},
		{`{"a":1,"b":2,"c":3,"d":4,"e"}`, `invalid character '}' after object key`},
		{`{"a":1,"b":2,"c":3,"d":4,5}`, `invalid character '5' looking for beginning of object key string`},
		{`{"a":"\x"}`, `invalid character 'x' in string escape code`},
		{`{"a\q":1}`, `invalid character 'q' in string escape code`},
		{`{"a":1`, `unexpected EOF`},
		{`{"a":"b`, `unexpected EOF`},
	} {
		_, err := decodeJSONString(c.doc)
		if fmt.Sprint(err) != c.want {
			t.Errorf("%s: error %v, want %s", c.doc, err, c.want)
		}
	}
}

// TestDepthLimit: objects nested maxJSONDepth deep decode and one more
// level fails, as in encoding/json, whichever path decodes them: members
// of a shaped object (the shape made by a first decode), small objects,
// objects of more than smallMax members, arrays.
func TestDepthLimit(t *testing.T) {
	nest := func(depth int, open, close string) string {
		return strings.Repeat(open, depth-1) + "1" + strings.Repeat(close, depth-1)
	}
	shaped := func(inner string) string {
		return `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":` + inner + `}`
	}
	for _, depth := range []int{maxJSONDepth - 1, maxJSONDepth, maxJSONDepth + 1} {
		for _, doc := range []string{
			nest(depth+1, `{"a":`, `}`),
			nest(depth+1, `{"a":1,"b":2,"c":3,"d":4,"e":`, `}`),
			nest(depth+1, `[`, `]`),
			nest(depth+1, `[{"a":`, `}]`),
			shaped(nest(depth, `{"a":`, `}`)),
			shaped(nest(depth, `{ "a":`, `}`)),
		} {
			d := new(jsonDecoder)
			if _, err := d.decode(shaped("0")); err != nil {
				t.Fatal(err)
			}
			_, err := d.decode(doc)
			_, wantErr := stdDecode([]byte(doc))
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("depth %d, %.40s...: error %v, encoding/json %v", depth, doc, err, wantErr)
			}
		}
	}
}
