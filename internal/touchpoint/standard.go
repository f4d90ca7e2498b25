package touchpoint

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// StandardTolerance is how far webhook-timestamp may be from the receiver's
// clock, either way, before a delivery is rejected as a replay.
const StandardTolerance = 5 * time.Minute

// Standard verifies and decodes Standard Webhooks (standardwebhooks.com)
// carrying parcours's generic JSON event: any storefront, review app or
// custom source. docs/events.md documents the body.
//
// Headers: webhook-id, webhook-timestamp (Unix seconds) and
// webhook-signature ("v1,<base64>", several space-separated during a
// rotation). The signed content is id + "." + timestamp + "." + body,
// with HMAC-SHA256 keyed by the base64 part of the "whsec_" secret.
type Standard struct {
	keys []*macKey
	// Now is the clock the timestamp tolerance is checked against.
	Now func() time.Time
}

// NewStandard takes the "whsec_..." secret, or "old,new" during a rotation,
// and the clock (time.Now in production).
func NewStandard(secrets string, now func() time.Time) (*Standard, error) {
	list, err := splitSecrets("standard", secrets)
	if err != nil {
		return nil, err
	}
	if now == nil {
		return nil, errors.New("standard: clock is nil")
	}
	s := &Standard{Now: now}
	for i, sec := range list {
		k, err := standardKey(sec)
		if err != nil {
			return nil, fmt.Errorf("standard: secret %d: %w", i+1, err)
		}
		s.keys = append(s.keys, newMACKey(k))
	}
	return s, nil
}

func standardKey(secret string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return nil, errors.New(`not "whsec_" followed by base64`)
	}
	if len(k) == 0 {
		return nil, errors.New("empty key")
	}
	return k, nil
}

// SignStandard returns the webhook-signature value ("v1,<base64>") for a
// delivery: tests and senders use it.
func SignStandard(secret, id string, ts time.Time, body []byte) (string, error) {
	k, err := standardKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(standardMAC(k, id, strconv.FormatInt(ts.Unix(), 10), body)), nil
}

func standardMAC(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Name implements Source.
func (*Standard) Name() string { return "standard" }

// Verify implements Source.
func (s *Standard) Verify(r Request) error {
	id := r.Headers.Get("Webhook-Id")
	ts := r.Headers.Get("Webhook-Timestamp")
	sigs := r.Headers.Get("Webhook-Signature")
	if id == "" || len(id) > 255 || ts == "" || sigs == "" {
		return ErrBadSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	now := s.Now()
	if d := now.Sub(time.Unix(sec, 0)); d > StandardTolerance || d < -StandardTolerance {
		return ErrBadSignature
	}
	// The signed content is id + "." + ts + "." + body (see standardMAC).
	prefix := make([]byte, 0, len(id)+len(ts)+2)
	prefix = append(append(append(append(prefix, id...), '.'), ts...), '.')
	expected := make([][]byte, len(s.keys))
	for i, k := range s.keys {
		expected[i] = k.sum(nil, prefix, r.Body)
	}
	ok := false
	for sig := range strings.FieldsSeq(sigs) {
		version, b64, found := strings.Cut(sig, ",")
		if !found || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		for _, e := range expected {
			if hmac.Equal(e, got) {
				ok = true
			}
		}
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}

// Decode implements Source: the body is one generic event (docs/events.md).
// Its dedupe id is "standard:<webhook-id>": the sender keeps webhook-id
// across its retries, as the Standard Webhooks spec requires.
func (s *Standard) Decode(r Request) ([]Event, error) {
	id := strings.TrimSpace(r.Headers.Get("Webhook-Id"))
	if id == "" {
		return nil, &InputError{Field: "webhook-id", Reason: "header missing"}
	}
	if len(id) > 255 {
		return nil, &InputError{Field: "webhook-id", Reason: "longer than 255 bytes"}
	}
	var d standardDoc
	if err := decodeJSON(r.Body, &d); err != nil {
		return nil, err
	}
	c := &conv{}
	ev := Event{
		ID:     "standard:" + id,
		Source: "standard",
		Shop:   c.short(f("shop"), d.Shop, MaxIDBytes),
		Type:   Type(d.Type),
	}
	if d.Type == "" {
		return nil, &InputError{Field: "type", Reason: "required"}
	}
	if !slices.Contains(Types, ev.Type) {
		return nil, &InputError{Field: "type", Reason: fmt.Sprintf("unknown event type %q (see docs/events.md)", c.str(f("type"), d.Type))}
	}
	ev.Topic = d.Type
	ev.OccurredAt = c.time(f("occurred_at"), d.OccurredAt)
	if ev.OccurredAt.IsZero() && c.err == nil {
		c.fail(f("occurred_at"), "required")
	}
	ev.Email = c.email(f("email"), d.Email)
	ev.CustomerID = c.id(f("customer_id"), d.CustomerID)
	if c.err == nil && ev.Email == "" && ev.CustomerID == "" {
		c.fail(f("email"), "email or customer_id is required")
	}
	if d.Customer != nil {
		cu := &Customer{
			FirstName: c.str(f("customer.first_name"), d.Customer.FirstName),
			LastName:  c.str(f("customer.last_name"), d.Customer.LastName),
			Phone:     c.str(f("customer.phone"), d.Customer.Phone),
			Timezone:  c.str(f("customer.timezone"), d.Customer.Timezone),
			Tags:      c.tags(f("customer.tags"), d.Customer.Tags),
		}
		if cu.Timezone != "" {
			if _, err := time.LoadLocation(cu.Timezone); err != nil || cu.Timezone == "Local" {
				c.fail(f("customer.timezone"), "not an IANA time zone name")
			}
		}
		if !cu.empty() {
			ev.Customer = cu
		}
	}
	if d.Consent != nil {
		ev.Consent = s.consent(c, d.Consent, ev.OccurredAt)
	}
	if d.Checkout != nil {
		ev.Checkout = s.checkout(c, d.Checkout, ev.OccurredAt)
	}
	if d.Order != nil {
		ev.Order = s.order(c, d.Order, ev.Type, ev.OccurredAt)
	}
	if d.Product != nil {
		p := d.Product
		ev.Product = &Product{
			ID:       c.id(f("product.id"), p.ID),
			Title:    c.str(f("product.title"), p.Title),
			URL:      c.str(f("product.url"), p.URL),
			ImageURL: c.str(f("product.image_url"), p.ImageURL),
			Category: c.str(f("product.category"), p.Category),
			Price:    c.money(f("product.price"), p.Price),
			Currency: c.currency(f("product.currency"), p.Currency),
		}
	}
	if d.Review != nil {
		rv := d.Review
		ev.Review = &Review{
			ID:        c.id(f("review.id"), rv.ID),
			OrderID:   c.id(f("review.order_id"), rv.OrderID),
			ProductID: c.id(f("review.product_id"), rv.ProductID),
		}
		if rv.Rating != "" {
			n, err := strconv.Atoi(string(rv.Rating))
			if err != nil || n < 1 || n > 5 {
				c.fail(f("review.rating"), "not an integer from 1 to 5")
			}
			ev.Review.Rating = n
		}
	}
	if d.Touch != nil {
		t := &Touch{
			Channel:       c.str(f("touch.channel"), d.Touch.Channel),
			LandingSite:   c.str(f("touch.landing_site"), d.Touch.LandingSite),
			ReferringSite: c.str(f("touch.referring_site"), d.Touch.ReferringSite),
			Device:        d.Touch.Device,
		}
		switch t.Device {
		case "", "mobile", "tablet", "desktop":
		default:
			c.fail(f("touch.device"), `not one of "mobile", "tablet", "desktop"`)
		}
		if *t != (Touch{}) {
			ev.Touch = t
		}
	}
	if len(d.Properties) > 0 {
		ev.Properties = s.properties(c, d.Properties)
	}
	if err := c.result(); err != nil {
		return nil, err
	}
	if err := requireFor(&ev); err != nil {
		return nil, err
	}
	return fit([]Event{ev})
}

// requireFor checks that the part a type is about is there.
func requireFor(ev *Event) error {
	switch ev.Type {
	case CheckoutStarted, CheckoutUpdated, CartUpdated:
		if ev.Checkout == nil || ev.Checkout.ID == "" {
			return &InputError{Field: "checkout.id", Reason: "required for " + string(ev.Type)}
		}
	case OrderPlaced, OrderPaid, OrderCancelled, OrderRefunded, OrderFulfilled, OrderDelivered:
		if ev.Order == nil || ev.Order.ID == "" {
			return &InputError{Field: "order.id", Reason: "required for " + string(ev.Type)}
		}
		if ev.Type == OrderRefunded && ev.Order.Refunded == "" {
			return &InputError{Field: "order.refunded", Reason: "required for " + string(ev.Type)}
		}
	case ConsentChanged:
		if ev.Consent == nil {
			return &InputError{Field: "consent", Reason: "required for " + string(ev.Type)}
		}
	case ProductViewed:
		if ev.Product == nil || (ev.Product.ID == "" && ev.Product.URL == "") {
			return &InputError{Field: "product.id", Reason: "product.id or product.url is required for " + string(ev.Type)}
		}
	case ReviewSubmitted:
		if ev.Review == nil || ev.Review.Rating == 0 {
			return &InputError{Field: "review.rating", Reason: "required for " + string(ev.Type)}
		}
	}
	return nil
}

func (s *Standard) consent(c *conv, d *standardConsent, occurred time.Time) *Consent {
	out := &Consent{
		State:      d.State,
		OptInLevel: d.OptInLevel,
		UpdatedAt:  c.time(f("consent.updated_at"), d.UpdatedAt),
	}
	switch out.State {
	case ConsentSubscribed, ConsentNotSubscribed, ConsentUnsubscribed, ConsentPending:
	case "":
		c.fail(f("consent.state"), "required")
	default:
		c.fail(f("consent.state"), `not one of "subscribed", "not_subscribed", "unsubscribed", "pending"`)
	}
	switch out.OptInLevel {
	case "", "single_opt_in", "confirmed_opt_in", "unknown":
	default:
		c.fail(f("consent.opt_in_level"), `not one of "single_opt_in", "confirmed_opt_in", "unknown"`)
	}
	if out.UpdatedAt.IsZero() {
		out.UpdatedAt = occurred
	}
	return out
}

func (s *Standard) checkout(c *conv, d *standardCheckout, occurred time.Time) *Checkout {
	out := &Checkout{
		ID:          c.id(f("checkout.id"), d.ID),
		Token:       c.str(f("checkout.token"), d.Token),
		RecoveryURL: c.str(f("checkout.recovery_url"), d.RecoveryURL),
		Currency:    c.currency(f("checkout.currency"), d.Currency),
		Subtotal:    c.money(f("checkout.subtotal"), d.Subtotal),
		Total:       c.money(f("checkout.total"), d.Total),
		LineItems:   s.lineItems(c, "checkout.line_items", d.LineItems),
		UpdatedAt:   c.time(f("checkout.updated_at"), d.UpdatedAt),
		CompletedAt: c.timePtr(f("checkout.completed_at"), d.CompletedAt),
	}
	if out.UpdatedAt.IsZero() {
		out.UpdatedAt = occurred
	}
	return out
}

var orderStatusOf = map[Type]string{
	OrderPlaced: OrderStatusPlaced, OrderPaid: OrderStatusPaid, OrderCancelled: OrderStatusCancelled,
	OrderRefunded: OrderStatusRefunded, OrderFulfilled: OrderStatusFulfilled, OrderDelivered: OrderStatusDelivered,
}

func (s *Standard) order(c *conv, d *standardOrder, typ Type, occurred time.Time) *Order {
	out := &Order{
		ID:          c.id(f("order.id"), d.ID),
		Number:      c.id(f("order.number"), d.Number),
		CheckoutID:  c.id(f("order.checkout_id"), d.CheckoutID),
		Currency:    c.currency(f("order.currency"), d.Currency),
		Total:       c.money(f("order.total"), d.Total),
		Status:      d.Status,
		LineItems:   s.lineItems(c, "order.line_items", d.LineItems),
		CreatedAt:   c.time(f("order.created_at"), d.CreatedAt),
		UpdatedAt:   c.time(f("order.updated_at"), d.UpdatedAt),
		CancelledAt: c.timePtr(f("order.cancelled_at"), d.CancelledAt),
		Refunded:    c.money(f("order.refunded"), d.Refunded),
	}
	if out.Status == "" {
		out.Status = orderStatusOf[typ]
	} else if !slices.Contains([]string{OrderStatusPlaced, OrderStatusPaid, OrderStatusCancelled, OrderStatusRefunded, OrderStatusFulfilled, OrderStatusDelivered}, out.Status) {
		c.fail(f("order.status"), `not one of "placed", "paid", "cancelled", "refunded", "fulfilled", "delivered"`)
	}
	if out.UpdatedAt.IsZero() {
		out.UpdatedAt = occurred
	}
	if out.CreatedAt.IsZero() && typ == OrderPlaced {
		out.CreatedAt = occurred
	}
	return out
}

func (s *Standard) lineItems(c *conv, list string, items []standardLineItem) []LineItem {
	if len(items) == 0 || !c.lineItemCount(f(list), len(items)) {
		return nil
	}
	out := make([]LineItem, len(items))
	for i, li := range items {
		out[i] = LineItem{
			ProductID:   c.id(field{list, i, "product_id"}, li.ProductID),
			VariantID:   c.id(field{list, i, "variant_id"}, li.VariantID),
			SKU:         c.str(field{list, i, "sku"}, li.SKU),
			Title:       c.str(field{list, i, "title"}, li.Title),
			VariantName: c.str(field{list, i, "variant_title"}, li.VariantTitle),
			Quantity:    c.quantity(field{list, i, "quantity"}, li.Quantity),
			Price:       c.money(field{list, i, "price"}, li.Price),
			ImageURL:    c.str(field{list, i, "image_url"}, li.ImageURL),
			URL:         c.str(field{list, i, "url"}, li.URL),
			Category:    c.str(field{list, i, "category"}, li.Category),
		}
		if out[i].Title == "" {
			c.fail(field{list, i, "title"}, "required")
		}
	}
	return out
}

// MaxProperties bounds the free-form properties of a generic event.
const MaxProperties = 50

// properties decodes the free-form object keeping numbers exact
// (json.Number) and rejecting strings over MaxString bytes.
func (s *Standard) properties(c *conv, raw json.RawMessage) map[string]any {
	if string(raw) == "null" {
		return nil
	}
	v, _ := decodeNumbered(raw)
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(f("properties"), "not a JSON object")
		return nil
	}
	if len(m) > MaxProperties {
		c.fail(f("properties"), fmt.Sprintf("more than %d keys", MaxProperties))
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if len(k) > 255 {
			c.fail(f("properties"), "key longer than 255 bytes")
		}
		if hasLongString(m[k]) {
			checkStrings(c, "properties."+k, m[k])
		}
	}
	return m
}

// checkStrings fails on the first string over MaxString in v (object
// members in key order), naming its path. Paths are built only on the way
// to such a string: the common case, none, allocates nothing.
func checkStrings(c *conv, path string, v any) {
	switch v := v.(type) {
	case string:
		c.str(f(path), v)
	case []any:
		for i, e := range v {
			if hasLongString(e) {
				checkStrings(c, fmt.Sprintf("%s[%d]", path, i), e)
				return
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if hasLongString(v[k]) {
				checkStrings(c, path+"."+k, v[k])
				return
			}
		}
	}
}

// hasLongString says whether v holds a string over MaxString.
func hasLongString(v any) bool {
	switch v := v.(type) {
	case string:
		return len(v) > MaxString
	case []any:
		return slices.ContainsFunc(v, hasLongString)
	case map[string]any:
		for _, e := range v {
			if hasLongString(e) {
				return true
			}
		}
	}
	return false
}

func (c *conv) currency(p field, s string) string {
	if s == "" {
		return ""
	}
	if len(s) != 3 || strings.ToUpper(s) != s || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		c.fail(p, "not an ISO 4217 currency code")
		return ""
	}
	return s
}

// standardDoc is the generic event body (docs/events.md).
type standardDoc struct {
	Type       string `json:"type"`
	OccurredAt string `json:"occurred_at"`
	Email      string `json:"email"`
	CustomerID jsonID `json:"customer_id"`
	Shop       string `json:"shop"`
	Customer   *struct {
		FirstName string   `json:"first_name"`
		LastName  string   `json:"last_name"`
		Phone     string   `json:"phone"`
		Timezone  string   `json:"timezone"`
		Tags      jsonTags `json:"tags"`
	} `json:"customer"`
	Consent  *standardConsent  `json:"consent"`
	Checkout *standardCheckout `json:"checkout"`
	Order    *standardOrder    `json:"order"`
	Product  *struct {
		ID       jsonID  `json:"id"`
		Title    string  `json:"title"`
		URL      string  `json:"url"`
		ImageURL string  `json:"image_url"`
		Category string  `json:"category"`
		Price    jsonNum `json:"price"`
		Currency string  `json:"currency"`
	} `json:"product"`
	Review *struct {
		ID        jsonID  `json:"id"`
		OrderID   jsonID  `json:"order_id"`
		ProductID jsonID  `json:"product_id"`
		Rating    jsonNum `json:"rating"`
	} `json:"review"`
	Touch *struct {
		Channel       string `json:"channel"`
		LandingSite   string `json:"landing_site"`
		ReferringSite string `json:"referring_site"`
		Device        string `json:"device"`
	} `json:"touch"`
	Properties json.RawMessage `json:"properties"`
}

type standardConsent struct {
	State      string `json:"state"`
	OptInLevel string `json:"opt_in_level"`
	UpdatedAt  string `json:"updated_at"`
}

type standardCheckout struct {
	ID          jsonID             `json:"id"`
	Token       string             `json:"token"`
	RecoveryURL string             `json:"recovery_url"`
	Currency    string             `json:"currency"`
	Subtotal    jsonNum            `json:"subtotal"`
	Total       jsonNum            `json:"total"`
	LineItems   []standardLineItem `json:"line_items"`
	UpdatedAt   string             `json:"updated_at"`
	CompletedAt string             `json:"completed_at"`
}

type standardOrder struct {
	ID          jsonID             `json:"id"`
	Number      jsonID             `json:"number"`
	CheckoutID  jsonID             `json:"checkout_id"`
	Currency    string             `json:"currency"`
	Total       jsonNum            `json:"total"`
	Status      string             `json:"status"`
	LineItems   []standardLineItem `json:"line_items"`
	CreatedAt   string             `json:"created_at"`
	UpdatedAt   string             `json:"updated_at"`
	CancelledAt string             `json:"cancelled_at"`
	Refunded    jsonNum            `json:"refunded"`
}

type standardLineItem struct {
	ProductID    jsonID  `json:"product_id"`
	VariantID    jsonID  `json:"variant_id"`
	SKU          string  `json:"sku"`
	Title        string  `json:"title"`
	VariantTitle string  `json:"variant_title"`
	Quantity     jsonNum `json:"quantity"`
	Price        jsonNum `json:"price"`
	ImageURL     string  `json:"image_url"`
	URL          string  `json:"url"`
	Category     string  `json:"category"`
}

var _ Source = (*Standard)(nil)
