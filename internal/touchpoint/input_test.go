package touchpoint

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func shopifyHeaders(topic string) http.Header {
	return hdrs("x-shopify-topic", topic, "x-shopify-shop-domain", "parcours-demo.myshopify.com",
		"x-shopify-event-id", "ev-1", "x-shopify-webhook-id", "wh-1")
}

func wooHeaders(topic string) http.Header {
	return hdrs("x-wc-webhook-topic", topic, "x-wc-webhook-source", "https://boutique.parcours-demo.example/",
		"x-wc-webhook-id", "13", "x-wc-webhook-delivery-id", "abc")
}

func standardHeaders() http.Header {
	return hdrs("webhook-id", "msg_1", "webhook-timestamp", "1763798400")
}

const okOrder = `"id":5981234567890,"created_at":"2025-11-18T21:40:58+01:00","updated_at":"2025-11-18T21:40:59+01:00"`

func nested(depth int) string {
	return `{"id":1,"note_attributes":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
}

func items(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `{"title":"Mug","quantity":1,"price":"1.00"}`
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// TestInputErrors asserts the exact message the sender sees (after
// "400 ...") for every rejected body.
func TestInputErrors(t *testing.T) {
	srcs := devSources(t)
	long := strings.Repeat("x", MaxString+1)
	cases := []struct {
		name    string
		source  string
		headers http.Header
		body    string
		want    string
	}{
		{"malformed", "shopify", shopifyHeaders("orders/create"), `{"id":`, "malformed JSON"},
		{"not JSON", "shopify", shopifyHeaders("orders/create"), `webhook_id=1`, "malformed JSON"},
		{"empty body", "shopify", shopifyHeaders("orders/create"), ``, "malformed JSON"},
		{"trailing garbage", "shopify", shopifyHeaders("orders/create"), `{"id":1} x`, "malformed JSON"},
		{"array body", "shopify", shopifyHeaders("orders/create"), `[1]`, "expected a JSON object, got array"},
		{"too deep", "shopify", shopifyHeaders("orders/create"), nested(MaxDepth + 1), "JSON nested deeper than 32 levels"},
		{"float id", "shopify", shopifyHeaders("orders/create"), `{"id":1.5}`, "id: expected an id (string or integer), got number 1.5"},
		{"negative id", "shopify", shopifyHeaders("orders/create"), `{"id":-4}`, "id: expected an id (string or integer), got number -4"},
		{"order without id", "shopify", shopifyHeaders("orders/create"), `{"created_at":"2025-11-18T21:40:58+01:00"}`, "id: required"},
		{"checkout without id", "shopify", shopifyHeaders("checkouts/create"), `{"updated_at":"2025-11-18T21:40:58+01:00"}`, "id: required"},
		{"no timestamps", "shopify", shopifyHeaders("orders/paid"), `{"id":1}`, "updated_at: required"},
		{"bad timestamp", "shopify", shopifyHeaders("orders/create"), `{"id":1,"created_at":"yesterday"}`, "created_at: not an RFC 3339 timestamp"},
		{"negative quantity", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"line_items":[{"title":"a","quantity":1},{"title":"b","quantity":2},{"title":"c","quantity":-1}]}`, "line_items[2].quantity: not a non-negative integer"},
		{"fractional quantity", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"line_items":[{"title":"a","quantity":1.5}]}`, "line_items[0].quantity: not a non-negative integer"},
		{"quantity bool", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"line_items":[{"title":"a","quantity":true}]}`, "line_items.quantity: expected a number or numeric string, got bool"},
		{"price with comma", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"line_items":[{"title":"a","quantity":1,"price":"12,50"}]}`, "line_items[0].price: not a decimal amount"},
		{"price exponent", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"total_price":1e3}`, "total_price: not a decimal amount"},
		{"title number", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"line_items":[{"title":7}]}`, "line_items.title: expected string, got number"},
		{"too many line items", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"line_items":` + items(MaxLineItems+1) + `}`, "line_items: more than 500 line items"},
		{"long title", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"line_items":[{"title":"ok"},{"title":"` + long + `"}]}`, "line_items[1].title: longer than 4096 bytes"},
		{"long recovery url", "shopify", shopifyHeaders("checkouts/create"), `{"id":1,"updated_at":"2025-11-18T21:40:58+01:00","abandoned_checkout_url":"` + long + `"}`, "abandoned_checkout_url: longer than 4096 bytes"},
		{"bad email", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"email":"bob at example.com"}`, "email: not an email address"},
		{"two at signs", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"email":"bob@x@example.com"}`, "email: not an email address"},
		{"tags object", "shopify", shopifyHeaders("customers/update"), `{"id":1,"updated_at":"2025-11-18T21:40:58+01:00","tags":{}}`, "tags: expected a string or an array of strings, got object"},
		{"unknown consent", "shopify", shopifyHeaders("customers/update"), `{"id":1,"updated_at":"2025-11-18T21:40:58+01:00","email_marketing_consent":{"state":"maybe"}}`, `email_marketing_consent.state: unknown consent state "maybe"`},
		{"customer without id", "shopify", shopifyHeaders("customers/create"), `{"created_at":"2025-11-18T21:40:58+01:00"}`, "id: required"},
		{"refund without order", "shopify", shopifyHeaders("refunds/create"), `{"id":1,"created_at":"2025-11-18T21:40:58+01:00"}`, "order_id: required"},
		{"refund bad amount", "shopify", shopifyHeaders("refunds/create"), `{"order_id":1,"created_at":"2025-11-18T21:40:58+01:00","transactions":[{"kind":"refund","status":"success","amount":"1.00"},{"kind":"refund","status":"success","amount":"ten"}]}`, "transactions[1].amount: not a decimal amount"},
		{"no topic header", "shopify", hdrs("x-shopify-shop-domain", "a.myshopify.com", "x-shopify-event-id", "1"), `{}`, "X-Shopify-Topic: header missing"},
		{"no shop header", "shopify", hdrs("x-shopify-topic", "orders/create", "x-shopify-event-id", "1"), `{}`, "X-Shopify-Shop-Domain: header missing"},
		{"no event id", "shopify", hdrs("x-shopify-topic", "orders/create", "x-shopify-shop-domain", "a.myshopify.com"), `{}`, "X-Shopify-Event-Id: header missing"},

		{"woo malformed", "woocommerce", wooHeaders("order.created"), `{"id":`, "malformed JSON"},
		{"woo order without id", "woocommerce", wooHeaders("order.created"), `{"date_created_gmt":"2025-11-18T20:40:58","date_modified_gmt":"2025-11-18T20:40:58"}`, "id: required"},
		{"woo no modified date", "woocommerce", wooHeaders("order.updated"), `{"id":1042,"status":"processing","date_created_gmt":"2025-11-18T20:40:58"}`, "date_modified_gmt: required"},
		{"woo no created date", "woocommerce", wooHeaders("order.created"), `{"id":1042,"status":"pending","date_modified_gmt":"2025-11-18T20:40:58"}`, "date_created_gmt: required"},
		{"woo bad date", "woocommerce", wooHeaders("customer.updated"), `{"id":27,"date_modified_gmt":"20/11/2025"}`, "date_modified_gmt: not an RFC 3339 timestamp"},
		{"woo refund total", "woocommerce", wooHeaders("order.updated"), `{"id":1042,"status":"refunded","date_created_gmt":"2025-11-18T20:40:58","date_modified_gmt":"2025-11-18T20:40:58","refunds":[{"total":"-1.00"},{"total":"abc"}]}`, "refunds[1].total: not a decimal amount"},
		{"woo price exponent", "woocommerce", wooHeaders("order.created"), `{"id":1042,"date_created_gmt":"2025-11-18T20:40:58","date_modified_gmt":"2025-11-18T20:40:58","line_items":[{"name":"Mug","quantity":1,"price":1e5}]}`, "line_items[0].price: not a decimal amount"},
		{"woo bad email", "woocommerce", wooHeaders("customer.created"), `{"id":27,"email":"alice","date_created_gmt":"2025-11-18T20:40:58","date_modified_gmt":"2025-11-18T20:40:58"}`, "email: not an email address"},
		{"woo no topic", "woocommerce", hdrs("x-wc-webhook-source", "https://b.example/"), `{}`, "X-WC-Webhook-Topic: header missing"},
		{"woo no source", "woocommerce", hdrs("x-wc-webhook-topic", "order.created"), `{}`, "X-WC-Webhook-Source: header missing"},

		{"std malformed", "standard", standardHeaders(), `{"type":`, "malformed JSON"},
		{"std no type", "standard", standardHeaders(), `{"occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com"}`, "type: required"},
		{"std unknown type", "standard", standardHeaders(), `{"type":"page_viewed","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com"}`, `type: unknown event type "page_viewed" (see docs/events.md)`},
		{"std type number", "standard", standardHeaders(), `{"type":3}`, "type: expected string, got number"},
		{"std no occurred_at", "standard", standardHeaders(), `{"type":"customer_updated","email":"a@example.com"}`, "occurred_at: required"},
		{"std no identity", "standard", standardHeaders(), `{"type":"customer_updated","occurred_at":"2025-11-22T07:58:41Z"}`, "email: email or customer_id is required"},
		{"std order without order", "standard", standardHeaders(), `{"type":"order_placed","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com"}`, "order.id: required for order_placed"},
		{"std refund without amount", "standard", standardHeaders(), `{"type":"order_refunded","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","order":{"id":"1"}}`, "order.refunded: required for order_refunded"},
		{"std cart without checkout", "standard", standardHeaders(), `{"type":"cart_updated","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com"}`, "checkout.id: required for cart_updated"},
		{"std consent missing", "standard", standardHeaders(), `{"type":"consent_changed","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com"}`, "consent: required for consent_changed"},
		{"std consent state", "standard", standardHeaders(), `{"type":"consent_changed","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","consent":{"state":"yes"}}`, `consent.state: not one of "subscribed", "not_subscribed", "unsubscribed", "pending"`},
		{"std product missing", "standard", standardHeaders(), `{"type":"product_viewed","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","product":{"title":"Mug"}}`, "product.id: product.id or product.url is required for product_viewed"},
		{"std rating", "standard", standardHeaders(), `{"type":"review_submitted","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","review":{"rating":6}}`, "review.rating: not an integer from 1 to 5"},
		{"std review missing", "standard", standardHeaders(), `{"type":"review_submitted","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com"}`, "review.rating: required for review_submitted"},
		{"std currency", "standard", standardHeaders(), `{"type":"order_placed","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","order":{"id":"1","currency":"eur"}}`, "order.currency: not an ISO 4217 currency code"},
		{"std order status", "standard", standardHeaders(), `{"type":"order_paid","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","order":{"id":"1","status":"shipped"}}`, `order.status: not one of "placed", "paid", "cancelled", "refunded", "fulfilled", "delivered"`},
		{"std line item title", "standard", standardHeaders(), `{"type":"cart_updated","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","checkout":{"id":"c","line_items":[{"title":"a"},{"quantity":1}]}}`, "checkout.line_items[1].title: required"},
		{"std line item qty", "standard", standardHeaders(), `{"type":"cart_updated","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","checkout":{"id":"c","line_items":[{"title":"a","quantity":"two"}]}}`, "checkout.line_items[0].quantity: not a non-negative integer"},
		{"std device", "standard", standardHeaders(), `{"type":"customer_updated","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","touch":{"device":"watch"}}`, `touch.device: not one of "mobile", "tablet", "desktop"`},
		{"std timezone", "standard", standardHeaders(), `{"type":"customer_updated","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","customer":{"timezone":"Mars/Olympus"}}`, "customer.timezone: not an IANA time zone name"},
		{"std properties keys", "standard", standardHeaders(), `{"type":"customer_updated","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","properties":{` + manyKeys(MaxProperties+1) + `}}`, "properties: more than 50 keys"},
		{"std properties long string", "standard", standardHeaders(), `{"type":"customer_updated","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","properties":{"note":"` + long + `"}}`, "properties.note: longer than 4096 bytes"},
		{"std properties nested long string", "standard", standardHeaders(), `{"type":"customer_updated","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","properties":{"a":[1,{"b":"` + long + `"}]}}`, "properties.a[1].b: longer than 4096 bytes"},
		{"std properties two long strings: the first in key order", "standard", standardHeaders(), `{"type":"customer_updated","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","properties":{"x":{"d":"` + long + `","c":"` + long + `","b":[1,"` + long + `"]}}}`, "properties.x.b[1]: longer than 4096 bytes"},
		{"std properties not object", "standard", standardHeaders(), `{"type":"customer_updated","occurred_at":"2025-11-22T07:58:41Z","email":"a@example.com","properties":[1]}`, "properties: not a JSON object"},
		{"std too deep", "standard", standardHeaders(), `{"type":"customer_updated","properties":{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}}`, "JSON nested deeper than 32 levels"},
		{"long customer name", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"customer":{"id":5,"first_name":"` + long + `"}}`, "customer.first_name: longer than 4096 bytes"},
		{"long customer tag", "shopify", shopifyHeaders("orders/create"), `{` + okOrder + `,"customer":{"id":5,"tags":"a, ` + long + `"}}`, "customer.tags: longer than 4096 bytes"},
		{"long name on customer topic", "shopify", shopifyHeaders("customers/update"), `{"id":1,"updated_at":"2025-11-18T21:40:58+01:00","last_name":"` + long + `"}`, "last_name: longer than 4096 bytes"},
		{"std no webhook-id", "standard", hdrs("webhook-timestamp", "1"), `{}`, "webhook-id: header missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := srcs[tc.source].Decode(Request{Headers: tc.headers, Body: []byte(tc.body)})
			var in *InputError
			if !errors.As(err, &in) {
				t.Fatalf("Decode = %v, %v; want *InputError %q", evs, err, tc.want)
			}
			if err.Error() != tc.want {
				t.Fatalf("message\n got %q\nwant %q", err.Error(), tc.want)
			}
			if evs != nil {
				t.Fatalf("events returned with an error: %v", evs)
			}
		})
	}
}

func manyKeys(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"k%d":%d`, i, i)
	}
	return strings.Join(parts, ",")
}

func TestIgnored(t *testing.T) {
	srcs := devSources(t)
	cases := []struct {
		name, source string
		headers      http.Header
		body, want   string
	}{
		{"shopify unknown topic", "shopify", shopifyHeaders("products/update"), `{"id":1}`, `topic "products/update" is not used by parcours`},
		{"shopify customers/redact", "shopify", shopifyHeaders("customers/redact"), `{}`, "privacy topic customers/redact carries no touchpoint (see DecodePrivacy)"},
		{"shopify customers/data_request", "shopify", shopifyHeaders("customers/data_request"), `{}`, "privacy topic customers/data_request carries no touchpoint (see DecodePrivacy)"},
		{"shopify shop/redact", "shopify", shopifyHeaders("shop/redact"), `{}`, "privacy topic shop/redact carries no touchpoint (see DecodePrivacy)"},
		{"shopify fulfillment in transit", "shopify", shopifyHeaders("fulfillments/update"), `{"order_id":1,"shipment_status":"in_transit"}`, `fulfillment shipment_status is "in_transit", not "delivered" (fulfilment itself arrives as orders/fulfilled)`},
		{"woo unknown topic", "woocommerce", wooHeaders("coupon.created"), `{"id":1}`, `topic "coupon.created" is not used by parcours`},
		{"woo pending", "woocommerce", wooHeaders("order.updated"), `{"id":1,"status":"pending","date_modified_gmt":"2025-11-18T20:40:58"}`, `order.updated with status "pending" carries no canonical event`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := srcs[tc.source].Decode(Request{Headers: tc.headers, Body: []byte(tc.body)})
			var ig *IgnoredError
			if !errors.As(err, &ig) || err.Error() != tc.want {
				t.Fatalf("Decode error %v, want IgnoredError %q", err, tc.want)
			}
		})
	}
}

// TestIDsExact: ids beyond 2^53 survive exactly (a float64 would round
// 9007199254740993 to ...992).
func TestIDsExact(t *testing.T) {
	sh := devSources(t)["shopify"]
	body := `{"id":9007199254740993,"created_at":"2025-11-18T21:40:58+01:00","checkout_id":18446744073709551615,` +
		`"customer":{"id":5000000000001,"email":"bob@example.com"},"line_items":[{"title":"Mug","product_id":9223372036854775807,"variant_id":"44123456789012","quantity":1,"price":"0.10"}],"total_price":"0.30"}`
	evs, err := sh.Decode(Request{Headers: shopifyHeaders("orders/create"), Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	o := evs[0].Order
	got := []string{o.ID, o.CheckoutID, evs[0].CustomerID, o.LineItems[0].ProductID, o.LineItems[0].VariantID, o.LineItems[0].Price, o.Total}
	want := []string{"9007199254740993", "18446744073709551615", "5000000000001", "9223372036854775807", "44123456789012", "0.10", "0.30"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d = %q, want %q", i, got[i], want[i])
		}
	}
	if !evs[0].OccurredAt.Equal(time.Date(2025, 11, 18, 20, 40, 58, 0, time.UTC)) {
		t.Errorf("occurred_at %v", evs[0].OccurredAt)
	}
}

func TestSumDecimals(t *testing.T) {
	cases := []struct {
		in   []string
		want string
	}{
		{nil, "0"},
		{[]string{"42.90"}, "42.90"},
		{[]string{"0.10", "0.20"}, "0.30"},
		{[]string{"10.5", "0.25"}, "10.75"},
		{[]string{"99999999999999999.99", "0.01"}, "100000000000000000.00"},
	}
	for _, tc := range cases {
		if got := sumDecimals(tc.in); got != tc.want {
			t.Errorf("sumDecimals(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDeviceClass(t *testing.T) {
	cases := map[string]string{
		"": "",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148":         "mobile",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0.0.0 Mobile Safari/537.36": "mobile",
		"Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148":                  "tablet",
		"Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36":        "tablet",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36": "desktop",
	}
	for ua, want := range cases {
		if got := deviceClass(ua); got != want {
			t.Errorf("deviceClass(%q) = %q, want %q", ua, got, want)
		}
	}
}
