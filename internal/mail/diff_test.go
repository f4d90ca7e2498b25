package mail_test

// Differential tests: the send function's template engine (mail.ParseHTML,
// mail.ParseText) against html/template and text/template on the same
// templates and data. Tests may link the standard engines; the send
// function does not (internal/lambdabench's TestFunctionDeps).

import (
	"bytes"
	htmltemplate "html/template"
	"io/fs"
	"math/rand/v2"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"
	texttemplate "text/template"

	"github.com/parcours/parcours/internal/journey"
	"github.com/parcours/parcours/internal/mail"
	"github.com/parcours/parcours/journeys"
)

func stdHTML(name, src string) (*htmltemplate.Template, error) {
	return htmltemplate.New(name).Funcs(htmltemplate.FuncMap(mail.Funcs())).Option("missingkey=error").Parse(src)
}

func stdText(name, src string) (*texttemplate.Template, error) {
	return texttemplate.New(name).Funcs(texttemplate.FuncMap(mail.Funcs())).Option("missingkey=error").Parse(src)
}

// render runs both engines; ok is false when either rejects the template
// (parse or escaping) and ours is what ours wrote (or its error).
func render(t testing.TB, html bool, name, src string, data any) (std, ours string, stdErr, oursErr error) {
	t.Helper()
	var sb, ob bytes.Buffer
	if html {
		st, err := stdHTML(name, src)
		if err == nil {
			err = st.Execute(&sb, data)
		}
		stdErr = err
		ot, err := mail.ParseHTML(name, src)
		if err == nil {
			err = ot.Execute(&ob, data)
		}
		oursErr = err
	} else {
		st, err := stdText(name, src)
		if err == nil {
			err = st.Execute(&sb, data)
		}
		stdErr = err
		ot, err := mail.ParseText(name, src)
		if err == nil {
			err = ot.Execute(&ob, data)
		}
		oursErr = err
	}
	return sb.String(), ob.String(), stdErr, oursErr
}

// hostile are values chosen to break escaping: markup, quotes, scripts in
// URLs, entities, NUL, invalid UTF-8, template syntax, plus ordinary ones.
var hostile = []string{
	"", "Ada", "Zoë 漢字 🙂", `"><script>alert(1)</script>`, "' onmouseover='alert(1)", `a&b<c>d"e'f+g`,
	"javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x",
	"https://shop.example/p?a=1&b=<2>#frag", "http://shop.example/a b/ü?q=\"x\"", "mailto:ada@example.com", "//evil.example/x",
	"/relative/path?x=1", "%zz%41%4a", "\x00nul", "\xff\xfe bad utf-8", "</title><script>x</script>", "-->", "<!--",
	"{{.Shop.Name}}", "&amp;&#39;&lt;", "tab\tnew\nline\r", "129.90", "-5", "1e3", "€",
}

// fill sets every settable string of v (structs, pointers, slices, maps of
// strings) from pick, so every field a template can print is hostile.
func fill(v reflect.Value, pick func() string, depth int) {
	if depth > 6 {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(pick())
		}
	case reflect.Pointer:
		if v.IsNil() && v.CanSet() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if !v.IsNil() {
			fill(v.Elem(), pick, depth+1)
		}
	case reflect.Struct:
		if v.Type().PkgPath() == "time" {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), pick, depth+1)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 && v.CanSet() && v.Type().Elem().Kind() != reflect.Uint8 {
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		}
		for i := range v.Len() {
			fill(v.Index(i), pick, depth+1)
		}
	case reflect.Map:
		if v.Type().Key().Kind() == reflect.String && v.Type().Elem().Kind() == reflect.Interface {
			for _, k := range v.MapKeys() {
				v.SetMapIndex(k, reflect.ValueOf(pick()))
			}
		}
	}
}

type step struct {
	journey string
	s       *journey.Step
	j       *journey.Journey
}

func shippedSteps(t testing.TB) []step {
	t.Helper()
	js, err := journey.LoadAll("../../journeys")
	if err != nil {
		t.Fatal(err)
	}
	var out []step
	var walk func(j *journey.Journey, ss []*journey.Step)
	walk = func(j *journey.Journey, ss []*journey.Step) {
		for _, s := range ss {
			switch s.Kind {
			case journey.KindSend:
				out = append(out, step{j.Name, s, j})
			case journey.KindIf:
				walk(j, s.Then)
				walk(j, s.Else)
			case journey.KindSplit:
				for _, b := range s.Branches {
					walk(j, b.Steps)
				}
			}
		}
	}
	for _, j := range js {
		walk(j, j.Steps)
	}
	if len(out) < 13 {
		t.Fatalf("%d send steps, want the 13 shipped ones at least", len(out))
	}
	return out
}

// TestShippedTemplatesMatchStandardEngines renders every shipped subject,
// text part and HTML part with both engines, with the compiler's sample
// data and with 40 data sets whose every string is hostile: the outputs
// must be byte-identical.
func TestShippedTemplatesMatchStandardEngines(t *testing.T) {
	for _, st := range shippedSteps(t) {
		t.Run(st.journey+"/"+st.s.ID, func(t *testing.T) {
			html, err := fs.ReadFile(journeys.FS, path.Join(st.journey, st.s.Template+".html"))
			if err != nil {
				t.Fatal(err)
			}
			txt, err := fs.ReadFile(journeys.FS, path.Join(st.journey, st.s.Template+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, uint64(len(st.s.ID))))
			for i := range 41 {
				data := journey.SampleData(st.j, st.s)
				if i > 0 {
					data.Data = map[string]any{}
					for k := range st.s.Data {
						data.Data[k] = nil
					}
					fill(reflect.ValueOf(&data).Elem(), func() string { return hostile[rng.IntN(len(hostile))] }, 0)
				}
				for _, part := range []struct {
					html      bool
					name, src string
				}{{false, "subject", st.s.Subject}, {false, st.s.Template + ".txt", string(txt)}, {true, st.s.Template + ".html", string(html)}} {
					std, ours, stdErr, oursErr := render(t, part.html, part.name, part.src, data)
					if (stdErr == nil) != (oursErr == nil) || stdErr != nil && !part.html && stdErr.Error() != oursErr.Error() {
						t.Fatalf("%s data set %d: standard error %v, ours %v", part.name, i, stdErr, oursErr)
					}
					if std != ours {
						t.Fatalf("%s data set %d differs:\nstandard: %q\nours:     %q", part.name, i, std, ours)
					}
				}
			}
		})
	}
}

// corpus covers each context and construct the engine supports, beyond
// what the shipped templates use.
var corpus = []string{
	`<p>{{.Shop.Name}}</p>`,
	`<title>{{.Shop.Name}} &amp; co</title><textarea>{{.Profile.FirstName}}</textarea>`,
	`<a title='{{.Shop.Name}}' href='{{.Shop.URL}}'>x</a>`,
	`<a href="{{.Shop.URL}}/p/{{.Product.Title}}?q={{.Profile.FirstName}}&r={{.Shop.Name}}#{{.Step}}">x</a>`,
	`<a href="/static/{{.Shop.Name}}">x</a><img src="https://cdn.example/{{.Product.ImageURL}}">`,
	`<a href="mailto:{{.Profile.Email}}" data-url="{{.Shop.URL}}" xlink:href="{{.Shop.URL}}">x</a>`,
	`<!DOCTYPE html><!-- a comment <b>x</b> --><p>1 < 2 and 3 > 2 <3</p><!--[if mso]><table><![endif]-->`,
	`<td {{if .Profile.FirstName}}class="named"{{end}} style="color:#333">{{default "there" .Profile.FirstName}}</td>`,
	`<a href="{{if .Checkout}}{{.Checkout.RecoveryURL}}{{else}}{{.Shop.URL}}{{end}}">go</a>`,
	`{{range $i, $li := .Checkout.LineItems}}<li data-i="{{$i}}">{{$li.Title}} {{lineTotal $li}}</li>{{else}}none{{end}}`,
	`{{range .Checkout.LineItems}}{{.Title}}{{end}}{{range $k, $v := .Data}}{{$k}}={{$v}};{{end}}`,
	`{{with .Order}}#{{.Number}}{{else with .Checkout}}cart {{.ID}}{{else}}nothing{{end}}`,
	`{{$name := default "friend" .Profile.FirstName}}{{$name = money "3" "USD"}}{{$name}}`,
	`{{$n := .Profile.FirstName}}<b>{{$n}}</b>{{$n = .Shop.Name}}<i>{{$n}}</i>`,
	`{{.Profile.FirstName | default "there"}} {{money .Checkout.Total .Checkout.Currency | default "n/a"}}`,
	`{{(first 1 .Checkout.LineItems)}}`,
	`{{.Data.discount_code}} {{.Data}} {{.Checkout}} {{.Profile.OrderCount}} {{.Trigger.OccurredAt}} {{true}} {{1.5}} {{0x10}} {{'a'}}`,
	`<p title="{{.Data.missing}}">`,
	`{{.Order.Nmber}}`,
	`{{.Profile.FirstName.Length}}`,
	`{{first -1 .Checkout.LineItems}}`,
	`{{money 5 "EUR"}}`,
	`{{if .Profile}}yes{{end}}{{if .Data}}data{{end}}{{if .Order}}order{{end}}`,
	`<a href="{{.Shop.URL}}"title="{{.Shop.Name}}">x</a><br/><input value="{{.Shop.Name}}" disabled>`,
	`<a href="https://x.example/?{{if .Order}}o={{.Order.Number}}{{end}}">x</a>`,
	`{{.Data.nil}}|{{.Data.n}}|{{.Order}}|{{.Product}}|{{with .Data.nil}}x{{else}}y{{end}}`,
	strings.Repeat("{{range .Checkout.LineItems}}{{.Title}}", 8) + strings.Repeat("{{end}}", 8),
}

// builtinCorpus covers text/template's built-in functions: each result,
// and each error text/template gives (one failing action per template).
var builtinCorpus = []string{
	// comparisons
	`{{if eq .Profile.Frequency "vip"}}vip{{else if eq .Profile.Frequency "new" "repeat"}}new/repeat{{else}}other{{end}}`,
	`{{eq .Profile.OrderCount 1}} {{ne .Step "x"}} {{lt .Profile.OrderCount 3}} {{le 1 1}} {{gt .Profile.AOV 80.0}} {{ge .Shop.Name "M"}} {{lt "a" "b"}} {{eq true true}} {{eq 1.5 1.5}}`,
	`{{eq .Checkout .Order}} {{eq .Order nil}} {{ne .Data.nil .Data.n}} {{eq .Data.nil nil}} {{eq .Data.n 3.0 "3"}}`,
	`{{lt .Profile.OrderCount 1.5}}`,
	`{{eq .Data.n 3}}`,
	`{{lt .Checkout.LineItems 1}}`,
	`{{lt true false}}`,
	`{{eq .Checkout.LineItems .Checkout.LineItems}}`,
	`{{eq .Shop.Name}}`,
	`{{eq .Shop .Shop}}`,
	`{{ne .Checkout.LineItems nil}}`,
	`{{"vip" | eq .Profile.Frequency}} {{gt (len .Checkout.LineItems) 1}}`,
	// and, or, not: truthiness, short-circuit, the operand returned
	`{{and .Profile.FirstName .Shop.Name}}|{{or .Profile.FirstName "friend"}}|{{and 0 .Nope}}|{{or 1 .Nope}}|{{and .Data.nil 1}}|{{or "" .Data.nil}}|{{or .Order .Checkout}}`,
	`{{not .Order}} {{not ""}} {{not .Checkout.LineItems}} {{not 0}} {{if and .Checkout (gt (len .Checkout.LineItems) 1)}}many{{end}}{{if or .Order .Product}}o/p{{end}}`,
	`{{.Profile.FirstName | or .Data.nil}}|{{.Profile.FirstName | and 1}}|{{.Nope | and 0}}`,
	`{{and 1 .Nope}}`,
	`{{not}}`,
	`{{and}}`,
	// len, index, slice
	`{{len .Checkout.LineItems}} {{len .Profile.Email}} {{len .Data}} {{len .Profile.Tag}} {{.Checkout.LineItems | len}}`,
	`{{len .Order}}`,
	`{{len 3}}`,
	`{{len .Data.nil}}`,
	`{{index .Checkout.LineItems 0}} {{(index .Checkout.LineItems 1).Title}} {{index .Data "discount_code"}} {{index .Profile.Tag "vip"}} {{index .Shop.Name 0}} {{index .Profile.TotalSpent "EUR"}}`,
	`{{index .Checkout.LineItems 5}}`,
	`{{index .Checkout.LineItems -1}}`,
	`{{index .Checkout.LineItems "a"}}`,
	`{{index .Data 1}}`,
	`{{index .Order 0}}`,
	`{{index .Data.nil 0}}`,
	`{{index .Shop 0}}`,
	`{{index .Checkout.LineItems nil}}`,
	`{{index .Checkout.LineItems 0 1}}`,
	`{{slice .Shop.Name 1 3}}|{{slice .Shop.Name}}|{{slice .Shop.Name 2}}|{{range slice .Checkout.LineItems 1}}{{.Title}}{{end}}|{{len (slice .Checkout.LineItems 0 1 2)}}`,
	`{{slice .Shop.Name 0 1 2}}`,
	`{{slice .Shop.Name 3 1}}`,
	`{{slice .Checkout.LineItems 0 2 1}}`,
	`{{slice .Profile.OrderCount}}`,
	`{{slice .Order 1}}`,
	`{{slice .Data.nil 1}}`,
	`{{slice .Shop.Name 1 2 3 4}}`,
	// print, printf, println
	`{{printf "%.2f" .Profile.AOV}} {{printf "%d items" (len .Checkout.LineItems)}} {{printf "%s/%v/%q" .Shop.Name .Data.n .Profile.FirstName}} {{.Profile.FirstName | printf "Hi %s!"}}`,
	`{{print .Shop.Name 1 2 "x" .Data.nil}}|{{println .Shop.Name .Profile.OrderCount}}|{{print}}|{{printf "%d" .Shop.Name}}|{{printf "%v" .Checkout.LineItems}}|{{print .Order}}`,
	`{{printf}}`,
	`{{printf 1}}`,
	// html, js, urlquery: in text, in attributes and in each part of a URL
	`{{html .Shop.Name}} {{js .Shop.Name}} {{urlquery .Shop.Name}} {{.Shop.Name | html}} {{.Shop.Name | urlquery}} {{.Shop.Name | js}}`,
	`{{html .Shop.Name .Data.nil 1}} {{urlquery .Profile.FirstName .Order}} {{js .Data.nil}} {{html .Data.nil}} {{html .Order}} {{urlquery .Data.nil}} [{{html}}{{urlquery}}{{js}}]`,
	`<a title="{{html .Shop.Name}}" data-x='{{urlquery .Shop.Name}}' href="{{.Shop.URL | urlquery}}">x</a><a href="{{html .Shop.URL}}">y</a>`,
	`<a href="/p/{{.Shop.Name | html}}/{{urlquery .Shop.Name .Data.nil}}?q={{.Shop.Name | urlquery}}&h={{html .Shop.Name .Data.nil}}#{{js .Shop.Name}}">x</a>`,
	`<a href="{{html}}" title="{{urlquery}}">{{html}}</a><a href="{{urlquery .Data.nil}}">{{urlquery .Data.nil}}</a>`,
	`<title>{{html .Shop.Name}} {{urlquery .Shop.Name}}</title><textarea>{{.Shop.Name | html}}</textarea>`,
	`{{html .Shop.Name | printf "%s"}}`,
	`{{urlquery .Shop.Name | html}}`,
	`{{if html .Shop.Name}}{{$x := urlquery .Shop.Name}}{{$x}}{{end}}`,
	// call: only func values can be called, and the data has none
	`{{call .Shop.Name}}`,
	`{{call .Data.nil}}`,
	`{{.Shop.Name | call}}`,
	// range over an integer
	`{{range len .Checkout.LineItems}}[{{.}}]{{else}}none{{end}}{{range $i := 3}}{{$i}}{{end}}`,
	`{{range $i, $v := 3}}{{end}}`,
}

// builtinHTMLRejects are the builtin corpus templates ParseHTML refuses, as
// html/template refuses them (a predefined escaper before the end of an
// action); every other one must parse, in both kinds of part.
var builtinHTMLRejects = map[string]bool{
	`{{html .Shop.Name | printf "%s"}}`: true,
	`{{urlquery .Shop.Name | html}}`:    true,
}

// TestCorpusMatchesStandardEngines: each corpus template, as HTML and as
// text, with sample data and hostile data: where html/template
// (text/template) renders, ours renders the same bytes or rejects the
// template at parse time; where it fails, ours fails too.
func TestCorpusMatchesStandardEngines(t *testing.T) {
	sample := shippedSteps(t)[0]
	rng := rand.New(rand.NewPCG(7, 7))
	for i, src := range slices.Concat(corpus, builtinCorpus) {
		for _, html := range []bool{false, true} {
			for d := range 20 {
				data := journey.SampleData(sample.j, sample.s)
				data.Data = map[string]any{"discount_code": "WELCOME10", "n": 3.0, "nil": nil}
				if d > 0 {
					fill(reflect.ValueOf(&data).Elem(), func() string { return hostile[rng.IntN(len(hostile))] }, 0)
				}
				std, ours, stdErr, oursErr := render(t, html, "c", src, data)
				if oursErr != nil && isParseReject(t, html, src) {
					if i >= len(corpus) && (!html || !builtinHTMLRejects[src]) {
						t.Fatalf("builtin corpus %d (html %v): Parse refuses it: %v", i-len(corpus), html, oursErr)
					}
					continue // a template ours does not support: Parse said so
				}
				if (stdErr == nil) != (oursErr == nil) {
					t.Fatalf("corpus %d (html %v) data %d: standard error %v, ours %v", i, html, d, stdErr, oursErr)
				}
				if stdErr != nil && stdErr.Error() != oursErr.Error() && !html {
					t.Fatalf("corpus %d data %d: errors differ:\nstandard: %v\nours:     %v", i, d, stdErr, oursErr)
				}
				if std != ours {
					t.Fatalf("corpus %d (html %v) data %d differs:\nstandard: %q\nours:     %q", i, html, d, std, ours)
				}
			}
		}
	}
}

func isParseReject(t testing.TB, html bool, src string) bool {
	t.Helper()
	var err error
	if html {
		_, err = mail.ParseHTML("c", src)
	} else {
		_, err = mail.ParseText("c", src)
	}
	return err != nil
}

// FuzzHTMLMatchesHTMLTemplate: for any template both engines accept and any
// value put in every string field, the HTML output is html/template's, byte
// for byte (or both fail), and the text output is text/template's, byte
// for byte, or the same error.
func FuzzHTMLMatchesHTMLTemplate(f *testing.F) {
	for _, src := range slices.Concat(corpus, builtinCorpus) {
		f.Add(src, hostile[3])
	}
	for _, st := range shippedSteps(f)[:3] {
		b, err := fs.ReadFile(journeys.FS, path.Join(st.journey, st.s.Template+".html"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), "javascript:alert(1)")
	}
	for _, v := range hostile {
		f.Add(`<a href="{{.Shop.URL}}" title='{{.Shop.Name}}'>{{.Shop.Name}}</a><a href="/x?q={{.Shop.Name}}">`, v)
	}
	sample := shippedSteps(f)[0]
	f.Fuzz(func(t *testing.T, src, value string) {
		data := journey.SampleData(sample.j, sample.s)
		data.Data = map[string]any{"discount_code": value, "n": 3.0, "nil": nil}
		fill(reflect.ValueOf(&data).Elem(), func() string { return value }, 0)
		fuzzText(t, src, data)
		ot, err := mail.ParseHTML("f", src)
		if err != nil {
			return // unsupported or invalid: rejected before any data
		}
		st, err := stdHTML("f", src)
		if err != nil {
			t.Fatalf("ours parses what text/template's parser rejects: %v", err)
		}
		var sb, ob bytes.Buffer
		stdErr := st.Execute(&sb, data)
		oursErr := ot.Execute(&ob, data)
		if stdErr != nil {
			if strings.Contains(stdErr.Error(), "html/template") {
				return // html/template refuses the template's contexts; ours is more lenient only where no action is
			}
			if oursErr == nil {
				t.Fatalf("standard error %v, ours none", stdErr)
			}
			return
		}
		if oursErr != nil && !strings.Contains(oursErr.Error(), "can't evaluate field") { // a method call: fields and map keys only, by design
			t.Fatalf("standard renders, ours fails: %v", oursErr)
		}
		if oursErr != nil {
			return
		}
		if sb.String() != ob.String() {
			t.Fatalf("output differs:\nstandard: %q\nours:     %q", sb.String(), ob.String())
		}
	})
}

// fuzzText: a template ParseText accepts renders as text/template renders
// it, or fails with text/template's error.
func fuzzText(t *testing.T, src string, data any) {
	ot, err := mail.ParseText("f", src)
	if err != nil {
		return
	}
	st, err := stdText("f", src)
	if err != nil {
		t.Fatalf("ours parses what text/template rejects: %v", err)
	}
	var sb, ob bytes.Buffer
	stdErr := st.Execute(&sb, data)
	oursErr := ot.Execute(&ob, data)
	if stdErr == nil && oursErr != nil && strings.Contains(oursErr.Error(), "can't evaluate field") {
		return // a method call ({{.Trigger.OccurredAt.Year}}): names are fields or map keys only, by design
	}
	if (stdErr == nil) != (oursErr == nil) || stdErr != nil && stdErr.Error() != oursErr.Error() {
		t.Fatalf("text: standard error %v, ours %v", stdErr, oursErr)
	}
	if sb.String() != ob.String() {
		t.Fatalf("text output differs:\nstandard: %q\nours:     %q", sb.String(), ob.String())
	}
}

// BenchmarkRender parses and executes the abandoned-cart reminder's HTML
// and text parts, as Render does for each send: this package against
// html/template and text/template.
func BenchmarkRender(b *testing.B) {
	st := shippedSteps(b)[0]
	html, err := fs.ReadFile(journeys.FS, path.Join(st.journey, st.s.Template+".html"))
	if err != nil {
		b.Fatal(err)
	}
	txt, err := fs.ReadFile(journeys.FS, path.Join(st.journey, st.s.Template+".txt"))
	if err != nil {
		b.Fatal(err)
	}
	data := journey.SampleData(st.j, st.s)
	var buf bytes.Buffer
	b.Run("mail", func(b *testing.B) {
		for b.Loop() {
			buf.Reset()
			ht, err := mail.ParseHTML("h", string(html))
			if err == nil {
				err = ht.Execute(&buf, data)
			}
			tt, err2 := mail.ParseText("t", string(txt))
			if err == nil && err2 == nil {
				err = tt.Execute(&buf, data)
			}
			if err != nil || err2 != nil {
				b.Fatal(err, err2)
			}
		}
	})
	b.Run("std", func(b *testing.B) {
		for b.Loop() {
			buf.Reset()
			ht, err := stdHTML("h", string(html))
			if err == nil {
				err = ht.Execute(&buf, data)
			}
			tt, err2 := stdText("t", string(txt))
			if err == nil && err2 == nil {
				err = tt.Execute(&buf, data)
			}
			if err != nil || err2 != nil {
				b.Fatal(err, err2)
			}
		}
	})
}
