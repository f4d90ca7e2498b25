package ingest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/truora/minidyn/server"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/emf"
	"github.com/parcours/parcours/internal/erase"
	"github.com/parcours/parcours/internal/ingest"
	"github.com/parcours/parcours/internal/profile"
	"github.com/parcours/parcours/internal/sfnapi"
	"github.com/parcours/parcours/internal/touchpoint"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixtureTime is when the fixtures were signed: the Standard Webhooks source
// rejects timestamps more than 5 minutes away from its clock.
var fixtureTime = time.Unix(1763798400, 0).UTC()

type env struct {
	emu     *ddbtest.Emulator
	db      *dynamodb.Client
	table   string
	store   *profile.Store
	h       *ingest.Handler
	metrics *bytes.Buffer
	logs    *syncBuffer
	sfn     *sfnapi.Server
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func sources(t testing.TB) []touchpoint.Source {
	t.Helper()
	sh, err := touchpoint.NewShopify(touchpoint.DevShopifySecret)
	if err != nil {
		t.Fatal(err)
	}
	wc, err := touchpoint.NewWooCommerce(touchpoint.DevWooCommerceSecret)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := touchpoint.NewStandard(touchpoint.DevStandardSecret, func() time.Time { return fixtureTime })
	if err != nil {
		t.Fatal(err)
	}
	return []touchpoint.Source{sh, wc, sd}
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{emu: ddbtest.Start(t), metrics: &bytes.Buffer{}, logs: &syncBuffer{}}
	e.db, e.table = e.emu.Client, e.emu.NewTable(t)
	e.store = profile.NewStore(e.db, e.table)
	e.store.Now = func() time.Time { return fixtureTime }
	log := slog.New(slog.NewJSONHandler(e.logs, nil))
	e.h = ingest.New(e.store, emf.New(e.metrics, func() time.Time { return fixtureTime }), log, sources(t)...)
	e.sfn = sfnapi.NewServer()
	ts := httptest.NewServer(e.sfn)
	t.Cleanup(ts.Close)
	sfnClient := sfn.New(sfn.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("t", "t", ""),
		BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1})
	eraser := erase.New(e.db, sfnClient, e.table, log)
	eraser.Now = func() time.Time { return fixtureTime }
	e.h.Privacy = eraser
	t.Cleanup(func() {
		// Logs name profiles by hash only.
		if strings.Contains(e.logs.String(), "@") {
			t.Errorf("a log line contains an email address:\n%s", e.logs.String())
		}
	})
	return e
}

func fixture(t testing.TB, path string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events", path))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return req
}

func (e *env) post(t *testing.T, req events.APIGatewayV2HTTPRequest) (int, string) {
	t.Helper()
	resp, err := e.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	return resp.StatusCode, resp.Body
}

// dump renders every item of the table, sorted, with JSON attributes
// expanded: what the golden files hold.
func (e *env) dump(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, it := range ddbtest.Scan(t, e.db, e.table) {
		m := map[string]any{}
		for k, v := range it {
			switch v := v.(type) {
			case *types.AttributeValueMemberS:
				if k == "view" || k == "event" || k == "totals" || k == "state" {
					var x any
					if err := json.Unmarshal([]byte(v.Value), &x); err != nil {
						t.Fatal(err)
					}
					m[k] = x
				} else {
					m[k] = v.Value
				}
			case *types.AttributeValueMemberN:
				m[k] = json.Number(v.Value)
			default:
				m[k] = fmt.Sprintf("%T", v)
			}
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		return fmt.Sprint(out[i]["pk"], out[i]["sk"]) < fmt.Sprint(out[j]["pk"], out[j]["sk"])
	})
	return out
}

// Every fixture in events/, delivered alone to an empty table: the answer
// and every item written are compared with testdata/fixtures/<source>/<case>.golden.
func TestFixtures(t *testing.T) {
	var files []string
	for _, src := range []string{"shopify", "woocommerce", "standard"} { // the webhook sources; events/ holds other fixtures too
		f, err := filepath.Glob(filepath.Join("../../events", src, "*.json"))
		if err != nil || len(f) == 0 {
			t.Fatalf("no %s fixtures: %v", src, err)
		}
		files = append(files, f...)
	}
	for _, f := range files {
		rel, _ := filepath.Rel("../../events", f)
		t.Run(rel, func(t *testing.T) {
			e := newEnv(t)
			status, body := e.post(t, fixture(t, rel))
			got, err := json.MarshalIndent(map[string]any{"status": status, "body": json.RawMessage(body), "items": e.dump(t)}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata/fixtures", strings.TrimSuffix(rel, ".json")+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if string(want) != string(got)+"\n" {
				t.Errorf("%s differs from the golden file (run go test -update and review the diff):\n%s", rel, got)
			}
		})
	}
}

// A few facts stated by hand, so the golden files are not the only check.
func TestFixtureProfiles(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		fixtures []string
		email    string
		check    func(t *testing.T, v profile.View, orders []profile.OrderView)
	}{
		{[]string{"shopify/orders-create.json"}, "bob@example.com", func(t *testing.T, v profile.View, o []profile.OrderView) {
			if v.OrderCount != 1 || len(v.TotalSpent) != 1 || v.Frequency != "new" || len(o) != 1 || o[0].Status != "placed" {
				t.Fatalf("view %+v orders %+v", v, o)
			}
		}},
		{[]string{"shopify/orders-create.json", "shopify/refunds-create.json"}, "bob@example.com", func(t *testing.T, v profile.View, o []profile.OrderView) {
			// The refund carries only the order id; the order alias finds bob.
			if len(o) != 1 {
				t.Fatalf("orders %+v", o)
			}
		}},
		{[]string{"shopify/customers-create.json"}, "carol@example.com", func(t *testing.T, v profile.View, _ []profile.OrderView) {
			if v.Consent == nil || v.FirstName == "" || v.Frequency != "prospect" {
				t.Fatalf("view %+v", v)
			}
		}},
		{[]string{"woocommerce/order-created.json", "woocommerce/order-updated-refunded.json"}, "bob@example.com", func(t *testing.T, v profile.View, o []profile.OrderView) {
			if v.OrderCount != 0 || len(o) != 1 || o[0].Status != "refunded" {
				t.Fatalf("view %+v orders %+v", v, o)
			}
		}},
		{[]string{"standard/product-viewed.json"}, "alice@example.com", func(t *testing.T, v profile.View, _ []profile.OrderView) {
			if v.LastProductViewAt == nil {
				t.Fatalf("view %+v", v)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.fixtures, "+"), func(t *testing.T) {
			e := newEnv(t)
			for _, f := range tt.fixtures {
				if status, body := e.post(t, fixture(t, f)); status != 200 {
					t.Fatalf("%s: %d %s", f, status, body)
				}
			}
			v, err := e.store.GetView(ctx, tt.email)
			if err != nil {
				t.Fatal(err)
			}
			orders, err := e.store.Orders(ctx, tt.email)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, v, orders)
		})
	}
}

func signedShopify(topic, body string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		RouteKey:       "POST /webhooks/{source}",
		PathParameters: map[string]string{"source": "shopify"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST"}},
		Headers: map[string]string{
			"content-type":          "application/json",
			"x-shopify-topic":       topic,
			"x-shopify-shop-domain": "parcours-demo.myshopify.com",
			"x-shopify-event-id":    "11111111-2222-3333-4444-555555555555",
			"x-shopify-hmac-sha256": touchpoint.SignHMAC(touchpoint.DevShopifySecret, []byte(body)),
		},
		Body: body,
	}
}

// Every rejected delivery: the exact answer, and the table unchanged.
func TestRejections(t *testing.T) {
	big := `{"pad":"` + strings.Repeat("x", ingest.DefaultMaxBody) + `"}`
	tests := []struct {
		name   string
		req    func(t *testing.T) events.APIGatewayV2HTTPRequest
		status int
		body   string
		metric string
	}{
		{"bad signature", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := fixture(t, "shopify/orders-paid.json")
			r.Body = strings.Replace(r.Body, `"total_price":"`, `"total_price":"1`, 1)
			return r
		}, 401, `{"status":"rejected","reason":"invalid signature"}`, ingest.MetricRejected},
		{"missing signature", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := fixture(t, "shopify/orders-paid.json")
			delete(r.Headers, "x-shopify-hmac-sha256")
			return r
		}, 401, `{"status":"rejected","reason":"invalid signature"}`, ingest.MetricRejected},
		{"signature from another secret", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := fixture(t, "woocommerce/order-created.json")
			r.Headers["x-wc-webhook-signature"] = touchpoint.SignHMAC("not-the-secret", []byte(r.Body))
			return r
		}, 401, `{"status":"rejected","reason":"invalid signature"}`, ingest.MetricRejected},
		{"malformed JSON", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return signedShopify("orders/create", `{"id": 1,`)
		}, 400, `{"status":"rejected","reason":"malformed JSON"}`, ingest.MetricRejected},
		{"missing required field", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return signedShopify("orders/create", `{"id": 820982911946154508, "email": "x@example.com"}`)
		}, 400, `{"status":"rejected","reason":"updated_at: required"}`, ingest.MetricRejected},
		{"unknown topic", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return fixture(t, "shopify/products-update.json")
		}, 202, `{"status":"ignored","reason":"topic \"products/update\" is not used by parcours"}`, ingest.MetricIgnored},
		{"unresolved identity", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return fixture(t, "standard/order-placed.json")
		}, 202, `{"status":"ignored","reason":"unresolved identity: standard customer cus_P9x2Kd81 has no known email yet"}`, ingest.MetricIgnored},
		{"oversize body", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			return signedShopify("orders/create", big)
		}, 413, `{"status":"rejected","reason":"body larger than 1048576 bytes"}`, ingest.MetricRejected},
		{"oversize base64 body", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := signedShopify("orders/create", big)
			r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(big)), true
			return r
		}, 413, `{"status":"rejected","reason":"body larger than 1048576 bytes"}`, ingest.MetricRejected},
		{"invalid base64", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := fixture(t, "shopify/orders-paid.json")
			r.Body, r.IsBase64Encoded = "%%%not base64", true
			return r
		}, 400, `{"status":"rejected","reason":"body: invalid base64"}`, ingest.MetricRejected},
		{"unknown source", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := fixture(t, "shopify/orders-paid.json")
			r.PathParameters["source"] = "magento"
			return r
		}, 404, `{"status":"rejected","reason":"unknown source"}`, ingest.MetricRejected},
		{"wrong method", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			r := fixture(t, "shopify/orders-paid.json")
			r.RequestContext.HTTP.Method = "GET"
			return r
		}, 405, `{"status":"rejected","reason":"method not allowed"}`, ingest.MetricRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			// Something stored already, so "unchanged" is not "empty".
			if status, _ := e.post(t, fixture(t, "shopify/orders-create.json")); status != 200 {
				t.Fatal("setup delivery not stored")
			}
			before := ddbtest.Scan(t, e.db, e.table)
			e.metrics.Reset()
			status, body := e.post(t, tt.req(t))
			if status != tt.status || body != tt.body {
				t.Fatalf("got %d %s\nwant %d %s", status, body, tt.status, tt.body)
			}
			if after := ddbtest.Scan(t, e.db, e.table); !reflect.DeepEqual(before, after) {
				t.Fatal("a rejected delivery changed the table")
			}
			if !strings.Contains(e.metrics.String(), `"`+tt.metric+`":1`) {
				t.Fatalf("metric %s not emitted: %s", tt.metric, e.metrics.String())
			}
		})
	}
}

func TestStorageFailure(t *testing.T) {
	t.Run("emulated DynamoDB error", func(t *testing.T) {
		e := newEnv(t)
		e.post(t, fixture(t, "shopify/orders-create.json"))
		before := ddbtest.Scan(t, e.db, e.table)
		e.emu.Server.EmulateFailure(server.FailureConditionInternalServerError)
		status, body := e.post(t, fixture(t, "shopify/orders-paid.json"))
		e.emu.Server.EmulateFailure(server.FailureConditionNone)
		if status != 503 || body != `{"status":"error","reason":"storage unavailable, retry"}` {
			t.Fatalf("got %d %s", status, body)
		}
		if after := ddbtest.Scan(t, e.db, e.table); !reflect.DeepEqual(before, after) {
			t.Fatal("a failed delivery changed the table")
		}
		if !strings.Contains(e.metrics.String(), `"WebhookFailed":1`) {
			t.Fatalf("no WebhookFailed metric: %s", e.metrics.String())
		}
		// The shop retries: stored exactly once.
		for i, want := range []string{`{"status":"stored"}`, `{"status":"duplicate"}`} {
			if status, body := e.post(t, fixture(t, "shopify/orders-paid.json")); status != 200 || body != want {
				t.Fatalf("retry %d: %d %s", i, status, body)
			}
		}
		// One event item and its reference under the profile.
		if len(ddbtest.Scan(t, e.db, e.table)) != len(before)+2 {
			t.Fatal("the retry did not add exactly one event item and its reference")
		}
	})
	t.Run("DynamoDB unreachable", func(t *testing.T) {
		e := newEnv(t)
		e.emu.Close()
		if status, body := e.post(t, fixture(t, "shopify/orders-create.json")); status != 503 || body != `{"status":"error","reason":"storage unavailable, retry"}` {
			t.Fatalf("got %d %s", status, body)
		}
	})
}

func TestDuplicateDeliveries(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		want := `{"status":"duplicate"}`
		if i == 0 {
			want = `{"status":"stored"}`
		}
		if status, body := e.post(t, fixture(t, "shopify/orders-create.json")); status != 200 || body != want {
			t.Fatalf("delivery %d: %d %s", i, status, body)
		}
	}
	// The same event base64-encoded by the gateway is the same delivery.
	if _, body := e.post(t, fixture(t, "shopify/orders-create-base64.json")); body != `{"status":"duplicate"}` {
		t.Fatalf("base64 copy: %s", body)
	}
	events := 0
	for _, it := range ddbtest.Scan(t, e.db, e.table) {
		if it["sk"].(*types.AttributeValueMemberS).Value == profile.SKEvent {
			events++
		}
	}
	v, err := e.store.GetView(context.Background(), "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if events != 1 || v.OrderCount != 1 {
		t.Fatalf("event items = %d, order_count = %d", events, v.OrderCount)
	}
}

// Bob's deliveries in any order give the same profile and order.
func TestOutOfOrderDeliveries(t *testing.T) {
	files := []string{
		"shopify/checkouts-update-completed.json", "shopify/orders-create.json", "shopify/orders-paid.json",
		"shopify/orders-fulfilled.json", "shopify/fulfillments-update.json", "standard/review-submitted.json",
	}
	run := func(t *testing.T, order []string) string {
		e := newEnv(t)
		for _, f := range order {
			if status, body := e.post(t, fixture(t, f)); status != 200 {
				t.Fatalf("%s: %d %s", f, status, body)
			}
		}
		v, err := e.store.GetView(context.Background(), "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		orders, err := e.store.Orders(context.Background(), "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(map[string]any{"profile": v, "orders": orders}, "", " ")
		return string(b)
	}
	want := run(t, files)
	r := rand.New(rand.NewPCG(3, 5))
	for range 8 {
		perm := append([]string(nil), files...)
		r.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
		if got := run(t, perm); got != want {
			t.Fatalf("order %v gives\n%s\nwant\n%s", perm, got, want)
		}
	}
}

// 50 concurrent deliveries about one order (distinct event ids, as when a
// shop replays a topic): all stored, the order counted once.
func TestConcurrentDeliveriesOneProfile(t *testing.T) {
	e := newEnv(t)
	e.store.MaxAttempts = 1000 // consistency under contention, not latency, is checked here
	var wg sync.WaitGroup
	answers := make(chan string, 50)
	for i := range 50 {
		wg.Go(func() {
			r := fixture(t, "shopify/orders-create.json")
			r.Headers["x-shopify-event-id"] = fmt.Sprintf("concurrent-%d", i)
			resp, err := e.h.Handle(context.Background(), r)
			if err != nil {
				answers <- err.Error()
				return
			}
			answers <- fmt.Sprint(resp.StatusCode, " ", resp.Body)
		})
	}
	wg.Wait()
	close(answers)
	for a := range answers {
		if a != `200 {"status":"stored"}` {
			t.Fatalf("answer %s", a)
		}
	}
	p, err := e.store.Get(context.Background(), "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if p.View.OrderCount != 1 || p.Version != 50 {
		t.Fatalf("order_count = %d, version = %d", p.View.OrderCount, p.Version)
	}
}

func TestConfigFromEnv(t *testing.T) {
	full := map[string]string{"TABLE_NAME": "t", "SHOPIFY_WEBHOOK_SECRET": "a", "WOOCOMMERCE_WEBHOOK_SECRET": "b", "STANDARD_WEBHOOK_SECRET": touchpoint.DevStandardSecret}
	for _, missing := range []string{"TABLE_NAME", "SHOPIFY_WEBHOOK_SECRET", "WOOCOMMERCE_WEBHOOK_SECRET", "STANDARD_WEBHOOK_SECRET"} {
		t.Run(missing, func(t *testing.T) {
			_, err := ingest.ConfigFromEnv(func(k string) (string, bool) {
				v, ok := full[k]
				return v, ok && k != missing
			})
			if err == nil || err.Error() != "environment variable "+missing+" is not set" {
				t.Fatalf("err = %v", err)
			}
		})
	}
	cfg, err := ingest.ConfigFromEnv(func(k string) (string, bool) { v, ok := full[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := cfg.Sources(time.Now)
	if err != nil || len(srcs) != 3 {
		t.Fatalf("sources: %v %v", srcs, err)
	}
}

// The Lambda runtime's own path: raw event JSON in, raw response JSON out.
func TestLambdaInvoke(t *testing.T) {
	e := newEnv(t)
	raw, err := os.ReadFile("../../events/woocommerce/order-created.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambda.NewHandler(e.h.Handle).Invoke(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Body != `{"status":"stored"}` || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("response = %s", out)
	}
}

// lastEventBroken is the real Shopify source whose decoded delivery ends
// with an event the store refuses (no id): a delivery of several events of
// which only a later one is invalid.
type lastEventBroken struct{ touchpoint.Source }

func (s lastEventBroken) Decode(r touchpoint.Request) ([]touchpoint.Event, error) {
	evs, err := s.Source.Decode(r)
	if len(evs) > 0 {
		evs[len(evs)-1].ID = ""
	}
	return evs, err
}

// failingFrom is the real store, with the emulator failing every request
// from the n-th Apply on (counting from 1).
type failingFrom struct {
	ingest.Store
	emu   *ddbtest.Emulator
	n     int
	calls int
}

func (f *failingFrom) Apply(ctx context.Context, ev touchpoint.Event) (profile.Outcome, error) {
	f.calls++
	if f.calls == f.n {
		f.emu.Server.EmulateFailure(server.FailureConditionInternalServerError)
	}
	return f.Store.Apply(ctx, ev)
}

// TestMultiEventDelivery: Shopify's customers/update with a consent
// change is two events (customer_updated, consent_changed). A refusal of
// the later one is a 400 with nothing written; a storage failure of the
// later one is a 503, and the shop's retries converge on both stored once.
func TestMultiEventDelivery(t *testing.T) {
	const fix = "shopify/customers-update.json"
	countEvents := func(t *testing.T, e *env) int {
		n := 0
		for _, it := range ddbtest.Scan(t, e.db, e.table) {
			if it["sk"].(*types.AttributeValueMemberS).Value == profile.SKEvent {
				n++
			}
		}
		return n
	}
	// What one clean delivery writes.
	clean := newEnv(t)
	if status, body := clean.post(t, fixture(t, fix)); status != 200 || body != `{"status":"stored"}` {
		t.Fatalf("clean delivery: %d %s", status, body)
	}
	if n := countEvents(t, clean); n != 2 {
		t.Fatalf("the fixture stored %d events, want customer_updated and consent_changed", n)
	}
	want := clean.dump(t)

	t.Run("later event invalid", func(t *testing.T) {
		e := newEnv(t)
		e.h = ingest.New(e.store, emf.New(e.metrics, func() time.Time { return fixtureTime }),
			slog.New(slog.NewJSONHandler(e.logs, nil)), lastEventBroken{sources(t)[0]})
		before := ddbtest.Scan(t, e.db, e.table)
		status, body := e.post(t, fixture(t, fix))
		if status != 400 || body != `{"status":"rejected","reason":"id: event has no id"}` {
			t.Fatalf("got %d %s", status, body)
		}
		if after := ddbtest.Scan(t, e.db, e.table); !reflect.DeepEqual(before, after) {
			t.Fatalf("a rejected delivery wrote %d items", len(after)-len(before))
		}
	})
	t.Run("later event not stored", func(t *testing.T) {
		e := newEnv(t)
		store := &failingFrom{Store: e.store, emu: e.emu, n: 2}
		e.h = ingest.New(store, emf.New(e.metrics, func() time.Time { return fixtureTime }),
			slog.New(slog.NewJSONHandler(e.logs, nil)), sources(t)...)
		status, body := e.post(t, fixture(t, fix))
		e.emu.Server.EmulateFailure(server.FailureConditionNone)
		if status != 503 || body != `{"status":"error","reason":"storage unavailable, retry"}` {
			t.Fatalf("got %d %s", status, body)
		}
		if n := countEvents(t, e); n != 1 {
			t.Fatalf("%d events stored before the failure, want 1", n)
		}
		// The shop retries: the first event is a duplicate, the second is
		// stored; then the whole delivery is a duplicate.
		for i, want := range []string{`{"status":"stored"}`, `{"status":"duplicate"}`} {
			if status, body := e.post(t, fixture(t, fix)); status != 200 || body != want {
				t.Fatalf("retry %d: %d %s", i, status, body)
			}
		}
		if got := e.dump(t); !reflect.DeepEqual(got, want) {
			t.Fatalf("after the retries the table differs from one clean delivery:\n got %v\nwant %v", got, want)
		}
	})
}
