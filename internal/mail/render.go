// Package mail renders journey emails from their templates: the template
// data and functions (TemplateData, Funcs) that both the send function and
// the journey compiler's template checks use, the parser and executor
// (ParseText, ParseHTML, Template), and the Renderer. Templates use Go
// template syntax and HTML parts html/template's contextual escaping, but
// neither text/template nor html/template is linked: text/template calls
// methods by name (reflect's MethodByName), which makes the Go linker keep
// every exported method of every type converted to an interface, megabytes
// in a Lambda (docs/benchmarks.md). exec.go and escape.go follow the
// standard packages; the differential tests hold them to the same output.
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

// Render renders a send step: the subject and the text part as
// text/template would, the HTML part as html/template would (contextual
// escaping). A missing field is an error, never "<no value>".
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
