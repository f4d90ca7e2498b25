package feedback_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/feedback"
	"github.com/parcours/parcours/internal/profile"
)

// One dynalite process for the package's tests (ddbtest.Main).
func TestMain(m *testing.M) { os.Exit(ddbtest.Main(m)) }

// TestBackendsSuppression runs the feedback function's DynamoDB contract
// on minidyn and on dynalite: a permanent bounce and a complaint suppress
// the address, on its profile or, without one, on its address marker (a
// redelivery keeps the first suppression), a transient
// bounce and a delivery write nothing. Both backends must end with the
// same table.
func TestBackendsSuppression(t *testing.T) {
	ctx := context.Background()
	dumps := map[string]string{}
	ddbtest.ForEachBackend(t, func(t *testing.T, db *dynamodb.Client, table string) {
		store := profile.NewStore(db, table)
		store.Now = func() time.Time { return time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC) }
		var metrics bytes.Buffer
		h := &feedback.Handler{Profiles: store, Metrics: emf.New(&metrics, time.Now), Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
		for _, name := range []string{"bounce-transient.json", "delivery.json"} {
			if err := h.Handle(ctx, fixture(t, name)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if n := len(ddbtest.Scan(t, db, table)); n != 0 {
			t.Fatalf("%d items after a transient bounce and a delivery, want 0", n)
		}
		// gone.away has a profile; annoyed has none (erased while the
		// email was in flight): its complaint is kept on the address
		// marker alone, and the profile an event creates later starts
		// suppressed.
		if err := store.SetConsent(ctx, "gone.away@example.com", "subscribed", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			fixture, email string
			want           profile.Suppression
		}{
			{"bounce-permanent.json", "gone.away@example.com", profile.Suppression{Reason: "bounce", At: time.Date(2026, 3, 10, 12, 1, 1, 532000000, time.UTC)}},
			{"complaint.json", "annoyed@example.com", profile.Suppression{Reason: "complaint", At: time.Date(2026, 3, 11, 8, 14, 58, 0, time.UTC)}},
		} {
			for range 2 { // EventBridge delivers at least once
				if err := h.Handle(ctx, fixture(t, c.fixture)); err != nil {
					t.Fatalf("%s: %v", c.fixture, err)
				}
			}
			if c.email == "annoyed@example.com" {
				if _, err := store.GetView(ctx, c.email); !errors.Is(err, profile.ErrNotFound) {
					t.Fatalf("%s: GetView error %v, want ErrNotFound", c.fixture, err)
				}
				if err := store.SetConsent(ctx, c.email, "subscribed", time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)); err != nil {
					t.Fatal(err)
				}
			}
			v, err := store.GetView(ctx, c.email)
			if err != nil {
				t.Fatalf("%s: GetView: %v", c.fixture, err)
			}
			if v.Suppressed == nil || *v.Suppressed != c.want || v.Subscribed {
				t.Fatalf("%s: suppressed = %+v subscribed %v, want %+v", c.fixture, v.Suppressed, v.Subscribed, c.want)
			}
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
