package profile

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/touchpoint"
)

// mergeAll folds events in the given order, keeping order items by id as
// the store does.
func mergeAll(evs []touchpoint.Event) (Profile, map[string]*Order) {
	var p Profile
	orders := map[string]*Order{}
	for _, ev := range evs {
		id, _ := orderRef(ev)
		var o *Order
		p, o = Merge(p, orders[id], ev)
		if o != nil {
			orders[id] = o
		}
	}
	return p, orders
}

func TestMergeScenario(t *testing.T) {
	p, orders := mergeAll(ScenarioEvents())
	v := p.View
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	at := func(h int) *time.Time {
		v := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(h) * time.Hour)
		return &v
	}
	check("email", v.Email, "ann@example.com")
	check("first_name", v.FirstName, "Anna") // newer customer data
	check("last_name", v.LastName, "Lee")    // absent from the newer data: kept
	check("timezone", v.Timezone, "Europe/Paris")
	check("tags", v.Tags, []string{"newsletter", "vip-candidate"})
	check("tag", v.Tag, map[string]bool{"newsletter": true, "vip-candidate": true})
	check("consent", v.Consent.State, touchpoint.ConsentUnsubscribed)
	check("subscribed", v.Subscribed, false)
	// 9001 (100.00) and 9002 (50.50 − 10.25) count; 9003 was cancelled.
	check("order_count", v.OrderCount, int64(2))
	check("total_spent", v.TotalSpent, map[string]string{"EUR": "140.25"})
	check("aov", v.AverageOrderValue, map[string]string{"EUR": "70.13"})
	check("spent", v.SpentInShopCurrency, 140.25)
	check("aov", v.AOV, 70.13)
	check("frequency", v.Frequency, "repeat")
	check("first_order_at", v.FirstOrderAt, at(3))
	check("last_order_at", v.LastOrderAt, at(50)) // the cancelled order still happened
	check("inactive_at", *v.InactiveAt, at(50).Add(90*24*time.Hour))
	check("categories", v.Categories, []string{"Socks", "Shoes"}) // 1+3 socks, 2 shoes
	check("favourite", v.FavouriteCategory, "Socks")
	check("last_touch", v.LastTouch, &touchpoint.Touch{Channel: "web", Device: "mobile"})
	check("last_checkout.total", v.LastCheckout.Total, "100.00")
	check("last_checkout.completed_at", v.LastCheckout.CompletedAt, at(3))
	check("last_checkout_at", v.LastCheckoutAt, at(2))
	check("last_seen_at", v.LastSeenAt, at(60))

	check("9001.status", orders["9001"].View.Status, touchpoint.OrderStatusFulfilled)
	check("9001.paid_at", orders["9001"].View.PaidAt, at(4))
	check("9001.reviewed_at", orders["9001"].View.ReviewedAt, at(60))
	check("last_review_at", v.LastReviewAt, at(60))
	check("9002.status", orders["9002"].View.Status, touchpoint.OrderStatusPlaced) // partial refund
	check("9003.status", orders["9003"].View.Status, touchpoint.OrderStatusCancelled)
}

// Every field is a max, min, newest-wins or a replaced contribution, so any
// order of arrival gives the same profile and orders.
func TestMergeOrderIndependent(t *testing.T) {
	evs := ScenarioEvents()
	want := snapshot(t, evs)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		perm := append([]touchpoint.Event(nil), evs...)
		r.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
		if got := snapshot(t, perm); got != want {
			t.Fatalf("permutation %d differs:\n got %s\nwant %s", i, got, want)
		}
	}
}

func snapshot(t *testing.T, evs []touchpoint.Event) string {
	t.Helper()
	p, orders := mergeAll(evs)
	b, err := json.Marshal(struct {
		P Profile
		O map[string]*Order
		V map[string]OrderView
	}{p, orders, views(orders)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func views(orders map[string]*Order) map[string]OrderView {
	out := map[string]OrderView{}
	for k, o := range orders {
		out[k] = o.View
	}
	return out
}

func TestMergeRules(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(typ touchpoint.Type, h int) touchpoint.Event {
		return touchpoint.Event{ID: "x", Source: "shopify", Type: typ, OccurredAt: t0.Add(time.Duration(h) * time.Hour), Email: "A@Example.com "}
	}
	t.Run("older consent does not overwrite newer", func(t *testing.T) {
		newer := ev(touchpoint.ConsentChanged, 5)
		newer.Consent = &touchpoint.Consent{State: touchpoint.ConsentUnsubscribed, UpdatedAt: t0.Add(5 * time.Hour)}
		older := ev(touchpoint.CustomerUpdated, 9) // event newer, consent older
		older.Consent = &touchpoint.Consent{State: touchpoint.ConsentSubscribed, UpdatedAt: t0.Add(1 * time.Hour)}
		p, _ := Merge(Profile{}, nil, newer)
		p, _ = Merge(p, nil, older)
		if p.View.Consent.State != touchpoint.ConsentUnsubscribed || p.View.Subscribed {
			t.Fatalf("consent = %+v subscribed=%v", p.View.Consent, p.View.Subscribed)
		}
		if p.View.Email != "a@example.com" {
			t.Fatalf("email not normalized: %q", p.View.Email)
		}
	})
	t.Run("suppressed is never subscribed", func(t *testing.T) {
		e := ev(touchpoint.ConsentChanged, 1)
		e.Consent = &touchpoint.Consent{State: touchpoint.ConsentSubscribed, UpdatedAt: t0}
		p, _ := Merge(Profile{View: View{Suppressed: &Suppression{Reason: "bounce", At: t0}}}, nil, e)
		if p.View.Subscribed {
			t.Fatal("suppressed profile is subscribed")
		}
	})
	t.Run("full refund leaves the aggregates", func(t *testing.T) {
		placed := ev(touchpoint.OrderPlaced, 1)
		placed.Order = &touchpoint.Order{ID: "1", Currency: "eur", Total: "30.00", CreatedAt: t0}
		refund := ev(touchpoint.OrderRefunded, 2)
		refund.Order = &touchpoint.Order{ID: "1", Refunded: "30.00"}
		p, o := Merge(Profile{}, nil, placed)
		if p.View.OrderCount != 1 || p.View.TotalSpent["EUR"] != "30.00" || p.View.Frequency != "new" {
			t.Fatalf("after placed: %+v", p.View)
		}
		p, o = Merge(p, o, refund)
		if p.View.OrderCount != 0 || p.View.TotalSpent != nil || o.View.Status != touchpoint.OrderStatusRefunded || p.View.Frequency != "prospect" {
			t.Fatalf("after refund: count=%d spent=%v status=%s", p.View.OrderCount, p.View.TotalSpent, o.View.Status)
		}
	})
	t.Run("vip by spend", func(t *testing.T) {
		e := ev(touchpoint.OrderPlaced, 1)
		e.Order = &touchpoint.Order{ID: "1", Currency: "EUR", Total: "1200.00", CreatedAt: t0}
		p, _ := Merge(Profile{}, nil, e)
		if p.View.Frequency != "vip" {
			t.Fatalf("frequency = %s", p.View.Frequency)
		}
	})
	t.Run("merge does not modify its input", func(t *testing.T) {
		e := ev(touchpoint.OrderPlaced, 1)
		e.Order = &touchpoint.Order{ID: "1", Currency: "EUR", Total: "10.00", CreatedAt: t0,
			LineItems: []touchpoint.LineItem{{Title: "a", Quantity: 1, Category: "X"}}}
		p, o := Merge(Profile{}, nil, e)
		before := snapshotOf(t, p, o)
		e2 := e
		e2.ID = "y"
		e2.Order = &touchpoint.Order{ID: "1", Currency: "EUR", Total: "20.00", CreatedAt: t0, UpdatedAt: t0.Add(time.Hour),
			LineItems: []touchpoint.LineItem{{Title: "b", Quantity: 4, Category: "Y"}}}
		Merge(p, o, e2)
		if after := snapshotOf(t, p, o); after != before {
			t.Fatalf("input changed:\n%s\n%s", before, after)
		}
	})
}

func snapshotOf(t *testing.T, p Profile, o *Order) string {
	b, err := json.Marshal([]any{p, o, o.View})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
