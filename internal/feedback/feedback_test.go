package feedback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/feedback"
	"github.com/parcours/parcours/internal/profile"
)

func fixture(t *testing.T, name string) events.CloudWatchEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "ses", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

func TestFeedback(t *testing.T) {
	tests := []struct {
		fixture    string
		email      string
		suppressed *profile.Suppression
		metric     string
	}{
		{"bounce-permanent.json", "gone.away@example.com",
			&profile.Suppression{Reason: "bounce", At: time.Date(2026, 3, 10, 12, 1, 1, 532000000, time.UTC)},
			`"EmailBounces":1,"Journey":"abandoned-cart","Reason":"Permanent","Step":"first-reminder"`},
		{"bounce-transient.json", "full.box@example.com", nil,
			`"EmailBounces":1,"Journey":"abandoned-cart","Reason":"Transient","Step":"first-reminder"`},
		{"complaint.json", "annoyed@example.com",
			&profile.Suppression{Reason: "complaint", At: time.Date(2026, 3, 11, 8, 14, 58, 0, time.UTC)},
			`"EmailComplaints":1,"Journey":"win-back","Reason":"abuse","Step":"we-miss-you"`},
		{"delivery.json", "ana.martin@example.com", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			db, table := ddbtest.New(t)
			store := profile.NewStore(db, table)
			var metrics bytes.Buffer
			h := &feedback.Handler{Profiles: store, Metrics: emf.New(&metrics, time.Now), Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
			// The address was emailed, so it has a profile.
			if err := store.SetConsent(context.Background(), tt.email, "subscribed", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
			before := ddbtest.Scan(t, db, table)
			if err := h.Handle(context.Background(), fixture(t, tt.fixture)); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			v, err := store.GetView(context.Background(), tt.email)
			if tt.suppressed == nil && err == nil && !v.Subscribed {
				t.Errorf("a non-suppressing event unsubscribed the address: %+v", v)
			}
			if tt.suppressed == nil {
				if after := ddbtest.Scan(t, db, table); len(after) != len(before) {
					t.Errorf("items %d → %d: a non-suppressing event wrote", len(before), len(after))
				}
				if err == nil && v.Suppressed != nil {
					t.Errorf("suppressed = %+v", v.Suppressed)
				}
			} else {
				if err != nil {
					t.Fatalf("GetView: %v", err)
				}
				if v.Suppressed == nil || *v.Suppressed != *tt.suppressed || v.Subscribed {
					t.Errorf("suppressed = %+v subscribed %v, want %+v", v.Suppressed, v.Subscribed, tt.suppressed)
				}
			}
			if !strings.Contains(metrics.String(), tt.metric) {
				t.Errorf("metrics = %s, want %s", metrics.String(), tt.metric)
			}
			// A redelivery (EventBridge is at-least-once) keeps the first suppression.
			if err := h.Handle(context.Background(), fixture(t, tt.fixture)); err != nil {
				t.Fatalf("redelivery: %v", err)
			}
			if tt.suppressed != nil {
				v, _ := store.GetView(context.Background(), tt.email)
				if !v.Suppressed.At.Equal(tt.suppressed.At) {
					t.Errorf("after redelivery: %+v", v.Suppressed)
				}
			}
		})
	}
}

func TestUnreadableEventsAreAcknowledged(t *testing.T) {
	db, table := ddbtest.New(t)
	var metrics bytes.Buffer
	h := &feedback.Handler{Profiles: profile.NewStore(db, table), Metrics: emf.New(&metrics, time.Now), Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	for _, ev := range []events.CloudWatchEvent{
		{DetailType: "Email Bounced", Detail: json.RawMessage(`"not an object"`)},
		{DetailType: "Email Bounced", Detail: json.RawMessage(`{"eventType":"Bounce"}`)},
		{DetailType: "Email Complaint Received", Detail: json.RawMessage(`{}`)},
		{DetailType: "Something New", Detail: json.RawMessage(`{}`)},
	} {
		if err := h.Handle(context.Background(), ev); err != nil {
			t.Errorf("%s %s: %v", ev.DetailType, ev.Detail, err)
		}
	}
	if n := len(ddbtest.Scan(t, db, table)); n != 0 {
		t.Errorf("%d items written", n)
	}
	if n := strings.Count(metrics.String(), `"FeedbackUnreadable":1`); n != 3 {
		t.Errorf("FeedbackUnreadable count = %d", n)
	}
}

func TestStorageFailureIsRetried(t *testing.T) {
	e := ddbtest.Start(t)
	table := e.NewTable(t)
	h := &feedback.Handler{Profiles: profile.NewStore(e.Client, table), Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	e.Close()
	err := h.Handle(context.Background(), fixture(t, "bounce-permanent.json"))
	if err == nil || strings.Contains(err.Error(), "gone.away") {
		t.Fatalf("err = %v, want an error that does not name the address", err)
	}
	var nf interface{ Unwrap() error }
	if !errors.As(err, &nf) {
		t.Errorf("error is not wrapped: %v", err)
	}
}

// TestFeedbackAfterErasure: a bounce or complaint for an address without a
// profile (erased while the email was in flight) writes the address marker
// alone, keyed by a hash: no item holds the address, and the profile a
// later event creates starts suppressed with the first suppression.
func TestFeedbackAfterErasure(t *testing.T) {
	ctx := context.Background()
	db, table := ddbtest.New(t)
	store := profile.NewStore(db, table)
	var logs, metrics bytes.Buffer
	h := &feedback.Handler{Profiles: store, Metrics: emf.New(&metrics, time.Now), Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	for range 2 { // EventBridge delivers at least once
		if err := h.Handle(ctx, fixture(t, "bounce-permanent.json")); err != nil {
			t.Fatal(err)
		}
	}
	items := ddbtest.Scan(t, db, table)
	dump := ddbtest.Dump(t, db, table)
	if len(items) != 1 || strings.Contains(dump, "gone.away") || !strings.Contains(dump, profile.OptOutPK("gone.away@example.com")) {
		t.Fatalf("want only the address marker, got %d items:\n%s", len(items), dump)
	}
	if !strings.Contains(logs.String(), `"had_profile":false`) || !strings.Contains(metrics.String(), `"AddressesSuppressed":1`) {
		t.Errorf("logs %s metrics %s", logs.String(), metrics.String())
	}
	if _, err := store.GetView(ctx, "gone.away@example.com"); !errors.Is(err, profile.ErrNotFound) {
		t.Fatalf("GetView error %v, want ErrNotFound", err)
	}
	// The customer orders again: the new profile starts suppressed.
	if err := store.SetConsent(ctx, "gone.away@example.com", "subscribed", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	v, err := store.GetView(ctx, "gone.away@example.com")
	want := profile.Suppression{Reason: "bounce", At: time.Date(2026, 3, 10, 12, 1, 1, 532000000, time.UTC)}
	if err != nil || v.Suppressed == nil || *v.Suppressed != want || v.Subscribed {
		t.Fatalf("new profile: %+v, %v; want suppressed %+v and not subscribed", v, err, want)
	}
}
