package asl

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestIntrinsics(t *testing.T) {
	input := mustJSON(t, `{"name":"Ada","n":3,"f":1.5,"arr":[1,2,2,"a",{"k":1},{"k":1}],"obj":{"a":1,"b":2},"obj2":{"b":3},"json":"{\"x\":[1,2]}","s":"a,b,,c"}`)
	tests := []struct{ expr, want, err string }{
		{`States.Format('Hello {}, you have {} orders', $.name, $.n)`, `"Hello Ada, you have 3 orders"`, ""},
		{`States.Format('PROFILE#{}', $.name)`, `"PROFILE#Ada"`, ""},
		{`States.Format('esc \{\} \' \\ {}', true)`, `"esc {} ' \\ true"`, ""},
		{`States.Format('{} {}', null, 1.5)`, `"null 1.5"`, ""},
		{`States.Format('{}', $.obj)`, ``, "States.Format: argument 2 must be a string, number, boolean or null, got object"},
		{`States.Format('{} {}', 'a')`, ``, "States.Format: the template has more {} placeholders than arguments (1)"},
		{`States.Format('x', 'a')`, ``, "States.Format: the template has 0 {} placeholder(s) but 1 argument(s) follow it"},
		{`States.StringToJson($.json)`, `{"x":[1,2]}`, ""},
		{`States.StringToJson('nope')`, ``, "States.StringToJson: the string is not valid JSON: invalid character 'o' in literal null (expecting 'u')"},
		{`States.JsonToString($.obj)`, `"{\"a\":1,\"b\":2}"`, ""},
		{`States.Array(1, 'two', $.obj, States.Array())`, `[1,"two",{"a":1,"b":2},[]]`, ""},
		{`States.ArrayPartition($.arr, 4)`, `[[1,2,2,"a"],[{"k":1},{"k":1}]]`, ""},
		{`States.ArrayPartition($.arr, 0)`, ``, "States.ArrayPartition: the chunk size must be a positive integer, got 0"},
		{`States.ArrayContains($.arr, $.obj2)`, `false`, ""},
		{`States.ArrayContains($.arr, 2.0)`, `true`, ""},
		{`States.ArrayRange(1, 9, 2)`, `[1,3,5,7,9]`, ""},
		{`States.ArrayRange(5, 1, -2)`, `[5,3,1]`, ""},
		{`States.ArrayRange(1, 2, 0)`, ``, "States.ArrayRange: the step must not be 0"},
		{`States.ArrayRange(1, 2000, 1)`, ``, "States.ArrayRange: the range has more than 1000 items"},
		{`States.ArrayGetItem($.arr, 3)`, `"a"`, ""},
		{`States.ArrayGetItem($.arr, 10)`, `null`, ""},
		{`States.ArrayGetItem($.arr, -1)`, `null`, ""},
		{`States.ArrayLength($.arr)`, `6`, ""},
		{`States.ArrayLength($.obj)`, ``, "States.ArrayLength: argument 1 must be an array, got object"},
		{`States.ArrayUnique($.arr)`, `[1,2,"a",{"k":1}]`, ""},
		{`States.Base64Encode('Data to encode')`, `"RGF0YSB0byBlbmNvZGU="`, ""},
		{`States.Base64Decode('RGF0YSB0byBlbmNvZGU=')`, `"Data to encode"`, ""},
		{`States.Base64Decode('!!')`, ``, "States.Base64Decode: the input is not valid base64"},
		{`States.Hash('input data', 'SHA-1')`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`, ""},
		{`States.Hash('abc', 'MD5')`, `"900150983cd24fb0d6963f7d28e17f72"`, ""},
		{`States.Hash('abc', 'SHA-256')`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`, ""},
		{`States.Hash('abc', 'CRC32')`, ``, `States.Hash: unsupported algorithm "CRC32" (MD5, SHA-1, SHA-256, SHA-384, SHA-512)`},
		{`States.JsonMerge($.obj, $.obj2, false)`, `{"a":1,"b":3}`, ""},
		{`States.JsonMerge($.obj, $.obj2, true)`, ``, "States.JsonMerge: only the shallow merge is supported: argument 3 must be false"},
		{`States.MathAdd($.n, -1)`, `2`, ""},
		{`States.MathAdd($.f, 1)`, `2.5`, ""},
		{`States.MathAdd($.name, 1)`, ``, "States.MathAdd: argument 1 must be a number, got string"},
		{`States.MathRandom(5, 6)`, `5`, ""},
		{`States.MathRandom(5, 5)`, ``, "States.MathRandom: the end (5) must be greater than the start (5)"},
		{`States.StringSplit($.s, ',')`, `["a","b","c"]`, ""},
		{`States.StringSplit('This.is+a,test=string', '.+,=')`, `["This","is","a","test","string"]`, ""},
		{`States.ArrayLength($.missing)`, ``, "States.ArrayLength: the path $.missing in argument 1 does not exist in the input"},
		{`States.UUID(1)`, ``, "States.UUID: expects 0 argument(s), got 1"},
		{`States.Nope(1)`, ``, `invalid intrinsic function "States.Nope(1)": unknown function "States.Nope"`},
		{`States.Format('a'`, ``, `invalid intrinsic function "States.Format('a'": missing ')'`},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			v, err := EvalIntrinsic(tc.expr, input, nil, rand.New(rand.NewPCG(1, 1)))
			if tc.err != "" {
				var ae *Error
				if !errors.As(err, &ae) || ae.Name != ErrRuntime || ae.Cause != tc.err {
					t.Fatalf("err = %#v, want States.Runtime %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := toJSON(t, v); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestUUIDShape(t *testing.T) {
	v, err := EvalIntrinsic("States.UUID()", nil, nil, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	s := v.(string)
	if len(s) != 36 || s[14] != '4' || !strings.ContainsRune("89ab", rune(s[19])) {
		t.Fatalf("not a v4 UUID: %s", s)
	}
}

func FuzzIntrinsic(f *testing.F) {
	for _, s := range []string{
		"States.Format('Hello {}', $.name)", "States.Array(1, 'a', true, null, States.Array())",
		"States.MathRandom(1, 10, 3)", "States.Format('\\{\\}{}', $.a[0])", "States.StringSplit('a,b', ',')",
		"States.Hash($.name, 'SHA-512')", "States.ArrayRange(1, 100, 7)",
		// A path argument ending in a backslash inside a quote once read
		// past the end of the text (a panic).
		"States.Format($\"\\", "States.Format($['a\\",
	} {
		f.Add(s)
	}
	input := map[string]any{"name": "x", "a": []any{intNumber(1)}}
	f.Fuzz(func(t *testing.T, s string) {
		fn, err := ParseIntrinsic(s)
		if err != nil {
			return
		}
		_, err = fn.eval(&intrinsicEnv{input: input, rng: rand.New(rand.NewPCG(1, 1))})
		var ae *Error
		if err != nil && (!errors.As(err, &ae) || ae.Name != ErrRuntime) {
			t.Fatalf("%q: error %v is not States.Runtime", s, err)
		}
	})
}

// TestParseIntrinsicTrailingBackslash: a path argument ending in a
// backslash inside a quote is rejected with the path's error (it once read
// past the end of the text and panicked).
func TestParseIntrinsicTrailingBackslash(t *testing.T) {
	for s, want := range map[string]string{
		"States.Format($\"\\":  `invalid intrinsic function "States.Format($\"\\": invalid path "$\"\\": unexpected "\"" at offset 1`,
		"States.Format($['a\\": `invalid intrinsic function "States.Format($['a\\": invalid path "$['a\\": unterminated string`,
	} {
		if _, err := ParseIntrinsic(s); err == nil || err.Error() != want {
			t.Errorf("ParseIntrinsic(%q) = %v, want %s", s, err, want)
		}
	}
}
