// Package sizetest builds the largest canonical events the decoders can
// hand to the store, for tests of the size budgets (docs/events.md, Size
// budgets) in the packages that store and route them. Every event has
// been through touchpoint.Fit, as every decoded event has, and its
// strings are made of "<", which JSON encodes in 6 bytes.
package sizetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/parcours/parcours/internal/touchpoint"
)

// Lt is n characters that each encode to 6 bytes of JSON.
func Lt(n int) string { return strings.Repeat("<", n) }

// At is the time the events occur, plus i minutes.
func At(i int) time.Time {
	return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
}

// lines is 500 line items (touchpoint.MaxLineItems) of about 1 KiB of
// JSON each, so the kept ones fill the line budget, with categories
// named by cat.
func lines(cat func(i int) string) []touchpoint.LineItem {
	out := make([]touchpoint.LineItem, touchpoint.MaxLineItems)
	for i := range out {
		out[i] = touchpoint.LineItem{
			ProductID: fmt.Sprintf("%d", 1000+i), VariantID: fmt.Sprintf("%d", 2000+i),
			SKU: Lt(16), Title: Lt(64), VariantName: Lt(16),
			Quantity: 1, Price: "1.50", ImageURL: Lt(48), Category: cat(i),
		}
	}
	return out
}

// Tags is 250 tags (touchpoint.MaxTags) of 255 characters.
func Tags() []string {
	out := make([]string, touchpoint.MaxTags)
	for i := range out {
		out[i] = fmt.Sprintf("%03d", i) + Lt(touchpoint.MaxTagChars-3)
	}
	return out
}

// largest fills the event's free text with strings of "<" as long as
// touchpoint.Fit still accepts it (binary search), then fits it.
func largest(ev touchpoint.Event, fill func(ev *touchpoint.Event, s string)) touchpoint.Event {
	try := func(n int) (touchpoint.Event, bool) {
		e := clone(ev)
		fill(&e, Lt(n))
		return e, touchpoint.Fit(&e) == nil
	}
	lo, hi := 0, touchpoint.MaxString
	if _, ok := try(hi); ok {
		lo = hi
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if _, ok := try(mid); ok {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	e, ok := try(lo)
	if !ok {
		panic("sizetest: no fill fits the event budget")
	}
	return e
}

func clone(ev touchpoint.Event) touchpoint.Event {
	if c := ev.Customer; c != nil {
		cc := *c
		cc.Tags = append([]string(nil), c.Tags...)
		ev.Customer = &cc
	}
	if c := ev.Checkout; c != nil {
		cc := *c
		cc.LineItems = append([]touchpoint.LineItem(nil), c.LineItems...)
		ev.Checkout = &cc
	}
	if o := ev.Order; o != nil {
		oc := *o
		oc.LineItems = append([]touchpoint.LineItem(nil), o.LineItems...)
		ev.Order = &oc
	}
	if t := ev.Touch; t != nil {
		tc := *t
		ev.Touch = &tc
	}
	return ev
}

func fillCustomer(ev *touchpoint.Event, s string) {
	ev.Customer.FirstName, ev.Customer.LastName, ev.Customer.Phone = s, s, s
	ev.Touch = &touchpoint.Touch{Channel: s, LandingSite: s, ReferringSite: s, Device: "mobile"}
}

// Checkout is the largest checkout_started event for email: 500 line
// items and 250 tags fitted to their budgets, names, touch, token and
// recovery URL as long as the event budget allows.
func Checkout(email, checkoutID string, i int) touchpoint.Event {
	ev := touchpoint.Event{
		ID: fmt.Sprintf("standard:size-checkout-%s-%d", checkoutID, i), Source: "standard", Type: touchpoint.CheckoutStarted,
		Topic: "checkout_started", OccurredAt: At(i), Email: email,
		Customer: &touchpoint.Customer{Timezone: "Europe/Paris", Tags: Tags()},
		Checkout: &touchpoint.Checkout{ID: checkoutID, Currency: "EUR", Subtotal: "750.00", Total: "750.00",
			LineItems: lines(func(int) string { return Lt(16) }), UpdatedAt: At(i)},
	}
	return largest(ev, func(ev *touchpoint.Event, s string) {
		fillCustomer(ev, s)
		ev.Checkout.Token, ev.Checkout.RecoveryURL = s, s
	})
}

// Order is the largest order_placed event for email: 500 line items,
// each in its own category of 255 characters (named by catPrefix and the
// line), completing checkoutID, with free text as long as the event
// budget allows.
func Order(email, orderID, checkoutID, catPrefix string, i int) touchpoint.Event {
	ev := touchpoint.Event{
		ID: fmt.Sprintf("standard:size-order-%s-%d", orderID, i), Source: "standard", Type: touchpoint.OrderPlaced,
		Topic: "order_placed", OccurredAt: At(i), Email: email,
		Customer: &touchpoint.Customer{Tags: Tags()},
		Order: &touchpoint.Order{ID: orderID, Number: "1001", CheckoutID: checkoutID, Currency: "EUR", Total: "750.00",
			Status: touchpoint.OrderStatusPlaced, CreatedAt: At(i), UpdatedAt: At(i),
			LineItems: orderLines(catPrefix)},
	}
	return largest(ev, fillCustomer)
}

// orderLines is 500 short line items, each in its own category of 255
// characters, so as many categories as the line budget allows are kept.
func orderLines(catPrefix string) []touchpoint.LineItem {
	out := make([]touchpoint.LineItem, touchpoint.MaxLineItems)
	for i := range out {
		p := fmt.Sprintf("%s-%03d-", catPrefix, i)
		out[i] = touchpoint.LineItem{ProductID: fmt.Sprintf("%d", 1000+i), Title: Lt(40), Quantity: int64(1 + i%3), Price: "1.50",
			Category: p + Lt(touchpoint.MaxTagChars-len(p))}
	}
	return out
}

// Review is the largest review_submitted event about orderID.
func Review(email, orderID string, i int) touchpoint.Event {
	ev := touchpoint.Event{
		ID: fmt.Sprintf("standard:size-review-%s-%d", orderID, i), Source: "standard", Type: touchpoint.ReviewSubmitted,
		Topic: "review_submitted", OccurredAt: At(i), Email: email, Customer: &touchpoint.Customer{},
		Review: &touchpoint.Review{ID: fmt.Sprintf("r%d", i), OrderID: orderID, Rating: 5},
	}
	return largest(ev, fillCustomer)
}
