package mail

import (
	htmltemplate "html/template"
	"math/big"
	"strings"
	texttemplate "text/template"

	"github.com/parcours/parcours/internal/journey/contract"
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
func NewTemplateData(req contract.SendRequest, p profile.View, shop Shop, unsubscribeURL string) TemplateData {
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
