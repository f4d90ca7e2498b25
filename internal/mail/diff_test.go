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

// TestCorpusMatchesStandardEngines: each corpus template, as HTML and as
// text, with sample data and hostile data: where html/template
// (text/template) renders, ours renders the same bytes or rejects the
// template at parse time; where it fails, ours fails too.
func TestCorpusMatchesStandardEngines(t *testing.T) {
	sample := shippedSteps(t)[0]
	rng := rand.New(rand.NewPCG(7, 7))
	for i, src := range corpus {
		for _, html := range []bool{false, true} {
			for d := range 20 {
				data := journey.SampleData(sample.j, sample.s)
				data.Data = map[string]any{"discount_code": "WELCOME10", "n": 3.0, "nil": nil}
				if d > 0 {
					fill(reflect.ValueOf(&data).Elem(), func() string { return hostile[rng.IntN(len(hostile))] }, 0)
				}
				std, ours, stdErr, oursErr := render(t, html, "c", src, data)
				if oursErr != nil && isParseReject(t, html, src) {
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
// for byte (or both fail).
func FuzzHTMLMatchesHTMLTemplate(f *testing.F) {
	for _, src := range corpus {
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
		ot, err := mail.ParseHTML("f", src)
		if err != nil {
			return // unsupported or invalid: rejected before any data
		}
		st, err := stdHTML("f", src)
		if err != nil {
			t.Fatalf("ours parses what text/template's parser rejects: %v", err)
		}
		data := journey.SampleData(sample.j, sample.s)
		data.Data = map[string]any{"discount_code": value}
		fill(reflect.ValueOf(&data).Elem(), func() string { return value }, 0)
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
		if oursErr != nil {
			t.Fatalf("standard renders, ours fails: %v", oursErr)
		}
		if sb.String() != ob.String() {
			t.Fatalf("output differs:\nstandard: %q\nours:     %q", sb.String(), ob.String())
		}
	})
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
