// Package profile stores customer profiles, their aliases, orders and the
// touchpoint events that built them, in one DynamoDB table.
package profile

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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
	// TagsOmitted counts the tags the size budgets dropped (the event's
	// customer.tags_omitted, plus any the view's own budget dropped).
	TagsOmitted int `json:"tags_omitted,omitempty"`
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

// Size budgets of the profile and order items (docs/events.md, Size
// budgets). A DynamoDB item is at most 400 KB, and a journey's
// dynamodb:getItem result (the whole profile item, view and totals
// escaped once more inside it) and its state (the execution input with
// the trigger event, plus the view) are at most 256 KiB each. With the
// event at most touchpoint.MaxEventBytes, these keep every one under its
// limit with margin, however many events and orders a customer has.
const (
	// MaxViewBytes bounds the encoded view. Within the budgets below a
	// real view stays far under it; past it (names, URLs and tags of
	// thousands of escaped characters) ShrinkView drops the least needed
	// parts, in a fixed order.
	MaxViewBytes = 64 << 10
	// MaxViewLineItemsBytes bounds the line items the view keeps of the
	// last checkout (templates show the first few, from the trigger);
	// the rest are counted in last_checkout.line_items_omitted.
	MaxViewLineItemsBytes = 16 << 10
	// MaxCategoryBytes: a longer product category is not counted
	// (Shopify's product_type is at most 255 characters).
	MaxCategoryBytes = 255
	// MaxOrderCategories bounds the categories one order counts (the most
	// units first).
	MaxOrderCategories = 25
	// MaxTrackedCategories and MaxCategoriesBytes bound the categories the
	// profile's totals count; a category first seen when they are full is
	// not counted (each order records what it added, so the sums stay
	// exact for the categories kept).
	MaxTrackedCategories = 100
	MaxCategoriesBytes   = 8 << 10
	// MaxViewCategories bounds the view's categories list (most bought
	// first).
	MaxViewCategories = 50
	// MaxRecentIDs and MaxRecentIDsBytes bound the totals' maps of
	// completed checkouts and reviewed orders: the newest are kept.
	MaxRecentIDs      = 50
	MaxRecentIDsBytes = 8 << 10
)

// ShrinkView returns v within MaxViewBytes (and its encoding), dropping
// in this order only as much as needed: the last checkout's line items,
// the last touch's landing and referring sites, the last checkout's
// token and recovery URL, the tags (counted in tags_omitted), the last
// touch, the last checkout, names beyond 255 bytes and a time zone
// longer than any IANA name, categories beyond the first ten.
func ShrinkView(v View) (View, []byte, error) {
	steps := []func(*View){
		func(v *View) {
			if c := v.LastCheckout; c != nil && len(c.LineItems) > 0 {
				cc := *c
				cc.LineItems, cc.LineItemsOmitted = nil, c.LineItemsOmitted+len(c.LineItems)
				v.LastCheckout = &cc
			}
		},
		func(v *View) {
			if t := v.LastTouch; t != nil {
				tc := *t
				tc.LandingSite, tc.ReferringSite = "", ""
				v.LastTouch = &tc
			}
		},
		func(v *View) {
			if c := v.LastCheckout; c != nil {
				cc := *c
				cc.Token, cc.RecoveryURL = "", ""
				v.LastCheckout = &cc
			}
		},
		func(v *View) {
			v.TagsOmitted += len(v.Tags)
			v.Tags, v.Tag = nil, nil
		},
		func(v *View) { v.LastTouch = nil },
		func(v *View) { v.LastCheckout = nil },
		func(v *View) {
			v.FirstName, v.LastName = cutUTF8(v.FirstName, 255), cutUTF8(v.LastName, 255)
			if len(v.Timezone) > 64 {
				v.Timezone = ""
			}
		},
		func(v *View) {
			if len(v.Categories) > 10 {
				v.Categories = v.Categories[:10]
			}
		},
	}
	for i := 0; ; i++ {
		b, err := json.Marshal(v)
		if err != nil {
			return View{}, nil, fmt.Errorf("encode profile view: %w", err)
		}
		if len(b) <= MaxViewBytes || i == len(steps) {
			return v, b, nil
		}
		steps[i](&v)
	}
}

// cutUTF8 cuts s to at most n bytes, at a character boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
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
