package loadtest

import (
	"fmt"
	"sort"
	"time"

	"github.com/parcours/parcours/internal/touchpoint"
)

// The oracle: what the stack must end with, computed from the generated
// events alone, by rules simple enough to read at a glance. It does not
// call internal/profile or internal/router: it restates, for the fields and
// journeys the workload exercises, the rules docs/architecture.md and
// docs/runtime.md give.

// Expected is the part of a profile the oracle predicts.
type Expected struct {
	Email      string
	OrderCount int64
	Spent      map[string]int64 // currency → cents
	FirstOrder time.Time
	LastOrder  time.Time
	Consent    string    // "" when no consent event
	ConsentAt  time.Time // of the newest consent event
	Suppressed bool
	LastSeen   time.Time
	LastView   time.Time
	LastCheck  time.Time
	// EverSubscribed: some consent event said subscribed (a welcome email
	// may have gone out before a later unsubscribe arrived).
	EverSubscribed bool
}

// Subscribed is the view's derived flag.
func (e Expected) Subscribed() bool {
	return e.Consent == touchpoint.ConsentSubscribed && !e.Suppressed
}

// Profiles computes every profile the events touch, plus the suppressed
// ones (the runner creates them before the load).
func Profiles(w *Workload) map[string]*Expected {
	out := map[string]*Expected{}
	get := func(email string) *Expected {
		e := out[email]
		if e == nil {
			e = &Expected{Email: email, Spent: map[string]int64{}, Suppressed: w.Suppressed[email]}
			out[email] = e
		}
		return e
	}
	for email := range w.Suppressed {
		get(email)
	}
	for _, ev := range w.Events {
		e := get(ev.Email)
		if ev.At.After(e.LastSeen) {
			e.LastSeen = ev.At
		}
		switch ev.Kind {
		case ShopifyOrder, WooOrder, StandardOrder:
			// Every order is placed once and never cancelled or refunded.
			e.OrderCount++
			e.Spent[ev.Curr] += ev.Money
			if e.FirstOrder.IsZero() || ev.At.Before(e.FirstOrder) {
				e.FirstOrder = ev.At
			}
			if ev.At.After(e.LastOrder) {
				e.LastOrder = ev.At
			}
		case StandardConsent:
			// Newest by updated_at (times are unique: no ties).
			if ev.At.After(e.ConsentAt) {
				e.Consent, e.ConsentAt = ev.Consent, ev.At
			}
			if ev.Consent == touchpoint.ConsentSubscribed {
				e.EverSubscribed = true
			}
		case StandardView:
			if ev.At.After(e.LastView) {
				e.LastView = ev.At
			}
		case ShopifyCheckout:
			if ev.At.After(e.LastCheck) {
				e.LastCheck = ev.At
			}
		}
	}
	return out
}

// Start is one journey execution the router must start.
type Start struct{ Journey, Profile, TriggerKey string }

func (s Start) String() string { return s.Journey + " " + s.Profile + " " + s.TriggerKey }

// Journeys is the set of executions the trigger rules call for
// (statemachines/triggers.json, read by a person):
//   - win-back on order_placed, one per order id (re-entry always);
//   - abandoned-cart on checkout_started with an id, total, recovery URL and
//     line items, one per checkout id (re-entry always);
//   - browse-abandonment on product_viewed, keyed by product id, re-entry
//     after 14 days: the workload views one product per profile within the
//     window, so one per profile that viewed;
//   - welcome on consent_changed to subscribed, keyed by the email,
//     re-entry never: one per profile that ever subscribed.
func Journeys(w *Workload) map[Start]bool {
	out := map[Start]bool{}
	for _, ev := range w.Events {
		switch ev.Kind {
		case ShopifyOrder, WooOrder, StandardOrder:
			out[Start{"win-back", ev.Email, ev.OrderID}] = true
		case ShopifyCheckout:
			out[Start{"abandoned-cart", ev.Email, ev.CheckoutID}] = true
		case StandardView:
			out[Start{"browse-abandonment", ev.Email, ev.ProductID}] = true
		case StandardConsent:
			if ev.Consent == touchpoint.ConsentSubscribed {
				out[Start{"welcome", ev.Email, ev.Email}] = true
			}
		}
	}
	return out
}

// formatCents prints cents with two decimals (EUR and USD have two minor
// units).
func formatCents(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
