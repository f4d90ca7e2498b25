package mail

import (
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"text/template/parse"

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

// Template is a parsed subject, text part or HTML part. The send function
// executes it without text/template or html/template (exec.go, escape.go
// say why and how); the journey compiler's checks parse and execute the
// same, so what `parcours validate` accepts is what the send function can
// render.
type Template struct {
	name     string
	src      string
	tree     *parse.Tree
	funcs    map[string]reflect.Value
	escapers map[*parse.ActionNode]escaper // HTML parts: each action's escaping
	texts    map[*parse.TextNode][]byte    // HTML parts: text as html/template writes it
}

// Name is the name the template was parsed with.
func (t *Template) Name() string { return t.name }

var funcValues = func() map[string]reflect.Value {
	m := map[string]reflect.Value{}
	for name, fn := range Funcs() {
		m[name] = reflect.ValueOf(fn)
	}
	return m
}()

// parseFuncs are the names the parser accepts as functions (it reads only
// the keys): Funcs and text/template's built-ins.
var parseFuncs = []map[string]any{Funcs(), builtins()}

// ParseHTML parses an HTML part with Funcs and computes its contextual
// escaping, as html/template does (escape.go).
func ParseHTML(name, src string) (*Template, error) {
	t, err := parseTemplate(name, src)
	if err != nil {
		return nil, err
	}
	if err := t.escapeTree(); err != nil {
		return nil, err
	}
	return t, nil
}

// ParseText parses a text part or a subject with Funcs.
func ParseText(name, src string) (*Template, error) {
	return parseTemplate(name, src)
}

// parseTemplate parses src with text/template's parser and rejects what
// the executor does not run: {{template}}, {{define}}, {{block}},
// {{break}} and {{continue}}, and every function but Funcs and the
// built-ins (the parser itself rejects an unknown function: function "x"
// not defined).
func parseTemplate(name, src string) (*Template, error) {
	trees, err := parse.Parse(name, src, "", "", parseFuncs...)
	if err != nil {
		return nil, err
	}
	t := &Template{name: name, src: src, tree: trees[name], funcs: funcValues}
	for n := range trees {
		if n != name {
			return nil, fmt.Errorf("template: %s: {{define}} and {{block}} are %v", name, errUnsupported)
		}
	}
	if t.tree == nil {
		t.tree = &parse.Tree{Name: name, Root: &parse.ListNode{NodeType: parse.NodeList}}
	}
	if err := t.checkNodes(t.tree.Root, 0); err != nil {
		return nil, err
	}
	return t, nil
}

// maxRangeDepth bounds nested {{range}}s: escaping analyses a range body
// twice (it may run again), so the work doubles with each level.
const maxRangeDepth = 8

// location is "name:line:col" of byte pos of the source, as
// parse.Tree.ErrorContext writes it.
func (t *Template) location(pos int) string {
	text := t.src[:min(pos, len(t.src))]
	col := strings.LastIndex(text, "\n")
	if col == -1 {
		col = len(text)
	} else {
		col = len(text) - col - 1
	}
	return fmt.Sprintf("%s:%d:%d", t.name, 1+strings.Count(text, "\n"), col)
}

func (t *Template) checkNodes(n parse.Node, ranges int) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, m := range n.Nodes {
			if err := t.checkNodes(m, ranges); err != nil {
				return err
			}
		}
		return nil
	case *parse.TextNode, *parse.ActionNode:
		return nil
	case *parse.IfNode:
		return t.checkBranch(&n.BranchNode, ranges)
	case *parse.RangeNode:
		if ranges == maxRangeDepth {
			loc, _ := t.tree.ErrorContext(n)
			return fmt.Errorf("template: %s: more than %d nested {{range}}s", loc, maxRangeDepth)
		}
		return t.checkBranch(&n.BranchNode, ranges+1)
	case *parse.WithNode:
		return t.checkBranch(&n.BranchNode, ranges)
	}
	loc, _ := t.tree.ErrorContext(n)
	return fmt.Errorf("template: %s: %s is %v", loc, n, errUnsupported)
}

func (t *Template) checkBranch(b *parse.BranchNode, ranges int) error {
	if err := t.checkNodes(b.List, ranges); err != nil {
		return err
	}
	if b.ElseList != nil {
		return t.checkNodes(b.ElseList, ranges)
	}
	return nil
}
