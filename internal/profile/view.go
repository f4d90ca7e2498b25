// Package profile stores customer profiles, their aliases, orders and the
// touchpoint events that built them, in one DynamoDB table.
package profile

import (
	"strings"
	"time"

	"github.com/parcours/parcours/internal/touchpoint"
)

// Table keys. Every item has a string partition key "pk" and sort key "sk".
// docs/architecture.md documents every item shape.
const (
	AttrPK   = "pk"
	AttrSK   = "sk"
	AttrView = "view" // JSON string: the View (profile) or OrderView (order)
	AttrTTL  = "ttl"  // epoch seconds, the table's TTL attribute

	SKProfile = "PROFILE"
	SKEvent   = "EVENT"
	SKAlias   = "ALIAS"
)

// NormalizeEmail is the identity rule: trimmed and lower-cased.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ProfilePK is the partition key of a profile and of the items that belong to
// it (orders, journey entries).
func ProfilePK(email string) string { return "PROFILE#" + email }

// OrderSK is the sort key of an order item under its profile.
func OrderSK(source, orderID string) string { return "ORDER#" + source + "#" + orderID }

// EventPK is the partition key of an event item (its dedupe key).
func EventPK(eventID string) string { return "EVENT#" + eventID }

// AliasPK is the partition key of an alias: a platform customer id that
// resolves to a profile's email.
func AliasPK(source, shop, customerID string) string {
	return "ALIAS#" + source + "#" + shop + "#" + customerID
}

// View is the profile as journeys see it. It is stored as JSON in the
// profile item's "view" attribute; a compiled journey reads it with the
// dynamodb:getItem integration and States.StringToJson, and its Choice rules
// test these fields ($.profile.<field>). Timestamps are RFC 3339 UTC, so
// Timestamp* comparators work on them. Absent means unknown.
type View struct {
	Email     string              `json:"email"`
	FirstName string              `json:"first_name,omitempty"`
	LastName  string              `json:"last_name,omitempty"`
	Timezone  string              `json:"timezone,omitempty"`
	Consent   *touchpoint.Consent `json:"consent,omitempty"`
	// Subscribed is true when Consent.State is "subscribed" and the address is
	// not suppressed: the one flag a journey needs to decide it may email.
	Subscribed bool         `json:"subscribed"`
	Suppressed *Suppression `json:"suppressed,omitempty"`
	Tags       []string     `json:"tags,omitempty"`
	// Tag has one key per tag with value true, so a Choice rule can test
	// membership with IsPresent on $.profile.tag.<name>.
	Tag map[string]bool `json:"tag,omitempty"`

	OrderCount        int64             `json:"order_count"`
	TotalSpent        map[string]string `json:"total_spent,omitempty"`         // currency → decimal string
	AverageOrderValue map[string]string `json:"average_order_value,omitempty"` // currency → decimal string
	// SpentInShopCurrency is the total spent in the shop's main currency as a
	// number, for numeric Choice rules (VIP by spend).
	SpentInShopCurrency float64 `json:"spent,omitempty"`
	// AOV is the average order value in the shop's main currency as a number,
	// for the journey condition {aov: {at_least: 80}}.
	AOV          float64    `json:"aov,omitempty"`
	FirstOrderAt *time.Time `json:"first_order_at,omitempty"`
	LastOrderAt  *time.Time `json:"last_order_at,omitempty"`

	// Behavioural segments. Frequency is derived at write time from order
	// count and spend: "prospect" (no order), "new" (1), "repeat" (2–3),
	// "loyal" (4+), "vip" (spend or order count over the VIP thresholds).
	// Recency needs the current time, so the view carries the moments it
	// changes: a customer is "active" before InactiveAt, "inactive" from
	// InactiveAt and "lost" from LostAt (last order + 90 and + 180 days by
	// default). A Choice rule compares them with $$.State.EnteredTime.
	Frequency         string               `json:"frequency"`
	InactiveAt        *time.Time           `json:"inactive_at,omitempty"`
	LostAt            *time.Time           `json:"lost_at,omitempty"`
	Categories        []string             `json:"categories,omitempty"` // product types bought, most bought first
	FavouriteCategory string               `json:"favourite_category,omitempty"`
	LastTouch         *touchpoint.Touch    `json:"last_touch,omitempty"`
	LastCheckout      *touchpoint.Checkout `json:"last_checkout,omitempty"`
	LastCheckoutAt    *time.Time           `json:"last_checkout_at,omitempty"`     // last checkout_started/updated
	LastCartAt        *time.Time           `json:"last_cart_at,omitempty"`         // last cart_updated
	LastProductViewAt *time.Time           `json:"last_product_view_at,omitempty"` // last product_viewed
	LastReviewAt      *time.Time           `json:"last_review_at,omitempty"`
	LastSeenAt        *time.Time           `json:"last_seen_at,omitempty"`
	CreatedAt         time.Time            `json:"created_at"`
	UpdatedAt         time.Time            `json:"updated_at"`
}

// Suppression says the address must not be emailed, and why.
type Suppression struct {
	Reason string    `json:"reason"` // "bounce", "complaint", "manual"
	At     time.Time `json:"at"`
}

// OrderView is an order as journeys see it (pk ProfilePK, sk OrderSK, JSON
// in "view"). Review-request and win-back journeys read it to exit when the
// order was cancelled or refunded.
type OrderView struct {
	Source      string     `json:"source"`
	ID          string     `json:"id"`
	Number      string     `json:"number,omitempty"`
	Status      string     `json:"status"`
	Currency    string     `json:"currency,omitempty"`
	Total       string     `json:"total,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	PaidAt      *time.Time `json:"paid_at,omitempty"`
	CancelledAt *time.Time `json:"cancelled_at,omitempty"`
	RefundedAt  *time.Time `json:"refunded_at,omitempty"`
	FulfilledAt *time.Time `json:"fulfilled_at,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	ReviewedAt  *time.Time `json:"reviewed_at,omitempty"`
}
