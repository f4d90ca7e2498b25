package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAbandonedCart(t *testing.T) {
	t.Run("never buys: three reminders, the second with a discount over 100", func(t *testing.T) {
		s := startStack(t, monday)
		s.deliver("checkout_started", "noor@example.com", checkout("chk_1", "128.00", lineItem("Cast Iron Teapot", "64.00", 2)))
		x := s.only("noor@example.com", "abandoned-cart")
		if x.Status != "RUNNING" {
			t.Fatalf("after the webhook: %+v", x)
		}
		s.advance(4*time.Hour - time.Minute)
		s.wantSteps("noor@example.com", "abandoned-cart")
		s.advance(time.Minute)
		s.wantSteps("noor@example.com", "abandoned-cart", "cart-reminder-1")
		m := s.email("noor@example.com", "cart-reminder-1")
		if !m.SentAt.Equal(monday.Add(4*time.Hour)) || !strings.Contains(m.HTML, "Cast Iron Teapot") || !strings.Contains(m.Text, "Cast Iron Teapot") {
			t.Errorf("reminder 1 at %v lacks the line item:\n%s", m.SentAt, m.Text)
		}
		s.advance(20 * time.Hour)
		s.wantSteps("noor@example.com", "abandoned-cart", "cart-reminder-1", "cart-reminder-2-discount")
		if m := s.email("noor@example.com", "cart-reminder-2-discount"); !strings.Contains(m.Text, "COMEBACK10") {
			t.Errorf("discount reminder lacks its code:\n%s", m.Text)
		}
		s.advance(48 * time.Hour)
		s.wantSteps("noor@example.com", "abandoned-cart", "cart-reminder-1", "cart-reminder-2-discount", "cart-reminder-3")
		x = s.only("noor@example.com", "abandoned-cart")
		if x.Status != "SUCCEEDED" {
			t.Fatalf("after three reminders: %+v", x)
		}
		if st := s.entered(x.Name); slices.ContainsFunc(st, func(n string) bool { return strings.HasPrefix(n, "Exit: ") }) {
			t.Errorf("a shopper who never bought went through an exit: %v", st)
		}
		s.advance(30 * 24 * time.Hour)
		s.wantSteps("noor@example.com", "abandoned-cart", "cart-reminder-1", "cart-reminder-2-discount", "cart-reminder-3")
	})

	t.Run("orders during the wait: no further email, exits because of the order", func(t *testing.T) {
		s := startStack(t, monday)
		s.deliver("checkout_started", "omar@example.com", checkout("chk_2", "37.00", lineItem("Stoneware Mug", "18.50", 2)))
		s.advance(4 * time.Hour)
		s.wantSteps("omar@example.com", "abandoned-cart", "cart-reminder-1")
		s.advance(6 * time.Hour) // 19:00, during the 20h wait
		s.deliver("order_placed", "omar@example.com", order("ord_2", s.Now(), lineItem("Stoneware Mug", "18.50", 2)))
		s.advance(7 * 24 * time.Hour)
		s.wantSteps("omar@example.com", "abandoned-cart", "cart-reminder-1")
		s.wantEnd("omar@example.com", "abandoned-cart", "SUCCEEDED", "Exit: Ordered since start")
		// The order starts the win-back journey, which waits 60 days.
		if x := s.only("omar@example.com", "win-back"); x.Status != "RUNNING" {
			t.Errorf("win-back after the order: %+v", x)
		}
	})

	t.Run("one-click unsubscribe during the wait: no further email", func(t *testing.T) {
		s := startStack(t, monday)
		s.deliver("checkout_started", "pia@example.com", checkout("chk_3", "37.00", lineItem("Stoneware Mug", "18.50", 2)))
		s.advance(4 * time.Hour)
		s.wantSteps("pia@example.com", "abandoned-cart", "cart-reminder-1")
		s.advance(time.Hour)
		s.unsubscribeOneClick(s.email("pia@example.com", "cart-reminder-1"))
		if v, err := s.Profile("pia@example.com"); err != nil || v.Consent == nil || v.Consent.State != "unsubscribed" {
			t.Fatalf("profile after unsubscribing: %+v %v", v.Consent, err)
		}
		s.advance(7 * 24 * time.Hour)
		s.wantSteps("pia@example.com", "abandoned-cart", "cart-reminder-1")
		s.wantEnd("pia@example.com", "abandoned-cart", "SUCCEEDED", "Exit: Unsubscribed")
	})

	t.Run("filter does not match: a checkout without a recovery link starts nothing", func(t *testing.T) {
		s := startStack(t, monday)
		body := checkout("chk_4", "37.00", lineItem("Stoneware Mug", "18.50", 2))
		delete(body["checkout"].(map[string]any), "recovery_url")
		s.deliver("checkout_started", "quinn@example.com", body)
		s.advance(7 * 24 * time.Hour)
		if xs := s.Executions("", "quinn@example.com"); len(xs) != 0 {
			t.Fatalf("executions: %+v", xs)
		}
		s.wantSteps("quinn@example.com", "abandoned-cart")
		if v, err := s.Profile("quinn@example.com"); err != nil || v.LastCheckoutAt == nil {
			t.Fatalf("the checkout was not stored on the profile: %+v %v", v, err)
		}
	})
}

func TestBrowseAbandonment(t *testing.T) {
	t.Run("re-entry: two views within 14 days make one execution, a view after 14 days another", func(t *testing.T) {
		s := startStack(t, monday)
		s.deliver("product_viewed", "rosa@example.com", product("teapot", "Cast Iron Teapot"))
		s.advance(2 * time.Hour)
		s.wantSteps("rosa@example.com", "browse-abandonment", "browse-reminder")
		if m := s.email("rosa@example.com", "browse-reminder"); m.Subject != "Still looking at Cast Iron Teapot?" {
			t.Errorf("subject %q", m.Subject)
		}
		s.advance(24 * time.Hour)
		s.deliver("product_viewed", "rosa@example.com", product("mug", "Stoneware Mug"))
		s.advance(3 * 24 * time.Hour)
		s.only("rosa@example.com", "browse-abandonment")
		s.wantSteps("rosa@example.com", "browse-abandonment", "browse-reminder")

		s.advance(14 * 24 * time.Hour)
		s.deliver("product_viewed", "rosa@example.com", product("mug", "Stoneware Mug"))
		s.advance(2 * time.Hour)
		if xs := s.Executions("browse-abandonment", "rosa@example.com"); len(xs) != 2 {
			t.Fatalf("executions after 14 days: %d, want 2", len(xs))
		}
		s.wantSteps("rosa@example.com", "browse-abandonment", "browse-reminder", "browse-reminder")
	})

	t.Run("carted during the wait: exits without an email", func(t *testing.T) {
		s := startStack(t, monday)
		s.deliver("product_viewed", "sami@example.com", product("teapot", "Cast Iron Teapot"))
		s.advance(time.Hour)
		s.deliver("cart_updated", "sami@example.com", map[string]any{"checkout": map[string]any{"id": "cart_9", "total": "64.00"}})
		s.advance(24 * time.Hour)
		s.wantSteps("sami@example.com", "browse-abandonment")
		s.wantEnd("sami@example.com", "browse-abandonment", "SUCCEEDED", "Exit: Carted since start")
	})
}

func TestReviewRequest(t *testing.T) {
	t.Run("delivered: request after 14 days, reminder 5 days later", func(t *testing.T) {
		s := startStack(t, monday)
		s.deliver("order_placed", "tara@example.com", order("ord_5", s.Now(), lineItem("Linen Tea Towels", "54.00", 1)))
		s.advance(3 * 24 * time.Hour)
		// The email's .Order is the trigger's order: the delivery carries its number.
		s.deliver("order_delivered", "tara@example.com", map[string]any{"order": map[string]any{"id": "ord_5", "number": "PD-ord_5", "status": "delivered"}})
		delivered := s.Now()
		s.advance(14*24*time.Hour - time.Minute)
		s.wantSteps("tara@example.com", "review-request")
		s.advance(time.Minute)
		s.wantSteps("tara@example.com", "review-request", "review-request-1")
		if m := s.email("tara@example.com", "review-request-1"); m.Subject != "How is your order #PD-ord_5?" || !m.SentAt.Equal(delivered.Add(14*24*time.Hour)) {
			t.Errorf("request: %q at %v", m.Subject, m.SentAt)
		}
		s.advance(5 * 24 * time.Hour)
		s.wantSteps("tara@example.com", "review-request", "review-request-1", "review-request-2")
		if x := s.only("tara@example.com", "review-request"); x.Status != "SUCCEEDED" || strings.HasPrefix(x.State, "Exit: ") {
			t.Errorf("review-request after both emails: %s in %q, want SUCCEEDED without an exit", x.Status, x.State)
		}
	})

	t.Run("reviewed during the wait: no request", func(t *testing.T) {
		s := startStack(t, monday)
		s.deliver("order_placed", "uma@example.com", order("ord_6", s.Now(), lineItem("Linen Apron", "39.00", 1)))
		s.deliver("order_delivered", "uma@example.com", map[string]any{"order": map[string]any{"id": "ord_6", "status": "delivered"}})
		s.advance(5 * 24 * time.Hour)
		s.deliver("review_submitted", "uma@example.com", map[string]any{"review": map[string]any{"id": "rev_1", "order_id": "ord_6", "rating": 5}})
		s.advance(20 * 24 * time.Hour)
		s.wantSteps("uma@example.com", "review-request")
		x := s.only("uma@example.com", "review-request")
		if x.Status != "SUCCEEDED" || (x.State != "Exit: Order reviewed" && x.State != "Exit: Reviewed since start") {
			t.Fatalf("review-request: %s in %q, want an exit for the review", x.Status, x.State)
		}
	})
}

func TestWelcome(t *testing.T) {
	s := startStack(t, monday)
	sub := map[string]any{"consent": subscribed, "customer": map[string]any{"first_name": "Vera"}}
	s.deliver("consent_changed", "vera@example.com", sub)
	s.wantSteps("vera@example.com", "welcome", "welcome-1")
	if m := s.email("vera@example.com", "welcome-1"); !m.SentAt.Equal(monday) {
		t.Errorf("welcome-1 at %v, want at once", m.SentAt)
	}
	s.advance(2 * 24 * time.Hour)
	s.wantSteps("vera@example.com", "welcome", "welcome-1", "welcome-2")
	// re_entry: never — subscribing again starts nothing.
	s.deliver("consent_changed", "vera@example.com", sub)
	s.advance(2 * 24 * time.Hour)
	s.wantSteps("vera@example.com", "welcome", "welcome-1", "welcome-2", "welcome-3")
	if m := s.email("vera@example.com", "welcome-3"); !strings.HasPrefix(m.Subject, "Vera, ") || !strings.Contains(m.Text, "HELLO10") {
		t.Errorf("welcome-3: %q\n%s", m.Subject, m.Text)
	}
	if x := s.only("vera@example.com", "welcome"); x.Status != "SUCCEEDED" || strings.HasPrefix(x.State, "Exit: ") {
		t.Errorf("welcome after three emails: %s in %q, want SUCCEEDED without an exit", x.Status, x.State)
	}
	s.advance(30 * 24 * time.Hour)
	s.only("vera@example.com", "welcome")
	s.wantSteps("vera@example.com", "welcome", "welcome-1", "welcome-2", "welcome-3")

	t.Run("not subscribed: the filter does not match", func(t *testing.T) {
		s.deliver("consent_changed", "wes@example.com", map[string]any{"consent": map[string]any{"state": "unsubscribed"}})
		if xs := s.Executions("", "wes@example.com"); len(xs) != 0 {
			t.Fatalf("executions: %+v", xs)
		}
	})
}

func TestWinBack(t *testing.T) {
	s := startStack(t, monday)
	s.deliver("order_placed", "xena@example.com", order("ord_7", s.Now(), lineItem("Linen Apron", "39.00", 1)))
	s.advance(30 * 24 * time.Hour)
	// A second order 30 days later: the first execution must give way.
	s.deliver("order_placed", "xena@example.com", order("ord_8", s.Now(), lineItem("Stoneware Mug", "18.50", 1)))
	second := s.Now()
	s.advance(31 * 24 * time.Hour) // day 61: the first execution's wait is over
	s.wantSteps("xena@example.com", "win-back")
	xs := s.Executions("win-back", "xena@example.com")
	if len(xs) != 2 || xs[0].Status != "SUCCEEDED" || xs[0].State != "Exit: Newer order" || xs[1].Status != "RUNNING" {
		t.Fatalf("executions: %+v", xs)
	}
	s.advance(second.Add(60 * 24 * time.Hour).Sub(s.Now()))
	s.wantSteps("xena@example.com", "win-back", "win-back-1")
	s.advance(14 * 24 * time.Hour)
	s.wantSteps("xena@example.com", "win-back", "win-back-1", "win-back-2")
	s.advance(14 * 24 * time.Hour)
	s.wantSteps("xena@example.com", "win-back", "win-back-1", "win-back-2", "win-back-3")
	if m := s.email("xena@example.com", "win-back-2"); !strings.Contains(m.Text, "WELCOMEBACK15") {
		t.Errorf("win-back-2 lacks its code:\n%s", m.Text)
	}
}

// TestFrequencyCapAcrossJourneys: the welcome email takes the 16-hour cap;
// a browse reminder due two hours later is deferred until the cap frees
// (09:00 the next morning, outside quiet hours) and sent then.
func TestFrequencyCapAcrossJourneys(t *testing.T) {
	evening := time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC)
	s := startStack(t, evening)
	s.deliver("consent_changed", "yara@example.com", map[string]any{"consent": subscribed})
	s.advance(30 * time.Minute)
	s.deliver("product_viewed", "yara@example.com", product("teapot", "Cast Iron Teapot"))
	s.advance(2 * time.Hour) // 19:30: the reminder is due
	s.wantSteps("yara@example.com", "browse-abandonment")
	x := s.only("yara@example.com", "browse-abandonment")
	if x.Status != "RUNNING" {
		t.Fatalf("deferred execution: %+v", x)
	}
	d, _ := s.ExecutionDetail(x.Name)
	deferred := false
	for _, st := range d.States {
		if out, ok := st.Output.(map[string]any); ok && st.Type == "Task" {
			if send, ok := out["send"].(map[string]any); ok {
				if r, ok := send["reply"].(map[string]any); ok && r["status"] == "deferred" && r["reason"] == "frequency_cap" &&
					r["not_before"] == "2026-03-05T09:00:00Z" {
					deferred = true
				}
			}
		}
	}
	if !deferred {
		t.Fatalf("no send answered deferred (frequency_cap) until 09:00: %+v", d.States)
	}
	s.advance(13*time.Hour + 29*time.Minute) // 08:59
	s.wantSteps("yara@example.com", "browse-abandonment")
	s.advance(time.Minute)
	s.wantSteps("yara@example.com", "browse-abandonment", "browse-reminder")
	if m := s.email("yara@example.com", "browse-reminder"); !m.SentAt.Equal(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("browse reminder sent at %v", m.SentAt)
	}
	s.wantSteps("yara@example.com", "welcome", "welcome-1")
}
