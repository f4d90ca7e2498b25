package profile

import (
	"time"

	"github.com/parcours/parcours/internal/touchpoint"
)

// ScenarioEvents is one customer's history: sign-up, two checkouts, three
// orders (one paid and fulfilled, one partially refunded, one cancelled),
// a consent change and a name change. The store tests (package
// profile_test) use it too.
func ScenarioEvents() []touchpoint.Event {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	tp := func(h int) *time.Time { v := at(h); return &v }
	const email, cid = "ann@example.com", "7001234567890123456"
	base := func(id string, typ touchpoint.Type, h int) touchpoint.Event {
		return touchpoint.Event{ID: "shopify:shop.example:" + id, Source: "shopify", Shop: "shop.example", Type: typ,
			OccurredAt: at(h), Email: email, CustomerID: cid}
	}
	lines := []touchpoint.LineItem{
		{Title: "Trail shoe", Quantity: 2, Price: "40.00", Category: "Shoes"},
		{Title: "Sock", Quantity: 1, Price: "20.00", Category: "Socks"},
	}
	var evs []touchpoint.Event

	e := base("1", touchpoint.CustomerCreated, 0)
	e.Customer = &touchpoint.Customer{FirstName: "Ann", LastName: "Lee", Tags: []string{"newsletter"}}
	e.Consent = &touchpoint.Consent{State: touchpoint.ConsentSubscribed, OptInLevel: "single_opt_in", UpdatedAt: at(0)}
	evs = append(evs, e)

	e = base("2", touchpoint.CheckoutStarted, 1)
	e.Checkout = &touchpoint.Checkout{ID: "c1", Token: "tok1", Currency: "EUR", Total: "60.00", LineItems: lines[:1], UpdatedAt: at(1)}
	e.Touch = &touchpoint.Touch{Channel: "web", Device: "desktop"}
	evs = append(evs, e)

	e = base("3", touchpoint.CheckoutUpdated, 2)
	e.Checkout = &touchpoint.Checkout{ID: "c1", Token: "tok1", Currency: "EUR", Total: "100.00", LineItems: lines, UpdatedAt: at(2)}
	evs = append(evs, e)

	e = base("4", touchpoint.OrderPlaced, 3)
	e.Order = &touchpoint.Order{ID: "9001", Number: "#1001", CheckoutID: "c1", Currency: "EUR", Total: "100.00", LineItems: lines, CreatedAt: at(3), UpdatedAt: at(3)}
	e.Touch = &touchpoint.Touch{Channel: "web", Device: "mobile"}
	evs = append(evs, e)

	e = base("5", touchpoint.OrderPaid, 4)
	e.Order = &touchpoint.Order{ID: "9001", Number: "#1001", Currency: "EUR", Total: "100.00", LineItems: lines, CreatedAt: at(3), UpdatedAt: at(4)}
	evs = append(evs, e)

	e = base("6", touchpoint.OrderFulfilled, 5)
	e.Order = &touchpoint.Order{ID: "9001", CreatedAt: at(3), UpdatedAt: at(5)}
	evs = append(evs, e)

	e = base("7", touchpoint.CustomerUpdated, 6)
	e.Customer = &touchpoint.Customer{FirstName: "Anna", Timezone: "Europe/Paris", Tags: []string{"vip-candidate", "newsletter"}}
	e.Consent = &touchpoint.Consent{State: touchpoint.ConsentUnsubscribed, UpdatedAt: at(6)}
	evs = append(evs, e)

	e = base("8", touchpoint.OrderPlaced, 30)
	e.Order = &touchpoint.Order{ID: "9002", Number: "#1002", Currency: "EUR", Total: "50.50",
		LineItems: []touchpoint.LineItem{{Title: "Sock", Quantity: 3, Price: "16.83", Category: "Socks"}}, CreatedAt: at(30), UpdatedAt: at(30)}
	evs = append(evs, e)

	e = base("9", touchpoint.OrderRefunded, 40)
	e.Order = &touchpoint.Order{ID: "9002", Refunded: "10.25", CreatedAt: at(30), UpdatedAt: at(40)}
	evs = append(evs, e)

	e = base("10", touchpoint.OrderPlaced, 50)
	e.Order = &touchpoint.Order{ID: "9003", Number: "#1003", Currency: "USD", Total: "15.00", CreatedAt: at(50), UpdatedAt: at(50),
		LineItems: []touchpoint.LineItem{{Title: "Cap", Quantity: 1, Price: "15.00", Category: "Hats"}}}
	evs = append(evs, e)

	e = base("11", touchpoint.OrderCancelled, 51)
	e.Order = &touchpoint.Order{ID: "9003", Currency: "USD", Total: "15.00", CreatedAt: at(50), UpdatedAt: at(51), CancelledAt: tp(51)}
	evs = append(evs, e)

	// A review app (another source) reviews the first order.
	e = touchpoint.Event{ID: "standard:rev1", Source: "standard", Type: touchpoint.ReviewSubmitted, OccurredAt: at(60), Email: email,
		Review: &touchpoint.Review{ID: "rev1", OrderID: "9001", Rating: 5}}
	evs = append(evs, e)
	return evs
}
