package journey

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/mail"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

func checkSubject(s string) error {
	_, err := mail.ParseText("subject", s)
	return err
}

// SampleData is template data for a journey's trigger, for checking that its
// templates render: a subscribed profile with one past order and a trigger
// event of the journey's first event type.
func SampleData(j *Journey, step *Step) mail.TemplateData {
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
	req := contract.SendRequest{Journey: j.Name, Step: step.ID, Template: step.Template, Subject: step.Subject, Data: step.Data, Trigger: ev}
	return mail.NewTemplateData(req, p, mail.Shop{Name: "Maison Example", URL: "https://shop.example"}, "https://shop.example/unsubscribe?t=sample")
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
		if t, err := mail.ParseText("subject", s.Subject); err == nil {
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
				t, err := mail.ParseHTML(s.Template+ext, string(src))
				if err != nil {
					ds = append(ds, templateDiag(file, err))
					continue
				}
				execErr = t.Execute(io.Discard, data)
			} else {
				t, err := mail.ParseText(s.Template+ext, string(src))
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
