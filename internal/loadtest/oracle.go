package loadtest

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/parcours/parcours/internal/touchpoint"
)

// The oracle: what the stack must end with, computed from the generated
// events alone, by rules simple enough to read at a glance. It does not
// call internal/profile or internal/router: it restates, for the fields and
// journeys the workload exercises, the rules docs/architecture.md and
// docs/runtime.md give.

// Expected is a profile as the oracle predicts it: every field the
// workload's events can set.
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

	// Customer data: each field from the newest event that carries it.
	FirstName, LastName, Timezone         string
	Tags                                  []string         // trimmed, de-duplicated, sorted; nil: never sent
	Units                                 map[string]int64 // units bought per category
	ordersIn                              map[string]int64 // orders per currency
	Channel                               string           // of the newest event with a touch
	Checkout                              string           // id of the newest checkout
	CheckoutAt                            time.Time
	nameAt, lastAt, tzAt, tagsAt, touchAt time.Time
	// SubscribedFirst: every consent event that did not say subscribed is
	// older than every one that did (and some did).
	SubscribedFirst         bool
	oldestSub, newestNotSub time.Time
}

// Subscribed is the view's derived flag.
func (e Expected) Subscribed() bool {
	return e.Consent == touchpoint.ConsentSubscribed && !e.Suppressed
}

// Profiles computes every profile the events touch. A suppressed address
// (the runner records a bounce for it before the load, when it has no
// profile yet) has a profile only if an event creates one, and that
// profile starts suppressed (the address marker, internal/profile).
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
	for _, ev := range w.Events {
		if ev.Reject != "" {
			continue // answered 400: stored nowhere
		}
		e := get(ev.Email)
		newest(&e.FirstName, &e.nameAt, strings.TrimSpace(ev.FirstName), ev.At)
		newest(&e.LastName, &e.lastAt, strings.TrimSpace(ev.LastName), ev.At)
		newest(&e.Timezone, &e.tzAt, ev.Timezone, ev.At)
		if ev.Tags != nil && ev.At.After(e.tagsAt) {
			e.Tags, e.tagsAt = cleanTags(ev.Tags), ev.At
		}
		newest(&e.Channel, &e.touchAt, ev.Channel, ev.At)
		if ev.At.After(e.LastSeen) {
			e.LastSeen = ev.At
		}
		switch ev.Kind {
		case ShopifyOrder, WooOrder, StandardOrder:
			// Every order is placed once and never cancelled or refunded.
			e.OrderCount++
			e.Spent[ev.Curr] += ev.Money
			if e.ordersIn == nil {
				e.ordersIn = map[string]int64{}
			}
			e.ordersIn[ev.Curr]++
			if e.FirstOrder.IsZero() || ev.At.Before(e.FirstOrder) {
				e.FirstOrder = ev.At
			}
			if ev.At.After(e.LastOrder) {
				e.LastOrder = ev.At
			}
			for _, l := range ev.Lines {
				if e.Units == nil {
					e.Units = map[string]int64{}
				}
				e.Units[l.Category] += l.Qty
			}
		case StandardConsent:
			// Newest by updated_at (times are unique: no ties).
			if ev.At.After(e.ConsentAt) {
				e.Consent, e.ConsentAt = ev.Consent, ev.At
			}
			if ev.Consent == touchpoint.ConsentSubscribed {
				e.EverSubscribed = true
				if e.oldestSub.IsZero() || ev.At.Before(e.oldestSub) {
					e.oldestSub = ev.At
				}
			} else if ev.At.After(e.newestNotSub) {
				e.newestNotSub = ev.At
			}
		case StandardView:
			if ev.At.After(e.LastView) {
				e.LastView = ev.At
			}
		case ShopifyCheckout:
			if ev.At.After(e.LastCheck) {
				e.LastCheck = ev.At
				e.Checkout, e.CheckoutAt = ev.CheckoutID, ev.At
			}
		}
	}
	for _, e := range out {
		e.SubscribedFirst = e.EverSubscribed && e.newestNotSub.Before(e.oldestSub)
	}
	return out
}

// newest sets *dst to val when val is not empty and at is newer than the
// event that set it.
func newest(dst *string, dstAt *time.Time, val string, at time.Time) {
	if val != "" && at.After(*dstAt) {
		*dst, *dstAt = val, at
	}
}

// cleanTags is what a profile keeps of the tags an event carried: each
// trimmed, empty ones dropped, each once, sorted.
func cleanTags(in []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, t := range in {
		if t = strings.TrimSpace(t); t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// Categories are the product categories bought, most units first, ties
// by name.
func (e *Expected) Categories() []string {
	var out []string
	for c := range e.Units {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if e.Units[out[i]] != e.Units[out[j]] {
			return e.Units[out[i]] > e.Units[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// Segment is the frequency segment: no order "prospect"; 10 orders or
// more, or 1,000.00 spent in the shop's currency (the only currency the
// customer paid in; none when several), "vip"; else 1 "new", 2–3
// "repeat", 4+ "loyal".
func (e *Expected) Segment() string {
	spent, _ := e.shopSpent()
	switch {
	case e.OrderCount == 0:
		return "prospect"
	case e.OrderCount >= 10 || spent >= 100_000:
		return "vip"
	case e.OrderCount == 1:
		return "new"
	case e.OrderCount <= 3:
		return "repeat"
	}
	return "loyal"
}

// shopSpent is the spend in the shop's currency, in cents, and that
// currency: the only one with a positive total, or none.
func (e *Expected) shopSpent() (int64, string) {
	if len(e.Spent) != 1 {
		return 0, ""
	}
	for c, v := range e.Spent {
		return v, c
	}
	return 0, ""
}

// Average is the average order value in cents of one currency, rounded
// half up (amounts are positive).
func (e *Expected) Average(cur string) int64 {
	n := e.ordersIn[cur]
	if n == 0 {
		return 0
	}
	return (e.Spent[cur] + n/2) / n
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
		if ev.Reject != "" {
			continue
		}
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

// WelcomeEmail is the welcome journey's first email: the only one a load
// run sends, since the drain advances the clock by minutes and every other
// journey waits hours or days before its first email.
const WelcomeEmail = "welcome/welcome-1"

// Welcomes says who may and who must get the welcome email. The welcome
// execution starts on the first subscribed consent event the router
// handles (re-entry never); its profile then holds that event, and the
// journey and the send function email only while the profile's consent —
// the newest consent event stored so far — says subscribed and the
// address is not suppressed. So:
//   - may: not suppressed, and some consent event said subscribed;
//   - must: not suppressed, and every consent event that did not say
//     subscribed is older than every one that did: whichever subscribed
//     event starts it and whatever has arrived by then, the newest stored
//     consent says subscribed.
//
// Between the two, the outcome depends on the order in which deliveries
// are stored relative to the router's start (a newer unsubscribe stored
// before the execution reads the profile makes it exit), which shuffling,
// concurrency and the shop's retries after injected faults change from run
// to run: that is why a run with faults can send a different number of
// emails than one without, for the same workload.
func Welcomes(want map[string]*Expected) (must, may map[string]bool) {
	must, may = map[string]bool{}, map[string]bool{}
	for email, e := range want {
		if e.Suppressed || !e.EverSubscribed {
			continue
		}
		may[email] = true
		if e.SubscribedFirst {
			must[email] = true
		}
	}
	return must, may
}
