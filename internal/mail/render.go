// Package mail renders journey emails from their templates: the template
// data and functions (TemplateData, Funcs) that both the send function and
// the journey compiler's template checks use, and the Renderer. Only the send
// function links it: html/template and text/template make the Go linker
// keep every exported method reachable through an interface, which costs a
// Lambda megabytes.
package mail

import (
	"bytes"
	"io/fs"
	"path"
	"strings"
)

// Rendered is one email's content.
type Rendered struct {
	Subject, Text, HTML string
}

// RenderError is a template that failed to read, parse or execute. The send
// function reports it under contract.ErrTemplate, so the state machine can
// match it.
type RenderError struct {
	Template string // e.g. "abandoned-cart/cart-reminder-1.html"
	Err      error
}

func (e *RenderError) Error() string { return "render " + e.Template + ": " + e.Err.Error() }
func (e *RenderError) Unwrap() error { return e.Err }

// Renderer renders the templates of every journey from one file system
// laid out as <journey>/<template>.html and <journey>/<template>.txt (the
// journeys folder, embedded by package journeys). The data and functions
// (TemplateData, Funcs) are the ones the journey compiler checks templates
// with, documented in docs/journeys.md, so what `parcours validate` checks
// is what is sent.
type Renderer struct {
	FS fs.FS
}

// Render renders a send step: the subject and the text part with
// text/template, the HTML part with html/template (contextual escaping).
// A missing field is an error, never "<no value>".
func (r Renderer) Render(journeyName, tmpl, subject string, d TemplateData) (Rendered, error) {
	var out Rendered
	var b bytes.Buffer
	st, err := ParseText(journeyName+"/subject", subject)
	if err == nil {
		err = st.Execute(&b, d)
	}
	if err != nil {
		return Rendered{}, &RenderError{Template: journeyName + " subject", Err: err}
	}
	out.Subject = strings.Join(strings.Fields(b.String()), " ") // a header is one line

	base := path.Join(journeyName, tmpl)
	src, err := fs.ReadFile(r.FS, base+".txt")
	if err != nil {
		return Rendered{}, &RenderError{Template: base + ".txt", Err: err}
	}
	b.Reset()
	tt, err := ParseText(base+".txt", string(src))
	if err == nil {
		err = tt.Execute(&b, d)
	}
	if err != nil {
		return Rendered{}, &RenderError{Template: base + ".txt", Err: err}
	}
	out.Text = b.String()

	if src, err = fs.ReadFile(r.FS, base+".html"); err != nil {
		return Rendered{}, &RenderError{Template: base + ".html", Err: err}
	}
	b.Reset()
	ht, err := ParseHTML(base+".html", string(src))
	if err == nil {
		err = ht.Execute(&b, d)
	}
	if err != nil {
		return Rendered{}, &RenderError{Template: base + ".html", Err: err}
	}
	out.HTML = b.String()
	return out, nil
}
