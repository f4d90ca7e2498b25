package asl

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestObjectFromMap checks that an Object made from a map (Normalize) has
// the map's members in key order, for keys that share long prefixes, hold
// NUL bytes, are empty or not UTF-8, at every size to 40.
func TestObjectFromMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"", "a", "b", "\x00", "last_", "last_order", "é", "\xff"}
	for n := 0; n <= 40; n++ {
		for range 50 {
			m := map[string]any{}
			for i := range n {
				var k strings.Builder
				for range rng.IntN(4) {
					k.WriteString(alphabet[rng.IntN(len(alphabet))])
				}
				m[k.String()] = i
			}
			o := objectFromMap(m)
			if !slices.IsSortedFunc(o.ms, func(a, b Member) int { return strings.Compare(a.Key, b.Key) }) {
				t.Fatalf("n=%d: not in key order: %v", n, o.ms)
			}
			if got := Plain(o); !reflect.DeepEqual(got, m) {
				t.Fatalf("n=%d: members %v, map %v", n, got, m)
			}
		}
	}
}

// TestObjectOf checks that a repeated key keeps its last value and the
// result is sorted, whatever the order given.
func TestObjectOf(t *testing.T) {
	o := objectOf([]Member{{"b", "1"}, {"a", "2"}, {"b", "3"}, {"c", "4"}, {"a", "5"}})
	if got := o.String(); got != `{"a":"5","b":"3","c":"4"}` {
		t.Fatalf("objectOf = %s", got)
	}
	if o := objectOf(nil); o.Len() != 0 || o.String() != "{}" {
		t.Fatalf("objectOf(nil) = %s", o)
	}
	// Against a map built in the same order (last value wins), at every
	// size past the permutation sort's limit of 32.
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 40; n++ {
		for range 50 {
			ms := make([]Member, n)
			want := map[string]any{}
			for i := range ms {
				k := strings.Repeat("k", rng.IntN(3)) + string(rune('a'+rng.IntN(12)))
				ms[i] = Member{k, json.Number(strconv.Itoa(i))}
				want[k] = ms[i].Value
			}
			o := objectOf(ms)
			if got := Plain(o); !reflect.DeepEqual(got, want) {
				t.Fatalf("n=%d: objectOf = %v, want %v", n, got, want)
			}
			if !slices.IsSortedFunc(o.ms, func(a, b Member) int { return strings.Compare(a.Key, b.Key) }) {
				t.Fatalf("n=%d: not sorted: %s", n, o)
			}
		}
	}
}

// TestObjectWith checks that with adds a key in its place or replaces its
// value, and leaves the object it copies as it was.
func TestObjectWith(t *testing.T) {
	o := norm(map[string]any{"b": "1", "d": "2"}).(*Object)
	cases := []struct{ key, want string }{
		{"a", `{"a":true,"b":"1","d":"2"}`},
		{"c", `{"b":"1","c":true,"d":"2"}`},
		{"e", `{"b":"1","d":"2","e":true}`},
		{"b", `{"b":true,"d":"2"}`},
	}
	// Without an arena, and from one arena: objects carved from one block
	// must not share members (each is checked again after all are made,
	// across more blocks than one).
	for _, a := range []*objectArena{nil, {}} {
		var made []*Object
		for range arenaMembers {
			for _, c := range cases {
				made = append(made, o.with(a, c.key, true))
			}
		}
		for i, got := range made {
			if c := cases[i%len(cases)]; got.String() != c.want {
				t.Fatalf("arena %v: with(%q) = %s, want %s", a != nil, c.key, got, c.want)
			}
		}
	}
	if o.String() != `{"b":"1","d":"2"}` {
		t.Errorf("the original changed: %s", o)
	}
	var none *Object
	if got := none.with(nil, "k", "v").String(); got != `{"k":"v"}` {
		t.Errorf("nil.with = %s", got)
	}
	for n := range 40 {
		ms := make([]Member, n)
		for i := range ms {
			ms[i] = Member{string(rune('A' + i)), i}
		}
		o := objectOf(ms)
		for i := range n {
			if v, ok := o.Get(string(rune('A' + i))); !ok || v != i {
				t.Fatalf("n=%d: Get(%q) = %v, %v", n, rune('A'+i), v, ok)
			}
		}
		if _, ok := o.Get("~"); ok || o.Len() != n {
			t.Fatalf("n=%d: Len %d", n, o.Len())
		}
	}
}

// FuzzAppendJSON checks appendJSON (the engine's writer, used by
// States.JsonToString, history and MarshalJSON) against encoding/json with
// HTML escaping off, on every document the decoder accepts, and that
// json.Marshal of a value holding Objects writes what it writes for the
// same value with maps.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"<&>":"\u2028\u2029\u0001\u007f","z":{"y":[{"x":1e5}]},"":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeJSON(b)
		if err != nil {
			return
		}
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(Plain(v)); err != nil {
			t.Fatal(err)
		}
		if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
			t.Fatalf("appendJSON %s, encoding/json %s", got, w)
		}
		m1, err1 := json.Marshal([]any{v})
		m2, err2 := json.Marshal([]any{Plain(v)})
		if err1 != nil || err2 != nil || !bytes.Equal(m1, m2) {
			t.Fatalf("json.Marshal: Objects %s (%v), maps %s (%v)", m1, err1, m2, err2)
		}
	})
}

// TestAppendJSONNumbers checks numbers are written as encoding/json writes
// json.Number: an empty one as 0, an invalid one an error.
func TestAppendJSONNumbers(t *testing.T) {
	for _, c := range []struct {
		n    json.Number
		want string
	}{{"", "0"}, {"-0.5e+10", "-0.5e+10"}, {"12", "12"}, {"1.", ""}, {"01", ""}, {"1e", ""}, {"+1", ""}, {"-", ""}, {"1e+", ""}} {
		got, err := appendJSON(nil, c.n)
		_, stdErr := json.Marshal(c.n)
		if (err != nil) != (stdErr != nil) || (err == nil && string(got) != c.want) {
			t.Errorf("appendJSON(%q) = %q, %v; encoding/json error %v", c.n, got, err, stdErr)
		}
	}
}

// TestPlainAndNormalize checks the two conversions are inverse.
func TestPlainAndNormalize(t *testing.T) {
	in := map[string]any{"a": []any{map[string]any{"b": json.Number("1")}, "x"}, "c": map[string]any{}, "d": nil}
	v := norm(in)
	if _, ok := v.(*Object); !ok {
		t.Fatalf("Normalize gave %T", v)
	}
	if got := Plain(v); !reflect.DeepEqual(got, in) {
		t.Fatalf("Plain(Normalize(v)) = %#v", got)
	}
	if again := norm(v); again != v {
		t.Error("Normalize of an Object copied it")
	}
}

// TestGetHinted: a path segment's hint (where its name was found last)
// never gives a wrong value: objects where the name sits elsewhere, is
// missing, or where the hint is past the end, alternate with ones where the
// hint is right, and every read agrees with Get.
func TestGetHinted(t *testing.T) {
	objs := []*Object{
		norm(map[string]any{"a": "1", "k": "2", "z": "3"}).(*Object),
		norm(map[string]any{"k": "4"}).(*Object),
		norm(map[string]any{"a": "5", "b": "6", "c": "7", "d": "8", "e": "9", "f": "10", "g": "11", "h": "12", "i": "13", "k": "14"}).(*Object),
		norm(map[string]any{"a": "15"}).(*Object),
		norm(map[string]any{"a": "16", "kk": "17", "z": "18"}).(*Object),
		emptyObject,
		nil,
	}
	var hint int32
	for round := range 3 {
		for i, o := range objs {
			want, wantOK := o.Get("k")
			got, ok := o.getHinted("k", &hint)
			if got != want || ok != wantOK {
				t.Fatalf("round %d, object %d: getHinted = %v %v, Get = %v %v", round, i, got, ok, want, wantOK)
			}
		}
	}
}
