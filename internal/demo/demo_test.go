package demo

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDefaultStory plays the demo's story on a dev stack and checks it
// went as scripted, that the timeline says why things happened, and that
// the self-check catches a story that did not go as scripted.
func TestDefaultStory(t *testing.T) {
	var logs bytes.Buffer
	res, err := Run(context.Background(), Options{Dir: repoRoot, Log: &logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		res.Stack.Close()
		if t.Failed() {
			t.Logf("stack log:\n%s", logs.String())
		}
	})
	if len(res.Problems) > 0 {
		t.Fatalf("problems:\n%s", strings.Join(res.Problems, "\n"))
	}
	if got, want := len(res.Outbox), 13; got != want {
		t.Errorf("outbox: %d emails, want %d", got, want)
	}
	if !res.Stack.Now().Equal(Default.End) {
		t.Errorf("clock at %v, want the story's end %v", res.Stack.Now(), Default.End)
	}

	var out bytes.Buffer
	res.Print(&out)
	text := out.String()
	for _, want := range []string{
		"Day 0 · Mon 5 Jan 2026\n  10:00  lucas@example.com  webhook order_placed → 200 stored: Lucas orders a linen apron",
		"(days 1 to 55: nothing to report; the clock moves on)",
		"14:00  alice@example.com  abandoned-cart · email cart-reminder-1 sent: \"Alice, your cart is waiting\"",
		"10:00  alice@example.com  abandoned-cart · exits: Ordered since start",
		"19:30  emma@example.com   browse-abandonment · email browse-reminder deferred (frequency_cap) until Thu 5 Mar 09:00",
		"09:00  emma@example.com   browse-abandonment · email browse-reminder sent: \"Still looking at Cast Iron Teapot?\"",
		"11:00  bob@example.com    abandoned-cart · email cart-reminder-2-discount sent",
		"14:00  chloe@example.com  review-request · email review-request-1 sent: \"How is your order #PD-3001?\"",
		"10:00  lucas@example.com  win-back · email win-back-3 sent",
		"Outbox: 13 emails\n",
		"2 journey executions still waiting at Sat 4 Apr 2026 09:00",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("timeline:\n%s", text)
	}

	// The self-check fails a story whose emails differ from the script.
	wrong := Default
	wrong.Expect = slices.Clone(Default.Expect)
	wrong.Expect[1].Steps = []string{"cart-reminder-1", "cart-reminder-2"}
	wrong.Expect[1].State = "Exit: Checkout completed"
	wrong.Expect = slices.DeleteFunc(wrong.Expect, func(e Expect) bool { return e.Journey == "browse-abandonment" })
	got := check(res.Stack, &wrong, res.Outbox)
	want := []string{
		"alice@example.com, abandoned-cart: emails sent [cart-reminder-1], want [cart-reminder-1 cart-reminder-2]",
		`alice@example.com, abandoned-cart: execution ended in "Exit: Ordered since start", want "Exit: Checkout completed"`,
		"emma@example.com browse-abandonment: unexpected emails [browse-reminder]",
		"emma@example.com browse-abandonment: unexpected execution " + res.Stack.Executions("browse-abandonment", "emma@example.com")[0].Name + " (SUCCEEDED)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("check of a wrong script:\n got %q\nwant %q", got, want)
	}
}

func TestRunRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		story Story
		want  string
	}{
		{"no beats", Story{End: time.Now()}, "demo: the story has no beats"},
		{"missing fixture", Story{Beats: []Beat{{Fixture: "nope.json"}}}, "events/demo/nope.json not found in "},
		{"beats out of order", Story{Beats: []Beat{{Fixture: "02-alice-checkout-started.json"}, {Fixture: "01-lucas-order-placed.json"}}},
			"demo: beat 01-lucas-order-placed.json at 2026-01-05T10:00:00Z comes before the beat it follows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), Options{Dir: repoRoot, Story: &tc.story})
			if err == nil {
				res.Stack.Close()
				t.Fatal("Run succeeded")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q, want it to start with %q", err, tc.want)
			}
		})
	}
}

func TestRouterNotes(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	hashes := map[string]string{"h1": "rosa@example.com"}
	lines := [][]byte{
		[]byte(`{"level":"INFO","msg":"router: journey started","journey":"welcome","profile":"h1"}`),
		[]byte(`{"level":"INFO","msg":"router: re-entry rule holds the journey back","journey":"browse-abandonment","profile":"h1","re_entry":"after"}`),
		[]byte(`{"level":"INFO","msg":"send: sent","journey":"welcome","profile":"h1"}`),
		[]byte(`not json`),
	}
	got := routerNotes(lines, hashes, at)
	want := Entry{At: at, Email: "rosa@example.com", Kind: "not_started", Journey: "browse-abandonment", order: 1,
		Text: "browse-abandonment not started: re-entry rule holds the journey back (re_entry: after)"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("notes %+v, want [%+v]", got, want)
	}
}
