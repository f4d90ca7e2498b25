package simulate

import (
	"testing"
	"time"
)

const validEvents = `
events:
  - at: 0s
    type: checkout_started
    checkout: {id: c1, total: "89.00", currency: EUR, recovery_url: https://x.example/r, line_items: [{title: Shirt, quantity: 1, price: "89.00"}]}
`

func TestParse(t *testing.T) {
	sc, err := Parse("ok.yaml", []byte(`name: ok
start: 2026-06-01T20:00:00+02:00
profile: {email: Alice@Example.com, first_name: Alice, timezone: Europe/Paris, consent: pending, orders: 2, since: 1w, tags: [vip]}
events:
  - at: 0s
    type: checkout_started
    checkout: {id: 123, total: 89.5, currency: EUR}
  - at: 1d12h
    type: order_placed
    order: {id: o1}
expect:
  emails: []
  exit: Done
`))
	if err != nil {
		t.Fatal(err)
	}
	if !sc.Start.Equal(time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)) {
		t.Errorf("start %v", sc.Start)
	}
	p := sc.Profile
	if p.Email != "Alice@Example.com" || p.Consent != "pending" || p.Orders != 2 || p.Since != 7*24*time.Hour || p.New || len(p.Tags) != 1 {
		t.Errorf("profile %+v", p)
	}
	if len(sc.Events) != 2 || sc.Events[1].At != 36*time.Hour || sc.Events[1].Type != "order_placed" || sc.Events[0].Line != 5 || sc.Events[0].Column != 5 {
		t.Errorf("events %+v", sc.Events)
	}
	body, err := webhookBody(sc.Events[0], "alice@example.com", DefaultStart)
	if err != nil {
		t.Fatal(err)
	}
	// YAML numbers stay JSON numbers (the Standard source takes numeric
	// ids and money); the email and time are filled in.
	want := `{"checkout":{"currency":"EUR","id":123,"total":89.5},"email":"alice@example.com","occurred_at":"2026-06-01T08:00:00Z","type":"checkout_started"}`
	if string(body) != want {
		t.Errorf("body\n got %s\nwant %s", body, want)
	}
	if sc.Expect == nil || sc.Expect.Emails == nil || len(sc.Expect.Emails) != 0 || *sc.Expect.Exit != "Done" || sc.Expect.Deferred != nil {
		t.Errorf("expect %+v", sc.Expect)
	}

	def, err := Parse("d.yaml", []byte("name: d\nprofile: {email: a@example.com}\n"+validEvents))
	if err != nil {
		t.Fatal(err)
	}
	if def.Profile.Consent != "subscribed" || def.Profile.Since != DefaultSince || !def.Start.Equal(DefaultStart) || def.Expect != nil {
		t.Errorf("defaults %+v", def)
	}
}

func TestParseErrors(t *testing.T) {
	head := "name: s\nprofile: {email: a@example.com}\n"
	tests := []struct {
		name, src, want string
	}{
		{"yaml syntax", "name: [", `s.yaml:1:1: invalid YAML: did not find expected node content`},
		{"empty", "", `s.yaml:1:1: empty scenario (hint: write name, profile and events)`},
		{"not a mapping", "- a\n", `s.yaml:1:1: scenario must be a mapping`},
		{"unknown field", "nmae: s\n", `s.yaml:1:1: unknown field "nmae" in scenario (hint: did you mean name?)`},
		{"repeated field", "name: a\nname: b\n", `s.yaml:2:1: name repeated in scenario`},
		{"no events", head, `s.yaml:1:1: missing events (hint: a scenario has name, profile (with email) and events)`},
		{"no profile", "name: s\n" + validEvents, `s.yaml:1:1: missing profile (hint: a scenario has name, profile (with email) and events)`},
		{"no name", "profile: {email: a@example.com}\n" + validEvents, `s.yaml:1:1: missing name (hint: a scenario has name, profile (with email) and events)`},
		{"bad start", "start: tomorrow\n", `s.yaml:1:8: start "tomorrow" is not an RFC 3339 time (hint: e.g. 2026-06-01T20:00:00+02:00)`},
		{"profile without email", "name: s\nprofile: {first_name: A}\n", `s.yaml:2:10: profile has no email`},
		{"bad email", "profile: {email: alice}\n", `s.yaml:1:18: email "alice" is not an address`},
		{"bad consent", "profile: {email: a@example.com, consent: yes}\n", `s.yaml:1:42: consent "yes" is not a consent state (hint: one of subscribed, not_subscribed, unsubscribed, pending)`},
		{"bad timezone", "profile: {email: a@example.com, timezone: Paris}\n", `s.yaml:1:43: timezone "Paris" is not an IANA time zone name (hint: e.g. Europe/Paris)`},
		{"bad orders", "profile: {email: a@example.com, orders: many}\n", `s.yaml:1:41: orders "many" is not a count from 0 to 50`},
		{"new with orders", "profile: {email: a@example.com, orders: 1, new: true}\n", `s.yaml:1:10: a new profile has no orders (hint: remove orders, or new)`},
		{"unknown profile field", "profile: {email: a@example.com, frist_name: A}\n", `s.yaml:1:33: unknown field "frist_name" in profile (hint: did you mean first_name?)`},
		{"events not a list", head + "events: {}\n", "s.yaml:3:9: events must be a non-empty list (hint: - at: 0s\n    type: checkout_started)"},
		{"unknown event type", head + "events:\n  - at: 0s\n    type: chekout_started\n", `s.yaml:5:11: unknown event type "chekout_started" (hint: did you mean checkout_started?)`},
		{"far event type", head + "events:\n  - at: 0s\n    type: purchase\n", `s.yaml:5:11: unknown event type "purchase" (hint: one of checkout_started, checkout_updated, cart_updated, order_placed, order_paid, order_cancelled, order_refunded, order_fulfilled, order_delivered, customer_created, customer_updated, consent_changed, product_viewed, review_submitted)`},
		{"event without at", head + "events:\n  - type: order_placed\n    order: {id: o1}\n", "s.yaml:4:5: event 1 needs at and type (hint: - at: 0s\n    type: checkout_started)"},
		{"bad at", head + "events:\n  - at: 4x\n    type: order_placed\n", `s.yaml:4:9: at: "4x" is not a duration (hint: e.g. 0s, 90m, 6h, 3d, 2w or 1d12h; at most 400d)`},
		{"at too far", head + "events:\n  - at: 401d\n    type: order_placed\n", `s.yaml:4:9: at: "401d" is more than 400d (hint: e.g. 0s, 90m, 6h, 3d, 2w or 1d12h; at most 400d)`},
		{"events out of order", head + "events:\n  - at: 1h\n    type: order_placed\n    order: {id: o1}\n  - at: 30m\n    type: order_paid\n    order: {id: o1}\n",
			`s.yaml:7:9: event 2 at 30m comes before event 1 at 1h (hint: list events in time order)`},
		{"unknown event field", head + "events:\n  - at: 0s\n    type: order_placed\n    ordre: {id: o1}\n", `s.yaml:6:5: unknown field "ordre" in event 1 (hint: did you mean order?)`},
		{"occurred_at is set by simulate", head + "events:\n  - at: 0s\n    type: order_placed\n    occurred_at: 2026-01-01T00:00:00Z\n",
			`s.yaml:6:5: unknown field "occurred_at" in event 1 (hint: one of at, type, email, customer_id, shop, customer, consent, checkout, order, product, review, touch, properties)`},
		{"event the webhook would reject", head + "events:\n  - at: 0s\n    type: checkout_started\n    checkout: {total: \"10.00\"}\n",
			`s.yaml:4:5: event 1 (checkout_started): checkout.id: required for checkout_started (hint: docs/events.md lists the fields of a generic event)`},
		{"bad money", head + "events:\n  - at: 0s\n    type: order_placed\n    order: {id: o1, total: ten}\n",
			`s.yaml:4:5: event 1 (order_placed): order.total: not a decimal amount (hint: docs/events.md lists the fields of a generic event)`},
		{"unknown expect field", head + validEvents + "expect: {email: [a]}\n", `s.yaml:8:10: unknown field "email" in expect (hint: did you mean emails?)`},
		{"expect emails not a list", head + validEvents + "expect: {emails: a}\n", `s.yaml:8:18: emails must be a list (hint: e.g. [a, b])`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tt.src))
			if err == nil {
				t.Fatal("no error")
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error type %T, want *Error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestOffsets(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{{"0s", 0}, {"90m", 90 * time.Minute}, {"1d12h", 36 * time.Hour}, {"2w", 14 * 24 * time.Hour}, {"400d", MaxOffset}} {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseOffset(tt.in)
			if err != nil || d != tt.want {
				t.Fatalf("ParseOffset(%q) = %v, %v", tt.in, d, err)
			}
			if tt.in != "90m" && tt.in != "2w" && FormatOffset(d) != tt.in {
				t.Errorf("FormatOffset(%v) = %q", d, FormatOffset(d))
			}
		})
	}
	for _, bad := range []string{"", "4", "h", "-1h", "1h30", "1.5h", "99999999d"} {
		if _, err := ParseOffset(bad); err == nil {
			t.Errorf("ParseOffset(%q): no error", bad)
		}
	}
}
