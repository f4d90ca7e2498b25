package unsubscribe

import (
	"bytes"
	"html/template"
	"net/url"
	"strings"
	"testing"
)

// pageTmpl is the page as it was written with html/template, before
// renderPage replaced it to keep html/template out of the function.
var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Shop}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.6rem 1.2rem}</style>
</head><body>
<p>{{.Shop}}</p>
<h1>{{.Text}}</h1>
{{- if .Action}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>
{{- end}}
</body></html>
`))

// TestPageMatchesHTMLTemplate: renderPage's output is byte for byte what
// html/template's contextual escaping made, for hostile shop names and every
// token shape the handler puts in the form action.
func TestPageMatchesHTMLTemplate(t *testing.T) {
	shops := []string{"Maison Lin", `<script>alert("x")</script>`, `Tom & Jerry's "Shop"`, "Café ☕ <b>", "A+B\x00\xff\ufdd0", ""}
	texts := []string{TextConfirm, TextDone, TextBadLink, TextBadPost, TextFailed, TextNotFound}
	tokens := []string{"", "abc.DEF-_~", "a+b/c=d", "x y&z<\"'>", "é%20", "x\x00\xff"}
	for _, shop := range shops {
		for _, text := range texts {
			for _, tok := range tokens {
				action := ""
				if tok != "" {
					action = "?t=" + url.QueryEscape(tok)
				}
				t.Run(shop+"/"+text+"/"+tok, func(t *testing.T) {
					var want bytes.Buffer
					if err := pageTmpl.Execute(&want, struct{ Shop, Text, Action string }{shop, text, action}); err != nil {
						t.Fatal(err)
					}
					var got strings.Builder
					renderPage(&got, shop, text, action)
					if got.String() != want.String() {
						t.Errorf("renderPage =\n%s\nhtml/template =\n%s", got.String(), want.String())
					}
				})
			}
		}
	}
}
