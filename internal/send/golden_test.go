package send_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/journey"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/mail"
	"github.com/parcours/parcours/internal/sesapi"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/journeys"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

// sendSteps lists a journey's send steps in order, branches included.
func sendSteps(steps []*journey.Step) []*journey.Step {
	var out []*journey.Step
	for _, s := range steps {
		switch s.Kind {
		case journey.KindSend:
			out = append(out, s)
		case journey.KindIf:
			out = append(out, sendSteps(s.Then)...)
			out = append(out, sendSteps(s.Else)...)
		case journey.KindSplit:
			for _, b := range s.Branches {
				out = append(out, sendSteps(b.Steps)...)
			}
		}
	}
	return out
}

var (
	goldenAt = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC) // 10:30 in Paris
	lines    = []touchpoint.LineItem{
		{ProductID: "8123456789012", VariantID: "45123456789012", SKU: "LIN-SH-M-SAGE", Title: "Washed linen shirt", VariantName: "M / Sage",
			Quantity: 1, Price: "89.00", ImageURL: "https://cdn.maison-lin.example/p/linen-shirt-sage.jpg", URL: "https://maison-lin.example/products/linen-shirt", Category: "Shirts"},
		{ProductID: "8123456789013", VariantID: "45123456789013", SKU: "LIN-TT-NAT", Title: "Linen tea towels, set of 2", VariantName: "Natural",
			Quantity: 2, Price: "24.50", ImageURL: "https://cdn.maison-lin.example/p/tea-towels.jpg", URL: "https://maison-lin.example/products/tea-towels", Category: "Kitchen"},
		{ProductID: "8123456789014", Title: "Gift wrapping & card", Quantity: 1, Price: "4.90"},
	}
)

// trigger is a realistic event of the journey's first trigger type.
func trigger(t testing.TB, typ touchpoint.Type, email string) touchpoint.Event {
	at := goldenAt.Add(-4 * time.Hour)
	ev := touchpoint.Event{ID: "shopify:maison-lin.myshopify.com:" + string(typ) + ":1", Source: "shopify", Shop: "maison-lin.myshopify.com",
		Type: typ, OccurredAt: at, Email: email, CustomerID: "7012345678901"}
	switch typ {
	case touchpoint.CheckoutStarted, touchpoint.CheckoutUpdated:
		ev.Checkout = &touchpoint.Checkout{ID: "35012345678901", Token: "b7f3c9e1d2a4", Currency: "EUR", Subtotal: "142.90", Total: "142.90",
			RecoveryURL: "https://maison-lin.example/checkouts/b7f3c9e1d2a4/recover?key=3f9a", LineItems: lines, UpdatedAt: at}
	case touchpoint.ProductViewed:
		ev.Product = &touchpoint.Product{ID: "8123456789012", Title: "Washed linen shirt", URL: "https://maison-lin.example/products/linen-shirt",
			ImageURL: "https://cdn.maison-lin.example/p/linen-shirt-sage.jpg", Category: "Shirts", Price: "89.00", Currency: "EUR"}
	case touchpoint.OrderPlaced, touchpoint.OrderPaid, touchpoint.OrderFulfilled, touchpoint.OrderDelivered:
		ev.Order = &touchpoint.Order{ID: "5712345678901", Number: "1042", CheckoutID: "35012345678901", Currency: "EUR", Total: "142.90",
			Status: touchpoint.OrderStatusFulfilled, LineItems: lines, CreatedAt: at.Add(-72 * time.Hour), UpdatedAt: at}
	case touchpoint.CustomerCreated, touchpoint.ConsentChanged, touchpoint.CustomerUpdated:
		ev.Customer = &touchpoint.Customer{FirstName: "Ana", LastName: "Martin", Timezone: "Europe/Paris"}
		ev.Consent = &touchpoint.Consent{State: touchpoint.ConsentSubscribed, OptInLevel: "single_opt_in", UpdatedAt: at}
	default:
		t.Fatalf("no realistic trigger for %s: add one", typ)
	}
	return ev
}

// TestGoldenRenders sends every send step of the five journeys through the
// real send path (embedded templates, SES endpoint) and compares what SES
// received with testdata/golden/<journey>/<step>.golden.
func TestGoldenRenders(t *testing.T) {
	js, err := journey.LoadAll(filepath.Join("..", "..", "journeys"))
	if err != nil {
		t.Fatal(err)
	}
	if len(js) < 5 {
		t.Fatalf("%d journeys, want the five", len(js))
	}
	for _, j := range js {
		steps := sendSteps(j.Steps)
		if len(steps) == 0 {
			t.Errorf("journey %s has no send step", j.Name)
		}
		for _, st := range steps {
			t.Run(j.Name+"/"+st.ID, func(t *testing.T) {
				e := newEnv(t)
				e.h.Renderer = mail.Renderer{FS: journeys.FS}
				e.h.Config.Shop = mail.Shop{Name: "Maison Lin", URL: "https://maison-lin.example"}
				e.now = goldenAt
				const email = "ana.martin@example.com"
				e.addProfile(t, email, touchpoint.ConsentSubscribed, "Europe/Paris")
				in := contract.SendRequest{Journey: j.Name, Step: st.ID, Template: st.Template, Subject: st.Subject, Data: st.Data,
					Policy: j.Policy, Execution: j.Name + "-golden", ProfileKey: email, Trigger: trigger(t, j.Events[0], email)}
				if got := e.handle(t, in); got.Status != contract.StatusSent {
					t.Fatalf("answer = %+v", got)
				}
				compareGolden(t, e.ses.Outbox()[0], filepath.Join("testdata", "golden", j.Name, st.ID+".golden"))
			})
		}
	}
}

// compareGolden compares what SES received with a golden file (rewritten
// with -update).
func compareGolden(t *testing.T, m sesapi.Message, path string) {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "Subject: %s\nList-Unsubscribe: %s\nList-Unsubscribe-Post: %s\nTags: journey=%s step=%s\n\n--- text ---\n%s\n--- html ---\n%s\n",
		m.Subject, m.Header("List-Unsubscribe"), m.Header("List-Unsubscribe-Post"), m.Tags["journey"], m.Tags["step"], m.Text, m.HTML)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/send -run TestGolden -update)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("%s differs from the render; rerun with -update if the change is intended\n--- got ---\n%s", path, b.String())
	}
}

// TestGoldenRenderStoredOrder: a Shopify fulfillments/update (delivered)
// carries the order id and the fulfilled lines but no order number or
// total. The review request takes them from the stored order, so the
// subject is never "How is your order #?".
func TestGoldenRenderStoredOrder(t *testing.T) {
	js, err := journey.LoadAll(filepath.Join("..", "..", "journeys"))
	if err != nil {
		t.Fatal(err)
	}
	var j *journey.Journey
	for _, x := range js {
		if x.Name == "review-request" {
			j = x
		}
	}
	if j == nil {
		t.Fatal("no review-request journey")
	}
	st := sendSteps(j.Steps)[0]
	e := newEnv(t)
	e.h.Renderer = mail.Renderer{FS: journeys.FS}
	e.h.Config.Shop = mail.Shop{Name: "Maison Lin", URL: "https://maison-lin.example"}
	e.now = goldenAt
	const email = "ana.martin@example.com"
	e.addProfile(t, email, touchpoint.ConsentSubscribed, "Europe/Paris")
	placed := trigger(t, touchpoint.OrderPlaced, email)
	if _, err := e.store.Apply(context.Background(), placed); err != nil {
		t.Fatal(err)
	}
	delivered := touchpoint.Event{ID: "shopify:maison-lin.myshopify.com:fulfillments/update:2", Source: "shopify", Shop: "maison-lin.myshopify.com",
		Type: touchpoint.OrderDelivered, OccurredAt: goldenAt.Add(-time.Hour), Email: email,
		Order: &touchpoint.Order{ID: placed.Order.ID, Status: touchpoint.OrderStatusDelivered, LineItems: lines[:2], UpdatedAt: goldenAt.Add(-time.Hour)}}
	in := contract.SendRequest{Journey: j.Name, Step: st.ID, Template: st.Template, Subject: st.Subject, Data: st.Data,
		Policy: j.Policy, Execution: j.Name + "-golden", ProfileKey: email, Trigger: delivered}
	if got := e.handle(t, in); got.Status != contract.StatusSent {
		t.Fatalf("answer = %+v", got)
	}
	m := e.ses.Outbox()[0]
	if m.Subject != "How is your order #1042?" {
		t.Errorf("subject %q, want the stored order's number", m.Subject)
	}
	if delivered.Order.Number != "" {
		t.Error("the caller's trigger was modified")
	}
	compareGolden(t, m, filepath.Join("testdata", "golden", j.Name, st.ID+".stored-order.golden"))
}
