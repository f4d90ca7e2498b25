package profile

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/parcours/parcours/internal/touchpoint"
)

// Profile is a profile item: the View journeys read, the running totals the
// View's aggregates are derived from, and the optimistic-concurrency version.
type Profile struct {
	View    View
	Totals  Totals
	Version int64 // 0 for a profile not yet stored
}

// Totals are the sums behind the View, kept on the profile item (attribute
// "totals") so each event updates them without reading every order.
type Totals struct {
	// Orders holds, per currency, the orders that count and their net spend
	// (exact decimal strings). Each order item records what it added
	// (Order.Counted), so an order is counted once whatever its events do.
	Orders map[string]CurrencyTotal `json:"orders,omitempty"`
	// Categories counts units bought per product category.
	Categories map[string]int64 `json:"categories,omitempty"`
	// FieldAt is the time of the customer data each name field came from
	// ("first_name", "last_name", "timezone", "tags"): newer data wins field
	// by field, so the order of arrival does not matter.
	FieldAt map[string]time.Time `json:"field_at,omitempty"`
	// TouchAt is the time of the event LastTouch came from.
	TouchAt *time.Time `json:"touch_at,omitempty"`
	// CompletedCheckouts maps checkout id → when an order completed it, so a
	// checkout event arriving after its order is still marked completed.
	CompletedCheckouts map[string]time.Time `json:"completed_checkouts,omitempty"`
	// ReviewedOrders maps order id → first review, so an order stored after
	// its review still shows reviewed_at.
	ReviewedOrders map[string]time.Time `json:"reviewed_orders,omitempty"`
}

// CurrencyTotal is the count and net spend of counted orders in one currency.
type CurrencyTotal struct {
	Count int64  `json:"count"`
	Spent Amount `json:"spent"` // millionths
}

// Order is an order item: the OrderView journeys read plus what the merge
// needs to stay order-independent.
type Order struct {
	View OrderView `json:"-"`
	// DataAt is the updated_at of the order data (number, currency, total,
	// lines) in View: only newer full order data replaces it.
	DataAt     time.Time        `json:"data_at"`
	NumberAt   time.Time        `json:"number_at"`
	LinesAt    time.Time        `json:"lines_at"`
	Categories map[string]int64 `json:"categories,omitempty"` // units per category, from the newest lines
	Refunded   Amount           `json:"refunded,omitempty"`   // sum of partial refunds (each event once)
	FullRefund bool             `json:"full_refund,omitempty"`
	LastRefund *time.Time       `json:"last_refund,omitempty"`
	Counted    Contribution     `json:"counted"` // what this order adds to the profile's Totals now
}

// Contribution is what one order adds to its profile's totals.
type Contribution struct {
	Count      int64            `json:"count,omitempty"`
	Currency   string           `json:"currency,omitempty"`
	Amount     Amount           `json:"amount,omitempty"`
	Categories map[string]int64 `json:"categories,omitempty"`
}

// Policy holds the thresholds behind the derived segments.
type Policy struct {
	// ShopCurrency selects which TotalSpent entry feeds View.SpentInShopCurrency;
	// empty means "the only currency, if there is exactly one".
	ShopCurrency  string
	VIPOrders     int64         // order count from which a customer is "vip"
	VIPSpent      Amount        // spend in the shop currency from which a customer is "vip"
	InactiveAfter time.Duration // after the last order
	LostAfter     time.Duration // after the last order
}

// DefaultPolicy: vip from 10 orders or 1000 in the shop currency; inactive
// 90 days and lost 180 days after the last order.
var DefaultPolicy = Policy{
	VIPOrders:     10,
	VIPSpent:      1000 * amountScale,
	InactiveAfter: 90 * 24 * time.Hour,
	LostAfter:     180 * 24 * time.Hour,
}

// Merge folds one event into a profile and (when the event concerns an
// order) that order, with DefaultPolicy. See Policy.Merge.
func Merge(p Profile, o *Order, ev touchpoint.Event) (Profile, *Order) {
	return DefaultPolicy.Merge(p, o, ev)
}

// Merge folds one event into a profile and the order it touches (o may be
// nil when the order item does not exist yet; the returned order is nil
// when the event touches none). It is pure and order-independent: applying
// the same set of events in any order gives the same result, because every
// field is a max, a min, a newest-wins with its own timestamp, or a sum of
// per-order contributions that are replaced, never added twice. Applying
// the same event twice is not idempotent for partial refunds — the store's
// event item makes sure each delivery is merged once.
func (pol Policy) Merge(p Profile, o *Order, ev touchpoint.Event) (Profile, *Order) {
	p = p.clone()
	v := &p.View
	t := &p.Totals
	at := ev.OccurredAt.UTC()
	if v.Email == "" {
		v.Email = NormalizeEmail(ev.Email)
	}
	v.LastSeenAt = maxTime(v.LastSeenAt, at)

	if c := ev.Customer; c != nil {
		t.setField(&v.FirstName, "first_name", c.FirstName, at)
		t.setField(&v.LastName, "last_name", c.LastName, at)
		t.setField(&v.Timezone, "timezone", c.Timezone, at)
		if c.Tags != nil {
			tags := normalizeTags(c.Tags)
			cur := strings.Join(v.Tags, ",")
			if t.newer("tags", strings.Join(tags, ","), cur, at) {
				v.Tags, v.TagsOmitted = tags, c.TagsOmitted
			}
		}
	}
	if c := ev.Consent; c != nil && c.State != "" {
		in := *c
		if in.UpdatedAt.IsZero() {
			in.UpdatedAt = at
		}
		v.Consent = newerConsent(v.Consent, &in)
	}
	if tc := ev.Touch; tc != nil && *tc != (touchpoint.Touch{}) {
		if t.TouchAt == nil || at.After(*t.TouchAt) || at.Equal(*t.TouchAt) && touchKey(tc) > touchKey(v.LastTouch) {
			tcopy := *tc
			v.LastTouch, t.TouchAt = &tcopy, &at
		}
	}

	switch ev.Type {
	case touchpoint.CheckoutStarted, touchpoint.CheckoutUpdated:
		v.LastCheckoutAt = maxTime(v.LastCheckoutAt, at)
	case touchpoint.CartUpdated:
		v.LastCartAt = maxTime(v.LastCartAt, at)
	case touchpoint.ProductViewed:
		v.LastProductViewAt = maxTime(v.LastProductViewAt, at)
	case touchpoint.ReviewSubmitted:
		v.LastReviewAt = maxTime(v.LastReviewAt, at)
	}
	if c := ev.Checkout; c != nil && c.ID != "" {
		v.LastCheckout = newerCheckout(v.LastCheckout, c, at)
	}

	if ev.Type == touchpoint.ReviewSubmitted && ev.Review != nil && ev.Review.OrderID != "" {
		if prev, ok := t.ReviewedOrders[ev.Review.OrderID]; !ok || at.Before(prev) {
			if t.ReviewedOrders == nil {
				t.ReviewedOrders = map[string]time.Time{}
			}
			t.ReviewedOrders[ev.Review.OrderID] = at
			pruneNewest(t.ReviewedOrders)
		}
	}
	// A review touches its order only when the order item exists; an order
	// event creates it.
	if id, src := orderRef(ev); id != "" && (o != nil || ev.Order != nil) {
		o = mergeOrder(o, ev, src, id)
		if r, ok := t.ReviewedOrders[id]; ok {
			o.View.ReviewedAt = minTime(o.View.ReviewedAt, r)
		}
		t.apply(o.Counted, -1)
		o.Counted = t.apply(o.contribution(), +1)
		if !o.View.CreatedAt.IsZero() {
			v.FirstOrderAt = minTime(v.FirstOrderAt, o.View.CreatedAt)
			v.LastOrderAt = maxTime(v.LastOrderAt, o.View.CreatedAt)
		}
		if ev.Order != nil && ev.Order.CheckoutID != "" {
			done := o.View.CreatedAt
			if done.IsZero() {
				done = at
			}
			if prev, ok := t.CompletedCheckouts[ev.Order.CheckoutID]; !ok || done.Before(prev) {
				if t.CompletedCheckouts == nil {
					t.CompletedCheckouts = map[string]time.Time{}
				}
				t.CompletedCheckouts[ev.Order.CheckoutID] = done
				pruneNewest(t.CompletedCheckouts)
			}
		}
	} else {
		o = nil
	}
	pol.Derive(&p)
	return p, o
}

// Derive recomputes every derived View field from the rest of the profile.
func (pol Policy) Derive(p *Profile) {
	v, t := &p.View, &p.Totals
	v.Subscribed = v.Consent != nil && v.Consent.State == touchpoint.ConsentSubscribed && v.Suppressed == nil
	v.Tag = nil
	if len(v.Tags) > 0 {
		v.Tag = make(map[string]bool, len(v.Tags))
		for _, tag := range v.Tags {
			v.Tag[tag] = true
		}
	}
	if c := v.LastCheckout; c != nil && c.CompletedAt == nil {
		if done, ok := t.CompletedCheckouts[c.ID]; ok {
			cc := *c
			cc.CompletedAt = &done
			v.LastCheckout = &cc
		}
	}

	v.OrderCount, v.TotalSpent, v.AverageOrderValue, v.SpentInShopCurrency = 0, nil, nil, 0 // AOV below
	for cur, ct := range t.Orders {
		v.OrderCount += ct.Count
		if v.TotalSpent == nil {
			v.TotalSpent, v.AverageOrderValue = map[string]string{}, map[string]string{}
		}
		v.TotalSpent[cur] = ct.Spent.Format(cur)
		v.AverageOrderValue[cur] = ct.Spent.Div(ct.Count, cur).Format(cur)
	}
	shop := pol.ShopCurrency
	if shop == "" && len(t.Orders) == 1 {
		for cur := range t.Orders {
			shop = cur
		}
	}
	spent := t.Orders[shop].Spent
	v.SpentInShopCurrency = spent.Float()
	v.AOV = 0
	if n := t.Orders[shop].Count; n > 0 {
		v.AOV = spent.Div(n, shop).Float()
	}
	switch {
	case v.OrderCount == 0:
		v.Frequency = "prospect"
	case pol.VIPOrders > 0 && v.OrderCount >= pol.VIPOrders, pol.VIPSpent > 0 && spent >= pol.VIPSpent:
		v.Frequency = "vip"
	case v.OrderCount == 1:
		v.Frequency = "new"
	case v.OrderCount <= 3:
		v.Frequency = "repeat"
	default:
		v.Frequency = "loyal"
	}
	v.InactiveAt, v.LostAt = nil, nil
	if v.LastOrderAt != nil {
		in, lost := v.LastOrderAt.Add(pol.InactiveAfter), v.LastOrderAt.Add(pol.LostAfter)
		v.InactiveAt, v.LostAt = &in, &lost
	}
	v.Categories = mostBought(t.Categories)
	if len(v.Categories) > MaxViewCategories {
		v.Categories = v.Categories[:MaxViewCategories]
	}
	v.FavouriteCategory = ""
	if len(v.Categories) > 0 {
		v.FavouriteCategory = v.Categories[0]
	}
}

// orderRef names the order an event touches: its order, or the order a
// review is about. A review app is usually not the shop: Store.Apply looks
// the reviewed order up among the profile's orders whatever their source
// (preferring properties.order_source, then the review's own source).
func orderRef(ev touchpoint.Event) (id, source string) {
	if ev.Order != nil && ev.Order.ID != "" {
		return ev.Order.ID, ev.Source
	}
	if ev.Type == touchpoint.ReviewSubmitted && ev.Review != nil && ev.Review.OrderID != "" {
		src := ev.Source
		if s, ok := ev.Properties["order_source"].(string); ok && s != "" {
			src = s
		}
		return ev.Review.OrderID, src
	}
	return "", ""
}

func mergeOrder(o *Order, ev touchpoint.Event, source, id string) *Order {
	if o == nil {
		o = &Order{View: OrderView{Source: source, ID: id}}
	} else {
		c := *o
		c.Categories = maps.Clone(o.Categories)
		c.Counted.Categories = maps.Clone(o.Counted.Categories)
		o = &c
	}
	ov := &o.View
	at := ev.OccurredAt.UTC()
	if eo := ev.Order; eo != nil {
		if !eo.CreatedAt.IsZero() && (ov.CreatedAt.IsZero() || eo.CreatedAt.Before(ov.CreatedAt)) {
			ov.CreatedAt = eo.CreatedAt.UTC()
		}
		dataAt := eo.UpdatedAt.UTC()
		if dataAt.IsZero() {
			dataAt = at
		}
		if eo.Total != "" && (newerAt(o.DataAt, dataAt) || dataAt.Equal(o.DataAt) && eo.Total > ov.Total) {
			o.DataAt = dataAt
			ov.Total, ov.Currency = eo.Total, strings.ToUpper(eo.Currency)
		}
		// Number and lines come from the newest data that has them.
		if eo.Number != "" && (newerAt(o.NumberAt, dataAt) || dataAt.Equal(o.NumberAt) && eo.Number > ov.Number) {
			o.NumberAt, ov.Number = dataAt, eo.Number
		}
		if cats := lineCategories(eo.LineItems); cats != nil && (newerAt(o.LinesAt, dataAt) || dataAt.Equal(o.LinesAt) && catKey(cats) > catKey(o.Categories)) {
			o.LinesAt, o.Categories = dataAt, cats
		}
		if eo.CancelledAt != nil {
			ov.CancelledAt = minTime(ov.CancelledAt, eo.CancelledAt.UTC())
		}
		if eo.Refunded != "" {
			amt, _ := ParseAmount(eo.Refunded) // validated by Store.Apply
			o.Refunded += amt
			o.LastRefund = maxTime(o.LastRefund, at)
		}
		markStatus(o, eo.Status, at)
	}
	switch ev.Type {
	case touchpoint.OrderPlaced:
		if ov.CreatedAt.IsZero() {
			ov.CreatedAt = at
		}
	case touchpoint.OrderPaid:
		markStatus(o, touchpoint.OrderStatusPaid, at)
	case touchpoint.OrderCancelled:
		markStatus(o, touchpoint.OrderStatusCancelled, at)
	case touchpoint.OrderRefunded:
		if ev.Order == nil || ev.Order.Refunded == "" {
			markStatus(o, touchpoint.OrderStatusRefunded, at)
		}
	case touchpoint.OrderFulfilled:
		markStatus(o, touchpoint.OrderStatusFulfilled, at)
	case touchpoint.OrderDelivered:
		markStatus(o, touchpoint.OrderStatusDelivered, at)
	case touchpoint.ReviewSubmitted:
		ov.ReviewedAt = minTime(ov.ReviewedAt, at)
	}

	// A refund is full when flagged so or when partial refunds reach the total.
	ov.RefundedAt = nil
	total, _ := ParseAmount(ov.Total)
	if o.LastRefund != nil && (o.FullRefund || total > 0 && o.Refunded >= total) {
		r := *o.LastRefund
		ov.RefundedAt = &r
	}
	switch {
	case ov.RefundedAt != nil:
		ov.Status = touchpoint.OrderStatusRefunded
	case ov.CancelledAt != nil:
		ov.Status = touchpoint.OrderStatusCancelled
	case ov.DeliveredAt != nil:
		ov.Status = touchpoint.OrderStatusDelivered
	case ov.FulfilledAt != nil:
		ov.Status = touchpoint.OrderStatusFulfilled
	case ov.PaidAt != nil:
		ov.Status = touchpoint.OrderStatusPaid
	case o.placed():
		ov.Status = touchpoint.OrderStatusPlaced
	default:
		ov.Status = ""
	}
	return o
}

// markStatus records the first time an order reached a status.
func markStatus(o *Order, status string, at time.Time) {
	ov := &o.View
	switch status {
	case touchpoint.OrderStatusPaid:
		ov.PaidAt = minTime(ov.PaidAt, at)
	case touchpoint.OrderStatusCancelled:
		ov.CancelledAt = minTime(ov.CancelledAt, at)
	case touchpoint.OrderStatusRefunded:
		o.FullRefund = true
		o.LastRefund = maxTime(o.LastRefund, at)
	case touchpoint.OrderStatusFulfilled:
		ov.FulfilledAt = minTime(ov.FulfilledAt, at)
	case touchpoint.OrderStatusDelivered:
		ov.DeliveredAt = minTime(ov.DeliveredAt, at)
	}
}

func (o *Order) placed() bool { return !o.View.CreatedAt.IsZero() || o.View.Total != "" }

// contribution is what the order adds to the profile now: a placed order
// that is neither cancelled nor fully refunded counts once, for its total
// less partial refunds. A cancelled or fully refunded order leaves
// order_count, total_spent and categories.
func (o *Order) contribution() Contribution {
	ov := o.View
	if !o.placed() || ov.CancelledAt != nil || ov.RefundedAt != nil {
		return Contribution{}
	}
	total, _ := ParseAmount(ov.Total)
	net := max(total-o.Refunded, 0)
	cur := ov.Currency
	if !isCurrencyCode(cur) {
		cur = "XXX" // ISO 4217: no currency (none given, or not a code: the totals' keys stay bounded)
	}
	return Contribution{Count: 1, Currency: cur, Amount: net, Categories: maps.Clone(o.Categories)}
}

// apply adds (sign +1) or removes (-1) an order's contribution and
// returns what it added: a category the totals have no room for
// (MaxTrackedCategories, MaxCategoriesBytes) is left out of the totals
// and of the returned contribution, so removing it later subtracts
// exactly what was added.
func (t *Totals) apply(c Contribution, sign int64) Contribution {
	if c.Count == 0 && c.Amount == 0 && len(c.Categories) == 0 {
		return c
	}
	if t.Orders == nil {
		t.Orders = map[string]CurrencyTotal{}
	}
	ct := t.Orders[c.Currency]
	ct.Count += sign * c.Count
	ct.Spent += Amount(sign) * c.Amount
	if ct == (CurrencyTotal{}) {
		delete(t.Orders, c.Currency)
	} else {
		t.Orders[c.Currency] = ct
	}
	if len(c.Categories) == 0 {
		return c
	}
	if t.Categories == nil {
		t.Categories = map[string]int64{}
	}
	// New categories are taken in a fixed order (sorted), so which ones
	// fit does not depend on map iteration.
	var applied map[string]int64
	room := MaxCategoriesBytes - keysSize(t.Categories)
	for _, cat := range slices.Sorted(maps.Keys(c.Categories)) {
		n := c.Categories[cat]
		if _, ok := t.Categories[cat]; !ok {
			size := touchpoint.StringSize(cat) + 1
			if sign < 0 || len(t.Categories) >= MaxTrackedCategories || size > room {
				continue
			}
			room -= size
		}
		t.Categories[cat] += sign * n
		if t.Categories[cat] == 0 {
			delete(t.Categories, cat)
		}
		if applied == nil {
			applied = map[string]int64{}
		}
		applied[cat] = n
	}
	c.Categories = applied
	return c
}

// keysSize bounds the encoded size of a map's keys.
func keysSize[V any](m map[string]V) int {
	n := 0
	for k := range m {
		n += touchpoint.StringSize(k) + 1
	}
	return n
}

func newerAt(cur, t time.Time) bool { return cur.IsZero() || t.After(cur) }

func catKey(m map[string]int64) string {
	keys := slices.Sorted(maps.Keys(m))
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d;", k, m[k])
	}
	return b.String()
}

// lineCategories counts units per category in an order's lines: at most
// MaxOrderCategories categories (the most units first, then by name) of
// at most MaxCategoryBytes each (Shopify's product_type is at most 255
// characters; a longer one is not counted).
func lineCategories(lines []touchpoint.LineItem) map[string]int64 {
	out := map[string]int64{}
	for _, l := range lines {
		c := strings.TrimSpace(l.Category)
		if c == "" || len(c) > MaxCategoryBytes {
			continue
		}
		out[c] += max(l.Quantity, 1)
	}
	if len(out) == 0 {
		return nil
	}
	if len(out) > MaxOrderCategories {
		for _, c := range mostBought(out)[MaxOrderCategories:] {
			delete(out, c)
		}
	}
	return out
}

// mostBought lists the categories with units, most units first, then by
// name.
func mostBought(m map[string]int64) []string {
	var out []string
	for c, n := range m {
		if n > 0 {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if m[a] != m[b] {
			return m[a] > m[b]
		}
		return a < b
	})
	return out
}

// setField sets a customer field when the data is newer than what set it.
func (t *Totals) setField(dst *string, name, val string, at time.Time) {
	if val = strings.TrimSpace(val); val == "" {
		return
	}
	if t.newer(name, val, *dst, at) {
		*dst = val
	}
}

// newer says whether val, seen at at, replaces cur; it records at when so.
// Ties go to the greater value, so the outcome does not depend on order.
func (t *Totals) newer(name, val, cur string, at time.Time) bool {
	prev, ok := t.FieldAt[name]
	if ok && (at.Before(prev) || at.Equal(prev) && val <= cur) {
		return false
	}
	if t.FieldAt == nil {
		t.FieldAt = map[string]time.Time{}
	}
	t.FieldAt[name] = at
	return true
}

func normalizeTags(in []string) []string {
	out := make([]string, 0, len(in))
	for _, t := range in {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// consentRank breaks ties between consents with the same updated_at towards
// the safer state.
func consentRank(s string) int {
	switch s {
	case touchpoint.ConsentUnsubscribed:
		return 4
	case touchpoint.ConsentNotSubscribed:
		return 3
	case touchpoint.ConsentPending:
		return 2
	case touchpoint.ConsentSubscribed:
		return 1
	}
	return 0
}

func newerConsent(cur, in *touchpoint.Consent) *touchpoint.Consent {
	c := *in
	c.UpdatedAt = c.UpdatedAt.UTC()
	if cur == nil || c.UpdatedAt.After(cur.UpdatedAt) {
		return &c
	}
	if c.UpdatedAt.Equal(cur.UpdatedAt) {
		if r1, r2 := consentRank(c.State), consentRank(cur.State); r1 > r2 || r1 == r2 && c.OptInLevel > cur.OptInLevel {
			return &c
		}
	}
	return cur
}

// pruneNewest keeps the MaxRecentIDs newest entries of an id → time map
// (ties: the greater id) within MaxRecentIDsBytes of keys. The maps it
// bounds (completed checkouts, reviewed orders) only matter for events
// arriving a little out of order, so the newest are the ones needed.
func pruneNewest(m map[string]time.Time) {
	if len(m) <= MaxRecentIDs && keysSize(m) <= MaxRecentIDsBytes {
		return
	}
	ids := slices.Collect(maps.Keys(m))
	sort.Slice(ids, func(i, j int) bool {
		a, b := m[ids[i]], m[ids[j]]
		if !a.Equal(b) {
			return a.After(b)
		}
		return ids[i] > ids[j]
	})
	size := 0
	for i, id := range ids {
		size += touchpoint.StringSize(id) + 1
		if i >= MaxRecentIDs || size > MaxRecentIDsBytes {
			delete(m, id)
		}
	}
}

func newerCheckout(cur, in *touchpoint.Checkout, at time.Time) *touchpoint.Checkout {
	c := *in
	c.LineItems, c.LineItemsOmitted = touchpoint.FitLineItems(slices.Clone(in.LineItems), in.LineItemsOmitted, MaxViewLineItemsBytes)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = at
	}
	c.UpdatedAt = c.UpdatedAt.UTC()
	if cur == nil || c.UpdatedAt.After(cur.UpdatedAt) || c.UpdatedAt.Equal(cur.UpdatedAt) && c.ID > cur.ID {
		return &c
	}
	if c.ID == cur.ID && c.UpdatedAt.Equal(cur.UpdatedAt) && c.CompletedAt != nil &&
		(cur.CompletedAt == nil || c.CompletedAt.Before(*cur.CompletedAt)) {
		cc := *cur
		cc.CompletedAt = c.CompletedAt
		return &cc
	}
	return cur
}

func touchKey(t *touchpoint.Touch) string {
	if t == nil {
		return ""
	}
	return t.Channel + "\x00" + t.Device + "\x00" + t.LandingSite + "\x00" + t.ReferringSite
}

func maxTime(cur *time.Time, t time.Time) *time.Time {
	if t.IsZero() || cur != nil && !t.After(*cur) {
		return cur
	}
	t = t.UTC()
	return &t
}

func minTime(cur *time.Time, t time.Time) *time.Time {
	if t.IsZero() || cur != nil && !t.Before(*cur) {
		return cur
	}
	t = t.UTC()
	return &t
}

// clone copies everything Merge may change, so the caller's Profile is
// never modified.
func (p Profile) clone() Profile {
	p.View.Tags = slices.Clone(p.View.Tags)
	p.View.Tag = maps.Clone(p.View.Tag)
	p.View.TotalSpent = maps.Clone(p.View.TotalSpent)
	p.View.AverageOrderValue = maps.Clone(p.View.AverageOrderValue)
	p.View.Categories = slices.Clone(p.View.Categories)
	p.Totals.Orders = maps.Clone(p.Totals.Orders)
	p.Totals.Categories = maps.Clone(p.Totals.Categories)
	p.Totals.FieldAt = maps.Clone(p.Totals.FieldAt)
	p.Totals.CompletedCheckouts = maps.Clone(p.Totals.CompletedCheckouts)
	p.Totals.ReviewedOrders = maps.Clone(p.Totals.ReviewedOrders)
	return p
}

func isCurrencyCode(s string) bool {
	return len(s) == 3 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z' && 'A' <= s[2] && s[2] <= 'Z'
}
