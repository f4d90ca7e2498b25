package loadtest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/touchpoint"
)

// The oracle's rules on hand-written events: what each field of a profile
// must end as, whatever order the events arrive in.
func TestOracleProfiles(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2025, 11, 1, h, 0, 0, 0, time.UTC) }
	const a = "a@load.example"
	for _, tt := range []struct {
		name   string
		events []Event
		check  func(e *Expected) string
	}{
		{"names: newest non-empty wins per field, trimmed", []Event{
			{Kind: StandardView, Email: a, At: at(3), FirstName: "  Grace  "},
			{Kind: StandardView, Email: a, At: at(1), FirstName: "Alice", LastName: "Martin"},
			{Kind: StandardView, Email: a, At: at(5)}, // no names: clears nothing
		}, func(e *Expected) string { return e.FirstName + "|" + e.LastName }},
		{"tags: the newest event's, cleaned; an event without tags keeps them", []Event{
			{Kind: StandardView, Email: a, At: at(1), Tags: []string{"old"}},
			{Kind: StandardView, Email: a, At: at(4), Tags: []string{" vip ", "b2b", "vip", ""}},
			{Kind: StandardView, Email: a, At: at(2), Tags: []string{"older"}},
			{Kind: StandardView, Email: a, At: at(6)},
		}, func(e *Expected) string { return fmt.Sprint(e.Tags) }},
		{"a rejected event changes nothing", []Event{
			{Kind: StandardView, Email: a, At: at(1), Tags: []string{"kept"}},
			{Kind: StandardView, Email: a, At: at(2), Tags: []string{"t000"}, FirstName: "X", Reject: "customer.tags: more than 250 tags"},
		}, func(e *Expected) string { return fmt.Sprintf("%v|%s|%d", e.Tags, e.FirstName, e.LastSeen.Hour()) }},
		{"categories: most units first, ties by name", []Event{
			{Kind: ShopifyOrder, Email: a, At: at(1), Curr: "EUR", Money: 1000, Lines: []Line{{"Tea", 2}, {"Garden", 1}}},
			{Kind: StandardOrder, Email: a, At: at(2), Curr: "EUR", Money: 1000, Lines: []Line{{"Kitchen", 3}, {"Garden", 1}}},
		}, func(e *Expected) string { return fmt.Sprint(e.Categories()) }},
		{"segment and averages: one currency", []Event{
			{Kind: WooOrder, Email: a, At: at(1), Curr: "EUR", Money: 1001},
			{Kind: WooOrder, Email: a, At: at(2), Curr: "EUR", Money: 1000},
		}, func(e *Expected) string {
			s, c := e.shopSpent()
			return fmt.Sprintf("%s %d %d %s", e.Segment(), e.Average("EUR"), s, c)
		}},
		{"vip by spend in the only currency", []Event{
			{Kind: WooOrder, Email: a, At: at(1), Curr: "EUR", Money: 60_000},
			{Kind: WooOrder, Email: a, At: at(2), Curr: "EUR", Money: 40_000},
		}, func(e *Expected) string { return e.Segment() }},
		{"two currencies: no shop currency, no vip by spend", []Event{
			{Kind: WooOrder, Email: a, At: at(1), Curr: "EUR", Money: 90_000},
			{Kind: StandardOrder, Email: a, At: at(2), Curr: "USD", Money: 90_000},
		}, func(e *Expected) string { s, c := e.shopSpent(); return fmt.Sprintf("%s %d %q", e.Segment(), s, c) }},
		{"channel and checkout: newest", []Event{
			{Kind: ShopifyOrder, Email: a, At: at(3), Curr: "EUR", Money: 1, Channel: "pos"},
			{Kind: ShopifyCheckout, Email: a, At: at(4), CheckoutID: "c2", Channel: "web"},
			{Kind: ShopifyCheckout, Email: a, At: at(2), CheckoutID: "c1", Channel: "web"},
			{Kind: WooOrder, Email: a, At: at(1), Curr: "EUR", Money: 1, Channel: "api"},
		}, func(e *Expected) string { return e.Channel + " " + e.Checkout }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := map[string]string{
				"names: newest non-empty wins per field, trimmed":                     "Grace|Martin",
				"tags: the newest event's, cleaned; an event without tags keeps them": "[b2b vip]",
				"a rejected event changes nothing":                                    "[kept]||1",
				"categories: most units first, ties by name":                          "[Kitchen Garden Tea]",
				"segment and averages: one currency":                                  "repeat 1001 2001 EUR",
				"vip by spend in the only currency":                                   "vip",
				"two currencies: no shop currency, no vip by spend":                   `repeat 0 ""`,
				"channel and checkout: newest":                                        "web c2",
			}[tt.name]
			// Every order of arrival gives the same profile.
			evs := slices.Clone(tt.events)
			for range len(evs) {
				got := tt.check(Profiles(&Workload{Events: evs})[a])
				if got != want {
					t.Fatalf("events in order %v: got %q, want %q", evs, got, want)
				}
				evs = append(evs[1:], evs[0])
			}
		})
	}
}

// Who must and who may get the welcome email.
func TestOracleWelcomes(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2025, 11, 1, h, 0, 0, 0, time.UTC) }
	consent := func(email, state string, h int) Event {
		return Event{Kind: StandardConsent, Email: email, Consent: state, At: at(h)}
	}
	w := &Workload{Suppressed: map[string]bool{"s@x": true}, Events: []Event{
		consent("only-sub@x", touchpoint.ConsentSubscribed, 1),
		consent("unsub-then-sub@x", touchpoint.ConsentUnsubscribed, 1), consent("unsub-then-sub@x", touchpoint.ConsentSubscribed, 2),
		consent("sub-then-unsub@x", touchpoint.ConsentSubscribed, 1), consent("sub-then-unsub@x", touchpoint.ConsentUnsubscribed, 2),
		// Newest says subscribed, but an unsubscribe newer than the first
		// subscribe may be stored when the execution reads the profile.
		consent("sub-unsub-sub@x", touchpoint.ConsentSubscribed, 1), consent("sub-unsub-sub@x", touchpoint.ConsentNotSubscribed, 2), consent("sub-unsub-sub@x", touchpoint.ConsentSubscribed, 3),
		consent("never@x", touchpoint.ConsentNotSubscribed, 1),
		consent("s@x", touchpoint.ConsentSubscribed, 1),
		{Kind: StandardConsent, Email: "rejected@x", Consent: touchpoint.ConsentSubscribed, At: at(1), Reject: "customer.tags: more than 250 tags"},
	}}
	must, may := Welcomes(Profiles(w))
	if got, want := sortedKeys(must), []string{"only-sub@x", "unsub-then-sub@x"}; !slices.Equal(got, want) {
		t.Errorf("must %v, want %v", got, want)
	}
	if got, want := sortedKeys(may), []string{"only-sub@x", "sub-then-unsub@x", "sub-unsub-sub@x", "unsub-then-sub@x"}; !slices.Equal(got, want) {
		t.Errorf("may %v, want %v", got, want)
	}
}

// The generated workload carries what the oracle compares: names, tags
// (some at the 250 cap, some over it, rejected), time zones, categories,
// channels.
func TestGenerateCoversTheFields(t *testing.T) {
	w, err := Generate(1, 4000, 300, 0.1, 0.02, Secrets{"s", "w", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, StartTime)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, ev := range w.Events {
		if ev.FirstName != "" {
			n["first name"]++
		}
		if ev.LastName != "" {
			n["last name"]++
		}
		if ev.Timezone != "" {
			n["timezone"]++
		}
		switch len(ev.Tags) {
		case 0:
		case MaxTags:
			n["250 tags"]++
		case MaxTags + 1:
			n["251 tags"]++
			if ev.Reject == "" {
				t.Errorf("event %s with %d tags is not expected to be rejected", ev.ID, len(ev.Tags))
			}
		default:
			n["tags"]++
		}
		if len(ev.Lines) > 0 {
			n["lines"]++
		}
		if ev.Channel != "" {
			n["channel "+ev.Channel]++
		}
	}
	for _, k := range []string{"first name", "last name", "timezone", "tags", "250 tags", "251 tags", "lines", "channel web", "channel pos", "channel api"} {
		if n[k] == 0 {
			t.Errorf("no event with %s (%v)", k, n)
		}
	}
}
