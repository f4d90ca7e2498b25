package mail

import (
	"bytes"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// Data is what a journey's templates and subjects see. docs/journeys.md
// documents every field.
type Data struct {
	Profile  profile.View
	Trigger  touchpoint.Event
	Checkout *touchpoint.Checkout // the trigger's checkout, else the profile's last checkout
	Order    *touchpoint.Order    // the trigger's order
	Product  *touchpoint.Product  // the trigger's product
	Data     map[string]any       // the send step's data: block
	Shop     Shop
	// UnsubscribeURL is the signed one-click link of this profile.
	UnsubscribeURL string
	Journey, Step  string
	Now            time.Time
}

// Shop is the sender as templates see it.
type Shop struct {
	Name     string
	URL      string
	Currency string
	Timezone string
}

// NewData assembles the template data of one send.
func NewData(v profile.View, trigger touchpoint.Event, stepData map[string]any, shop Shop, unsubscribeURL, journey, step string, now time.Time) Data {
	d := Data{Profile: v, Trigger: trigger, Order: trigger.Order, Product: trigger.Product, Data: stepData,
		Shop: shop, UnsubscribeURL: unsubscribeURL, Journey: journey, Step: step, Now: now}
	d.Checkout = trigger.Checkout
	if d.Checkout == nil {
		d.Checkout = v.LastCheckout
	}
	return d
}

// Rendered is one email's content.
type Rendered struct {
	Subject, Text, HTML string
}

// RenderError is a template that failed to parse or execute. The send
// function reports it under journey.ErrTemplate, so the state machine can
// match it.
type RenderError struct {
	Template string // e.g. "abandoned-cart/reminder.html"
	Err      error
}

func (e *RenderError) Error() string { return "render " + e.Template + ": " + e.Err.Error() }
func (e *RenderError) Unwrap() error { return e.Err }

// Renderer renders the templates of every journey from one file system
// laid out as <journey>/<template>.html and <journey>/<template>.txt.
type Renderer struct {
	FS fs.FS
}

// Render renders a send step: the subject (text/template), the text part
// (text/template) and the HTML part (html/template, contextual escaping).
// A missing key in the data is an error, not "<no value>".
func (r Renderer) Render(journey, tmpl, subject string, d Data) (Rendered, error) {
	var out Rendered
	var err error
	if out.Subject, err = execText(journey+"/subject", subject, d); err != nil {
		return Rendered{}, err
	}
	out.Subject = strings.Join(strings.Fields(out.Subject), " ") // a header is one line
	base := path.Join(journey, tmpl)
	txt, err := fs.ReadFile(r.FS, base+".txt")
	if err != nil {
		return Rendered{}, &RenderError{Template: base + ".txt", Err: err}
	}
	if out.Text, err = execText(base+".txt", string(txt), d); err != nil {
		return Rendered{}, err
	}
	html, err := fs.ReadFile(r.FS, base+".html")
	if err != nil {
		return Rendered{}, &RenderError{Template: base + ".html", Err: err}
	}
	t, err := htmltemplate.New(base + ".html").Funcs(Funcs).Option("missingkey=error").Parse(string(html))
	if err != nil {
		return Rendered{}, &RenderError{Template: base + ".html", Err: err}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return Rendered{}, &RenderError{Template: base + ".html", Err: err}
	}
	out.HTML = b.String()
	return out, nil
}

func execText(name, src string, d Data) (string, error) {
	t, err := texttemplate.New(name).Funcs(Funcs).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", &RenderError{Template: name, Err: err}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", &RenderError{Template: name, Err: err}
	}
	return b.String(), nil
}

// Funcs are the template functions (the same in text and HTML templates).
var Funcs = map[string]any{
	"money":   Money,
	"times":   times,
	"default": func(def, v any) any { return orDefault(def, v) },
	"upper":   strings.ToUpper,
	"title":   titleCase,
	"date":    func(layout string, t time.Time) string { return t.Format(layout) },
}

var symbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}

// Money formats a decimal string amount in a currency: "€129.90",
// "$5.00", "1500 CHF". An amount that is not a decimal is shown as given.
func Money(amount, currency string) string {
	a, err := profile.ParseAmount(amount)
	if err != nil {
		return amount
	}
	s := a.Format(currency)
	c := strings.ToUpper(currency)
	if sym, ok := symbols[c]; ok {
		if strings.HasPrefix(s, "-") {
			return "-" + sym + s[1:]
		}
		return sym + s
	}
	if c == "" {
		return s
	}
	return s + " " + c
}

// times multiplies a decimal unit price by a quantity: {{money (times .Price .Quantity) $cur}}.
func times(price string, qty int64) string {
	a, err := profile.ParseAmount(price)
	if err != nil {
		return price
	}
	return (a * profile.Amount(qty)).Format("")
}

func orDefault(def, v any) any {
	switch x := v.(type) {
	case nil:
		return def
	case string:
		if x == "" {
			return def
		}
	}
	return v
}

func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
