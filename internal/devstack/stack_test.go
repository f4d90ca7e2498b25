package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/touchpoint"
)

// repoRoot is the repository, where template.yaml, statemachines/ and
// journeys/ live.
var repoRoot = func() string {
	d, _ := filepath.Abs("../..")
	return d
}()

// start is a Monday morning: +4h is still outside quiet hours.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func startStack(t *testing.T, cfg Config) *Stack {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = repoRoot
	}
	if cfg.Start.IsZero() {
		cfg.Start = start
	}
	if cfg.Seed == 0 {
		cfg.Seed = FixedSeed
	}
	var logs bytes.Buffer
	if cfg.Log == nil {
		cfg.Log = &logs
	}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() && logs.Len() > 0 {
			t.Logf("stack log:\n%s", logs.String())
		}
	})
	return s
}

// fixture reads an API Gateway v2 event from events/.
func fixture(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	return req
}

// post sends a fixture over HTTP, as the shop would.
func post(t *testing.T, s *Stack, req events.APIGatewayV2HTTPRequest) (int, string) {
	t.Helper()
	hr, err := http.NewRequest(http.MethodPost, s.URL()+req.RawPath, strings.NewReader(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range req.Headers {
		if k != "content-length" {
			hr.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// subscribe posts a Standard Webhooks consent_changed (subscribed) for
// email, signed at the stack's time with its secret.
func subscribe(t *testing.T, s *Stack, email string) {
	t.Helper()
	body := `{"type":"consent_changed","occurred_at":"` + s.Now().Add(-time.Hour).Format(time.RFC3339) + `","email":"` + email +
		`","shop":"parcours-demo.example","consent":{"state":"subscribed","opt_in_level":"confirmed_opt_in"}}`
	id := "msg_subscribe_" + email
	sig, err := touchpoint.SignStandard(s.Secrets()["STANDARD_WEBHOOK_SECRET"], id, s.Now(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	code, resp := post(t, s, events.APIGatewayV2HTTPRequest{RawPath: "/webhooks/standard", Body: body, Headers: map[string]string{
		"content-type": "application/json", "webhook-id": id, "webhook-signature": sig,
		"webhook-timestamp": strconv.FormatInt(s.Now().Unix(), 10),
	}})
	if code != http.StatusOK {
		t.Fatalf("consent webhook: %d %s", code, resp)
	}
}

func journeyEmails(s *Stack, journey string) []Email {
	var out []Email
	for _, m := range s.Outbox() {
		if m.Journey == journey {
			out = append(out, m)
		}
	}
	return out
}

func TestAbandonedCartEndToEnd(t *testing.T) {
	// Alice subscribes a day earlier (and gets the welcome email then, so
	// the shared frequency cap is free again when the cart email is due).
	s := startStack(t, Config{Start: start.Add(-24 * time.Hour)})
	subscribe(t, s, "alice@example.com")
	if got := s.Advance(24 * time.Hour); !got.Equal(start) {
		t.Fatalf("Advance returned %v, want %v", got, start)
	}
	req := fixture(t, "shopify/checkouts-create.json")
	code, body := post(t, s, req)
	if code != http.StatusOK || !strings.Contains(body, `"stored"`) {
		t.Fatalf("webhook: %d %s", code, body)
	}
	var checkout struct {
		Email     string `json:"email"`
		LineItems []struct {
			Title string `json:"title"`
		} `json:"line_items"`
	}
	if err := json.Unmarshal([]byte(req.Body), &checkout); err != nil {
		t.Fatal(err)
	}
	xs := s.Executions("abandoned-cart", checkout.Email)
	if len(xs) != 1 || xs[0].Status != "RUNNING" {
		t.Fatalf("executions after the webhook: %+v", xs)
	}
	if n := len(journeyEmails(s, "abandoned-cart")); n != 0 {
		t.Fatalf("outbox before the wait: %d abandoned-cart emails", n)
	}

	s.Advance(4 * time.Hour)
	out := journeyEmails(s, "abandoned-cart")
	if len(out) != 1 {
		t.Fatalf("outbox after 4h: %d emails, want 1: %+v", len(out), s.Executions("", ""))
	}
	m := out[0]
	if m.Journey != "abandoned-cart" || m.Step != "cart-reminder-1" || len(m.To) != 1 || m.To[0] != strings.ToLower(checkout.Email) {
		t.Errorf("email: journey %q step %q to %v", m.Journey, m.Step, m.To)
	}
	if !m.SentAt.Equal(start.Add(4 * time.Hour)) {
		t.Errorf("sent at %v, want %v (virtual time)", m.SentAt, start.Add(4*time.Hour))
	}
	for _, li := range checkout.LineItems {
		if !strings.Contains(m.HTML, li.Title) || !strings.Contains(m.Text, li.Title) {
			t.Errorf("email does not list line item %q", li.Title)
		}
	}
	u := m.UnsubscribeURL()
	if !strings.HasPrefix(u, s.URL()+"/unsubscribe?") {
		t.Fatalf("unsubscribe link %q does not point at the stack", u)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Unsubscribe from our emails?") {
		t.Errorf("GET unsubscribe link: %d %s", resp.StatusCode, page)
	}

	d, ok := s.ExecutionDetail(xs[0].Name)
	if !ok {
		t.Fatal("execution detail missing")
	}
	if d.States[0].Name != "Wait 4h" || !d.States[0].EnteredAt.Equal(start) {
		t.Errorf("first state %+v", d.States[0])
	}
}
