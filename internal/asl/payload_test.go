package asl

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// wantPayloadSize is PayloadSize computed from encoding/json: its compact
// output (HTML escaping off) less the three bytes it adds for each U+2028,
// U+2029 (written \u2028, \u2029) and each invalid UTF-8 byte (written
// \ufffd), which Step Functions writes as the 3-byte characters themselves.
func wantPayloadSize(t testing.TB, v any) int {
	t.Helper()
	s, err := encodeJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(s) - 3*wideEscapes(v)
}

func wideEscapes(v any) int {
	n := 0
	count := func(s string) {
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == '\u2028' || r == '\u2029' || (r == utf8.RuneError && size == 1) {
				n++
			}
			i += size
		}
	}
	switch x := v.(type) {
	case string:
		count(x)
	case map[string]any:
		for k, e := range x {
			count(k)
			n += wideEscapes(e)
		}
	case *Object:
		for k, e := range x.All() {
			count(k)
			n += wideEscapes(e)
		}
	case []any:
		for _, e := range x {
			n += wideEscapes(e)
		}
	}
	return n
}

func TestPayloadSize(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want int
	}{
		{"null", nil, 4},
		{"true", true, 4},
		{"false", false, 5},
		{"number text as written", json.Number("1.50e+3"), 7},
		{"empty string", "", 2},
		{"empty object", map[string]any{}, 2},
		{"empty array", []any{}, 2},
		{"object", map[string]any{"a": json.Number("1"), "b": []any{true, nil}}, len(`{"a":1,"b":[true,null]}`)},
		{"html characters are not escaped", "<a&b>", 7},
		{"quote and backslash", `"\`, 6},
		{"short escapes", "\b\f\n\r\t", 12},
		{"other control characters", "\x00\x1f", 14},
		{"DEL is not escaped", "\x7f", 3},
		{"two-byte character", "é", 4},
		{"three-byte character", "✓", 5},
		{"four-byte character", "😀", 6},
		{"line separator as is", "\u2028", 5},
		{"invalid byte as U+FFFD", "\xff", 5},
		{"escaped key", map[string]any{"\n": json.Number("1")}, len(`{"\n":1}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PayloadSize(tt.v); got != tt.want {
				t.Errorf("PayloadSize = %d, want %d", got, tt.want)
			}
			if got := wantPayloadSize(t, tt.v); got != tt.want {
				t.Errorf("encoding/json reference = %d, want %d (the table is wrong)", got, tt.want)
			}
			if b := payloadBound(tt.v, MaxPayloadBytes); b < tt.want {
				t.Errorf("payloadBound = %d, below the size %d", b, tt.want)
			}
		})
	}
}

// FuzzPayloadSize checks PayloadSize against encoding/json and that
// payloadBound is never below it, on any JSON document and on strings that
// are not valid UTF-8 (as keys and values).
func FuzzPayloadSize(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,2.5,-3e10,"x\n\"y\\",true,false,null],"<&>":{"é":"✓😀"}}`,
		`"\u0000\u001f\u007f\u2028\u2029"`,
		`[[],{},"",0]`,
		`{"profile":{"view":"{\"email_ok\":true,\"tags\":[\"vip\"]}"}}`,
	} {
		f.Add([]byte(s), "\xff\xfe<\x01é")
	}
	f.Fuzz(func(t *testing.T, doc []byte, raw string) {
		values := []any{raw, map[string]any{raw: []any{raw, json.Number("1")}}}
		if v, err := ParseJSON(doc); err == nil {
			values = append(values, v, map[string]any{raw: v})
			// Normalize records an object's bound when it converts a map
			// (payloadBound then returns it without a walk).
			n, err := Normalize(map[string]any{raw: Plain(v), "k": map[string]any{"v": Plain(v)}})
			if err != nil {
				t.Fatal(err)
			}
			if n.(*Object).bound <= 0 {
				t.Fatalf("Normalize left no bound on %s", toJSON(t, n))
			}
			values = append(values, n)
		}
		for _, v := range values {
			want := wantPayloadSize(t, v)
			if got := PayloadSize(v); got != want {
				t.Fatalf("PayloadSize(%s) = %d, encoding/json says %d", toJSON(t, v), got, want)
			}
			if b := payloadBound(v, 1<<62); b < want {
				t.Fatalf("payloadBound(%s) = %d, below the size %d", toJSON(t, v), b, want)
			}
			// With a small limit the bound may stop early, but only once it
			// is past the limit.
			if b := payloadBound(v, 16); b < want && b <= 16 {
				t.Fatalf("payloadBound(%s, 16) = %d: under the limit, below the size %d", toJSON(t, v), b, want)
			}
		}
	})
}

func TestOverLimitBoundary(t *testing.T) {
	// {"s":"…"} is 8 bytes around the string's content.
	tests := []struct {
		name string
		v    any
		size int
		over bool
	}{
		{"at the limit", map[string]any{"s": strings.Repeat("a", MaxPayloadBytes-8)}, MaxPayloadBytes, false},
		{"one byte over", map[string]any{"s": strings.Repeat("a", MaxPayloadBytes-7)}, MaxPayloadBytes + 1, true},
		{"two-byte characters at the limit", map[string]any{"s": strings.Repeat("é", (MaxPayloadBytes-8)/2)}, MaxPayloadBytes, false},
		{"two-byte characters over", map[string]any{"s": strings.Repeat("é", (MaxPayloadBytes-8)/2) + "a"}, MaxPayloadBytes + 1, true},
		{"escapes count", map[string]any{"s": strings.Repeat("\n", (MaxPayloadBytes-8)/2+1)}, MaxPayloadBytes + 2, true},
		{"'<' counts one byte", map[string]any{"s": strings.Repeat("<", MaxPayloadBytes-8)}, MaxPayloadBytes, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PayloadSize(tt.v); got != tt.size {
				t.Fatalf("PayloadSize = %d, want %d", got, tt.size)
			}
			n, ok := fits(tt.v, 0)
			if ok == tt.over {
				t.Fatalf("fits = %v, want %v", ok, !tt.over)
			}
			if n < int32(min(tt.size, MaxPayloadBytes+1)) {
				t.Errorf("fits bound = %d, below the size %d", n, tt.size)
			}
		})
	}
}

// BenchmarkOverLimit measures the check on a small journey payload (decided
// by the bound) and on one near the limit (the exact size is computed).
func BenchmarkOverLimit(b *testing.B) {
	small := mustJSON(b, `{"trigger":{"kind":"checkout","profile_key":"abc","checkout":{"id":"c1","total":"99.50","lines":[{"title":"Mug","qty":1},{"title":"Tee","qty":2}]}},"profile":{"view":{"email_ok":true,"first_name":"Ada","tags":["vip"]}},"split":{"bucket":42}}`)
	near := map[string]any{"s": strings.Repeat("a", MaxPayloadBytes/6)}
	for _, bc := range []struct {
		name string
		v    any
	}{{"small", small}, {"near-limit", near}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := fits(bc.v, 0); !ok {
					b.Fatal("over")
				}
			}
		})
	}
}

// FuzzStringToJSONBound checks the bound callIntrinsicBound gives the value
// of States.StringToJson: never more than 3 bytes of payload per byte of
// the decoded text.
func FuzzStringToJSONBound(f *testing.F) {
	for _, s := range []string{
		`{"a" : [1, 2.50, -3E+10, "x\n\"y\\\/", true, false, null]}`,
		`"\u00e9\ud83d\ude00\u2028\u0001 \ud800"`,
		"\"\xff\xfe\"",
		`{"email_ok":true,"tags":["vip"],"first_name":"Ada"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := decodeJSONString(s)
		if err != nil {
			return
		}
		if n := PayloadSize(v); n > 3*len(s) {
			t.Fatalf("StringToJson(%q): payload %d bytes, over 3 × %d", s, n, len(s))
		}
		// The intrinsic itself: the bound its object keeps (payloadBound
		// returns it) is not below the size.
		f, err := ParseIntrinsic("States.StringToJson($.s)")
		if err != nil {
			t.Fatal(err)
		}
		w, err := f.eval(&intrinsicEnv{input: norm(map[string]any{"s": s})})
		if err != nil {
			t.Fatalf("StringToJson(%q): %v", s, err)
		}
		if b, n := payloadBound(w, MaxPayloadBytes), PayloadSize(w); b < n && b <= MaxPayloadBytes {
			t.Fatalf("StringToJson(%q): bound %d below the payload size %d", s, b, n)
		}
	})
}
