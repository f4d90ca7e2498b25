package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parcours/parcours/internal/demo"
	"github.com/parcours/parcours/internal/devstack"
)

var repoRoot = func() string {
	d, _ := filepath.Abs("../..")
	return d
}()

// monday is 09:00 UTC on a Monday: the stack's shop time zone is UTC and
// quiet hours are 21:00-08:00, so a day-time story sends at once.
var monday = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// stack is a dev stack with a stopped clock at start.
type stack struct {
	*devstack.Stack
	t   *testing.T
	seq int
}

func startStack(t *testing.T, start time.Time) *stack {
	t.Helper()
	logs := &syncBuffer{}
	s, err := devstack.Start(context.Background(), devstack.Config{Dir: repoRoot, Start: start, Log: logs, Seed: devstack.FixedSeed})
	if err != nil {
		t.Fatalf("start the dev stack: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			t.Logf("stack log:\n%s", logs.String())
		}
	})
	return &stack{Stack: s, t: t}
}

// deliver posts a Standard Webhooks event (the body without type,
// occurred_at and shop, which deliver fills in) signed with the stack's
// secret at the stack's time, over HTTP to /webhooks/standard, and
// requires 200 stored.
func (s *stack) deliver(typ, email string, fields map[string]any) {
	s.t.Helper()
	body := map[string]any{"type": typ, "occurred_at": s.Now().Format(time.RFC3339), "email": email, "shop": "parcours-demo.example"}
	for k, v := range fields {
		body[k] = v
	}
	b, err := json.Marshal(body)
	if err != nil {
		s.t.Fatal(err)
	}
	s.seq++
	id := fmt.Sprintf("msg_e2e_%s_%d", strings.ReplaceAll(s.t.Name(), "/", "_"), s.seq)
	req, err := demo.StandardRequest(s.Secrets()["STANDARD_WEBHOOK_SECRET"], id, s.Now(), nil, b)
	if err != nil {
		s.t.Fatal(err)
	}
	hr, err := http.NewRequest(http.MethodPost, s.URL()+req.RawPath, strings.NewReader(req.Body))
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range req.Headers {
		if k != "content-length" {
			hr.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(rb), `"stored"`) {
		s.t.Fatalf("%s webhook: %d %s", typ, resp.StatusCode, rb)
	}
}

// advance moves the clock by d, firing the waits that fall due.
func (s *stack) advance(d time.Duration) { s.Advance(d) }

// steps lists the steps of the emails sent to email by journey, oldest
// first.
func (s *stack) steps(email, journey string) []string {
	out := []string{}
	for _, m := range s.Outbox() {
		if m.Journey == journey && slices.Contains(m.To, email) {
			out = append(out, m.Step)
		}
	}
	return out
}

func (s *stack) wantSteps(email, journey string, want ...string) {
	s.t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := s.steps(email, journey); !slices.Equal(got, want) {
		s.t.Fatalf("%s emails to %s at %s: %v, want %v", journey, email, s.Now().Format(time.RFC3339), got, want)
	}
}

// only returns the one execution of journey for email.
func (s *stack) only(email, journey string) devstack.Execution {
	s.t.Helper()
	xs := s.Executions(journey, email)
	if len(xs) != 1 {
		s.t.Fatalf("%s executions for %s: %d, want 1: %+v", journey, email, len(xs), xs)
	}
	return xs[0]
}

// wantEnd requires the execution's status and the state it is in (or
// ended in): the state says why it stopped.
func (s *stack) wantEnd(email, journey, status, state string) {
	s.t.Helper()
	x := s.only(email, journey)
	if x.Status != status || x.State != state {
		s.t.Fatalf("%s for %s: %s in %q, want %s in %q", journey, email, x.Status, x.State, status, state)
	}
}

// entered lists the names of the states an execution entered.
func (s *stack) entered(name string) []string {
	s.t.Helper()
	d, ok := s.ExecutionDetail(name)
	if !ok {
		s.t.Fatalf("execution %s not found", name)
	}
	out := make([]string, len(d.States))
	for i, st := range d.States {
		out[i] = st.Name
	}
	return out
}

// email returns the one email of step sent to address.
func (s *stack) email(address, step string) devstack.Email {
	s.t.Helper()
	for _, m := range s.Outbox() {
		if m.Step == step && slices.Contains(m.To, address) {
			return m
		}
	}
	s.t.Fatalf("no %s email to %s", step, address)
	return devstack.Email{}
}

// unsubscribeOneClick POSTs List-Unsubscribe=One-Click to the email's
// List-Unsubscribe link, as a mailbox provider does (RFC 8058).
func (s *stack) unsubscribeOneClick(m devstack.Email) {
	s.t.Helper()
	u := m.UnsubscribeURL()
	if !strings.HasPrefix(u, s.URL()+"/unsubscribe?t=") {
		s.t.Fatalf("List-Unsubscribe link %q does not point at the stack's /unsubscribe", u)
	}
	resp, err := http.PostForm(u, url.Values{"List-Unsubscribe": {"One-Click"}})
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "You are unsubscribed.") {
		s.t.Fatalf("one-click unsubscribe: %d %s", resp.StatusCode, b)
	}
}

var subscribed = map[string]any{"state": "subscribed", "opt_in_level": "single_opt_in"}

func lineItem(title, price string, qty int) map[string]any {
	return map[string]any{"product_id": "p_" + strings.ToLower(strings.ReplaceAll(title, " ", "_")), "title": title, "quantity": qty, "price": price,
		"url": "https://parcours-demo.example/products/x"}
}

// checkout is a checkout_started body with consent (the shopper ticked
// "email me offers" at checkout).
func checkout(id, total string, items ...map[string]any) map[string]any {
	return map[string]any{
		"customer": map[string]any{"first_name": "Sam"},
		"consent":  subscribed,
		"checkout": map[string]any{"id": id, "currency": "EUR", "total": total,
			"recovery_url": "https://parcours-demo.example/cart/recover/" + id, "line_items": items},
	}
}

func order(id string, created time.Time, items ...map[string]any) map[string]any {
	return map[string]any{
		"customer": map[string]any{"first_name": "Sam"},
		"consent":  subscribed,
		"order": map[string]any{"id": id, "number": "PD-" + id, "currency": "EUR", "total": "40.00",
			"created_at": created.Format(time.RFC3339), "line_items": items},
	}
}

func product(id, title string) map[string]any {
	return map[string]any{"consent": subscribed, "product": map[string]any{"id": id, "title": title, "url": "https://parcours-demo.example/products/" + id}}
}
