// Package loadtest drives a dev stack (internal/devstack) over loopback
// HTTP the way shops do — many signed webhooks from Shopify, WooCommerce
// and a Standard Webhooks source, concurrently, in shuffled order, with
// duplicate deliveries and retries with backoff on every 5xx — optionally
// with faults injected at the local AWS endpoints (internal/fault), and
// then checks that nothing was lost or doubled: stored events against the
// unique events, every profile against an independent oracle computed
// from the generated input, the journeys started against the set the
// trigger rules call for, and the emails against who must and who may
// receive one (oracle.go, Welcomes). `parcours loadtest` and
// `make loadtest` run it.
package loadtest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
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
	// Customer data the delivery carries ("" or nil: not sent). Tags are
	// as sent, before any trimming or de-duplication.
	FirstName, LastName, Timezone string
	Tags                          []string
	// Lines are an order's line items with a product category
	// (ShopifyOrder, StandardOrder; WooCommerce lines have none).
	Lines []Line
	// Channel is the touch channel the delivery carries: Shopify's
	// source_name, WooCommerce's created_via as docs/events.md maps it.
	Channel string
	// Reject is the reason of the 400 the delivery must get ("": stored).
	Reject string
}

// Line is one order line: Qty units of a product of Category.
type Line struct {
	Category string
	Qty      int64
}

// Limits the workload probes (docs/events.md): MaxTags tags are accepted,
// one more is a 400 naming the field.
const MaxTags = 250

var (
	firstNames = []string{"Alice", "Bob", "Chloé", "Dmitri", "Emeka", "Fatima", "  Grace  ", "Hiro"}
	lastNames  = []string{"Martin", "Smith", "Nguyen", "O'Brien", "Müller", "Rossi"}
	tagPool    = []string{"vip", "newsletter", "wholesale", "b2b", "returning", "gift", "eu", "us", "tea-lover", "pottery"}
	categories = []string{"Kitchen", "Textiles", "Tea", "Garden"}
	timezones  = []string{"Europe/Paris", "Europe/London"} // 12:00 UTC is outside their quiet hours
)

// customerData gives ev the customer fields its source can carry: names
// on 60% of events, tags on 30% (Shopify and Standard; 1 in 200 of those
// carries exactly MaxTags tags, 1 in 200 one more, which ingest rejects),
// a time zone on 30% of Standard events.
func customerData(rng *rand.Rand, ev *Event) {
	if rng.IntN(10) < 6 {
		ev.FirstName = firstNames[rng.IntN(len(firstNames))]
		if rng.IntN(4) > 0 {
			ev.LastName = lastNames[rng.IntN(len(lastNames))]
		}
	}
	if ev.Kind == WooOrder {
		return
	}
	if rng.IntN(10) < 3 {
		switch r := rng.IntN(200); r {
		case 0, 1:
			n := MaxTags + r
			ev.Tags = make([]string, n)
			for i := range n {
				ev.Tags[i] = fmt.Sprintf("t%03d", i)
			}
			if r == 1 {
				ev.Reject = "customer.tags: more than 250 tags"
			}
		default:
			for range 1 + rng.IntN(4) {
				t := tagPool[rng.IntN(len(tagPool))]
				if rng.IntN(5) == 0 {
					t = " " + t + " " // trimmed by the decoder
				}
				ev.Tags = append(ev.Tags, t) // duplicates possible: de-duplicated by the merge
			}
		}
	}
	if ev.Kind >= StandardOrder && rng.IntN(10) < 3 {
		ev.Timezone = timezones[rng.IntN(len(timezones))]
	}
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
		switch ev.Kind {
		case ShopifyOrder, StandardOrder:
			for range 1 + rng.IntN(2) {
				ev.Lines = append(ev.Lines, Line{Category: categories[rng.IntN(len(categories))], Qty: 1 + rng.Int64N(3)})
			}
		}
		switch ev.Kind {
		case ShopifyOrder:
			ev.Channel = [...]string{"web", "pos"}[rng.IntN(2)]
		case ShopifyCheckout:
			ev.Channel = "web"
		case WooOrder:
			ev.Channel = [...]string{"web", "api"}[rng.IntN(2)]
		}
		customerData(rng, &ev)
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
		cust := mustJSON(shopifyCustomer{ID: shopifyCustomerID(ev.Email), Email: ev.Email, FirstName: ev.FirstName, LastName: ev.LastName, Tags: strings.Join(ev.Tags, ",")})
		if ev.Kind == ShopifyOrder {
			h.Set("X-Shopify-Topic", "orders/create")
			var lines []map[string]any
			for j, l := range ev.Lines {
				lines = append(lines, map[string]any{"id": 16_000_000 + 10*i + j, "product_id": 812345 + j, "title": "Stoneware Mug", "quantity": l.Qty, "price": "10.00", "product_type": l.Category})
			}
			body = fmt.Appendf(nil, `{"id":%s,"name":"#%d","email":%q,"created_at":%q,"updated_at":%q,"currency":%q,"subtotal_price":%q,"total_price":%q,`+
				`"source_name":%q,"line_items":%s,"customer":%s}`,
				ev.OrderID, 1000+i, ev.Email, ts, ts, ev.Curr, money(ev.Money), money(ev.Money), ev.Channel, mustJSON(lines), cust)
		} else {
			h.Set("X-Shopify-Topic", "checkouts/create")
			body = fmt.Appendf(nil, `{"id":%s,"token":"tok%d","email":%q,"created_at":%q,"updated_at":%q,"currency":"EUR","subtotal_price":"37.00","total_price":"37.00","source_name":%q,`+
				`"abandoned_checkout_url":"https://loadtest.myshopify.com/checkouts/ac/tok%d/recover","line_items":[{"id":%d,"product_id":812345,"title":"Stoneware Mug","quantity":2,"price":"18.50","product_type":"Kitchen"}],"customer":%s}`,
				ev.CheckoutID, i, ev.Email, ts, ts, ev.Channel, i, 17_000_000+i, cust)
		}
		h.Set("X-Shopify-Shop-Domain", ShopifyShop)
		h.Set("X-Shopify-Event-Id", shopifyEventID(i))
		h.Set("X-Shopify-Webhook-Id", fmt.Sprintf("lt-webhook-%08d", i))
		h.Set("X-Shopify-Api-Version", "2025-07")
		h.Set("X-Shopify-Hmac-Sha256", touchpoint.SignHMAC(sec.Shopify, body))
	case WooOrder:
		path = "/webhooks/woocommerce"
		gmt := ev.At.Format("2006-01-02T15:04:05")
		via := map[string]string{"web": "checkout", "api": "rest-api"}[ev.Channel]
		billing := mustJSON(wooBilling{Email: ev.Email, FirstName: ev.FirstName, LastName: ev.LastName})
		body = fmt.Appendf(nil, `{"id":%s,"status":"pending","currency":%q,"date_created_gmt":%q,"date_modified_gmt":%q,"total":%q,"customer_id":%d,"number":%q,`+
			`"billing":%s,"created_via":%q,"line_items":[{"id":%d,"name":"Cast Iron Teapot","product_id":88,"quantity":1,"price":%s,"sku":"POT"}]}`,
			ev.OrderID, ev.Curr, gmt, gmt, money(ev.Money), shopifyCustomerID(ev.Email)-7_000_000_000_000+200_000, ev.OrderID, billing, via, 300_000+i, money(ev.Money))
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
			var lines []map[string]any
			for _, l := range ev.Lines {
				lines = append(lines, map[string]any{"title": "Linen Apron", "quantity": l.Qty, "price": "10.00", "category": l.Category})
			}
			body = fmt.Appendf(nil, `{"type":"order_placed","occurred_at":%q,"email":%q,"shop":%q,"order":{"id":%q,"currency":%q,"total":%q,"created_at":%q,`+
				`"line_items":%s}}`,
				ts, ev.Email, StdShop, ev.OrderID, ev.Curr, money(ev.Money), ts, mustJSON(lines))
		case StandardConsent:
			body = fmt.Appendf(nil, `{"type":"consent_changed","occurred_at":%q,"email":%q,"shop":%q,"consent":{"state":%q,"opt_in_level":"single_opt_in","updated_at":%q}}`,
				ts, ev.Email, StdShop, ev.Consent, ts)
		case StandardView:
			body = fmt.Appendf(nil, `{"type":"product_viewed","occurred_at":%q,"email":%q,"shop":%q,"product":{"id":%q,"title":"Product %s","url":"https://loadtest.example/products/%s","price":"20.00","currency":"EUR"}}`,
				ts, ev.Email, StdShop, ev.ProductID, ev.ProductID, ev.ProductID)
		}
		if c := (standardCustomer{FirstName: ev.FirstName, LastName: ev.LastName, Timezone: ev.Timezone, Tags: ev.Tags}); c.FirstName != "" || c.LastName != "" || c.Timezone != "" || c.Tags != nil {
			// Add "customer" to the object: the body ends with "}".
			body = append(append(body[:len(body)-1], `,"customer":`...), append(mustJSON(c), '}')...)
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

type shopifyCustomer struct {
	ID        int64  `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Tags      string `json:"tags,omitempty"` // Shopify's comma-separated string
}

type wooBilling struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

type standardCustomer struct {
	FirstName string   `json:"first_name,omitempty"`
	LastName  string   `json:"last_name,omitempty"`
	Timezone  string   `json:"timezone,omitempty"`
	Tags      []string `json:"tags,omitempty"`
}

// mustJSON encodes values that always encode (strings, numbers, maps of
// them).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("loadtest: encode %T: %v", v, err))
	}
	return b
}
