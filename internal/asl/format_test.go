package asl

import (
	"encoding/json"
	"fmt"
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

// formatReference is States.Format with a string literal template (raw: as
// written between the quotes) as the engine wrote it before templates were
// split when parsed: one walk of the text per call.
func formatReference(raw string, args []any) (string, string) {
	var b []byte
	next := 1
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) {
			b = append(b, raw[i+1])
			i++
			continue
		}
		if c == '{' && i+1 < len(raw) && raw[i+1] == '}' {
			if next >= len(args)+1 {
				return "", fmt.Sprintf("States.Format: the template has more {} placeholders than arguments (%d)", len(args))
			}
			a := args[next-1]
			next++
			switch x := a.(type) {
			case string:
				b = append(b, x...)
			default:
				if _, ok := x.(bool); x != nil && !isNumber(x) && !ok {
					return "", fmt.Sprintf("States.Format: argument %d must be a string, number, boolean or null, got %s", next, typeName(x))
				}
				b, _ = appendJSON(b, x)
			}
			i++
			continue
		}
		b = append(b, c)
	}
	if next != len(args)+1 {
		return "", fmt.Sprintf("States.Format: the template has %d {} placeholder(s) but %d argument(s) follow it", next-1, len(args))
	}
	return string(b), ""
}

// TestFormatSplit: a literal template split when parsed formats as the
// template walked per call did, escapes, placeholders and errors (in the
// same order) included.
func TestFormatSplit(t *testing.T) {
	templates := []string{
		``, `x`, `{}`, `{}{}`, `a{}b{}c`, `{{}}`, `{}}`, `{`, `}`, `{ }`,
		`\{}`, `{\}`, `\{\}{}`, `\\{}`, `\\\{}`, `\'{}\'`, `a\`, `{}\`, `\\`,
		`PROFILE#{}`, `ORDER#{}#{}`, `é{}ü`,
	}
	argLists := [][]any{
		nil,
		{"s"},
		{"s", json.Number("1.50")},
		{true, nil, json.Number("-2")},
		{"a", "b", "c"},
		{map[string]any{}},                      // not allowed
		{"ok", []any{}},                         // not allowed second
		{strings.Repeat("long", 80), "x"},       // beyond the stack buffer
		{json.Number("1"), emptyObject, "late"}, // a bad type before too few
	}
	for _, raw := range templates {
		src := "States.Format('" + raw + "'"
		for i, args := range argLists {
			call := src
			in := map[string]any{}
			for j, a := range args {
				k := fmt.Sprintf("a%d", j)
				in[k] = a
				call += ", $." + k
			}
			call += ")"
			f, err := ParseIntrinsic(call)
			if err != nil {
				if strings.HasSuffix(raw, `\`) && !strings.HasSuffix(raw, `\\`) {
					continue // the quote is escaped: an unterminated literal
				}
				t.Fatalf("%s: %v", call, err)
			}
			if f.format == nil {
				t.Fatalf("%s: the template was not split", call)
			}
			input, err := Normalize(in)
			if err != nil {
				t.Fatal(err)
			}
			nargs := make([]any, len(args))
			for j := range args {
				nargs[j], _ = input.(*Object).Get(fmt.Sprintf("a%d", j))
			}
			want, wantErr := formatReference(raw, nargs)
			got, err := f.eval(&intrinsicEnv{input: input})
			if wantErr != "" {
				if err == nil || err.(*Error).Cause != wantErr {
					t.Errorf("%s (args %d): got %#v, %v; want error %q", call, i, got, err, wantErr)
				}
				continue
			}
			if err != nil || got != any(want) {
				t.Errorf("%s (args %d): got %#v, %v; want %q", call, i, got, err, want)
			}
		}
	}
}

// TestFormatNotSplit: a template that is not a string literal is not split
// and still formats (or fails) when called.
func TestFormatNotSplit(t *testing.T) {
	for _, tc := range []struct{ call, want, err string }{
		{`States.Format($.t, $.a)`, `x\zy`, ""}, // no escapes in a template from the input
		{`States.Format(1, 'a')`, "", "States.Format: argument 1 must be a string, got number"},
		{`States.Format(States.Format('{}\{\}', 'a'), 'b')`, "ab", ""},
	} {
		f, err := ParseIntrinsic(tc.call)
		if err != nil {
			t.Fatal(err)
		}
		if f.format != nil {
			t.Errorf("%s: split", tc.call)
		}
		in, _ := Normalize(map[string]any{"t": `x\{}y`, "a": "z"})
		got, err := f.eval(&intrinsicEnv{input: in, args: make([]any, 0, 8)})
		if tc.err != "" {
			if err == nil || err.(*Error).Cause != tc.err {
				t.Errorf("%s: got %#v, %v; want error %q", tc.call, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != any(tc.want) {
			t.Errorf("%s: got %#v, %v; want %q", tc.call, got, err, tc.want)
		}
	}
}
