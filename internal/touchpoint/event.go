// Package touchpoint turns signed webhooks from shops (Shopify, WooCommerce,
// and any Standard Webhooks source) into one canonical Event.
package touchpoint

import (
	"net/http"
	"time"
)

// Type is a canonical event type. Journeys trigger on these names.
type Type string

// The canonical event types. docs/architecture.md documents each one.
const (
	CheckoutStarted Type = "checkout_started"
	CheckoutUpdated Type = "checkout_updated"
	OrderPlaced     Type = "order_placed"
	OrderPaid       Type = "order_paid"
	OrderCancelled  Type = "order_cancelled"
	OrderRefunded   Type = "order_refunded"
	OrderFulfilled  Type = "order_fulfilled"
	OrderDelivered  Type = "order_delivered"
	CustomerCreated Type = "customer_created"
	CustomerUpdated Type = "customer_updated"
	ConsentChanged  Type = "consent_changed"
	ProductViewed   Type = "product_viewed"
	CartUpdated     Type = "cart_updated"
	ReviewSubmitted Type = "review_submitted"
)

// Types lists every canonical type, in documentation order.
var Types = []Type{
	CheckoutStarted, CheckoutUpdated, CartUpdated,
	OrderPlaced, OrderPaid, OrderCancelled, OrderRefunded, OrderFulfilled, OrderDelivered,
	CustomerCreated, CustomerUpdated, ConsentChanged,
	ProductViewed, ReviewSubmitted,
}

// Event is one canonical touchpoint. It is what the event item stores, what
// the router matches journey triggers on, and (as "trigger") what a journey
// execution receives as input. Timestamps are RFC 3339 in UTC. Money is a
// decimal string (never a float) with its ISO 4217 currency. Platform ids are
// strings (Shopify ids are 64-bit and must never pass through float64).
type Event struct {
	// ID is the dedupe key, unique per delivery of the same event from the
	// same source, e.g. "shopify:my-shop.myshopify.com:orders/create:<X-Shopify-Event-Id>".
	ID         string    `json:"id"`
	Source     string    `json:"source"`          // "shopify", "woocommerce", "standard"
	Shop       string    `json:"shop,omitempty"`  // shop domain or source-defined account
	Topic      string    `json:"topic,omitempty"` // the source's own topic name
	WebhookID  string    `json:"webhook_id,omitempty"`
	Type       Type      `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`

	// Identity: Email is normalized (trimmed, lower-cased). CustomerID is the
	// platform's customer id, resolved to an email through alias items.
	Email      string `json:"email,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`

	Customer *Customer `json:"customer,omitempty"`
	Consent  *Consent  `json:"consent,omitempty"`
	Checkout *Checkout `json:"checkout,omitempty"`
	Order    *Order    `json:"order,omitempty"`
	Product  *Product  `json:"product,omitempty"`
	Review   *Review   `json:"review,omitempty"`
	Touch    *Touch    `json:"touch,omitempty"`

	// Properties are free-form fields from generic sources.
	Properties map[string]any `json:"properties,omitempty"`
}

// Customer holds the person's details as the source knows them.
type Customer struct {
	FirstName string   `json:"first_name,omitempty"`
	LastName  string   `json:"last_name,omitempty"`
	Phone     string   `json:"phone,omitempty"`
	Timezone  string   `json:"timezone,omitempty"` // IANA name
	Tags      []string `json:"tags,omitempty"`
	// TagsOmitted counts the tags dropped by the size budget (longer than
	// MaxTagChars, or past MaxTagsBytes).
	TagsOmitted int `json:"tags_omitted,omitempty"`
}

// Consent states.
const (
	ConsentSubscribed    = "subscribed"
	ConsentNotSubscribed = "not_subscribed"
	ConsentUnsubscribed  = "unsubscribed"
	ConsentPending       = "pending"
)

// Consent is the email marketing consent. UpdatedAt orders consent changes
// independently of the event that carried them.
type Consent struct {
	State      string    `json:"state"`
	OptInLevel string    `json:"opt_in_level,omitempty"` // single_opt_in, confirmed_opt_in, unknown
	UpdatedAt  time.Time `json:"updated_at"`
}

// Money is an exact amount: a decimal string such as "129.90" and a currency.
type Money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// LineItem is one product line of a cart or order.
type LineItem struct {
	ProductID   string `json:"product_id,omitempty"`
	VariantID   string `json:"variant_id,omitempty"`
	SKU         string `json:"sku,omitempty"`
	Title       string `json:"title"`
	VariantName string `json:"variant_title,omitempty"`
	Quantity    int64  `json:"quantity"`
	Price       string `json:"price"` // unit price, decimal string
	ImageURL    string `json:"image_url,omitempty"`
	URL         string `json:"url,omitempty"`
	Category    string `json:"category,omitempty"` // Shopify product_type
}

// Checkout is a cart that reached checkout.
type Checkout struct {
	ID          string     `json:"id"`
	Token       string     `json:"token,omitempty"`
	RecoveryURL string     `json:"recovery_url,omitempty"`
	Currency    string     `json:"currency,omitempty"`
	Subtotal    string     `json:"subtotal,omitempty"`
	Total       string     `json:"total,omitempty"`
	LineItems   []LineItem `json:"line_items,omitempty"`
	// LineItemsOmitted counts the line items dropped by the size budget
	// (MaxLineItemsBytes): a template can say "and 3 more".
	LineItemsOmitted int        `json:"line_items_omitted,omitempty"`
	UpdatedAt        time.Time  `json:"updated_at"`
	CompletedAt      *time.Time `json:"completed_at,omitempty"`
}

// Order statuses as tracked on the order item.
const (
	OrderStatusPlaced    = "placed"
	OrderStatusPaid      = "paid"
	OrderStatusCancelled = "cancelled"
	OrderStatusRefunded  = "refunded"
	OrderStatusFulfilled = "fulfilled"
	OrderStatusDelivered = "delivered"
)

// Order is an order and what happened to it.
type Order struct {
	ID         string     `json:"id"`
	Number     string     `json:"number,omitempty"`
	CheckoutID string     `json:"checkout_id,omitempty"`
	Currency   string     `json:"currency,omitempty"`
	Total      string     `json:"total,omitempty"`
	Status     string     `json:"status,omitempty"`
	LineItems  []LineItem `json:"line_items,omitempty"`
	// LineItemsOmitted counts the line items dropped by the size budget.
	LineItemsOmitted int        `json:"line_items_omitted,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	CancelledAt      *time.Time `json:"cancelled_at,omitempty"`
	Refunded         string     `json:"refunded,omitempty"` // amount refunded by this event
}

// Product is a product a shopper looked at.
type Product struct {
	ID       string `json:"id,omitempty"`
	Title    string `json:"title,omitempty"`
	URL      string `json:"url,omitempty"`
	ImageURL string `json:"image_url,omitempty"`
	Category string `json:"category,omitempty"`
	Price    string `json:"price,omitempty"`
	Currency string `json:"currency,omitempty"`
}

// Review is a product or order review.
type Review struct {
	ID        string `json:"id,omitempty"`
	OrderID   string `json:"order_id,omitempty"`
	ProductID string `json:"product_id,omitempty"`
	Rating    int    `json:"rating,omitempty"`
}

// Touch is where the touchpoint came from, for channel and device segments.
type Touch struct {
	Channel       string `json:"channel,omitempty"` // e.g. "web", "pos", "app", Shopify source_name
	LandingSite   string `json:"landing_site,omitempty"`
	ReferringSite string `json:"referring_site,omitempty"`
	Device        string `json:"device,omitempty"` // "mobile", "tablet", "desktop"
}

// Request is a webhook as the ingest handler sees it: headers with
// lower-cased names (as API Gateway delivers them) and the raw body, already
// base64-decoded when the gateway encoded it.
type Request struct {
	Headers http.Header // canonicalized by http.Header; look up with Get
	Body    []byte
}

// Source verifies and decodes one kind of webhook.
type Source interface {
	// Name is the path segment of POST /webhooks/{source}.
	Name() string
	// Verify checks the signature over the raw body. It returns
	// ErrBadSignature for every failure, without saying which part failed.
	Verify(r Request) error
	// Decode turns a verified request into canonical events. It returns
	// *IgnoredError for topics parcours does not use (answered 202) and
	// *InputError for a malformed body (answered 400, naming the field).
	// Pings (WooCommerce's webhook_id=N) return no events and no error.
	Decode(r Request) ([]Event, error)
}
