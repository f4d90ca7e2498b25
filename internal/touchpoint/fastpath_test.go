package touchpoint

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The decoders' fast paths (perf work, issue 9) must give exactly what the
// straightforward code they replaced gives. The reference implementations
// below are that code, kept verbatim.

func checkDepthRef(b []byte) error {
	depth, inStr, esc := 0, false, false
	for _, c := range b {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
			if depth > MaxDepth {
				return &InputError{Reason: "JSON nested deeper than 32 levels"}
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

func unquoteRef(b []byte) (string, error) {
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

func timeRef(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05", s)
	}
	return t, err
}

func headersRef(m map[string]string) http.Header {
	h := make(http.Header, len(m))
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}

var depthSeeds = []string{
	`{}`, `[]`, `{"a":"{[{["}`, `"\\"[[[`, `"\"[[["`, `"\\\"[[[" [`, `{"a":"x\\\\"}`, `"unterminated [[[`,
	strings.Repeat("[", 32) + strings.Repeat("]", 32), strings.Repeat("[", 33),
	strings.Repeat("[", 31) + `"` + strings.Repeat("[", 10) + `"` + "[[", strings.Repeat("[", 31) + `"\"` + "[[[",
	strings.Repeat("[", 31) + `"\\"` + "[[[", `]]]]` + strings.Repeat("{", 33), `"a\` + `"` + strings.Repeat("{", 40),
}

func TestCheckDepthMatchesReference(t *testing.T) {
	for _, s := range depthSeeds {
		t.Run(s, func(t *testing.T) {
			got, want := checkDepth([]byte(s)), checkDepthRef([]byte(s))
			if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
				t.Fatalf("checkDepth(%q) = %v, reference %v", s, got, want)
			}
		})
	}
}

func FuzzCheckDepth(f *testing.F) {
	for _, s := range depthSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := checkDepth(b), checkDepthRef(b)
		if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
			t.Fatalf("checkDepth(%q) = %v, reference %v", b, got, want)
		}
	})
}

var quoteSeeds = []string{
	`""`, `"a"`, `"Bob@Example.com"`, `"caf\u00e9"`, `"café"`, "\"a\xffb\"", `"a\"b"`, `"a\\b"`, `"\n"`, "\"\x01\"",
	`"\u2028"`, "\"\u2028\"", `"unterminated`, `"`, `"a"b"`, `"ok" `, "\"\xed\xa0\x80\"", `"日本"`,
}

func TestUnquoteMatchesJSON(t *testing.T) {
	for _, s := range quoteSeeds {
		t.Run(s, func(t *testing.T) {
			got, err := unquote([]byte(s))
			want, wantErr := unquoteRef([]byte(s))
			if got != want || (err == nil) != (wantErr == nil) {
				t.Fatalf("unquote(%q) = %q, %v; json.Unmarshal gives %q, %v", s, got, err, want, wantErr)
			}
		})
	}
}

func FuzzUnquote(f *testing.F) {
	for _, s := range quoteSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := unquote(b)
		want, wantErr := unquoteRef(b)
		if got != want || (err == nil) != (wantErr == nil) {
			t.Fatalf("unquote(%q) = %q, %v; json.Unmarshal gives %q, %v", b, got, err, want, wantErr)
		}
	})
}

var timeSeeds = []string{
	"2025-11-18T20:40:58Z", "2025-11-18T20:40:58", "2025-11-18T20:40:58.123", "2025-11-18T20:40:58.123Z",
	"2025-11-18T20:40:58+01:00", "2025-11-18T20:40:58-05:00", "2025-11-18T20:40:58.5-05:00", "2025-11-18T20:40:58z",
	"2025-11-18", "2025-11-18T20:40", "2025-11-18T20:40:58+0100", "2025-11-18T20:40:58 +01:00", "x", "",
	"2025-11-18T20:40:58,5", "2025-11-18T24:00:00Z", "2025-02-30T20:40:58", "-0001-11-18T20:40:58",
}

func TestTimeMatchesReference(t *testing.T) {
	for _, s := range timeSeeds {
		t.Run(s, func(t *testing.T) {
			checkTime(t, s)
		})
	}
}

func checkTime(t *testing.T, s string) {
	c := &conv{}
	got := c.time(f("t"), s)
	want, err := timeRef(s)
	switch {
	case s == "":
		if !got.IsZero() || c.err != nil {
			t.Fatalf("time(%q) = %v, %v", s, got, c.err)
		}
	case err != nil:
		if c.err == nil {
			t.Fatalf("time(%q) = %v, reference error %v", s, got, err)
		}
	case c.err != nil || !got.Equal(want.UTC()) || got.Location() != time.UTC:
		t.Fatalf("time(%q) = %v, %v; reference %v", s, got, c.err, want.UTC())
	}
}

func FuzzTime(f *testing.F) {
	for _, s := range timeSeeds {
		f.Add(s)
	}
	f.Fuzz(checkTime)
}

func TestHeadersFromMatchesSet(t *testing.T) {
	cases := []map[string]string{
		{},
		{"x-shopify-topic": "orders/create", "x-shopify-hmac-sha256": "abc=", "content-type": "application/json"},
		{"x-wc-webhook-id": "12", "x-wc-webhook-source": "https://s.example/", "x-custom-thing": "1", "x_under": "2"},
		{"X-Shopify-Topic": "a", "webhook-id": "msg", "WEBHOOK-TIMESTAMP": "1", "weird name": "x", "": "empty"},
	}
	for i, m := range cases {
		got, want := HeadersFrom(m), headersRef(m)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: HeadersFrom = %v, Set gives %v", i, got, want)
		}
		// Values share a backing array: adding to one must not change another.
		for k := range got {
			got.Add(k, "added")
		}
		for k, v := range want {
			if got[k][0] != v[0] || len(got[k]) != 2 {
				t.Fatalf("case %d: after Add, %s = %v", i, k, got[k])
			}
		}
	}
	for lower, canon := range canonicalNames {
		if lower != strings.ToLower(canon) || canon != http.CanonicalHeaderKey(lower) {
			t.Errorf("canonicalNames[%q] = %q", lower, canon)
		}
	}
}

// A reused HMAC state gives what a fresh hmac.New gives, also when
// several requests verify at once (run with -race).
func TestMACKeyMatchesHMAC(t *testing.T) {
	k := newMACKey([]byte(DevShopifySecret))
	bodies := [][]byte{nil, []byte("{}"), []byte(strings.Repeat("body ", 100))}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				body := bodies[(g+i)%len(bodies)]
				prefix := []byte("msg_" + strconv.Itoa(i) + ".")
				m := hmac.New(sha256.New, []byte(DevShopifySecret))
				m.Write(prefix)
				m.Write(body)
				if got, want := k.sum(nil, prefix, body), m.Sum(nil); !hmac.Equal(got, want) {
					t.Errorf("sum(%q, %q) = %x, want %x", prefix, body, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
