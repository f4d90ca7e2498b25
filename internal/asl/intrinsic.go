package asl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math/rand/v2"
	"strconv"
	"strings"
	"unsafe"
)

// Intrinsic is a parsed intrinsic function call such as
// "States.Format('Hello {}', $.name)".
type Intrinsic struct {
	Name string
	args []intrinsicArg
	def  *intrinsicFunc // intrinsics[Name], looked up once
	// format is, for States.Format with a string literal template, the
	// template's text split at its {} placeholders, escapes resolved
	// (len(format) = placeholders+1); nil otherwise.
	format []string
}

type intrinsicArg struct {
	kind byte // 'l' literal, 'p' path, 'c' call
	lit  any
	raw  string // a string literal as written between the quotes (escapes kept)
	path *Path
	call *Intrinsic
}

// IsIntrinsic reports whether a payload-template value (of a ".$" key) is an
// intrinsic function call rather than a path.
func IsIntrinsic(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "States.") }

// ParseIntrinsic parses an intrinsic function call.
func ParseIntrinsic(s string) (*Intrinsic, error) {
	p := &intrinsicParser{s: s}
	p.space()
	f, err := p.call()
	if err != nil {
		return nil, fmt.Errorf("invalid intrinsic function %q: %w", s, err)
	}
	p.space()
	if p.pos != len(s) {
		return nil, fmt.Errorf("invalid intrinsic function %q: unexpected %q after the call", s, s[p.pos:])
	}
	return f, nil
}

type intrinsicParser struct {
	s   string
	pos int
}

func (p *intrinsicParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n') {
		p.pos++
	}
}

func (p *intrinsicParser) call() (*Intrinsic, error) {
	start := p.pos
	for p.pos < len(p.s) && (isIdent(p.s[p.pos]) || p.s[p.pos] == '.') {
		p.pos++
	}
	name := p.s[start:p.pos]
	def, ok := intrinsics[name]
	if !ok {
		return nil, fmt.Errorf("unknown function %q", name)
	}
	if p.pos >= len(p.s) || p.s[p.pos] != '(' {
		return nil, fmt.Errorf("expected '(' after %s", name)
	}
	p.pos++
	f := &Intrinsic{Name: name, def: &def}
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == ')' {
		p.pos++
		return f, nil
	}
	for {
		p.space()
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		f.args = append(f.args, a)
		p.space()
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("missing ')'")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
			continue
		case ')':
			p.pos++
			if name == "States.Format" && f.args[0].kind == 'l' {
				if _, ok := f.args[0].lit.(string); ok {
					f.format = splitFormat(f.args[0].raw)
				}
			}
			return f, nil
		}
		return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.pos], p.pos)
	}
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (p *intrinsicParser) arg() (intrinsicArg, error) {
	if p.pos >= len(p.s) {
		return intrinsicArg{}, fmt.Errorf("missing argument")
	}
	switch c := p.s[p.pos]; {
	case c == '\'':
		return p.str()
	case c == '$':
		start := p.pos
		depth, quote := 0, byte(0)
		for p.pos < len(p.s) {
			c := p.s[p.pos]
			if quote != 0 {
				if c == '\\' && p.pos+1 < len(p.s) {
					p.pos++ // the escaped character (a backslash last is itself)
				} else if c == quote {
					quote = 0
				}
			} else if c == '\'' || c == '"' {
				quote = c
			} else if c == '[' || c == '(' {
				depth++
			} else if c == ']' || (c == ')' && depth > 0) {
				depth--
			} else if depth == 0 && (c == ',' || c == ')' || c == ' ') {
				break
			}
			p.pos++
		}
		path, err := ParsePath(p.s[start:p.pos])
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{kind: 'p', path: path}, nil
	case c == 'S' && strings.HasPrefix(p.s[p.pos:], "States."):
		f, err := p.call()
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{kind: 'c', call: f}, nil
	}
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] != ',' && p.s[p.pos] != ')' && p.s[p.pos] != ' ' {
		p.pos++
	}
	tok := p.s[start:p.pos]
	switch tok {
	case "true":
		return intrinsicArg{kind: 'l', lit: true}, nil
	case "false":
		return intrinsicArg{kind: 'l', lit: false}, nil
	case "null":
		return intrinsicArg{kind: 'l', lit: nil}, nil
	}
	v, err := decodeJSON([]byte(tok))
	if err != nil || !isNumber(v) {
		return intrinsicArg{}, fmt.Errorf("bad argument %q", tok)
	}
	return intrinsicArg{kind: 'l', lit: v}, nil
}

// str reads a '...' literal. Inside it, \' \{ \} and \\ are escapes for the
// reserved characters; raw keeps them so States.Format can tell an escaped
// brace from a placeholder.
func (p *intrinsicParser) str() (intrinsicArg, error) {
	p.pos++ // opening quote
	start := p.pos
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.s) {
				return intrinsicArg{}, fmt.Errorf("unterminated string")
			}
			b.WriteByte(p.s[p.pos+1])
			p.pos += 2
		case '\'':
			raw := p.s[start:p.pos]
			p.pos++
			return intrinsicArg{kind: 'l', lit: b.String(), raw: raw}, nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return intrinsicArg{}, fmt.Errorf("unterminated string")
}

// intrinsicEnv is what evaluation needs besides the arguments.
type intrinsicEnv struct {
	input, ctx any
	// eng and run, when set, answer "$$" arguments (ctx is then unused):
	// most calls have none, and those that do read one field.
	eng *Engine
	run *run
	rng *rand.Rand
	// args is a stack of evaluated arguments, reused by nested calls and by
	// every call made through the same env; functions must not keep it.
	args []any
}

type intrinsicFunc struct {
	min, max int // argument counts; max -1 = variadic
	fn       func(env *intrinsicEnv, args []any, f *Intrinsic) (any, error)
}

var intrinsics map[string]intrinsicFunc

func init() {
	intrinsics = map[string]intrinsicFunc{
		"States.Format":         {1, -1, fnFormat},
		"States.StringToJson":   {1, 1, fnStringToJSON},
		"States.JsonToString":   {1, 1, fnJSONToString},
		"States.Array":          {0, -1, fnArray},
		"States.ArrayPartition": {2, 2, fnArrayPartition},
		"States.ArrayContains":  {2, 2, fnArrayContains},
		"States.ArrayRange":     {3, 3, fnArrayRange},
		"States.ArrayGetItem":   {2, 2, fnArrayGetItem},
		"States.ArrayLength":    {1, 1, fnArrayLength},
		"States.ArrayUnique":    {1, 1, fnArrayUnique},
		"States.Base64Encode":   {1, 1, fnBase64Encode},
		"States.Base64Decode":   {1, 1, fnBase64Decode},
		"States.Hash":           {2, 2, fnHash},
		"States.JsonMerge":      {3, 3, fnJSONMerge},
		"States.MathRandom":     {2, 3, fnMathRandom},
		"States.MathAdd":        {2, 2, fnMathAdd},
		"States.StringSplit":    {2, 2, fnStringSplit},
		"States.UUID":           {0, 0, fnUUID},
	}
}

// intrinsicErr is a failing intrinsic function: States.Runtime, since Step
// Functions reports "intrinsic function processing errors" with that name
// and reserves States.IntrinsicFailure for future use (see errors.go).
func intrinsicErr(f *Intrinsic, format string, args ...any) *Error {
	return &Error{Name: ErrRuntime, Cause: f.Name + ": " + fmt.Sprintf(format, args...)}
}

// Eval evaluates the call. Failures are *Error named States.Runtime.
func (f *Intrinsic) eval(env *intrinsicEnv) (any, error) {
	def := f.def
	if len(f.args) < def.min || (def.max >= 0 && len(f.args) > def.max) {
		if def.min == def.max {
			return nil, intrinsicErr(f, "expects %d argument(s), got %d", def.min, len(f.args))
		}
		return nil, intrinsicErr(f, "expects %d to %d arguments, got %d", def.min, def.max, len(f.args))
	}
	mark := len(env.args)
	v, err := f.evalArgs(env)
	if err == nil {
		v, err = def.fn(env, env.args[mark:], f)
	}
	clear(env.args[mark:])
	env.args = env.args[:mark]
	return v, err
}

// evalArgs pushes the evaluated arguments on env.args.
func (f *Intrinsic) evalArgs(env *intrinsicEnv) (any, error) {
	for i, a := range f.args {
		switch a.kind {
		case 'l':
			env.args = append(env.args, a.lit)
		case 'p':
			var v any
			var ok bool
			if a.path.context && env.eng != nil {
				v, ok = env.eng.ctxPath(env.run, a.path, env.input)
			} else {
				v, ok = a.path.Eval(env.input, env.ctx)
			}
			if !ok {
				return nil, intrinsicErr(f, "the path %s in argument %d does not exist in the input", a.path, i+1)
			}
			env.args = append(env.args, v)
		case 'c':
			v, err := a.call.eval(env)
			if err != nil {
				return nil, err
			}
			env.args = append(env.args, v)
		}
	}
	return nil, nil
}

// EvalIntrinsic evaluates an intrinsic function call against an input and a
// context object, with rng for MathRandom and UUID.
func EvalIntrinsic(s string, input, ctx any, rng *rand.Rand) (any, error) {
	f, err := ParseIntrinsic(s)
	if err != nil {
		return nil, &Error{Name: ErrRuntime, Cause: err.Error()}
	}
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 2))
	}
	return f.eval(&intrinsicEnv{input: input, ctx: ctx, rng: rng})
}

func argString(f *Intrinsic, args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", intrinsicErr(f, "argument %d must be a string, got %s", i+1, typeName(args[i]))
	}
	return s, nil
}

func argArray(f *Intrinsic, args []any, i int) ([]any, error) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, intrinsicErr(f, "argument %d must be an array, got %s", i+1, typeName(args[i]))
	}
	return a, nil
}

func argInt(f *Intrinsic, args []any, i int) (int64, error) {
	n, ok := toInt(args[i])
	if !ok {
		return 0, intrinsicErr(f, "argument %d must be an integer, got %s", i+1, describe(args[i]))
	}
	return n, nil
}

func describe(v any) string {
	if isNumber(v) {
		s, _ := encodeJSON(v)
		return s
	}
	return typeName(v)
}

// splitFormat splits a States.Format template written as a string literal
// (raw: its escapes kept) at its {} placeholders, resolving the escapes: a
// backslash takes the next character as it is, so "\\{}" is a literal "{}".
func splitFormat(raw string) []string {
	var pieces []string
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) {
			b = append(b, raw[i+1])
			i++
			continue
		}
		if c == '{' && i+1 < len(raw) && raw[i+1] == '}' {
			pieces = append(pieces, string(b))
			b = b[:0]
			i++
			continue
		}
		b = append(b, c)
	}
	return append(pieces, string(b))
}

// appendFormatArg writes a States.Format argument (the placeholder's n-th,
// from 1) after b.
func appendFormatArg(b []byte, a any, n int, f *Intrinsic) ([]byte, error) {
	switch x := a.(type) {
	case string:
		return append(b, x...), nil
	default:
		if x != nil && !isNumber(x) {
			if _, ok := x.(bool); !ok {
				return nil, intrinsicErr(f, "argument %d must be a string, number, boolean or null, got %s", n+1, typeName(x))
			}
		}
		// A value JSON cannot write (a NaN) adds nothing.
		if nb, err := appendJSON(b, x); err == nil {
			b = nb
		}
	}
	return b, nil
}

func fnFormat(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	// The text is built on the stack (up to 256 bytes), then copied into
	// the result's one allocation (boxedString).
	var scratch [256]byte
	b := scratch[:0]
	if pieces := f.format; pieces != nil {
		// The template was split when parsed.
		b = append(b, pieces[0]...)
		for n := 1; n < len(pieces); n++ {
			if n >= len(args) {
				return nil, intrinsicErr(f, "the template has more {} placeholders than arguments (%d)", len(args)-1)
			}
			var err error
			if b, err = appendFormatArg(b, args[n], n, f); err != nil {
				return nil, err
			}
			b = append(b, pieces[n]...)
		}
		if len(pieces) != len(args) {
			return nil, intrinsicErr(f, "the template has %d {} placeholder(s) but %d argument(s) follow it", len(pieces)-1, len(args)-1)
		}
		return boxedString(b), nil
	}
	tmpl, err := argString(f, args, 0)
	if err != nil {
		return nil, err
	}
	escaped := f.args[0].kind == 'l'
	if escaped {
		tmpl = f.args[0].raw
	}
	next := 1
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if escaped && c == '\\' && i+1 < len(tmpl) {
			b = append(b, tmpl[i+1])
			i++
			continue
		}
		if c == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}' {
			if next >= len(args) {
				return nil, intrinsicErr(f, "the template has more {} placeholders than arguments (%d)", len(args)-1)
			}
			if b, err = appendFormatArg(b, args[next], next, f); err != nil {
				return nil, err
			}
			next++
			i++
			continue
		}
		b = append(b, c)
	}
	if next != len(args) {
		return nil, intrinsicErr(f, "the template has %d {} placeholder(s) but %d argument(s) follow it", next-1, len(args)-1)
	}
	return boxedString(b), nil
}

// boxedString returns a copy of b as an interface value holding a string.
// any(string(b)) allocates the text and, apart, the string header the
// interface points to; up to 240 bytes, header and text are one allocation
// instead (as boxedArray's, the interface points at the header).
func boxedString(b []byte) any {
	var h *string
	switch n := len(b); {
	case n == 0:
		return ""
	case n <= 16:
		x := new(struct {
			h string
			a [16]byte
		})
		x.h, h = unsafe.String(&x.a[0], copy(x.a[:], b)), &x.h
	case n <= 48:
		x := new(struct {
			h string
			a [48]byte
		})
		x.h, h = unsafe.String(&x.a[0], copy(x.a[:], b)), &x.h
	case n <= 112:
		x := new(struct {
			h string
			a [112]byte
		})
		x.h, h = unsafe.String(&x.a[0], copy(x.a[:], b)), &x.h
	case n <= 240:
		x := new(struct {
			h string
			a [240]byte
		})
		x.h, h = unsafe.String(&x.a[0], copy(x.a[:], b)), &x.h
	default:
		return string(b)
	}
	var v any
	w := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))
	w[0], w[1] = stringTypeWord, unsafe.Pointer(h)
	return v
}

func fnStringToJSON(env *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	s, err := argString(f, args, 0)
	if err != nil {
		return nil, err
	}
	var a *objectArena
	if env.eng != nil {
		a = &env.eng.arena
	}
	v, err := decodeLazy(s, a)
	if err != nil {
		return nil, intrinsicErr(f, "the string is not valid JSON: %v", err)
	}
	return v, nil
}

func fnJSONToString(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	s, err := encodeJSON(args[0])
	if err != nil {
		return nil, intrinsicErr(f, "%v", err)
	}
	return s, nil
}

func fnArray(_ *intrinsicEnv, args []any, _ *Intrinsic) (any, error) {
	return append([]any{}, args...), nil
}

func fnArrayPartition(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	a, err := argArray(f, args, 0)
	if err != nil {
		return nil, err
	}
	n, err := argInt(f, args, 1)
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, intrinsicErr(f, "the chunk size must be a positive integer, got %d", n)
	}
	out := []any{}
	for i := 0; i < len(a); i += int(n) {
		end := min(i+int(n), len(a))
		out = append(out, append([]any{}, a[i:end]...))
	}
	return out, nil
}

func fnArrayContains(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	a, err := argArray(f, args, 0)
	if err != nil {
		return nil, err
	}
	for _, e := range a {
		if jsonEqual(e, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

func fnArrayRange(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	var n [3]int64
	for i := range n {
		v, err := argInt(f, args, i)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	start, end, step := n[0], n[1], n[2]
	if step == 0 {
		return nil, intrinsicErr(f, "the step must not be 0")
	}
	out := []any{}
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		if len(out) == 1000 {
			return nil, intrinsicErr(f, "the range has more than 1000 items")
		}
		out = append(out, intNumber(v))
	}
	return out, nil
}

func fnArrayGetItem(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	a, err := argArray(f, args, 0)
	if err != nil {
		return nil, err
	}
	i, err := argInt(f, args, 1)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(a)) {
		// The AWS documentation does not say what an index out of range
		// gives; aws-local-stepfunctions gives null and so do we
		// (difftest case intrinsic_array_get_out_of_range).
		return nil, nil
	}
	return a[i], nil
}

func fnArrayLength(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	a, err := argArray(f, args, 0)
	if err != nil {
		return nil, err
	}
	return intNumber(int64(len(a))), nil
}

func fnArrayUnique(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	a, err := argArray(f, args, 0)
	if err != nil {
		return nil, err
	}
	out := []any{}
outer:
	for _, e := range a {
		for _, o := range out {
			if jsonEqual(e, o) {
				continue outer
			}
		}
		out = append(out, e)
	}
	return out, nil
}

const maxIntrinsicString = 10000

func fnBase64Encode(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	s, err := argString(f, args, 0)
	if err != nil {
		return nil, err
	}
	if len(s) > maxIntrinsicString {
		return nil, intrinsicErr(f, "the input is longer than %d characters", maxIntrinsicString)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	s, err := argString(f, args, 0)
	if err != nil {
		return nil, err
	}
	if len(s) > maxIntrinsicString {
		return nil, intrinsicErr(f, "the input is longer than %d characters", maxIntrinsicString)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, intrinsicErr(f, "the input is not valid base64")
	}
	return string(b), nil
}

func fnHash(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	s, err := argString(f, args, 0)
	if err != nil {
		return nil, err
	}
	alg, err := argString(f, args, 1)
	if err != nil {
		return nil, err
	}
	if len(s) > maxIntrinsicString {
		return nil, intrinsicErr(f, "the input is longer than %d characters", maxIntrinsicString)
	}
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, intrinsicErr(f, "unsupported algorithm %q (MD5, SHA-1, SHA-256, SHA-384, SHA-512)", alg)
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnJSONMerge(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	a, ok1 := args[0].(*Object)
	b, ok2 := args[1].(*Object)
	if !ok1 || !ok2 {
		return nil, intrinsicErr(f, "the first two arguments must be objects")
	}
	deep, ok := args[2].(bool)
	if !ok {
		return nil, intrinsicErr(f, "argument 3 must be a boolean")
	}
	if deep {
		return nil, intrinsicErr(f, "only the shallow merge is supported: argument 3 must be false")
	}
	// Both are sorted: merge them, b's value winning a shared key.
	am, bm := a.mems(), b.mems()
	ms := make([]Member, 0, len(am)+len(bm))
	i, j := 0, 0
	for i < len(am) || j < len(bm) {
		switch {
		case j == len(bm) || (i < len(am) && am[i].Key < bm[j].Key):
			ms = append(ms, am[i])
			i++
		case i == len(am) || bm[j].Key < am[i].Key:
			ms = append(ms, bm[j])
			j++
		default:
			ms = append(ms, bm[j])
			i++
			j++
		}
	}
	return objectOf(ms), nil
}

// fnMathRandom returns an integer in [start, end). With a seed argument the
// result depends only on the seed; without, on the engine's seeded source.
func fnMathRandom(env *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	start, err := argInt(f, args, 0)
	if err != nil {
		return nil, err
	}
	end, err := argInt(f, args, 1)
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, intrinsicErr(f, "the end (%d) must be greater than the start (%d)", end, start)
	}
	rng := env.rng
	if len(args) == 3 {
		seed, err := argInt(f, args, 2)
		if err != nil {
			return nil, err
		}
		rng = rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	}
	return intNumber(start + rng.Int64N(end-start)), nil
}

func fnMathAdd(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	for i := range 2 {
		if !isNumber(args[i]) {
			return nil, intrinsicErr(f, "argument %d must be a number, got %s", i+1, typeName(args[i]))
		}
	}
	a, aok := exactInt(args[0])
	b, bok := exactInt(args[1])
	if aok && bok {
		return intNumber(a + b), nil
	}
	x, _ := toRat(args[0])
	y, _ := toRat(args[1])
	sum := x.Add(x, y)
	if sum.IsInt() {
		return json.Number(sum.Num().String()), nil
	}
	fl, _ := sum.Float64()
	return json.Number(strconv.FormatFloat(fl, 'g', -1, 64)), nil
}

// fnStringSplit splits on any of the delimiter characters and drops empty
// pieces, as the AWS example "This.is+a,test=string" split on ".+,=" shows.
func fnStringSplit(_ *intrinsicEnv, args []any, f *Intrinsic) (any, error) {
	s, err := argString(f, args, 0)
	if err != nil {
		return nil, err
	}
	sep, err := argString(f, args, 1)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(sep, r) }) {
		out = append(out, p)
	}
	return out, nil
}

func fnUUID(env *intrinsicEnv, _ []any, _ *Intrinsic) (any, error) {
	return newUUID(env.rng), nil
}

func newUUID(rng *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
