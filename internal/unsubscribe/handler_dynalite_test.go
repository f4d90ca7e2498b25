package unsubscribe_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/internal/unsubscribe"
)

// One dynalite process for the package's tests (ddbtest.Main).
func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

// TestBackendsUnsubscribe runs the unsubscribe page's DynamoDB contract on
// minidyn and on dynalite: GET and rejected requests change nothing, a
// one-click POST unsubscribes once (a later POST keeps the first time),
// an address without a profile gets only its opt-out marker. Both backends
// must end with the same table.
func TestBackendsUnsubscribe(t *testing.T) {
	ctx := context.Background()
	dumps := map[string]string{}
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		e := &env{store: profile.NewStore(db, table), now: time.Date(2026, 3, 12, 9, 30, 0, 0, time.UTC)}
		e.store.Now = func() time.Time { return e.now }
		e.h = &unsubscribe.Handler{Signer: signer(t, key), Profiles: e.store, Shop: "Maison Lin",
			Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: func() time.Time { return e.now }}
		seed := touchpoint.Event{ID: "seed", Source: "standard", Type: touchpoint.CustomerCreated, OccurredAt: e.now.Add(-48 * time.Hour),
			Email: "ana@example.com", Consent: &touchpoint.Consent{State: "subscribed", UpdatedAt: e.now.Add(-48 * time.Hour)}}
		if _, err := e.store.Apply(ctx, seed); err != nil {
			t.Fatal(err)
		}
		tok := e.h.Signer.Sign("ana@example.com", issued)
		before := ddbtest.Dump(t, db, table)
		for _, r := range []struct {
			name   string
			status int
			resp   func() int
		}{
			{"GET", 200, func() int { return e.do(t, request("GET", tok, "", false)).StatusCode }},
			{"tampered token", 400, func() int {
				return e.do(t, request("POST", tok[:len(tok)-3]+"AAA", "List-Unsubscribe=One-Click", false)).StatusCode
			}},
			{"POST without one-click body", 400, func() int { return e.do(t, request("POST", tok, "", false)).StatusCode }},
		} {
			if got := r.resp(); got != r.status {
				t.Fatalf("%s: status %d, want %d", r.name, got, r.status)
			}
			if after := ddbtest.Dump(t, db, table); after != before {
				t.Fatalf("%s changed the table", r.name)
			}
		}

		resp := e.do(t, request("POST", tok, "List-Unsubscribe=One-Click", false))
		if resp.StatusCode != 200 || !strings.Contains(resp.Body, unsubscribe.TextDone) {
			t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
		}
		c := e.consent(t)
		if c == nil || c.State != touchpoint.ConsentUnsubscribed || !c.UpdatedAt.Equal(e.now) {
			t.Fatalf("consent = %+v", c)
		}
		e.now = e.now.Add(time.Hour)
		if resp := e.do(t, request("POST", tok, "List-Unsubscribe=One-Click", false)); resp.StatusCode != 200 {
			t.Fatalf("second POST = %d", resp.StatusCode)
		}
		if c2 := e.consent(t); !c2.UpdatedAt.Equal(c.UpdatedAt) {
			t.Fatalf("second POST moved the timestamp: %v → %v", c.UpdatedAt, c2.UpdatedAt)
		}

		withKnown := len(ddbtest.Scan(t, db, table))
		if resp := e.do(t, request("POST", e.h.Signer.Sign("Gone@Example.com", issued), "List-Unsubscribe=One-Click", false)); resp.StatusCode != 200 {
			t.Fatalf("unknown address: %d", resp.StatusCode)
		}
		if n := len(ddbtest.Scan(t, db, table)); n != withKnown+1 {
			t.Fatalf("items %d → %d after an unknown address's click, want one marker", withKnown, n)
		}
		if _, err := e.store.GetView(ctx, "gone@example.com"); !errors.Is(err, profile.ErrNotFound) {
			t.Fatalf("a profile was created for the unknown address: %v", err)
		}
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
