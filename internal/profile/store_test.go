package profile_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/truora/minidyn/server"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

var clock = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

func newStore(db *dynamodb.Client, table string) *profile.Store {
	s := profile.NewStore(db, table)
	s.Now = func() time.Time { return clock }
	return s
}

func applyAll(t *testing.T, s *profile.Store, evs []touchpoint.Event) {
	t.Helper()
	for _, ev := range evs {
		out, err := s.Apply(context.Background(), ev)
		if err != nil {
			t.Fatalf("apply %s: %v", ev.ID, err)
		}
		if out.Status != profile.Stored {
			t.Fatalf("apply %s: %+v", ev.ID, out)
		}
	}
}

// state is everything a journey can read about the customer.
func state(t *testing.T, s *profile.Store, email string) string {
	t.Helper()
	v, err := s.GetView(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	orders, err := s.Orders(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(map[string]any{"profile": v, "orders": orders}, "", " ")
	return string(b)
}

func TestApplyScenario(t *testing.T) {
	db, table := ddbtest.New(t)
	s := newStore(db, table)
	evs := profile.ScenarioEvents()
	applyAll(t, s, evs)
	v, err := s.GetView(context.Background(), " ANN@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if v.OrderCount != 2 || v.TotalSpent["EUR"] != "140.25" || v.FirstName != "Anna" || v.CreatedAt != clock || v.UpdatedAt != clock {
		t.Fatalf("view = %+v", v)
	}
	orders, err := s.Orders(context.Background(), "ann@example.com")
	if err != nil || len(orders) != 3 {
		t.Fatalf("orders = %+v, %v", orders, err)
	}
	// 12 event items, 1 profile, 3 orders, 1 customer alias, 3 order
	// aliases, and 16 references to the event and alias items (refs.go).
	if n := len(ddbtest.Scan(t, db, table)); n != 36 {
		t.Fatalf("items = %d, want 36", n)
	}
	for _, o := range orders {
		if o.ID == "9001" && (o.Source != "shopify" || o.ReviewedAt == nil) {
			t.Fatalf("the review (source standard) did not reach shopify order 9001: %+v", o)
		}
	}
	email, err := s.ResolveAlias(context.Background(), "shopify", "shop.example", "7001234567890123456")
	if err != nil || email != "ann@example.com" {
		t.Fatalf("alias = %q, %v", email, err)
	}
	if _, err := s.GetView(context.Background(), "nobody@example.com"); !errors.Is(err, profile.ErrNotFound) {
		t.Fatalf("missing profile: err = %v", err)
	}
}

func TestDuplicateDeliveries(t *testing.T) {
	db, table := ddbtest.New(t)
	s := newStore(db, table)
	evs := profile.ScenarioEvents()
	applyAll(t, s, evs)
	before := ddbtest.Scan(t, db, table)
	for i := range 5 {
		for _, ev := range evs {
			out, err := s.Apply(context.Background(), ev)
			if err != nil || out.Status != profile.Duplicate {
				t.Fatalf("redelivery %d of %s: %+v, %v", i, ev.ID, out, err)
			}
		}
	}
	if after := ddbtest.Scan(t, db, table); !reflect.DeepEqual(before, after) {
		t.Fatal("duplicate deliveries changed the table")
	}
}

func TestOutOfOrderDeliveries(t *testing.T) {
	e := ddbtest.Start(t)
	evs := profile.ScenarioEvents()
	inOrder := newStore(e.Client, e.NewTable(t))
	applyAll(t, inOrder, evs)
	want := state(t, inOrder, "ann@example.com")
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 12 {
		perm := append([]touchpoint.Event(nil), evs...)
		r.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
		s := newStore(e.Client, e.NewTable(t))
		applyAll(t, s, perm)
		if got := state(t, s, "ann@example.com"); got != want {
			t.Fatalf("permutation %d differs:\n got %s\nwant %s", i, got, want)
		}
	}
}

func TestConcurrentWritersOneProfile(t *testing.T) {
	db, table := ddbtest.New(t)
	checkConcurrentWriters(t, newStore(db, table), 50)
}

// checkConcurrentWriters has n writers place one order each on one profile
// at once: the version condition serializes them and the aggregates stay
// exact.
func checkConcurrentWriters(t *testing.T, s *profile.Store, n int) {
	t.Helper()
	// This checks the aggregates stay exact under contention, not the
	// latency budget: on a loaded CI machine 50 writers may need more than
	// the default 30 attempts each.
	s.MaxAttempts = 1000
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ev := touchpoint.Event{ID: fmt.Sprintf("shopify:s:orders/create:%d", i), Source: "shopify", Shop: "s",
				Type: touchpoint.OrderPlaced, OccurredAt: t0.Add(time.Duration(i) * time.Minute), Email: "busy@example.com",
				Order: &touchpoint.Order{ID: fmt.Sprint(1000 + i), Currency: "EUR", Total: "1.01", CreatedAt: t0.Add(time.Duration(i) * time.Minute)}}
			out, err := s.Apply(context.Background(), ev)
			if err == nil && out.Status != profile.Stored {
				err = fmt.Errorf("status %s", out.Status)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.Get(context.Background(), "busy@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d.%02d", n*101/100, n*101%100); p.View.OrderCount != int64(n) || p.View.TotalSpent["EUR"] != want || p.Version != int64(n) {
		t.Fatalf("count=%d spent=%v (want %s) version=%d", p.View.OrderCount, p.View.TotalSpent, want, p.Version)
	}
	if want := t0.Add(time.Duration(n-1) * time.Minute); !p.View.LastOrderAt.Equal(want) {
		t.Fatalf("last_order_at = %v, want %v", p.View.LastOrderAt, want)
	}
}

func TestIdentity(t *testing.T) {
	ctx := context.Background()
	db, table := ddbtest.New(t)
	s := newStore(db, table)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	byID := touchpoint.Event{ID: "a", Source: "shopify", Shop: "s", Type: touchpoint.OrderPaid, OccurredAt: t0, CustomerID: "42",
		Order: &touchpoint.Order{ID: "1", Currency: "EUR", Total: "5.00", CreatedAt: t0}}

	t.Run("customer id without alias is unresolved and writes nothing", func(t *testing.T) {
		out, err := s.Apply(ctx, byID)
		if err != nil || out.Status != profile.Unresolved || out.Reason != "shopify customer 42 has no known email yet" {
			t.Fatalf("%+v, %v", out, err)
		}
		anon := byID
		anon.CustomerID = ""
		out, err = s.Apply(ctx, anon)
		if err != nil || out.Status != profile.Unresolved || out.Reason != "shopify order 1 is not known yet and the event has no email" {
			t.Fatalf("%+v, %v", out, err)
		}
		anon.Order = nil
		out, err = s.Apply(ctx, anon)
		if err != nil || out.Status != profile.Unresolved || out.Reason != "event has neither an email nor a customer id" {
			t.Fatalf("%+v, %v", out, err)
		}
		if n := len(ddbtest.Scan(t, db, table)); n != 0 {
			t.Fatalf("items = %d", n)
		}
	})
	t.Run("an event with both writes the alias, then the id resolves", func(t *testing.T) {
		applyAll(t, s, []touchpoint.Event{{ID: "b", Source: "shopify", Shop: "s", Type: touchpoint.CustomerCreated,
			OccurredAt: t0, Email: "Bo@Example.com", CustomerID: "42"}})
		out, err := s.Apply(ctx, byID)
		if err != nil || out.Status != profile.Stored || out.Email != "bo@example.com" {
			t.Fatalf("%+v, %v", out, err)
		}
	})
	t.Run("a refund carrying only the order id finds the order's profile", func(t *testing.T) {
		refund := touchpoint.Event{ID: "r", Source: "shopify", Shop: "s", Type: touchpoint.OrderRefunded, OccurredAt: t0.Add(time.Hour),
			Order: &touchpoint.Order{ID: "1", Refunded: "5.00"}}
		out, err := s.Apply(ctx, refund)
		if err != nil || out.Status != profile.Stored || out.Email != "bo@example.com" {
			t.Fatalf("%+v, %v", out, err)
		}
		if v, _ := s.GetView(ctx, "bo@example.com"); v.OrderCount != 0 {
			t.Fatalf("fully refunded order still counted: %d", v.OrderCount)
		}
	})
	t.Run("an older event does not repoint the alias", func(t *testing.T) {
		applyAll(t, s, []touchpoint.Event{
			{ID: "c", Source: "shopify", Shop: "s", Type: touchpoint.CustomerUpdated, OccurredAt: t0.Add(time.Hour), Email: "new@example.com", CustomerID: "42"},
			{ID: "d", Source: "shopify", Shop: "s", Type: touchpoint.CustomerUpdated, OccurredAt: t0.Add(time.Minute), Email: "old@example.com", CustomerID: "42"},
		})
		if email, err := s.ResolveAlias(ctx, "shopify", "s", "42"); err != nil || email != "new@example.com" {
			t.Fatalf("alias = %q, %v", email, err)
		}
		if _, err := s.GetView(ctx, "old@example.com"); err != nil {
			t.Fatalf("the older event must still be stored on its own profile: %v", err)
		}
	})
}

func TestBadAmountIsInputError(t *testing.T) {
	db, table := ddbtest.New(t)
	s := newStore(db, table)
	_, err := s.Apply(context.Background(), touchpoint.Event{ID: "x", Source: "standard", Type: touchpoint.OrderPlaced, Email: "a@b.c",
		Order: &touchpoint.Order{ID: "1", Total: "12,50"}})
	var ie *touchpoint.InputError
	if !errors.As(err, &ie) || ie.Error() != "order.total: not a decimal amount" {
		t.Fatalf("err = %v", err)
	}
	if n := len(ddbtest.Scan(t, db, table)); n != 0 {
		t.Fatalf("items = %d", n)
	}
}

func TestStorageFailureWritesNothing(t *testing.T) {
	ctx := context.Background()
	e := ddbtest.Start(t)
	table := e.NewTable(t)
	s := newStore(e.Client, table)
	evs := profile.ScenarioEvents()
	applyAll(t, s, evs[:3])
	before := ddbtest.Scan(t, e.Client, table)
	e.Server.EmulateFailure(server.FailureConditionInternalServerError)
	if _, err := s.Apply(ctx, evs[3]); err == nil {
		t.Fatal("apply during an outage succeeded")
	}
	e.Server.EmulateFailure(server.FailureConditionNone)
	if after := ddbtest.Scan(t, e.Client, table); !reflect.DeepEqual(before, after) {
		t.Fatal("failed apply changed the table")
	}
	for i, want := range []profile.Status{profile.Stored, profile.Duplicate} {
		out, err := s.Apply(ctx, evs[3])
		if err != nil || out.Status != want {
			t.Fatalf("retry %d: %+v, %v", i, out, err)
		}
	}
	if v, _ := s.GetView(ctx, "ann@example.com"); v.OrderCount != 1 {
		t.Fatalf("order_count = %d", v.OrderCount)
	}
}

func TestConsentAndSuppression(t *testing.T) {
	ctx := context.Background()
	db, table := ddbtest.New(t)
	s := newStore(db, table)
	evs := profile.ScenarioEvents()
	applyAll(t, s, evs[:1]) // subscribed at t0
	t0 := evs[0].OccurredAt
	if v, _ := s.GetView(ctx, "ann@example.com"); !v.Subscribed {
		t.Fatal("not subscribed after sign-up")
	}
	if err := s.SetConsent(ctx, "Ann@example.com", touchpoint.ConsentUnsubscribed, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetConsent(ctx, "ann@example.com", touchpoint.ConsentSubscribed, t0.Add(time.Minute)); err != nil {
		t.Fatal(err) // older: ignored
	}
	if v, _ := s.GetView(ctx, "ann@example.com"); v.Subscribed || v.Consent.State != touchpoint.ConsentUnsubscribed {
		t.Fatalf("consent = %+v", v.Consent)
	}
	checkSuppressMarker(t, s, db, table, t0)
}

// checkSuppressMarker: a bounce for an address with a profile suppresses
// the profile; for an address without one it writes the address marker
// alone (no item holds the address), and the profile an event creates
// later starts suppressed, the first suppression kept.
func checkSuppressMarker(t *testing.T, s *profile.Store, db *dynamodb.Client, table string, t0 time.Time) {
	t.Helper()
	ctx := context.Background()
	if existed, err := s.Suppress(ctx, "Ann@example.com", "complaint", t0.Add(2*time.Hour)); err != nil || !existed {
		t.Fatalf("Suppress(ann) = %v, %v", existed, err)
	}
	if v, _ := s.GetView(ctx, "ann@example.com"); v.Suppressed == nil || v.Suppressed.Reason != "complaint" || v.Subscribed {
		t.Fatalf("ann: suppressed = %+v", v.Suppressed)
	}
	for i, reason := range []string{"bounce", "complaint"} { // the first is kept
		if existed, err := s.Suppress(ctx, "zed@example.com", reason, t0.Add(time.Duration(i)*time.Hour)); err != nil || existed {
			t.Fatalf("Suppress(zed) = %v, %v", existed, err)
		}
	}
	if _, err := s.GetView(ctx, "zed@example.com"); !errors.Is(err, profile.ErrNotFound) {
		t.Fatalf("zed: GetView error %v, want ErrNotFound (no profile)", err)
	}
	if dump := ddbtest.Dump(t, db, table); strings.Contains(dump, "zed@") || !strings.Contains(dump, profile.OptOutPK("zed@example.com")) {
		t.Fatalf("after a bounce for an address without a profile, the table holds the address or no marker:\n%s", dump)
	}
	if err := s.SetConsent(ctx, "zed@example.com", touchpoint.ConsentSubscribed, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	v, err := s.GetView(ctx, "zed@example.com")
	if err != nil || v.Suppressed == nil || *v.Suppressed != (profile.Suppression{Reason: "bounce", At: t0.UTC()}) || v.Subscribed {
		t.Fatalf("zed after a new profile: %+v, %v", v, err)
	}
}
