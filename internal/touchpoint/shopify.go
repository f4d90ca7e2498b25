package touchpoint

import (
	"fmt"
	"strconv"
	"strings"
)

// Shopify verifies and decodes Shopify webhooks (any API version from 2019
// on: both the legacy accepts_marketing fields and the current
// email_marketing_consent object are read).
//
// Headers: X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body with the
// app's client secret), X-Shopify-Topic, X-Shopify-Shop-Domain,
// X-Shopify-Event-Id (2023-07 and later) and X-Shopify-Webhook-Id.
type Shopify struct {
	keys []*macKey
}

// NewShopify takes the app's client secret, or "old,new" during a rotation.
func NewShopify(secrets string) (*Shopify, error) {
	s, err := splitSecrets("shopify", secrets)
	if err != nil {
		return nil, err
	}
	return &Shopify{keys: byteKeys(s)}, nil
}

// Name implements Source.
func (*Shopify) Name() string { return "shopify" }

// Verify implements Source.
func (s *Shopify) Verify(r Request) error {
	h := r.Headers.Get("X-Shopify-Hmac-Sha256")
	if h == "" {
		return ErrBadSignature
	}
	return verifyHMAC(s.keys, r.Body, h)
}

// Decode implements Source. The topics and what they become:
//
//	checkouts/create            checkout_started
//	checkouts/update            checkout_updated (Checkout.CompletedAt set once completed)
//	orders/create               order_placed
//	orders/paid                 order_paid
//	orders/cancelled            order_cancelled
//	orders/fulfilled            order_fulfilled
//	fulfillments/create|update  order_delivered when shipment_status is "delivered", else ignored
//	refunds/create              order_refunded (Order.Refunded = the refund's successful transactions)
//	customers/create            customer_created (+ consent_changed)
//	customers/update            customer_updated (+ consent_changed)
//
// Every other topic is an *IgnoredError, including the privacy topics
// customers/redact, customers/data_request and shop/redact, which carry no
// touchpoint: DecodePrivacy (privacy.go) reads them.
func (s *Shopify) Decode(r Request) ([]Event, error) {
	topic := strings.TrimSpace(r.Headers.Get("X-Shopify-Topic"))
	if topic == "" {
		return nil, &InputError{Field: "X-Shopify-Topic", Reason: "header missing"}
	}
	var typ Type
	switch topic {
	case "checkouts/create":
		typ = CheckoutStarted
	case "checkouts/update":
		typ = CheckoutUpdated
	case "orders/create":
		typ = OrderPlaced
	case "orders/paid":
		typ = OrderPaid
	case "orders/cancelled":
		typ = OrderCancelled
	case "orders/fulfilled":
		typ = OrderFulfilled
	case "fulfillments/create", "fulfillments/update":
		typ = OrderDelivered
	case "refunds/create":
		typ = OrderRefunded
	case "customers/create":
		typ = CustomerCreated
	case "customers/update":
		typ = CustomerUpdated
	default:
		if _, ok := shopifyPrivacy[topic]; ok {
			return nil, &IgnoredError{Reason: "privacy topic " + topic + " carries no touchpoint (see DecodePrivacy)"}
		}
		return nil, &IgnoredError{Reason: "topic " + strconv.Quote(topic) + " is not used by parcours"}
	}
	shop := strings.ToLower(strings.TrimSpace(r.Headers.Get("X-Shopify-Shop-Domain")))
	if shop == "" {
		return nil, &InputError{Field: "X-Shopify-Shop-Domain", Reason: "header missing"}
	}
	webhookID := strings.TrimSpace(r.Headers.Get("X-Shopify-Webhook-Id"))
	// X-Shopify-Event-Id is the same for every delivery of one event (also
	// across the subscriptions of one shop); older API versions lack it, and
	// then the webhook id (per delivery, stable across Shopify's retries)
	// stands in.
	eventID := strings.TrimSpace(r.Headers.Get("X-Shopify-Event-Id"))
	if eventID == "" {
		eventID = webhookID
	}
	if eventID == "" {
		return nil, &InputError{Field: "X-Shopify-Event-Id", Reason: "header missing"}
	}
	if len(shop) > 255 || len(topic) > 255 || len(eventID) > 255 || len(webhookID) > 255 {
		return nil, &InputError{Reason: "header longer than 255 bytes"}
	}

	var doc shopifyDoc
	if err := decodeJSON(r.Body, &doc); err != nil {
		return nil, err
	}
	c := &conv{}
	ev := Event{
		ID:        "shopify:" + shop + ":" + topic + ":" + eventID,
		Source:    "shopify",
		Shop:      shop,
		Topic:     topic,
		WebhookID: webhookID,
		Type:      typ,
	}
	var extra []Event
	switch typ {
	case CheckoutStarted, CheckoutUpdated:
		s.checkout(c, &doc, &ev)
	case OrderPlaced, OrderPaid, OrderCancelled, OrderFulfilled:
		s.order(c, &doc, &ev)
	case OrderDelivered:
		if doc.ShipmentStatus != "delivered" {
			return nil, &IgnoredError{Reason: "fulfillment shipment_status is " + strconv.Quote(doc.ShipmentStatus) + `, not "delivered" (fulfilment itself arrives as orders/fulfilled)`}
		}
		s.fulfillment(c, &doc, &ev)
	case OrderRefunded:
		s.refund(c, &doc, &ev)
	case CustomerCreated, CustomerUpdated:
		cust := doc.customerFields()
		ev.CustomerID = c.required(f("id"), c.id(f("id"), cust.ID))
		ev.Email = c.email(f("email"), cust.Email)
		ev.Customer = s.customer(c, "", &cust, nil)
		if typ == CustomerCreated {
			ev.OccurredAt = c.time(f("created_at"), cust.CreatedAt)
		} else {
			ev.OccurredAt = c.time(f("updated_at"), cust.UpdatedAt)
		}
		if consent := s.consent(c, &cust); consent != nil {
			extra = append(extra, Event{
				// Keyed by the consent change itself, not the delivery: a
				// customers/update that leaves consent as it was is then a
				// duplicate, and journeys triggered by consent_changed do not
				// fire again.
				ID:         "shopify:" + shop + ":consent:" + ev.CustomerID + ":" + consent.State + ":" + strconv.FormatInt(consent.UpdatedAt.Unix(), 10),
				Source:     "shopify",
				Shop:       shop,
				Topic:      topic,
				WebhookID:  webhookID,
				Type:       ConsentChanged,
				OccurredAt: consent.UpdatedAt,
				Email:      ev.Email,
				CustomerID: ev.CustomerID,
				Consent:    consent,
			})
		}
	}
	if err := c.result(); err != nil {
		return nil, err
	}
	if ev.OccurredAt.IsZero() {
		return nil, &InputError{Field: "updated_at", Reason: "required"}
	}
	return fit(append([]Event{ev}, extra...))
}

func (s *Shopify) checkout(c *conv, d *shopifyDoc, ev *Event) {
	co := &Checkout{
		ID:          c.required(f("id"), c.id(f("id"), d.ID)),
		Token:       c.str(f("token"), d.Token),
		RecoveryURL: c.str(f("abandoned_checkout_url"), d.AbandonedCheckoutURL),
		Currency:    c.str(f("currency"), d.currency()),
		Subtotal:    c.money(f("subtotal_price"), d.SubtotalPrice),
		Total:       c.money(f("total_price"), d.TotalPrice),
		LineItems:   s.lineItems(c, d.LineItems),
		UpdatedAt:   c.time(f("updated_at"), d.UpdatedAt),
		CompletedAt: c.timePtr(f("completed_at"), d.CompletedAt),
	}
	if co.UpdatedAt.IsZero() {
		co.UpdatedAt = c.time(f("created_at"), d.CreatedAt)
	}
	ev.Checkout = co
	ev.OccurredAt = co.UpdatedAt
	s.identity(c, d, ev)
	ev.Touch = s.touch(c, d)
}

func (s *Shopify) order(c *conv, d *shopifyDoc, ev *Event) {
	number := c.str(f("name"), d.Name)
	if number == "" {
		number = c.integer(f("order_number"), d.OrderNumber)
	}
	o := &Order{
		ID:          c.required(f("id"), c.id(f("id"), d.ID)),
		Number:      number,
		CheckoutID:  c.id(f("checkout_id"), d.CheckoutID),
		Currency:    c.str(f("currency"), d.currency()),
		Total:       c.money(f("total_price"), d.TotalPrice),
		LineItems:   s.lineItems(c, d.LineItems),
		CreatedAt:   c.time(f("created_at"), d.CreatedAt),
		UpdatedAt:   c.time(f("updated_at"), d.UpdatedAt),
		CancelledAt: c.timePtr(f("cancelled_at"), d.CancelledAt),
	}
	switch ev.Type {
	case OrderPlaced:
		o.Status = OrderStatusPlaced
		ev.OccurredAt = o.CreatedAt
	case OrderPaid:
		o.Status = OrderStatusPaid
		ev.OccurredAt = o.UpdatedAt
	case OrderCancelled:
		o.Status = OrderStatusCancelled
		ev.OccurredAt = o.UpdatedAt
		if o.CancelledAt != nil {
			ev.OccurredAt = *o.CancelledAt
		}
	case OrderFulfilled:
		o.Status = OrderStatusFulfilled
		ev.OccurredAt = o.UpdatedAt
	}
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = o.CreatedAt
	}
	ev.Order = o
	s.identity(c, d, ev)
	ev.Touch = s.touch(c, d)
}

func (s *Shopify) fulfillment(c *conv, d *shopifyDoc, ev *Event) {
	o := &Order{
		ID:        c.required(f("order_id"), c.id(f("order_id"), d.OrderID)),
		Status:    OrderStatusDelivered,
		LineItems: s.lineItems(c, d.LineItems),
		UpdatedAt: c.time(f("updated_at"), d.UpdatedAt),
	}
	ev.Order = o
	ev.OccurredAt = o.UpdatedAt
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = c.time(f("created_at"), d.CreatedAt)
	}
	// Fulfillment payloads carry an email on newer API versions only.
	ev.Email = c.email(f("email"), d.Email)
}

func (s *Shopify) refund(c *conv, d *shopifyDoc, ev *Event) {
	var amounts []string
	currency := ""
	for i, t := range d.Transactions {
		if t.Kind != "refund" || (t.Status != "success" && t.Status != "") {
			continue
		}
		if a := c.money(field{"transactions", i, "amount"}, t.Amount); a != "" {
			amounts = append(amounts, a)
		}
		if currency == "" {
			currency = c.str(field{"transactions", i, "currency"}, t.Currency)
		}
	}
	o := &Order{
		ID:        c.required(f("order_id"), c.id(f("order_id"), d.OrderID)),
		Currency:  currency,
		Status:    OrderStatusRefunded,
		Refunded:  sumDecimals(amounts),
		UpdatedAt: c.time(f("created_at"), d.CreatedAt),
	}
	if c.lineItemCount(f("refund_line_items"), len(d.RefundLineItems)) {
		for i, rl := range d.RefundLineItems {
			li := s.lineItem(c, "refund_line_items", i, &rl.LineItem)
			li.Quantity = c.quantity(field{"refund_line_items", i, "quantity"}, rl.Quantity)
			o.LineItems = append(o.LineItems, li)
		}
	}
	ev.Order = o
	ev.OccurredAt = o.UpdatedAt
}

// identity fills email, customer id and customer details of a checkout or
// order: the order's own email first (it is what the buyer typed), then the
// customer record's.
func (s *Shopify) identity(c *conv, d *shopifyDoc, ev *Event) {
	email := d.Email
	if email == "" {
		email = d.ContactEmail
	}
	if email == "" && d.Customer != nil {
		email = d.Customer.Email
	}
	ev.Email = c.email(f("email"), email)
	if d.Customer != nil {
		ev.CustomerID = c.id(f("customer.id"), d.Customer.ID)
	}
	ev.Customer = s.customer(c, "customer.", d.Customer, d.BillingAddress)
}

func (s *Shopify) customer(c *conv, prefix string, cu *shopifyCustomer, billing *shopifyAddress) *Customer {
	out := &Customer{}
	if cu != nil {
		out.FirstName = c.str(fp(prefix, "first_name"), cu.FirstName)
		out.LastName = c.str(fp(prefix, "last_name"), cu.LastName)
		out.Phone = c.str(fp(prefix, "phone"), cu.Phone)
		out.Timezone = c.str(fp(prefix, "timezone"), cu.Timezone)
		out.Tags = c.tags(fp(prefix, "tags"), cu.Tags)
	}
	if billing != nil {
		if out.FirstName == "" && out.LastName == "" {
			out.FirstName = c.str(f("billing_address.first_name"), billing.FirstName)
			out.LastName = c.str(f("billing_address.last_name"), billing.LastName)
		}
		if out.Phone == "" {
			out.Phone = c.str(f("billing_address.phone"), billing.Phone)
		}
	}
	if out.empty() {
		return nil
	}
	return out
}

// consent reads email_marketing_consent (API 2022-04 and later) or, on older
// payloads, accepts_marketing + accepts_marketing_updated_at. A consent that
// never changed since sign-up has no timestamp: the customer's created_at
// stands in, so the value stays stable across updates.
func (s *Shopify) consent(c *conv, cu *shopifyCustomer) *Consent {
	var out Consent
	switch {
	case cu.EmailMarketingConsent != nil && cu.EmailMarketingConsent.State != "":
		m := cu.EmailMarketingConsent
		out.State = shopifyConsentState(m.State)
		if out.State == "" {
			c.fail(f("email_marketing_consent.state"), "unknown consent state "+strconv.Quote(m.State))
			return nil
		}
		out.OptInLevel = c.str(f("email_marketing_consent.opt_in_level"), m.OptInLevel)
		out.UpdatedAt = c.time(f("email_marketing_consent.consent_updated_at"), m.ConsentUpdatedAt)
	case cu.AcceptsMarketing != nil:
		out.State = ConsentNotSubscribed
		if *cu.AcceptsMarketing {
			out.State = ConsentSubscribed
		}
		out.OptInLevel = c.str(f("marketing_opt_in_level"), cu.MarketingOptInLevel)
		out.UpdatedAt = c.time(f("accepts_marketing_updated_at"), cu.AcceptsMarketingUpdatedAt)
	default:
		return nil
	}
	if out.UpdatedAt.IsZero() {
		out.UpdatedAt = c.time(f("created_at"), cu.CreatedAt)
	}
	if out.UpdatedAt.IsZero() {
		out.UpdatedAt = c.time(f("updated_at"), cu.UpdatedAt)
	}
	if out.UpdatedAt.IsZero() {
		return nil
	}
	return &out
}

// shopifyConsentState maps Shopify's states onto the canonical ones:
// "invalid" (the address cannot receive mail) is not_subscribed and
// "redacted" (the customer's data was erased) is unsubscribed.
func shopifyConsentState(s string) string {
	switch strings.ToLower(s) {
	case "subscribed":
		return ConsentSubscribed
	case "not_subscribed", "invalid":
		return ConsentNotSubscribed
	case "unsubscribed", "redacted":
		return ConsentUnsubscribed
	case "pending":
		return ConsentPending
	}
	return ""
}

func (s *Shopify) lineItems(c *conv, items []shopifyLineItem) []LineItem {
	if len(items) == 0 || !c.lineItemCount(f("line_items"), len(items)) {
		return nil
	}
	out := make([]LineItem, len(items))
	for i := range items {
		out[i] = s.lineItem(c, "line_items", i, &items[i])
	}
	return out
}

func (s *Shopify) lineItem(c *conv, list string, i int, li *shopifyLineItem) LineItem {
	image := li.ImageURL
	if image == "" && li.Image != nil {
		image = li.Image.Src
	}
	return LineItem{
		ProductID:   c.id(field{list, i, "product_id"}, li.ProductID),
		VariantID:   c.id(field{list, i, "variant_id"}, li.VariantID),
		SKU:         c.str(field{list, i, "sku"}, li.SKU),
		Title:       c.str(field{list, i, "title"}, li.Title),
		VariantName: c.str(field{list, i, "variant_title"}, li.VariantTitle),
		Quantity:    c.quantity(field{list, i, "quantity"}, li.Quantity),
		Price:       c.money(field{list, i, "price"}, li.Price),
		ImageURL:    c.str(field{list, i, "image_url"}, image),
		URL:         c.str(field{list, i, "url"}, li.URL),
		Category:    c.str(field{list, i, "product_type"}, li.ProductType),
	}
}

func (s *Shopify) touch(c *conv, d *shopifyDoc) *Touch {
	t := &Touch{
		Channel:       c.str(f("source_name"), d.SourceName),
		LandingSite:   c.str(f("landing_site"), d.LandingSite),
		ReferringSite: c.str(f("referring_site"), d.ReferringSite),
	}
	if d.ClientDetails != nil {
		t.Device = deviceClass(c.str(f("client_details.user_agent"), d.ClientDetails.UserAgent))
	}
	if *t == (Touch{}) {
		return nil
	}
	return t
}

// shopifyDoc is the union of the fields parcours reads from checkout, order,
// fulfillment, refund and customer payloads (they share id, email, dates and
// line_items). Ids are jsonID and money jsonNum: never float64.
type shopifyDoc struct {
	ID           jsonID `json:"id"`
	Email        string `json:"email"`
	ContactEmail string `json:"contact_email"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`

	// checkouts and orders
	Name                 string            `json:"name"`
	OrderNumber          jsonNum           `json:"order_number"`
	Token                string            `json:"token"`
	CheckoutID           jsonID            `json:"checkout_id"`
	AbandonedCheckoutURL string            `json:"abandoned_checkout_url"`
	Currency             string            `json:"currency"`
	PresentmentCurrency  string            `json:"presentment_currency"`
	SubtotalPrice        jsonNum           `json:"subtotal_price"`
	TotalPrice           jsonNum           `json:"total_price"`
	LineItems            []shopifyLineItem `json:"line_items"`
	CompletedAt          string            `json:"completed_at"`
	CancelledAt          string            `json:"cancelled_at"`
	Customer             *shopifyCustomer  `json:"customer"`
	BillingAddress       *shopifyAddress   `json:"billing_address"`
	SourceName           string            `json:"source_name"`
	LandingSite          string            `json:"landing_site"`
	ReferringSite        string            `json:"referring_site"`
	ClientDetails        *struct {
		UserAgent string `json:"user_agent"`
	} `json:"client_details"`

	// fulfillments and refunds
	OrderID         jsonID               `json:"order_id"`
	ShipmentStatus  string               `json:"shipment_status"`
	Transactions    []shopifyTransaction `json:"transactions"`
	RefundLineItems []struct {
		Quantity jsonNum         `json:"quantity"`
		LineItem shopifyLineItem `json:"line_item"`
	} `json:"refund_line_items"`

	// customers (the payload is the customer itself)
	FirstName                 string          `json:"first_name"`
	LastName                  string          `json:"last_name"`
	Phone                     string          `json:"phone"`
	Tags                      jsonTags        `json:"tags"`
	AcceptsMarketing          *bool           `json:"accepts_marketing"`
	AcceptsMarketingUpdatedAt string          `json:"accepts_marketing_updated_at"`
	MarketingOptInLevel       string          `json:"marketing_opt_in_level"`
	EmailMarketingConsent     *shopifyConsent `json:"email_marketing_consent"`
	DefaultAddress            *shopifyAddress `json:"default_address"`
}

func (d *shopifyDoc) currency() string {
	if d.Currency != "" {
		return d.Currency
	}
	return d.PresentmentCurrency
}

// customerFields views a customers/* payload as a customer record.
func (d *shopifyDoc) customerFields() shopifyCustomer {
	cu := shopifyCustomer{
		ID: d.ID, Email: d.Email, FirstName: d.FirstName, LastName: d.LastName,
		Phone: d.Phone, Tags: d.Tags, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		AcceptsMarketing: d.AcceptsMarketing, AcceptsMarketingUpdatedAt: d.AcceptsMarketingUpdatedAt,
		MarketingOptInLevel: d.MarketingOptInLevel, EmailMarketingConsent: d.EmailMarketingConsent,
	}
	if cu.Phone == "" && d.DefaultAddress != nil {
		cu.Phone = d.DefaultAddress.Phone
	}
	return cu
}

type shopifyCustomer struct {
	ID                        jsonID          `json:"id"`
	Email                     string          `json:"email"`
	FirstName                 string          `json:"first_name"`
	LastName                  string          `json:"last_name"`
	Phone                     string          `json:"phone"`
	Timezone                  string          `json:"timezone"`
	Tags                      jsonTags        `json:"tags"`
	CreatedAt                 string          `json:"created_at"`
	UpdatedAt                 string          `json:"updated_at"`
	AcceptsMarketing          *bool           `json:"accepts_marketing"`
	AcceptsMarketingUpdatedAt string          `json:"accepts_marketing_updated_at"`
	MarketingOptInLevel       string          `json:"marketing_opt_in_level"`
	EmailMarketingConsent     *shopifyConsent `json:"email_marketing_consent"`
}

type shopifyConsent struct {
	State            string `json:"state"`
	OptInLevel       string `json:"opt_in_level"`
	ConsentUpdatedAt string `json:"consent_updated_at"`
}

type shopifyAddress struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Phone     string `json:"phone"`
}

type shopifyLineItem struct {
	ProductID    jsonID  `json:"product_id"`
	VariantID    jsonID  `json:"variant_id"`
	SKU          string  `json:"sku"`
	Title        string  `json:"title"`
	VariantTitle string  `json:"variant_title"`
	Quantity     jsonNum `json:"quantity"`
	Price        jsonNum `json:"price"`
	ProductType  string  `json:"product_type"`
	ImageURL     string  `json:"image_url"`
	Image        *struct {
		Src string `json:"src"`
	} `json:"image"`
	URL string `json:"url"`
}

type shopifyTransaction struct {
	Kind     string  `json:"kind"`
	Status   string  `json:"status"`
	Amount   jsonNum `json:"amount"`
	Currency string  `json:"currency"`
}

var _ Source = (*Shopify)(nil)

// String identifies the source in logs without its secrets.
func (s *Shopify) String() string { return fmt.Sprintf("shopify(%d secrets)", len(s.keys)) }
