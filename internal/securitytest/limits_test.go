package securitytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/parcours/parcours/internal/ddbtest"
	"github.com/parcours/parcours/internal/ingest"
	"github.com/parcours/parcours/internal/touchpoint"
)

// resigned returns the fixture at rel with its JSON body changed by edit
// and signed again for its source with the dev secret, so only the limit
// under test can make the handler refuse it.
func resigned(t *testing.T, rel string, edit func(map[string]any)) events.APIGatewayV2HTTPRequest {
	t.Helper()
	r := clone(fixture(t, rel))
	d := json.NewDecoder(strings.NewReader(r.Body))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	r.Body = strings.TrimSuffix(b.String(), "\n")
	delete(r.Headers, "content-length")
	switch r.PathParameters["source"] {
	case "shopify":
		r.Headers["x-shopify-hmac-sha256"] = touchpoint.SignHMAC(touchpoint.DevShopifySecret, []byte(r.Body))
	case "woocommerce":
		r.Headers["x-wc-webhook-signature"] = touchpoint.SignHMAC(touchpoint.DevWooCommerceSecret, []byte(r.Body))
	case "standard":
		sig, err := touchpoint.SignStandard(touchpoint.DevStandardSecret, r.Headers["webhook-id"], fixtureTime, []byte(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		r.Headers["webhook-signature"] = sig
	default:
		t.Fatalf("%s: no source path parameter", rel)
	}
	return r
}

func repeatList(n int, v func(i int) any) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v(i)
	}
	return out
}

// nested is n arrays one inside the other.
func nested(n int) any {
	var v any = []any{}
	for range n - 1 {
		v = []any{v}
	}
	return v
}

func set(path string, v any) func(map[string]any) {
	return func(doc map[string]any) {
		keys := strings.Split(path, ".")
		m := doc
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = v
	}
}

// lineItems sets the list at path to n line items.
func lineItems(path string, n int) func(map[string]any) {
	return set(path, repeatList(n, func(i int) any {
		return map[string]any{"title": fmt.Sprintf("Item %d", i), "quantity": 1, "price": "1.00"}
	}))
}

// TestLimitsEverySource: every limit of docs/events.md ("Limits and
// errors") through the ingest handler for each source that carries the
// field, on both sides of the limit. A rejection is the exact status and
// body the shop sees, and the table stays empty; the value at the limit
// is stored.
func TestLimitsEverySource(t *testing.T) {
	long := strings.Repeat("a", touchpoint.MaxString+1)
	atLimit := strings.Repeat("a", touchpoint.MaxString)
	tags := func(n int) []any { return repeatList(n, func(i int) any { return fmt.Sprintf("t%d", i) }) }
	tagString := func(n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf("t%d", i)
		}
		return strings.Join(s, ", ")
	}
	props := func(n int) map[string]any {
		m := map[string]any{}
		for i := range n {
			m[fmt.Sprintf("k%d", i)] = i
		}
		return m
	}
	big := strings.Repeat("x", ingest.DefaultMaxBody)
	type tc struct {
		name    string
		fixture string
		edit    func(map[string]any)
		status  int
		reason  string // "" means stored
	}
	cases := []tc{
		// Tags: Shopify's comma-separated string, Standard's array.
		{"shopify 250 tags", "shopify/customers-create.json", set("tags", tagString(250)), 200, ""},
		{"shopify 251 tags", "shopify/customers-create.json", set("tags", tagString(251)), 400, "tags: more than 250 tags"},
		{"shopify tag over 4096 bytes", "shopify/customers-create.json", set("tags", "vip, "+long), 400, "tags: longer than 4096 bytes"},
		{"standard 250 tags", "standard/order-placed.json", set("customer.tags", tags(250)), 200, ""},
		{"standard 251 tags", "standard/order-placed.json", set("customer.tags", tags(251)), 400, "customer.tags: more than 250 tags"},
		{"standard 251 tags as a string", "standard/order-placed.json", set("customer.tags", tagString(251)), 400, "customer.tags: more than 250 tags"},

		// Line items.
		{"shopify 500 line items", "shopify/orders-create.json", lineItems("line_items", 500), 200, ""},
		{"woocommerce 500 line items", "woocommerce/order-created.json", lineItems("line_items", 500), 200, ""},
		{"woocommerce 501 line items", "woocommerce/order-created.json", lineItems("line_items", 501), 400, "line_items: more than 500 line items"},
		{"standard 500 line items", "standard/order-placed.json", lineItems("order.line_items", 500), 200, ""},
		{"standard 501 line items", "standard/order-placed.json", lineItems("order.line_items", 501), 400, "order.line_items: more than 500 line items"},

		// JSON depth: the top-level object is level 1, so 31 nested arrays
		// make 32 levels.
		{"shopify 32 levels", "shopify/orders-create.json", set("note_attributes_x", nested(31)), 200, ""},
		{"woocommerce 33 levels", "woocommerce/order-created.json", set("meta_data_x", nested(32)), 400, "JSON nested deeper than 32 levels"},
		{"woocommerce 32 levels", "woocommerce/order-created.json", set("meta_data_x", nested(31)), 200, ""},
		{"standard 33 levels", "standard/order-placed.json", set("extra", nested(32)), 400, "JSON nested deeper than 32 levels"},

		// String lengths, in a profile field of each source.
		{"shopify first name of 4096 bytes", "shopify/customers-create.json", set("first_name", atLimit), 200, ""},
		{"shopify first name over 4096 bytes", "shopify/customers-create.json", set("first_name", long), 400, "first_name: longer than 4096 bytes"},
		{"woocommerce first name over 4096 bytes", "woocommerce/customer-created.json", set("first_name", long), 400, "first_name: longer than 4096 bytes"},
		{"standard first name over 4096 bytes", "standard/order-placed.json", set("customer.first_name", long), 400, "customer.first_name: longer than 4096 bytes"},
		{"standard property over 4096 bytes", "standard/order-placed.json", set("properties", map[string]any{"note": long}), 400, "properties.note: longer than 4096 bytes"},

		// Standard properties: at most 50 keys.
		{"standard 50 properties", "standard/order-placed.json", set("properties", props(50)), 200, ""},
		{"standard 51 properties", "standard/order-placed.json", set("properties", props(51)), 400, "properties: more than 50 keys"},

		// Body size, every source.
		{"woocommerce body over 1 MiB", "woocommerce/order-created.json", set("customer_note", big), 413, "body larger than 1048576 bytes"},
		{"standard body over 1 MiB", "standard/order-placed.json", set("padding", big), 413, "body larger than 1048576 bytes"},

		// The privacy webhook's list of orders.
		{"shopify redact with 501 orders", "shopify/customers-redact.json", set("orders_to_redact", repeatList(501, func(i int) any { return 5981234600001 + i })), 400, "orders_to_redact: more than 500 orders"},
		{"shopify data request with 501 orders", "shopify/customers-data-request.json", set("orders_requested", repeatList(501, func(i int) any { return 5981234600001 + i })), 400, "orders_requested: more than 500 orders"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, touchpoint.DevShopifySecret)
			edit := c.edit
			if strings.HasPrefix(c.fixture, "standard/") {
				// The Standard order fixture names its customer by id
				// only; with an email it is stored rather than unresolved.
				edit = func(doc map[string]any) { doc["email"] = "limits@example.com"; c.edit(doc) }
			}
			status, body := e.post(t, resigned(t, c.fixture, edit))
			if c.reason == "" {
				if status != 200 || body != `{"status":"stored"}` {
					t.Fatalf("got %d %s, want 200 stored", status, body)
				}
				if len(ddbtest.Scan(t, e.db, e.table)) == 0 {
					t.Fatal("stored, but the table is empty")
				}
				return
			}
			want, _ := json.Marshal(ingest.Response{Status: "rejected", Reason: c.reason})
			if status != c.status || body != string(want) {
				t.Fatalf("got %d %s, want %d %s", status, body, c.status, want)
			}
			if n := len(ddbtest.Scan(t, e.db, e.table)); n != 0 {
				t.Fatalf("%d items written by a rejected delivery", n)
			}
		})
	}
}
