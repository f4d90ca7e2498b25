package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/journey"
)

var update = flag.Bool("update", false, "rewrite the golden timelines in testdata/golden/")

// root is the repository: template.yaml, statemachines/, journeys/.
var root = func() string {
	d, _ := filepath.Abs("../..")
	return d
}()

// load reads a scenario by its path from the repository root, keeping that
// relative path as its name (the output names no machine path).
func load(t *testing.T, rel string) *Scenario {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := Parse(filepath.ToSlash(rel), b)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func run(t *testing.T, journeyName string, sc *Scenario, until time.Duration) *Result {
	t.Helper()
	var logs bytes.Buffer
	res, err := Run(context.Background(), Options{Dir: root, Journey: journeyName, Until: until, Log: &logs}, sc)
	if err != nil {
		t.Fatalf("Run: %v\nstack log:\n%s", err, logs.String())
	}
	return res
}

// TestShippedScenarios runs every journeys/<name>/scenarios/*.yaml,
// compares its timeline with testdata/golden/<name>/<scenario>.txt and
// requires its expect block to pass. Every journey ships scenarios, and
// every scenario states what it expects.
func TestShippedScenarios(t *testing.T) {
	journeys, err := Journeys(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range journeys {
		files, _ := filepath.Glob(filepath.Join(root, "journeys", j, "scenarios", "*.yaml"))
		if len(files) < 2 {
			t.Errorf("journey %s ships %d scenarios, want at least 2", j, len(files))
		}
		for _, f := range files {
			rel, _ := filepath.Rel(root, f)
			name := strings.TrimSuffix(filepath.Base(f), ".yaml")
			t.Run(j+"/"+name, func(t *testing.T) {
				sc := load(t, rel)
				if sc.Expect == nil || (sc.Expect.Emails == nil && sc.Expect.Exit == nil) {
					t.Errorf("%s has no expect block with emails or exit", rel)
				}
				res := run(t, j, sc, 0)
				for _, c := range res.Checks {
					if !c.Pass {
						t.Errorf("expect %s: want %s, got %s", c.Name, c.Want, c.Got)
					}
				}
				var got bytes.Buffer
				if err := res.WriteText(&got); err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("testdata", "golden", j, name+".txt"), got.Bytes())
			})
		}
	}
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/simulate -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("timeline differs from %s (go test ./internal/simulate -update rewrites it; review the diff)\n got:\n%s\nwant:\n%s", file, got, want)
	}
}

// TestFailedExpectation: a scenario whose expectations are wrong reports
// each as FAIL with what happened instead.
func TestFailedExpectation(t *testing.T) {
	sc := load(t, "journeys/abandoned-cart/scenarios/ordered-during-wait.yaml")
	exit := "Done"
	sc.Expect = &Expect{Emails: []string{"cart-reminder-1", "cart-reminder-2"}, Exit: &exit, Deferred: []string{}, Skipped: []string{}}
	res := run(t, "abandoned-cart", sc, 0)
	if res.Passed() {
		t.Fatal("Passed() with wrong expectations")
	}
	var out bytes.Buffer
	if err := res.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"FAIL emails: want [cart-reminder-1, cart-reminder-2], got [cart-reminder-1]\n",
		"FAIL exit: want Done, got Ordered since start\n",
		"PASS deferred: []\n",
		"PASS skipped: []\n",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, out.String())
		}
	}
}

// TestUnsubscribedFromTheStart: the router starts the journey for a
// profile that is not subscribed (consent is the journey's business), and
// the journey's first check ends it without an email.
func TestUnsubscribedFromTheStart(t *testing.T) {
	sc := load(t, "journeys/abandoned-cart/scenarios/happy-path.yaml")
	sc.Profile.Consent = "unsubscribed"
	sc.Expect = nil
	res := run(t, "abandoned-cart", sc, 0)
	if got := res.Endings(); got != "Unsubscribed" {
		t.Errorf("ending %q, want Unsubscribed", got)
	}
	if got := res.Sent(); len(got) != 0 {
		t.Errorf("sent %v to an unsubscribed profile", got)
	}
}

// TestUntil stops the clock early: the execution is still running, and
// the JSON report says so.
func TestUntil(t *testing.T) {
	sc := load(t, "journeys/abandoned-cart/scenarios/happy-path.yaml")
	res := run(t, "abandoned-cart", sc, 30*time.Hour)
	if !res.End.Equal(sc.Start.Add(30 * time.Hour)) {
		t.Errorf("end %v, want t=30h", res.End)
	}
	var out bytes.Buffer
	if err := res.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Executions []struct {
			Status, Ending string
		} `json:"executions"`
		Timeline []struct {
			Kind, Step, Status, Offset, State, Detail string
			Until                                     string `json:"until"`
		} `json:"timeline"`
		Checks []Check `json:"checks"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Executions) != 1 || doc.Executions[0].Status != "RUNNING" || doc.Executions[0].Ending != "running" {
		t.Errorf("executions %+v", doc.Executions)
	}
	var emails []string
	for _, e := range doc.Timeline {
		if e.Kind == "email" {
			emails = append(emails, e.Offset+" "+e.Step+" "+e.Status)
		}
	}
	if strings.Join(emails, ", ") != "4h cart-reminder-1 sent, 1d cart-reminder-2-discount sent" {
		t.Errorf("emails %v", emails)
	}
	last := doc.Timeline[len(doc.Timeline)-1]
	if last.Kind != "wait" || last.State != "Wait 48h" || last.Until != "" || last.Detail != "→ still waiting" {
		t.Errorf("last entry %+v, want the 48h wait still waiting", last)
	}
	// The expect block (Done) fails: the journey has not ended by 30h.
	if res.Passed() {
		t.Error("Passed() although the execution is still running")
	}
}

func TestRunErrors(t *testing.T) {
	sc := load(t, "journeys/abandoned-cart/scenarios/happy-path.yaml")
	_, err := Run(context.Background(), Options{Dir: root, Journey: "abandoned-carts"}, sc)
	var uj *UnknownJourneyError
	if !errors.As(err, &uj) || err.Error() != `unknown journey "abandoned-carts" (hint: did you mean abandoned-cart?)` {
		t.Errorf("unknown journey: %v", err)
	}
	_, err = Run(context.Background(), Options{Dir: root, Journey: "newsletter"}, sc)
	if err == nil || err.Error() != `unknown journey "newsletter" (journeys: abandoned-cart, browse-abandonment, review-request, welcome, win-back)` {
		t.Errorf("unknown journey: %v", err)
	}
	_, err = Run(context.Background(), Options{Dir: root, Journey: "abandoned-cart", Until: MaxOffset + time.Hour}, sc)
	if err == nil || err.Error() != "until 400d1h: want at most 400d" {
		t.Errorf("until: %v", err)
	}
}

// TestSeededOrders: a profile with orders is created, and its orders
// placed, 30 days before t=0 through the webhook route, so the win-back
// execution of the last seeded order is running at t=0 (also running);
// the new order at t=0 makes it exit at its 60-day check, and the new
// order's execution sends.
func TestSeededOrders(t *testing.T) {
	sc, err := Parse("seeded.yaml", []byte(`name: seeded
profile: {email: hana@example.com, first_name: Hana, orders: 2}
events:
  - at: 0s
    type: order_placed
    order: {id: o9, total: "20.00", currency: EUR}
expect:
  emails: [win-back-1, win-back-2, win-back-3]
  exit: Done
`))
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, "win-back", sc, 0)
	if !res.Passed() {
		t.Errorf("checks %+v", res.Checks)
	}
	var others []string
	for _, o := range res.Others {
		others = append(others, o.Journey+" "+o.TriggerKey+" "+FormatOffset(o.StartedAt.Sub(sc.Start))+" "+o.Status)
	}
	// Both seeded orders' executions wait 60 days: running at t=0, they
	// exit at their checks (+30d) on the newer order.
	if want := "win-back seed-1 -29d23h59m SUCCEEDED; win-back seed-2 -29d23h58m SUCCEEDED"; strings.Join(others, "; ") != want {
		t.Errorf("others %q, want %q", strings.Join(others, "; "), want)
	}
	var out bytes.Buffer
	if err := res.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "also running: win-back (key seed-2, at -29d23h58m; succeeded; no email since t=0)\n") {
		t.Errorf("text:\n%s", out.String())
	}
	if res.Timezone != "UTC" {
		t.Errorf("timezone %q, want the shop's (UTC in the dev stack)", res.Timezone)
	}
}

// BenchmarkRun times one scenario end to end: a fresh dev stack, the seed,
// the events and three days of virtual time.
func BenchmarkRun(b *testing.B) {
	src, err := os.ReadFile(filepath.Join(root, "journeys", "abandoned-cart", "scenarios", "happy-path.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	sc, err := Parse("happy-path.yaml", src)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(context.Background(), Options{Dir: root, Journey: "abandoned-cart"}, sc); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSplitIsStable: in a copy of the repository with a journey whose
// first step is a 50/50 split, the same scenario run again and again takes
// the same branch: simulate gives the dev stack a fixed engine seed.
func TestSplitIsStable(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"journeys", "statemachines"} {
		copyTree(t, filepath.Join(root, d), filepath.Join(dir, d))
	}
	for _, f := range []string{"template.yaml", "README.md"} {
		copyTree(t, filepath.Join(root, f), filepath.Join(dir, f))
	}
	copyTree(t, filepath.Join("testdata", "journeys", "coin-flip"), filepath.Join(dir, "journeys", "coin-flip"))
	out, err := journey.Build(dir)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if err := out.Write(dir); err != nil {
		t.Fatal(err)
	}
	sc, err := Parse("coin.yaml", []byte(`name: coin
profile: {email: ines@example.com, first_name: Ines, new: true}
events:
  - at: 0s
    type: customer_created
    consent: {state: subscribed, opt_in_level: single_opt_in}
`))
	if err != nil {
		t.Fatal(err)
	}
	var first string
	for i := range 8 {
		res, err := Run(context.Background(), Options{Dir: dir, Journey: "coin-flip"}, sc)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		sent := strings.Join(res.Sent(), ",")
		if sent != "heads" && sent != "tails" {
			t.Fatalf("run %d sent %q, want heads or tails", i, sent)
		}
		var text bytes.Buffer
		if err := res.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = text.String()
		} else if text.String() != first {
			t.Fatalf("run %d differs from run 0:\n%s\n--- run 0 ---\n%s", i, text.String(), first)
		}
	}
}

// copyTree copies a file or a folder.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
