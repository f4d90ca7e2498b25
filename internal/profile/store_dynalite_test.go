package profile_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// One dynalite process for the package's tests (ddbtest.Main).
func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

// TestBackendsStoreContract runs profile.Store's contract on minidyn and on
// dynalite: the scenario (event items, profile merge, orders, aliases,
// references), duplicate deliveries, identity, consent and suppression,
// rejected input. Each backend must meet every check, and both must end
// with the same table, item for item.
func TestBackendsStoreContract(t *testing.T) {
	ctx := context.Background()
	dumps := map[string]string{}
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		s := newStore(db, table)
		evs := profile.ScenarioEvents()
		applyAll(t, s, evs)
		v, err := s.GetView(ctx, " ANN@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if v.OrderCount != 2 || v.TotalSpent["EUR"] != "140.25" || v.FirstName != "Anna" || v.CreatedAt != clock {
			t.Fatalf("view = %+v", v)
		}
		if orders, err := s.Orders(ctx, "ann@example.com"); err != nil || len(orders) != 3 {
			t.Fatalf("orders = %+v, %v", orders, err)
		}
		if n := len(ddbtest.Scan(t, db, table)); n != 36 {
			t.Fatalf("items = %d, want 36", n)
		}
		if email, err := s.ResolveAlias(ctx, "shopify", "shop.example", "7001234567890123456"); err != nil || email != "ann@example.com" {
			t.Fatalf("alias = %q, %v", email, err)
		}
		if _, err := s.GetView(ctx, "nobody@example.com"); !errors.Is(err, profile.ErrNotFound) {
			t.Fatalf("missing profile: err = %v", err)
		}

		// Duplicates: the event item's condition fails, nothing changes.
		before := ddbtest.Dump(t, db, table)
		for _, ev := range evs {
			out, err := s.Apply(ctx, ev)
			if err != nil || out.Status != profile.Duplicate {
				t.Fatalf("redelivery of %s: %+v, %v", ev.ID, out, err)
			}
		}
		if after := ddbtest.Dump(t, db, table); after != before {
			t.Fatalf("duplicate deliveries changed the table:\nbefore %s\nafter  %s", before, after)
		}

		// Rejected input writes nothing.
		_, err = s.Apply(ctx, touchpoint.Event{ID: "x", Source: "standard", Type: touchpoint.OrderPlaced, Email: "a@b.c",
			Order: &touchpoint.Order{ID: "1", Total: "12,50"}})
		var ie *touchpoint.InputError
		if !errors.As(err, &ie) || ie.Error() != "order.total: not a decimal amount" {
			t.Fatalf("bad amount: err = %v", err)
		}
		if after := ddbtest.Dump(t, db, table); after != before {
			t.Fatal("rejected input changed the table")
		}

		// Identity: unresolved writes nothing; an alias resolves; an older
		// event does not repoint it.
		t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		byID := touchpoint.Event{ID: "id-a", Source: "shopify", Shop: "s", Type: touchpoint.OrderPaid, OccurredAt: t0, CustomerID: "42",
			Order: &touchpoint.Order{ID: "1", Currency: "EUR", Total: "5.00", CreatedAt: t0}}
		out, err := s.Apply(ctx, byID)
		if err != nil || out.Status != profile.Unresolved || out.Reason != "shopify customer 42 has no known email yet" {
			t.Fatalf("unresolved: %+v, %v", out, err)
		}
		if after := ddbtest.Dump(t, db, table); after != before {
			t.Fatal("an unresolved event changed the table")
		}
		applyAll(t, s, []touchpoint.Event{{ID: "id-b", Source: "shopify", Shop: "s", Type: touchpoint.CustomerCreated,
			OccurredAt: t0, Email: "Bo@Example.com", CustomerID: "42"}})
		if out, err := s.Apply(ctx, byID); err != nil || out.Status != profile.Stored || out.Email != "bo@example.com" {
			t.Fatalf("resolved: %+v, %v", out, err)
		}
		applyAll(t, s, []touchpoint.Event{
			{ID: "id-c", Source: "shopify", Shop: "s", Type: touchpoint.CustomerUpdated, OccurredAt: t0.Add(time.Hour), Email: "new@example.com", CustomerID: "42"},
			{ID: "id-d", Source: "shopify", Shop: "s", Type: touchpoint.CustomerUpdated, OccurredAt: t0.Add(time.Minute), Email: "old@example.com", CustomerID: "42"},
		})
		if email, err := s.ResolveAlias(ctx, "shopify", "s", "42"); err != nil || email != "new@example.com" {
			t.Fatalf("alias = %q, %v", email, err)
		}

		// Consent (older changes ignored) and suppression.
		if err := s.SetConsent(ctx, "Ann@example.com", touchpoint.ConsentUnsubscribed, evs[0].OccurredAt.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.SetConsent(ctx, "ann@example.com", touchpoint.ConsentSubscribed, evs[0].OccurredAt.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.GetView(ctx, "ann@example.com"); v.Subscribed || v.Consent.State != touchpoint.ConsentUnsubscribed {
			t.Fatalf("consent = %+v", v.Consent)
		}
		checkSuppressMarker(t, s, db, table, evs[0].OccurredAt)
		dumps[t.Name()] = ddbtest.Dump(t, db, table)
	})
	m, d := dumps[t.Name()+"/minidyn"], dumps[t.Name()+"/dynalite"]
	if m == "" || d == "" {
		t.Fatalf("a backend left no table to compare (minidyn %d bytes, dynalite %d)", len(m), len(d))
	}
	if m != d {
		t.Fatalf("the backends' tables differ:\nminidyn:\n%s\ndynalite:\n%s", m, d)
	}
}

// Deliveries in any order build the same profile, on both backends.
func TestBackendsOutOfOrder(t *testing.T) {
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		evs := profile.ScenarioEvents()
		r := rand.New(rand.NewPCG(7, 11))
		perm := append([]touchpoint.Event(nil), evs...)
		r.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
		inOrder := newStore(db, table)
		applyAll(t, inOrder, evs)
		want := state(t, inOrder, "ann@example.com")
		// A second store on its own table (the table name is the store's).
		other := newStore(db, table+"-perm")
		if err := profile.CreateTable(context.Background(), db, table+"-perm"); err != nil {
			t.Fatal(err)
		}
		applyAll(t, other, perm)
		if got := state(t, other, "ann@example.com"); got != want {
			t.Fatalf("shuffled deliveries differ:\n got %s\nwant %s", got, want)
		}
	})
}

// Concurrent writers on one profile: the version condition serializes
// them and the aggregates stay exact, on both backends.
func TestBackendsConcurrentWriters(t *testing.T) {
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		checkConcurrentWriters(t, newStore(db, table), 12)
	})
}
