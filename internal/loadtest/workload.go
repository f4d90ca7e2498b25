// Package loadtest drives a dev stack (internal/devstack) over loopback
// HTTP the way shops do — many signed webhooks from Shopify, WooCommerce
// and a Standard Webhooks source, concurrently, in shuffled order, with
// duplicate deliveries and retries with backoff on every 5xx — optionally
// with faults injected at the local AWS endpoints (internal/fault), and
// then checks that nothing was lost or doubled: stored events against the
// unique events, every profile against an independent oracle computed
// from the generated input, the journeys started against the set the
// trigger rules call for, and every email against the addresses that may
// receive one. `parcours loadtest` and `make loadtest` run it.
package loadtest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/parcours/parcours/internal/touchpoint"
)

// Kind is the kind of a generated event.
type Kind int

// The generated kinds: each is one delivery of one source.
const (
	ShopifyOrder    Kind = iota // Shopify orders/create → order_placed
	ShopifyCheckout             // Shopify checkouts/create → checkout_started
	WooOrder                    // WooCommerce order.created → order_placed
	StandardOrder               // Standard order_placed
	StandardConsent             // Standard consent_changed
	StandardView                // Standard product_viewed
)

var kindNames = [...]string{"shopify orders/create", "shopify checkouts/create", "woocommerce order.created",
	"standard order_placed", "standard consent_changed", "standard product_viewed"}

func (k Kind) String() string { return kindNames[k] }

// Event is one generated event, in the loadtest's own terms: what the
// oracle reads. Times are whole seconds, UTC, unique across the workload
// (so "newest" is never a tie).
type Event struct {
	Kind    Kind
	ID      string // the dedupe id the source's decoder must give it (docs/events.md)
	Email   string
	At      time.Time
	OrderID string // orders
	Money   int64  // orders: total in cents
	Curr    string // orders
	// Consent is the consent state (StandardConsent).
	Consent    string
	CheckoutID string // ShopifyCheckout
	ProductID  string // StandardView
}

// Delivery is one HTTP request a shop sends.
type Delivery struct {
	Path    string // /webhooks/<source>
	Header  http.Header
	Body    []byte
	Event   int  // index into Workload.Events
	Dup     bool // a redelivery of an earlier delivery (same headers and body)
	Attempt int  // set by the runner
}

// Workload is the generated input.
type Workload struct {
	Events     []Event
	Deliveries []Delivery // shuffled
	Profiles   []string   // every email events were generated for
	Suppressed map[string]bool
}

// Shops the deliveries come from.
const (
	ShopifyShop = "loadtest.myshopify.com"
	WooSource   = "https://woo.loadtest.example/"
	WooShop     = "woo.loadtest.example"
	StdShop     = "loadtest.example"
)

// Secrets are the signing secrets the stack checks.
type Secrets struct{ Shopify, WooCommerce, Standard string }

// Generate builds a workload of webhooks deliveries over profiles
// profiles: unique events and dupRate of the deliveries redelivering one
// of them, shuffled; signTime is the Standard Webhooks timestamp (the
// stack's clock). suppressedShare of the profiles are marked suppressed
// (the runner suppresses them before the load).
func Generate(seed int64, webhooks, profiles int, dupRate, suppressedShare float64, sec Secrets, signTime time.Time) (*Workload, error) {
	if webhooks < 1 || profiles < 1 || dupRate < 0 || dupRate >= 1 {
		return nil, fmt.Errorf("loadtest: want webhooks ≥ 1, profiles ≥ 1, 0 ≤ duplicates < 1")
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9a3c))
	dups := int(float64(webhooks) * dupRate)
	unique := webhooks - dups
	w := &Workload{Suppressed: map[string]bool{}}
	for i := range profiles {
		w.Profiles = append(w.Profiles, fmt.Sprintf("lt-%05d@load.example", i))
	}
	if suppressedShare > 0 {
		every := max(1, int(1/suppressedShare+0.5))
		for i := every / 2; i < len(w.Profiles); i += every {
			w.Suppressed[w.Profiles[i]] = true
		}
	}
	// Unique times: a permutation of 40-second slots over the last ~30
	// days before signTime.
	base := signTime.Add(-30 * 24 * time.Hour).Truncate(time.Second)
	slots := rng.Perm(unique)
	step := max(1, int(29*24*3600/unique))
	for i := range unique {
		pi := rng.IntN(profiles)
		email := w.Profiles[pi]
		at := base.Add(time.Duration(slots[i]*step) * time.Second).UTC()
		ev := Event{Email: email, At: at}
		switch r := rng.IntN(100); {
		case r < 20:
			ev.Kind = ShopifyOrder
		case r < 35:
			ev.Kind = ShopifyCheckout
		case r < 50:
			ev.Kind = WooOrder
		case r < 60:
			ev.Kind = StandardOrder
		case r < 80:
			ev.Kind = StandardConsent
		default:
			ev.Kind = StandardView
		}
		switch ev.Kind {
		case ShopifyOrder:
			ev.OrderID = strconv.Itoa(5_000_000_000_000 + i)
			ev.Curr = "EUR"
		case WooOrder:
			ev.OrderID = strconv.Itoa(100_000 + i)
			ev.Curr = "EUR"
		case StandardOrder:
			ev.OrderID = fmt.Sprintf("ord_%d", i)
			ev.Curr = "USD"
		case ShopifyCheckout:
			ev.CheckoutID = strconv.Itoa(36_000_000_000_000 + i)
		case StandardConsent:
			switch r := rng.IntN(10); {
			case r < 5:
				ev.Consent = touchpoint.ConsentSubscribed
			case r < 8:
				ev.Consent = touchpoint.ConsentUnsubscribed
			default:
				ev.Consent = touchpoint.ConsentNotSubscribed
			}
		case StandardView:
			// One product per profile: re-entry (browse-abandonment,
			// after 14 days) then starts exactly one execution whatever
			// the order of arrival.
			ev.ProductID = fmt.Sprintf("prod-%d", pi%250)
		}
		if ev.OrderID != "" {
			ev.Money = 500 + rng.Int64N(50_000)
		}
		d, err := deliver(ev, i, sec, signTime)
		if err != nil {
			return nil, err
		}
		d.Event = i
		ev.ID = eventID(ev, i)
		w.Events = append(w.Events, ev)
		w.Deliveries = append(w.Deliveries, d)
	}
	for range dups {
		d := w.Deliveries[rng.IntN(unique)]
		d.Header = d.Header.Clone()
		d.Dup = true
		w.Deliveries = append(w.Deliveries, d)
	}
	rng.Shuffle(len(w.Deliveries), func(i, j int) { w.Deliveries[i], w.Deliveries[j] = w.Deliveries[j], w.Deliveries[i] })
	return w, nil
}

// eventID is the dedupe id each source documents (docs/events.md),
// written out here from the delivery's parts.
func eventID(ev Event, i int) string {
	switch ev.Kind {
	case ShopifyOrder:
		return "shopify:" + ShopifyShop + ":orders/create:" + shopifyEventID(i)
	case ShopifyCheckout:
		return "shopify:" + ShopifyShop + ":checkouts/create:" + shopifyEventID(i)
	case WooOrder:
		return "woocommerce:" + WooShop + ":order.created:" + ev.OrderID + ":" + strconv.FormatInt(ev.At.Unix(), 10) + ":pending"
	default:
		return "standard:" + standardID(i)
	}
}

func shopifyEventID(i int) string { return fmt.Sprintf("lt-event-%08d", i) }
func standardID(i int) string     { return fmt.Sprintf("msg_lt%08d", i) }

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func shopifyCustomerID(email string) int64 {
	var n int64
	fmt.Sscanf(email, "lt-%d@", &n)
	return 7_000_000_000_000 + n
}

// deliver renders one event as its source's signed request.
func deliver(ev Event, i int, sec Secrets, signTime time.Time) (Delivery, error) {
	ts := ev.At.Format(time.RFC3339)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	var body []byte
	var path string
	switch ev.Kind {
	case ShopifyOrder, ShopifyCheckout:
		path = "/webhooks/shopify"
		cust := fmt.Sprintf(`{"id":%d,"email":%q}`, shopifyCustomerID(ev.Email), ev.Email)
		if ev.Kind == ShopifyOrder {
			h.Set("X-Shopify-Topic", "orders/create")
			body = fmt.Appendf(nil, `{"id":%s,"name":"#%d","email":%q,"created_at":%q,"updated_at":%q,"currency":%q,"subtotal_price":%q,"total_price":%q,`+
				`"source_name":"web","line_items":[{"id":%d,"product_id":812345,"title":"Stoneware Mug","quantity":1,"price":%q,"product_type":"Kitchen"}],"customer":%s}`,
				ev.OrderID, 1000+i, ev.Email, ts, ts, ev.Curr, money(ev.Money), money(ev.Money), 16_000_000+i, money(ev.Money), cust)
		} else {
			h.Set("X-Shopify-Topic", "checkouts/create")
			body = fmt.Appendf(nil, `{"id":%s,"token":"tok%d","email":%q,"created_at":%q,"updated_at":%q,"currency":"EUR","subtotal_price":"37.00","total_price":"37.00",`+
				`"abandoned_checkout_url":"https://loadtest.myshopify.com/checkouts/ac/tok%d/recover","line_items":[{"id":%d,"product_id":812345,"title":"Stoneware Mug","quantity":2,"price":"18.50","product_type":"Kitchen"}],"customer":%s}`,
				ev.CheckoutID, i, ev.Email, ts, ts, i, 17_000_000+i, cust)
		}
		h.Set("X-Shopify-Shop-Domain", ShopifyShop)
		h.Set("X-Shopify-Event-Id", shopifyEventID(i))
		h.Set("X-Shopify-Webhook-Id", fmt.Sprintf("lt-webhook-%08d", i))
		h.Set("X-Shopify-Api-Version", "2025-07")
		h.Set("X-Shopify-Hmac-Sha256", touchpoint.SignHMAC(sec.Shopify, body))
	case WooOrder:
		path = "/webhooks/woocommerce"
		gmt := ev.At.Format("2006-01-02T15:04:05")
		body = fmt.Appendf(nil, `{"id":%s,"status":"pending","currency":%q,"date_created_gmt":%q,"date_modified_gmt":%q,"total":%q,"customer_id":%d,"number":%q,`+
			`"billing":{"email":%q},"created_via":"checkout","line_items":[{"id":%d,"name":"Cast Iron Teapot","product_id":88,"quantity":1,"price":%s,"sku":"POT"}]}`,
			ev.OrderID, ev.Curr, gmt, gmt, money(ev.Money), shopifyCustomerID(ev.Email)-7_000_000_000_000+200_000, ev.OrderID, ev.Email, 300_000+i, money(ev.Money))
		h.Set("X-WC-Webhook-Topic", "order.created")
		h.Set("X-WC-Webhook-Resource", "order")
		h.Set("X-WC-Webhook-Event", "created")
		h.Set("X-WC-Webhook-Source", WooSource)
		h.Set("X-WC-Webhook-ID", "12")
		h.Set("X-WC-Webhook-Delivery-ID", fmt.Sprintf("lt%08d", i))
		h.Set("X-WC-Webhook-Signature", touchpoint.SignHMAC(sec.WooCommerce, body))
	default:
		path = "/webhooks/standard"
		switch ev.Kind {
		case StandardOrder:
			body = fmt.Appendf(nil, `{"type":"order_placed","occurred_at":%q,"email":%q,"shop":%q,"order":{"id":%q,"currency":%q,"total":%q,"created_at":%q,`+
				`"line_items":[{"title":"Linen Apron","quantity":1,"price":%q,"category":"Textiles"}]}}`,
				ts, ev.Email, StdShop, ev.OrderID, ev.Curr, money(ev.Money), ts, money(ev.Money))
		case StandardConsent:
			body = fmt.Appendf(nil, `{"type":"consent_changed","occurred_at":%q,"email":%q,"shop":%q,"consent":{"state":%q,"opt_in_level":"single_opt_in","updated_at":%q}}`,
				ts, ev.Email, StdShop, ev.Consent, ts)
		case StandardView:
			body = fmt.Appendf(nil, `{"type":"product_viewed","occurred_at":%q,"email":%q,"shop":%q,"product":{"id":%q,"title":"Product %s","url":"https://loadtest.example/products/%s","price":"20.00","currency":"EUR"}}`,
				ts, ev.Email, StdShop, ev.ProductID, ev.ProductID, ev.ProductID)
		}
		id := standardID(i)
		sig, err := touchpoint.SignStandard(sec.Standard, id, signTime, body)
		if err != nil {
			return Delivery{}, fmt.Errorf("sign standard webhook: %w", err)
		}
		h.Set("Webhook-Id", id)
		h.Set("Webhook-Timestamp", strconv.FormatInt(signTime.Unix(), 10))
		h.Set("Webhook-Signature", sig)
	}
	return Delivery{Path: path, Header: h, Body: body}, nil
}
