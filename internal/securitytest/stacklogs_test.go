package securitytest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/parcours/parcours/internal/asl"
	"github.com/parcours/parcours/internal/demo"
	"github.com/parcours/parcours/internal/devstack"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/fault"
	"github.com/parcours/parcours/internal/feedback"
	"github.com/parcours/parcours/internal/journey/contract"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/touchpoint"
)

// person is a customer of the stack log test. Names are rare on purpose:
// a match in a log line can only be a leak.
type person struct {
	email, first, last string
}

// leakChecker finds personal data and secrets in log lines: any email
// address (any case), the test's addresses in the other forms they take
// in URLs and tokens (local part, URL-encoded, base64), the customers'
// names, unsubscribe tokens and their parts, and fragments of the raw
// webhook bodies.
type leakChecker struct {
	needles map[string]string // lower-cased needle → what it is
}

func newLeakChecker() *leakChecker { return &leakChecker{needles: map[string]string{}} }

func (c *leakChecker) add(what, needle string) {
	if n := strings.ToLower(needle); len(n) >= 4 && c.needles[n] == "" {
		c.needles[n] = what
	}
}

func (c *leakChecker) person(p person) {
	e := profile.NormalizeEmail(p.email)
	c.add("address", e)
	c.add("local part", e[:strings.IndexByte(e, '@')])
	c.add("URL-encoded address", url.QueryEscape(e))
	c.add("path-encoded address", url.PathEscape(e))
	c.add("base64url address (as in tokens)", base64.RawURLEncoding.EncodeToString([]byte(e)))
	c.add("base64 address", base64.StdEncoding.EncodeToString([]byte(e)))
	c.add("first name", p.first)
	c.add("last name", p.last)
}

// token adds an unsubscribe token: whole, URL-encoded, and its MAC.
func (c *leakChecker) token(tok string) {
	c.add("unsubscribe token", tok)
	c.add("URL-encoded unsubscribe token", url.QueryEscape(tok))
	if i := strings.LastIndexByte(tok, '.'); i >= 0 {
		c.add("unsubscribe token MAC", tok[i+1:])
	}
}

// payload adds the 24-byte windows of a raw webhook body (every 13th
// byte) that hold some of its data. Left out: windows made only of the
// body's field names and enum values (a log line may say
// "type":"checkout_started"), digits and JSON punctuation, and the shop's
// own host names (event ids name the shop on purpose: docs/events.md,
// "Dedupe ids").
func (c *leakChecker) payload(body string) {
	var doc any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		panic(err)
	}
	var schema []string
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				schema = append(schema, k)
				walk(x, k)
			}
		case []any:
			for _, x := range v {
				walk(x, key)
			}
		case string:
			switch key {
			case "type", "state", "opt_in_level", "currency", "channel", "device":
				schema = append(schema, v)
			}
		}
	}
	walk(doc, "")
	known := func(word string) bool {
		for _, s := range schema {
			if strings.Contains(s, word) {
				return true
			}
		}
		return word == ""
	}
	for i := 0; i+24 <= len(body); i += 13 {
		w := body[i : i+24]
		if shopHost(w) || strings.Contains(w, "parcours-demo") {
			continue
		}
		words := strings.FieldsFunc(w, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r >= '0' && r <= '9')
		})
		for _, word := range words {
			if strings.Trim(word, "0123456789TZ") != "" && !known(word) {
				// As it is in the body, and as a JSON string in a log
				// line holds it.
				c.add("payload fragment", w)
				j, _ := json.Marshal(w)
				c.add("payload fragment", string(j[1:len(j)-1]))
				break
			}
		}
	}
}

// leaks lists what line gives away.
func (c *leakChecker) leaks(line string) []string {
	var out []string
	if m := emailRE.FindString(line); m != "" {
		out = append(out, "an email address "+m)
	}
	l := strings.ToLower(line)
	for n, what := range c.needles {
		if strings.Contains(l, n) {
			out = append(out, fmt.Sprintf("%s %q", what, n))
		}
	}
	slices.Sort(out)
	return out
}

// check fails t for every leaking line. Lines are slog JSON (level INFO and
// above: the stack logs nothing below) or EMF metric lines (no level).
func (c *leakChecker) check(t *testing.T, logs string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var v struct {
			Level string `json:"level"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("log line is not JSON: %s", line)
			continue
		}
		if v.Level == "DEBUG" {
			continue
		}
		if l := c.leaks(line); len(l) > 0 {
			t.Errorf("log line leaks %s:\n%s", strings.Join(l, ", "), line)
		}
	}
}

var (
	zephyrine = person{"Zephyrine.Quillfeather@Example.com", "Zephyrine", "Quillfeather"} // sent, then unsubscribes
	barnaby   = person{"barnaby.oakenshield@example.org", "Barnaby", "Oakenshield"}       // no consent: skipped
	ottoline  = person{"ottoline.vexley@example.net", "Ottoline", "Vexley"}               // bounces: suppressed
	marigold  = person{"marigold.thistlewood@example.com", "Marigold", "Thistlewood"}     // welcome + browse (frequency cap), complains
	cornelius = person{"cornelius.wrenfield@example.com", "Cornelius", "Wrenfield"}       // erased mid-journey
	peregrine = person{"peregrine.ashcombe@example.com", "Peregrine", "Ashcombe"}         // quiet hours
)

// TestStackLogs runs the journeys on the dev stack (every function: ingest
// with the eraser, router, send, unsubscribe; feedback on the stack's
// table) through cases that send, skip for consent and suppression, defer
// for quiet hours and the frequency cap, retry SES throttling and 5xx,
// unsubscribe (GET and one-click POST), bounce, complain and erase, and
// checks every log and metric line with leakChecker.
func TestStackLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the dev stack")
	}
	logs := &logBuffer{}
	// SendEmail fails (throttling or 5xx) on the first attempt to
	// Zephyrine and on 30% of the other calls: the state machines' Retry
	// sends each step once in the end. (The injector calls Match under its
	// lock.)
	first := true
	faults := fault.New(7,
		fault.Rule{Service: fault.SES, Operations: []string{"SendEmail"}, Rate: 1, Match: func(body []byte) bool {
			hit := first && bytes.Contains(body, []byte("zephyrine.quillfeather@example.com"))
			first = first && !hit
			return hit
		}},
		fault.Rule{Service: fault.SES, Operations: []string{"SendEmail"}, Rate: 0.3})
	monday := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s, err := devstack.Start(context.Background(), devstack.Config{Dir: "../..", Start: monday, Log: logs, Seed: devstack.FixedSeed, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	chk := newLeakChecker()
	for _, p := range []person{zephyrine, barnaby, ottoline, marigold, cornelius, peregrine} {
		chk.person(p)
	}

	seq := 0
	deliver := func(typ string, p person, fields map[string]any) {
		t.Helper()
		body := map[string]any{"type": typ, "occurred_at": s.Now().Format(time.RFC3339), "email": p.email, "shop": "parcours-demo.example",
			"customer": map[string]any{"first_name": p.first, "last_name": p.last}}
		for k, v := range fields {
			body[k] = v
		}
		b, _ := json.Marshal(body)
		seq++
		req, err := demo.StandardRequest(s.Secrets()["STANDARD_WEBHOOK_SECRET"], fmt.Sprintf("msg_logs_%d", seq), s.Now(), nil, b)
		if err != nil {
			t.Fatal(err)
		}
		chk.payload(req.Body)
		if code, rb := postHTTP(t, s.URL()+req.RawPath, req.Headers, req.Body); code != 200 {
			t.Fatalf("%s for %s: %d %s", typ, p.first, code, rb)
		}
	}
	subscribed := map[string]any{"state": "subscribed", "opt_in_level": "single_opt_in"}
	cart := func(id string) map[string]any {
		return map[string]any{"id": id, "currency": "EUR", "total": "128.00", "recovery_url": "https://parcours-demo.example/cart/recover/" + id,
			"line_items": []any{map[string]any{"product_id": "p_teapot", "title": "Cast Iron Teapot", "quantity": 2, "price": "64.00"}}}
	}

	// 09:00 Monday.
	deliver("checkout_started", zephyrine, map[string]any{"consent": subscribed, "checkout": cart("c_zeph")})
	deliver("checkout_started", barnaby, map[string]any{"checkout": cart("c_barn")}) // no consent
	deliver("checkout_started", ottoline, map[string]any{"consent": subscribed, "checkout": cart("c_otto")})
	deliver("checkout_started", cornelius, map[string]any{"consent": subscribed, "checkout": cart("c_corn")})
	deliver("consent_changed", marigold, map[string]any{"consent": map[string]any{"state": "subscribed", "opt_in_level": "confirmed_opt_in"}})
	s.Advance(30 * time.Minute)
	deliver("product_viewed", marigold, map[string]any{"consent": subscribed,
		"product": map[string]any{"id": "p_teapot", "title": "Cast Iron Teapot", "url": "https://parcours-demo.example/products/teapot"}})

	// Cornelius asks to be erased while his cart reminders wait.
	erasure(t, s, chk, cornelius)

	// 13:00: the first cart reminders.
	s.Advance(4 * time.Hour)
	s.Sync()
	for _, m := range s.Outbox() {
		if u := m.UnsubscribeURL(); u != "" {
			q, _ := url.Parse(u)
			chk.token(q.Query().Get("t"))
		}
	}
	// Zephyrine opens the link (GET) and confirms (one-click POST).
	m := outboxTo(t, s, zephyrine, "cart-reminder-1")
	u := m.UnsubscribeURL()
	if code, body := getHTTP(t, u); code != 200 || !strings.Contains(body, "Unsubscribe from our emails?") {
		t.Fatalf("unsubscribe GET: %d %s", code, body)
	}
	if code, body := postHTTP(t, u, map[string]string{"content-type": "application/x-www-form-urlencoded"}, "List-Unsubscribe=One-Click"); code != 200 || !strings.Contains(body, "You are unsubscribed.") {
		t.Fatalf("unsubscribe POST: %d %s", code, body)
	}
	// A tampered link is logged too.
	if code, _ := getHTTP(t, strings.Replace(u, "t=1.", "t=2.", 1)); code != 400 {
		t.Fatalf("tampered link: %d", code)
	}

	// SES feedback: Ottoline's reminder bounces, Marigold complains.
	fb := feedbackOn(t, s, logs)
	fb(feedbackEvent(t, "bounce-permanent.json", ottoline.email, outboxTo(t, s, ottoline, "cart-reminder-1").ID))
	fb(feedbackEvent(t, "complaint.json", marigold.email, outboxTo(t, s, marigold, "welcome-1").ID))
	fb(feedbackEvent(t, "bounce-transient.json", ottoline.email, "transient-1"))

	// 18:00: Peregrine's cart; the reminder at 22:00 falls in quiet hours.
	s.Advance(5 * time.Hour)
	deliver("checkout_started", peregrine, map[string]any{"consent": subscribed, "checkout": cart("c_pere")})
	for range 4 {
		s.Advance(24 * time.Hour)
	}
	s.Sync()

	// The journeys exit on "not subscribed" before their next send, so the
	// send function's own consent and suppression gates are reached by a
	// send that races the exit check; and a step whose template is
	// missing fails to render.
	sendStep := func(p person, template string) {
		t.Helper()
		req := contract.SendRequest{Journey: "abandoned-cart", Step: "cart-reminder-2", Template: template, Subject: "Your cart",
			Execution: fmt.Sprintf("race-%d", len(p.last)), ProfileKey: profile.NormalizeEmail(p.email)}
		_, err := s.Invoke(context.Background(), asl.TaskCall{ExecutionName: req.Execution, StateName: "Send",
			Resource: "arn:aws:states:::lambda:invoke", Input: map[string]any{"FunctionName": devstack.SendFunction, "Payload": req}})
		if (template == "missing") != (err != nil) {
			t.Fatalf("send for %s with template %s: %v", p.first, template, err)
		}
	}
	sendStep(zephyrine, "cart-reminder-2")
	sendStep(barnaby, "cart-reminder-2")
	sendStep(ottoline, "cart-reminder-2")
	sendStep(peregrine, "missing")

	// The story happened as intended, so the lines checked below cover it.
	lines := logs.String()
	for _, want := range []string{
		`"msg":"send: sent"`, `"reason":"consent_unknown"`, `"reason":"consent_unsubscribed"`, `"reason":"suppressed"`, `"msg":"send: template error"`,
		`"reason":"quiet_hours"`, `"reason":"frequency_cap"`, `"msg":"unsubscribe: unsubscribed"`, `"msg":"unsubscribe: bad token"`,
		`"msg":"feedback: address suppressed"`, `"msg":"profile erased"`, `"msg":"router: journey started"`, `"function":"FeedbackFunction"`,
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("no log line with %s: the story did not cover it", want)
		}
	}
	if faults.Total() == 0 || first {
		t.Errorf("SES faults injected: %d (first attempt to Zephyrine failed: %v)", faults.Total(), !first)
	}
	// Cornelius was erased while his journey waited: it was stopped and
	// sent him nothing.
	xs := s.Executions("abandoned-cart", profile.NormalizeEmail(cornelius.email))
	if len(xs) != 1 || xs[0].Status != "ABORTED" {
		t.Errorf("Cornelius's executions after erasure: %+v, want one ABORTED", xs)
	}
	for _, m := range s.Outbox() {
		if slices.Contains(m.To, profile.NormalizeEmail(cornelius.email)) {
			t.Errorf("an email went to an erased customer: %s", m.Step)
		}
	}
	n := 0
	for _, m := range s.Outbox() {
		if m.Step == "cart-reminder-1" && slices.Contains(m.To, "zephyrine.quillfeather@example.com") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("Zephyrine got cart-reminder-1 %d times after a failed attempt, want once", n)
	}
	if t.Failed() {
		t.Logf("logs:\n%s", lines)
		return
	}
	chk.check(t, lines)
	if t.Failed() {
		return
	}

	// The checker finds what it is meant to find: the same checker on
	// lines that leak, one per kind.
	t.Run("checker catches leaks", func(t *testing.T) {
		var tok string
		for n, what := range chk.needles {
			if what == "unsubscribe token" {
				tok = n
			}
		}
		var fragment string
		for n, what := range chk.needles {
			if what == "payload fragment" && strings.Contains(n, "teapot") && strings.Contains(n, `"`) && !strings.Contains(n, `\`) {
				fragment = n
				break
			}
		}
		if tok == "" || fragment == "" {
			t.Fatalf("no token (%q) or fragment (%q) to test with", tok, fragment)
		}
		leaky := []string{
			`{"level":"INFO","msg":"send: sent","to":"Zephyrine.Quillfeather@Example.com"}`,
			`{"level":"WARN","msg":"x","who":"zephyrine.quillfeather"}`,
			`{"level":"ERROR","msg":"x","url":"/p?e=zephyrine.quillfeather%40example.com"}`,
			`{"level":"INFO","msg":"x","name":"Ottoline"}`,
			`{"level":"INFO","msg":"x","name":"VEXLEY"}`,
			`{"level":"INFO","msg":"x","token":"` + tok + `"}`,
			`{"level":"INFO","msg":"x","k":"` + base64.RawURLEncoding.EncodeToString([]byte("barnaby.oakenshield@example.org")) + `"}`,
			`{"level":"INFO","msg":"x","body":` + string(must(json.Marshal(fragment))) + `}`,
			`{"level":"INFO","msg":"x","body":"` + fragment + `"}`,
			`{"level":"INFO","msg":"x","err":"identities failed the check: someone@else.example"}`,
		}
		for _, l := range leaky {
			if len(chk.leaks(l)) == 0 {
				t.Errorf("checker missed a leak: %s", l)
			}
		}
		clean := `{"level":"INFO","msg":"send: sent","function":"SendFunction","profile":"` + profile.AddressHash("zephyrine.quillfeather@example.com") + `","journey":"abandoned-cart"}`
		if l := chk.leaks(clean); len(l) > 0 {
			t.Errorf("checker flags a clean line (%v): %s", l, clean)
		}
	})
}

// erasure posts a signed Shopify customers/redact for p to the stack.
func erasure(t *testing.T, s *devstack.Stack, chk *leakChecker, p person) {
	t.Helper()
	r := clone(fixture(t, "shopify/customers-redact.json"))
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatal(err)
	}
	doc["customer"] = map[string]any{"id": 424242, "email": p.email}
	doc["orders_to_redact"] = []any{}
	b, _ := json.Marshal(doc)
	r.Body = string(b)
	secret := s.Secrets()["SHOPIFY_WEBHOOK_SECRET"]
	if secret == "" {
		secret = touchpoint.DevShopifySecret
	}
	r.Headers["x-shopify-hmac-sha256"] = touchpoint.SignHMAC(secret, b)
	chk.payload(r.Body)
	if code, body := postHTTP(t, s.URL()+"/webhooks/shopify", r.Headers, r.Body); code != 200 || !strings.Contains(body, `"erased"`) {
		t.Fatalf("customers/redact: %d %s", code, body)
	}
}

func outboxTo(t *testing.T, s *devstack.Stack, p person, step string) devstack.Email {
	t.Helper()
	for _, m := range s.Outbox() {
		if m.Step == step && slices.Contains(m.To, profile.NormalizeEmail(p.email)) {
			return m
		}
	}
	t.Fatalf("no %s email to %s", step, p.first)
	return devstack.Email{}
}

// feedbackOn returns the feedback function as the stack would run it: on
// the stack's table, logging JSON to the stack's log.
func feedbackOn(t *testing.T, s *devstack.Stack, logs io.Writer) func(events.CloudWatchEvent) {
	db := dynamodb.New(dynamodb.Options{Region: devstack.LocalRegion, BaseEndpoint: aws.String(s.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	h := &feedback.Handler{Profiles: profile.NewStore(db, s.Table()), Metrics: emf.New(logs, s.Now),
		Log: slog.New(slog.NewJSONHandler(logs, nil)).With("function", devstack.FeedbackFunction)}
	return func(ev events.CloudWatchEvent) {
		t.Helper()
		if err := h.Handle(context.Background(), ev); err != nil {
			t.Fatalf("feedback: %v", err)
		}
	}
}

// feedbackEvent is the SES event fixture name with its recipient and
// message id replaced.
func feedbackEvent(t *testing.T, name, to, messageID string) events.CloudWatchEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events/ses", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"bounce", "complaint"} {
		if o, ok := d[k].(map[string]any); ok {
			list := "bouncedRecipients"
			if k == "complaint" {
				list = "complainedRecipients"
			}
			o[list] = []any{map[string]any{"emailAddress": to}}
		}
	}
	d["mail"].(map[string]any)["messageId"] = messageID
	d["mail"].(map[string]any)["destination"] = []any{to}
	ev.Detail, _ = json.Marshal(d)
	return ev
}

func postHTTP(t *testing.T, u string, headers map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if k != "content-length" {
			req.Header.Set(k, v)
		}
	}
	return do(t, req)
}

func getHTTP(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
