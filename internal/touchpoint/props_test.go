package touchpoint

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// decodeNumberedRef is how properties were decoded before decodeNumbered:
// the reference it must match.
func decodeNumberedRef(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

var numberedSeeds = []string{
	`{}`, `[]`, `{"a":1}`, `{"a":-0.5e+10,"b":1E-2,"c":0}`,
	`{"session_id":"s_8f2a91c4","page_views":3,"price_shown":64.0,"viewed_variants":["Black / 1 L","Red / 1 L"],"ab_test":{"name":"hero-image","arm":"b"}}`,
	` { "a" : [ 1 , true , false , null , "x" , { } , [ ] ] } `,
	`{"a":1,"a":2}`, `{"a":{"b":1},"a":"c"}`,
	`{"esc":"a\"b\\c\/d\b\f\n\r\tz\u00e9\ud83d\ude00"}`,
	`{"lone":"\ud800","bad":"` + "\xff\xfe" + `","mixed":"é` + "\xc3" + `"}`,
	`{"k\u00e9y":"v","` + "\xff" + `":1}`,
	`"text"`, `12`, `true`, `null`, `[1,[2,[3,[4]]]]`,
	`{"n":12345678901234567890123,"f":1.7976931348623157e309}`,
}

func TestDecodeNumbered(t *testing.T) {
	for _, s := range numberedSeeds {
		want, err := decodeNumberedRef([]byte(s))
		if err != nil {
			t.Fatalf("%s: reference: %v", s, err)
		}
		got, ok := decodeNumbered([]byte(s))
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v (ok %v)\nwant %#v", s, got, ok, want)
		}
	}
	for _, s := range []string{``, `{`, `{"a"}`, `{"a":}`, `[1,]`, `{"a":1,}`, `"abc`, `tru`, `{} x`, `{"a":1 "b":2}`, `[1 2]`} {
		if v, ok := decodeNumbered([]byte(s)); ok {
			t.Errorf("%q: decoded to %#v, want not ok", s, v)
		}
	}
}

// Properties that are valid JSON but not an object are refused with the
// message the sender sees.
func TestPropertiesNotAnObject(t *testing.T) {
	s := &Standard{}
	for _, raw := range []string{`[1]`, `"x"`, `5`, `true`} {
		c := &conv{}
		if m := s.properties(c, json.RawMessage(raw)); m != nil || c.err == nil || c.err.Error() != "properties: not a JSON object" {
			t.Errorf("%s: %v, %v", raw, m, c.err)
		}
	}
}

func FuzzDecodeNumbered(f *testing.F) {
	for _, s := range numberedSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := decodeNumbered(b) // must not panic on any input
		if !json.Valid(b) {
			return
		}
		want, err := decodeNumberedRef(b)
		if err != nil {
			t.Fatalf("reference: %v", err)
		}
		if !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %#v (ok %v)\nwant %#v", b, got, ok, want)
		}
	})
}
