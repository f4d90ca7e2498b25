package asl

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// lazySeeds are texts for FuzzLazyObject: objects a shape is made of
// (eight members or more) and their variants (other values, other keys,
// white space, more or fewer members), and every kind of text the
// decoder refuses or reads specially.
var lazySeeds = []string{
	`{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace","timezone":"Europe/Paris","consent":{"state":"subscribed","updated_at":"2023-06-01T10:00:00Z"},"subscribed":true,"tags":["newsletter"],"tag":{"newsletter":true},"order_count":2,"total_spent":{"EUR":"180.00"},"average_order_value":{"EUR":"90.00"},"spent":180,"first_order_at":"2023-07-01T10:00:00Z","last_order_at":"2023-12-01T10:00:00Z","last_checkout":{"id":"co-1"},"last_checkout_at":"2023-12-31T23:00:00Z","last_cart_at":"2023-12-31T23:00:00Z","frequency":"repeat"}`,
	`{"email":"b\u00e9@example.com","first_name":"B\"b","last_name":"","timezone":"\ud800","consent":{"state":"x","updated_at":null},"subscribed":false,"tags":[],"tag":{},"order_count":-0.5e+3,"total_spent":{"USD":"1"},"average_order_value":{"EUR":"90.00","USD":1},"spent":0,"first_order_at":"caf\xc3\xa9 \xff","last_order_at":"2023","last_checkout":{"id":"co-1"},"last_checkout_at":"x","last_cart_at":"y","frequency":"z"}`,
	`{"email":"a","first_name":"b","last_name":"c","timezone":"d","consent":1,"subscribed":true,"tags":["a","b"],"tag":2,"order_count":2,"total_spent":3,"average_order_value":4,"spent":5,"first_order_at":"6","last_order_at":"7","last_checkout":{"id":"8"},"last_checkout_at":"9","last_cart_at":"10","frequency":"11"}`,
	`{"email":"a","first_name":"b","last_name":"c","timezone":"d","consent":1,"subscribed":true,"tags":["a","b"],"tag":2,"order_count":2,"total_spent":3,"average_order_value":4,"spent":5,"first_order_at":"6","last_order_at":"7","last_checkout":{"id":"8"},"last_checkout_at":"9","last_cart_at":"10","frequency":"11","extra":1}`,
	`{"email":"a","first_name":"b","last_name":"c","timezone":"d","consent":1,"subscribed":true,"tags":["a","b"],"tag":2,"order_count":2,"total_spent":3,"average_order_value":4,"spent":5,"first_order_at":"6","last_order_at":"7","last_checkout":{"id":"8"},"last_checkout_at":"9","last_cart_at":"10"}`,
	`{ "email" : "a" , "first_name":"b","last_name":"c","timezone":"d","consent":1,"subscribed":true,"tags":["a","b"],"tag":2,"order_count":2 , "total_spent" :3,"average_order_value":4,"spent":5,"first_order_at":"6","last_order_at":"7","last_checkout":{"id":"8"},"last_checkout_at":"9","last_cart_at":"10","frequency":"11"}` + "\n\t",
	`{"email":"a","first_name":"b","last_name":"c","timezone":"d","consent":1,"subscribed":true,"tags":["a","b"],"tag":2,"order_count":2,"total_spent":3,"average_order_value":4,"spent":5,"first_order_at":"6","last_order_at":"7","last_checkout":{"id":"8"},"last_checkout_at":"9","last_cart_at":"10","frequency":"11"`,
	`{"email":"a","first_name":"b","last_name":"c","timezone":"d","consent":1,"subscribed":tru,"tags":["a","b"],"tag":2,"order_count":2,"total_spent":3,"average_order_value":4,"spent":5,"first_order_at":"6","last_order_at":"7","last_checkout":{"id":"8"},"last_checkout_at":"9","last_cart_at":"10","frequency":"11"}`,
	`{"email":"a","first_name":"b","last_name":"c","timezone":"d","consent":1,"subscribed":true,"tags":["a","b"],"tag":2,"order_count":02,"total_spent":3,"average_order_value":4,"spent":5,"first_order_at":"6","last_order_at":"7","last_checkout":{"id":"8"},"last_checkout_at":"9","last_cart_at":"10","frequency":"11"}`,
	`{"email":"a","first_name":"b","last_name":"c","timezone":"d","consent":1,"subscribed":true,"tags":["a","b"],"tag":2,"order_count":2.,"total_spent":3,"average_order_value":4,"spent":1e,"first_order_at":"6","last_order_at":"7","last_checkout":{"id":"8"},"last_checkout_at":"9","last_cart_at":"10","frequency":"11"}`,
	`{"email":"a","first_name":"b","last_name":"c","timezone":"d","consent":1,"subscribed":true,"tags":["a","b"],"tag":2,"order_count":2,"total_spent":3,"average_order_value":4,"spent":5,"first_order_at":"6","last_order_at":"7","last_checkout":{"id":"8"},"last_checkout_at":"9","last_cart_at":"10","frequency":"a` + "\x01" + `b"}`,
	`{"email":"a","first_name":"b","last_name":"c","timezone":"d","consent":1,"subscribed":true,"tags":["a","b"],"tag":2,"order_count":2,"total_spent":3,"average_order_value":4,"spent":5,"first_order_at":"6","last_order_at":"7","last_checkout":{"id":"8"},"last_checkout_at":"9","last_cart_at":"10","frequency":"\x"}`,
	`{"email":"a","first_name":"b","last_name":"c","timezone":"d","consent":1,"subscribed":true,"tags":["a","b"],"tag":2,"order_count":2,"total_spent":3,"average_order_value":4,"spent":5,"first_order_at":"6","last_order_at":"7","last_checkout":{"id":"8"},"last_checkout_at":"9","last_cart_at":"10","frequency":"11"} x`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"a":8}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"a":9}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8}`,
	`{"a\"":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8}`,
	`{"a\u0062":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8}`,
	`{"caf` + "\xc3\xa9" + `":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8}`,
	`{"` + "\xff" + `":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8}`,
	`{"a":[[[[[[1]]]]]],"b":{"c":{"d":{"e":{"f":{}}}}},"c":[],"d":{},"e":-0,"f":1E+2,"g":0.5e-1,"h":[1,"2",true,null,{"x":[]}]}`,
	`{"a":[[[[[[1]]]]]],"b":{"c":{"d":{"e":{"f":{}}}}},"c":[],"d":{},"e":-0,"f":1E+2,"g":0.5e-1,"h":[1,"2",true,null,{"x":[]}]`,
	`{"a":1}`, `{"a":{"b":"c"}}`, `{}`, ` { } `, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{,}`, `{"a":1 "b":2}`, `{"a":1}}`,
	`[1]`, `"x"`, `1`, `true`, `null`, ``, ` `, `{`, `{"`, `{"a`, `{"a"`, `{"a":`, `{"a":1`, `{"a":"\ud83d\ude00 \ud800x"}`,
	`{"a":-}`, `{"a":-01}`, `{"a":1.5e+}`, `{"a":0x1}`, `{"a":nul}`, `{"a":falsey}`, `{"a":"` + "\x7f\x80" + `"}`,
	strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1),
	`{"a":` + strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1) + `}`,
	`{"a":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`,
	`{"a":` + strings.Repeat(`{"b":`, maxJSONDepth-1) + `1` + strings.Repeat("}", maxJSONDepth-1) + `}`,
	`{"a":` + strings.Repeat(`{"b":`, maxJSONDepth) + `1` + strings.Repeat("}", maxJSONDepth) + `}`,
}

// FuzzLazyObject checks a text read lazily (decodeLazy) against its eager
// decode: the same error, and for an object the same values for every
// key (read before anything decodes the object whole), the same absence
// of another key, the same length and the same JSON. Each text is read
// after another one (a), whose object may have made the shape the text
// is matched against, and again (its own shape, if it made one).
func FuzzLazyObject(f *testing.F) {
	for i, s := range lazySeeds {
		f.Add(lazySeeds[0], s)
		f.Add(s, lazySeeds[(i+1)%len(lazySeeds)])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		scanLazy(a)
		checkLazy(t, b)
		checkLazy(t, b)
		checkLazy(t, a)
	})
}

// lazyRead is decodeLazy without lastLazy: the text is scanned each time.
func lazyRead(s string) (any, error) {
	if o := scanLazy(s); o != nil {
		return o, nil
	}
	return decodeJSONIn(s, nil)
}

func TestLazySeeds(t *testing.T) {
	for _, a := range lazySeeds {
		for _, b := range lazySeeds {
			if len(b) > 1000 && a != lazySeeds[0] {
				// The deep texts once, after a profile's shape: they
				// make no shape of their own, and checking them after
				// every seed took most of the package's test time
				// (-race: two minutes).
				continue
			}
			scanLazy(a)
			checkLazy(t, b)
			checkLazy(t, b)
		}
	}
}

func checkLazy(t *testing.T, s string) {
	t.Helper()
	want, wantErr := decodeJSONString(s)
	got, gotErr := lazyRead(s)
	if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
		t.Fatalf("%q: lazy error %v, decodeJSONString error %v", s, gotErr, wantErr)
	}
	if wantErr == nil {
		compareLazy(t, s, want, got, 0)
	}
	// decodeLazy: the same, read again.
	for range 2 {
		got, gotErr := decodeLazy(s, nil)
		if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
			t.Fatalf("%q: decodeLazy error %v, decodeJSONString error %v", s, gotErr, wantErr)
		}
		if wantErr == nil {
			compareLazy(t, s, want, got, 0)
		}
	}
}

// compareLazy compares a lazily read value with the eager one: for a
// lazy object, its members one by one first.
func compareLazy(t *testing.T, s string, want, got any, depth int) {
	t.Helper()
	if w, ok := want.(*Object); ok {
		g, ok := got.(*Object)
		if !ok {
			t.Fatalf("%q: lazy %T, eager *Object", s, got)
		}
		if g.lazy != nil && depth < 4 {
			// A nested object read again may be decoded already.
			decoded := g.lazy.decoded.Load() != nil
			for round := range 2 {
				for k, wv := range w.All() {
					var gv any
					var found bool
					if round == 0 {
						gv, found = g.Get(k)
					} else {
						var hint int32
						if gv, found = g.getHinted(k, &hint); found {
							gv, found = g.getHinted(k, &hint) // at the hint
						}
					}
					if !found {
						t.Fatalf("%q: lazy Get(%q) not found", s, k)
					}
					compareLazy(t, s, wv, gv, depth+1)
				}
				for _, k := range []string{"missing", "", "a\"", "email"} {
					wv, wf := w.Get(k)
					gv, gf := g.Get(k)
					if wf != gf {
						t.Fatalf("%q: Get(%q) found: lazy %v, eager %v", s, k, gf, wf)
					}
					if wf {
						compareLazy(t, s, wv, gv, depth+1)
					}
				}
			}
			if !decoded && g.lazy.decoded.Load() != nil {
				t.Fatalf("%q: reading members decoded the lazy object whole", s)
			}
		}
		if w.Len() != g.Len() {
			t.Fatalf("%q: Len lazy %d, eager %d", s, g.Len(), w.Len())
		}
	}
	wj, werr := appendJSON(nil, want)
	gj, gerr := appendJSON(nil, got)
	if werr != nil || gerr != nil || !bytes.Equal(wj, gj) {
		t.Fatalf("%q: JSON lazy %s (%v), eager %s (%v)", s, gj, gerr, wj, werr)
	}
	if !jsonEqual(want, got) {
		t.Fatalf("%q: lazy %s not jsonEqual to eager", s, gj)
	}
}

// lazyObjectOf reads s lazily, twice: the second time through the shape
// the first made, if s has the members for one.
func lazyObjectOf(t *testing.T, s string) *Object {
	t.Helper()
	scanLazy(s)
	v, err := lazyRead(s)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := v.(*Object)
	if !ok || o.lazy == nil {
		t.Fatalf("%q: not lazy: %#v", s, v)
	}
	return o
}

func TestLazyDuplicates(t *testing.T) {
	for _, s := range []string{
		`{"a":1,"b":2,"a":3}`,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"a":3}`,
		`{"a":{"x":1},"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"a":3}`,
	} {
		o := lazyObjectOf(t, s)
		if o.lazy.unique {
			t.Fatalf("%q: unique", s)
		}
		var hint int32 // at the first a
		for range 2 {
			if v, ok := o.getHinted("a", &hint); !ok || v != any(jsonNumber("3")) {
				t.Fatalf("%q: a = %v, %v; want the last, 3", s, v, ok)
			}
		}
		if v, ok := o.Get("a"); !ok || v != any(jsonNumber("3")) {
			t.Fatalf("%q: a = %v, %v; want the last, 3", s, v, ok)
		}
		checkLazy(t, s)
	}
}

func jsonNumber(s string) any { v, _ := decodeJSONString(s); return v }

// TestLazyShapedVariants reads texts of one shape that depart from it in
// one member (a value of another kind, an array of another length, a
// string with escapes) or more (white space, other keys, more or fewer
// members): the values are always the eager decode's.
func TestLazyShapedVariants(t *testing.T) {
	base := lazySeeds[0]
	lazyObjectOf(t, base)
	for _, r := range [][2]string{
		{`"tags":["newsletter"]`, `"tags":["newsletter","vip"]`},
		{`"tags":["newsletter"]`, `"tags":[]`},
		{`"subscribed":true`, `"subscribed":"yes"`},
		{`"subscribed":true`, `"subscribed": true`},
		{`"order_count":2`, `"order_count":-2.5e3`},
		{`"order_count":2`, `"order_count":2 `},
		{`"first_name":"Ada"`, `"first_name":"A\u00e9da\n"`},
		{`"first_name":"Ada"`, `"first_name":"` + "\xe9" + `"`},
		{`"first_name":"Ada"`, `"first_name":"` + "\x01" + `"`},
		{`"total_spent":{"EUR":"180.00"}`, `"total_spent":{"USD":"180.00"}`},
		{`"total_spent":{"EUR":"180.00"}`, `"total_spent":{"EUR":"180.00","USD":"1"}`},
		{`"frequency":"repeat"}`, `"frequency":"repeat","x":1}`},
		{`,"frequency":"repeat"}`, `}`},
		{`"email"`, `"emails"`},
		{`"last_checkout":{"id":"co-1"}`, `"last_checkout":{"id":"co-1"`},
	} {
		s := strings.Replace(base, r[0], r[1], 1)
		if s == base {
			t.Fatalf("%s: not in the base", r[0])
		}
		checkLazy(t, s)
		checkLazy(t, base) // the base's shape is still the one kept
	}
}

// TestLazyConcurrent reads one lazy object from many goroutines at once
// (go test -race): members, a nested object, its decode whole.
func TestLazyConcurrent(t *testing.T) {
	o := lazyObjectOf(t, lazySeeds[0])
	want, _ := decodeJSONString(lazySeeds[0])
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var hint int32
			for i := range 200 {
				for _, k := range []string{"last_order_at", "subscribed", "last_checkout", "order_count", "email"} {
					v, ok := o.getHinted(k, &hint)
					w, _ := want.(*Object).Get(k)
					if !ok || !jsonEqual(v, w) {
						t.Errorf("%s = %v, want %v", k, v, w)
						return
					}
					if lc, ok := v.(*Object); ok {
						if id, _ := lc.Get("id"); id != any("co-1") {
							t.Errorf("last_checkout.id = %v", id)
							return
						}
					}
				}
				if g%4 == 0 && i == 100 {
					if o.Len() != 18 {
						t.Errorf("Len %d", o.Len())
					}
				}
			}
		}()
	}
	wg.Wait()
	if !jsonEqual(o, want) {
		t.Fatal("the lazy object is not the eager one")
	}
}

// TestLazyBound: States.StringToJson's object keeps the bound its text
// gives (3 bytes per byte), so that payloadBound reads it without
// decoding the object.
func TestLazyBound(t *testing.T) {
	s := strings.Replace(lazySeeds[0], "Ada", "Bound", 1) // not read before
	lazyObjectOf(t, s)
	f, err := ParseIntrinsic("States.StringToJson($.s)")
	if err != nil {
		t.Fatal(err)
	}
	in, _ := Normalize(map[string]any{"s": s})
	v, err := f.eval(&intrinsicEnv{input: in})
	if err != nil {
		t.Fatal(err)
	}
	o, ok := v.(*Object)
	if !ok || o.lazy == nil {
		t.Fatalf("not lazy: %#v", v)
	}
	if o.bound != int32(3*len(s)) {
		t.Fatalf("bound %d, want %d", o.bound, 3*len(s))
	}
	if b := payloadBound(o, MaxPayloadBytes); b != 3*len(s) {
		t.Fatalf("payloadBound %d, want %d", b, 3*len(s))
	}
	if o.lazy.decoded.Load() != nil {
		t.Fatal("payloadBound decoded the lazy object")
	}
	if n := PayloadSize(o); n > int(o.bound) {
		t.Fatalf("PayloadSize %d over the bound %d", n, o.bound)
	}
}
