package journey

import (
	"fmt"
	htmltemplate "html/template"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// Shop is the shop's identity in emails.
type Shop struct {
	Name string
	URL  string
}

// TemplateData is what every email template (subject, HTML and text part)
// renders with. The send function builds it with NewTemplateData.
type TemplateData struct {
	Profile profile.View
	Trigger touchpoint.Event
	// Checkout is the trigger's checkout, else the profile's last checkout.
	Checkout *touchpoint.Checkout
	// Order and Product are the trigger's (nil when it has none).
	Order   *touchpoint.Order
	Product *touchpoint.Product
	// Data is the send step's data: mapping from journey.yaml.
	Data           map[string]any
	UnsubscribeURL string
	Shop           Shop
	Journey        string
	Step           string
}

// NewTemplateData assembles the template data of one send.
func NewTemplateData(req SendRequest, p profile.View, shop Shop, unsubscribeURL string) TemplateData {
	d := TemplateData{
		Profile: p, Trigger: req.Trigger, Checkout: req.Trigger.Checkout, Order: req.Trigger.Order,
		Product: req.Trigger.Product, Data: req.Data, UnsubscribeURL: unsubscribeURL, Shop: shop,
		Journey: req.Journey, Step: req.Step,
	}
	if d.Checkout == nil {
		d.Checkout = p.LastCheckout
	}
	return d
}

// Funcs are the functions templates may call:
//
//	money "129.9" "EUR"        → "€129.90"  (unknown currency: "129.90 CHF")
//	lineTotal .                → a LineItem's price × quantity, e.g. "59.80"
//	default "there" .Profile.FirstName → the second argument unless empty
//	first 3 .Checkout.LineItems → at most the first n line items
func Funcs() map[string]any {
	return map[string]any{
		"money":     money,
		"lineTotal": lineTotal,
		"default":   defaultString,
		"first":     first,
	}
}

var currencySymbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}

func money(amount, currency string) string {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(amount))
	if !ok {
		return strings.TrimSpace(amount + " " + currency)
	}
	s := r.FloatString(2)
	if currency == "JPY" {
		s = r.FloatString(0)
	}
	if sym, ok := currencySymbols[strings.ToUpper(currency)]; ok {
		return sym + s
	}
	return strings.TrimSpace(s + " " + currency)
}

func lineTotal(li touchpoint.LineItem) string {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(li.Price))
	if !ok {
		return li.Price
	}
	return r.Mul(r, new(big.Rat).SetInt64(li.Quantity)).FloatString(2)
}

func defaultString(def, v string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

func first(n int, items []touchpoint.LineItem) []touchpoint.LineItem {
	if len(items) > n {
		return items[:n]
	}
	return items
}

// ParseHTML parses an HTML part with Funcs.
func ParseHTML(name, src string) (*htmltemplate.Template, error) {
	return htmltemplate.New(name).Funcs(htmltemplate.FuncMap(Funcs())).Option("missingkey=error").Parse(src)
}

// ParseText parses a text part or a subject with Funcs.
func ParseText(name, src string) (*texttemplate.Template, error) {
	return texttemplate.New(name).Funcs(texttemplate.FuncMap(Funcs())).Option("missingkey=error").Parse(src)
}

func checkSubject(s string) error {
	_, err := ParseText("subject", s)
	return err
}

// SampleData is template data for a journey's trigger, for checking that its
// templates render: a subscribed profile with one past order and a trigger
// event of the journey's first event type.
func SampleData(j *Journey, step *Step) TemplateData {
	t0 := time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC)
	items := []touchpoint.LineItem{
		{ProductID: "7001", Title: "Linen shirt", VariantName: "M / Sand", Quantity: 2, Price: "49.90", ImageURL: "https://shop.example/img/linen-shirt.jpg", URL: "https://shop.example/products/linen-shirt", Category: "Shirts"},
		{ProductID: "7002", Title: "Canvas tote", Quantity: 1, Price: "24.00", URL: "https://shop.example/products/canvas-tote", Category: "Bags"},
	}
	ev := touchpoint.Event{ID: "sample", Source: "shopify", Shop: "shop.example", Email: "ada@example.com", OccurredAt: t0}
	if len(j.Events) > 0 {
		ev.Type = j.Events[0]
	}
	switch {
	case strings.HasPrefix(string(ev.Type), "checkout_") || ev.Type == touchpoint.CartUpdated:
		ev.Checkout = &touchpoint.Checkout{ID: "c-1", RecoveryURL: "https://shop.example/checkouts/c-1/recover", Currency: "EUR", Subtotal: "123.80", Total: "123.80", LineItems: items, UpdatedAt: t0}
	case strings.HasPrefix(string(ev.Type), "order_"):
		ev.Order = &touchpoint.Order{ID: "o-1", Number: "1042", Currency: "EUR", Total: "123.80", Status: "delivered", LineItems: items, CreatedAt: t0, UpdatedAt: t0}
	case ev.Type == touchpoint.ProductViewed:
		ev.Product = &touchpoint.Product{ID: "7001", Title: "Linen shirt", URL: "https://shop.example/products/linen-shirt", ImageURL: "https://shop.example/img/linen-shirt.jpg", Category: "Shirts", Price: "49.90", Currency: "EUR"}
	case ev.Type == touchpoint.ConsentChanged || ev.Type == touchpoint.CustomerCreated:
		ev.Consent = &touchpoint.Consent{State: touchpoint.ConsentSubscribed, UpdatedAt: t0}
	}
	p := profile.View{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Timezone: "Europe/Paris", Subscribed: true,
		OrderCount: 1, Frequency: "new", CreatedAt: t0, UpdatedAt: t0}
	req := SendRequest{Journey: j.Name, Step: step.ID, Template: step.Template, Subject: step.Subject, Data: step.Data, Trigger: ev}
	return NewTemplateData(req, p, Shop{Name: "Maison Example", URL: "https://shop.example"}, "https://shop.example/unsubscribe?t=sample")
}

// CheckTemplates parses and renders every send step's subject, HTML and
// text part with SampleData, so a typo in a field name fails parcours
// validate and compile rather than a send.
func CheckTemplates(j *Journey) error {
	var ds Diagnostics
	walkSteps(j.Steps, func(s *Step) {
		if s.Kind != KindSend {
			return
		}
		data := SampleData(j, s)
		if t, err := ParseText("subject", s.Subject); err == nil {
			if err := t.Execute(io.Discard, data); err != nil {
				ds = append(ds, Diagnostic{File: j.File, Line: s.Line, Column: s.Col, Msg: fmt.Sprintf("subject of %q does not render: %v", s.ID, err), Hint: "see the template data in docs/journeys.md"})
			}
		}
		for _, ext := range []string{".html", ".txt"} {
			file := filepath.Join(j.Dir, s.Template+ext)
			src, err := os.ReadFile(file)
			if err != nil {
				ds = append(ds, Diagnostic{File: j.File, Line: s.Line, Column: s.Col, Msg: "missing template file " + s.Template + ext})
				continue
			}
			var execErr error
			if ext == ".html" {
				t, err := ParseHTML(s.Template+ext, string(src))
				if err != nil {
					ds = append(ds, templateDiag(file, err))
					continue
				}
				execErr = t.Execute(io.Discard, data)
			} else {
				t, err := ParseText(s.Template+ext, string(src))
				if err != nil {
					ds = append(ds, templateDiag(file, err))
					continue
				}
				execErr = t.Execute(io.Discard, data)
			}
			if execErr != nil {
				ds = append(ds, templateDiag(file, execErr))
			}
		}
	})
	if len(ds) > 0 {
		return ds
	}
	return nil
}

var tmplPosRE = regexp.MustCompile(`^(?:html/)?template: [^:]+:(\d+)(?::(\d+))?: (.*)$`)

// templateDiag turns "template: name:12:5: msg" into a diagnostic at that line.
func templateDiag(file string, err error) Diagnostic {
	d := Diagnostic{File: file, Line: 1, Column: 1, Msg: err.Error(), Hint: "see the template data and functions in docs/journeys.md"}
	if m := tmplPosRE.FindStringSubmatch(err.Error()); m != nil {
		d.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			d.Column, _ = strconv.Atoi(m[2])
		}
		d.Msg = m[3]
	}
	return d
}
