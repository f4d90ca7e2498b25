package asl

import (
	"strings"
	"testing"
)

func TestPathEval(t *testing.T) {
	doc := `{"a":{"b":[10,20,30,{"c":"x"}],"k.y":1,"n":null},"list":[{"p":1,"q":"a"},{"p":5,"q":"b"},{"p":3}],"big":12345678901234567890}`
	tests := []struct {
		path, want string
		found      bool
	}{
		{"$", doc, true},
		{"$.a.b[1]", `20`, true},
		{"$.a.b[-1].c", `"x"`, true},
		{"$['a']['k.y']", `1`, true},
		{`$["a"].n`, `null`, true},
		{"$.big", `12345678901234567890`, true},
		{"$.a.missing", ``, false},
		{"$.a.b[9]", ``, false},
		{"$.a.b.c", ``, false},
		{"$.a.b[*]", `[10,20,30,{"c":"x"}]`, true},
		{"$.a.b[0,2]", `[10,30]`, true},
		{"$.a.b[1:3]", `[20,30]`, true},
		{"$.a.b[:2]", `[10,20]`, true},
		{"$.a.b[::2]", `[10,30]`, true},
		{"$.list[*].p", `[1,5,3]`, true},
		{"$..c", `["x"]`, true},
		{"$..p", `[1,5,3]`, true},
		{"$.list[?(@.p > 2)].p", `[5,3]`, true},
		{"$.list[?(@.q == 'b')].p", `[5]`, true},
		{"$.list[?(@.q)].p", `[1,5]`, true},
		{"$.list[?(@.p >= 3 && !(@.q == 'b'))].p", `[3]`, true},
		{"$.nothing[*]", `[]`, true},
		{"$['a','list'][0]", `[{"p":1,"q":"a"}]`, true},
	}
	root := mustJSON(t, doc)
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p, err := ParsePath(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			v, ok := p.Eval(root, nil)
			if ok != tc.found {
				t.Fatalf("found = %v, want %v", ok, tc.found)
			}
			if ok {
				got := toJSON(t, v)
				if tc.path == "$" {
					if !jsonEqual(v, root) {
						t.Fatalf("$ = %s", got)
					}
					return
				}
				if got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
			}
		})
	}
}

func TestPathContext(t *testing.T) {
	p, err := ParsePath("$$.Execution.Name")
	if err != nil {
		t.Fatal(err)
	}
	v, ok := p.Eval(nil, norm(map[string]any{"Execution": map[string]any{"Name": "n1"}}))
	if !ok || v != "n1" || !p.Context() || !p.Definite() {
		t.Fatalf("%v %v", v, ok)
	}
}

func TestParsePathErrors(t *testing.T) {
	tests := []struct{ path, err string }{
		{"a.b", `invalid path "a.b": must start with '$'`},
		{"$.", `invalid path "$.": empty field name at offset 2`},
		{"$.a[", `invalid path "$.a[": unterminated '['`},
		{"$.a[1", `invalid path "$.a[1": unterminated '['`},
		{"$['a", `invalid path "$['a": unterminated string`},
		{"$.a]", `invalid path "$.a]": unexpected "]" at offset 3`},
		{"$[]", `invalid path "$[]": empty brackets`},
		{"$[?(@.a ==)]", `invalid path "$[?(@.a ==)]": bad filter operand ""`},
		{"$x", `invalid path "$x": unexpected "x" at offset 1`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			_, err := ParsePath(tc.path)
			if err == nil || err.Error() != tc.err {
				t.Fatalf("err = %v, want %s", err, tc.err)
			}
		})
	}
}

func TestSetPath(t *testing.T) {
	tests := []struct{ in, path, want, err string }{
		{`{"a":1}`, "$.b", `{"a":1,"b":"v"}`, ""},
		{`{"a":{"x":1}}`, "$.a.y", `{"a":{"x":1,"y":"v"}}`, ""},
		{`{}`, "$.a.b.c", `{"a":{"b":{"c":"v"}}}`, ""},
		{`{"l":[1,2]}`, "$.l[1]", `{"l":[1,"v"]}`, ""},
		{`{"a":"s"}`, "$.a.b", "", `cannot set field "b" on a string`},
		{`{"l":[1]}`, "$.l[3]", "", `index 3 out of range`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			in := mustJSON(t, tc.in)
			before := toJSON(t, in)
			p, err := ParsePath(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			out, err := setPath(&objectArena{}, in, p.segs, "v")
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := toJSON(t, out); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			if after := toJSON(t, in); after != before {
				t.Fatalf("input mutated: %s", after)
			}
		})
	}
}

func FuzzPath(f *testing.F) {
	for _, s := range []string{"$", "$.a.b[1]", "$['x'][*]", "$..c", "$.l[?(@.p > 2 && @.q == 'b')]", "$[1:3:2]", "$$.Map.Item.Value", "$.a[-1]", "$[0,1]"} {
		f.Add(s)
	}
	root := norm(map[string]any{"a": map[string]any{"b": []any{"x", "y"}}, "l": []any{map[string]any{"p": intNumber(3)}}})
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid path ") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		v, ok := p.Eval(root, root)
		if !p.Definite() && (!ok || v == nil) {
			t.Fatalf("indefinite path %q gave %v, %v", s, v, ok)
		}
		if p.Definite() && !p.Context() {
			if _, err := setPath(nil, root, p.segs, "z"); err == nil {
				if got, ok := p.Eval(mustSet(t, root, p), nil); !ok || got != "z" {
					t.Fatalf("set then get %q: %v %v", s, got, ok)
				}
			}
		}
	})
}

func mustSet(t *testing.T, root any, p *Path) any {
	out, err := setPath(nil, root, p.segs, "z")
	if err != nil {
		t.Fatal(err)
	}
	return out
}
