package asl

import (
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestBoxedString: boxedString's values behave as ordinary strings at every
// size (type switches, ==, map keys, reflect.DeepEqual, encoding/json), and
// survive garbage collection with only the string kept.
func TestBoxedString(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 47, 48, 49, 112, 113, 240, 241, 1000} {
		want := strings.Repeat("é", n)[:n] // not valid UTF-8 at odd n: bytes are copied as they are
		v := boxedString([]byte(want))
		s, ok := v.(string)
		if !ok || s != want || v != any(want) || !reflect.DeepEqual(v, any(want)) {
			t.Fatalf("n=%d: %#v", n, v)
		}
		m := map[any]int{want: 1}
		if m[v] != 1 {
			t.Fatalf("n=%d: not found as a map key", n)
		}
		j1, _ := json.Marshal(v)
		j2, _ := json.Marshal(want)
		if string(j1) != string(j2) {
			t.Fatalf("n=%d: json %s, want %s", n, j1, j2)
		}
		v = nil
		runtime.GC()
		if s != want {
			t.Fatalf("n=%d: changed after GC", n)
		}
	}
}

// TestFormatOneAllocation: States.Format's result costs one allocation (up
// to 240 bytes of text), its arguments written as before.
func TestFormatOneAllocation(t *testing.T) {
	f, err := ParseIntrinsic(`States.Format('PROFILE#{}:{}:{}:{}:{}', $.k, $.n, $.b, $.z, $.f)`)
	if err != nil {
		t.Fatal(err)
	}
	in, err := Normalize(map[string]any{"k": "abc", "n": json.Number("12.50"), "b": true, "z": nil, "f": 1.5})
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.eval(&intrinsicEnv{input: in})
	if err != nil || v != any("PROFILE#abc:12.50:true:null:1.5") {
		t.Fatalf("%#v %v", v, err)
	}
	g, err := ParseIntrinsic(`States.Format($.t, $.a, $.b)`)
	if err != nil {
		t.Fatal(err)
	}
	args := []any{"x#{}-{}", "abc", json.Number("42")}
	allocs := testing.AllocsPerRun(100, func() {
		if v, err := fnFormat(nil, args, g); err != nil || v != any("x#abc-42") {
			t.Fatalf("%#v %v", v, err)
		}
	})
	if allocs != 1 {
		t.Errorf("%v allocations per call, want 1", allocs)
	}
}
