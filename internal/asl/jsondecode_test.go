package asl

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
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
	if wantErr == nil && !reflect.DeepEqual(want, got) {
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
