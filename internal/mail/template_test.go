package mail

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/parcours/parcours/internal/touchpoint"
)

func TestMoney(t *testing.T) {
	for _, c := range []struct{ amount, cur, want string }{
		{"129.9", "EUR", "€129.90"}, {"5", "USD", "$5.00"}, {"1200", "JPY", "¥1200"}, {"10.5", "CHF", "10.50 CHF"}, {"n/a", "EUR", "n/a EUR"},
	} {
		t.Run(c.amount+c.cur, func(t *testing.T) {
			if got := money(c.amount, c.cur); got != c.want {
				t.Errorf("money(%q, %q) = %q, want %q", c.amount, c.cur, got, c.want)
			}
		})
	}
}

// TestParseRejects: what the send function cannot render is refused when
// the template is parsed (so `parcours validate` names it), with the
// template's name, line and column.
func TestParseRejects(t *testing.T) {
	for _, c := range []struct {
		name, src string
		html      bool
		want      string
	}{
		{"unknown function", `{{upper .Profile.FirstName}}`, false, `template: t:1: function "upper" not defined`},
		{"escaping function", `<p>{{_eval_args_ .Shop.Name}}</p>`, true, `template: t:1: function "_eval_args_" not defined`},
		{"html before the end of a pipeline", `<p>{{html .Shop.Name | printf "%s"}}</p>`, true, `template: t:1:5: predefined escaper "html" disallowed in template: only the last command of an action may be html or urlquery`},
		{"urlquery before the end of a pipeline", "<p>\n<a href=\"/s?q={{urlquery .Shop.Name | html}}\">", true, `template: t:2:16: predefined escaper "urlquery" disallowed in template: only the last command of an action may be html or urlquery`},
		{"unclosed action", `Hi {{.Profile.FirstName`, false, `template: t:1: unclosed action`},
		{"template call", `{{template "x"}}`, false, `template: t:1:11: {{template "x"}} is not supported in email templates`},
		{"define", `{{define "x"}}a{{end}}b`, false, `template: t: {{define}} and {{block}} are not supported in email templates`},
		{"break", `{{range .Checkout.LineItems}}{{break}}{{end}}`, false, `template: t:1:31: {{break}} is not supported in email templates`},
		{"script element", "<p>\n<script>alert(1)</script>", true, `template: t:2:0: <script> elements are not supported in email templates (email clients drop scripts)`},
		{"style element", `<style>p{color:red}</style>`, true, `template: t:1:0: <style> elements are not supported in email templates (put styles in style attributes)`},
		{"action in a style attribute", `<p style="color:{{.Data.color}}">`, true, `template: t:1:18: {{.Data.color}} inside a style, on*, srcset or <meta content> attribute is not supported in email templates`},
		{"action in an event handler", `<a onclick="f('{{.Shop.Name}}')">`, true, `template: t:1:17: {{.Shop.Name}} inside a style, on*, srcset or <meta content> attribute is not supported in email templates`},
		{"action in srcset", `<img srcset="{{.Shop.URL}} 2x">`, true, `template: t:1:15: {{.Shop.URL}} inside a style, on*, srcset or <meta content> attribute is not supported in email templates`},
		{"action as an attribute", `<td {{.Data.attrs}}>`, true, `template: t:1:6: {{.Data.attrs}} inside a tag, outside a quoted attribute value is not supported in email templates`},
		{"unquoted attribute value", `<a href={{.Shop.URL}}>`, true, `template: t:1:10: {{.Shop.URL}} inside an unquoted attribute value (quote it) is not supported in email templates`},
		{"action in a comment", `<!-- {{.Shop.Name}} -->`, true, `template: t:1:7: {{.Shop.Name}} inside an HTML comment is not supported in email templates`},
		{"if in a style attribute", `<p style="{{if .Order}}color:red{{end}}">`, true, `template: t:1:15: {{if}} inside a style, on*, srcset or <meta content> attribute is not supported in email templates`},
		{"ambiguous URL", `<a href="{{if .Order}}/o?x={{else}}/p{{end}}{{.Shop.Name}}">`, true, `template: t:1:46: {{.Shop.Name}} appears in an ambiguous context within a URL`},
		{"branches end apart", `{{if .Order}}<a href="x">{{else}}<a href="{{end}}">`, true, `template: t:1:5: {{if}} branches end in different contexts: text, URL attribute value`},
		{"ends in a tag", `<p title="x`, true, `template: t: ends in a non-text context: attribute value`},
		{"nine nested ranges", strings.Repeat("{{range .Checkout.LineItems}}", 9) + strings.Repeat("{{end}}", 9), true, `template: t:1:240: more than 8 nested {{range}}s`},
		{"quote in attribute name", `<a b"c="d">`, true, `template: t:1:2: "\"" in attribute name: " b\"c=\"d\">"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.html {
				_, err = ParseHTML("t", c.src)
			} else {
				_, err = ParseText("t", c.src)
			}
			if err == nil || err.Error() != c.want {
				t.Errorf("error\n %v\nwant\n %s", err, c.want)
			}
		})
	}
}

// TestHTMLEscaping: each context's escaping, on values meant to break out
// of it (the differential tests compare with html/template; this states
// the expected bytes).
func TestHTMLEscaping(t *testing.T) {
	const src = `<title>{{.Shop.Name}}</title><a href="{{.Shop.URL}}" title='{{.Shop.Name}}'>{{.Shop.Name}}</a>` +
		`<a href="https://x.example/s?q={{.Shop.Name}}">q</a><a href="/p/{{.Shop.Name}}">p</a><!-- note -->1 < 2`
	tm, err := ParseHTML("t", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, url, want string }{
		{`"><script>alert(1)</script>`, "javascript:alert(1)",
			`<title>&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title><a href="#ZgotmplZ" title='&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'>&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</a>` +
				`<a href="https://x.example/s?q=%22%3e%3cscript%3ealert%281%29%3c%2fscript%3e">q</a><a href="/p/%22%3e%3cscript%3ealert%281%29%3c/script%3e">p</a>1 &lt; 2`},
		{"O'Neil & Sons +1", "https://shop.example/a b?x=1&y=\"2\"",
			`<title>O&#39;Neil &amp; Sons &#43;1</title><a href="https://shop.example/a%20b?x=1&amp;y=%222%22" title='O&#39;Neil &amp; Sons &#43;1'>O&#39;Neil &amp; Sons &#43;1</a>` +
				`<a href="https://x.example/s?q=O%27Neil%20%26%20Sons%20%2b1">q</a><a href="/p/O%27Neil%20&amp;%20Sons%20&#43;1">p</a>1 &lt; 2`},
		{"Zoë", "MAILTO:a@b.example", `<title>Zoë</title><a href="MAILTO:a@b.example" title='Zoë'>Zoë</a>` +
			`<a href="https://x.example/s?q=Zo%c3%ab">q</a><a href="/p/Zo%c3%ab">p</a>1 &lt; 2`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tm.Execute(&b, TemplateData{Shop: Shop{Name: c.name, URL: c.url}}); err != nil {
				t.Fatal(err)
			}
			if b.String() != c.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), c.want)
			}
		})
	}
}

// TestNoMethodCalls: names are fields or map keys, never methods (what
// keeps reflect's MethodByName out of the send function); the error is
// text/template's for an unknown field.
func TestNoMethodCalls(t *testing.T) {
	tm, err := ParseText("t", "{{.Trigger.OccurredAt.Year}}")
	if err != nil {
		t.Fatal(err)
	}
	err = tm.Execute(io.Discard, TemplateData{})
	want := `template: t:1:10: executing "t" at <.Trigger.OccurredAt.Year>: can't evaluate field Year in type time.Time`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

// TestBuiltins states what text/template's built-ins give in the journeys'
// templates, in the text parts and (escaped for where they stand) in the
// HTML parts; the differential tests compare them with the standard
// engines on many more templates and data sets.
func TestBuiltins(t *testing.T) {
	d := TemplateData{Shop: Shop{Name: `O'Neil & <Sons>`, URL: "https://x.example/a b"}, Data: map[string]any{"n": 3.0, "nil": nil},
		Checkout: &touchpoint.Checkout{LineItems: []touchpoint.LineItem{{Title: "Shirt", Price: "49.90", Quantity: 2}, {Title: "Tote"}}}}
	d.Profile.Frequency, d.Profile.OrderCount, d.Profile.AOV = "vip", 4, 81.5
	for _, c := range []struct {
		name, src, text, html, err string
	}{
		{"eq", `{{if eq .Profile.Frequency "vip"}}VIP{{end}}{{if eq .Profile.Frequency "new" "loyal"}}!{{end}}`, "VIP", "VIP", ""},
		{"comparisons", `{{lt .Profile.OrderCount 5}} {{ge .Profile.AOV 80.0}} {{ne .Step ""}} {{gt "b" "a"}}`, "true true false true", "true true false true", ""},
		{"and or not", `{{and .Data.n .Shop.Name}}|{{or .Profile.FirstName "friend"}}|{{and 0 .Nope}}|{{not .Order}}`, "O'Neil & <Sons>|friend|0|true", "O&#39;Neil &amp; &lt;Sons&gt;|friend|0|true", ""},
		{"an untyped nil operand", `{{and .Data.nil 1}}`, "<no value>", "", ""},
		{"len index slice", `{{len .Checkout.LineItems}} {{(index .Checkout.LineItems 1).Title}} {{index .Data "n"}} {{slice .Shop.Name 2 6}}`, "2 Tote 3 Neil", "2 Tote 3 Neil", ""},
		{"print printf println", `{{printf "%.2f" .Profile.AOV}} {{print "a" 1 2 "b"}} {{println .Profile.OrderCount}}`, "81.50 a1 2b 4\n", "81.50 a1 2b 4\n", ""},
		{"html js urlquery", `{{html .Shop.Name}} {{js .Shop.Name}} {{urlquery .Shop.Name}}`,
			`O&#39;Neil &amp; &lt;Sons&gt; O\'Neil \u0026 \u003CSons\u003E O%27Neil+%26+%3CSons%3E`,
			`O&#39;Neil &amp; &lt;Sons&gt; O\&#39;Neil \u0026 \u003CSons\u003E O%27Neil&#43;%26&#43;%3CSons%3E`, ""},
		{"urlquery in a URL's query", `<a href="/s?q={{urlquery .Shop.Name}}">`, `<a href="/s?q=O%27Neil+%26+%3CSons%3E">`, `<a href="/s?q=O%27Neil&#43;%26&#43;%3CSons%3E">`, ""},
		{"range over len", `{{range len .Checkout.LineItems}}[{{.}}]{{end}}`, "[0][1]", "[0][1]", ""},
		{"index out of range", `{{index .Checkout.LineItems 5}}`, "", "", `template: t:1:2: executing "t" at <index .Checkout.LineItems 5>: error calling index: index out of range: 5`},
		{"incompatible comparison", `{{lt .Profile.OrderCount 1.5}}`, "", "", `template: t:1:2: executing "t" at <lt .Profile.OrderCount 1.5>: error calling lt: incompatible types for comparison: int64 and float64`},
		{"len of a number", `{{len .Profile.OrderCount}}`, "", "", `template: t:1:2: executing "t" at <len .Profile.OrderCount>: error calling len: len of type int64`},
		{"call of a string", `{{call .Shop.Name}}`, "", "", `template: t:1:2: executing "t" at <call .Shop.Name>: error calling call: non-function .Shop.Name of type string`},
		{"printf without a format", `{{printf}}`, "", "", `template: t:1:2: executing "t" at <printf>: wrong number of args for printf: want at least 1 got 0`},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, html := range []bool{false, true} {
				var tm *Template
				var err error
				if html {
					tm, err = ParseHTML("t", c.src)
				} else {
					tm, err = ParseText("t", c.src)
				}
				if err != nil {
					t.Fatalf("html %v: %v", html, err)
				}
				var b bytes.Buffer
				err = tm.Execute(&b, d)
				want := c.text
				if html {
					want = c.html
				}
				if c.err != "" {
					var ee ExecError
					if err == nil || err.Error() != c.err || !errors.As(err, &ee) || b.Len() != 0 {
						t.Errorf("html %v: error %v (output %q), want ExecError %s", html, err, b.String(), c.err)
					}
					continue
				}
				if err != nil || b.String() != want {
					t.Errorf("html %v: got %q, %v; want %q", html, b.String(), err, want)
				}
			}
		})
	}
}
