package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parcours/parcours/internal/demo"
)

var repoRoot = func() string {
	d, _ := filepath.Abs("../..")
	return d
}()

// chromiumPath is Debian's chromium (CHROMIUM overrides).
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(p); err != nil {
		t.Fatalf("chromium not found at %s: install it (apt-get update && apt-get install -y --no-install-recommends chromium; .ci/run does) or set CHROMIUM", p)
	}
	return p
}

// artifactDir is where screenshots go: $ARTIFACTS, else testdata-artifacts/
// at the repository root (gitignored; CI keeps it).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repoRoot, "testdata-artifacts")
	}
	dir = filepath.Join(dir, "browsertest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Containers often have a small /dev/shm.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1400),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// A bound on a hung browser, not a speed check.
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// frameContext is a context whose actions run in the email's iframe.
// Chrome runs a sandboxed iframe in its own process (an "iframe" target):
// the page's DOM has no ContentDocument for it, so the test attaches to
// its target.
func frameContext(t *testing.T, ctx context.Context, frame *chromedp.Node) context.Context {
	t.Helper()
	if frame.ContentDocument != nil {
		t.Fatalf("the email's iframe runs in the page's process: this test reads it through its own target")
	}
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatalf("targets: %v", err)
	}
	var found []string
	for _, info := range infos {
		found = append(found, string(info.Type)+" "+info.URL)
		if info.Type == "iframe" && info.URL == "about:srcdoc" {
			t.Logf("email iframe: target %s", info.TargetID)
			fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
			t.Cleanup(cancel)
			return fctx
		}
	}
	t.Fatalf("the email's iframe is neither in the page nor a target of its own: %q", found)
	return nil
}

// save writes a screenshot of the whole page.
func save(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(artifactDir(t), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

// TestConsoleShowsTheDemoEmails plays the demo story, then in chromium:
// the outbox lists the story's emails; Alice's cart reminder renders with
// her name and the mug she left, its unsubscribe link points at the
// stack's /unsubscribe?t=; following it and confirming unsubscribes her.
func TestConsoleShowsTheDemoEmails(t *testing.T) {
	ctx := browser(t)
	res, err := demo.Run(context.Background(), demo.Options{Dir: repoRoot})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Stack
	t.Cleanup(func() { s.Close() })
	if len(res.Problems) > 0 {
		t.Fatalf("the demo story did not go as scripted: %q", res.Problems)
	}

	// The outbox: one row per email, the newest first.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL()+"/_dev/"), chromedp.WaitVisible(chromedp.CSS("#outbox"))); err != nil {
		t.Fatalf("outbox page: %v", err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#outbox tbody tr")].map(r => r.innerText.replace(/\s+/g, " ").trim())`))
	if err != nil {
		t.Fatalf("outbox rows: %v", err)
	}
	save(t, ctx, "outbox.png")
	if len(rows) != len(res.Outbox) {
		t.Fatalf("outbox page lists %d emails, the stack sent %d: %q", len(rows), len(res.Outbox), rows)
	}
	for _, want := range []string{
		"alice@example.com abandoned-cart · cart-reminder-1 Alice, your cart is waiting",
		"emma@example.com welcome · welcome-1 Welcome to Parcours Demo Shop",
		"chloe@example.com review-request · review-request-1 How is your order #PD-3001?",
		"lucas@example.com win-back · win-back-3 Your 15% off ends soon",
	} {
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.HasSuffix(r, want) }) {
			t.Errorf("no outbox row ends with %q: %q", want, rows)
		}
	}

	// Alice's reminder, as she sees it.
	if err := chromedp.Do(ctx,
		chromedp.Click(`//a[contains(@class,"email-link")][normalize-space()="Alice, your cart is waiting"]`),
		chromedp.WaitVisible(chromedp.CSS("#email-html")),
	); err != nil {
		t.Fatalf("open the email: %v", err)
	}
	subject, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#subject")))
	if err != nil || subject != "Alice, your cart is waiting" {
		t.Errorf("subject %q (%v)", subject, err)
	}
	consoleUnsub, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#unsubscribe"), "href"))
	if err != nil {
		t.Fatalf("console unsubscribe link: %v", err)
	}
	frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#email-html")))
	if err != nil || len(frames) != 1 {
		t.Fatalf("email iframe: %d nodes (%v)", len(frames), err)
	}
	fctx := frameContext(t, ctx, frames[0])
	body, err := chromedp.Run(fctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatalf("email HTML in its iframe: %v", err)
	}
	for _, want := range []string{"Alice", "Stoneware Mug"} {
		if !strings.Contains(body, want) {
			t.Errorf("the rendered email lacks %q:\n%s", want, body)
		}
	}
	href, err := chromedp.Run(fctx, chromedp.AttributeValue(chromedp.CSS(`a[href*="/unsubscribe?t="]`), "href"))
	if err != nil {
		t.Fatalf("unsubscribe link in the email: %v", err)
	}
	if !href.Exists || !strings.HasPrefix(href.Value, s.URL()+"/unsubscribe?t=") {
		t.Errorf("the email's unsubscribe link %q does not point at the stack's /unsubscribe?t=", href.Value)
	}
	if consoleUnsub.Value != href.Value {
		t.Errorf("console's List-Unsubscribe link %q differs from the email's %q", consoleUnsub.Value, href.Value)
	}
	save(t, ctx, "email.png")

	// Following the link: the confirmation page, then the button.
	if err := chromedp.Do(ctx, chromedp.Navigate(href.Value)); err != nil {
		t.Fatalf("open the unsubscribe link: %v", err)
	}
	ask, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil || ask != "Unsubscribe from our emails?" {
		t.Fatalf("unsubscribe page says %q (%v)", ask, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(`//h1[normalize-space()="You are unsubscribed."]`),
	); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	save(t, ctx, "unsubscribed.png")
	v, err := s.Profile("alice@example.com")
	if err != nil || v.Consent == nil || v.Consent.State != "unsubscribed" {
		t.Fatalf("Alice's consent after the click: %+v %v", v.Consent, err)
	}
}
