// Package securitytest holds security tests that cross packages: webhook
// signatures and limits through the ingest handler for every source, no
// enumeration of customers through the endpoints that take an identity,
// and no email address or raw payload in the logs of the functions.
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
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/erase"
	"github.com/parcours/parcours/internal/feedback"
	"github.com/parcours/parcours/internal/ingest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/sfnapi"
	"github.com/parcours/parcours/internal/touchpoint"
	"github.com/parcours/parcours/internal/unsubscribe"
)

var fixtureTime = time.Unix(1763798400, 0).UTC()

// logBuffer collects log lines from concurrent handlers.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	db     *dynamodb.Client
	table  string
	store  *profile.Store
	ingest *ingest.Handler
	eraser *erase.Eraser
	logs   *logBuffer
	log    *slog.Logger
}

// newEnv builds the ingest handler with secrets old,new (rotation) for
// Shopify and the dev secrets for the others; logs at INFO and above.
func newEnv(t *testing.T, shopifySecrets string) *env {
	t.Helper()
	e := &env{logs: &logBuffer{}}
	e.db, e.table = ddbtest.New(t)
	e.log = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	now := func() time.Time { return fixtureTime }
	e.store = profile.NewStore(e.db, e.table)
	e.store.Now = now
	sh, err := touchpoint.NewShopify(shopifySecrets)
	if err != nil {
		t.Fatal(err)
	}
	wc, _ := touchpoint.NewWooCommerce(touchpoint.DevWooCommerceSecret)
	sd, _ := touchpoint.NewStandard(touchpoint.DevStandardSecret, now)
	e.ingest = ingest.New(e.store, emf.New(io.Discard, now), e.log, sh, wc, sd)
	srv := sfnapi.NewServer()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	er := erase.New(e.db, sfn.New(sfn.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("t", "t", ""),
		BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1}), e.table, e.log)
	er.Now = now
	e.ingest.Privacy = er
	e.eraser = er
	return e
}

func fixture(t *testing.T, rel string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events", rel))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	return req
}

func (e *env) post(t *testing.T, req events.APIGatewayV2HTTPRequest) (int, string) {
	t.Helper()
	resp, err := e.ingest.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Body
}

// clone copies a request with its own header map.
func clone(r events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
	h := map[string]string{}
	for k, v := range r.Headers {
		h[k] = v
	}
	r.Headers = h
	return r
}

const rejected = `{"status":"rejected","reason":"invalid signature"}`

// TestSignatures: every way a signature can be wrong is a 401 with the
// same fixed body, and writes nothing; the accepted variants are stored.
func TestSignatures(t *testing.T) {
	const oldSecret, newSecret = "shopify-old-secret", "shopify-new-secret"
	shopify := func(secret string) func(*testing.T) events.APIGatewayV2HTTPRequest {
		return func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := clone(fixture(t, "shopify/orders-create.json"))
			r.Headers["x-shopify-hmac-sha256"] = touchpoint.SignHMAC(secret, []byte(r.Body))
			return r
		}
	}
	standardAt := func(ts time.Time) func(*testing.T) events.APIGatewayV2HTTPRequest {
		return func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := clone(fixture(t, "standard/product-viewed.json"))
			sig, err := touchpoint.SignStandard(touchpoint.DevStandardSecret, r.Headers["webhook-id"], ts, []byte(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			r.Headers["webhook-timestamp"] = fmt.Sprint(ts.Unix())
			r.Headers["webhook-signature"] = sig
			return r
		}
	}
	edit := func(base func(*testing.T) events.APIGatewayV2HTTPRequest, f func(*events.APIGatewayV2HTTPRequest)) func(*testing.T) events.APIGatewayV2HTTPRequest {
		return func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := base(t)
			f(&r)
			return r
		}
	}
	fix := func(rel string) func(*testing.T) events.APIGatewayV2HTTPRequest {
		return func(t *testing.T) events.APIGatewayV2HTTPRequest { return clone(fixture(t, rel)) }
	}
	reencode := func(r *events.APIGatewayV2HTTPRequest) { // same JSON, other bytes
		var v any
		if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
			panic(err)
		}
		b, _ := json.MarshalIndent(v, "", " ")
		r.Body = string(b)
	}
	upper := func(r *events.APIGatewayV2HTTPRequest) {
		h := map[string]string{}
		for k, v := range r.Headers {
			h[strings.ToUpper(k)] = v
		}
		r.Headers = h
	}
	canonical := func(r *events.APIGatewayV2HTTPRequest) {
		h := map[string]string{}
		for k, v := range r.Headers {
			h[http.CanonicalHeaderKey(k)] = v
		}
		r.Headers = h
	}
	cut := func(h string) func(*events.APIGatewayV2HTTPRequest) {
		return func(r *events.APIGatewayV2HTTPRequest) { r.Headers[h] = r.Headers[h][:len(r.Headers[h])-4] }
	}
	drop := func(h string) func(*events.APIGatewayV2HTTPRequest) {
		return func(r *events.APIGatewayV2HTTPRequest) { delete(r.Headers, h) }
	}
	cases := []struct {
		name string
		req  func(*testing.T) events.APIGatewayV2HTTPRequest
		ok   bool
	}{
		{"shopify signed with the new secret", shopify(newSecret), true},
		{"shopify signed with the old secret during rotation", shopify(oldSecret), true},
		{"shopify wrong secret", shopify("not-the-secret"), false},
		{"shopify dev secret not configured", fix("shopify/orders-create.json"), false},
		{"shopify truncated signature", edit(shopify(newSecret), cut("x-shopify-hmac-sha256")), false},
		{"shopify re-encoded body", edit(shopify(newSecret), reencode), false},
		{"shopify body with a trailing newline", edit(shopify(newSecret), func(r *events.APIGatewayV2HTTPRequest) { r.Body += "\n" }), false},
		{"shopify missing signature", edit(shopify(newSecret), drop("x-shopify-hmac-sha256")), false},
		{"shopify empty signature", edit(shopify(newSecret), func(r *events.APIGatewayV2HTTPRequest) { r.Headers["x-shopify-hmac-sha256"] = "" }), false},
		{"shopify hex instead of base64", edit(shopify(newSecret), func(r *events.APIGatewayV2HTTPRequest) {
			b, _ := base64.StdEncoding.DecodeString(r.Headers["x-shopify-hmac-sha256"])
			r.Headers["x-shopify-hmac-sha256"] = fmt.Sprintf("%x", b)
		}), false},
		{"shopify upper-case header names", edit(shopify(newSecret), upper), true},
		{"shopify canonical header names", edit(shopify(newSecret), canonical), true},
		{"shopify base64 body signed over the decoded bytes", edit(shopify(newSecret), func(r *events.APIGatewayV2HTTPRequest) {
			r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(r.Body)), true
		}), true},
		{"woocommerce as signed", fix("woocommerce/order-created.json"), true},
		{"woocommerce wrong secret", edit(fix("woocommerce/order-created.json"), func(r *events.APIGatewayV2HTTPRequest) {
			r.Headers["x-wc-webhook-signature"] = touchpoint.SignHMAC("nope", []byte(r.Body))
		}), false},
		{"woocommerce truncated", edit(fix("woocommerce/order-created.json"), cut("x-wc-webhook-signature")), false},
		{"woocommerce re-encoded body", edit(fix("woocommerce/order-created.json"), reencode), false},
		{"woocommerce missing signature", edit(fix("woocommerce/order-created.json"), drop("x-wc-webhook-signature")), false},
		{"woocommerce upper-case header names", edit(fix("woocommerce/order-created.json"), upper), true},
		{"woocommerce unsigned body that is not a ping", edit(fix("woocommerce/ping.json"), func(r *events.APIGatewayV2HTTPRequest) {
			r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte("webhook_id=12&x=1")), true
		}), false},
		{"standard within tolerance", standardAt(fixtureTime.Add(-4 * time.Minute)), true},
		{"standard replay 6 minutes old", standardAt(fixtureTime.Add(-6 * time.Minute)), false},
		{"standard 6 minutes in the future", standardAt(fixtureTime.Add(6 * time.Minute)), false},
		{"standard replayed with a fresh timestamp but the old signature", edit(fix("standard/product-viewed.json"), func(r *events.APIGatewayV2HTTPRequest) {
			r.Headers["webhook-timestamp"] = fmt.Sprint(fixtureTime.Add(time.Minute).Unix())
		}), false},
		{"standard other webhook-id", edit(fix("standard/product-viewed.json"), func(r *events.APIGatewayV2HTTPRequest) { r.Headers["webhook-id"] = "msg_other" }), false},
		{"standard truncated", edit(fix("standard/product-viewed.json"), cut("webhook-signature")), false},
		{"standard re-encoded body", edit(fix("standard/product-viewed.json"), reencode), false},
		{"standard missing signature", edit(fix("standard/product-viewed.json"), drop("webhook-signature")), false},
		{"standard missing timestamp", edit(fix("standard/product-viewed.json"), drop("webhook-timestamp")), false},
		{"standard v2 scheme", edit(fix("standard/product-viewed.json"), func(r *events.APIGatewayV2HTTPRequest) {
			r.Headers["webhook-signature"] = strings.Replace(r.Headers["webhook-signature"], "v1,", "v2,", 1)
		}), false},
		{"standard rotation: a bad and a good signature", edit(fix("standard/product-viewed.json"), func(r *events.APIGatewayV2HTTPRequest) {
			r.Headers["webhook-signature"] = "v1,AAAA " + r.Headers["webhook-signature"]
		}), true},
		{"standard canonical header names", edit(fix("standard/product-viewed.json"), canonical), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, oldSecret+","+newSecret)
			before := ddbtest.Scan(t, e.db, e.table)
			status, body := e.post(t, tc.req(t))
			if tc.ok {
				if status != 200 || body != `{"status":"stored"}` {
					t.Fatalf("got %d %s, want stored", status, body)
				}
				return
			}
			if status != 401 || body != rejected {
				t.Fatalf("got %d %s, want 401 %s", status, body, rejected)
			}
			if after := ddbtest.Scan(t, e.db, e.table); !reflect.DeepEqual(before, after) {
				t.Fatal("a rejected delivery wrote to the table")
			}
		})
	}
}

// TestLimits: each limit through the handler, with a valid signature, is
// a 400 or 413 naming what is wrong, and nothing is written.
func TestLimits(t *testing.T) {
	signed := func(body string) events.APIGatewayV2HTTPRequest {
		return events.APIGatewayV2HTTPRequest{
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST"}},
			PathParameters: map[string]string{"source": "shopify"},
			Headers: map[string]string{"x-shopify-topic": "orders/create", "x-shopify-shop-domain": "s.myshopify.com",
				"x-shopify-event-id": "e-1", "x-shopify-hmac-sha256": touchpoint.SignHMAC(touchpoint.DevShopifySecret, []byte(body))},
			Body: body,
		}
	}
	order := func(lines string, extra string) string {
		return `{"id":1,"email":"limit@example.com","created_at":"2025-11-20T10:00:00Z","updated_at":"2025-11-20T10:00:00Z",` +
			`"currency":"EUR","total_price":"1.00"` + extra + `,"line_items":[` + lines + `]}`
	}
	line := `{"title":"t","quantity":1,"price":"1.00"}`
	many := strings.TrimSuffix(strings.Repeat(line+",", touchpoint.MaxLineItems+1), ",")
	cases := []struct {
		name   string
		body   string
		status int
		reason string
	}{
		{"body over 1 MiB", order(line, `,"note":"`+strings.Repeat("x", ingest.DefaultMaxBody)+`"`), 413, "body larger than 1048576 bytes"},
		{"JSON deeper than 32", order(line, `,"note_attributes":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)), 400, "JSON nested deeper than 32 levels"},
		{"too many line items", order(many, ""), 400, "line_items: more than 500 line items"},
		{"string over 4096 bytes", order(`{"title":"`+strings.Repeat("é", 2049)+`","quantity":1,"price":"1.00"}`, ""), 400, "line_items[0].title: longer than 4096 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, touchpoint.DevShopifySecret)
			status, body := e.post(t, signed(tc.body))
			want, _ := json.Marshal(ingest.Response{Status: "rejected", Reason: tc.reason})
			if status != tc.status || body != string(want) {
				t.Fatalf("got %d %s, want %d %s", status, body, tc.status, want)
			}
			if n := len(ddbtest.Scan(t, e.db, e.table)); n != 0 {
				t.Fatalf("%d items written", n)
			}
		})
	}
}

// TestNoEnumeration: every endpoint that takes an identity answers a
// known and an unknown customer alike.
func TestNoEnumeration(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	signer, err := unsubscribe.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, touchpoint.DevShopifySecret)
	for _, f := range []string{"shopify/customers-create.json", "shopify/orders-create.json"} {
		if status, _ := e.post(t, fixture(t, f)); status != 200 {
			t.Fatalf("%s: %d", f, status)
		}
	}
	unsub := &unsubscribe.Handler{Signer: signer, Profiles: e.store, Shop: "Maison Lin", Log: e.log, Now: func() time.Time { return fixtureTime }}
	call := func(method, token, body string) string {
		resp, err := unsub.Handle(context.Background(), events.APIGatewayV2HTTPRequest{
			RequestContext:        events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method}},
			QueryStringParameters: map[string]string{"t": token}, Body: body,
		})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(resp)
		return strings.ReplaceAll(string(b), escapedToken(token), "TOKEN")
	}
	known, unknown := "carol@example.com", "nobody.here@example.com"
	at := fixtureTime.Add(-time.Hour)
	t.Run("unsubscribe", func(t *testing.T) {
		for _, m := range []string{"GET", "POST"} {
			a, b := call(m, signer.Sign(known, at), "List-Unsubscribe=One-Click"), call(m, signer.Sign(unknown, at), "List-Unsubscribe=One-Click")
			if a != b {
				t.Fatalf("%s differs:\n%s\n%s", m, a, b)
			}
		}
	})
	t.Run("unsubscribe tokens", func(t *testing.T) {
		good := signer.Sign(known, at)
		parts := strings.Split(good, ".")
		other := strings.Split(signer.Sign(unknown, at), ".")
		forger, _ := unsubscribe.NewSigner(bytes.Repeat([]byte{8}, 32))
		bad := map[string]string{
			"tampered address": strings.Join([]string{parts[0], parts[1], other[2], parts[3]}, "."),
			"swapped profile":  strings.Join([]string{parts[0], parts[1], parts[2], other[3]}, "."),
			"tampered time":    strings.Join([]string{parts[0], "zz", parts[2], parts[3]}, "."),
			"forged":           forger.Sign(known, at),
			"truncated":        good[:len(good)-3],
			"empty":            "",
		}
		before := ddbtest.Scan(t, e.db, e.table)
		var first string
		for name, tok := range bad {
			got := call("POST", tok, "List-Unsubscribe=One-Click")
			if !strings.Contains(got, `"statusCode":400`) || !strings.Contains(got, unsubscribe.TextBadLink) {
				t.Fatalf("%s: %s", name, got)
			}
			if first == "" {
				first = got
			} else if got != first {
				t.Fatalf("%s answers differently from the others:\n%s\n%s", name, got, first)
			}
		}
		if after := ddbtest.Scan(t, e.db, e.table); !reflect.DeepEqual(before, after) {
			t.Fatal("a rejected token changed the table")
		}
	})
	t.Run("privacy webhooks", func(t *testing.T) {
		for _, f := range []string{"shopify/customers-data-request.json", "shopify/customers-redact.json"} {
			r := clone(fixture(t, f))
			_, a := e.post(t, r)
			r.Body = strings.ReplaceAll(r.Body, known, unknown)
			r.Headers["x-shopify-hmac-sha256"] = touchpoint.SignHMAC(touchpoint.DevShopifySecret, []byte(r.Body))
			_, b := e.post(t, r)
			if a != b {
				t.Fatalf("%s: %s vs %s", f, a, b)
			}
		}
	})
}

func escapedToken(token string) string {
	if token == "" {
		return "\x00" // nothing to mask
	}
	return strings.ReplaceAll(strings.ReplaceAll(token, "=", "%3D"), "+", "%2B")
}

func shopHost(w string) bool {
	for _, h := range []string{"https://boutique.parcours-demo.example/", "parcours-demo.myshopify.com", "parcours-demo.example"} {
		if strings.Contains(h, w) {
			return true
		}
	}
	return false
}

var emailRE = regexp.MustCompile(`(?i)[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}`)

// TestLogs runs every webhook fixture (and the privacy webhooks), the
// unsubscribe endpoint and SES feedback with one JSON logger at INFO and
// asserts that no line holds an email address, in any case, or a
// fragment of a raw payload.
func TestLogs(t *testing.T) {
	e := newEnv(t, touchpoint.DevShopifySecret)
	var fragments []string
	files, _ := filepath.Glob("../../events/*/*.json")
	for _, f := range files {
		rel, _ := filepath.Rel("../../events", f)
		src := filepath.Dir(rel)
		if src != "shopify" && src != "woocommerce" && src != "standard" {
			continue
		}
		req := fixture(t, rel)
		e.post(t, req)
		body := req.Body
		if req.IsBase64Encoded {
			b, _ := base64.StdEncoding.DecodeString(body)
			body = string(b)
		}
		// Any 24-byte window of a payload that is not JSON punctuation,
		// except the shops' own host names: event ids name the shop on
		// purpose (docs/events.md, "Dedupe ids").
		for i := 0; i+24 <= len(body); i += 97 {
			if w := body[i : i+24]; strings.Trim(w, `{}[]":, 0123456789`) != "" && !shopHost(w) {
				fragments = append(fragments, w)
			}
		}
	}
	// A delivery with a bad signature and a malformed one are logged too.
	bad := clone(fixture(t, "shopify/customers-create.json"))
	bad.Headers["x-shopify-hmac-sha256"] = "AAAA"
	e.post(t, bad)
	bad.Body = `{"email":"Leak.Me@Example.com",` // malformed, signed
	bad.Headers["x-shopify-hmac-sha256"] = touchpoint.SignHMAC(touchpoint.DevShopifySecret, []byte(bad.Body))
	e.post(t, bad)

	signer, _ := unsubscribe.NewSigner(bytes.Repeat([]byte{7}, 32))
	unsub := &unsubscribe.Handler{Signer: signer, Profiles: e.store, Shop: "Maison Lin", Log: e.log, Now: func() time.Time { return fixtureTime }}
	for _, tok := range []string{signer.Sign("Bob@Example.com", fixtureTime), "1.x.Ym9iQGV4YW1wbGUuY29t.AAAA"} {
		for _, m := range []string{"GET", "POST"} {
			if _, err := unsub.Handle(context.Background(), events.APIGatewayV2HTTPRequest{
				RequestContext:        events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: m}},
				QueryStringParameters: map[string]string{"t": tok}, Body: "List-Unsubscribe=One-Click",
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	fb := &feedback.Handler{Profiles: e.store, Metrics: emf.New(io.Discard, time.Now), Log: e.log}
	ses, _ := filepath.Glob("../../events/ses/*.json")
	for _, f := range ses {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev events.CloudWatchEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		_ = fb.Handle(context.Background(), ev) // outcome tested in internal/feedback; only the logs matter here
	}

	logs := e.logs.String()
	if lines := strings.Count(logs, "\n"); lines < len(files) {
		t.Fatalf("only %d log lines: the handlers did not log what this test inspects", lines)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if m := emailRE.FindString(line); m != "" {
			t.Errorf("log line holds an address (%s): %s", m, line)
		}
		for _, f := range fragments {
			if strings.Contains(line, f) {
				t.Errorf("log line holds a payload fragment %q: %s", f, line)
			}
		}
	}
}
