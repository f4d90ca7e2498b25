package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
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
